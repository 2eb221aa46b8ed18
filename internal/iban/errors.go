package iban

import "fmt"

// Reason names the rule an IBAN broke, so that a form can pick a message
// written for the citizen instead of showing Error's English text.
type Reason int

// The rules Parse enforces, in the order it checks them.
const (
	// ReasonChars means a character other than a letter, a digit or a space
	// (Pos is its 1-based position once spaces are removed), or a letter
	// where the check digits go.
	ReasonChars Reason = iota + 1
	// ReasonCountry means the first two characters are not a SEPA country.
	ReasonCountry
	// ReasonLength means the IBAN is not as long as the country's IBANs are
	// (Got and Want hold the lengths; Want is 0 when the country is unknown).
	ReasonLength
	// ReasonFormat means the national part does not have the country's
	// structure (Italy and San Marino: a letter, ten digits, twelve characters).
	ReasonFormat
	// ReasonCIN means the Italian CIN letter does not match ABI, CAB and account.
	ReasonCIN
	// ReasonCheck means the ISO 7064 mod 97-10 check digits do not match.
	ReasonCheck
)

var reasonText = map[Reason]string{
	ReasonChars:   "invalid character",
	ReasonCountry: "not a SEPA country",
	ReasonLength:  "wrong length",
	ReasonFormat:  "wrong national structure",
	ReasonCIN:     "wrong CIN",
	ReasonCheck:   "wrong check digits",
}

// String returns the reason in English, for logs and tests.
func (r Reason) String() string {
	if t, ok := reasonText[r]; ok {
		return t
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Error says which rule an IBAN broke without repeating the IBAN, so that it
// can be logged without personal data.
type Error struct {
	Reason Reason
	// Country is the country code when it was read, else "".
	Country string
	// Pos is the 1-based position of the offending character, 0 if none.
	Pos int
	// Got and Want are the lengths, for ReasonLength.
	Got, Want int
}

// Error returns an English description for logs.
func (e *Error) Error() string {
	msg := "iban: " + e.Reason.String()
	if e.Country != "" {
		msg += " (" + e.Country + ")"
	}
	if e.Pos > 0 {
		msg += fmt.Sprintf(" at position %d", e.Pos)
	}
	if e.Reason == ReasonLength {
		msg += fmt.Sprintf(": got %d characters", e.Got)
		if e.Want > 0 {
			msg += fmt.Sprintf(", want %d", e.Want)
		}
	}
	return msg
}
