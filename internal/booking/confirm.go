package booking

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/codfisc"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/tenant"
)

// Request is what the citizen tells at the "Dettagli" and "Richiedente"
// steps.
type Request struct {
	Reason     string
	Details    string
	Name       string
	FiscalCode string
	Email      string
	Phone      string
	Address    string
}

// Problem is one field of a Request that is wrong, by key, so that the web
// layer can show its own localised message beside the field.
type Problem struct {
	Field string
	// Key names the message: "required", "too-long", "invalid".
	Key string
}

// Check returns the request's problems for an appointment on ch; none means
// it can be confirmed. The fiscal code must be a real one (never a made-up
// identifier, which broke the receiving systems of other platforms); one
// contact at least, the phone for a call-back, the address for a visit.
func (r *Request) Check(ch Channel) []Problem {
	r.normalize()
	var out []Problem
	req := func(field, v string, limit int) {
		switch {
		case v == "":
			out = append(out, Problem{field, "required"})
		case utf8.RuneCountInString(v) > limit:
			out = append(out, Problem{field, "too-long"})
		}
	}
	req("reason", r.Reason, MaxName)
	req("details", r.Details, MaxDetails)
	req("name", r.Name, MaxName)
	if r.FiscalCode == "" {
		out = append(out, Problem{"fiscal_code", "required"})
	} else if _, err := codfisc.Parse(r.FiscalCode); err != nil {
		out = append(out, Problem{"fiscal_code", "invalid"})
	}
	if r.Email != "" && mail.ValidateAddress(r.Email) != nil {
		out = append(out, Problem{"email", "invalid"})
	}
	if r.Phone != "" && !validPhone(r.Phone) {
		out = append(out, Problem{"phone", "invalid"})
	}
	switch {
	case ch == Phone && r.Phone == "":
		out = append(out, Problem{"phone", "required"})
	case r.Email == "" && r.Phone == "":
		out = append(out, Problem{"email", "required"})
	}
	if ch == Home {
		req("address", r.Address, MaxAddress)
	}
	return out
}

func (r *Request) normalize() {
	for _, p := range []*string{&r.Reason, &r.Details, &r.Name, &r.Email, &r.Phone, &r.Address} {
		*p = strings.TrimSpace(*p)
	}
	r.FiscalCode = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(r.FiscalCode), " ", ""))
	if c, err := codfisc.Parse(r.FiscalCode); err == nil {
		r.FiscalCode = c.String()
	}
}

// validPhone accepts an Italian or international number: digits, an
// optional leading +, spaces; 6 to 15 digits.
func validPhone(s string) bool {
	n := 0
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			n++
		case c == '+' && i == 0, c == ' ':
		default:
			return false
		}
	}
	return n >= 6 && n <= 15
}

// SetRequest stores the citizen's answers on a held appointment, step by
// step; they are checked in full at Confirm. A lapsed hold is ErrLapsed.
func SetRequest(ctx context.Context, tx *sql.Tx, ente tenant.ID, id ID, r Request, now time.Time) error {
	a, err := lock(ctx, tx, ente, id)
	if err != nil {
		return err
	}
	if a.State != Held || a.Lapsed(now) {
		return fmt.Errorf("booking: appointment %d: request: %w", id, ErrLapsed)
	}
	r.normalize()
	_, err = tx.ExecContext(ctx, `UPDATE booking_appointment SET reason = $3, details = $4, name = $5,
		fiscal_code = $6, email = $7, phone = $8, address = $9, updated_at = $10 WHERE ente_id = $1 AND id = $2`,
		ente, id, cut(r.Reason, MaxName), cut(r.Details, MaxDetails), cut(r.Name, MaxName), cut(r.FiscalCode, 16),
		cut(r.Email, 254), cut(r.Phone, 32), cut(r.Address, MaxAddress), ts(now))
	if err != nil {
		return fmt.Errorf("booking: appointment %d: request: %w", id, err)
	}
	return nil
}

// cut bounds what is stored of a half-typed answer; Check refuses it whole.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Request returns the answers stored on the appointment.
func (a *Appointment) Request() Request {
	return Request{Reason: a.Reason, Details: a.Details, Name: a.Name, FiscalCode: a.FiscalCode, Email: a.Email,
		Phone: a.Phone, Address: a.Address}
}

// ErrLapsed is wrapped when a hold lapsed before the citizen confirmed.
var ErrLapsed = &apperr.Error{Kind: apperr.Conflict, Public: "Il tempo per completare la prenotazione è scaduto: scegli di nuovo l'orario."}

// ErrIncomplete is wrapped when Confirm finds answers that Check refuses.
var ErrIncomplete = &apperr.Error{Kind: apperr.Invalid, Public: "Mancano alcuni dati della prenotazione."}

// Confirm turns a held appointment into a confirmed one: its cells stop
// lapsing in the same statement that checks they are still its own, so a
// hold taken over after lapsing can never be confirmed too. Call it in the
// transaction that also queues the confirmation e-mail.
func Confirm(ctx context.Context, tx *sql.Tx, ente tenant.ID, id ID, now time.Time) (*Appointment, error) {
	a, err := lock(ctx, tx, ente, id)
	if err != nil {
		return nil, err
	}
	if a.State == Confirmed {
		return a, nil // a second click of the same button
	}
	if a.State != Held || a.Lapsed(now) {
		return nil, fmt.Errorf("booking: appointment %d: confirm: %w", id, ErrLapsed)
	}
	r := a.Request()
	if len(r.Check(a.Channel)) > 0 {
		return nil, fmt.Errorf("booking: appointment %d: confirm: %w", id, ErrIncomplete)
	}
	c, err := GetCalendar(ctx, tx, ente, a.Calendar)
	if err != nil {
		return nil, fmt.Errorf("booking: appointment %d: confirm: %w", id, err)
	}
	want := len(c.cells(a.Start, a.Duration()))
	res, err := tx.ExecContext(ctx, `UPDATE booking_cell SET held_until = 0
		WHERE ente_id = $1 AND appointment_id = $2 AND held_until > $3`, ente, id, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("booking: appointment %d: confirm: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || int(n) != want {
		return nil, fmt.Errorf("booking: appointment %d: confirm: %d of %d cells: %w", id, n, want, ErrLapsed)
	}
	a.State, a.HeldUntil, a.UpdatedAt = Confirmed, time.Time{}, ts(now)
	if err := setState(ctx, tx, a); err != nil {
		return nil, err
	}
	if err := markBooked(ctx, tx, ente, a.Waitlist); err != nil {
		return nil, err
	}
	return a, nil
}

func setState(ctx context.Context, tx *sql.Tx, a *Appointment) error {
	_, err := tx.ExecContext(ctx, `UPDATE booking_appointment SET state = $3, held_until = $4, starts_at = $5,
		ends_at = $6, calendar_id = $7, updated_at = $8 WHERE ente_id = $1 AND id = $2`,
		a.Ente, a.ID, string(a.State), nullTime(a.HeldUntil), ts(a.Start), ts(a.End), a.Calendar, ts(a.UpdatedAt))
	if err != nil {
		return fmt.Errorf("booking: appointment %d: %s: %w", a.ID, a.State, err)
	}
	return nil
}

// ErrTooLate is wrapped when the citizen tries to cancel or move within the
// calendar's change notice.
var ErrTooLate = &apperr.Error{Kind: apperr.Invalid, Public: "Non è più possibile modificare l'appuntamento online: contatta l'ufficio."}

// Cancel cancels an appointment and frees its cells. A citizen (byOffice
// false) may do it only until the calendar's change notice; the office at
// any time. It returns the cancelled appointment, whose slot the caller
// offers to the waiting list with OfferFreed in the same transaction.
func Cancel(ctx context.Context, tx *sql.Tx, ente tenant.ID, id ID, byOffice bool, now time.Time) (*Appointment, error) {
	a, err := lock(ctx, tx, ente, id)
	if err != nil {
		return nil, err
	}
	if a.State != Confirmed && a.State != Held {
		return nil, apperr.Errorf(apperr.Conflict, "booking: appointment %d: cancel from %s", id, a.State)
	}
	if !byOffice {
		c, err := GetCalendar(ctx, tx, ente, a.Calendar)
		if err != nil {
			return nil, err
		}
		if a.Start.Sub(now) < time.Duration(c.ChangeMinutes)*time.Minute {
			return nil, fmt.Errorf("booking: appointment %d: cancel: %w", id, ErrTooLate)
		}
	}
	if err := release(ctx, tx, ente, id); err != nil {
		return nil, err
	}
	a.State, a.HeldUntil, a.UpdatedAt = Cancelled, time.Time{}, ts(now)
	if err := setState(ctx, tx, a); err != nil {
		return nil, err
	}
	return a, nil
}

func release(ctx context.Context, tx *sql.Tx, ente tenant.ID, id ID) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM booking_cell WHERE ente_id = $1 AND appointment_id = $2`, ente, id); err != nil {
		return fmt.Errorf("booking: appointment %d: release: %w", id, err)
	}
	return nil
}

// Move moves a confirmed appointment to another start on the same office's
// calendars, keeping its code: the old cells are freed and the new ones
// claimed in one transaction, so if the new slot is taken nothing changes.
// It returns the moved appointment and the old start, for the waiting list.
func Move(ctx context.Context, tx *sql.Tx, ente tenant.ID, hol *calendar.Calendar, office tenant.Office, id ID, start time.Time, byOffice bool, now time.Time) (*Appointment, time.Time, error) {
	a, err := lock(ctx, tx, ente, id)
	if err != nil {
		return nil, time.Time{}, err
	}
	if a.State != Confirmed {
		return nil, time.Time{}, apperr.Errorf(apperr.Conflict, "booking: appointment %d: move from %s", id, a.State)
	}
	cur, err := GetCalendar(ctx, tx, ente, a.Calendar)
	if err != nil {
		return nil, time.Time{}, err
	}
	if !byOffice && a.Start.Sub(now) < time.Duration(cur.ChangeMinutes)*time.Minute {
		return nil, time.Time{}, fmt.Errorf("booking: appointment %d: move: %w", id, ErrTooLate)
	}
	if err := release(ctx, tx, ente, id); err != nil {
		return nil, time.Time{}, err
	}
	days, err := Availability(ctx, tx, ente, hol, Query{Office: office, Service: a.Service, Channel: a.Channel,
		From: calendar.DateOf(start.In(rome)), Days: 1}, now)
	if err != nil {
		return nil, time.Time{}, err
	}
	var target CalendarID
	for _, d := range days {
		for _, s := range d.Slots {
			if s.Start.Equal(start) {
				// Stay on the same calendar when it is free.
				target = s.Calendars[0]
				for _, c := range s.Calendars {
					if c == a.Calendar {
						target = c
					}
				}
			}
		}
	}
	if target == 0 {
		return nil, time.Time{}, fmt.Errorf("booking: appointment %d: move: %w", id, ErrTaken)
	}
	c, err := GetCalendar(ctx, tx, ente, target)
	if err != nil {
		return nil, time.Time{}, err
	}
	dur := c.Services[a.Service]
	if err := claim(ctx, tx, c, id, c.cells(start, dur), 0, now); err != nil {
		return nil, time.Time{}, fmt.Errorf("booking: appointment %d: move: %w", id, err)
	}
	old := a.Start
	a.Calendar, a.Start, a.End, a.UpdatedAt = c.ID, ts(start), ts(start.Add(time.Duration(dur)*time.Minute)), ts(now)
	if _, err := tx.ExecContext(ctx, `UPDATE booking_appointment SET reminded_at = NULL WHERE ente_id = $1 AND id = $2`, ente, id); err != nil {
		return nil, time.Time{}, fmt.Errorf("booking: appointment %d: move: %w", id, err)
	}
	a.RemindedAt = time.Time{}
	if err := setState(ctx, tx, a); err != nil {
		return nil, time.Time{}, err
	}
	return a, old, nil
}

// Sweep marks lapsed holds expired and deletes the cells they still own;
// availability already ignores them, so this only keeps the tables small.
func Sweep(ctx context.Context, q db.Querier, now time.Time) (int64, error) {
	if _, err := q.ExecContext(ctx, `DELETE FROM booking_cell WHERE held_until > 0 AND held_until <= $1`, now.Unix()); err != nil {
		return 0, fmt.Errorf("booking: sweep: %w", err)
	}
	res, err := q.ExecContext(ctx, `UPDATE booking_appointment SET state = 'expired', held_until = NULL, updated_at = $1
		WHERE state = 'held' AND held_until <= $1`, ts(now))
	if err != nil {
		return 0, fmt.Errorf("booking: sweep: %w", err)
	}
	return res.RowsAffected()
}
