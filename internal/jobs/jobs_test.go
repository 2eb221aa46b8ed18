package jobs_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/jobs"
)

// pollInterval keeps retries and missed notifications quick in tests.
const pollInterval = 50 * time.Millisecond

// patience is how long a test waits for something that should happen.
const patience = 10 * time.Second

// nameArgs is a job that carries a name for its worker to report.
type nameArgs struct {
	Name string `json:"name"`
}

func (nameArgs) Kind() string { return "test_name" }

// nameWorker reports the name of every job it works.
type nameWorker struct {
	river.WorkerDefaults[nameArgs]
	worked chan string
}

func (w *nameWorker) Work(ctx context.Context, job *river.Job[nameArgs]) error {
	w.worked <- job.Args.Name
	return nil
}

// slowArgs is a job whose worker takes a while, or until cancelled.
type slowArgs struct {
	For time.Duration `json:"for"`
}

func (slowArgs) Kind() string { return "test_slow" }

// slowWorker signals when it starts, then waits out the job's duration
// unless its context is cancelled first.
type slowWorker struct {
	river.WorkerDefaults[slowArgs]
	started  chan struct{}
	finished atomic.Bool
	cause    atomic.Value // error: why the job's context ended, if it did
}

func (w *slowWorker) Work(ctx context.Context, job *river.Job[slowArgs]) error {
	w.started <- struct{}{}
	select {
	case <-time.After(job.Args.For):
		w.finished.Store(true)
		return nil
	case <-ctx.Done():
		w.cause.Store(ctx.Err())
		return ctx.Err()
	}
}

// flakyArgs is a job whose first attempt fails.
type flakyArgs struct{}

func (flakyArgs) Kind() string { return "test_flaky" }

// flakyWorker fails the first attempt and asks for a quick retry.
type flakyWorker struct {
	river.WorkerDefaults[flakyArgs]
	attempts chan int
}

func (w *flakyWorker) Work(ctx context.Context, job *river.Job[flakyArgs]) error {
	w.attempts <- job.Attempt
	if job.Attempt == 1 {
		return errors.New("first attempt fails")
	}
	return nil
}

func (w *flakyWorker) NextRetry(*river.Job[flakyArgs]) time.Time {
	return time.Now().Add(20 * time.Millisecond)
}

// start returns migrated, working Jobs on a fresh database, stopped when the
// test ends.
func start(t *testing.T, reg *river.Workers) (*db.DB, *jobs.Jobs) {
	t.Helper()
	ctx := context.Background()
	d := testdb.Open(t)
	q, err := jobs.New(d, jobs.Options{Workers: 4, Registry: reg, PollInterval: pollInterval, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return d, q
}

// testLogger shows River's warnings and errors in the test's output.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(patience):
		t.Fatalf("%s: nothing after %s", what, patience)
		panic("unreachable")
	}
}

func enqueueIn(t *testing.T, d *db.DB, q *jobs.Jobs, args river.JobArgs, commit bool) {
	t.Helper()
	ctx := context.Background()
	errRollback := errors.New("roll back")
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := q.EnqueueTx(ctx, tx, args, nil); err != nil {
			return err
		}
		if !commit {
			return errRollback
		}
		return nil
	})
	switch {
	case commit && err != nil:
		t.Fatalf("InTx: %v", err)
	case !commit && !errors.Is(err, errRollback):
		t.Fatalf("InTx = %v, want the rollback", err)
	}
}

func stats(t *testing.T, q *jobs.Jobs) map[string]int64 {
	t.Helper()
	s, err := q.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// zero is Stats of an empty queue, to which tests add what they expect.
func zero(set map[string]int64) map[string]int64 {
	out := map[string]int64{
		"available": 0, "cancelled": 0, "completed": 0, "discarded": 0,
		"pending": 0, "retryable": 0, "running": 0, "scheduled": 0,
	}
	for k, v := range set {
		out[k] = v
	}
	return out
}

// eventually polls Stats until it equals want.
func eventually(t *testing.T, q *jobs.Jobs, want map[string]int64) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		diff := cmp.Diff(want, stats(t, q))
		if diff == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Stats mismatch after %s (-want +got):\n%s", patience, diff)
		}
		time.Sleep(pollInterval)
	}
}

func TestCommittedJobRuns(t *testing.T) {
	t.Parallel()
	reg := river.NewWorkers()
	w := &nameWorker{worked: make(chan string, 8)}
	river.AddWorker(reg, w)
	d, q := start(t, reg)

	enqueueIn(t, d, q, nameArgs{Name: "committed"}, true)
	if got := receive(t, w.worked, "committed job"); got != "committed" {
		t.Errorf("worked %q, want committed", got)
	}
	eventually(t, q, zero(map[string]int64{"completed": 1}))
}

func TestRolledBackJobNeverRuns(t *testing.T) {
	t.Parallel()
	reg := river.NewWorkers()
	w := &nameWorker{worked: make(chan string, 8)}
	river.AddWorker(reg, w)
	d, q := start(t, reg)

	enqueueIn(t, d, q, nameArgs{Name: "rolled back"}, false)
	enqueueIn(t, d, q, nameArgs{Name: "sentinel"}, true)
	if got := receive(t, w.worked, "sentinel job"); got != "sentinel" {
		t.Fatalf("worked %q before the sentinel", got)
	}
	// A job the rollback left behind would be older than the sentinel and
	// fetched with or before it; give it a few more polls to show up.
	select {
	case got := <-w.worked:
		t.Errorf("worked %q after the sentinel", got)
	case <-time.After(10 * pollInterval):
	}
	eventually(t, q, zero(map[string]int64{"completed": 1}))
}

func TestStopDrainsRunningJobs(t *testing.T) {
	t.Parallel()
	reg := river.NewWorkers()
	w := &slowWorker{started: make(chan struct{}, 1)}
	river.AddWorker(reg, w)
	ctx := context.Background()
	_, q := start(t, reg)

	if _, err := q.Enqueue(ctx, slowArgs{For: 500 * time.Millisecond}, nil); err != nil {
		t.Fatal(err)
	}
	receive(t, w.started, "slow job start")
	stopCtx, cancel := context.WithTimeout(ctx, patience)
	defer cancel()
	if err := q.Stop(stopCtx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !w.finished.Load() {
		t.Errorf("Stop returned before the running job finished (its context ended: %v)", w.cause.Load())
	}
	if diff := cmp.Diff(zero(map[string]int64{"completed": 1}), stats(t, q)); diff != "" {
		t.Errorf("Stats after Stop mismatch (-want +got):\n%s", diff)
	}
}

func TestStopCancelsJobsAtDeadline(t *testing.T) {
	t.Parallel()
	reg := river.NewWorkers()
	w := &slowWorker{started: make(chan struct{}, 1)}
	river.AddWorker(reg, w)
	ctx := context.Background()
	d, q := start(t, reg)

	if _, err := q.Enqueue(ctx, slowArgs{For: time.Hour}, nil); err != nil {
		t.Fatal(err)
	}
	receive(t, w.started, "slow job start")
	stopCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	begun := time.Now()
	err := q.Stop(stopCtx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop = %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(begun); took > 3*time.Second {
		t.Errorf("Stop took %s", took)
	}
	if w.finished.Load() || w.cause.Load() == nil {
		t.Error("the running job was not cancelled")
	}
	// The cancelled job waits for the next instance, its attempt not spent.
	if diff := cmp.Diff(zero(map[string]int64{"available": 1}), stats(t, q)); diff != "" {
		t.Errorf("Stats after a cancelling Stop mismatch (-want +got):\n%s", diff)
	}
	if got := attempt(t, d); got != 0 {
		t.Errorf("river_job.attempt = %d, want 0", got)
	}
}

// attempt returns the attempt number of the only job in river_job.
func attempt(t *testing.T, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), `SELECT attempt FROM river_job`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFailedJobIsRetried(t *testing.T) {
	t.Parallel()
	reg := river.NewWorkers()
	w := &flakyWorker{attempts: make(chan int, 8)}
	river.AddWorker(reg, w)
	d, q := start(t, reg)

	enqueueIn(t, d, q, flakyArgs{}, true)
	for want := 1; want <= 2; want++ {
		if got := receive(t, w.attempts, "attempt"); got != want {
			t.Fatalf("attempt %d, want %d", got, want)
		}
	}
	eventually(t, q, zero(map[string]int64{"completed": 1}))
	if got := attempt(t, d); got != 2 {
		t.Errorf("river_job.attempt = %d, want 2", got)
	}
}

func TestInsertOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testdb.Open(t)
	q, err := jobs.New(d, jobs.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Errorf("Start of an insert-only instance: %v", err)
	}
	if _, err := q.Enqueue(ctx, nameArgs{Name: "later"}, nil); err != nil {
		t.Fatal(err)
	}
	enqueueIn(t, d, q, nameArgs{Name: "later too"}, true)
	enqueueIn(t, d, q, nameArgs{Name: "never"}, false)
	if err := q.Stop(ctx); err != nil {
		t.Errorf("Stop of an insert-only instance: %v", err)
	}
	if diff := cmp.Diff(zero(map[string]int64{"available": 2}), stats(t, q)); diff != "" {
		t.Errorf("Stats mismatch (-want +got):\n%s", diff)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	d := testdb.Open(t)
	tests := []struct {
		name string
		opts jobs.Options
	}{
		{"workers without registry", jobs.Options{Workers: 2}},
		{"negative workers", jobs.Options{Workers: -1, Registry: river.NewWorkers()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := jobs.New(d, tc.opts); err == nil {
				t.Error("New succeeded")
			}
		})
	}
}

// TestMigrateConcurrently starts several instances on one database at once:
// each River migration must be applied exactly once, and again never.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u := testdb.URL(t)
	open := func() (*db.DB, *jobs.Jobs, error) {
		d, err := db.Open(ctx, u, db.Options{})
		if err != nil {
			return nil, nil, err
		}
		q, err := jobs.New(d, jobs.Options{Logger: testLogger(t)})
		if err != nil {
			d.Close()
			return nil, nil, err
		}
		return d, q, nil
	}
	const instances = 4
	var wg sync.WaitGroup
	applied := make([]int, instances)
	errs := make([]error, instances)
	for i := range instances {
		wg.Go(func() {
			d, q, err := open()
			if err != nil {
				errs[i] = err
				return
			}
			defer d.Close()
			applied[i], errs[i] = q.Migrate(ctx)
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
	d, q, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var recorded int
	if err := d.QueryRowContext(ctx, `SELECT count(*) FROM river_migration`).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if total != recorded || total == 0 {
		t.Errorf("instances applied %d River migrations in all, river_migration records %d", total, recorded)
	}
	if n, err := q.Migrate(ctx); n != 0 || err != nil {
		t.Errorf("Migrate again applied %d (err %v), want 0", n, err)
	}
}

// TestMaintenanceRuns starts a worker with the maintenance schedule: the
// job runs on start and completes on both engines.
func TestMaintenanceRuns(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	reg := river.NewWorkers()
	periodic := jobs.Maintenance(reg, d)
	j, err := jobs.New(d, jobs.Options{Workers: 1, Registry: reg, PollInterval: 50 * time.Millisecond, Periodic: []*river.PeriodicJob{periodic}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer j.Stop(ctx)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		err := d.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = 'db_maintenance' AND state = 'completed'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the maintenance job did not complete within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
