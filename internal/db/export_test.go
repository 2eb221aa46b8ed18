package db

import (
	"context"
	"io/fs"
	"time"
)

// MigrateWith applies the given migrations, for tests of failure handling.
func MigrateWith(ctx context.Context, d *DB, ms []Migration, now func() time.Time) (int, error) {
	return d.migrate(ctx, ms, now)
}

// ReadMigrations exposes readMigrations to tests.
func ReadMigrations(fsys fs.FS) ([]Migration, error) { return readMigrations(fsys) }
