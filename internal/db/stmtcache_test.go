package db_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/db"
)

// TestStatementCache checks what SQLite connections keeping their
// statements prepared must not change: a query run again inside the loop
// over its own rows, a statement after the table it reads has changed, a
// bad query's error, and the same answers every time.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	d, _ := openSQLite(t)
	if _, err := d.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)`); err != nil {
		t.Fatal(err)
	}
	for i, n := range []string{"Ala", "Avio", "Mori"} {
		if _, err := d.ExecContext(ctx, `INSERT INTO t (id, name) VALUES ($1, $2)`, i+1, n); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT id, name FROM t WHERE id >= $1 ORDER BY id`
	// A transaction keeps one connection, so the nested run meets the
	// statement whose rows are open.
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	names := func(qr db.Querier, from int) []string {
		t.Helper()
		rows, err := qr.QueryContext(ctx, q, from)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id int
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				t.Fatal(err)
			}
			out = append(out, name)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}

	// The same query, nested in the loop over its own rows.
	rows, err := tx.QueryContext(ctx, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var nested []string
	for rows.Next() {
		var id int
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		nested = append(nested, name+":"+strings.Join(names(tx, id), ","))
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"Ala:Ala,Avio,Mori", "Avio:Avio,Mori", "Mori:Mori"}
	if diff := cmp.Diff(want, nested); diff != "" {
		t.Errorf("nested runs of one query mismatch (-want +got):\n%s", diff)
	}
	for range 3 {
		if diff := cmp.Diff([]string{"Avio", "Mori"}, names(tx, 2)); diff != "" {
			t.Errorf("repeated run mismatch (-want +got):\n%s", diff)
		}
	}

	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	d.SetMaxOpenConns(1) // the statement prepared above, on the one connection

	// The table changes under the prepared statement.
	if _, err := d.ExecContext(ctx, `ALTER TABLE t ADD COLUMN note TEXT`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `UPDATE t SET name = name || '!' WHERE id = $1`, 3); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Avio", "Mori!"}, names(d, 2)); diff != "" {
		t.Errorf("after the table changed mismatch (-want +got):\n%s", diff)
	}
	star, err := d.QueryContext(ctx, `SELECT * FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := star.Columns()
	star.Close()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"id", "name", "note"}, cols); diff != "" {
		t.Errorf("columns after ALTER mismatch (-want +got):\n%s", diff)
	}

	// A bad query reports its error, twice the same way.
	for range 2 {
		if _, err := d.ExecContext(ctx, `SELECT x FROM nowhere`); err == nil || !strings.Contains(err.Error(), "no such table") {
			t.Errorf("bad query error = %v, want no such table", err)
		}
	}
}

// BenchmarkQueryRow runs a small indexed query, the most common statement
// of a request, through database/sql on SQLite.
func BenchmarkQueryRow(b *testing.B) {
	ctx := context.Background()
	d, _ := openSQLite(b)
	if _, err := d.ExecContext(ctx, `CREATE TABLE t (ente_id INTEGER, id INTEGER, name TEXT, note TEXT, PRIMARY KEY (ente_id, id))`); err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		if _, err := d.ExecContext(ctx, `INSERT INTO t VALUES (1, $1, $2, $3)`, i, "nome", "nota"); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for b.Loop() {
		var name, note string
		i = (i + 7) % 1000
		if err := d.QueryRowContext(ctx, `SELECT name, note FROM t WHERE ente_id = $1 AND id = $2 AND name IS NOT NULL ORDER BY id`, 1, i).Scan(&name, &note); err != nil {
			b.Fatal(err)
		}
	}
}

// openSQLite opens a fresh SQLite file, whatever engine the other tests
// use, and returns it with its path; it is closed when the test ends.
func openSQLite(t testing.TB) (*db.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	d, err := db.Open(context.Background(), "sqlite://"+path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, path
}
