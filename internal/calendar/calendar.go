package calendar

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// MonthDay is a day that recurs every year, such as a patron saint's day,
// kept apart from Date because it has no year.
type MonthDay struct {
	Month time.Month
	Day   int
}

// Options configure a Calendar for one ente; the zero value is a calendar
// with the national holidays only, Saturday closed, Europe/Rome and the
// default warnings.
type Options struct {
	// PatronDays are the ente's recurring local holidays, usually its patron
	// saint's day (Ala: 14 February, San Valentino). 29 February is accepted
	// and applies in leap years only.
	PatronDays []MonthDay
	// Extra are one-off holidays: a national day declared for one year (17
	// March 2011) or a local one the ente must honour.
	Extra []Date
	// SaturdayWorking makes Saturday a working day, for an ente whose
	// offices open on Saturday; by default it is not (see the package doc).
	SaturdayWorking bool
	// Location is where "today" is decided; nil means Europe/Rome, which is
	// the only correct value for an Italian ente and is settable for tests.
	Location *time.Location
	// WarnAt are the thresholds, in working days before expiry, at which
	// [Calendar.Warn] raises a warning; nil means 7, 3 and 1.
	WarnAt []int
}

// Calendar answers working-day and legal-term questions for one ente. It is
// immutable after New and safe for concurrent use, so one value per ente can
// be shared by every request and job.
type Calendar struct {
	patron   []MonthDay
	extra    map[Date]struct{}
	saturday bool
	loc      *time.Location
	warnAt   []int // ascending, distinct, > 0
}

// ErrOptions is wrapped by New when the configuration is wrong, so that the
// administrator's form can report it as invalid input.
var ErrOptions = errors.New("calendar: invalid options")

// New builds the Calendar of one ente; it fails on impossible dates and when
// the time zone database lacks Europe/Rome (import time/tzdata in main for
// minimal images).
func New(opts Options) (*Calendar, error) {
	c := &Calendar{
		extra:    make(map[Date]struct{}, len(opts.Extra)),
		saturday: opts.SaturdayWorking,
		loc:      opts.Location,
	}
	for _, md := range opts.PatronDays {
		// Validated against a leap year so that 29 February is accepted.
		if !(Date{2000, md.Month, md.Day}).Valid() {
			return nil, fmt.Errorf("%w: patron day %d/%d", ErrOptions, md.Day, int(md.Month))
		}
		c.patron = append(c.patron, md)
	}
	for _, d := range opts.Extra {
		if !d.Valid() {
			return nil, fmt.Errorf("%w: extra holiday %v", ErrOptions, d)
		}
		c.extra[d] = struct{}{}
	}
	warn := opts.WarnAt
	if warn == nil {
		warn = []int{7, 3, 1}
	}
	for _, w := range warn {
		if w <= 0 {
			return nil, fmt.Errorf("%w: warning threshold %d", ErrOptions, w)
		}
	}
	c.warnAt = slices.Compact(slices.Sorted(slices.Values(warn)))
	if c.loc == nil {
		loc, err := time.LoadLocation("Europe/Rome")
		if err != nil {
			return nil, fmt.Errorf("calendar: load Europe/Rome: %w", err)
		}
		c.loc = loc
	}
	return c, nil
}

// Today returns the civil date of the instant t in the ente's location, the
// one conversion between the injected clock and this package.
func (c *Calendar) Today(t time.Time) Date { return DateOf(t.In(c.loc)) }

// IsHoliday reports whether d is a national or local holiday, whatever its
// weekday; a Sunday is not a holiday by itself, only a non-working day.
func (c *Calendar) IsHoliday(d Date) bool {
	if national(d) {
		return true
	}
	for _, md := range c.patron {
		if d.Month == md.Month && d.Day == md.Day {
			return true
		}
	}
	_, ok := c.extra[d]
	return ok
}

// national applies L. 260/1949 art. 2 as amended; see the package doc.
func national(d Date) bool {
	switch {
	case d.Month == time.January && (d.Day == 1 || d.Day == 6),
		d.Month == time.April && d.Day == 25,
		d.Month == time.May && d.Day == 1,
		d.Month == time.June && d.Day == 2 && d.Year >= 2001,
		d.Month == time.August && d.Day == 15,
		d.Month == time.October && d.Day == 4 && d.Year >= 2026,
		d.Month == time.November && d.Day == 1,
		d.Month == time.December && (d.Day == 8 || d.Day == 25 || d.Day == 26):
		return true
	case d.Month == time.March || d.Month == time.April:
		e := Easter(d.Year)
		return d == e || d == e.AddDays(1)
	}
	return false
}

// IsWorkingDay reports whether the ente's offices work on d: not a Sunday,
// not a holiday and, unless configured otherwise, not a Saturday.
func (c *Calendar) IsWorkingDay(d Date) bool {
	switch d.Weekday() {
	case time.Sunday:
		return false
	case time.Saturday:
		if !c.saturday {
			return false
		}
	}
	return !c.IsHoliday(d)
}

// Holidays lists the holidays of a year in order, for the office's calendar
// page and for checking a configuration at a glance.
func (c *Calendar) Holidays(year int) []Date {
	var out []Date
	for d := (Date{year, time.January, 1}); d.Year == year; d = d.AddDays(1) {
		if c.IsHoliday(d) {
			out = append(out, d)
		}
	}
	return out
}

// AddWorkingDays returns the n-th working day after d (before d if n < 0),
// the date by which an act due "within n working days" must be done; n == 0
// returns d itself, working or not.
func (c *Calendar) AddWorkingDays(d Date, n int) Date {
	o, step := d.ord(), 1
	if n < 0 {
		n, step = -n, -1
	}
	for n > 0 {
		o += step
		if c.IsWorkingDay(fromOrd(o)) {
			n--
		}
	}
	return fromOrd(o)
}

// WorkingDaysBetween counts the working days after a up to and including b —
// the days a term started on a has consumed by b, following dies a quo non
// computatur — and is negative, counting (b, a], when b is before a.
func (c *Calendar) WorkingDaysBetween(a, b Date) int {
	sign := 1
	if b.Before(a) {
		a, b, sign = b, a, -1
	}
	n := 0
	for o, end := a.ord()+1, b.ord(); o <= end; o++ {
		if c.IsWorkingDay(fromOrd(o)) {
			n++
		}
	}
	return sign * n
}

// nextWorkingDay returns d if it is a working day, otherwise the first
// working day after it: art. 2963 c. 3 c.c.
func (c *Calendar) nextWorkingDay(o int) int {
	for !c.IsWorkingDay(fromOrd(o)) {
		o++
	}
	return o
}
