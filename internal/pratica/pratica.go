// Package pratica is a citizen's request from draft to outcome: its answers
// and attachments, its states and the events that record every change, its
// legal term, the conversation with the office, the integration requests and
// the decision.
//
// Every function that changes a pratica takes the caller's transaction and
// one `now`, so that a submission is a single commit: the pratica submitted,
// its incoming protocol number, its receipt, its event and its notification
// are stored together or not at all (see Submit). The pratica row is locked
// first in every change, so concurrent changes of one pratica queue rather
// than interleave. Every store function takes the ente and filters by it: a
// pratica of another ente is NotFound.
//
// Permissions (which operator of which office, which delegate) are the web
// layer's, through identity.Can; this package enforces the state machine
// (the one table in state.go), the kind of actor each transition admits, and
// that a citizen acting on a pratica is its holder or the delegate who filed
// it.
package pratica

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// ID identifies a pratica within its ente; pages show it beside the
// protocol number, which exists only once the pratica is submitted.
type ID int64

// Pratica is one request of a citizen, as the pages and the office see it.
type Pratica struct {
	ID   ID
	Ente tenant.ID
	// Service and ServiceVersion name the catalogue card, and the version
	// of its form, the pratica was filed under: a later version of the card
	// does not change what this citizen answered.
	Service        string
	ServiceVersion int
	// FormVersion is the version of the service's form the answers were
	// given under: a draft's is the current form's, a filed pratica's stays.
	FormVersion int
	Title       string
	// Citizen is whose pratica it is (the intestatario).
	Citizen identity.CitizenID
	// FiledBy is who filled it in: the citizen, a delegate citizen, or a
	// desk operator filing on the citizen's behalf.
	FiledBy identity.Subject
	// Delegation is the delegation a delegate filed under; zero otherwise.
	Delegation identity.DelegationID
	// Office handles the pratica; it comes from the service's card.
	Office int64
	State  State
	// Answers are the form.Answers, JSON-encoded as the form package
	// writes them (deterministically, so that they can be hashed).
	Answers json.RawMessage
	// Attachments are every file of the pratica: the citizen's uploads,
	// the receipt, the outcome letter, integration and message files.
	Attachments []Attachment
	// ProtocolYear and ProtocolNumber are the incoming protocol entry
	// taken at submission; zero for a draft.
	ProtocolYear   int
	ProtocolNumber int64
	// OutcomeYear and OutcomeNumber are the outgoing protocol entry of
	// the outcome letter; zero until decided.
	OutcomeYear   int
	OutcomeNumber int64
	SubmittedAt   time.Time
	DecidedAt     time.Time
	Term          Term
	// Due is the last day of the legal term, recomputed whenever the term
	// is suspended or resumed; zero when no deadline runs (a draft, a
	// service without a term, a suspended term).
	Due      calendar.Date
	Assignee identity.OperatorID
	// Fee is what the citizen pays, in cents; zero means free. A pratica
	// with a fee waits in AwaitingPayment after submission until paid.
	Fee       int64
	CreatedAt time.Time
	UpdatedAt time.Time
	// DraftExpires is when an untouched draft is purged (a year after its
	// last save); zero once submitted.
	DraftExpires time.Time

	// idempotencyKey is the key of the submission that numbered the
	// pratica, compared when the same submission is retried.
	idempotencyKey string
}

// ProtocolDisplay is the incoming protocol number as citizens see it,
// "2026/0000042", or "" for a draft.
func (p *Pratica) ProtocolDisplay() string {
	return protocolDisplay(p.ProtocolYear, p.ProtocolNumber)
}

// OutcomeDisplay is the outcome letter's protocol number, or "".
func (p *Pratica) OutcomeDisplay() string {
	return protocolDisplay(p.OutcomeYear, p.OutcomeNumber)
}

func protocolDisplay(year int, number int64) string {
	if number == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%07d", year, number)
}

// AttachmentKind says where a file of a pratica comes from, because the
// pages group them that way and only uploads belong to the draft.
type AttachmentKind string

// The kinds of attachment.
const (
	// Upload is a file the citizen attached to the form.
	Upload AttachmentKind = "upload"
	// Receipt is the ricevuta generated at submission.
	Receipt AttachmentKind = "receipt"
	// Outcome is the outcome letter generated at the decision.
	Outcome AttachmentKind = "outcome"
	// Integration is a file sent in answer to an integration request.
	Integration AttachmentKind = "integration"
	// MessageFile is a file attached to a message.
	MessageFile AttachmentKind = "message"
)

// Attachment is one file of a pratica; the bytes live in the blob store
// under SHA256, so the row can be trusted without reading them.
type Attachment struct {
	ID int64
	// Field is the form field an upload answers; empty for other kinds.
	Field string
	Name  string
	MIME  string
	Size  int64
	// SHA256 is the lowercase hex digest of the bytes and their blob key.
	SHA256 string
	Kind   AttachmentKind
	// Message is the message a MessageFile or Integration file came with.
	Message   int64
	CreatedAt time.Time
}

// File is a file the caller has already put in the blob store and now
// attaches to a pratica; the package sets the kind, id and time.
type File struct {
	Field  string
	Name   string
	MIME   string
	Size   int64
	SHA256 string
}

// ActorKind says what kind of party acted on a pratica, because the state
// table admits each transition only for some kinds.
type ActorKind string

// The kinds of actor.
const (
	ActorCitizen  ActorKind = "citizen"
	ActorOperator ActorKind = "operator"
	// ActorSystem is the platform itself: a payment reconciliation, a
	// deadline sweep.
	ActorSystem ActorKind = "system"
)

// Actor is who made a change: a citizen, an operator, or the system.
type Actor struct {
	Kind ActorKind
	// ID is the citizen's or the operator's id; zero for the system.
	ID int64
}

// CitizenActor is the Actor of a citizen.
func CitizenActor(id identity.CitizenID) Actor { return Actor{Kind: ActorCitizen, ID: int64(id)} }

// OperatorActor is the Actor of an operator.
func OperatorActor(id identity.OperatorID) Actor { return Actor{Kind: ActorOperator, ID: int64(id)} }

// SystemActor is the platform acting by itself.
var SystemActor = Actor{Kind: ActorSystem}

// ActorOf turns an identity subject (a session's person) into an Actor.
func ActorOf(s identity.Subject) Actor {
	if s.Kind == identity.SubjectOperator {
		return Actor{Kind: ActorOperator, ID: s.ID}
	}
	return Actor{Kind: ActorCitizen, ID: s.ID}
}

// String names the actor as the protocol register records its authors,
// "citizen:12", "operator:3" or "system".
func (a Actor) String() string {
	if a.Kind == ActorSystem {
		return "system"
	}
	return fmt.Sprintf("%s:%d", a.Kind, a.ID)
}

func (a Actor) valid() bool {
	switch a.Kind {
	case ActorCitizen, ActorOperator:
		return a.ID > 0
	case ActorSystem:
		return a.ID == 0
	}
	return false
}

// EventKind names what happened in an event, which the timeline shows and
// the statistics count.
type EventKind string

// The kinds of event.
const (
	EventCreate             EventKind = "create"
	EventSubmit             EventKind = "submit"
	EventPay                EventKind = "pay"
	EventTakeInCharge       EventKind = "take_in_charge"
	EventAssign             EventKind = "assign"
	EventRequestIntegration EventKind = "request_integration"
	EventAnswerIntegration  EventKind = "answer_integration"
	EventDecide             EventKind = "decide"
	EventWithdraw           EventKind = "withdraw"
	EventClose              EventKind = "close"
)

// Event is one row of a pratica's history: who, when, from which state to
// which, and why. An assignment keeps the state, so From equals To.
type Event struct {
	Seq    int
	At     time.Time
	Actor  Actor
	Kind   EventKind
	From   State // "" for the creation
	To     State
	Reason string
	// Assignee is set on take-in-charge and assign events.
	Assignee identity.OperatorID
}

// Message is one message of the conversation between the citizen and the
// office, or an internal note that only operators see.
type Message struct {
	ID          int64
	Pratica     ID
	From        identity.Subject
	Internal    bool
	Text        string
	Attachments []Attachment
	At          time.Time
}

// ts is the form in which every time is stored: UTC at the microsecond
// precision PostgreSQL keeps, so that a value read back equals the one
// written on both engines.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// rome is where a day is decided: a term counts days in Italy, and a
// submission at 00:30 on 1 June is a June submission though still May in
// UTC.
var rome = sync.OnceValues(func() (*time.Location, error) {
	return time.LoadLocation("Europe/Rome")
})

// romeDate returns the civil date of t in Europe/Rome.
func romeDate(t time.Time) calendar.Date {
	loc, err := rome()
	if err != nil {
		// Without the zone database the UTC date is the best left; main
		// imports time/tzdata, so this is for broken test setups only.
		return calendar.DateOf(t.UTC())
	}
	return calendar.DateOf(t.In(loc))
}

// digestOf is the lowercase hex SHA-256 of b.
func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
