// Package testdb gives every test a fresh, migrated database: an SQLite file
// in the test's temporary folder, or — when SPORTELLO_TEST_POSTGRES holds a
// server URL — a new PostgreSQL database dropped when the test ends. CI runs
// the whole suite once per engine.
//
// Migrating costs about 80 ms on SQLite and 400 ms on PostgreSQL, paid
// once instead of in every test: a test's database is a copy of one
// migrated before (see template.go).
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sportello/sportello/internal/db"
)

// EnvPostgres is the variable that switches the suite to PostgreSQL.
const EnvPostgres = "SPORTELLO_TEST_POSTGRES"

// options are the ones every test database is opened with.
var options = db.Options{ConnectTimeout: 5 * time.Second}

// Engine reports the engine this test run uses.
func Engine() db.Engine {
	if os.Getenv(EnvPostgres) != "" {
		return db.Postgres
	}
	return db.SQLite
}

// Open returns a fresh, migrated database closed (and on PostgreSQL dropped)
// when the test ends.
func Open(t testing.TB) *db.DB {
	t.Helper()
	var u string
	if admin := os.Getenv(EnvPostgres); admin != "" {
		tmpl, err := postgresTemplate()
		if err != nil {
			t.Fatalf("testdb: %v", err)
		}
		u = create(t, admin, tmpl)
	} else {
		image, err := sqliteImage()
		if err != nil {
			t.Fatalf("testdb: %v", err)
		}
		path := filepath.Join(t.TempDir(), "test.db")
		if err := os.WriteFile(path, image, 0o600); err != nil {
			t.Fatalf("testdb: %v", err)
		}
		u = "sqlite://" + filepath.ToSlash(path)
	}
	return open(t, u)
}

// URL creates a fresh, empty database and returns its URL, for tests that
// open it themselves (several instances on one database, the binary).
func URL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		return "sqlite://" + filepath.ToSlash(filepath.Join(t.TempDir(), "test.db"))
	}
	return create(t, admin, "")
}

// OpenEmpty returns a fresh database without migrations, for migration tests.
func OpenEmpty(t testing.TB) *db.DB {
	t.Helper()
	return open(t, URL(t))
}

func open(t testing.TB, u string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), u, options)
	if err != nil {
		t.Fatalf("testdb: open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// create makes a PostgreSQL database, a copy of template if it is not
// empty, dropped when t ends, and returns its URL.
func create(t testing.TB, admin, template string) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "sportello_test_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("testdb: connect to %s: %v", EnvPostgres, err)
	}
	defer conn.Close(ctx)
	q := "CREATE DATABASE " + name
	if template != "" {
		q += " TEMPLATE " + template
	}
	if _, err := conn.Exec(ctx, q); err != nil {
		t.Fatalf("testdb: create database: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("testdb: connect to drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("testdb: drop %s: %v", name, err)
		}
	})
	return withDatabase(admin, name)
}

// withDatabase returns the server URL admin pointing at database name.
func withDatabase(admin, name string) string {
	u, err := url.Parse(admin)
	if err != nil {
		return admin // pgx.Connect already refused it
	}
	u.Path = "/" + name
	return u.String()
}
