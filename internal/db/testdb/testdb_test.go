package testdb_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
)

// TestOpen checks that every database Open returns is fully migrated and
// its own: a copy of the migrated template, not the template itself.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	ms, err := db.Migrations(testdb.Engine())
	if err != nil {
		t.Fatal(err)
	}
	a, b := testdb.Open(t), testdb.Open(t)
	for _, d := range []*db.DB{a, b} {
		if v, err := d.Version(ctx); err != nil || v != len(ms) {
			t.Errorf("Version = %d, %v; want %d", v, err, len(ms))
		}
	}
	if _, err := a.ExecContext(ctx, `CREATE TABLE only_in_a (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]*db.DB{"another database": b, "a later database": testdb.Open(t)} {
		tables, err := d.Tables(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(tables, "only_in_a") {
			t.Errorf("%s has the table made in the first", name)
		}
	}
	if tables, err := a.Tables(ctx); err != nil || !slices.Contains(tables, "only_in_a") {
		t.Errorf("the first database's tables %v (%v) lack the one made in it", tables, err)
	}
}
