// Package testdb gives every test a fresh, migrated database: an SQLite file
// in the test's temporary folder, or — when SPORTELLO_TEST_POSTGRES holds a
// server URL — a new PostgreSQL database dropped when the test ends. CI runs
// the whole suite once per engine.
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
	d := OpenEmpty(t)
	if _, err := d.Migrate(context.Background(), time.Now); err != nil {
		t.Fatalf("testdb: migrate: %v", err)
	}
	return d
}

// URL creates a fresh, empty database and returns its URL, for tests that
// open it themselves (several instances on one database, the binary).
func URL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		return "sqlite://" + filepath.ToSlash(filepath.Join(t.TempDir(), "test.db"))
	}
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "sportello_test_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("testdb: connect to %s: %v", EnvPostgres, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
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
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("testdb: %s: %v", EnvPostgres, err)
	}
	u.Path = "/" + name
	return u.String()
}

// OpenEmpty returns a fresh database without migrations, for migration tests.
func OpenEmpty(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), URL(t), db.Options{ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("testdb: open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
