// Package db opens the application's database — an embedded SQLite file or a
// PostgreSQL server — behind database/sql, applies the embedded migrations
// and runs transactions. SQL elsewhere is written once, in the subset both
// engines share ($1 placeholders, RETURNING); the few differences live in
// this package's dialect.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
)

// Engine names a SQL engine the application runs on.
type Engine string

// The supported engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Querier is what store functions take, so that one transaction can span
// several domains: both *sql.DB and *sql.Tx satisfy it.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is an open database of either engine.
type DB struct {
	*sql.DB
	Engine Engine
	// Pool is the pgx pool behind DB on PostgreSQL (nil on SQLite); the job
	// worker uses it for LISTEN/NOTIFY.
	Pool *pgxpool.Pool
	// Path is the database file on SQLite ("" on PostgreSQL).
	Path string

	checkpoints *checkpointer // SQLite's background checkpoints
}

// Options tunes Open.
type Options struct {
	// ConnectTimeout bounds how long Open keeps retrying an unreachable
	// PostgreSQL server before giving up; zero means 30 seconds.
	ConnectTimeout time.Duration
	Logger         *slog.Logger
}

// Open connects to the database named by rawURL: sqlite:///abs/file.db,
// sqlite://relative/file.db, or postgres://…. It does not migrate.
func Open(ctx context.Context, rawURL string, opt Options) (*DB, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case strings.HasPrefix(rawURL, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(rawURL, "sqlite://"))
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return openPostgres(ctx, rawURL, opt)
	}
	return nil, fmt.Errorf("db: open: unsupported database URL (want sqlite:// or postgres://)")
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	path, query, _ := strings.Cut(path, "?")
	if path == "" {
		return nil, errors.New("db: open sqlite: the URL names no file")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("db: open sqlite: cannot create folder %s: %w", dir, err)
		}
	}
	// _txlock=immediate takes the write lock at BEGIN, so two transactions
	// never deadlock upgrading a read lock; busy_timeout makes writers queue.
	// The pragmas run in order on every new connection: busy_timeout comes
	// first, so that switching a fresh file to WAL (which needs a moment of
	// exclusive access) waits for another process opening it at the same
	// time instead of failing with SQLITE_BUSY.
	v := url.Values{}
	v.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	v.Add("_pragma", "foreign_keys(1)")
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "synchronous(FULL)")
	// The DB checkpoints in the background (checkpoint.go), restarting the
	// log a few times a second; journal_size_limit truncates it back when
	// it restarts after a burst, instead of keeping the largest size it
	// ever had.
	v.Add("_pragma", "wal_autocheckpoint(0)")
	v.Add("_pragma", "journal_size_limit("+strconv.Itoa(walSizeLimit)+")")
	v.Set("_txlock", "immediate")
	v.Set("_time_format", "sqlite")
	dsn := "file:" + path + "?" + v.Encode()
	if query != "" {
		dsn += "&" + query
	}
	sqldb := sql.OpenDB(cachingConnector{dsn: dsn, drv: &sqlite.Driver{}})
	sqldb.SetMaxOpenConns(8)
	sqldb.SetMaxIdleConns(8)
	sqldb.SetConnMaxIdleTime(0)
	// Switching a fresh file to WAL needs exclusive access for a moment,
	// and SQLite reports SQLITE_BUSY at once (without its busy handler) when
	// another process is doing the same: instances starting together on
	// one new file retry for a few seconds.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := sqldb.PingContext(ctx)
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) || ctx.Err() != nil {
			sqldb.Close()
			return nil, fmt.Errorf("db: open sqlite %s: %w", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &DB{DB: sqldb, Engine: SQLite, Path: path, checkpoints: startCheckpointer(sqldb)}, nil
}

func openPostgres(ctx context.Context, rawURL string, opt Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("db: open postgres: invalid URL: %w", stripURL(err))
	}
	timeout := opt.ConnectTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	deadline := time.Now().Add(timeout)
	backoff := 100 * time.Millisecond
	for {
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err == nil {
			err = pool.Ping(ctx)
			if err == nil {
				return &DB{DB: stdlib.OpenDBFromPool(pool), Engine: Postgres, Pool: pool}, nil
			}
			pool.Close()
		}
		if ctx.Err() != nil || time.Now().Add(backoff).After(deadline) {
			return nil, fmt.Errorf("db: cannot reach PostgreSQL at %s:%d after %s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, timeout, err)
		}
		opt.Logger.Warn("database unreachable, retrying", "in", backoff, "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// stripURL keeps a parse error from echoing a URL that may hold a password.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return errors.New("cannot parse")
}

// Close releases the database and, on PostgreSQL, its pool.
func (db *DB) Close() error {
	if db.checkpoints != nil {
		db.checkpoints.close()
	}
	err := db.DB.Close()
	if db.Pool != nil {
		db.Pool.Close()
	}
	return err
}

// busyTimeout is how long a SQLite statement waits for a lock another
// connection holds before it fails with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// walSizeLimit is the size a SQLite write-ahead log is truncated to when it
// restarts.
const walSizeLimit = 64 << 20

// InTx runs fn in a transaction, committing if fn returns nil and rolling
// back otherwise (also when fn panics).
func (db *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}
