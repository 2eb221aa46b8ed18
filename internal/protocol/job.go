package protocol

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// PDFRenderer renders the printable daily register; internal/pdf provides
// it, injected by main so that this package does not depend on a PDF
// library.
type PDFRenderer func(RegisterDay) ([]byte, error)

// settle is how long after midnight a day is considered closed: a
// registration whose clock read 23:59:59 may commit a moment later, and the
// register of its day must include it.
const settle = 5 * time.Minute

// runAt is when, in Rome, the daily job runs: after midnight and settle.
const runAtHour, runAtMinute = 0, 15

// DailyRegisterArgs is the job that produces the daily registers of every
// ente. It has no arguments: each run works out for itself which days are
// due, so that a missed run is caught up by the next one.
type DailyRegisterArgs struct{}

// Kind names the job in River's table.
func (DailyRegisterArgs) Kind() string { return "protocol_daily_register" }

// InsertOpts keeps at most one run waiting at a time.
func (DailyRegisterArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
}

type dailyWorker struct {
	river.WorkerDefaults[DailyRegisterArgs]
	db    *db.DB
	blobs blob.Store
	pdf   PDFRenderer
	log   *slog.Logger
}

func (w *dailyWorker) Work(ctx context.Context, _ *river.Job[DailyRegisterArgs]) error {
	_, err := ProduceDailyRegisters(ctx, w.db, w.blobs, w.pdf, w.log, time.Now())
	return err
}

// Timeout allows for a long catch-up (River's default is one minute); each
// day is committed on its own, so a run cut short loses nothing.
func (w *dailyWorker) Timeout(*river.Job[DailyRegisterArgs]) time.Duration { return 30 * time.Minute }

// DailyRegisterJob adds the daily register's worker to reg and returns its
// schedule, for jobs.Options.Periodic: every day at 00:15 in Rome, and once
// when the instance starts, so that days missed while it was down are
// produced at once. pdf renders the printable register (internal/pdf). It
// panics when d, blobs or pdf is nil, a wiring mistake better seen at start.
func DailyRegisterJob(reg *river.Workers, d *db.DB, blobs blob.Store, pdf PDFRenderer, log *slog.Logger) *river.PeriodicJob {
	if d == nil || blobs == nil || pdf == nil {
		panic("protocol: DailyRegisterJob needs a database, a blob store and a PDF renderer")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	river.AddWorker(reg, &dailyWorker{db: d, blobs: blobs, pdf: pdf, log: log})
	return river.NewPeriodicJob(dailyAt{hour: runAtHour, minute: runAtMinute},
		func() (river.JobArgs, *river.InsertOpts) { return DailyRegisterArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// dailyAt is a River schedule that fires once a day at a wall-clock time in
// Rome, whatever the offset from UTC that day.
type dailyAt struct{ hour, minute int }

// Next returns the first hour:minute in Rome strictly after t.
func (s dailyAt) Next(t time.Time) time.Time {
	loc, err := rome()
	if err != nil {
		return t.Add(24 * time.Hour)
	}
	local := t.In(loc)
	next := time.Date(local.Year(), local.Month(), local.Day(), s.hour, s.minute, 0, 0, loc)
	if !next.After(t) {
		next = time.Date(local.Year(), local.Month(), local.Day()+1, s.hour, s.minute, 0, 0, loc)
	}
	return next
}

// lastClosedDay is the latest day in Rome that had ended, settle included,
// at now.
func lastClosedDay(now time.Time) (calendar.Date, error) {
	loc, err := rome()
	if err != nil {
		return calendar.Date{}, fmt.Errorf("load Europe/Rome: %w", err)
	}
	return calendar.DateOf(now.Add(-settle).In(loc)).AddDays(-1), nil
}

// ProduceDailyRegisters produces, for every ente, the daily register of
// each closed day not yet produced, in order: from the day after the last
// one produced (or from the day of the ente's first entry) to yesterday.
// Days without entries get a register too, once the register has begun, so
// that a missing day is visible. Each day's JSON and PDF are stored in
// blobs and recorded in one row; re-running for a day already recorded does
// nothing. An ente's failure stops its catch-up at the failing day (so no
// day is skipped) but not the other enti'; the errors are joined. It
// returns how many registers it produced. log may be nil.
func ProduceDailyRegisters(ctx context.Context, d db.Querier, blobs blob.Store, pdf PDFRenderer, log *slog.Logger, now time.Time) (int, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	last, err := lastClosedDay(now)
	if err != nil {
		return 0, fmt.Errorf("protocol: daily registers: %w", err)
	}
	enti, err := tenant.List(ctx, d)
	if err != nil {
		return 0, fmt.Errorf("protocol: daily registers: %w", err)
	}
	total := 0
	var errs []error
	for _, en := range enti {
		n, err := catchUp(ctx, d, blobs, pdf, log, en.ID, last, now)
		total += n
		if err != nil {
			log.Error("daily protocol register failed", "ente", en.ID, "err", err)
			errs = append(errs, fmt.Errorf("ente %d: %w", en.ID, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return total, fmt.Errorf("protocol: daily registers: %w", err)
	}
	return total, nil
}

// catchUp produces the ente's due days up to last.
func catchUp(ctx context.Context, d db.Querier, blobs blob.Store, pdf PDFRenderer, log *slog.Logger, ente tenant.ID, last calendar.Date, now time.Time) (int, error) {
	first, ok, err := firstDueDay(ctx, d, ente)
	if err != nil || !ok {
		return 0, err
	}
	n := 0
	for day := first; !day.After(last); day = day.AddDays(1) {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		rec, err := produceDay(ctx, d, blobs, pdf, ente, day, now)
		if err != nil {
			return n, fmt.Errorf("day %s: %w", day, err)
		}
		log.Info("daily protocol register produced", "ente", ente, "day", day.String(), "entries", rec.Entries)
		n++
	}
	return n, nil
}

// firstDueDay is the day after the ente's last register, or the day of its
// first entry ever; ok is false when the ente has registered nothing.
func firstDueDay(ctx context.Context, q db.Querier, ente tenant.ID) (calendar.Date, bool, error) {
	var last string
	err := q.QueryRowContext(ctx, `SELECT day FROM protocol_daily_register WHERE ente_id = $1
		ORDER BY day DESC LIMIT 1`, ente).Scan(&last)
	if err == nil {
		day, err := calendar.ParseDate(last)
		if err != nil {
			return calendar.Date{}, false, fmt.Errorf("last daily register: %w", err)
		}
		return day.AddDays(1), true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return calendar.Date{}, false, fmt.Errorf("last daily register: %w", err)
	}
	var at time.Time
	err = q.QueryRowContext(ctx, `SELECT registered_at FROM protocol_entry WHERE ente_id = $1
		ORDER BY year, number LIMIT 1`, ente).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return calendar.Date{}, false, nil
	}
	if err != nil {
		return calendar.Date{}, false, fmt.Errorf("first entry: %w", err)
	}
	loc, err := rome()
	if err != nil {
		return calendar.Date{}, false, fmt.Errorf("load Europe/Rome: %w", err)
	}
	return calendar.DateOf(at.In(loc)), true, nil
}

// produceDay builds, stores and records one day. The blobs are written
// before the row: a crash in between leaves unreferenced content that the
// next run stores again under the same keys, never a row without content.
func produceDay(ctx context.Context, d db.Querier, blobs blob.Store, pdf PDFRenderer, ente tenant.ID, day calendar.Date, now time.Time) (DailyRecord, error) {
	rd, err := DailyRegister(ctx, d, ente, day)
	if err != nil {
		return DailyRecord{}, err
	}
	js, err := rd.JSON()
	if err != nil {
		return DailyRecord{}, err
	}
	doc, err := pdf(rd)
	if err != nil {
		return DailyRecord{}, fmt.Errorf("render pdf: %w", err)
	}
	jsonKey, err := blob.PutBytes(ctx, blobs, js)
	if err != nil {
		return DailyRecord{}, fmt.Errorf("store json: %w", err)
	}
	pdfKey, err := blob.PutBytes(ctx, blobs, doc)
	if err != nil {
		return DailyRecord{}, fmt.Errorf("store pdf: %w", err)
	}
	rec := rd.record(jsonKey, pdfKey, now)
	if err := insertDailyRecord(ctx, d, rec); err != nil {
		return DailyRecord{}, err
	}
	return rec, nil
}
