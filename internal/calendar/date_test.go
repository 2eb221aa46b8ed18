package calendar

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestOrdMatchesTime checks the ordinal arithmetic and weekdays against the
// standard library over four centuries, leap rules included.
func TestOrdMatchesTime(t *testing.T) {
	epoch := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	for o := -146097; o <= 2*146097; o += 7 {
		tm := epoch.AddDate(0, 0, o)
		want := DateOf(tm)
		got := fromOrd(o)
		if got != want {
			t.Fatalf("fromOrd(%d) = %v, want %v", o, got, want)
		}
		if got.ord() != o {
			t.Fatalf("%v.ord() = %d, want %d", got, got.ord(), o)
		}
		if got.Weekday() != tm.Weekday() {
			t.Fatalf("%v.Weekday() = %v, want %v", got, got.Weekday(), tm.Weekday())
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	tests := []struct {
		name string
		d    Date
		n    int
		want Date
	}{
		{"into leap day", D(2024, 2, 28), 1, D(2024, 2, 29)},
		{"over leap day", D(2024, 2, 28), 2, D(2024, 3, 1)},
		{"no leap day 2023", D(2023, 2, 28), 1, D(2023, 3, 1)},
		{"no leap day 2100", D(2100, 2, 28), 1, D(2100, 3, 1)},
		{"leap day 2000", D(2000, 2, 28), 1, D(2000, 2, 29)},
		{"year end", D(2026, 12, 31), 1, D(2027, 1, 1)},
		{"backwards", D(2026, 3, 1), -1, D(2026, 2, 28)},
		{"dst day in Rome is one day", D(2026, 3, 28), 1, D(2026, 3, 29)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.d.AddDays(tc.n)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("AddDays mismatch (-want +got):\n%s", diff)
			}
			if back := got.Sub(tc.d); back != tc.n {
				t.Errorf("Sub = %d, want %d", back, tc.n)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{in: "2026-04-05", want: D(2026, 4, 5)},
		{in: "2024-02-29", want: D(2024, 2, 29)},
		{in: "0001-01-01", want: D(1, 1, 1)},
		{in: "2023-02-29", wantErr: true},
		{in: "2026-13-01", wantErr: true},
		{in: "2026-04-31", wantErr: true},
		{in: "0000-01-01", wantErr: true},
		{in: "2026-4-5", wantErr: true},
		{in: "2026/04/05", wantErr: true},
		{in: "+026-04-05", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDate(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseDate(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrDate) {
				t.Errorf("error %v does not wrap ErrDate", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseDate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDateJSON(t *testing.T) {
	type row struct {
		Filed Date
		Due   Date
	}
	in := row{Filed: D(2026, 4, 5)}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Filed":"2026-04-05","Due":""}`; string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	var out row
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
	if _, err := json.Marshal(row{Filed: D(2026, 2, 30)}); err == nil {
		t.Error("Marshal of 2026-02-30 succeeded")
	}
}

func TestTodayInRome(t *testing.T) {
	c := mustNew(t, Options{})
	tests := []struct {
		name string
		at   time.Time
		want Date
	}{
		{"winter, 23:30 UTC is tomorrow", time.Date(2026, 1, 31, 23, 30, 0, 0, time.UTC), D(2026, 2, 1)},
		{"summer, 22:30 UTC is tomorrow", time.Date(2026, 7, 31, 22, 30, 0, 0, time.UTC), D(2026, 8, 1)},
		{"summer, 21:59 UTC is today", time.Date(2026, 7, 31, 21, 59, 0, 0, time.UTC), D(2026, 7, 31)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, c.Today(tc.at)); diff != "" {
				t.Errorf("Today mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if got := D(2026, 3, 29).In(c.loc); got.Hour() != 0 || DateOf(got) != D(2026, 3, 29) {
		t.Errorf("In = %v, want midnight of 2026-03-29", got)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-04-05", "2024-02-29", "2023-02-29", "9999-12-31", "0000-00-00", "abcd-ef-gh", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if !d.Valid() {
			t.Fatalf("ParseDate(%q) = %v, not valid", s, d)
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q).String() = %q", s, d.String())
		}
		if fromOrd(d.ord()) != d {
			t.Fatalf("ordinal round trip of %v failed", d)
		}
	})
}
