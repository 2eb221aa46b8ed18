// Package mail sends e-mail to citizens — the code that confirms an address,
// the receipt of a submitted pratica, its outcome — without ever losing one
// that the application has promised.
//
// A message is written to the mail table by Queue inside the transaction of
// the change that causes it, together with a River job that carries only the
// message's ente and id (a transactional outbox, see
// docs/decisions/0002-jobs-river.md): if the transaction rolls back there is
// neither row nor job, if it commits the job will run. The job's worker loads
// the row, hands it to a Sender and records the outcome on the row, which is
// the lasting record of what was sent: River forgets finished jobs after a
// day.
//
// Two Senders exist: SMTP, for production, and Catcher, for the demo, which
// sends nothing and lets internal/sim/mailcatcher show the rows instead.
//
// Wiring, in main:
//
//	river.AddWorker(reg, mail.NewWorker(d, sender, logger))
//	…
//	id, err := mail.Queue(ctx, tx, jobs, mail.Message{…}, now)
package mail

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/tenant"
)

// ID identifies a message within its ente's outbox.
type ID int64

// Message is one e-mail to one citizen. It has no From: the sender's address
// is the deployment's (see SMTPConfig.From), so that one authorised relay
// serves every ente; the ente's name is shown as the sender's display name.
type Message struct {
	Ente tenant.ID
	// To is one bare address (no display name): messages go to one person,
	// and a list would let a bug copy one citizen's data to another.
	To      string
	Subject string
	// Text is the plain-text body, always present: it is what every client
	// can show and what the demo's catcher displays.
	Text string
	// HTML is an optional alternative body.
	HTML string
	// Kind says what the message is for, e.g. "contact-code" or
	// "pratica-received"; it goes to logs and to the catcher, never to the
	// recipient.
	Kind string
	// Ref says what the message is about, e.g. "pratica:42".
	Ref string
}

// Limits on a message, far above any real one, so that a bug cannot fill the
// outbox or the relay.
const (
	maxAddress = 254 // RFC 5321 path limit
	maxSubject = 998 // RFC 5322 line limit
	maxBody    = 1 << 20
	maxKind    = 64
	maxRef     = 200
)

// Validate checks a message before it is queued, so that an error surfaces
// in the request that wrote it and not days later in a retried job.
func (m Message) Validate() error {
	if m.Ente <= 0 {
		return apperr.Errorf(apperr.Invalid, "mail: no ente")
	}
	if err := ValidateAddress(m.To); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(m.Subject) == "":
		return apperr.Errorf(apperr.Invalid, "mail: empty subject")
	case len(m.Subject) > maxSubject || strings.ContainsAny(m.Subject, "\r\n"):
		return apperr.Errorf(apperr.Invalid, "mail: subject too long or on several lines")
	case strings.TrimSpace(m.Text) == "":
		return apperr.Errorf(apperr.Invalid, "mail: empty text body")
	case len(m.Text) > maxBody || len(m.HTML) > maxBody:
		return apperr.Errorf(apperr.Invalid, "mail: body larger than %d bytes", maxBody)
	case !utf8.ValidString(m.Subject) || !utf8.ValidString(m.Text) || !utf8.ValidString(m.HTML):
		return apperr.Errorf(apperr.Invalid, "mail: text is not valid UTF-8")
	case !validToken(m.Kind, maxKind):
		return apperr.Errorf(apperr.Invalid, "mail: kind %q: want lower-case letters, digits, dashes, underscores or dots", m.Kind)
	case len(m.Ref) > maxRef || !utf8.ValidString(m.Ref) || strings.ContainsAny(m.Ref, "\r\n"):
		return apperr.Errorf(apperr.Invalid, "mail: ref too long or on several lines")
	}
	return nil
}

// ValidateAddress accepts one bare e-mail address such as
// "mario.rossi@example.it", the form citizens type into a contact form; it
// refuses display names, lists, comments and anything that would not be the
// same address once parsed, so that the stored address is the one used.
func ValidateAddress(addr string) error {
	if addr == "" {
		return apperr.Errorf(apperr.Invalid, "mail: no recipient address")
	}
	if len(addr) > maxAddress || strings.ContainsAny(addr, " \t\r\n<>,;\"()") {
		return apperr.Errorf(apperr.Invalid, "mail: recipient is not one plain address")
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr {
		return apperr.Errorf(apperr.Invalid, "mail: recipient is not one plain address")
	}
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") || strings.HasPrefix(domain, "[") {
		return apperr.Errorf(apperr.Invalid, "mail: recipient domain is not a host name")
	}
	return nil
}

// validToken reports whether s is a short lower-case identifier.
func validToken(s string, limit int) bool {
	if s == "" || len(s) > limit {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' && r != '.' {
			return false
		}
	}
	return true
}

// Status is where a message stands in its delivery.
type Status string

// The statuses of a message. A message being retried stays Queued, with
// Attempts and LastError telling why.
const (
	Queued Status = "queued"
	Sent   Status = "sent"
	Failed Status = "failed"
)

// valid reports whether s is one of the statuses (or empty, for "any").
func (s Status) valid() bool {
	return s == "" || s == Queued || s == Sent || s == Failed
}

// Record is a message as stored, with its delivery so far.
type Record struct {
	ID ID
	Message
	Status   Status
	Attempts int
	// LastError is the last failure's text, for the operator; it may quote
	// the relay's answer and so the address.
	LastError string
	// Via names the Sender that delivered the message ("smtp", "catcher").
	Via     string
	Created time.Time
	// Sent is zero until the message is sent.
	Sent time.Time
}

// Sender delivers one message. It exists as an interface because two
// deliveries exist: SMTP, to a relay, and Catcher, to nobody (the demo).
// from is the display name of the sender, the ente's name. A Sender must
// return an error wrapping ErrRejected when retrying cannot help (the relay
// refused the recipient for good), so the message fails at once.
type Sender interface {
	Send(ctx context.Context, from string, m Message) error
}

// ErrRejected marks a permanent refusal of a message, which the worker does
// not retry.
var ErrRejected = apperr.New(apperr.Invalid, "mail: message refused for good")

// via names a Sender for the mail.via column, when it says its name.
func via(s Sender) string {
	if n, ok := s.(interface{ Via() string }); ok {
		return n.Via()
	}
	return fmt.Sprintf("%T", s)
}
