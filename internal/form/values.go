package form

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sportello/sportello/internal/calendar"
)

// maxNumberDigits keeps numbers exact in a float64 and in spreadsheets.
const maxNumberDigits = 15

// numberResult says why a number was rejected.
type numberResult int

const (
	numberOK numberResult = iota
	numberBad
	numberAmbiguous // "1.000": a thousand or one?
)

// normNumber reads a decimal the way Italians write it ("12,5") or with a
// dot ("12.5"), without thousands separators, and returns it with a dot and
// no superfluous zeros. A dot followed by exactly three digits is refused
// as ambiguous, because "1.000" means a thousand to an Italian reader.
func normNumber(s string) (string, float64, numberResult) {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	intPart, frac, hasSep := s, "", false
	if i := strings.IndexAny(s, ",."); i >= 0 {
		intPart, frac, hasSep = s[:i], s[i+1:], true
		if s[i] == '.' && len(frac) == 3 && intPart != "" && intPart != "0" {
			if isDigits(intPart) && isDigits(frac) {
				return "", 0, numberAmbiguous
			}
		}
	}
	if !isDigits(intPart) || hasSep && !isDigits(frac) {
		return "", 0, numberBad
	}
	intPart = strings.TrimLeft(intPart, "0")
	frac = strings.TrimRight(frac, "0")
	if len(intPart)+len(frac) > maxNumberDigits {
		return "", 0, numberBad
	}
	out := intPart
	if out == "" {
		out = "0"
	}
	if frac != "" {
		out += "." + frac
	}
	if neg && out != "0" {
		out = "-" + out
	}
	f, err := strconv.ParseFloat(out, 64)
	if err != nil {
		return "", 0, numberBad
	}
	return out, f, numberOK
}

// limitNumberRe is the syntax of a number bound: a plain decimal, so that
// "NaN", "Inf" and "1e9" never become limits.
var limitNumberRe = regexp.MustCompile(`^-?[0-9]{1,15}(\.[0-9]{1,6})?$`)

// parseLimitNumber reads a number bound of a definition; "" is no bound.
func parseLimitNumber(l Limit) (float64, bool) {
	if l == "" {
		return 0, true
	}
	if !limitNumberRe.MatchString(string(l)) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(l), 64)
	return f, err == nil
}

// displayNumber writes a canonical number with the decimal comma in Italian.
func displayNumber(s, lang string) string {
	if lang == "en" {
		return s
	}
	return strings.Replace(s, ".", ",", 1)
}

// parseDate reads an ISO date (what date inputs send) or the Italian
// dd/mm/yyyy, also with - or . between the parts and one-digit day or month.
func parseDate(s string) (calendar.Date, bool) {
	s = strings.TrimSpace(s)
	if d, err := calendar.ParseDate(s); err == nil {
		return d, true
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' || r == '.' })
	if len(parts) != 3 || len(parts[0]) > 2 || len(parts[1]) > 2 || len(parts[2]) != 4 {
		return calendar.Date{}, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || !isDigits(p) {
			return calendar.Date{}, false
		}
		n[i] = v
	}
	d := calendar.D(n[2], time.Month(n[1]), n[0])
	if n[2] < 1 || !d.Valid() {
		return calendar.Date{}, false
	}
	return d, true
}

// displayDate writes a date as Italians read it, dd/mm/yyyy.
func displayDate(d calendar.Date) string {
	return pad2(d.Day) + "/" + pad2(int(d.Month)) + "/" + strconv.Itoa(d.Year)
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// validDateLimit reports whether a date bound is well-formed.
func validDateLimit(s string) bool {
	_, ok := resolveDateLimit(s, calendar.D(2000, time.January, 1))
	return ok
}

// resolveDateLimit turns a date bound into a date: an ISO date, "today",
// or today plus or minus a number of days, months or years ("-18y").
func resolveDateLimit(s string, today calendar.Date) (calendar.Date, bool) {
	if d, err := calendar.ParseDate(s); err == nil {
		return d, true
	}
	if s == "today" {
		return today, true
	}
	if len(s) < 3 || (s[0] != '+' && s[0] != '-') {
		return calendar.Date{}, false
	}
	n, err := strconv.Atoi(s[1 : len(s)-1])
	if err != nil || !isDigits(s[1:len(s)-1]) || n > 200*366 {
		return calendar.Date{}, false
	}
	if s[0] == '-' {
		n = -n
	}
	switch s[len(s)-1] {
	case 'd':
		return today.AddDays(n), true
	case 'm':
		return calendar.DateOf(time.Date(today.Year, today.Month+time.Month(n), today.Day, 12, 0, 0, 0, time.UTC)), true
	case 'y':
		return calendar.DateOf(time.Date(today.Year+n, today.Month, today.Day, 12, 0, 0, 0, time.UTC)), true
	}
	return calendar.Date{}, false
}

// normPhone returns a phone number in E.164, assuming Italy (+39) when no
// country is given, and checks the length and, for Italy, the first digit
// (0 for landlines, 3 for mobiles).
func normPhone(s string) (string, bool) {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || strings.ContainsRune("-./()", r) {
			return -1
		}
		return r
	}, s)
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	national := s
	if strings.HasPrefix(s, "+") {
		if !isDigits(s[1:]) || len(s)-1 < 8 || len(s)-1 > 15 || s[1] == '0' {
			return "", false
		}
		if !strings.HasPrefix(s, "+39") {
			return s, true
		}
		national = s[3:]
	}
	if !isDigits(national) {
		return "", false
	}
	switch {
	case national[0] == '0' && len(national) >= 6 && len(national) <= 11:
	case national[0] == '3' && len(national) >= 9 && len(national) <= 10:
	default:
		return "", false
	}
	return "+39" + national, true
}

// normEmail checks an address of the plain form local@domain.tld, the only
// one a citizen types, and lower-cases the domain.
func normEmail(s string) (string, bool) {
	s = strings.TrimSpace(s)
	local, domain, ok := strings.Cut(s, "@")
	if !ok || len(s) > 254 || local == "" || len(local) > 64 || strings.Contains(domain, "@") {
		return "", false
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return "", false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !(isAlnum(c) || strings.IndexByte("!#$%&'*+/=?^_`{|}~.-", c) >= 0) {
			return "", false
		}
	}
	domain = strings.ToLower(domain)
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return "", false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", false
		}
		for i := 0; i < len(l); i++ {
			if !(isAlnum(l[i]) || l[i] == '-') {
				return "", false
			}
		}
	}
	if tld := labels[len(labels)-1]; len(tld) < 2 || isDigits(tld) {
		return "", false
	}
	return local + "@" + domain, true
}

// cleanText makes typed text safe to store and show: valid UTF-8, no
// control characters (newlines kept in a textarea, as \n), trimmed.
func cleanText(s string, multiline bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' && multiline:
			return r
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// compact removes every space and upper-cases ASCII letters only, so that
// no Unicode case mapping (ı → I) turns a foreign character into a valid
// one: how codici fiscali and IBANs are stored.
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// runeCount counts characters as the citizen sees them.
func runeCount(s string) int { return utf8.RuneCountInString(s) }
