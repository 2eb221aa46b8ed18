package pdf

import (
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Perché così", "Perché così"},
		{"Ștefan Łukasz Čapek Őrs Đorđe Ağaoğlu", "Ștefan Łukasz Čapek Őrs Đorđe Ağaoğlu"},
		{"e\u0301", "é"},                           // decomposed accents are composed
		{"Nguyễn", "Nguyên"},                       // missing letter: nearest one the font has
		{"fattura\u202Efdp.exe", "fatturafdp.exe"}, // right-to-left override dropped
		{"a\x00b\x1bc\u200bd", "abcd"},             // controls and zero-width characters dropped
		{"a\tb", "a b"},
		{"riga 1\nriga 2", "riga 1\nriga 2"},
		{"a\u2009b", "a b"}, // thin space the font lacks: a plain space
		{"\U0001F600", "?"},
		{"Иван", "????"},
		{"\xff", "?"},
		{"10 €, 5° «sì» – ok…", "10 €, 5° «sì» – ok…"},
	}
	for _, tc := range tests {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestCoverage checks the cmap reader against letters the fonts are known
// to have and not to have.
func TestCoverage(t *testing.T) {
	for _, font := range [][]byte{fontRegular, fontSemiBold, fontMono} {
		set, err := cmapCoverage(font)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range "azAZ09àèéìòùÀÈÉÌÒÙșțłčőđ€–“”" {
			if !set.has(r) {
				t.Errorf("font lacks %q", r)
			}
		}
		for _, r := range "И\u0000" {
			if set.has(r) {
				t.Errorf("font claims %q", r)
			}
		}
	}
	for _, bad := range [][]byte{nil, []byte("true"), fontRegular[:100]} {
		if _, err := cmapCoverage(bad); err == nil {
			t.Errorf("cmapCoverage(%d bytes): no error", len(bad))
		}
	}
}

// FuzzClean checks that clean returns valid UTF-8 the font can print: no
// controls but newlines, nothing outside the font, and that it is stable.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "àèé", "e\u0301", "\u202E", "\U0001F600", "\xff\xfe", "Nguyễn", "a\nb\tc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := clean(s)
		if !utf8.ValidString(got) {
			t.Fatalf("clean(%q) = %q: invalid UTF-8", s, got)
		}
		for _, r := range got {
			if r != '\n' && !covered().has(r) {
				t.Fatalf("clean(%q) = %q: %q is not in the font", s, got, r)
			}
		}
		if again := clean(got); again != got {
			t.Fatalf("clean(clean(%q)) = %q, want %q", s, again, got)
		}
	})
}
