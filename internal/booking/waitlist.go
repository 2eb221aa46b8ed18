package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/tenant"
)

// Wait is one person on the waiting list of a service at an office.
type Wait struct {
	ID      int64
	Office  int64
	Service string
	Channel Channel
	First   calendar.Date
	Last    calendar.Date
	Citizen int64
	Name    string
	Email   string
	// State is waiting, offered, booked or withdrawn.
	State       string
	Appointment ID
	CreatedAt   time.Time
}

// OfferFor is the longest a freed slot stays held for the person it is
// offered to; less when the appointment is sooner than that.
const OfferFor = 12 * time.Hour

// JoinWaitlist puts a person on the waiting list; they are offered the first
// slot freed between First and Last, by e-mail.
func JoinWaitlist(ctx context.Context, q db.Querier, ente tenant.ID, w *Wait, now time.Time) error {
	w.Name, w.Email = strings.TrimSpace(w.Name), strings.TrimSpace(w.Email)
	if w.Name == "" || mail.ValidateAddress(w.Email) != nil || !w.First.Valid() || !w.Last.Valid() ||
		w.Last.Before(w.First) || !w.Channel.Valid() || w.Service == "" {
		return apperr.Errorf(apperr.Invalid, "booking: waitlist: incomplete entry")
	}
	w.State, w.CreatedAt = "waiting", ts(now)
	err := q.QueryRowContext(ctx, `INSERT INTO booking_waitlist (ente_id, office_id, service, channel, first_day,
		last_day, citizen_id, name, email, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		RETURNING id`, ente, w.Office, w.Service, string(w.Channel), w.First.String(), w.Last.String(),
		nullInt(w.Citizen), w.Name, w.Email, w.State, w.CreatedAt).Scan(&w.ID)
	if db.IsForeignKeyViolation(err) {
		return apperr.Errorf(apperr.Invalid, "booking: waitlist: office or citizen is not of ente %d", ente)
	}
	if err != nil {
		return fmt.Errorf("booking: waitlist: %w", err)
	}
	return nil
}

// Offer is a freed slot held for the next person on the waiting list.
type Offer struct {
	Wait        Wait
	Appointment *Appointment
	// Token goes in the e-mailed link with the appointment's code.
	Token string
}

// OfferFreed holds the slot that freed appointment left for the first
// person waiting for its service, office and channel on its day, and
// returns the offer for the caller to e-mail in the same transaction. No
// one waiting, or too little time left to accept, is (nil, nil).
func OfferFreed(ctx context.Context, tx *sql.Tx, ente tenant.ID, freed *Appointment, now time.Time) (*Offer, error) {
	c, err := GetCalendar(ctx, tx, ente, freed.Calendar)
	if err != nil {
		return nil, err
	}
	until := now.Add(OfferFor)
	if latest := freed.Start.Add(-time.Duration(c.NoticeMinutes) * time.Minute); latest.Before(until) {
		until = latest
	}
	if !until.After(now.Add(15 * time.Minute)) {
		return nil, nil
	}
	day := calendar.DateOf(freed.Start.In(rome)).String()
	var w Wait
	var first, last string
	var cit sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT id, office_id, service, channel, first_day, last_day, citizen_id, name,
		email, created_at FROM booking_waitlist WHERE ente_id = $1 AND office_id = $2 AND service = $3
		AND channel = $4 AND state = 'waiting' AND first_day <= $5 AND last_day >= $5 ORDER BY id LIMIT 1`,
		ente, freed.Office, freed.Service, string(freed.Channel), day).Scan(&w.ID, &w.Office, &w.Service, &w.Channel,
		&first, &last, &cit, &w.Name, &w.Email, &w.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("booking: waitlist: %w", err)
	}
	w.Citizen = cit.Int64
	if w.First, err = calendar.ParseDate(first); err == nil {
		w.Last, err = calendar.ParseDate(last)
	}
	if err != nil {
		return nil, fmt.Errorf("booking: waitlist %d: %w", w.ID, err)
	}
	a, token, err := hold(ctx, tx, c, HoldInput{Service: freed.Service, Start: freed.Start, Citizen: w.Citizen}, until, now)
	if errors.Is(err, ErrTaken) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("booking: waitlist %d: offer: %w", w.ID, err)
	}
	a.Name, a.Email, a.Waitlist = w.Name, w.Email, w.ID
	if _, err := tx.ExecContext(ctx, `UPDATE booking_appointment SET name = $3, email = $4, waitlist_id = $5
		WHERE ente_id = $1 AND id = $2`, ente, a.ID, a.Name, a.Email, w.ID); err != nil {
		return nil, fmt.Errorf("booking: waitlist %d: offer: %w", w.ID, err)
	}
	w.State, w.Appointment = "offered", a.ID
	if _, err := tx.ExecContext(ctx, `UPDATE booking_waitlist SET state = 'offered', appointment_id = $3
		WHERE ente_id = $1 AND id = $2`, ente, w.ID, a.ID); err != nil {
		return nil, fmt.Errorf("booking: waitlist %d: offer: %w", w.ID, err)
	}
	return &Offer{Wait: w, Appointment: a, Token: token}, nil
}

// markBooked closes the waiting-list entry of an offer the person accepted.
func markBooked(ctx context.Context, tx *sql.Tx, ente tenant.ID, wait int64) error {
	if wait == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE booking_waitlist SET state = 'booked' WHERE ente_id = $1 AND id = $2`, ente, wait)
	if err != nil {
		return fmt.Errorf("booking: waitlist %d: %w", wait, err)
	}
	return nil
}

// OfferCompose writes the e-mail that offers a freed slot to the person
// next on the waiting list, with the link to confirm it; main builds it
// from the locale files, which this package does not read.
type OfferCompose func(ctx context.Context, q db.Querier, o *Offer) (mail.Message, error)

// PassOn passes on every offer that lapsed: the person it was held for did
// not confirm it in time, so their entry closes (withdrawn: they were
// told until when it was held) and the same slot is offered to the next
// person waiting for it, by e-mail. Each offer moves in its own
// transaction, guarded by its state, so two instances running this
// together pass it on once. It returns how many new offers it made.
func PassOn(ctx context.Context, d *db.DB, j *jobs.Jobs, compose OfferCompose, now time.Time) (int, error) {
	rows, err := d.QueryContext(ctx, `SELECT w.ente_id, w.id, w.appointment_id FROM booking_waitlist w
		JOIN booking_appointment a ON a.ente_id = w.ente_id AND a.id = w.appointment_id
		WHERE w.state = 'offered' AND (a.state = 'expired' OR (a.state = 'held' AND a.held_until <= $1))
		ORDER BY w.id LIMIT 1000`, ts(now))
	if err != nil {
		return 0, fmt.Errorf("booking: pass on offers: %w", err)
	}
	type lapsed struct {
		ente tenant.ID
		wait int64
		appt ID
	}
	var due []lapsed
	for rows.Next() {
		var l lapsed
		if err := rows.Scan(&l.ente, &l.wait, &l.appt); err != nil {
			rows.Close()
			return 0, fmt.Errorf("booking: pass on offers: %w", err)
		}
		due = append(due, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("booking: pass on offers: %w", err)
	}
	n := 0
	for _, l := range due {
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			offer, err := passOn(ctx, tx, l.ente, l.wait, l.appt, now)
			if err != nil || offer == nil {
				return err
			}
			n++
			if compose == nil || j == nil || offer.Appointment.Email == "" {
				return nil
			}
			m, err := compose(ctx, tx, offer)
			if err != nil {
				return err
			}
			_, err = mail.Queue(ctx, tx, j, m, now)
			return err
		})
		if err != nil {
			return n, fmt.Errorf("booking: pass on waitlist %d: %w", l.wait, err)
		}
	}
	return n, nil
}

// passOn closes the lapsed offer of wait and offers its slot to the next
// person; nil when another instance did it, or nobody else waits.
func passOn(ctx context.Context, tx *sql.Tx, ente tenant.ID, wait int64, appt ID, now time.Time) (*Offer, error) {
	res, err := tx.ExecContext(ctx, `UPDATE booking_waitlist SET state = 'withdrawn'
		WHERE ente_id = $1 AND id = $2 AND state = 'offered'`, ente, wait)
	if err != nil {
		return nil, err
	}
	if c, err := res.RowsAffected(); err != nil || c == 0 {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE booking_appointment SET state = 'expired', held_until = NULL, updated_at = $3
		WHERE ente_id = $1 AND id = $2 AND state = 'held'`, ente, appt, ts(now)); err != nil {
		return nil, err
	}
	freed, err := Get(ctx, tx, ente, appt)
	if err != nil {
		return nil, err
	}
	return OfferFreed(ctx, tx, ente, freed, now)
}
