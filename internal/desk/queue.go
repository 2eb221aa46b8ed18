// Package desk is the front office (punto risposte): the waiting room's
// queue — check-in with a number, the screen, "call next", the outcome —
// its statistics, and the log of every assistance contact with its
// monthly figures for the mayor's report.
package desk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// TicketID identifies a ticket within its ente.
type TicketID int64

// State is where a ticket is: waiting, called to a desk, then closed with
// an outcome.
type State string

// The states of a ticket; the last three are the outcomes.
const (
	Waiting    State = "waiting"
	Called     State = "called"
	Served     State = "served"
	NoShow     State = "no-show"
	Redirected State = "redirected"
)

// Outcomes lists the outcomes the console offers, in order.
var Outcomes = []State{Served, NoShow, Redirected}

// Ticket is one person in the waiting room, with or without appointment.
type Ticket struct {
	ID     TicketID
	Ente   tenant.ID
	Office int64
	Day    calendar.Date
	// Number is what the screen shows, from 1 each day and office.
	Number      int
	Appointment booking.ID
	// Label is what the operator sees of who waits (a name, a service);
	// the public screen shows only the number.
	Label     string
	State     State
	Desk      string
	Operator  identity.OperatorID
	CreatedAt time.Time
	CalledAt  time.Time
	ClosedAt  time.Time
}

// Wait is how long the person waited before being called.
func (t *Ticket) Wait() time.Duration {
	if t.CalledAt.IsZero() {
		return 0
	}
	return t.CalledAt.Sub(t.CreatedAt)
}

func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

var rome = booking.Rome()

const ticketColumns = `id, ente_id, office_id, day, number, appointment_id, label, state, desk, operator_id,
	created_at, called_at, closed_at`

type scanner interface{ Scan(dest ...any) error }

func scanTicket(s scanner) (*Ticket, error) {
	t := &Ticket{}
	var day, st string
	var appt, op sql.NullInt64
	var called, closed sql.NullTime
	if err := s.Scan(&t.ID, &t.Ente, &t.Office, &day, &t.Number, &appt, &t.Label, &st, &t.Desk, &op, &t.CreatedAt,
		&called, &closed); err != nil {
		return nil, err
	}
	var err error
	if t.Day, err = calendar.ParseDate(day); err != nil {
		return nil, err
	}
	t.Appointment, t.State, t.Operator = booking.ID(appt.Int64), State(st), identity.OperatorID(op.Int64)
	t.CreatedAt = t.CreatedAt.UTC()
	if called.Valid {
		t.CalledAt = called.Time.UTC()
	}
	if closed.Valid {
		t.ClosedAt = closed.Time.UTC()
	}
	return t, nil
}

// CheckIn gives the next number of the day to someone arriving at the
// office: with an appointment (which moves to checked-in) or without. Call
// it in a transaction.
func CheckIn(ctx context.Context, tx *sql.Tx, ente tenant.ID, office int64, appt booking.ID, label string, now time.Time) (*Ticket, error) {
	day := calendar.DateOf(now.In(rome))
	if appt != 0 {
		a, err := booking.SetOutcome(ctx, tx, ente, appt, booking.CheckedIn, now)
		if err != nil {
			return nil, fmt.Errorf("desk: check in: %w", err)
		}
		if a.Office != office {
			return nil, apperr.Errorf(apperr.Invalid, "desk: check in: appointment %d is at office %d", appt, a.Office)
		}
	}
	var n int
	err := tx.QueryRowContext(ctx, `INSERT INTO desk_counter (ente_id, office_id, day, last) VALUES ($1, $2, $3, 1)
		ON CONFLICT (ente_id, office_id, day) DO UPDATE SET last = desk_counter.last + 1 RETURNING last`,
		ente, office, day.String()).Scan(&n)
	if db.IsForeignKeyViolation(err) {
		return nil, apperr.Errorf(apperr.Invalid, "desk: check in: office %d is not of ente %d", office, ente)
	}
	if err != nil {
		return nil, fmt.Errorf("desk: check in: %w", err)
	}
	t := &Ticket{Ente: ente, Office: office, Day: day, Number: n, Appointment: appt, Label: label, State: Waiting,
		CreatedAt: ts(now)}
	err = tx.QueryRowContext(ctx, `INSERT INTO desk_ticket (ente_id, office_id, day, number, appointment_id, label,
		state, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'waiting', $7) RETURNING id`,
		ente, office, day.String(), n, nullInt(int64(appt)), label, t.CreatedAt).Scan(&t.ID)
	if err != nil {
		return nil, fmt.Errorf("desk: check in: %w", err)
	}
	return t, nil
}

// ErrEmpty is returned by CallNext when nobody is waiting.
var ErrEmpty = &apperr.Error{Kind: apperr.NotFound, Public: "Nessuno in attesa."}

// CallNext calls the person waiting longest to the operator's desk. Two
// operators calling together get two different people: the UPDATE takes
// the row only while it is still waiting.
func CallNext(ctx context.Context, tx *sql.Tx, ente tenant.ID, office int64, deskName string, op identity.OperatorID, now time.Time) (*Ticket, error) {
	day := calendar.DateOf(now.In(rome)).String()
	for range 5 {
		var id TicketID
		err := tx.QueryRowContext(ctx, `SELECT id FROM desk_ticket WHERE ente_id = $1 AND office_id = $2 AND day = $3
			AND state = 'waiting' ORDER BY number LIMIT 1`, ente, office, day).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("desk: call next: %w", ErrEmpty)
		}
		if err != nil {
			return nil, fmt.Errorf("desk: call next: %w", err)
		}
		t, err := scanTicket(tx.QueryRowContext(ctx, `UPDATE desk_ticket SET state = 'called', desk = $3, operator_id = $4,
			called_at = $5 WHERE ente_id = $1 AND id = $2 AND state = 'waiting' RETURNING `+ticketColumns,
			ente, id, deskName, op, ts(now)))
		if errors.Is(err, sql.ErrNoRows) {
			continue // called by another desk in between
		}
		if err != nil {
			return nil, fmt.Errorf("desk: call next: %w", err)
		}
		return t, nil
	}
	return nil, apperr.Errorf(apperr.Conflict, "desk: call next: too many desks at once")
}

// Close records the outcome of a called ticket and of its appointment.
func Close(ctx context.Context, tx *sql.Tx, ente tenant.ID, id TicketID, outcome State, now time.Time) (*Ticket, error) {
	if outcome != Served && outcome != NoShow && outcome != Redirected {
		return nil, apperr.Errorf(apperr.Invalid, "desk: close: outcome %q", outcome)
	}
	t, err := scanTicket(tx.QueryRowContext(ctx, `UPDATE desk_ticket SET state = $3, closed_at = $4
		WHERE ente_id = $1 AND id = $2 AND state IN ('waiting', 'called') RETURNING `+ticketColumns,
		ente, id, string(outcome), ts(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &apperr.Error{Kind: apperr.Conflict, Public: "Il numero è già stato chiuso.",
			Err: fmt.Errorf("desk: ticket %d: close: not open", id)}
	}
	if err != nil {
		return nil, fmt.Errorf("desk: ticket %d: close: %w", id, err)
	}
	if t.Appointment != 0 {
		if _, err := booking.SetOutcome(ctx, tx, ente, t.Appointment, booking.State(outcome), now); err != nil {
			return nil, fmt.Errorf("desk: ticket %d: %w", id, err)
		}
	}
	return t, nil
}

// Tickets returns an office's tickets of a day in order of number.
func Tickets(ctx context.Context, q db.Querier, ente tenant.ID, office int64, day calendar.Date) ([]*Ticket, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ticketColumns+` FROM desk_ticket WHERE ente_id = $1 AND office_id = $2
		AND day = $3 ORDER BY number`, ente, office, day.String())
	if err != nil {
		return nil, fmt.Errorf("desk: tickets: %w", err)
	}
	defer rows.Close()
	var out []*Ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, fmt.Errorf("desk: tickets: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DayStats are a day's (or a period's) figures of an office's queue.
type DayStats struct {
	Tickets, Served, NoShow, Redirected, Waiting int
	// AvgWait is the mean wait of those called.
	AvgWait time.Duration
}

// Stats sums the tickets of an office between two days, inclusive.
func Stats(ctx context.Context, q db.Querier, ente tenant.ID, office int64, first, last calendar.Date) (DayStats, error) {
	var s DayStats
	rows, err := q.QueryContext(ctx, `SELECT state, created_at, called_at FROM desk_ticket WHERE ente_id = $1
		AND office_id = $2 AND day >= $3 AND day <= $4`, ente, office, first.String(), last.String())
	if err != nil {
		return s, fmt.Errorf("desk: stats: %w", err)
	}
	defer rows.Close()
	var waited time.Duration
	called := 0
	for rows.Next() {
		var st string
		var created time.Time
		var c sql.NullTime
		if err := rows.Scan(&st, &created, &c); err != nil {
			return s, fmt.Errorf("desk: stats: %w", err)
		}
		s.Tickets++
		switch State(st) {
		case Served:
			s.Served++
		case NoShow:
			s.NoShow++
		case Redirected:
			s.Redirected++
		case Waiting:
			s.Waiting++
		}
		if c.Valid {
			waited += c.Time.Sub(created)
			called++
		}
	}
	if called > 0 {
		s.AvgWait = (waited / time.Duration(called)).Round(time.Second)
	}
	return s, rows.Err()
}
