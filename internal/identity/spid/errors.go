package spid

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/beevik/etree"

	"github.com/sportello/sportello/internal/apperr"
)

// Anomaly is an identity provider's answer that the login did not happen
// (a non-Success status), kept apart from a malformed or forged message
// because the citizen must see a page that explains what to do: try again,
// get a higher-level credential, unlock the identity.
type Anomaly struct {
	// Code is the SPID error code of the regole tecniche ("Messaggi di
	// errore") taken from the StatusMessage, "nr08" to "nr30", or "" when
	// the IdP sent none or one the rules do not define.
	Code string
	// StatusCode is the top-level SAML status, SubStatus the second-level
	// one (…:AuthnFailed for every user anomaly).
	StatusCode, SubStatus string
	// StatusMessage is the IdP's text, as sent: for logs only.
	StatusMessage string
}

// Error describes the anomaly for logs; the page shown to the citizen comes
// from the locale files, chosen by Code.
func (a *Anomaly) Error() string {
	code := a.Code
	if code == "" {
		code = "no code"
	}
	return fmt.Sprintf("spid: identity provider refused the login (%s): status %s %s, message %q",
		code, a.StatusCode, a.SubStatus, clip(a.StatusMessage, 120))
}

// UserCaused reports whether the anomaly is one the rules attribute to the
// citizen (codes 19 to 25 and 30: wrong or insufficient credentials,
// timeout, consent denied, suspended identity, cancelled, wrong identity
// type), as opposed to a request the IdP judged malformed (08 to 18), which
// is ours to fix.
func (a *Anomaly) UserCaused() bool {
	switch a.Code {
	case "nr19", "nr20", "nr21", "nr22", "nr23", "nr25", "nr30":
		return true
	}
	return false
}

// anomalyCodes are the codes the regole tecniche send to the SP in a
// StatusMessage "ErrorCode nrNN": 08 to 18 for requests the IdP refused, 19
// to 23 and 25 for the user anomalies, 30 for an identity of the wrong type
// (Avviso 18). Codes 1 to 7 are shown by the IdP itself and never reach the
// SP; 24 is reserved; CIE uses the same numbering (21, 22, 23, 25).
var anomalyCodes = map[string]bool{
	"nr08": true, "nr09": true, "nr10": true, "nr11": true, "nr12": true,
	"nr13": true, "nr14": true, "nr15": true, "nr16": true, "nr17": true,
	"nr18": true, "nr19": true, "nr20": true, "nr21": true, "nr22": true,
	"nr23": true, "nr25": true, "nr30": true,
}

var errorCodeRe = regexp.MustCompile(`(?i)\bErrorCode\s*nr\s*(\d{1,2})\b`)

// anomalyCode extracts the SPID error code from a StatusMessage such as
// "ErrorCode nr19", or returns "" for a message without a known code.
func anomalyCode(message string) string {
	m := errorCodeRe.FindStringSubmatch(message)
	if m == nil {
		return ""
	}
	n := m[1]
	if len(n) == 1 {
		n = "0" + n
	}
	code := "nr" + n
	if !anomalyCodes[code] {
		return ""
	}
	return code
}

// CheckError names the validation check a message failed, so that logs and
// metrics can count failures by rule (for example "assertion.audience")
// without parsing messages. It never carries personal data.
type CheckError struct {
	// Check is a dotted name: the element, then the attribute or rule.
	Check  string
	Detail string
}

// Error returns the check and its detail for logs.
func (e *CheckError) Error() string { return "spid: " + e.Check + ": " + e.Detail }

// CheckOf returns the name of the check err failed, or "" when err is not a
// validation failure (an Anomaly, say, or nil).
func CheckOf(err error) string {
	var ce *CheckError
	if errors.As(err, &ce) {
		return ce.Check
	}
	return ""
}

// fail returns the error for a failed check: Invalid, because the message
// the browser posted does not pass the rules, whoever made it.
func fail(check, format string, args ...any) error {
	return apperr.Errorf(apperr.Invalid, "%w", &CheckError{Check: check, Detail: fmt.Sprintf(format, args...)})
}

// misconfigured is the error for an SP that lacks what a check compares
// against (an empty ACS URL would match an empty Destination): Internal,
// because the fault is ours, and never a pass (fail closed).
func misconfigured(detail string) error {
	return &apperr.Error{Kind: apperr.Internal, Err: &CheckError{Check: "sp.config", Detail: detail + " (fail closed)"}}
}

// clip shortens s to at most n runes for a log line, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// checkStatus returns nil for Success and otherwise the anomaly the IdP
// reported. A Status without a StatusCode value is malformed, not an
// anomaly: it cannot be shown to the citizen as any known case.
func checkStatus(resp *etree.Element) error {
	statuses := childrenOf(resp, samlpNS, "Status")
	if len(statuses) != 1 {
		return fail("response.status", "%d Status elements, want 1", len(statuses))
	}
	codes := childrenOf(statuses[0], samlpNS, "StatusCode")
	if len(codes) != 1 {
		return fail("response.status", "%d StatusCode elements, want 1", len(codes))
	}
	top := codes[0].SelectAttrValue("Value", "")
	if top == "" {
		return fail("response.status", "empty StatusCode")
	}
	if top == StatusSuccess {
		return nil
	}
	a := &Anomaly{StatusCode: top}
	if sub := childrenOf(codes[0], samlpNS, "StatusCode"); len(sub) > 0 {
		a.SubStatus = sub[0].SelectAttrValue("Value", "")
	}
	if msgs := childrenOf(statuses[0], samlpNS, "StatusMessage"); len(msgs) > 0 {
		a.StatusMessage, _ = textOf(msgs[0])
	}
	a.Code = anomalyCode(a.StatusMessage)
	return apperr.Errorf(apperr.Unauthorized, "%w", a)
}
