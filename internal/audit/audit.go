// Package audit is the ente's audit log: who did and saw what, when, from
// where and with what outcome — logins and their failures, logouts, role and
// delegation changes, every operator's view of a citizen's data. Events are
// appended inside the transaction of the change they describe, numbered
// without gaps per ente and chained by SHA-256, and the database refuses to
// change or remove them; Verify finds a row altered, removed or inserted
// behind the application's back.
//
// The log holds as little personal data as its purpose allows (GDPR art. 5
// c. 1 c): actors and subjects are internal identifiers, client addresses
// are truncated to their network, and a codice fiscale is refused outright.
package audit

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/chain"
	"github.com/sportello/sportello/internal/tenant"
)

// ActorKind says what sort of party acted, because the same identifier
// means different people in the citizens' and the operators' tables.
type ActorKind string

// The kinds of actor.
const (
	// Citizen is a person logged in to the personal area; the ID is the
	// citizen's internal id, never the codice fiscale.
	Citizen ActorKind = "citizen"
	// Operator is an employee of the ente (desk, back office, administrator).
	Operator ActorKind = "operator"
	// System is the platform itself: a job, a migration, the command line.
	System ActorKind = "system"
	// Anonymous is someone not (yet) identified, such as a failed login.
	Anonymous ActorKind = "anonymous"
)

// Actor is who acted. It names the party by identifier so that the log
// stays readable after a name changes and holds no more personal data than
// it must: a citizen's name is looked up when the log is shown.
type Actor struct {
	Kind ActorKind
	// ID is the internal id of the citizen or operator, or the name of the
	// system component; empty for an anonymous actor.
	ID string
	// Name is a label kept for operators and system components, whose
	// accountability must survive their account's removal; it must be
	// empty for citizens and anonymous actors.
	Name string
}

// Action is what was done, a dotted lower-case verb phrase: the actions
// below, and whatever later domains add in the same form.
type Action string

// The actions Sportello audits from its first release (issue 3, item 12).
const (
	ActionLogin             Action = "login"
	ActionLoginFailed       Action = "login.failed"
	ActionLogout            Action = "logout"
	ActionSessionEnded      Action = "session.ended" // expired or revoked without a logout
	ActionRoleChanged       Action = "role.changed"
	ActionDelegationCreated Action = "delegation.created"
	ActionDelegationRevoked Action = "delegation.revoked"
	ActionCitizenViewed     Action = "citizen.viewed" // an operator opened a citizen's data
)

// Outcome is how the action ended, because refused attempts matter to an
// audit as much as successful ones.
type Outcome string

// The outcomes of an action.
const (
	Success Outcome = "success"
	// Failure is an attempt that did not succeed, such as a wrong password.
	Failure Outcome = "failure"
	// Denied is an attempt refused for lack of permission.
	Denied Outcome = "denied"
)

// Event is one row of the log. Record fills in Seq, At, the masked IP and
// the hashes; the caller the rest.
type Event struct {
	Ente tenant.ID
	// Seq numbers the ente's events from 1 without gaps.
	Seq int64
	// At is when the event was recorded, in UTC to the microsecond (the
	// precision both engines keep, so that the hash can be recomputed).
	At     time.Time
	Actor  Actor
	Action Action
	// Subject is what was acted on, as "kind:id": "citizen:42",
	// "operator:7", "delegation:3".
	Subject   string
	Outcome   Outcome
	RequestID string
	// IP is the client's address truncated to its /24 (IPv4) or /48
	// (IPv6) network, e.g. "192.0.2.0/24": enough to tell an office from an
	// attack abroad, not enough to single out a household. Record
	// truncates whatever address it is given.
	IP string
	// Detail is a short note without personal data, e.g. "role istruttore
	// granted" or "spid level 2".
	Detail       string
	PreviousHash string
	Hash         string
}

// Genesis is the previous hash of each ente's first event.
const Genesis = chain.Genesis

// Field limits keep rows small and discourage using Detail as a dump.
const (
	maxID      = 128
	maxName    = 200
	maxAction  = 64
	maxSubject = 200
	maxRequest = 128
	maxDetail  = 500
)

var (
	actionRe = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)
	// fiscalCodeRe finds a personal codice fiscale, omocodia included,
	// anywhere in a text.
	fiscalCodeRe = regexp.MustCompile(`(?i)[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]`)
)

// validate checks what the caller supplies and truncates the IP.
func (e *Event) validate() error {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if e.Ente <= 0 {
		add("no ente")
	}
	switch e.Actor.Kind {
	case Citizen, Operator:
		if e.Actor.ID == "" {
			add("%s actor without an id", e.Actor.Kind)
		}
	case System:
	case Anonymous:
		if e.Actor.ID != "" {
			add("anonymous actor with an id")
		}
	default:
		add("actor kind %q: want citizen, operator, system or anonymous", e.Actor.Kind)
	}
	if e.Actor.Name != "" && (e.Actor.Kind == Citizen || e.Actor.Kind == Anonymous) {
		add("%s actor with a name: the id is enough", e.Actor.Kind)
	}
	if len(e.Action) > maxAction || !actionRe.MatchString(string(e.Action)) {
		add("action %q: want dotted lower-case words such as login.failed", e.Action)
	}
	if e.Outcome != Success && e.Outcome != Failure && e.Outcome != Denied {
		add("outcome %q: want success, failure or denied", e.Outcome)
	}
	texts := []struct {
		name, v  string
		max      int
		personal bool
	}{
		{"actor id", e.Actor.ID, maxID, true},
		{"actor name", e.Actor.Name, maxName, true},
		{"subject", e.Subject, maxSubject, true},
		{"request id", e.RequestID, maxRequest, false},
		{"detail", e.Detail, maxDetail, true},
	}
	for _, t := range texts {
		switch {
		case len(t.v) > t.max:
			add("%s longer than %d bytes", t.name, t.max)
		case strings.ContainsFunc(t.v, unicode.IsControl):
			add("%s has control characters", t.name)
		case t.personal && fiscalCodeRe.MatchString(t.v):
			add("%s holds a codice fiscale: use the internal id", t.name)
		}
	}
	ip, err := MaskIP(e.IP)
	if err != nil {
		add("%v", err)
	}
	if len(probs) > 0 {
		return apperr.Errorf(apperr.Invalid, "%s", strings.Join(probs, "; "))
	}
	e.IP = ip
	return nil
}

// MaskIP truncates a client address — "192.0.2.7", "192.0.2.7:5123",
// "[2001:db8::1]:443" — to its /24 or /48 network in prefix form, the
// granularity the log keeps (see Event.IP). An empty address stays empty;
// an already masked one is returned unchanged.
func MaskIP(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	addr, err := parseAddr(s)
	if err != nil {
		return "", fmt.Errorf("ip %q: not an address", s)
	}
	bits := 48
	if addr.Is4() {
		bits = 24
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return "", fmt.Errorf("ip %q: %w", s, err)
	}
	return p.String(), nil
}

// parseAddr reads an address, an address with a port, or a prefix, and
// drops the zone and the IPv4-in-IPv6 mapping, which say nothing about who
// connected.
func parseAddr(s string) (netip.Addr, error) {
	var addr netip.Addr
	var err error
	if ap, perr := netip.ParseAddrPort(s); perr == nil {
		addr = ap.Addr()
	} else if p, perr := netip.ParsePrefix(s); perr == nil {
		addr = p.Addr()
	} else if addr, err = netip.ParseAddr(s); err != nil {
		return netip.Addr{}, err
	}
	return addr.WithZone("").Unmap(), nil
}

// hashVersion starts the canonical form, so that a future change of the
// form can coexist with events hashed under this one.
const hashVersion = "sportello-audit-v1"

// timeLayout fixes the time's textual form in the hash: UTC, microseconds.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// computeHash is SHA-256 over a canonical form of every stored field but the
// hash itself: each field as its length, a colon and its value, one a line,
// so that no two different events serialise alike.
func (e *Event) computeHash() string {
	fields := [...]string{
		hashVersion,
		strconv.FormatInt(int64(e.Ente), 10),
		strconv.FormatInt(e.Seq, 10),
		e.At.UTC().Format(timeLayout),
		string(e.Actor.Kind),
		e.Actor.ID,
		e.Actor.Name,
		string(e.Action),
		e.Subject,
		string(e.Outcome),
		e.RequestID,
		e.IP,
		e.Detail,
		e.PreviousHash,
	}
	return chain.Hash(fields[:]...)
}
