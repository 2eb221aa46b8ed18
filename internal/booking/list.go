package booking

import (
	"context"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

func list(ctx context.Context, q db.Querier, query string, args ...any) ([]*Appointment, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+appointmentColumns+` FROM booking_appointment `+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Appointment
	for rows.Next() {
		a, err := scanAppointment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ForCitizen returns a citizen's appointments, newest first: those booked
// logged in, and those booked without login under their fiscal code, which
// SPID has now proven theirs. Lapsed holds are left out.
func ForCitizen(ctx context.Context, q db.Querier, ente tenant.ID, citizen int64, fiscalCode string, now time.Time) ([]*Appointment, error) {
	if citizen <= 0 || fiscalCode == "" {
		return nil, apperr.Errorf(apperr.Invalid, "booking: for citizen: no citizen")
	}
	out, err := list(ctx, q, `WHERE ente_id = $1 AND (citizen_id = $2 OR fiscal_code = $3)
		AND state NOT IN ('held', 'expired') ORDER BY starts_at DESC, id DESC LIMIT 200`, ente, citizen, fiscalCode)
	if err != nil {
		return nil, fmt.Errorf("booking: citizen %d: %w", citizen, err)
	}
	return out, nil
}

// ForDay returns an office's appointments of one day (confirmed or later,
// cancelled ones too so that the desk sees them), in order of time; calendar
// zero means every calendar.
func ForDay(ctx context.Context, q db.Querier, ente tenant.ID, office int64, cal CalendarID, day calendar.Date) ([]*Appointment, error) {
	out, err := list(ctx, q, `WHERE ente_id = $1 AND office_id = $2 AND ($3 = 0 OR calendar_id = $3)
		AND starts_at >= $4 AND starts_at < $5 AND state NOT IN ('held', 'expired')
		ORDER BY starts_at, id`, ente, office, cal, ts(day.In(rome)), ts(day.AddDays(1).In(rome)))
	if err != nil {
		return nil, fmt.Errorf("booking: office %d day %v: %w", office, day, err)
	}
	return out, nil
}

// ForFiscalCode returns the appointments under a fiscal code, newest first,
// for the desk's view of a citizen.
func ForFiscalCode(ctx context.Context, q db.Querier, ente tenant.ID, fiscalCode string, limit int) ([]*Appointment, error) {
	out, err := list(ctx, q, `WHERE ente_id = $1 AND fiscal_code = $2 AND state NOT IN ('held', 'expired')
		ORDER BY starts_at DESC, id DESC LIMIT $3`, ente, fiscalCode, limit)
	if err != nil {
		return nil, fmt.Errorf("booking: appointments by fiscal code: %w", err)
	}
	return out, nil
}

// Transitions the desk may make, from → to.
var transitions = map[State][]State{
	Confirmed: {CheckedIn, NoShow, Cancelled},
	CheckedIn: {Served, NoShow, Redirected},
}

// SetOutcome moves an appointment along the desk's transitions: check-in,
// then served, no-show or redirected. Anything else is a Conflict.
func SetOutcome(ctx context.Context, tx db.Querier, ente tenant.ID, id ID, to State, now time.Time) (*Appointment, error) {
	a, err := scanAppointment(tx.QueryRowContext(ctx, `UPDATE booking_appointment SET updated_at = updated_at
		WHERE ente_id = $1 AND id = $2 RETURNING `+appointmentColumns, ente, id))
	if err != nil {
		return nil, fmt.Errorf("booking: appointment %d: %w", id, notFound(err))
	}
	ok := false
	for _, s := range transitions[a.State] {
		ok = ok || s == to
	}
	if !ok {
		return nil, &apperr.Error{Kind: apperr.Conflict, Public: "Operazione non possibile in questo stato.",
			Err: fmt.Errorf("booking: appointment %d: %s → %s", id, a.State, to)}
	}
	if to == Cancelled || to == NoShow {
		// The seat is of no more use to anyone once missed; a cancellation
		// by the office frees it for others.
		if _, err := tx.ExecContext(ctx, `DELETE FROM booking_cell WHERE ente_id = $1 AND appointment_id = $2`, ente, id); err != nil {
			return nil, fmt.Errorf("booking: appointment %d: %w", id, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE booking_appointment SET state = $3, updated_at = $4
		WHERE ente_id = $1 AND id = $2`, ente, id, string(to), ts(now)); err != nil {
		return nil, fmt.Errorf("booking: appointment %d: %w", id, err)
	}
	a.State, a.UpdatedAt = to, ts(now)
	return a, nil
}

// ForDays returns an office's appointments of days days from first
// (confirmed or later, cancelled ones too), in order of time: what the
// office's clerks see of the days ahead.
func ForDays(ctx context.Context, q db.Querier, ente tenant.ID, office int64, first calendar.Date, days int) ([]*Appointment, error) {
	out, err := list(ctx, q, `WHERE ente_id = $1 AND office_id = $2 AND starts_at >= $3 AND starts_at < $4
		AND state NOT IN ('held', 'expired') ORDER BY starts_at, id`,
		ente, office, ts(first.In(rome)), ts(first.AddDays(days).In(rome)))
	if err != nil {
		return nil, fmt.Errorf("booking: office %d days %v+%d: %w", office, first, days, err)
	}
	return out, nil
}
