package booking

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// HoldFor is how long a slot stays held while the citizen completes the
// form: long enough to type a fiscal code, short enough not to block others.
const HoldFor = 10 * time.Minute

const appointmentColumns = `id, ente_id, calendar_id, office_id, service, channel, state, starts_at, ends_at,
	held_until, code, token_hash, citizen_id, name, fiscal_code, email, phone, address, reason, details,
	waitlist_id, reminded_at, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanAppointment(s scanner) (*Appointment, error) {
	a := &Appointment{}
	var ch, st string
	var held, reminded sql.NullTime
	var cit, wl sql.NullInt64
	err := s.Scan(&a.ID, &a.Ente, &a.Calendar, &a.Office, &a.Service, &ch, &st, &a.Start, &a.End, &held, &a.Code,
		&a.tokenHash, &cit, &a.Name, &a.FiscalCode, &a.Email, &a.Phone, &a.Address, &a.Reason, &a.Details, &wl,
		&reminded, &a.CreatedAt, &a.UpdatedAt)
	if err != nil {
		return nil, err
	}
	a.Channel, a.State, a.Citizen, a.Waitlist = Channel(ch), State(st), cit.Int64, wl.Int64
	a.Start, a.End, a.CreatedAt, a.UpdatedAt = a.Start.UTC(), a.End.UTC(), a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	a.HeldUntil, a.RemindedAt = timeOf(held), timeOf(reminded)
	return a, nil
}

func timeOf(n sql.NullTime) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return n.Time.UTC()
}

func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: ts(t), Valid: true}
}

func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

// Lapsed reports whether a hold has lapsed at now.
func (a *Appointment) Lapsed(now time.Time) bool {
	return a.State == Held && !a.HeldUntil.After(now)
}

// Duration is the appointment's length in minutes.
func (a *Appointment) Duration() int { return int(a.End.Sub(a.Start) / time.Minute) }

// Get returns one appointment of the ente; another ente's is NotFound.
func Get(ctx context.Context, q db.Querier, ente tenant.ID, id ID) (*Appointment, error) {
	a, err := scanAppointment(q.QueryRowContext(ctx, `SELECT `+appointmentColumns+` FROM booking_appointment
		WHERE ente_id = $1 AND id = $2`, ente, id))
	if err != nil {
		return nil, fmt.Errorf("booking: appointment %d: %w", id, notFound(err))
	}
	return a, nil
}

// ByCode returns the appointment with the confirmation code and its secret
// token, as whoever booked without logging in holds them; a wrong token is
// NotFound, like a wrong code, so that codes cannot be probed.
func ByCode(ctx context.Context, q db.Querier, ente tenant.ID, code, token string) (*Appointment, error) {
	a, err := scanAppointment(q.QueryRowContext(ctx, `SELECT `+appointmentColumns+` FROM booking_appointment
		WHERE ente_id = $1 AND code = $2`, ente, NormalizeCode(code)))
	if err == nil && subtle.ConstantTimeCompare([]byte(a.tokenHash), []byte(hashToken(token))) != 1 {
		err = sql.ErrNoRows
	}
	if err != nil {
		return nil, fmt.Errorf("booking: appointment %s: %w", NormalizeCode(code), notFound(err))
	}
	return a, nil
}

// lock reads the appointment and holds its row until the transaction ends
// (see pratica's lock for why an UPDATE).
func lock(ctx context.Context, tx *sql.Tx, ente tenant.ID, id ID) (*Appointment, error) {
	a, err := scanAppointment(tx.QueryRowContext(ctx, `UPDATE booking_appointment SET updated_at = updated_at
		WHERE ente_id = $1 AND id = $2 RETURNING `+appointmentColumns, ente, id))
	if err != nil {
		return nil, fmt.Errorf("booking: appointment %d: %w", id, notFound(err))
	}
	return a, nil
}

// HoldInput is a citizen's choice at the "Data e orario" step.
type HoldInput struct {
	Office  tenant.Office
	Service string
	Channel Channel
	Start   time.Time
	// Citizen is the logged-in citizen, zero without login.
	Citizen int64
}

// ErrTaken is wrapped when the slot was taken by someone else between the
// page that offered it and the click that chose it.
var ErrTaken = &apperr.Error{Kind: apperr.Conflict, Public: "L'orario scelto non è più disponibile: scegline un altro."}

// Hold reserves the chosen slot for HoldFor on one of the calendars that
// offer it, the least loaded of the day first, so that an office's bookings
// spread over its desks. It returns the held appointment and the secret
// token that goes with its code. A slot that is not offered (outside the
// hours, too soon, closed) or no longer free is ErrTaken.
func Hold(ctx context.Context, d *db.DB, ente tenant.ID, hol *calendar.Calendar, in HoldInput, now time.Time) (*Appointment, string, error) {
	day := calendar.DateOf(in.Start.In(rome))
	days, err := Availability(ctx, d, ente, hol, Query{Office: in.Office, Service: in.Service, Channel: in.Channel,
		From: day, Days: 1}, now)
	if err != nil {
		return nil, "", fmt.Errorf("booking: hold: %w", err)
	}
	var slot *Slot
	for _, dd := range days {
		for i := range dd.Slots {
			if dd.Slots[i].Start.Equal(in.Start) {
				slot = &dd.Slots[i]
			}
		}
	}
	if slot == nil {
		return nil, "", fmt.Errorf("booking: hold %s: not offered: %w", in.Start.Format(time.RFC3339), ErrTaken)
	}
	cals, err := byLoad(ctx, d, ente, in.Office.ID, day, slot.Calendars)
	if err != nil {
		return nil, "", fmt.Errorf("booking: hold: %w", err)
	}
	for _, c := range cals {
		// One calendar per transaction: a transaction that claims cells of
		// one calendar only, in ascending order, cannot deadlock another.
		var a *Appointment
		var token string
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			a, token, err = hold(ctx, tx, c, in, now.Add(HoldFor), now)
			return err
		})
		if errors.Is(err, ErrTaken) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("booking: hold: %w", err)
		}
		return a, token, nil
	}
	return nil, "", fmt.Errorf("booking: hold %s: %w", in.Start.Format(time.RFC3339), ErrTaken)
}

const insertAppointment = `INSERT INTO booking_appointment (ente_id, calendar_id, office_id, service, channel,
	state, starts_at, ends_at, held_until, code, token_hash, citizen_id, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, 'held', $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id`

// hold inserts a held appointment on c and claims its cells, or returns
// ErrTaken; the caller rolls back on any error.
func hold(ctx context.Context, tx *sql.Tx, c *Calendar, in HoldInput, until, now time.Time) (*Appointment, string, error) {
	dur := c.Services[in.Service]
	token, hash := newToken()
	a := &Appointment{Ente: c.Ente, Calendar: c.ID, Office: c.Office, Service: in.Service, Channel: c.Channel,
		State: Held, Start: ts(in.Start), End: ts(in.Start.Add(time.Duration(dur) * time.Minute)), HeldUntil: ts(until),
		Code: newCode(), Citizen: in.Citizen, CreatedAt: ts(now), UpdatedAt: ts(now), tokenHash: hash}
	err := tx.QueryRowContext(ctx, insertAppointment, a.Ente, a.Calendar, a.Office, a.Service, string(a.Channel),
		a.Start, a.End, a.HeldUntil, a.Code, hash, nullInt(a.Citizen), a.CreatedAt).Scan(&a.ID)
	if db.IsUniqueViolation(err) {
		// Two codes alike out of 31^8: try the next calendar, or again.
		return nil, "", fmt.Errorf("code %s: %w", a.Code, ErrTaken)
	}
	if db.IsForeignKeyViolation(err) {
		return nil, "", apperr.Errorf(apperr.Invalid, "citizen %d is not of ente %d", a.Citizen, a.Ente)
	}
	if err != nil {
		return nil, "", fmt.Errorf("insert: %w", err)
	}
	if err := claim(ctx, tx, c, a.ID, c.cells(a.Start, dur), until.Unix(), now); err != nil {
		return nil, "", err
	}
	return a, token, nil
}

// claimCell takes one seat of a cell: a new row, or the row of a hold that
// has lapsed. On PostgreSQL a concurrent claimer of the same seat waits for
// this transaction and then finds the seat taken; on SQLite transactions
// are serial. Either way the primary key admits one owner per seat.
const claimCell = `INSERT INTO booking_cell (ente_id, calendar_id, minute, seat, appointment_id, held_until)
	VALUES ($1, $2, $3, $4, $5, $6)
	ON CONFLICT (ente_id, calendar_id, minute, seat) DO UPDATE
	SET appointment_id = excluded.appointment_id, held_until = excluded.held_until
	WHERE booking_cell.held_until > 0 AND booking_cell.held_until <= $7`

// claim takes a seat of every cell for the appointment, in ascending order,
// or returns ErrTaken when a cell has no seat left.
func claim(ctx context.Context, tx *sql.Tx, c *Calendar, id ID, cells []int64, heldUntil int64, now time.Time) error {
	for _, m := range cells {
		got := false
		for seat := 1; seat <= c.Seats && !got; seat++ {
			res, err := tx.ExecContext(ctx, claimCell, c.Ente, c.ID, m, seat, id, heldUntil, now.Unix())
			if err != nil {
				return fmt.Errorf("claim: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("claim: %w", err)
			}
			got = n == 1
		}
		if !got {
			return fmt.Errorf("calendar %d minute %d: %w", c.ID, m, ErrTaken)
		}
	}
	return nil
}

// byLoad orders the calendars by how many appointments each has on day,
// fewest first, then by id.
func byLoad(ctx context.Context, q db.Querier, ente tenant.ID, office int64, day calendar.Date, ids []CalendarID) ([]*Calendar, error) {
	all, err := Calendars(ctx, q, ente, CalendarFilter{Office: office})
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT calendar_id, COUNT(*) FROM booking_appointment
		WHERE ente_id = $1 AND office_id = $2 AND starts_at >= $3 AND starts_at < $4
		AND state IN ('held', 'confirmed', 'checked-in', 'served') GROUP BY calendar_id`,
		ente, office, ts(day.In(rome)), ts(day.AddDays(1).In(rome)))
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	defer rows.Close()
	load := map[CalendarID]int{}
	for rows.Next() {
		var c CalendarID
		var n int
		if err := rows.Scan(&c, &n); err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		load[c] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	var out []*Calendar
	for _, c := range all {
		if slices.Contains(ids, c.ID) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b *Calendar) int { return load[a.ID] - load[b.ID] })
	return out, nil
}
