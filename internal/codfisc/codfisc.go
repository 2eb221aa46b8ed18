// Package codfisc checks and decodes codici fiscali and partite IVA, so that
// every form and import in the platform rejects a mistyped code the same way
// and reads birth date, sex and birth place out of it without asking twice.
//
// The rules are those of shared/reference/domain.md §5: structure, check
// character, omocodia and the partita IVA check digit. Birth places are
// checked against ANPR's archive of comuni and foreign states (CC BY 4.0,
// Ministero dell'Interno, ANPR), embedded from data/.
package codfisc

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Code is a syntactically valid codice fiscale in upper case, as returned by
// Parse; it keeps the omocodic letters the citizen was given, because that is
// the code other systems know them by.
type Code string

const codeLen = 16

// omocodiaPositions are the 0-based indexes of the seven digits that
// omocodia may replace with a letter, right to left as the Agenzia does.
var omocodiaPositions = [7]int{14, 13, 12, 10, 9, 7, 6}

// omocodiaLetters maps 0–9 to the substitution letters.
const omocodiaLetters = "LMNPQRSTUV"

// monthLetters maps January–December to the letter in position 9.
const monthLetters = "ABCDEHLMPRST"

// oddValues gives the check-sum value of the characters at odd 1-based
// positions, indexed by letter (A–Z); a digit counts as the letter with its
// index (0 as A, 1 as B, …).
var oddValues = [26]int{
	1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18,
	20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
}

// charClass says what each of the 16 positions may hold.
type charClass uint8

const (
	classLetter charClass = iota // A–Z
	classDigit                   // 0–9 or an omocodia letter
	classMonth                   // a month letter
)

var layout = [codeLen]charClass{
	classLetter, classLetter, classLetter, classLetter, classLetter, classLetter,
	classDigit, classDigit, classMonth, classDigit, classDigit,
	classLetter, classDigit, classDigit, classDigit, classLetter,
}

// Parse normalises s (surrounding spaces removed, upper case) and checks its
// structure, date, and check character, so that callers can trust a Code's
// methods; it accepts omocodic codes and reports the first fault it finds as
// an *Error.
func Parse(s string) (Code, error) {
	s = upperASCII(strings.TrimSpace(s))
	if n := utf8.RuneCountInString(s); n != codeLen {
		return "", &Error{Reason: ReasonLength, Got: strconv.Itoa(n), Want: strconv.Itoa(codeLen)}
	}
	if len(s) != codeLen { // 16 characters, some not ASCII: report the first of those
		i := 0
		for _, r := range s {
			if r >= utf8.RuneSelf {
				return "", charError(i, string(r))
			}
			i++
		}
	}
	for i := range codeLen {
		if !fits(s[i], layout[i]) {
			return "", charError(i, s[i:i+1])
		}
	}
	yy := digitAt(s, 6)*10 + digitAt(s, 7)
	month := strings.IndexByte(monthLetters, s[8]) + 1
	day := digitAt(s, 9)*10 + digitAt(s, 10)
	if day > 40 {
		day -= 40
	}
	if last := maxDay(yy, time.Month(month)); day < 1 || day > last {
		return "", &Error{Reason: ReasonDay, Pos: 10, Got: s[9:11], Want: "01–" + strconv.Itoa(last) + " or 41–" + strconv.Itoa(40+last)}
	}
	if want := checkChar15(s); s[15] != want {
		return "", &Error{Reason: ReasonCheck, Pos: 16, Got: s[15:], Want: string(want)}
	}
	return Code(s), nil
}

// fits reports whether c may appear where class is expected.
func fits(c byte, class charClass) bool {
	switch class {
	case classLetter:
		return c >= 'A' && c <= 'Z'
	case classDigit:
		return c >= '0' && c <= '9' || strings.IndexByte(omocodiaLetters, c) >= 0
	default:
		return strings.IndexByte(monthLetters, c) >= 0
	}
}

// charError reports that got, at 0-based index i, does not fit the layout.
func charError(i int, got string) *Error {
	switch layout[i] {
	case classLetter:
		return &Error{Reason: ReasonLetter, Pos: i + 1, Got: got, Want: "A–Z"}
	case classDigit:
		return &Error{Reason: ReasonDigit, Pos: i + 1, Got: got, Want: "0–9 or " + omocodiaLetters}
	default:
		return &Error{Reason: ReasonMonth, Pos: i + 1, Got: got, Want: monthLetters}
	}
}

// digitAt returns the digit at index i of a checked code, undoing omocodia.
func digitAt(s string, i int) int {
	c := s[i]
	if c >= '0' && c <= '9' {
		return int(c - '0')
	}
	return strings.IndexByte(omocodiaLetters, c)
}

// maxDay returns the last day of month in a year ending in yy; 29 February
// is allowed when some century makes the year a leap year.
func maxDay(yy int, month time.Month) int {
	switch month {
	case time.February:
		if yy%4 == 0 {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// checkChar15 computes the check character of the first 15 characters of a
// structurally valid code.
func checkChar15(s string) byte {
	sum := 0
	for i := range codeLen - 1 {
		c := s[i]
		var v int
		if c >= '0' && c <= '9' {
			v = int(c - '0')
		} else {
			v = int(c - 'A')
		}
		if i%2 == 0 { // odd 1-based position
			v = oddValues[v]
		}
		sum += v
	}
	return byte('A' + sum%26)
}

// ok reports whether c has the length Parse guarantees, so that methods on a
// Code built by conversion return zero values instead of panicking.
func (c Code) ok() bool { return len(c) == codeLen }

// String returns the code as the citizen was given it, omocodic letters included.
func (c Code) String() string { return string(c) }

// Surname returns the three letters taken from the surname, for matching a
// code against the name a citizen typed.
func (c Code) Surname() string {
	if !c.ok() {
		return ""
	}
	return string(c[0:3])
}

// Name returns the three letters taken from the given name, for matching a
// code against the name a citizen typed.
func (c Code) Name() string {
	if !c.ok() {
		return ""
	}
	return string(c[3:6])
}

// Sex returns 'M' or 'F' (women's day of birth is increased by 40), so that
// forms need not ask what the code already says.
func (c Code) Sex() byte {
	if !c.ok() {
		return 0
	}
	if digitAt(string(c), 9) >= 4 {
		return 'F'
	}
	return 'M'
}

// BirthPlace returns the Belfiore code of the birth place (a comune, or Z and
// three digits for a foreign state) with omocodia undone, ready for
// PlaceName.
func (c Code) BirthPlace() string {
	if !c.ok() {
		return ""
	}
	b := []byte(c[11:15])
	for i := 1; i < 4; i++ {
		b[i] = byte('0' + digitAt(string(c), 11+i))
	}
	return string(b)
}

// Omocode returns how many digits were replaced by letters, so that callers
// can tell an omocodic code from its base form.
func (c Code) Omocode() int {
	if !c.ok() {
		return 0
	}
	n := 0
	for _, i := range omocodiaPositions {
		if c[i] < '0' || c[i] > '9' {
			n++
		}
	}
	return n
}

// Canonical returns the base form of an omocodic code (letters turned back
// into digits, check character recomputed), which identifies the same birth
// data and is what duplicate checks should compare.
func (c Code) Canonical() Code {
	if !c.ok() || c.Omocode() == 0 {
		return c
	}
	b := []byte(c)
	for _, i := range omocodiaPositions {
		b[i] = byte('0' + digitAt(string(c), i))
	}
	b[15] = checkChar15(string(b))
	return Code(b)
}

// BirthDate resolves the two-digit year against ref (usually today), because
// the code alone cannot tell 1925 from 2025.
//
// The rule: of the years ending in the code's two digits, take the most
// recent one whose date exists and is not after ref's calendar date; if that
// date is more than 120 years before ref, the code cannot be a living
// person's and BirthDate fails with ReasonBirthDate. So anyone aged 100 or
// more decodes a century too young: when the full date is known from another
// source, prefer it. The result is midnight UTC of the birth date.
func (c Code) BirthDate(ref time.Time) (time.Time, error) {
	if !c.ok() {
		return time.Time{}, &Error{Reason: ReasonLength, Got: strconv.Itoa(len(c)), Want: strconv.Itoa(codeLen)}
	}
	s := string(c)
	yy := digitAt(s, 6)*10 + digitAt(s, 7)
	month := time.Month(strings.IndexByte(monthLetters, s[8]) + 1)
	day := digitAt(s, 9)*10 + digitAt(s, 10)
	if day > 40 {
		day -= 40
	}
	ry, rm, rd := ref.Date()
	today := time.Date(ry, rm, rd, 0, 0, 0, 0, time.UTC)
	oldest := today.AddDate(-120, 0, 0)
	year := ry - (ry%100-yy+100)%100 // the latest year ≤ ry ending in yy
	for ; ; year -= 100 {
		d := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
		if d.Before(oldest) {
			return time.Time{}, &Error{Reason: ReasonBirthDate, Pos: 7, Got: s[6:11], Want: "a date within 120 years before " + today.Format(time.DateOnly)}
		}
		if d.Day() == day && !d.After(today) { // the date exists (29 February) and is not in the future
			return d, nil
		}
	}
}

// upperASCII upper-cases ASCII letters only, so that no Unicode case mapping
// (ı → I, ſ → S) can turn a foreign character into a valid one.
func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'a' && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
