package codfisc

import "fmt"

// Reason names the rule a code broke, so that the web layer can choose a
// message written for the citizen instead of showing Error's English text.
type Reason int

// The rules Parse, BirthDate, ValidatePlace and ValidatePIVA enforce.
const (
	// ReasonLength means the code has the wrong number of characters (Got and Want hold the counts).
	ReasonLength Reason = iota + 1
	// ReasonLetter means a letter A–Z was expected at Pos.
	ReasonLetter
	// ReasonDigit means a digit (in a codice fiscale, also an omocodia letter) was expected at Pos.
	ReasonDigit
	// ReasonMonth means position 9 is not one of the month letters A B C D E H L M P R S T.
	ReasonMonth
	// ReasonDay means the day in positions 10–11 does not exist in that month (women add 40).
	ReasonDay
	// ReasonCheck means the last character does not match the others; Want holds the right one.
	ReasonCheck
	// ReasonBirthDate means no century puts the birth date within 120 years before the reference date.
	ReasonBirthDate
	// ReasonPlaceUnknown means the Belfiore code names no comune or foreign state at all.
	ReasonPlaceUnknown
	// ReasonPlaceDate means the Belfiore code exists but did not name a place on the birth date.
	ReasonPlaceDate
	// ReasonZero means a partita IVA's 7-digit number is all zeros.
	ReasonZero
	// ReasonOffice means a partita IVA's office code (digits 8–10) is not one the Agenzia assigns.
	ReasonOffice
)

var reasonText = map[Reason]string{
	ReasonLength:       "wrong length",
	ReasonLetter:       "letter expected",
	ReasonDigit:        "digit expected",
	ReasonMonth:        "not a month letter",
	ReasonDay:          "impossible day",
	ReasonCheck:        "wrong check character",
	ReasonBirthDate:    "birth date out of range",
	ReasonPlaceUnknown: "unknown birth place",
	ReasonPlaceDate:    "birth place not valid on the birth date",
	ReasonZero:         "number is all zeros",
	ReasonOffice:       "unknown office code",
}

// String returns the reason in English, for logs and tests.
func (r Reason) String() string {
	if t, ok := reasonText[r]; ok {
		return t
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Error says which rule a code broke, where, and what was expected, without
// repeating the whole code, so that it can be logged without personal data
// and turned into a precise message for the citizen.
type Error struct {
	// Reason is the rule broken; the web layer picks its message by it.
	Reason Reason
	// Pos is the 1-based position of the first offending character, or 0
	// when the fault is not about one position (length, place).
	Pos int
	// Got is what was found: the offending characters, the length, or the Belfiore code.
	Got string
	// Want describes what was expected: the right check character, the
	// allowed characters, or the expected length.
	Want string
}

// Error returns an English description for logs.
func (e *Error) Error() string {
	msg := "codfisc: " + e.Reason.String()
	if e.Pos > 0 {
		msg += fmt.Sprintf(" at position %d", e.Pos)
	}
	if e.Got != "" {
		msg += fmt.Sprintf(": got %q", e.Got)
	}
	if e.Want != "" {
		msg += fmt.Sprintf(", want %s", e.Want)
	}
	return msg
}
