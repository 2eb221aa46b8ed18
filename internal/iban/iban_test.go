package iban

import (
	"math/big"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkDigits computes the ISO 7064 mod 97-10 check digits of a country
// and BBAN with math/big, independently of mod97, so that the tests do not
// trust the code they test.
func checkDigits(country, bban string) string {
	var digits strings.Builder
	for _, c := range bban + country + "00" {
		if c >= 'A' && c <= 'Z' {
			digits.WriteString(big.NewInt(int64(c-'A') + 10).String())
		} else {
			digits.WriteRune(c)
		}
	}
	n, _ := new(big.Int).SetString(digits.String(), 10)
	r := new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return string([]byte{byte('0' + (98-r)/10), byte('0' + (98-r)%10)})
}

// italianCIN computes the CIN from the published tables (Banca d'Italia):
// odd positions use the "dispari" table, even positions the plain value.
func italianCIN(abiCabAccount string) string {
	const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	dispari := []int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}
	sum := 0
	for i, c := range abiCabAccount {
		idx := strings.IndexRune(chars, c)
		if idx >= 10 {
			idx -= 10 // letters count from 0 like digits
		}
		if i%2 == 0 {
			sum += dispari[idx]
		} else {
			sum += idx
		}
	}
	return string(rune('A' + sum%26))
}

// build returns a valid IBAN for country and bban, check digits computed.
func build(country, bban string) string {
	return country + checkDigits(country, bban) + bban
}

func TestParseValid(t *testing.T) {
	// The example IBANs of the SWIFT registry / ECBS, and IBANs built here.
	tests := []struct {
		name, in, want string
	}{
		{"IT registry example", "IT60 X054 2811 1010 0000 0123 456", "IT60X0542811101000000123456"},
		{"SM registry example", "SM86 U032 2509 8000 0000 0270 100", "SM86U0322509800000000270100"},
		{"DE", "DE89 3704 0044 0532 0130 00", "DE89370400440532013000"},
		{"FR", "FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606"},
		{"ES", "ES91 2100 0418 4502 0005 1332", "ES9121000418450200051332"},
		{"CH", "CH93 0076 2011 6238 5295 7", "CH9300762011623852957"},
		{"VA", "VA59 0011 2300 0012 3456 78", "VA59001123000012345678"},
		{"GB", "GB29 NWBK 6016 1331 9268 19", "GB29NWBK60161331926819"},
		{"NL", "NL91ABNA0417164300", "NL91ABNA0417164300"},
		{"BE", "BE68 5390 0754 7034", "BE68539007547034"},
		{"AT", "AT61 1904 3002 3457 3201", "AT611904300234573201"},
		{"NO, the shortest", "NO93 8601 1117 947", "NO9386011117947"},
		{"MT, the longest", "MT84 MALT 0110 0001 2345 MTLC AST0 01S", "MT84MALT011000012345MTLCAST001S"},
		{"lower case and tabs", "it60x0542811101000000123456\t", "IT60X0542811101000000123456"},
		{"built IT", build("IT", italianCIN("0306909606100000063718")+"0306909606100000063718"), ""},
		{"built IT with letters in the account", build("IT", italianCIN("01234567890CC0012345AB")+"01234567890CC0012345AB"), ""},
		{"built SM", build("SM", italianCIN("0854009800000000012345")+"0854009800000000012345"), ""},
		{"built PL", build("PL", "109010140000071219812874"), ""},
		{"built RS", build("RS", "260005601001611379"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == "" {
				want = tc.in
			}
			// The registry examples must agree with the independent computation.
			if got := checkDigits(want[:2], want[4:]); got != want[2:4] {
				t.Fatalf("independent check digits of %s = %s: the example is wrong", want, got)
			}
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if string(got) != want {
				t.Errorf("Parse(%q) = %q, want %q", tc.in, got, want)
			}
		})
	}
}

func TestRegistryCIN(t *testing.T) {
	// The registry's Italian example has CIN X: the independent CIN agrees.
	if got := italianCIN("0542811101000000123456"); got != "X" {
		t.Errorf("italianCIN of the registry example = %s, want X", got)
	}
	if got := italianCIN("0322509800000000270100"); got != "U" {
		t.Errorf("italianCIN of the San Marino example = %s, want U", got)
	}
}

func TestParseInvalid(t *testing.T) {
	good := "IT60X0542811101000000123456"
	// An Italian IBAN whose CIN is wrong but whose check digits are right,
	// so that only the CIN check can catch it.
	wrongCIN := build("IT", "Y0542811101000000123456")
	tests := []struct {
		name, in string
		want     *Error
	}{
		{"empty", "", &Error{Reason: ReasonLength}},
		{"punctuation", "IT60-X054", &Error{Reason: ReasonChars, Pos: 5}},
		{"non-ASCII", "IT60X054281110100000012345Ä", &Error{Reason: ReasonChars, Pos: 27}},
		{"digits for country", "1260X0542811101000000123456", &Error{Reason: ReasonCountry}},
		{"not SEPA", build("BR", "00360305000010009795493P1"), &Error{Reason: ReasonCountry, Country: "BR"}},
		{"too short", good[:26], &Error{Reason: ReasonLength, Country: "IT", Got: 26, Want: 27}},
		{"too long", good + "7", &Error{Reason: ReasonLength, Country: "IT", Got: 28, Want: 27}},
		{"letters as check digits", "ITAAX0542811101000000123456", &Error{Reason: ReasonChars, Country: "IT", Pos: 3}},
		{"wrong check digits", "IT61X0542811101000000123456", &Error{Reason: ReasonCheck, Country: "IT"}},
		{"swapped digits", "IT60X0542811101000000123465", &Error{Reason: ReasonCIN, Country: "IT"}},
		{"wrong CIN", wrongCIN, &Error{Reason: ReasonCIN, Country: "IT"}},
		{"CIN is a digit", build("IT", "10542811101000000123456"), &Error{Reason: ReasonFormat, Country: "IT", Pos: 5}},
		{"letter in the ABI", build("IT", "X05428A1101000000123456"), &Error{Reason: ReasonFormat, Country: "IT", Pos: 11}},
		{"wrong check digits DE", "DE88370400440532013000", &Error{Reason: ReasonCheck, Country: "DE"}},
		{"check digits 00 alias 97", "DE00000000000800000000", &Error{Reason: ReasonCheck, Country: "DE"}},
		{"wrong length CH", "CH930076201162385295", &Error{Reason: ReasonLength, Country: "CH", Got: 20, Want: 21}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want an error", tc.in, got)
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("Parse(%q): error %T is not *Error", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, e); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
			if e.Error() == "" || strings.Contains(e.Error(), tc.in[min(4, len(tc.in)):]) && len(tc.in) > 8 {
				t.Errorf("Error() = %q: empty or repeats the account", e.Error())
			}
		})
	}
}

func TestEveryCountryHasItsLength(t *testing.T) {
	for country, n := range lengths {
		bban := strings.Repeat("1", n-4)
		if country == "IT" || country == "SM" {
			bban = italianCIN(bban[1:]) + bban[1:]
		}
		in := build(country, bban)
		if _, err := Parse(in); err != nil {
			t.Errorf("%s: Parse(%q): %v", country, in, err)
		}
		if got, ok := Length(country); !ok || got != n {
			t.Errorf("Length(%s) = %d, %v", country, got, ok)
		}
	}
	if _, ok := Length("US"); ok {
		t.Error("Length(US) ok, want not SEPA")
	}
}

func TestAccessors(t *testing.T) {
	i, err := Parse("it60 x054 2811 1010 0000 0123 456")
	if err != nil {
		t.Fatal(err)
	}
	got := []string{i.String(), i.Country(), i.BBAN(), i.Print()}
	want := []string{"IT60X0542811101000000123456", "IT", "X0542811101000000123456", "IT60 X054 2811 1010 0000 0123 456"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("accessors mismatch (-want +got):\n%s", diff)
	}
	var zero IBAN
	if zero.Country() != "" || zero.BBAN() != "" || zero.Print() != "" {
		t.Error("the zero IBAN's accessors are not empty")
	}
}
