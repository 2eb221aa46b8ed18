package identity

import (
	"net/mail"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
)

// maxEmail is the longest address SMTP can carry (RFC 5321 path limit).
const maxEmail = 254

// NormalizeEmail checks that s is a bare e-mail address (no display name,
// a domain with a dot) and returns it trimmed with the domain in lower case,
// so that one address is stored one way; the local part keeps its case
// because RFC 5321 lets the receiving server give it meaning.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxEmail {
		return "", apperr.Errorf(apperr.Invalid, "e-mail address: empty or longer than %d characters", maxEmail)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", apperr.Errorf(apperr.Invalid, "e-mail address: not a plain address")
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if !validDomain(domain) {
		return "", apperr.Errorf(apperr.Invalid, "e-mail address: %q is not a domain name", domain)
	}
	return local + "@" + domain, nil
}

// validDomain accepts dotted host names of letters, digits and hyphens
// (IDNs in their xn-- form), which excludes address literals and single
// labels that no public mailbox uses.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// NormalizePhone accepts an Italian number written as people write it
// ("333 123 4567", "+39 0461 123456", "0039…") or an international one with
// its "+" or "00" prefix, and returns it in E.164 ("+393331234567"), the form
// SMS gateways take. Italian numbers must be mobiles (3…) or landlines (0…).
func NormalizePhone(s string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteString("00")
		case r == ' ' || r == '-' || r == '.' || r == '/' || r == '(' || r == ')':
		default:
			return "", apperr.Errorf(apperr.Invalid, "phone number: unexpected character %q", r)
		}
	}
	d := b.String()
	switch {
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	case strings.HasPrefix(d, "3") || strings.HasPrefix(d, "0"):
		d = "39" + d
	default:
		return "", apperr.Errorf(apperr.Invalid, "phone number: give the country prefix or an Italian number")
	}
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return "", apperr.Errorf(apperr.Invalid, "phone number: %d digits with the country code, want 8 to 15", len(d))
	}
	if national, ok := strings.CutPrefix(d, "39"); ok {
		switch {
		case national[0] == '3' && len(national) >= 9 && len(national) <= 10:
		case national[0] == '0' && len(national) >= 6 && len(national) <= 11:
		default:
			return "", apperr.Errorf(apperr.Invalid, "phone number: not an Italian mobile or landline number")
		}
	}
	return "+" + d, nil
}

// DocumentType is the kind of identity document an operator checks at the
// desk; only the type is stored, never the number or a copy.
type DocumentType string

// The documents accepted at the desk.
const (
	DocCIE            DocumentType = "cie"
	DocPaperID        DocumentType = "carta-identita"
	DocPassport       DocumentType = "passaporto"
	DocDrivingLicence DocumentType = "patente"
)

// DocumentTypes lists the accepted documents, in the order a form shows them.
var DocumentTypes = []DocumentType{DocCIE, DocPaperID, DocPassport, DocDrivingLicence}

// Valid reports whether t is one of DocumentTypes.
func (t DocumentType) Valid() bool {
	for _, k := range DocumentTypes {
		if t == k {
			return true
		}
	}
	return false
}

// ValidateDocumentNumber checks the shape of a document's number as typed by
// the operator (spaces and case ignored), to catch a number copied from the
// wrong field; the number itself is then discarded by the caller, because
// the ente records that a document was checked, not which one ("nothing
// copied"). Shapes: CIE CA00000AA; paper identity card AA1234567; passport
// 6–9 letters and digits (foreign ones vary); licence 10 letters and digits.
func ValidateDocumentNumber(t DocumentType, number string) error {
	n := NormalizeDocumentNumber(number)
	var ok bool
	switch t {
	case DocCIE:
		ok = shape(n, "AA00000AA")
	case DocPaperID:
		ok = shape(n, "AA0000000")
	case DocPassport:
		ok = len(n) >= 6 && len(n) <= 9 && alnum(n) && strings.ContainsAny(n, "0123456789")
	case DocDrivingLicence:
		ok = len(n) == 10 && alnum(n) && strings.ContainsAny(n, "0123456789") &&
			strings.ContainsAny(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	default:
		return apperr.Errorf(apperr.Invalid, "document: unknown type %q", t)
	}
	if !ok {
		return apperr.Errorf(apperr.Invalid, "document %s: the number has the wrong shape", t)
	}
	return nil
}

// shape matches s against a pattern where A is a letter and 0 a digit.
func shape(s, pattern string) bool {
	if len(s) != len(pattern) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch pattern[i] {
		case 'A':
			if c < 'A' || c > 'Z' {
				return false
			}
		case '0':
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// NormalizeDocumentNumber is a document number as it is stored: upper
// case, without spaces, however the operator typed it.
func NormalizeDocumentNumber(number string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(number), " ", ""))
}

// MaskDocumentNumber shows a stored document number the way lists show
// it: its first two and last two characters, so that the operator can
// match it against the document in front of them without the list
// disclosing it (e.g. CA•••••AB).
func MaskDocumentNumber(number string) string {
	r := []rune(number)
	if len(r) < 6 {
		return strings.Repeat("•", len(r))
	}
	return string(r[:2]) + strings.Repeat("•", len(r)-4) + string(r[len(r)-2:])
}
