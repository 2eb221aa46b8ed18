package calendar

import (
	"errors"
	"fmt"
	"time"
)

// Date is a civil date in Europe/Rome; see the package doc for why terms are
// not computed on time.Time. The zero Date is not a valid date and means "no
// date" (an open suspension, a suspended deadline).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// D builds a Date; it exists so that tables of dates in code and tests stay
// readable.
func D(year int, month time.Month, day int) Date { return Date{year, month, day} }

// DateOf returns the civil date of t in t's own location, so that a caller
// who already holds a time in Rome does not pay for a conversion.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsZero reports whether d is the zero Date, which this package uses for "no
// date".
func (d Date) IsZero() bool { return d == Date{} }

// Valid reports whether d names a real day, so that input from forms and
// configuration can be rejected before it reaches a computation.
func (d Date) Valid() bool {
	return d.Month >= time.January && d.Month <= time.December &&
		d.Day >= 1 && d.Day <= daysIn(d.Year, d.Month)
}

// In returns midnight of d in loc, the instant to store when a column needs a
// timestamp; midnight exists in Rome on every day (DST changes at 02:00).
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns the date n calendar days after d (before it if n < 0).
func (d Date) AddDays(n int) Date { return fromOrd(d.ord() + n) }

// Sub returns the number of calendar days from e to d, so that
// e.AddDays(d.Sub(e)) == d.
func (d Date) Sub(e Date) int { return d.ord() - e.ord() }

// Compare returns -1, 0 or +1 as d is before, equal to or after e, in the
// shape slices.SortFunc and cmp expect.
func (d Date) Compare(e Date) int {
	switch a, b := d.ord(), e.ord(); {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.ord() < e.ord() }

// After reports whether d is later than e.
func (d Date) After(e Date) bool { return d.ord() > e.ord() }

// Weekday returns the day of the week of d, computed without a time zone.
func (d Date) Weekday() time.Weekday {
	// 1970-01-01 (ordinal 0) was a Thursday.
	return time.Weekday(floorMod(d.ord()+4, 7))
}

// String formats d as ISO 8601 (2026-04-05), the form used in storage, URLs
// and logs; Italian display formats belong to the templates.
func (d Date) String() string {
	if d.Year < 0 || d.Year > 9999 {
		return fmt.Sprintf("%d-%02d-%02d", d.Year, int(d.Month), d.Day)
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// MarshalText encodes d as ISO 8601 so that a Date travels in JSON and form
// values as the string users and databases expect; the zero Date is empty.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	if !d.Valid() || d.Year < 1 || d.Year > 9999 {
		return nil, fmt.Errorf("calendar: marshal invalid date %d-%d-%d", d.Year, int(d.Month), d.Day)
	}
	return []byte(d.String()), nil
}

// UnmarshalText is the inverse of MarshalText; an empty text is the zero
// Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ErrDate is returned for text that is not a valid YYYY-MM-DD date, so that
// callers can map it to an invalid-input error with errors.Is.
var ErrDate = errors.New("calendar: invalid date")

// ParseDate parses an ISO 8601 calendar date (YYYY-MM-DD, years 0001–9999),
// the format of HTML date inputs, and rejects days that do not exist.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("%w: %q", ErrDate, s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	v := Date{y, time.Month(m), d}
	if !ok1 || !ok2 || !ok3 || y == 0 || !v.Valid() {
		return Date{}, fmt.Errorf("%w: %q", ErrDate, s)
	}
	return v, nil
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if isLeap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int) int { return a - floorDiv(a, b)*b }

// ord returns the number of days from 1970-01-01 to d in the proleptic
// Gregorian calendar (H. Hinnant's days_from_civil). d must be valid.
func (d Date) ord() int {
	y, m := d.Year, int(d.Month)
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := m + 9
	if m > 2 {
		mp = m - 3
	}
	doy := (153*mp+2)/5 + d.Day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// fromOrd is the inverse of ord (civil_from_days).
func fromOrd(z int) Date {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return Date{y, time.Month(m), d}
}
