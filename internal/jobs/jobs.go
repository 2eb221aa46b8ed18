// Package jobs runs durable background jobs on River, in the application's own
// database. A job enqueued inside a store's transaction exists only if that
// transaction commits, so work such as "send the receipt of pratica 42" is
// never lost after a commit nor done after a rollback. River retries failed
// jobs and deletes finished ones after a retention period; see
// docs/decisions/0002-jobs-river.md.
//
// A domain defines its job as a river.JobArgs and its worker as a
// river.Worker; main adds the workers to one registry and hands it to New:
//
//	reg := river.NewWorkers()
//	river.AddWorker(reg, receipt.NewWorker(store, mailer))
//	q, err := jobs.New(d, jobs.Options{Workers: 8, Registry: reg, Logger: logger})
//
// Every job goes to River's default queue, the only one worked.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/sportello/sportello/internal/db"
)

// migrationLockKey names the lock (db.Lock) held while River's tables are
// migrated, so that instances starting together apply each River migration
// once; River's migrator takes no lock of its own. It differs from
// the lock of internal/db so that neither migration waits for the other.
const migrationLockKey = 0x53505256 // "SPRV"

// hardStopTimeout bounds how long Stop waits, once its own deadline has
// passed and running jobs have been cancelled, for them to return.
const hardStopTimeout = 5 * time.Second

// Options tunes New.
type Options struct {
	// Workers is how many jobs this instance works at once; zero makes an
	// insert-only instance (a command-line tool, a second web process) whose
	// Start and Stop do nothing.
	Workers int
	// Registry holds the workers that domains add with river.AddWorker at
	// wiring time. It is required when Workers > 0; on an insert-only
	// instance it is optional. When given, Enqueue and EnqueueTx refuse a
	// kind nobody registered, so a forgotten AddWorker fails at the insert.
	Registry *river.Workers
	// PollInterval is the longest a ready job waits when no notification of
	// it arrives (a retry, a scheduled job); zero means River's default, one
	// second.
	PollInterval time.Duration
	// Logger receives River's own log lines; nil discards them.
	Logger *slog.Logger
	// Periodic are jobs enqueued on a schedule; only the instance River
	// elects leader enqueues them, so N instances do not run them N times.
	Periodic []*river.PeriodicJob
}

// Jobs enqueues jobs on the application's database and, when it has workers,
// works them.
type Jobs struct {
	db      *db.DB
	driver  riverdriver.Driver[*sql.Tx]
	client  *river.Client[*sql.Tx]
	logger  *slog.Logger
	working bool
}

// New builds the River client for d's engine. It neither migrates nor starts
// working: call Migrate, then Start.
func New(d *db.DB, opts Options) (*Jobs, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Workers < 0 {
		return nil, fmt.Errorf("jobs: new: Workers is %d, want 0 or more", opts.Workers)
	}
	if opts.Workers > 0 && opts.Registry == nil {
		return nil, errors.New("jobs: new: Workers > 0 needs a Registry of workers")
	}
	var drv riverdriver.Driver[*sql.Tx]
	switch d.Engine {
	case db.SQLite:
		drv = riversqlite.New(d.DB)
	case db.Postgres:
		// database/sql for every query, so that InsertTx takes the stores'
		// *sql.Tx; the pgx pool only for the LISTEN connection.
		drv = riverdatabasesql.NewWithPgxListener(d.DB, d.Pool)
	default:
		return nil, fmt.Errorf("jobs: new: unsupported engine %q", d.Engine)
	}
	cfg := &river.Config{
		Logger:            opts.Logger,
		Workers:           opts.Registry,
		FetchPollInterval: opts.PollInterval,
	}
	if opts.PollInterval > 0 {
		cfg.FetchCooldown = min(river.FetchCooldownDefault, opts.PollInterval)
	}
	if opts.Workers > 0 {
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Workers}}
		cfg.PeriodicJobs = opts.Periodic
	}
	client, err := river.NewClient(drv, cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: new: %w", err)
	}
	return &Jobs{db: d, driver: drv, client: client, logger: opts.Logger, working: opts.Workers > 0}, nil
}

// Migrate creates or updates River's own tables (river_job and its
// companions) beside the application's; it is idempotent and returns the
// number of River migrations applied. It holds a lock across processes
// (db.Lock), since River's migrator takes none, so instances starting
// together do not race.
func (j *Jobs) Migrate(ctx context.Context) (applied int, err error) {
	m, err := rivermigrate.New(j.driver, &rivermigrate.Config{Logger: j.logger})
	if err != nil {
		return 0, fmt.Errorf("jobs: migrate: %w", err)
	}
	unlock, err := j.db.Lock(ctx, migrationLockKey)
	if err != nil {
		return 0, fmt.Errorf("jobs: migrate: %w", err)
	}
	defer func() {
		if uerr := unlock(); uerr != nil && err == nil {
			err = fmt.Errorf("jobs: migrate: %w", uerr)
		}
	}()
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return 0, fmt.Errorf("jobs: migrate: %w", err)
	}
	return len(res.Versions), nil
}

// Start begins working jobs in the background. Its ctx serves only the
// start-up: the workers run until Stop, which drains them gracefully,
// whatever happens to ctx afterwards.
func (j *Jobs) Start(ctx context.Context) error {
	if !j.working {
		return nil
	}
	if err := j.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for the running ones to finish until
// ctx is done; then it cancels their contexts, waits a few seconds more for
// them to return and reports ctx's error. A job cancelled this way is not
// lost: River makes it available again for the next instance.
func (j *Jobs) Stop(ctx context.Context) error {
	if !j.working {
		return nil
	}
	err := j.client.Stop(ctx)
	if err == nil {
		return nil
	}
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), hardStopTimeout)
	defer cancel()
	if herr := j.client.StopAndCancel(hard); herr != nil {
		return fmt.Errorf("jobs: stop: cancelled jobs did not return: %w", errors.Join(err, herr))
	}
	return fmt.Errorf("jobs: stop: running jobs cancelled: %w", err)
}

// EnqueueTx adds a job inside the caller's transaction, so that it becomes
// visible to workers only if tx commits. opts may be nil.
func (j *Jobs) EnqueueTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := j.client.InsertTx(ctx, tx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return res, nil
}

// Enqueue adds a job in a transaction of its own, for work that follows no
// database change of the caller's. opts may be nil. Inside a transaction use
// EnqueueTx: on SQLite, Enqueue would wait for that very transaction's write
// lock.
func (j *Jobs) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := j.client.Insert(ctx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return res, nil
}

const statsQuery = `SELECT state, count(*) FROM river_job GROUP BY state`

// Stats counts the jobs in each River state, every state present even at
// zero so that /metrics always exports the same series.
func (j *Jobs) Stats(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64)
	for _, s := range rivertype.JobStates() {
		out[string(s)] = 0
	}
	rows, err := j.db.QueryContext(ctx, statsQuery)
	if err != nil {
		return nil, fmt.Errorf("jobs: stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			state string
			n     int64
		)
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("jobs: stats: %w", err)
		}
		out[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("jobs: stats: %w", err)
	}
	return out, nil
}
