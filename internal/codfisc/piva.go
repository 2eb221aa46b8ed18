package codfisc

import (
	"strconv"
	"strings"
)

const pivaLen = 11

// ValidatePIVA checks a partita IVA (or a public body's 11-digit codice
// fiscale, which follows the same rule): 11 digits, a 7-digit number that is
// not all zeros, an office code the Agenzia assigns (001–100, 120, 121, 888,
// 999) and the Luhn check digit, so that a typo is caught at the form.
// Surrounding spaces are ignored; failures are *Error values.
func ValidatePIVA(s string) error {
	s = strings.TrimSpace(s)
	if len(s) != pivaLen {
		return &Error{Reason: ReasonLength, Got: strconv.Itoa(len(s)), Want: strconv.Itoa(pivaLen)}
	}
	for i := range pivaLen {
		if c := s[i]; c < '0' || c > '9' {
			return &Error{Reason: ReasonDigit, Pos: i + 1, Got: string(c), Want: "0–9"}
		}
	}
	if s[:7] == "0000000" {
		return &Error{Reason: ReasonZero, Pos: 1, Got: s[:7], Want: "a number other than 0000000"}
	}
	switch office := s[7:10]; {
	case office >= "001" && office <= "100", office == "120", office == "121", office == "888", office == "999":
	default:
		return &Error{Reason: ReasonOffice, Pos: 8, Got: office, Want: "001–100, 120, 121, 888 or 999"}
	}
	if want := pivaCheckDigit(s); s[10] != want {
		return &Error{Reason: ReasonCheck, Pos: 11, Got: s[10:], Want: string(want)}
	}
	return nil
}

// pivaCheckDigit computes the Luhn check digit of the first ten digits.
func pivaCheckDigit(s string) byte {
	sum := 0
	for i := range pivaLen - 1 {
		d := int(s[i] - '0')
		if i%2 == 1 { // even 1-based position
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}
