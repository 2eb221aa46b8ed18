package codfisc

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidatePIVA(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Error // nil means valid
	}{
		{"reference vector", "00743110157", nil},
		{"reference vector, wrong check", "00743110158", &Error{Reason: ReasonCheck, Pos: 11, Got: "8", Want: "7"}},
		{"surrounding spaces", " 00743110157 ", nil},
		{"office 120", "12345671205", nil},
		{"office 999", "12345679992", nil},
		{"too short", "0074311015", &Error{Reason: ReasonLength, Got: "10", Want: "11"}},
		{"too long", "007431101570", &Error{Reason: ReasonLength, Got: "12", Want: "11"}},
		{"empty", "", &Error{Reason: ReasonLength, Got: "0", Want: "11"}},
		{"IT prefix is not stripped", "IT00743110157", &Error{Reason: ReasonLength, Got: "13", Want: "11"}},
		{"letter", "0074311O157", &Error{Reason: ReasonDigit, Pos: 8, Got: "O", Want: "0–9"}},
		{"all-zero number", "00000000017", &Error{Reason: ReasonZero, Pos: 1, Got: "0000000", Want: "a number other than 0000000"}},
		{"office 000", "12345670000", &Error{Reason: ReasonOffice, Pos: 8, Got: "000", Want: "001–100, 120, 121, 888 or 999"}},
		{"office 101", "12345671010", &Error{Reason: ReasonOffice, Pos: 8, Got: "101", Want: "001–100, 120, 121, 888 or 999"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got *Error
			if err := ValidatePIVA(tc.in); err != nil {
				var ok bool
				if got, ok = err.(*Error); !ok {
					t.Fatalf("ValidatePIVA: %v is not *Error", err)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ValidatePIVA(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func FuzzValidatePIVA(f *testing.F) {
	for _, s := range []string{"00743110157", "00743110158", "", "IT00743110157", "00000000000", "12345679992", "1234567890a", " 00743110157 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidatePIVA(s) != nil {
			return
		}
		// A valid number stays valid only with its own check digit.
		s = strings.TrimSpace(s)
		for d := byte('0'); d <= '9'; d++ {
			if d == s[10] {
				continue
			}
			if ValidatePIVA(s[:10]+string(d)) == nil {
				t.Errorf("%s and %s both valid", s, s[:10]+string(d))
			}
		}
	})
}
