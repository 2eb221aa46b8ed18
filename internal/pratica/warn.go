package pratica

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/tenant"
)

// TermWarning is a warning due about a pratica whose legal term nears its
// end: the office must decide before Due, or silence decides for it.
type TermWarning struct {
	Ente     tenant.ID
	Pratica  ID
	Office   int64
	Title    string
	Protocol string
	Due      calendar.Date
	// Level is the threshold reached, in working days left (see
	// calendar.Warn); Left is the exact count.
	Level, Left  int
	SilentAssent bool
	// To is who is told: the operator the pratica is assigned to, else the
	// office's address; empty when neither has one (the queue still shows
	// the pratica as due soon).
	To string
}

// warnHorizon bounds the sweep: no warning threshold is further away than
// this many calendar days.
const warnHorizon = 60

// DueWarnings returns, for one ente, the warnings due on today about the
// pratiche whose term runs (submitted or in review), given the levels
// already sent.
func DueWarnings(ctx context.Context, q db.Querier, cal *calendar.Calendar, ente tenant.ID, today calendar.Date) ([]TermWarning, error) {
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.office_id, p.title, p.protocol_year, p.protocol_number, p.due,
		p.term_warned, p.silent_assent, COALESCE(op.email, ''), o.email
		FROM pratica p
		JOIN office o ON o.ente_id = p.ente_id AND o.id = p.office_id
		LEFT JOIN operator op ON op.ente_id = p.ente_id AND op.id = p.assignee_id AND NOT op.disabled
		WHERE p.ente_id = $1 AND p.state IN ('submitted', 'in_review') AND p.due <= $2
		ORDER BY p.due, p.id`, ente, dueColumn(today.AddDays(warnHorizon)))
	if err != nil {
		return nil, fmt.Errorf("term warnings: %w", err)
	}
	defer rows.Close()
	var out []TermWarning
	for rows.Next() {
		var w TermWarning
		var year, number int64
		var due, opEmail, officeEmail string
		var warned int
		if err := rows.Scan(&w.Pratica, &w.Office, &w.Title, &year, &number, &due, &warned, &w.SilentAssent, &opEmail, &officeEmail); err != nil {
			return nil, fmt.Errorf("term warnings: %w", err)
		}
		if w.Due, err = calendar.ParseDate(due); err != nil {
			return nil, fmt.Errorf("term warnings: pratica %d: %w", w.Pratica, err)
		}
		level, ok := cal.Warn(today, w.Due, warned)
		if !ok {
			continue
		}
		w.Ente, w.Level, w.Left = ente, level, cal.WorkingDaysBetween(today, w.Due)
		w.Protocol = fmt.Sprintf("%d/%07d", year, number)
		w.To = cmp.Or(opEmail, officeEmail)
		out = append(out, w)
	}
	return out, rows.Err()
}

// SendTermWarnings sends, for every ente, the warnings due on now's day in
// Rome, each in its own transaction with the record of its level, so that
// a warning goes out once per level however often the sweep runs. It
// returns how many it recorded.
func SendTermWarnings(ctx context.Context, d *db.DB, j *jobs.Jobs, now time.Time) (int, error) {
	enti, err := tenant.List(ctx, d)
	if err != nil {
		return 0, err
	}
	today := calendar.DateOf(inRome(now))
	sent := 0
	for _, e := range enti {
		cal, err := e.Calendar()
		if err != nil {
			return sent, err
		}
		ws, err := DueWarnings(ctx, d, cal, e.ID, today)
		if err != nil {
			return sent, err
		}
		for _, w := range ws {
			ok, err := recordWarning(ctx, d, j, e, w, now)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
	}
	return sent, nil
}

// recordWarning records w's level and queues its mail in one transaction;
// false when another sweep recorded it first or the pratica moved on.
func recordWarning(ctx context.Context, d *db.DB, j *jobs.Jobs, e *tenant.Ente, w TermWarning, now time.Time) (bool, error) {
	var recorded bool
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE pratica SET term_warned = $3
			WHERE ente_id = $1 AND id = $2 AND (term_warned = 0 OR term_warned > $3) AND due = $4
			AND state IN ('submitted', 'in_review')`, w.Ente, w.Pratica, w.Level, dueColumn(w.Due))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		recorded = true
		if w.To == "" || j == nil {
			return nil
		}
		_, err = mail.Queue(ctx, tx, j, warningMail(e, w), now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("pratica %d: term warning: %w", w.Pratica, err)
	}
	return recorded, nil
}

// warningMail is the message to the office: Italian, the office's language.
func warningMail(e *tenant.Ente, w TermWarning) mail.Message {
	days := fmt.Sprintf("%d giorni lavorativi", w.Left)
	switch w.Left {
	case 0:
		days = "scade oggi"
	case 1:
		days = "1 giorno lavorativo"
	}
	outcome := "Alla scadenza l'amministrazione è inadempiente: decida o motivi il ritardo."
	if w.SilentAssent {
		outcome = "Alla scadenza vale il silenzio-assenso (L. 241/1990, art. 20): la domanda si intende accolta."
	}
	left := "Mancano " + days + "."
	if w.Left == 0 {
		left = "Il termine " + days + "."
	}
	return mail.Message{
		Ente: e.ID, To: w.To, Kind: "term-warning", Ref: fmt.Sprintf("pratica:%d", w.Pratica),
		Subject: fmt.Sprintf("Termine in scadenza il %s: pratica n. %d (%s)", dmy(w.Due), w.Pratica, w.Protocol),
		Text: fmt.Sprintf("La pratica n. %d, %q, protocollo %s, deve essere conclusa entro il %s.\n%s\n%s\n\n%s\n",
			w.Pratica, w.Title, w.Protocol, dmy(w.Due), left, outcome, e.Name),
	}
}

// TermWarningsArgs is the periodic job that sends the warnings.
type TermWarningsArgs struct{}

// Kind names the job in River.
func (TermWarningsArgs) Kind() string { return "pratica_term_warnings" }

type termWarner struct {
	river.WorkerDefaults[TermWarningsArgs]
	db   *db.DB
	jobs func() *jobs.Jobs
	log  *slog.Logger
}

func (w *termWarner) Work(ctx context.Context, _ *river.Job[TermWarningsArgs]) error {
	n, err := SendTermWarnings(ctx, w.db, w.jobs(), time.Now())
	if n > 0 {
		w.log.InfoContext(ctx, "term warnings sent", "count", n)
	}
	return err
}

// TermWarningsJob adds the warnings' worker to reg and returns its schedule
// for jobs.Options.Periodic: every hour (a warning goes out once per level,
// on the first run of its day) and once at start. jobs returns the client
// the mails are queued with, known only once the registry is built.
func TermWarningsJob(reg *river.Workers, d *db.DB, jobs func() *jobs.Jobs, log *slog.Logger) *river.PeriodicJob {
	if d == nil || jobs == nil {
		panic("pratica: the term warnings need a database and the jobs client")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	river.AddWorker(reg, &termWarner{db: d, jobs: jobs, log: log})
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return TermWarningsArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// dmy writes d the Italian way, 02/01/2006.
func dmy(d calendar.Date) string { return d.In(time.UTC).Format("02/01/2006") }
