package pratica

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/tenant"
)

// MaxText bounds a message, a motivation or a reason, so that one request
// cannot store megabytes of text.
const MaxText = 20000

func checkText(what, s string, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return apperr.Errorf(apperr.Invalid, "%s is required", what)
	case len(s) > MaxText:
		return apperr.Errorf(apperr.Invalid, "%s longer than %d bytes", what, MaxText)
	}
	return nil
}

// move applies e to the locked pratica p: it checks the table, sets the
// state, recomputes the due date when cal is given (from the whole history
// plus e, so that a suspension opened or closed by e counts), saves the row
// and appends the event.
func move(ctx context.Context, tx *sql.Tx, cal *calendar.Calendar, p *Pratica, e Event) error {
	if e.From != e.To || e.Kind != EventAssign {
		if err := checkTransition(p.State, e.To, e.Actor); err != nil {
			return err
		}
	}
	e.From = p.State
	p.State, p.UpdatedAt = e.To, ts(e.At)
	if cal != nil {
		history, err := events(ctx, tx, p.Ente, p.ID)
		if err != nil {
			return err
		}
		p.Due = dueDate(cal, p, append(history, e))
	}
	if err := save(ctx, tx, p); err != nil {
		return err
	}
	return addEvent(ctx, tx, p.Ente, p.ID, e)
}

// change locks the pratica, lets fn check and prepare the event, and moves.
func change(ctx context.Context, tx *sql.Tx, cal *calendar.Calendar, ente tenant.ID, id ID, what string, fn func(p *Pratica) (Event, error)) (*Pratica, error) {
	p, err := lock(ctx, tx, ente, id)
	if err != nil {
		return nil, fmt.Errorf("pratica %d: %s: %w", id, what, err)
	}
	e, err := fn(p)
	if err == nil {
		err = move(ctx, tx, cal, p, e)
	}
	if err != nil {
		return nil, fmt.Errorf("pratica %d: %s: %w", id, what, err)
	}
	return p, nil
}

// TakeInCharge gives a submitted pratica to the operator who takes it (presa
// in carico): it moves to InReview with them as assignee.
func TakeInCharge(ctx context.Context, tx *sql.Tx, ente tenant.ID, id ID, operator identity.OperatorID, now time.Time) (*Pratica, error) {
	return change(ctx, tx, nil, ente, id, "take in charge", func(p *Pratica) (Event, error) {
		p.Assignee = operator
		return Event{At: now, Actor: OperatorActor(operator), Kind: EventTakeInCharge, To: InReview, Assignee: operator}, nil
	})
}

// Assign gives the pratica to operator to, by operator by (a head
// distributing the office's work). A submitted pratica moves to InReview, as
// if to had taken it; in review or awaiting an integration it keeps its
// state. An operator of another ente is Invalid.
func Assign(ctx context.Context, tx *sql.Tx, ente tenant.ID, id ID, by, to identity.OperatorID, now time.Time) (*Pratica, error) {
	return change(ctx, tx, nil, ente, id, "assign", func(p *Pratica) (Event, error) {
		if !assignable(p.State) {
			return Event{}, checkTransition(p.State, InReview, OperatorActor(by))
		}
		if to <= 0 {
			return Event{}, apperr.Errorf(apperr.Invalid, "assign to nobody")
		}
		state := p.State
		if state == Submitted {
			state = InReview
		}
		p.Assignee = to
		return Event{At: now, Actor: OperatorActor(by), Kind: EventAssign, From: p.State, To: state, Assignee: to}, nil
	})
}

// RequestIntegration asks the citizen for more documents: the pratica moves
// to IntegrationRequested, the legal term stops (L. 241/1990 art. 2 c. 7),
// and message is sent to the citizen as a message of the pratica. cal is the
// ente's calendar, for the due date.
func RequestIntegration(ctx context.Context, tx *sql.Tx, cal *calendar.Calendar, ente tenant.ID, id ID, operator identity.OperatorID, message string, now time.Time) (*Pratica, error) {
	return change(ctx, tx, cal, ente, id, "request integration", func(p *Pratica) (Event, error) {
		if err := checkText("the request", message, true); err != nil {
			return Event{}, err
		}
		if err := checkTransition(p.State, IntegrationRequested, OperatorActor(operator)); err != nil {
			return Event{}, err
		}
		from := identity.OperatorSubject(operator)
		if _, err := addMessage(ctx, tx, p, MessageInput{From: from, Text: message}, Integration, now); err != nil {
			return Event{}, err
		}
		return Event{At: now, Actor: OperatorActor(operator), Kind: EventRequestIntegration, To: IntegrationRequested, Reason: message}, nil
	})
}

// AnswerIntegration is the citizen's reply to an integration request, with
// a message and the files asked for (already in the blob store): the
// pratica returns to InReview and the term resumes, the days of the
// suspension added back. A reply needs a message or a file.
func AnswerIntegration(ctx context.Context, tx *sql.Tx, cal *calendar.Calendar, ente tenant.ID, id ID, citizen identity.CitizenID, message string, files []File, now time.Time) (*Pratica, error) {
	p, err := change(ctx, tx, cal, ente, id, "answer integration", func(p *Pratica) (Event, error) {
		if err := checkCitizen(p, citizen); err != nil {
			return Event{}, err
		}
		if err := checkTransition(p.State, InReview, CitizenActor(citizen)); err != nil {
			return Event{}, err
		}
		if strings.TrimSpace(message) == "" && len(files) == 0 {
			return Event{}, apperr.Errorf(apperr.Invalid, "an answer needs a message or a file")
		}
		in := MessageInput{From: identity.CitizenSubject(citizen), Text: message, Attachments: files}
		if _, err := addMessage(ctx, tx, p, in, Integration, now); err != nil {
			return Event{}, err
		}
		return Event{At: now, Actor: CitizenActor(citizen), Kind: EventAnswerIntegration, To: InReview, Reason: truncate(message, 200)}, nil
	})
	if err != nil {
		return nil, err
	}
	if p.Attachments, err = attachments(ctx, tx, ente, id); err != nil {
		return nil, fmt.Errorf("pratica %d: answer integration: %w", id, err)
	}
	return p, nil
}

// Withdraw is the citizen's renunciation (rinuncia) of a pratica not yet
// decided; reason may be empty.
func Withdraw(ctx context.Context, tx *sql.Tx, ente tenant.ID, id ID, citizen identity.CitizenID, reason string, now time.Time) (*Pratica, error) {
	return change(ctx, tx, nil, ente, id, "withdraw", func(p *Pratica) (Event, error) {
		if err := checkCitizen(p, citizen); err != nil {
			return Event{}, err
		}
		if err := checkText("the reason", reason, false); err != nil {
			return Event{}, err
		}
		return Event{At: now, Actor: CitizenActor(citizen), Kind: EventWithdraw, To: Withdrawn, Reason: reason}, nil
	})
}

// Close archives a decided or withdrawn pratica, or one whose fee was never
// paid; actor is an operator or the system.
func Close(ctx context.Context, tx *sql.Tx, ente tenant.ID, id ID, actor Actor, reason string, now time.Time) (*Pratica, error) {
	return change(ctx, tx, nil, ente, id, "close", func(p *Pratica) (Event, error) {
		if !actor.valid() {
			return Event{}, apperr.Errorf(apperr.Invalid, "unknown actor %s", actor)
		}
		if err := checkText("the reason", reason, false); err != nil {
			return Event{}, err
		}
		return Event{At: now, Actor: actor, Kind: EventClose, To: Closed, Reason: reason}, nil
	})
}

// MarkPaid records that the fee of a pratica awaiting payment was paid (by
// the pagoPA reconciliation, or an operator at the desk): it moves to
// Submitted and the term, which stood still while the fee was owed, starts.
func MarkPaid(ctx context.Context, tx *sql.Tx, cal *calendar.Calendar, ente tenant.ID, id ID, actor Actor, now time.Time) (*Pratica, error) {
	return change(ctx, tx, cal, ente, id, "mark paid", func(p *Pratica) (Event, error) {
		if !actor.valid() {
			return Event{}, apperr.Errorf(apperr.Invalid, "unknown actor %s", actor)
		}
		return Event{At: now, Actor: actor, Kind: EventPay, To: Submitted}, nil
	})
}

// LetterData is everything the outcome letter shows, for the renderer the
// web layer wires.
type LetterData struct {
	EnteName     string
	Pratica      ID
	ServiceTitle string
	// Protocol is the incoming number of the istanza the letter answers.
	Protocol     string
	SubmittedAt  time.Time // in Europe/Rome
	CitizenName  string
	FiscalCode   string
	Accepted     bool
	Motivation   string
	DecidedAt    time.Time // in Europe/Rome
	OperatorName string
}

// DecideInput is the outcome and what Decide needs to produce its letter.
type DecideInput struct {
	Accepted   bool
	Motivation string
	// Letter renders the outcome letter's PDF.
	Letter func(LetterData) ([]byte, error)
	Blobs  blob.Store
	// Calendar is the ente's calendar; it fixes the due date when the
	// decision ends a suspension (a rejection for missing documents).
	Calendar *calendar.Calendar
	// EnteName is printed on the letter; empty loads it.
	EnteName string
	// Jobs and Mail queue an optional notification in the transaction.
	Jobs *jobs.Jobs
	Mail *mail.Message
	// Correspondent and Subject are the outgoing protocol entry's; empty
	// means the citizen's name and "Esito istanza" with the numbers.
	Correspondent, Subject string
}

// Decide concludes the pratica, accepted or rejected, with a motivation (L.
// 241/1990 art. 3): it renders the outcome letter, stores it, registers it
// as an OUTGOING protocol entry whose document hash is the letter's, and
// records the decision. The letter cannot carry its own outgoing number
// (which depends on its hash); it cites the istanza's incoming number, and
// the pages show the outgoing one beside it.
func Decide(ctx context.Context, tx *sql.Tx, ente tenant.ID, id ID, operator identity.OperatorID, in DecideInput, now time.Time) (*Pratica, error) {
	p, err := lock(ctx, tx, ente, id)
	if err == nil {
		err = decide(ctx, tx, p, operator, &in, now)
	}
	if err != nil {
		return nil, fmt.Errorf("pratica %d: decide: %w", id, err)
	}
	return p, nil
}

func decide(ctx context.Context, tx *sql.Tx, p *Pratica, operator identity.OperatorID, in *DecideInput, now time.Time) error {
	to := Rejected
	if in.Accepted {
		to = Accepted
	}
	actor := OperatorActor(operator)
	if err := checkTransition(p.State, to, actor); err != nil {
		return err
	}
	if err := checkText("the motivation", in.Motivation, true); err != nil {
		return err
	}
	if in.Letter == nil || in.Blobs == nil || (in.Mail != nil && in.Jobs == nil) {
		return apperr.Errorf(apperr.Invalid, "letter renderer and blob store (and jobs, for a mail) are required")
	}
	cit, err := identity.GetCitizen(ctx, tx, p.Ente, p.Citizen)
	if err != nil {
		return err
	}
	op, err := identity.GetOperator(ctx, tx, p.Ente, operator)
	if err != nil {
		return err
	}
	enteName, err := nameOf(ctx, tx, p.Ente, in.EnteName)
	if err != nil {
		return err
	}
	pdf, err := in.Letter(LetterData{
		EnteName: enteName, Pratica: p.ID, ServiceTitle: p.Title, Protocol: p.ProtocolDisplay(),
		SubmittedAt: inRome(p.SubmittedAt), CitizenName: fullName(cit), FiscalCode: cit.FiscalCode,
		Accepted: in.Accepted, Motivation: in.Motivation, DecidedAt: inRome(ts(now)), OperatorName: op.Name,
	})
	if err != nil {
		return fmt.Errorf("render letter: %w", err)
	}
	entry := &protocol.Entry{
		Ente: p.Ente, Direction: protocol.Out, Correspondent: cmp.Or(in.Correspondent, fullName(cit)),
		Subject:        cmp.Or(in.Subject, fmt.Sprintf("Esito istanza prot. n. %s: %s", p.ProtocolDisplay(), p.Title)),
		DocumentSHA256: digestOf(pdf), CreatedBy: actor.String(),
	}
	if err := protocol.Register(ctx, tx, entry, now); err != nil {
		return err
	}
	name := fmt.Sprintf("esito-%d-%07d.pdf", entry.Year, entry.Number)
	if err := storeDocument(ctx, tx, in.Blobs, p, Outcome, name, pdf, now); err != nil {
		return err
	}
	p.OutcomeYear, p.OutcomeNumber, p.DecidedAt = entry.Year, int64(entry.Number), ts(now)
	e := Event{At: now, Actor: actor, Kind: EventDecide, To: to, Reason: in.Motivation}
	cal := in.Calendar
	if !p.State.suspends() {
		cal = nil // the due date cannot move
	} else if cal == nil {
		return apperr.Errorf(apperr.Invalid, "a calendar is needed to end the suspension")
	}
	if err := move(ctx, tx, cal, p, e); err != nil {
		return err
	}
	if p.Attachments, err = attachments(ctx, tx, p.Ente, p.ID); err != nil {
		return err
	}
	return queueMail(ctx, tx, in.Jobs, in.Mail, p, now)
}
