package pdf

import "testing"

// TestToLatin10 pins the encoding of the bulk documents: Latin-10 letters
// as single bytes, cp1252's dashes in the C1 range, other accents dropped.
func TestToLatin10(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Perché più", "Perch\xe9 pi\xf9"},
		{"Ștefan Łukasz", "\xaatefan \xa3ukasz"},
		{"16,52 €", "16,52 \xa4"},
		{"a – b … “c”", "a \x96 b \x85 \x93c\xb5"},
		{"Dvořák", "Dvor\xe1k"},
		{"\U0001F600", "?"},
	}
	for _, tc := range tests {
		if got := toLatin10(tc.in); got != tc.want {
			t.Errorf("toLatin10(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
