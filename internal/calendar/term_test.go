package calendar

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDeadline(t *testing.T) {
	national := mustNew(t, Options{})
	ala := mustNew(t, alaOptions())
	saturday := mustNew(t, Options{SaturdayWorking: true})
	cal := func(days int) Term { return Term{Days: days} }
	work := func(days int) Term { return Term{Days: days, Kind: WorkingDays} }
	tests := []struct {
		name  string
		c     *Calendar
		start Date
		term  Term
		susp  []Interval
		want  Date
	}{
		{"30 days, plain", national, D(2026, 3, 2), cal(30), nil, D(2026, 4, 1)},
		{"30 days ending on a Sunday", national, D(2026, 1, 2), cal(30), nil, D(2026, 2, 2)},
		{"30 days ending on a Saturday", national, D(2026, 1, 1), cal(30), nil, D(2026, 2, 2)},
		{"30 days ending on a Saturday, Saturday open", saturday, D(2026, 1, 1), cal(30), nil, D(2026, 1, 31)},
		{"30 days ending on Christmas, then 26, then Sunday", national, D(2026, 11, 25), cal(30), nil, D(2026, 12, 28)},
		{"30 days ending on Easter Sunday", national, D(2026, 3, 6), cal(30), nil, D(2026, 4, 7)},
		{"30 days across Easter", national, D(2026, 3, 20), cal(30), nil, D(2026, 4, 20)},
		{"5 working days across Easter", national, D(2026, 3, 31), work(5), nil, D(2026, 4, 8)},
		{"2 working days of a residence change", national, D(2026, 4, 3), work(2), nil, D(2026, 4, 8)},
		{"5 working days across Ala's patron day", ala, D(2025, 2, 11), work(5), nil, D(2025, 2, 19)},
		{"5 working days, no patron day", national, D(2025, 2, 11), work(5), nil, D(2025, 2, 18)},
		{"30 days ending on Ala's patron day", ala, D(2025, 1, 15), cal(30), nil, D(2025, 2, 17)},
		{"30 days ending on 14 February elsewhere", national, D(2025, 1, 15), cal(30), nil, D(2025, 2, 14)},
		{"leap year: 30 days over 29 February", national, D(2024, 2, 10), cal(30), nil, D(2024, 3, 11)},
		{"no leap year: 30 days ending on a Sunday", national, D(2023, 2, 10), cal(30), nil, D(2023, 3, 13)},
		{"leap year: ending on 29 February", national, D(2024, 1, 30), cal(30), nil, D(2024, 2, 29)},
		{"60 days ending on 1 May, then a weekend", national, D(2026, 3, 2), cal(60), nil, D(2026, 5, 4)},
		{"60 days, one suspension of 15 days", national, D(2026, 3, 2), cal(60),
			[]Interval{{D(2026, 3, 12), D(2026, 3, 27)}}, D(2026, 5, 18)},
		{"60 days, two suspensions of 15 and 10 days", national, D(2026, 3, 2), cal(60),
			[]Interval{{D(2026, 4, 20), D(2026, 4, 30)}, {D(2026, 3, 12), D(2026, 3, 27)}}, D(2026, 5, 26)},
		{"60 days, overlapping suspensions are merged", national, D(2026, 3, 2), cal(60),
			[]Interval{{D(2026, 3, 12), D(2026, 3, 27)}, {D(2026, 3, 20), D(2026, 3, 30)}}, D(2026, 5, 19)},
		{"suspension asked and answered the same day", national, D(2026, 3, 2), cal(30),
			[]Interval{{D(2026, 3, 12), D(2026, 3, 12)}}, D(2026, 4, 1)},
		{"suspension asked on the last day is too late", national, D(2026, 3, 2), cal(30),
			[]Interval{{D(2026, 4, 1), D(2026, 4, 20)}}, D(2026, 4, 1)},
		{"suspension asked the day before the last", national, D(2026, 3, 2), cal(30),
			[]Interval{{D(2026, 3, 31), D(2026, 4, 20)}}, D(2026, 4, 21)},
		{"suspension asked on the start day", national, D(2026, 3, 2), cal(30),
			[]Interval{{D(2026, 3, 2), D(2026, 3, 12)}}, D(2026, 4, 13)},
		{"suspension before the start is clipped", national, D(2026, 3, 2), cal(30),
			[]Interval{{D(2026, 2, 1), D(2026, 3, 12)}}, D(2026, 4, 13)},
		{"10-bis notice: 45 days, 10 days suspended", national, D(2026, 9, 1), cal(45),
			[]Interval{{D(2026, 10, 1), D(2026, 10, 11)}}, D(2026, 10, 26)},
		{"working days with a suspension", national, D(2026, 3, 2), work(10),
			[]Interval{{D(2026, 3, 4), D(2026, 3, 10)}}, D(2026, 3, 20)},
		{"open suspension: no deadline", national, D(2026, 3, 2), cal(30),
			[]Interval{{From: D(2026, 3, 12)}}, Date{}},
		{"open suspension after expiry: no effect", national, D(2026, 3, 2), cal(30),
			[]Interval{{From: D(2026, 4, 2)}}, D(2026, 4, 1)},
		{"open suspension, working days", national, D(2026, 3, 2), work(10),
			[]Interval{{From: D(2026, 3, 4)}}, Date{}},
		{"0 days on a working day", national, D(2026, 3, 2), cal(0), nil, D(2026, 3, 2)},
		{"0 days on a Sunday", national, D(2026, 3, 1), work(0), nil, D(2026, 3, 2)},
		{"negative days clamp to 0", national, D(2026, 3, 2), cal(-5), nil, D(2026, 3, 2)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.c.Deadline(tc.start, tc.term, tc.susp)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Deadline mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRemaining(t *testing.T) {
	c := mustNew(t, Options{})
	start := D(2026, 3, 2)
	cal30 := Term{Days: 30, SilentAssent: true}
	work10 := Term{Days: 10, Kind: WorkingDays}
	tests := []struct {
		name string
		now  Date
		term Term
		susp []Interval
		want Countdown
	}{
		{"day of filing", start, cal30, nil, Countdown{Deadline: D(2026, 4, 1), Left: 30}},
		{"last day", D(2026, 4, 1), cal30, nil, Countdown{Deadline: D(2026, 4, 1), Left: 0}},
		{"expired", D(2026, 4, 4), cal30, nil, Countdown{Deadline: D(2026, 4, 1), Left: -3}},
		{"suspended: the count stands still, day 1", D(2026, 3, 13), cal30,
			[]Interval{{From: D(2026, 3, 12)}}, Countdown{Deadline: D(2026, 4, 2), Left: 20, Suspended: true}},
		{"suspended: the count stands still, day 9", D(2026, 3, 21), cal30,
			[]Interval{{From: D(2026, 3, 12)}}, Countdown{Deadline: D(2026, 4, 10), Left: 20, Suspended: true}},
		{"resumed", D(2026, 3, 23), cal30,
			[]Interval{{D(2026, 3, 12), D(2026, 3, 22)}}, Countdown{Deadline: D(2026, 4, 13), Left: 21}},
		{"open suspension after expiry", D(2026, 4, 3), cal30,
			[]Interval{{From: D(2026, 4, 2)}}, Countdown{Deadline: D(2026, 4, 1), Left: -2}},
		{"working days", D(2026, 3, 6), work10, nil, Countdown{Deadline: D(2026, 3, 16), Left: 6}},
		{"working days, over the weekend", D(2026, 3, 7), work10, nil, Countdown{Deadline: D(2026, 3, 16), Left: 6}},
		{"working days, expired", D(2026, 3, 18), work10, nil, Countdown{Deadline: D(2026, 3, 16), Left: -2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Remaining(tc.now, start, tc.term, tc.susp)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Remaining mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWarn(t *testing.T) {
	c := mustNew(t, Options{})
	deadline := D(2026, 4, 1) // Wednesday
	type result struct {
		Level int
		Due   bool
	}
	tests := []struct {
		name string
		now  Date
		last int
		want result
	}{
		{"far away", D(2026, 3, 2), 0, result{}},
		{"8 working days left", D(2026, 3, 20), 0, result{}},
		{"7 working days left", D(2026, 3, 23), 0, result{7, true}},
		{"7 again the next day: already sent", D(2026, 3, 24), 7, result{7, false}},
		{"3 left", D(2026, 3, 27), 7, result{3, true}},
		{"weekend after the 3: nothing new", D(2026, 3, 28), 3, result{3, false}},
		{"missed runs: one warning, the tightest", D(2026, 3, 30), 0, result{3, true}},
		{"1 left", D(2026, 3, 31), 3, result{1, true}},
		{"expires today", D(2026, 4, 1), 3, result{1, true}},
		{"expired", D(2026, 4, 2), 1, result{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			level, due := c.Warn(tc.now, deadline, tc.last)
			if diff := cmp.Diff(tc.want, result{level, due}); diff != "" {
				t.Errorf("Warn mismatch (-want +got):\n%s", diff)
			}
		})
	}
	custom := mustNew(t, Options{WarnAt: []int{10, 2, 10}})
	if level, due := custom.Warn(D(2026, 3, 18), deadline, 0); level != 10 || !due {
		t.Errorf("custom Warn = %d, %v; want 10, true", level, due)
	}
}

func TestTermValidate(t *testing.T) {
	tests := []struct {
		term Term
		ok   bool
	}{
		{Term{Days: 30}, true},
		{Term{Days: 0, Kind: WorkingDays}, true},
		{Term{Days: MaxTermDays}, true},
		{Term{Days: -1}, false},
		{Term{Days: MaxTermDays + 1}, false},
		{Term{Days: 30, Kind: 7}, false},
	}
	for _, tc := range tests {
		if err := tc.term.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v.Validate() = %v, want ok %v", tc.term, err, tc.ok)
		}
	}
}

// FuzzDeadline checks the properties every deadline must have, whatever the
// dates: never before the start, on a working day, monotone in the number of
// days, never shortened by a suspension, and for working-day terms exactly
// Days working days after the start.
func FuzzDeadline(f *testing.F) {
	f.Add(int32(20514), uint16(30), false, false, uint16(10), uint16(15), uint16(40), uint16(10))
	f.Add(int32(20600), uint16(5), true, true, uint16(0), uint16(0), uint16(1), uint16(3))
	f.Add(int32(19700), uint16(60), false, true, uint16(59), uint16(2), uint16(60), uint16(0))
	cals := [2]*Calendar{mustNew(f, alaOptions()), mustNew(f, Options{SaturdayWorking: true})}
	f.Fuzz(func(t *testing.T, startOrd int32, days uint16, working, sat bool, from1, len1, from2, len2 uint16) {
		c := cals[0]
		if sat {
			c = cals[1]
		}
		// Dates from 1970 to about 2100, terms up to 1000 days.
		start := fromOrd(int(uint32(startOrd) % 47000))
		term := Term{Days: int(days % 1000)}
		if working {
			term.Kind = WorkingDays
		}
		iv := func(from, n uint16) Interval {
			f := start.AddDays(int(from%1200) - 30)
			return Interval{f, f.AddDays(int(n % 400))}
		}
		s1, s2 := iv(from1, len1), iv(from2, len2)

		base := c.Deadline(start, term, nil)
		if base.Before(start) {
			t.Fatalf("deadline %v before start %v", base, start)
		}
		if !c.IsWorkingDay(base) {
			t.Fatalf("deadline %v is not a working day", base)
		}
		if term.Days > 0 && !base.After(start) {
			t.Fatalf("deadline %v not after start %v for %d days", base, start, term.Days)
		}
		if term.Kind == WorkingDays && term.Days > 0 {
			if n := c.WorkingDaysBetween(start, base); n != term.Days {
				t.Fatalf("%d working days between %v and %v, want %d", n, start, base, term.Days)
			}
		}
		if term.Kind == CalendarDays {
			raw := start.AddDays(term.Days)
			if base.Before(raw) || c.AddWorkingDays(raw.AddDays(-1), 1) != base {
				t.Fatalf("deadline %v is not the first working day from %v", base, raw)
			}
		}
		longer := term
		longer.Days++
		if next := c.Deadline(start, longer, nil); next.Before(base) {
			t.Fatalf("%d days: %v; %d days: %v", term.Days, base, longer.Days, next)
		}
		one := c.Deadline(start, term, []Interval{s1})
		two := c.Deadline(start, term, []Interval{s1, s2})
		if one.Before(base) || two.Before(one) {
			t.Fatalf("suspensions shortened the term: none %v, one %v, two %v", base, one, two)
		}
		if !c.IsWorkingDay(one) || !c.IsWorkingDay(two) {
			t.Fatalf("suspended deadlines %v, %v not working days", one, two)
		}
		if swapped := c.Deadline(start, term, []Interval{s2, s1}); swapped != two {
			t.Fatalf("order of suspensions matters: %v vs %v", two, swapped)
		}
		if term.Kind == CalendarDays {
			// A suspension adds at most its own length.
			limit := c.Deadline(start, Term{Days: term.Days + s1.To.Sub(s1.From)}, nil)
			if one.After(limit) {
				t.Fatalf("one suspension %v moved %v past %v", s1, one, limit)
			}
		}
	})
}

func BenchmarkDeadline(b *testing.B) {
	c := mustNew(b, alaOptions())
	start := D(2026, 3, 2)
	two := []Interval{{D(2026, 3, 12), D(2026, 3, 27)}, {D(2026, 4, 20), D(2026, 4, 30)}}
	benches := []struct {
		name string
		term Term
		susp []Interval
	}{
		{"calendar-30", Term{Days: 30}, nil},
		{"calendar-60-two-suspensions", Term{Days: 60}, two},
		{"working-30", Term{Days: 30, Kind: WorkingDays}, nil},
		{"working-60-two-suspensions", Term{Days: 60, Kind: WorkingDays}, two},
	}
	for _, bc := range benches {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Deadline(start, bc.term, bc.susp)
			}
		})
	}
}
