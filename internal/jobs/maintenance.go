package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/db"
)

// MaintenanceArgs is the daily database upkeep job: on SQLite it refreshes
// the query planner's statistics and truncates the write-ahead log, which
// otherwise only shrinks when no reader holds it; PostgreSQL's autovacuum
// does both by itself, so there the job only records that it ran.
type MaintenanceArgs struct{}

// Kind names the job in River's table.
func (MaintenanceArgs) Kind() string { return "db_maintenance" }

// InsertOpts keeps at most one maintenance job waiting at a time.
func (MaintenanceArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
}

type maintenanceWorker struct {
	river.WorkerDefaults[MaintenanceArgs]
	db *db.DB
}

func (w *maintenanceWorker) Work(ctx context.Context, _ *river.Job[MaintenanceArgs]) error {
	if w.db.Engine != db.SQLite {
		return nil
	}
	for _, stmt := range []string{`PRAGMA optimize`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
		if _, err := w.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("db maintenance: %s: %w", stmt, err)
		}
	}
	return nil
}

// Maintenance adds the maintenance worker to reg and returns its daily
// schedule, for Options.Periodic.
func Maintenance(reg *river.Workers, d *db.DB) *river.PeriodicJob {
	river.AddWorker(reg, &maintenanceWorker{db: d})
	return river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return MaintenanceArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
