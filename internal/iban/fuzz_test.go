package iban

import (
	"strings"
	"testing"
)

// FuzzValidate checks that Parse never panics, that what it accepts is a
// fixed point in canonical form, and that its check agrees with the
// independent big-integer computation.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		"IT60X0542811101000000123456", "it60 x054 2811 1010 0000 0123 456", "SM86U0322509800000000270100",
		"DE89370400440532013000", "MT84MALT011000012345MTLCAST001S", "NO9386011117947", "", "IT", "XX00",
		"IT60X054281110100000012345\xff", "IT60Y0542811101000000123456", "BR1500000000000010932840814P2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse(%q): error %T is not *Error", s, err)
			}
			return
		}
		str := string(got)
		if strings.ToUpper(strings.NewReplacer(" ", "", "\t", "").Replace(s)) != str {
			t.Fatalf("Parse(%q) = %q: not the normalised input", s, got)
		}
		if n, ok := Length(got.Country()); !ok || n != len(str) {
			t.Fatalf("Parse(%q) = %q: wrong length for %s", s, got, got.Country())
		}
		if checkDigits(str[:2], str[4:]) != str[2:4] {
			t.Fatalf("Parse(%q) = %q: check digits disagree with math/big", s, got)
		}
		if again, err := Parse(got.Print()); err != nil || again != got {
			t.Fatalf("Parse(Print(%q)) = %q, %v", got, again, err)
		}
	})
}
