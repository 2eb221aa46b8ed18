package calendar

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustNew(t testing.TB, opts Options) *Calendar {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// alaOptions is the demo ente: Ala (TN), patrons San Valentino (14 February)
// and Santa Maria Assunta (15 August, already national).
func alaOptions() Options {
	return Options{PatronDays: []MonthDay{{time.February, 14}, {time.August, 15}}}
}

func TestHolidays2026(t *testing.T) {
	national := []Date{
		D(2026, 1, 1), D(2026, 1, 6), D(2026, 4, 5), D(2026, 4, 6), D(2026, 4, 25),
		D(2026, 5, 1), D(2026, 6, 2), D(2026, 8, 15), D(2026, 10, 4), D(2026, 11, 1),
		D(2026, 12, 8), D(2026, 12, 25), D(2026, 12, 26),
	}
	ala := []Date{
		D(2026, 1, 1), D(2026, 1, 6), D(2026, 2, 14), D(2026, 4, 5), D(2026, 4, 6),
		D(2026, 4, 25), D(2026, 5, 1), D(2026, 6, 2), D(2026, 8, 15), D(2026, 10, 4),
		D(2026, 11, 1), D(2026, 12, 8), D(2026, 12, 25), D(2026, 12, 26),
	}
	tests := []struct {
		name string
		opts Options
		want []Date
	}{
		{"national", Options{}, national},
		{"ala", alaOptions(), ala},
		{"extra day", Options{Extra: []Date{D(2026, 3, 17)}},
			append(national[:2:2], append([]Date{D(2026, 3, 17)}, national[2:]...)...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustNew(t, tc.opts).Holidays(2026)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Holidays(2026) mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHolidaysByYear(t *testing.T) {
	c := mustNew(t, Options{})
	tests := []struct {
		name string
		d    Date
		want bool
	}{
		{"4 October before L. 151/2025", D(2025, 10, 4), false},
		{"4 October from 2026", D(2027, 10, 4), true},
		{"2 June from 2001", D(2001, 6, 2), true},
		{"2 June before 2001", D(2000, 6, 2), false},
		{"Easter Monday 2024 is 1 April", D(2024, 4, 1), true},
		{"Easter Monday 2025", D(2025, 4, 21), true},
		{"Easter Tuesday", D(2026, 4, 7), false},
		{"a plain Sunday is not a holiday", D(2026, 1, 4), false},
		{"19 March is not a civil holiday", D(2026, 3, 19), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.IsHoliday(tc.d); got != tc.want {
				t.Errorf("IsHoliday(%v) = %v, want %v", tc.d, got, tc.want)
			}
		})
	}
}

func TestIsWorkingDay(t *testing.T) {
	ala := mustNew(t, alaOptions())
	sat := mustNew(t, Options{SaturdayWorking: true})
	tests := []struct {
		name string
		c    *Calendar
		d    Date
		want bool
	}{
		{"monday", ala, D(2026, 3, 2), true},
		{"saturday closed by default", ala, D(2026, 3, 7), false},
		{"saturday open when configured", sat, D(2026, 3, 7), true},
		{"holiday on saturday stays closed", sat, D(2026, 4, 25), false},
		{"sunday always closed", sat, D(2026, 3, 8), false},
		{"patron day on a friday", ala, D(2025, 2, 14), false},
		{"patron day elsewhere is working", sat, D(2025, 2, 14), true},
		{"easter monday", ala, D(2026, 4, 6), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.IsWorkingDay(tc.d); got != tc.want {
				t.Errorf("IsWorkingDay(%v) = %v, want %v", tc.d, got, tc.want)
			}
		})
	}
}

func TestWorkingDays(t *testing.T) {
	ala := mustNew(t, alaOptions())
	tests := []struct {
		name string
		from Date
		n    int
		want Date
	}{
		{"residence, 2 days over Easter Monday", D(2026, 4, 3), 2, D(2026, 4, 8)},
		{"over a weekend", D(2026, 3, 6), 1, D(2026, 3, 9)},
		{"zero is the day itself", D(2026, 3, 7), 0, D(2026, 3, 7)},
		{"across Ala's patron day", D(2025, 2, 13), 1, D(2025, 2, 17)},
		{"backwards", D(2026, 3, 9), -1, D(2026, 3, 6)},
		{"backwards over Christmas", D(2026, 12, 28), -1, D(2026, 12, 24)},
		{"across the year", D(2026, 12, 31), 2, D(2027, 1, 5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ala.AddWorkingDays(tc.from, tc.n)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("AddWorkingDays mismatch (-want +got):\n%s", diff)
			}
			if back := ala.WorkingDaysBetween(tc.from, got); back != tc.n {
				t.Errorf("WorkingDaysBetween(%v, %v) = %d, want %d", tc.from, got, back, tc.n)
			}
		})
	}
	// 2026 has 365 days, 104 weekend days and 7 holidays on weekdays in Ala
	// (1 and 6 Jan, 6 Apr, 1 May, 2 Jun, 8 and 25 Dec); the others, 14 Feb
	// included, fall on weekends.
	if got, want := ala.WorkingDaysBetween(D(2025, 12, 31), D(2026, 12, 31)), 365-104-7; got != want {
		t.Errorf("working days in 2026 = %d, want %d", got, want)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"patron 30 February", Options{PatronDays: []MonthDay{{time.February, 30}}}},
		{"patron month 0", Options{PatronDays: []MonthDay{{0, 1}}}},
		{"extra 31 April", Options{Extra: []Date{D(2026, 4, 31)}}},
		{"warning at 0", Options{WarnAt: []int{0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if !errors.Is(err, ErrOptions) {
				t.Errorf("New error = %v, want ErrOptions", err)
			}
		})
	}
	if _, err := New(Options{PatronDays: []MonthDay{{time.February, 29}}}); err != nil {
		t.Errorf("patron 29 February rejected: %v", err)
	}
}
