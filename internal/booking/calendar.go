package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

var hhmmRe = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// validate checks a calendar before it is stored, so that availability never
// meets a duration that is not a multiple of the step or an hour "25:00".
func (c *Calendar) validate() error {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if strings.TrimSpace(c.Name) == "" {
		add("name is empty")
	}
	if !c.Channel.Valid() {
		add("channel %q", c.Channel)
	}
	if c.Seats < 1 || c.Seats > 50 {
		add("seats %d: 1 to 50", c.Seats)
	}
	if c.Step < 5 || c.Step > 240 {
		add("step %d: 5 to 240 minutes", c.Step)
	}
	if c.WindowDays < 1 || c.WindowDays > 366 {
		add("window %d: 1 to 366 days", c.WindowDays)
	}
	if c.NoticeMinutes < 0 || c.ChangeMinutes < 0 || c.TravelMinutes < 0 {
		add("negative notice, change notice or travel time")
	}
	if c.TravelMinutes > 0 && c.Step > 0 && c.TravelMinutes%c.Step != 0 {
		add("travel %d: a multiple of the step %d", c.TravelMinutes, c.Step)
	}
	if len(c.Services) == 0 {
		add("no services")
	}
	for s, d := range c.Services {
		if strings.TrimSpace(s) == "" || d < 5 || d > 480 || (c.Step > 0 && d%c.Step != 0) {
			add("service %q: duration %d, a multiple of the step up to 480 minutes", s, d)
		}
	}
	for _, h := range c.Hours {
		if !hhmmRe.MatchString(h.Opens) || !hhmmRe.MatchString(h.Closes) || h.Opens >= h.Closes {
			add("hours %s–%s on %s", h.Opens, h.Closes, h.Weekday)
		}
	}
	if len(probs) > 0 {
		slices.Sort(probs)
		return apperr.Errorf(apperr.Invalid, "calendar %q: %s", c.Name, strings.Join(probs, "; "))
	}
	return nil
}

const insertCalendar = `INSERT INTO booking_calendar (ente_id, office_id, name, channel, seats, step_minutes,
	window_days, notice_minutes, change_minutes, travel_minutes, active)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`

// CreateCalendar stores a new calendar of an office with its services and
// hours; an office of another ente is Invalid. Call it in a transaction.
func CreateCalendar(ctx context.Context, q db.Querier, c *Calendar) error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("booking: create calendar: %w", err)
	}
	err := q.QueryRowContext(ctx, insertCalendar, c.Ente, c.Office, strings.TrimSpace(c.Name), string(c.Channel),
		c.Seats, c.Step, c.WindowDays, c.NoticeMinutes, c.ChangeMinutes, c.TravelMinutes, c.Active).Scan(&c.ID)
	if db.IsForeignKeyViolation(err) {
		return apperr.Errorf(apperr.Invalid, "booking: create calendar: office %d is not of ente %d", c.Office, c.Ente)
	}
	if err != nil {
		return fmt.Errorf("booking: create calendar: %w", err)
	}
	return insertServicesAndHours(ctx, q, c)
}

// insertServicesAndHours stores a calendar's services and hours.
func insertServicesAndHours(ctx context.Context, q db.Querier, c *Calendar) error {
	for _, s := range slices.Sorted(mapKeys(c.Services)) {
		if _, err := q.ExecContext(ctx, `INSERT INTO booking_calendar_service (ente_id, calendar_id, service,
			duration_minutes) VALUES ($1, $2, $3, $4)`, c.Ente, c.ID, s, c.Services[s]); err != nil {
			return fmt.Errorf("booking: calendar %d: service %q: %w", c.ID, s, err)
		}
	}
	for _, h := range c.Hours {
		if _, err := q.ExecContext(ctx, `INSERT INTO booking_hours (ente_id, calendar_id, weekday, opens, closes)
			VALUES ($1, $2, $3, $4, $5)`, c.Ente, c.ID, int(h.Weekday), h.Opens, h.Closes); err != nil {
			return fmt.Errorf("booking: calendar %d: hours: %w", c.ID, err)
		}
	}
	return nil
}

// UpdateCalendar stores an administrator's changes to a calendar: its
// settings, services and hours are replaced. Appointments already booked
// keep their time; the changes apply to what is offered from now on. The
// step and the travel time cannot change while appointments are booked
// from now on (GridBookedError).
// Another ente's calendar is NotFound. Call it in a transaction.
func UpdateCalendar(ctx context.Context, q db.Querier, c *Calendar, now time.Time) error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("booking: update calendar %d: %w", c.ID, err)
	}
	if err := checkGrid(ctx, q, c, now); err != nil {
		return err
	}
	res, err := q.ExecContext(ctx, `UPDATE booking_calendar SET office_id = $3, name = $4, channel = $5, seats = $6,
		step_minutes = $7, window_days = $8, notice_minutes = $9, change_minutes = $10, travel_minutes = $11, active = $12
		WHERE ente_id = $1 AND id = $2`, c.Ente, c.ID, c.Office, strings.TrimSpace(c.Name), string(c.Channel), c.Seats,
		c.Step, c.WindowDays, c.NoticeMinutes, c.ChangeMinutes, c.TravelMinutes, c.Active)
	if db.IsForeignKeyViolation(err) {
		return apperr.Errorf(apperr.Invalid, "booking: update calendar %d: office %d is not of ente %d", c.ID, c.Office, c.Ente)
	}
	if err != nil {
		return fmt.Errorf("booking: update calendar %d: %w", c.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return &apperr.Error{Kind: apperr.NotFound, Public: "Calendario non trovato.",
			Err: fmt.Errorf("booking: update calendar %d: not of ente %d", c.ID, c.Ente)}
	}
	for _, table := range []string{"booking_calendar_service", "booking_hours"} {
		if _, err := q.ExecContext(ctx, `DELETE FROM `+table+` WHERE ente_id = $1 AND calendar_id = $2`, c.Ente, c.ID); err != nil {
			return fmt.Errorf("booking: update calendar %d: %w", c.ID, err)
		}
	}
	return insertServicesAndHours(ctx, q, c)
}

// GridBookedError refuses to change a calendar's step or travel time while
// appointments are booked on it from now on: their seats are cells of the
// old grid, which the new slots would not line up with, so a new booking
// could overlap one of them.
type GridBookedError struct {
	// Field is the setting that changed: "step" or "travel".
	Field string
	// Appointments is how many appointments (and holds) are in the way.
	Appointments int
}

func (e *GridBookedError) Error() string {
	return fmt.Sprintf("booking: the calendar's %s cannot change with %d appointments booked", e.Field, e.Appointments)
}

// checkGrid returns a GridBookedError if c changes the step or travel time
// of a calendar with appointments or live holds from now on.
func checkGrid(ctx context.Context, q db.Querier, c *Calendar, now time.Time) error {
	var step, travel int
	err := q.QueryRowContext(ctx, `SELECT step_minutes, travel_minutes FROM booking_calendar WHERE ente_id = $1 AND id = $2`,
		c.Ente, c.ID).Scan(&step, &travel)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // UpdateCalendar reports it
	}
	if err != nil {
		return fmt.Errorf("booking: update calendar %d: %w", c.ID, err)
	}
	field := ""
	switch {
	case step != c.Step:
		field = "step"
	case travel != c.TravelMinutes:
		field = "travel"
	default:
		return nil
	}
	var n int
	err = q.QueryRowContext(ctx, `SELECT COUNT(DISTINCT appointment_id) FROM booking_cell
		WHERE ente_id = $1 AND calendar_id = $2 AND minute >= $3 AND (held_until = 0 OR held_until > $4)`,
		c.Ente, c.ID, minuteOf(now)-int64(step+travel), now.Unix()).Scan(&n)
	if err != nil {
		return fmt.Errorf("booking: update calendar %d: %w", c.ID, err)
	}
	if n > 0 {
		return &GridBookedError{Field: field, Appointments: n}
	}
	return nil
}

func mapKeys(m map[string]int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// CalendarFilter selects an ente's calendars; zero fields match all.
type CalendarFilter struct {
	Office  int64
	Service string
	Channel Channel
	// Inactive includes the calendars switched off, for the
	// administrators' pages.
	Inactive bool
}

// Calendars returns the ente's active calendars matching f (inactive ones
// too when f says so), in id order, with their services and hours.
func Calendars(ctx context.Context, q db.Querier, ente tenant.ID, f CalendarFilter) ([]*Calendar, error) {
	query := `SELECT id, office_id, name, channel, seats, step_minutes, window_days, notice_minutes,
		change_minutes, travel_minutes, active FROM booking_calendar c
		WHERE ente_id = $1 AND (active OR $5) AND ($2 = 0 OR office_id = $2) AND ($3 = '' OR channel = $3)
		AND ($4 = '' OR EXISTS (SELECT 1 FROM booking_calendar_service s
			WHERE s.ente_id = c.ente_id AND s.calendar_id = c.id AND s.service = $4))
		ORDER BY id`
	rows, err := q.QueryContext(ctx, query, ente, f.Office, string(f.Channel), f.Service, f.Inactive)
	if err != nil {
		return nil, fmt.Errorf("booking: calendars: %w", err)
	}
	var out []*Calendar
	byID := map[CalendarID]*Calendar{}
	for rows.Next() {
		c := &Calendar{Ente: ente, Services: map[string]int{}}
		var ch string
		if err := rows.Scan(&c.ID, &c.Office, &c.Name, &ch, &c.Seats, &c.Step, &c.WindowDays, &c.NoticeMinutes,
			&c.ChangeMinutes, &c.TravelMinutes, &c.Active); err != nil {
			rows.Close()
			return nil, fmt.Errorf("booking: calendars: %w", err)
		}
		c.Channel = Channel(ch)
		out = append(out, c)
		byID[c.ID] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("booking: calendars: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	if err := loadServices(ctx, q, ente, byID); err != nil {
		return nil, err
	}
	if err := loadHours(ctx, q, ente, byID); err != nil {
		return nil, err
	}
	return out, nil
}

func loadServices(ctx context.Context, q db.Querier, ente tenant.ID, byID map[CalendarID]*Calendar) error {
	rows, err := q.QueryContext(ctx, `SELECT calendar_id, service, duration_minutes FROM booking_calendar_service
		WHERE ente_id = $1`, ente)
	if err != nil {
		return fmt.Errorf("booking: calendar services: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id CalendarID
		var s string
		var d int
		if err := rows.Scan(&id, &s, &d); err != nil {
			return fmt.Errorf("booking: calendar services: %w", err)
		}
		if c := byID[id]; c != nil {
			c.Services[s] = d
		}
	}
	return rows.Err()
}

func loadHours(ctx context.Context, q db.Querier, ente tenant.ID, byID map[CalendarID]*Calendar) error {
	rows, err := q.QueryContext(ctx, `SELECT calendar_id, weekday, opens, closes FROM booking_hours
		WHERE ente_id = $1 ORDER BY calendar_id, weekday, opens`, ente)
	if err != nil {
		return fmt.Errorf("booking: calendar hours: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id CalendarID
		var h tenant.Hours
		var wd int
		if err := rows.Scan(&id, &wd, &h.Opens, &h.Closes); err != nil {
			return fmt.Errorf("booking: calendar hours: %w", err)
		}
		h.Weekday = time.Weekday(wd)
		if c := byID[id]; c != nil {
			c.Hours = append(c.Hours, h)
		}
	}
	return rows.Err()
}

// GetCalendar returns one calendar of the ente, active or not; another
// ente's is NotFound.
func GetCalendar(ctx context.Context, q db.Querier, ente tenant.ID, id CalendarID) (*Calendar, error) {
	cs, err := Calendars(ctx, q, ente, CalendarFilter{Inactive: true})
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.ID == id {
			return c, nil
		}
	}
	return nil, &apperr.Error{Kind: apperr.NotFound, Public: "Calendario non trovato.",
		Err: fmt.Errorf("booking: calendar %d: %w", id, sql.ErrNoRows)}
}

// Closure is a run of days on which an office, or one of its calendars,
// takes no appointments (a strike, an election, the summer).
type Closure struct {
	// ID is set on the closures read back.
	ID     int64
	Office int64
	// Calendar is zero when the whole office is closed.
	Calendar CalendarID
	First    calendar.Date
	Last     calendar.Date
	Reason   string
}

// AddClosure records a closure. Appointments already booked on those days
// stay: the office calls those people, and the desk console lists them.
func AddClosure(ctx context.Context, q db.Querier, ente tenant.ID, c Closure) error {
	if !c.First.Valid() || !c.Last.Valid() || c.Last.Before(c.First) {
		return apperr.Errorf(apperr.Invalid, "booking: closure %v–%v", c.First, c.Last)
	}
	var cal sql.NullInt64
	if c.Calendar != 0 {
		cal = sql.NullInt64{Int64: int64(c.Calendar), Valid: true}
	}
	_, err := q.ExecContext(ctx, `INSERT INTO booking_closure (ente_id, office_id, calendar_id, first_day, last_day,
		reason) VALUES ($1, $2, $3, $4, $5, $6)`, ente, c.Office, cal, c.First.String(), c.Last.String(), c.Reason)
	if db.IsForeignKeyViolation(err) {
		return apperr.Errorf(apperr.Invalid, "booking: closure: office or calendar is not of ente %d", ente)
	}
	if err != nil {
		return fmt.Errorf("booking: closure: %w", err)
	}
	return nil
}

// RemoveClosure deletes one of the ente's closures and returns it: its days
// take appointments again. Another ente's closure is NotFound.
func RemoveClosure(ctx context.Context, q db.Querier, ente tenant.ID, id int64) (Closure, error) {
	list, err := listClosures(ctx, q, `DELETE FROM booking_closure WHERE ente_id = $1 AND id = $2 RETURNING `+closureColumns, ente, id)
	if err != nil {
		return Closure{}, err
	}
	if len(list) == 0 {
		return Closure{}, apperr.Errorf(apperr.NotFound, "booking: closure %d", id)
	}
	return list[0], nil
}

// Closures returns the ente's closures that end on from or later, by
// first day: those the administrators' page lists.
func Closures(ctx context.Context, q db.Querier, ente tenant.ID, from calendar.Date) ([]Closure, error) {
	return listClosures(ctx, q, selectClosures+`WHERE ente_id = $1 AND last_day >= $2 ORDER BY first_day, id LIMIT 500`, ente, from.String())
}

// closures returns the office's closures that touch [first, last].
func closures(ctx context.Context, q db.Querier, ente tenant.ID, office int64, first, last calendar.Date) ([]Closure, error) {
	return listClosures(ctx, q, selectClosures+`WHERE ente_id = $1 AND office_id = $2 AND last_day >= $3 AND first_day <= $4`,
		ente, office, first.String(), last.String())
}

const (
	closureColumns = `id, office_id, calendar_id, first_day, last_day, reason`
	selectClosures = `SELECT ` + closureColumns + ` FROM booking_closure `
)

// listClosures runs query, which returns closureColumns, and reads its rows.
func listClosures(ctx context.Context, q db.Querier, query string, args ...any) ([]Closure, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("booking: closures: %w", err)
	}
	defer rows.Close()
	var out []Closure
	for rows.Next() {
		var c Closure
		var cal sql.NullInt64
		var f, l string
		if err := rows.Scan(&c.ID, &c.Office, &cal, &f, &l, &c.Reason); err != nil {
			return nil, fmt.Errorf("booking: closures: %w", err)
		}
		c.Calendar = CalendarID(cal.Int64)
		if c.First, err = calendar.ParseDate(f); err == nil {
			c.Last, err = calendar.ParseDate(l)
		}
		if err != nil {
			return nil, fmt.Errorf("booking: closures: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// notFound turns sql.ErrNoRows into NotFound, so that a missing appointment
// and another ente's look the same.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &apperr.Error{Kind: apperr.NotFound, Public: "Appuntamento non trovato.", Err: err}
	}
	return err
}
