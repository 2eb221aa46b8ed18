package codfisc

import (
	"testing"
	"time"
)

func TestCompute(t *testing.T) {
	tests := []struct {
		surname, name string
		sex           byte
		born          time.Time
		place         string
		want          Code
	}{
		{"Rossi", "Mario", 'M', date(1980, 1, 1), "H501", "RSSMRA80A01H501U"},
		{"Bianchi", "Giulia", 'F', date(1992, 7, 15), "L378", "BNCGLI92L55L378V"},
		{"De Luca", "Gianfranco", 'M', date(1950, 2, 28), "A372", "DLCGFR50B28A372I"},
		{"Fo", "Al", 'M', date(1969, 10, 9), "H612", "FOXLAX69R09H612M"},
		{"Rossi", "Mario", 'M', date(1945, 3, 12), "F205", "RSSMRA45C12F205C"},
	}
	for _, tc := range tests {
		t.Run(string(tc.want), func(t *testing.T) {
			got, err := Compute(tc.surname, tc.name, tc.sex, tc.born, tc.place)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			if got != tc.want {
				t.Errorf("Compute = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestComputeAccents(t *testing.T) {
	a, err := Compute("Nicolò", "Zoë", 'F', date(2001, 4, 4), "A116")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compute("Nicolo", "Zoe", 'F', date(2001, 4, 4), "A116")
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("accented %s, plain %s: want the same code", a, b)
	}
}

func TestComputeInvalid(t *testing.T) {
	for _, tc := range []struct {
		name          string
		surname, give string
		sex           byte
		place         string
	}{
		{"sex", "Rossi", "Mario", 'X', "H501"},
		{"place", "Rossi", "Mario", 'M', "H50"},
		{"no letters", "123", "Mario", 'M', "H501"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := Compute(tc.surname, tc.give, tc.sex, date(1980, 1, 1), tc.place); err == nil {
				t.Errorf("Compute = %s, want an error", c)
			}
		})
	}
}

func TestOmocodic(t *testing.T) {
	// Variants of python-stdnum's doctest for RSSMRA45C12F205C (the Agenzia
	// substitutes from the right, one more digit per homonym); the others
	// are recomputed and must parse.
	want := map[int]Code{0: "RSSMRA45C12F205C", 1: "RSSMRA45C12F20RX", 2: "RSSMRA45C12F2LRI", 7: "RSSMRAQRCMNFNLRG"}
	for n := range 8 {
		got, err := Code("RSSMRA45C12F205C").Omocodic(n)
		if err != nil {
			t.Fatalf("Omocodic(%d): %v", n, err)
		}
		if w, ok := want[n]; ok && got != w {
			t.Errorf("Omocodic(%d) = %s, want %s", n, got, w)
		}
		if got.Canonical() != "RSSMRA45C12F205C" {
			t.Errorf("%s.Canonical() = %s", got, got.Canonical())
		}
	}
	if _, err := Code("RSSMRA45C12F205C").Omocodic(8); err == nil {
		t.Error("Omocodic(8): want an error")
	}
}
