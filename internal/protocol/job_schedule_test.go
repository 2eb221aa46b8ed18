package protocol

import (
	"testing"
	"time"

	"github.com/sportello/sportello/internal/calendar"
)

// TestDailyAtFollowsRome: the daily job runs at 00:15 on Rome's clock on
// every day, the two DST days included.
func TestDailyAtFollowsRome(t *testing.T) {
	s := dailyAt{hour: 0, minute: 15}
	u := func(month time.Month, day, hour, min int) time.Time {
		return time.Date(2026, month, day, hour, min, 0, 0, time.UTC)
	}
	tests := []struct {
		name     string
		now, got time.Time
	}{
		{"winter evening", u(3, 2, 18, 0), u(3, 2, 23, 15)},
		{"winter, just before", u(3, 2, 23, 14), u(3, 2, 23, 15)},
		{"winter, on time", u(3, 2, 23, 15), u(3, 3, 23, 15)},
		{"night of the change to summer time", u(3, 28, 23, 20), u(3, 29, 22, 15)},
		{"summer", u(7, 1, 12, 0), u(7, 1, 22, 15)},
		{"night of the change to winter time", u(10, 24, 22, 15), u(10, 25, 23, 15)},
		{"new year's eve", u(12, 31, 20, 0), u(12, 31, 23, 15)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Next(tc.now); !got.Equal(tc.got) {
				t.Errorf("Next(%s) = %s, want %s", tc.now, got.UTC(), tc.got)
			}
		})
	}
}

func TestLastClosedDay(t *testing.T) {
	u := func(month time.Month, day, hour, min int) time.Time {
		return time.Date(2026, month, day, hour, min, 0, 0, time.UTC)
	}
	tests := []struct {
		now  time.Time
		want calendar.Date
	}{
		{u(3, 2, 23, 4), calendar.D(2026, 3, 1)}, // 00:04 in Rome: 2 March not yet settled
		{u(3, 2, 23, 5), calendar.D(2026, 3, 2)},
		{u(7, 1, 21, 59), calendar.D(2026, 6, 30)}, // 23:59 in Rome
		{u(7, 1, 22, 5), calendar.D(2026, 7, 1)},
		{u(12, 31, 23, 5), calendar.D(2026, 12, 31)},
	}
	for _, tc := range tests {
		got, err := lastClosedDay(tc.now)
		if err != nil || got != tc.want {
			t.Errorf("lastClosedDay(%s) = %s, %v; want %s", tc.now, got, err, tc.want)
		}
	}
}
