package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFS embed.FS

// Migration is one numbered schema change for one engine.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// migrationLockKey names the lock (see Lock) held while migrating, so that
// instances starting together apply each migration exactly once.
const migrationLockKey = 0x53504f52 // "SPOR"

// Migrations returns the embedded migrations of an engine, in order.
func Migrations(e Engine) ([]Migration, error) {
	sub, err := fs.Sub(migrationFS, path.Join("migrations", string(e)))
	if err != nil {
		return nil, err
	}
	return readMigrations(sub)
}

// readMigrations parses files named NNNN_name.sql.
func readMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("db: read migrations: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || len(num) != 4 || v <= 0 || rest == "" {
			return nil, fmt.Errorf("db: migration %q: name must be NNNN_name.sql", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("db: migrations %q and %q share number %d", prev, name, v)
		}
		seen[v] = name
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("db: read migration %q: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: rest, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("db: migration %04d_%s: numbers must run 1, 2, 3… without gaps", m.Version, m.Name)
		}
	}
	return out, nil
}

// Migrate applies every embedded migration not yet applied. Each runs in its
// own transaction: a failing one leaves nothing half-applied. It returns the
// number applied.
func (db *DB) Migrate(ctx context.Context, now func() time.Time) (int, error) {
	ms, err := Migrations(db.Engine)
	if err != nil {
		return 0, err
	}
	return db.migrate(ctx, ms, now)
}

func (db *DB) migrate(ctx context.Context, ms []Migration, now func() time.Time) (applied int, err error) {
	unlock, err := db.Lock(ctx, migrationLockKey)
	if err != nil {
		return 0, fmt.Errorf("db: migrate: %w", err)
	}
	defer func() {
		if uerr := unlock(); uerr != nil && err == nil {
			err = fmt.Errorf("db: migrate: %w", uerr)
		}
	}()
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migration (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at TIMESTAMP NOT NULL)`); err != nil {
		return 0, fmt.Errorf("db: migrate: create schema_migration: %w", err)
	}
	for _, m := range ms {
		done, err := applyOne(ctx, conn, m, now)
		if err != nil {
			return applied, err
		}
		if done {
			applied++
		}
	}
	return applied, nil
}

// applyOne applies m unless it is already recorded, re-checking inside the
// transaction (on SQLite the immediate transaction is the lock).
func applyOne(ctx context.Context, conn *sql.Conn, m Migration, now func() time.Time) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("db: migration %04d_%s: begin: %w", m.Version, m.Name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migration WHERE version = $1`, m.Version).Scan(&n); err != nil {
		return false, fmt.Errorf("db: migration %04d_%s: %w", m.Version, m.Name, err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("db: migration %04d_%s failed, nothing of it was applied: %w", m.Version, m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migration (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, now().UTC()); err != nil {
		return false, fmt.Errorf("db: migration %04d_%s: record: %w", m.Version, m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("db: migration %04d_%s: commit: %w", m.Version, m.Name, err)
	}
	return true, nil
}

// Version returns the highest applied migration, 0 on an empty database.
func (db *DB) Version(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migration`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("db: version: %w", err)
	}
	return int(v.Int64), nil
}

// Tables lists the tables in the database, for schema checks in tests.
func (db *DB) Tables(ctx context.Context) ([]string, error) {
	return db.strings(ctx, db.Engine.tablesQuery())
}

// Columns lists the columns of one table, for schema checks in tests.
func (db *DB) Columns(ctx context.Context, table string) ([]string, error) {
	return db.strings(ctx, db.Engine.columnsQuery(), table)
}

func (db *DB) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("db: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("db: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
