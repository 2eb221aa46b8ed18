package booking

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/tenant"
)

// RemindBefore is how long before an appointment its reminder is sent.
const RemindBefore = 24 * time.Hour

// Compose writes the reminder e-mail of an appointment; main builds it from
// the locale files and the ente's offices, which this package does not read.
type Compose func(ctx context.Context, q db.Querier, a *Appointment) (mail.Message, error)

// Remind queues the reminder of every confirmed appointment starting within
// RemindBefore that has an e-mail address and none yet, each in its own
// transaction with its mark, so that a reminder is queued exactly once even
// when two instances run this together. It returns how many it queued.
func Remind(ctx context.Context, d *db.DB, j *jobs.Jobs, compose Compose, now time.Time) (int, error) {
	rows, err := d.QueryContext(ctx, `SELECT ente_id, id FROM booking_appointment WHERE state = 'confirmed'
		AND reminded_at IS NULL AND email <> '' AND starts_at > $1 AND starts_at <= $2 ORDER BY starts_at LIMIT 1000`,
		ts(now), ts(now.Add(RemindBefore)))
	if err != nil {
		return 0, fmt.Errorf("booking: remind: %w", err)
	}
	type key struct {
		ente int64
		id   ID
	}
	var due []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.ente, &k.id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("booking: remind: %w", err)
		}
		due = append(due, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("booking: remind: %w", err)
	}
	n := 0
	for _, k := range due {
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE booking_appointment SET reminded_at = $3
				WHERE ente_id = $1 AND id = $2 AND reminded_at IS NULL AND state = 'confirmed'`, k.ente, k.id, ts(now))
			if err != nil {
				return err
			}
			if c, err := res.RowsAffected(); err != nil || c == 0 {
				return err // another instance reminded it
			}
			a, err := Get(ctx, tx, tenant.ID(k.ente), k.id)
			if err != nil {
				return err
			}
			m, err := compose(ctx, tx, a)
			if err != nil {
				return err
			}
			if _, err := mail.Queue(ctx, tx, j, m, now); err != nil {
				return err
			}
			n++
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("booking: remind appointment %d: %w", k.id, err)
		}
	}
	return n, nil
}

// RemindArgs is the periodic job that sends reminders and sweeps holds.
type RemindArgs struct{}

// Kind names the job in River's table.
func (RemindArgs) Kind() string { return "booking.remind" }

type remindWorker struct {
	river.WorkerDefaults[RemindArgs]
	db      *db.DB
	jobs    func() *jobs.Jobs
	compose Compose
	offer   OfferCompose
	now     func() time.Time
}

func (w *remindWorker) Work(ctx context.Context, _ *river.Job[RemindArgs]) error {
	now := w.now()
	// Lapsed offers first: the sweep would expire their holds too.
	if _, err := PassOn(ctx, w.db, w.jobs(), w.offer, now); err != nil {
		return err
	}
	if _, err := Sweep(ctx, w.db, now); err != nil {
		return err
	}
	_, err := Remind(ctx, w.db, w.jobs(), w.compose, now)
	return err
}

// RemindJob adds the reminder worker to reg and returns its schedule, every
// ten minutes, for jobs.Options.Periodic: it passes lapsed waiting-list
// offers on (composed by o), sweeps lapsed holds and sends reminders
// (composed by c). j is a function because the Jobs value is built from
// the registry this call fills.
func RemindJob(reg *river.Workers, d *db.DB, j func() *jobs.Jobs, c Compose, o OfferCompose, now func() time.Time) *river.PeriodicJob {
	river.AddWorker(reg, &remindWorker{db: d, jobs: j, compose: c, offer: o, now: now})
	return river.NewPeriodicJob(river.PeriodicInterval(10*time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return RemindArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
