package db_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
)

// TestMigrationNumberingMatches enforces that both engines have the same
// migrations, numbered and named alike.
func TestMigrationNumberingMatches(t *testing.T) {
	names := func(e db.Engine) []string {
		ms, err := db.Migrations(e)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, strings.TrimSpace(m.Name))
		}
		return out
	}
	sq, pg := names(db.SQLite), names(db.Postgres)
	if len(sq) == 0 {
		t.Fatal("no migrations embedded")
	}
	if diff := cmp.Diff(sq, pg); diff != "" {
		t.Errorf("sqlite and postgres migrations differ (-sqlite +postgres):\n%s", diff)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	ctx := context.Background()
	d := testdb.OpenEmpty(t)
	ms, err := db.Migrations(d.Engine)
	if err != nil {
		t.Fatal(err)
	}
	n, err := d.Migrate(ctx, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(ms) {
		t.Errorf("first migrate applied %d, want %d", n, len(ms))
	}
	n, err = d.Migrate(ctx, time.Now)
	if err != nil || n != 0 {
		t.Errorf("second migrate applied %d (err %v), want 0", n, err)
	}
	v, err := d.Version(ctx)
	if err != nil || v != len(ms) {
		t.Errorf("Version = %d (err %v), want %d", v, err, len(ms))
	}
}

// TestMigrateConcurrently starts several "instances" on one database at
// once: every migration must be applied exactly once, without errors.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	u := testdb.URL(t)
	const instances = 4
	var wg sync.WaitGroup
	applied := make([]int, instances)
	errs := make([]error, instances)
	for i := range instances {
		wg.Go(func() {
			d, err := db.Open(ctx, u, db.Options{})
			if err != nil {
				errs[i] = err
				return
			}
			defer d.Close()
			applied[i], errs[i] = d.Migrate(ctx, time.Now)
		})
	}
	wg.Wait()
	total := 0
	for i := range instances {
		if errs[i] != nil {
			t.Errorf("instance %d: %v", i, errs[i])
		}
		total += applied[i]
	}
	ms, _ := db.Migrations(testdb.Engine())
	if total != len(ms) {
		t.Errorf("instances applied %d migrations in all, want %d", total, len(ms))
	}
}

func TestFailedMigrationLeavesNothing(t *testing.T) {
	ctx := context.Background()
	d := testdb.OpenEmpty(t)
	bad := []db.Migration{
		{Version: 1, Name: "good", SQL: `CREATE TABLE good_one (id INTEGER PRIMARY KEY)`},
		{Version: 2, Name: "bad", SQL: `CREATE TABLE half_done (id INTEGER PRIMARY KEY); INSERT INTO no_such_table VALUES (1);`},
	}
	_, err := db.MigrateWith(ctx, d, bad, time.Now)
	if err == nil || !strings.Contains(err.Error(), "0002_bad") {
		t.Fatalf("err = %v, want an error naming 0002_bad", err)
	}
	tables, err := d.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if tb == "half_done" {
			t.Error("the failed migration left table half_done behind")
		}
	}
	if v, _ := d.Version(ctx); v != 1 {
		t.Errorf("Version = %d, want 1", v)
	}
}

func TestReadMigrationsRejectsBadNames(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"no number", fstest.MapFS{"init.sql": {}}, "NNNN_name.sql"},
		{"gap", fstest.MapFS{"0001_a.sql": {}, "0003_c.sql": {}}, "without gaps"},
		{"duplicate", fstest.MapFS{"0001_a.sql": {}, "0001_b.sql": {}}, "share number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.ReadMigrations(tc.files)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestInTxAndDialect(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	insert := func(q db.Querier, slug, istat string) error {
		_, err := q.ExecContext(ctx, `INSERT INTO ente (slug, name, istat_code, belfiore, ipa_code, fiscal_code, created_at)
			VALUES ($1, $2, $3, 'A116', 'c_a116', '00000000000', $4)`, slug, "Comune "+slug, istat, now)
		return err
	}
	errBoom := errors.New("boom")
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		if err := insert(tx, "rolled-back", "000001"); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx err = %v, want errBoom", err)
	}
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return insert(tx, "kept", "000002") }); err != nil {
		t.Fatal(err)
	}
	var slugs []string
	rows, err := d.QueryContext(ctx, `SELECT slug FROM ente ORDER BY slug`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		slugs = append(slugs, s)
	}
	rows.Close()
	if diff := cmp.Diff([]string{"kept"}, slugs); diff != "" {
		t.Errorf("rows after InTx (-want +got):\n%s", diff)
	}
	err = insert(d, "kept", "000003")
	if !db.IsUniqueViolation(err) {
		t.Errorf("IsUniqueViolation(%v) = false", err)
	}
	_, err = d.ExecContext(ctx, `INSERT INTO office (ente_id, slug, name) VALUES (999999, 'x', 'x')`)
	if !db.IsForeignKeyViolation(err) {
		t.Errorf("IsForeignKeyViolation(%v) = false", err)
	}
	if db.IsUniqueViolation(errBoom) || db.IsForeignKeyViolation(errBoom) {
		t.Error("plain error classified as a constraint violation")
	}
	var got time.Time
	if err := d.QueryRowContext(ctx, `SELECT created_at FROM ente WHERE slug = 'kept'`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if !got.Equal(now) {
		t.Errorf("created_at = %v, want %v", got, now)
	}
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	_, err := db.Open(context.Background(), "mysql://x", db.Options{})
	if err == nil {
		t.Fatal("Open(mysql://) succeeded")
	}
}

func TestOpenPostgresUnreachable(t *testing.T) {
	start := time.Now()
	_, err := db.Open(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=1", db.Options{ConnectTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "cannot reach PostgreSQL at 127.0.0.1:1") {
		t.Fatalf("err = %v, want a clear unreachable message", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("Open kept retrying for %s", time.Since(start))
	}
}

// TestEveryTableCarriesTheEnte enforces the tenancy rule on the schema:
// apart from the ente itself and infrastructure tables, every table has an
// ente_id column.
func TestEveryTableCarriesTheEnte(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	tables, err := d.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, tb := range tables {
		if tb == "ente" || tb == "schema_migration" || strings.HasPrefix(tb, "river_") {
			continue
		}
		cols, err := d.Columns(ctx, tb)
		if err != nil {
			t.Fatal(err)
		}
		has := false
		for _, c := range cols {
			has = has || c == "ente_id"
		}
		if !has {
			t.Errorf("table %s has no ente_id column (columns %v)", tb, cols)
		}
		checked++
	}
	if checked == 0 {
		t.Error("no tenant table found: the check checked nothing")
	}
}
