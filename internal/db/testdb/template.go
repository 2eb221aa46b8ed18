package testdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sportello/sportello/internal/db"
)

// sqliteImage returns the bytes of an SQLite database with every migration
// applied, made once per test process.
var sqliteImage = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "sportello-testdb-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite://"+filepath.ToSlash(filepath.Join(dir, "migrated.db")), options)
	if err != nil {
		return nil, fmt.Errorf("migrated image: %w", err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx, time.Now); err != nil {
		return nil, fmt.Errorf("migrated image: migrate: %w", err)
	}
	// VACUUM INTO writes one self-contained file, without the WAL.
	image := filepath.Join(dir, "image.db")
	if _, err := d.ExecContext(ctx, "VACUUM INTO "+quote(image)); err != nil {
		return nil, fmt.Errorf("migrated image: %w", err)
	}
	return os.ReadFile(image)
})

// quote returns s as an SQL string literal.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// templateLock is the advisory lock under which a test process builds the
// PostgreSQL template, so that the packages go test runs at once build it
// once.
const templateLock = 0x53505454 // "SPTT"

// templatePrefix starts the names of the template databases.
const templatePrefix = "sportello_template_"

// postgresTemplate returns the name of a database with every migration
// applied, to copy with CREATE DATABASE … TEMPLATE. It is named after a
// digest of the migrations, so a server keeps one per schema: it is built
// by the first test process that needs it, reused by the others and by
// later runs, and replaced (the older ones dropped) when the migrations
// change.
var postgresTemplate = sync.OnceValues(func() (string, error) {
	admin := os.Getenv(EnvPostgres)
	ms, err := db.Migrations(db.Postgres)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		fmt.Fprintf(h, "%d %s %d\n%s\n", m.Version, m.Name, len(m.SQL), m.SQL)
	}
	name := templatePrefix + hex.EncodeToString(h.Sum(nil))[:16]

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", EnvPostgres, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock("+strconv.Itoa(templateLock)+")"); err != nil {
		return "", fmt.Errorf("template lock: %w", err)
	}
	// Closing the connection releases the lock too.
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock("+strconv.Itoa(templateLock)+")")
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	if exists {
		return name, nil
	}
	// Built under another name and renamed when complete, so that a run
	// interrupted while building leaves nothing that looks ready.
	build := name + "_build"
	for _, q := range []string{"DROP DATABASE IF EXISTS " + build, "CREATE DATABASE " + build} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return "", fmt.Errorf("template: %s: %w", q, err)
		}
	}
	d, err := db.Open(ctx, withDatabase(admin, build), options)
	if err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	_, err = d.Migrate(ctx, time.Now)
	d.Close()
	if err != nil {
		return "", fmt.Errorf("template: migrate: %w", err)
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+build+" RENAME TO "+name); err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	// The templates of other schemas are a previous checkout's: drop them,
	// unless some run is still copying one.
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2",
		templatePrefix+"%", name)
	if err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	for _, s := range stale {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+s)
	}
	return name, nil
})
