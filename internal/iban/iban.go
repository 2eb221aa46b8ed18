// Package iban checks International Bank Account Numbers (ISO 13616), so
// that a refund, a deposit return or a pagoPA creditor account typed by a
// citizen or an operator is rejected on the spot when it could never reach
// a bank, instead of bouncing weeks later.
//
// It checks the characters, the country (the SEPA countries, because the
// Comune can only pay by SEPA credit transfer), the length that country's
// IBANs have, the ISO 7064 mod 97-10 check digits and, for Italy and San
// Marino, the national structure with its CIN check letter.
package iban

import (
	"strings"
)

// IBAN is a checked IBAN in electronic format: upper case, no spaces, as
// returned by Parse.
type IBAN string

// lengths gives the IBAN length of every country in the SEPA scheme's
// geographical scope (EPC list, 2025: EU and EEA, CH, GB, MC, SM, VA, AD, GI,
// and the newer AL, MD, ME, MK, RS), from the SWIFT IBAN registry. Overseas
// territories and dependencies use their parent's code (FR, GB, FI).
var lengths = map[string]int{
	"AD": 24, "AL": 28, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24,
	"DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23,
	"GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20,
	"LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MT": 31, "NL": 18,
	"NO": 15, "PL": 28, "PT": 25, "RO": 24, "RS": 22, "SE": 24, "SI": 19, "SK": 24,
	"SM": 27, "VA": 22,
}

// Length returns the IBAN length of a SEPA country, so that a form can tell
// the citizen how many characters to type; ok is false for other countries.
func Length(country string) (n int, ok bool) {
	n, ok = lengths[country]
	return n, ok
}

// Parse normalises s (spaces removed, ASCII letters upper-cased) and checks
// it, reporting the first rule broken as an *Error; the citizen may type the
// IBAN in groups of four, as banks print it.
func Parse(s string) (IBAN, error) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		default:
			return "", &Error{Reason: ReasonChars, Pos: len(b) + 1}
		}
		b = append(b, c)
	}
	if len(b) < 4 {
		return "", &Error{Reason: ReasonLength, Got: len(b)}
	}
	if !isLetter(b[0]) || !isLetter(b[1]) {
		return "", &Error{Reason: ReasonCountry}
	}
	country := string(b[:2])
	want, ok := lengths[country]
	if !ok {
		return "", &Error{Reason: ReasonCountry, Country: country}
	}
	if len(b) != want {
		return "", &Error{Reason: ReasonLength, Country: country, Got: len(b), Want: want}
	}
	if !isDigit(b[2]) || !isDigit(b[3]) {
		return "", &Error{Reason: ReasonChars, Country: country, Pos: 3}
	}
	if country == "IT" || country == "SM" {
		if err := checkItalian(country, b[4:]); err != nil {
			return "", err
		}
	}
	// Check digits run from 02 to 98: 00, 01 and 99 pass the sum only by
	// aliasing 97, 98 and 02, and no bank issues them.
	if cd := string(b[2:4]); cd == "00" || cd == "01" || cd == "99" || mod97(b[4:], b[:4]) != 1 {
		return "", &Error{Reason: ReasonCheck, Country: country}
	}
	return IBAN(b), nil
}

// checkItalian checks the BBAN of an Italian or Sammarinese IBAN: CIN
// letter, 5-digit ABI, 5-digit CAB, 12-character account, and the CIN
// computed over the other 22 characters.
func checkItalian(country string, bban []byte) error {
	if !isLetter(bban[0]) {
		return &Error{Reason: ReasonFormat, Country: country, Pos: 5}
	}
	for i := 1; i <= 10; i++ {
		if !isDigit(bban[i]) {
			return &Error{Reason: ReasonFormat, Country: country, Pos: 5 + i}
		}
	}
	if cin(bban[1:]) != bban[0] {
		return &Error{Reason: ReasonCIN, Country: country}
	}
	return nil
}

// oddCIN gives the value of a character at an odd 1-based position in the
// CIN sum, indexed by letter (A–Z) or digit (0–9 counts as A–J): the same
// table as the codice fiscale's check character.
var oddCIN = [26]int{
	1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18,
	20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
}

// cin computes the Italian check letter of ABI + CAB + account (22
// characters, digits or upper-case letters).
func cin(s []byte) byte {
	sum := 0
	for i, c := range s {
		v := int(c - 'A')
		if isDigit(c) {
			v = int(c - '0')
		}
		if i%2 == 0 {
			v = oddCIN[v]
		}
		sum += v
	}
	return byte('A' + sum%26)
}

// mod97 computes (bban + head) as a decimal number, letters counting 10–35,
// modulo 97, one digit at a time so that no big integers are needed.
func mod97(bban, head []byte) int {
	r := 0
	for _, part := range [2][]byte{bban, head} {
		for _, c := range part {
			if isDigit(c) {
				r = (r*10 + int(c-'0')) % 97
			} else {
				r = (r*100 + int(c-'A') + 10) % 97
			}
		}
	}
	return r
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// String returns the IBAN in electronic format, as payment files want it.
func (i IBAN) String() string { return string(i) }

// Country returns the ISO 3166 country code, the first two letters.
func (i IBAN) Country() string {
	if len(i) < 2 {
		return ""
	}
	return string(i[:2])
}

// BBAN returns the national account number, everything after the check digits.
func (i IBAN) BBAN() string {
	if len(i) < 4 {
		return ""
	}
	return string(i[4:])
}

// Print returns the IBAN in groups of four characters, the paper format of
// ISO 13616, which is how a citizen reads it back on a receipt.
func (i IBAN) Print() string {
	var sb strings.Builder
	for j := 0; j < len(i); j += 4 {
		if j > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(string(i[j:min(j+4, len(i))]))
	}
	return sb.String()
}
