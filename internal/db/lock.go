package db

import (
	"context"
	"database/sql/driver"
	"fmt"
	"os"
	"syscall"
	"time"
)

// Lock takes an exclusive lock named by key that spans processes — a
// PostgreSQL advisory lock, or on SQLite an advisory lock on a file beside
// the database — and returns the function that releases it. It serialises
// one-time work such as migrations between instances starting together.
func (db *DB) Lock(ctx context.Context, key int64) (unlock func() error, err error) {
	if db.Engine == Postgres {
		return db.pgLock(ctx, key)
	}
	return fileLock(ctx, fmt.Sprintf("%s.lock-%x", db.Path, key))
}

func (db *DB) pgLock(ctx context.Context, key int64) (func() error, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: lock %x: %w", key, err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		conn.Close()
		return nil, fmt.Errorf("db: lock %x: %w", key, err)
	}
	return func() error {
		defer conn.Close()
		// A fresh context: the lock must be released even if ctx is done.
		if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, key); err != nil {
			// Drop the connection rather than pool it with the lock held:
			// ending the session releases the lock.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			return fmt.Errorf("db: unlock %x: %w", key, err)
		}
		return nil
	}, nil
}

// fileLock holds flock(2) on path, polling so that ctx can end the wait.
func fileLock(ctx context.Context, path string) (func() error, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("db: lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			f.Close()
			return nil, fmt.Errorf("db: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("db: lock %s: %w", path, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return func() error {
		// Closing the file releases the lock.
		return f.Close()
	}, nil
}
