package calendar

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// easterGauss is Gauss's algorithm with its two exception rules, an
// implementation independent of the Meeus/Jones/Butcher one in Easter.
func easterGauss(y int) Date {
	a, b, c := y%19, y%4, y%7
	k := y / 100
	p := (13 + 8*k) / 25
	q := k / 4
	m := (15 - p + k - q) % 30
	n := (4 + k - q) % 7
	d := (19*a + m) % 30
	e := (2*b + 4*c + 6*d + n) % 7
	switch {
	case d == 29 && e == 6:
		return D(y, time.April, 19)
	case d == 28 && e == 6 && (11*m+11)%30 < 19:
		return D(y, time.April, 18)
	}
	day := 22 + d + e
	if day > 31 {
		return D(y, time.April, day-31)
	}
	return D(y, time.March, day)
}

// easterTable holds published Easter Sundays, written from the calendar
// rather than from either algorithm.
var easterTable = []Date{
	D(2000, 4, 23), D(2001, 4, 15), D(2002, 3, 31), D(2003, 4, 20), D(2004, 4, 11),
	D(2005, 3, 27), D(2006, 4, 16), D(2007, 4, 8), D(2008, 3, 23), D(2009, 4, 12),
	D(2010, 4, 4), D(2011, 4, 24), D(2012, 4, 8), D(2013, 3, 31), D(2014, 4, 20),
	D(2015, 4, 5), D(2016, 3, 27), D(2017, 4, 16), D(2018, 4, 1), D(2019, 4, 21),
	D(2020, 4, 12), D(2021, 4, 4), D(2022, 4, 17), D(2023, 4, 9), D(2024, 3, 31),
	D(2025, 4, 20), D(2026, 4, 5), D(2027, 3, 28), D(2028, 4, 16), D(2029, 4, 1),
	D(2030, 4, 21), D(2031, 4, 13), D(2032, 3, 28), D(2033, 4, 17), D(2034, 4, 9),
	D(2035, 3, 25),
}

func TestEasterTable(t *testing.T) {
	var gotMeeus, gotGauss []Date
	for _, want := range easterTable {
		gotMeeus = append(gotMeeus, Easter(want.Year))
		gotGauss = append(gotGauss, easterGauss(want.Year))
	}
	if diff := cmp.Diff(easterTable, gotMeeus); diff != "" {
		t.Errorf("Easter (Meeus) mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(easterTable, gotGauss); diff != "" {
		t.Errorf("easterGauss mismatch (-want +got):\n%s", diff)
	}
}

// TestEasterEdges covers the extremes (22 March, 25 April) and the years
// where Gauss's exception rules apply.
func TestEasterEdges(t *testing.T) {
	tests := []struct {
		name string
		want Date
	}{
		{"earliest", D(1818, 3, 22)},
		{"earliest again", D(2285, 3, 22)},
		{"latest", D(1943, 4, 25)},
		{"latest again", D(2038, 4, 25)},
		{"gauss 29/6 rule", D(1981, 4, 19)},
		{"gauss 28/6 rule", D(1954, 4, 18)},
		{"gauss 28/6 rule 2049", D(2049, 4, 18)},
		{"gauss 29/6 rule 2076", D(2076, 4, 19)},
		{"first gregorian year", D(1583, 4, 10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Easter(tc.want.Year)); diff != "" {
				t.Errorf("Easter mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, easterGauss(tc.want.Year)); diff != "" {
				t.Errorf("easterGauss mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEasterAlgorithmsAgree compares the two algorithms over every year
// from 1583 to 4099, and checks that Easter is always a Sunday between 22
// March and 25 April.
func TestEasterAlgorithmsAgree(t *testing.T) {
	for y := 1583; y <= 4099; y++ {
		m, g := Easter(y), easterGauss(y)
		if m != g {
			t.Fatalf("year %d: Meeus %v, Gauss %v", y, m, g)
		}
		if m.Weekday() != time.Sunday || m.Before(D(y, 3, 22)) || m.After(D(y, 4, 25)) {
			t.Fatalf("year %d: Easter %v (%v) out of range", y, m, m.Weekday())
		}
	}
}
