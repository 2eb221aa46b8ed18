package booking

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// Query asks for the free slots of a service at an office.
type Query struct {
	Office tenant.Office
	// Service is the slug of the service (the "Motivo").
	Service string
	// Channel limits the calendars to one channel; "" means any.
	Channel Channel
	// From is the first day to look at; Days how many.
	From calendar.Date
	Days int
}

// Slot is a start time at which at least one calendar has a free seat.
type Slot struct {
	Start, End time.Time
	// Calendars are those that can take it, in id order.
	Calendars []CalendarID
}

// Day is one day's free slots, in order.
type Day struct {
	Date  calendar.Date
	Slots []Slot
}

// MaxDays bounds one availability query.
const MaxDays = 92

// Availability returns the days from q.From with at least one free slot for
// q.Service at q.Office, at most q.Days of them, respecting each calendar's
// hours (or the office's), seats, booking window and minimum notice, the
// office's closures and the ente's holidays. A hold that has lapsed frees
// its slot here at once. A nil hol means the national holidays only.
func Availability(ctx context.Context, q db.Querier, ente tenant.ID, hol *calendar.Calendar, in Query, now time.Time) ([]Day, error) {
	if hol == nil {
		var err error
		if hol, err = calendar.New(calendar.Options{}); err != nil {
			return nil, fmt.Errorf("booking: availability: %w", err)
		}
	}
	if in.Days < 1 || in.Days > MaxDays || !in.From.Valid() || strings.TrimSpace(in.Service) == "" {
		return nil, apperr.Errorf(apperr.Invalid, "booking: availability: %d days from %v for %q", in.Days, in.From, in.Service)
	}
	cals, err := Calendars(ctx, q, ente, CalendarFilter{Office: in.Office.ID, Service: in.Service, Channel: in.Channel})
	if err != nil {
		return nil, err
	}
	if len(cals) == 0 {
		return nil, nil
	}
	last := in.From.AddDays(in.Days - 1)
	cl, err := closures(ctx, q, ente, in.Office.ID, in.From, last)
	if err != nil {
		return nil, err
	}
	// A day before From, for a slot whose travel time spills past midnight.
	occ, err := occupancy(ctx, q, ente, in.Office.ID, in.From.AddDays(-1).In(rome), last.AddDays(2).In(rome), now)
	if err != nil {
		return nil, err
	}
	return compute(cals, in, cl, hol, occ, now), nil
}

// occupied counts the taken seats of each cell of each calendar.
type occupied map[CalendarID]map[int64]int

// occupancy reads the seats taken between from and to on the office's
// calendars: confirmed appointments and holds that have not lapsed. Rows
// come one per seat-cell and are counted here: the engines' GROUP BY costs
// more than it saves on cells that mostly have one seat.
func occupancy(ctx context.Context, q db.Querier, ente tenant.ID, office int64, from, to, now time.Time) (occupied, error) {
	rows, err := q.QueryContext(ctx, `SELECT calendar_id, minute FROM booking_cell
		WHERE ente_id = $1 AND calendar_id IN (SELECT id FROM booking_calendar WHERE ente_id = $1 AND office_id = $2)
		AND minute >= $3 AND minute < $4 AND (held_until = 0 OR held_until > $5)`,
		ente, office, minuteOf(from), minuteOf(to), now.Unix())
	if err != nil {
		return nil, fmt.Errorf("booking: occupancy: %w", err)
	}
	defer rows.Close()
	out := occupied{}
	var last CalendarID
	var cur map[int64]int
	for rows.Next() {
		var c CalendarID
		var m int64
		if err := rows.Scan(&c, &m); err != nil {
			return nil, fmt.Errorf("booking: occupancy: %w", err)
		}
		if cur == nil || c != last {
			if cur = out[c]; cur == nil {
				cur = map[int64]int{}
				out[c] = cur
			}
			last = c
		}
		cur[m]++
	}
	return out, rows.Err()
}

func minuteOf(t time.Time) int64 { return t.Unix() / 60 }

// compute is Availability without the database, so that its benchmark and
// its tables need none.
func compute(cals []*Calendar, in Query, cl []Closure, hol *calendar.Calendar, occ occupied, now time.Time) []Day {
	today := calendar.DateOf(now.In(rome))
	var out []Day
	for i := range in.Days {
		d := in.From.AddDays(i)
		if hol.IsHoliday(d) {
			continue
		}
		byStart := map[time.Time]*Slot{}
		for _, c := range cals {
			if d.Sub(today) > c.WindowDays || closed(cl, c.ID, d) {
				continue
			}
			dur := c.Services[in.Service]
			earliest := now.Add(time.Duration(c.NoticeMinutes) * time.Minute)
			for _, iv := range c.intervals(in.Office, d) {
				for start := iv[0]; !start.Add(time.Duration(dur) * time.Minute).After(iv[1]); start = start.Add(time.Duration(dur) * time.Minute) {
					if start.Before(earliest) || !c.free(occ[c.ID], start, dur) {
						continue
					}
					s := byStart[start]
					if s == nil {
						s = &Slot{Start: start.UTC(), End: start.Add(time.Duration(dur) * time.Minute).UTC()}
						byStart[start] = s
					}
					s.Calendars = append(s.Calendars, c.ID)
				}
			}
		}
		if len(byStart) == 0 {
			continue
		}
		day := Day{Date: d, Slots: make([]Slot, 0, len(byStart))}
		for _, s := range byStart {
			day.Slots = append(day.Slots, *s)
		}
		slices.SortFunc(day.Slots, func(a, b Slot) int { return a.Start.Compare(b.Start) })
		out = append(out, day)
	}
	return out
}

// intervals returns the day's opening intervals of the calendar (its own
// hours, or the office's), as instants.
func (c *Calendar) intervals(o tenant.Office, d calendar.Date) [][2]time.Time {
	hours := c.Hours
	if len(hours) == 0 {
		hours = o.Hours
	}
	var out [][2]time.Time
	for _, h := range hours {
		if h.Weekday != d.Weekday() {
			continue
		}
		out = append(out, [2]time.Time{at(d, h.Opens), at(d, h.Closes)})
	}
	slices.SortFunc(out, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	return out
}

// at is the instant of "HH:MM" on d in Rome; hours were validated.
func at(d calendar.Date, hhmm string) time.Time {
	h := int(hhmm[0]-'0')*10 + int(hhmm[1]-'0')
	m := int(hhmm[3]-'0')*10 + int(hhmm[4]-'0')
	return time.Date(d.Year, d.Month, d.Day, h, m, 0, 0, rome)
}

// cells lists the cells an appointment of dur minutes from start occupies
// on c: its own and, for home visits, the travel time after it.
func (c *Calendar) cells(start time.Time, dur int) []int64 {
	first := minuteOf(start)
	n := (dur + c.TravelMinutes + c.Step - 1) / c.Step
	out := make([]int64, n)
	for i := range out {
		out[i] = first + int64(i*c.Step)
	}
	return out
}

func (c *Calendar) free(occ map[int64]int, start time.Time, dur int) bool {
	first := minuteOf(start)
	n := (dur + c.TravelMinutes + c.Step - 1) / c.Step
	for i := range n {
		if occ[first+int64(i*c.Step)] >= c.Seats {
			return false
		}
	}
	return true
}

func closed(cl []Closure, c CalendarID, d calendar.Date) bool {
	for _, x := range cl {
		if (x.Calendar == 0 || x.Calendar == c) && !d.Before(x.First) && !d.After(x.Last) {
			return true
		}
	}
	return false
}
