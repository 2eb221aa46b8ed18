package pratica

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/tenant"
)

// digestVersion starts the canonical form of Digest, so that a later form
// can coexist with entries registered under this one.
const digestVersion = "sportello-istanza-v1"

// Digest is the SHA-256 of the istanza as filed — the service and version,
// the answers exactly as stored, and each uploaded file's field, name, size
// and SHA-256 in upload order — over a canonical form in which each value is
// written as its length, a colon and the value, one per line. It is the
// document hash of the incoming protocol entry: the register binds the
// answers and every attached file, and anyone holding the pratica can
// recompute it. (The receipt cannot be the registered document: it carries
// the protocol number, which exists only once the entry is registered.)
func (p *Pratica) Digest() string {
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s\n", len(s), s) }
	field(digestVersion)
	field(p.Service)
	field(strconv.Itoa(p.ServiceVersion))
	field(string(p.Answers))
	for _, a := range p.Attachments {
		if a.Kind != Upload {
			continue
		}
		field(a.Field)
		field(a.Name)
		field(strconv.FormatInt(a.Size, 10))
		field(a.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ReceiptLine is one label and value of the receipt's summary of answers,
// as the form's Riepilogo gives them.
type ReceiptLine struct{ Label, Value string }

// ReceiptFile is one attached file as the receipt lists it.
type ReceiptFile struct {
	Name   string
	Size   int64
	SHA256 string
}

// ReceiptData is everything the ricevuta shows, handed to the renderer the
// web layer wires (internal/pdf), so that this package stays free of
// layout.
type ReceiptData struct {
	EnteName string
	// EnteLines are the letterhead's lines under the name (fiscal code,
	// PEC); VerifyURL is where the citizen finds the pratica online.
	EnteLines      []string `json:",omitempty"`
	VerifyURL      string   `json:",omitempty"`
	Pratica        ID
	Service        string
	ServiceVersion int
	ServiceTitle   string
	// Protocol is the incoming protocol number as displayed, "2026/0000042".
	Protocol     string
	RegisteredAt time.Time // in Europe/Rome
	CitizenName  string
	FiscalCode   string
	Summary      []ReceiptLine
	Attachments  []ReceiptFile
	// Digest is the istanza's SHA-256 registered with the protocol entry.
	Digest string
	Term   Term
	Due    calendar.Date
	Fee    int64
}

// SubmitInput is what Submit needs beyond the pratica: who presses the
// button, the keys of idempotency, and the parts the web layer wires.
type SubmitInput struct {
	// IdempotencyKey identifies this submission (a token in the form): a
	// retried POST with the same key returns the pratica as it was
	// submitted; the key is unique within the ente.
	IdempotencyKey string
	// Actor is the citizen, the delegate or the desk operator.
	Actor identity.Subject
	// Calendar is the ente's calendar, for the due date.
	Calendar *calendar.Calendar
	// EnteName is printed on the receipt; empty loads it. EnteLines and
	// VerifyURL are the receipt's (see ReceiptData).
	EnteName  string
	EnteLines []string
	VerifyURL string
	Summary   []ReceiptLine
	// Jobs and Mail queue an optional notification in the same
	// transaction. Mail cannot quote the protocol number, which does not
	// exist yet; to quote it, call mail.Queue on the same transaction with
	// the returned pratica instead.
	Jobs *jobs.Jobs
	Mail *mail.Message
	// FormVersion is the version of the form the answers were validated
	// against; it is recorded with the pratica. Zero keeps the draft's.
	FormVersion int
	// Correspondent and Subject are the protocol entry's; empty means the
	// citizen's name and "Istanza: " and the title.
	Correspondent, Subject string
}

func (in *SubmitInput) validate() error {
	switch {
	case strings.TrimSpace(in.IdempotencyKey) == "" || len(in.IdempotencyKey) > 200:
		return apperr.Errorf(apperr.Invalid, "an idempotency key of 1–200 characters is required")
	case in.Actor.ID <= 0:
		return apperr.Errorf(apperr.Invalid, "submitted by nobody")
	case in.Calendar == nil:
		return apperr.Errorf(apperr.Invalid, "a calendar is required")
	case in.Mail != nil && in.Jobs == nil:
		return apperr.Errorf(apperr.Invalid, "a mail needs the jobs client")
	}
	return nil
}

// Submit files a draft, in the caller's transaction, as one unit: it locks
// the pratica, registers the incoming protocol entry (document hash: Digest),
// records the receipt's content, moves the pratica to Submitted
// (AwaitingPayment when it has a fee), computes the due date, writes the
// event and queues the mail. If anything fails the caller rolls back and
// nothing remains; in particular no protocol number is consumed.
//
// The receipt's PDF is rendered after the commit by IssueReceipt, from the
// content recorded here: rendering takes milliseconds of CPU, and inside
// the transaction it would hold SQLite's single write lock for all of them
// (see docs/decisions/0006-receipt-after-commit.md). The caller issues it
// right after the commit; ReceiptSweepJob issues any a crash left behind.
// What the citizen is given is fixed at the commit; the PDF is its
// deterministic rendering.
//
// Submit is idempotent: a pratica already submitted with the same key is
// returned as it is (a double click or a retried POST yields one pratica and
// one protocol number); with another key it is a Conflict, and so is a key
// already used for another pratica of the ente.
func Submit(ctx context.Context, tx *sql.Tx, ente tenant.ID, id ID, in SubmitInput, now time.Time) (*Pratica, error) {
	if err := in.validate(); err != nil {
		return nil, fmt.Errorf("pratica %d: submit: %w", id, err)
	}
	p, err := submit(ctx, tx, ente, id, &in, now)
	if err != nil {
		return nil, fmt.Errorf("pratica %d: submit: %w", id, err)
	}
	return p, nil
}

func submit(ctx context.Context, tx *sql.Tx, ente tenant.ID, id ID, in *SubmitInput, now time.Time) (*Pratica, error) {
	p, err := lock(ctx, tx, ente, id)
	if err != nil {
		return nil, err
	}
	if p.State != Draft {
		if p.idempotencyKey != in.IdempotencyKey {
			return nil, &apperr.Error{Kind: apperr.Conflict, Public: "La pratica è già stata inviata.",
				Err: fmt.Errorf("already %s", p.State)}
		}
		p.Attachments, err = attachments(ctx, tx, ente, id)
		return p, err
	}
	actor, to := ActorOf(in.Actor), Submitted
	if p.Fee > 0 {
		to = AwaitingPayment
	}
	if err := checkTransition(Draft, to, actor); err != nil {
		return nil, err
	}
	if actor.Kind == ActorCitizen {
		if err := checkCitizen(p, identity.CitizenID(actor.ID)); err != nil {
			return nil, err
		}
	}
	// Taking the key first makes a key reused for another pratica fail
	// before a protocol number is spent.
	_, err = tx.ExecContext(ctx, `UPDATE pratica SET idempotency_key = $3 WHERE ente_id = $1 AND id = $2`, ente, id, in.IdempotencyKey)
	if db.IsUniqueViolation(err) {
		return nil, apperr.Errorf(apperr.Conflict, "idempotency key already used for another pratica")
	}
	if err != nil {
		return nil, fmt.Errorf("idempotency key: %w", err)
	}
	p.idempotencyKey = in.IdempotencyKey
	if p.Attachments, err = attachments(ctx, tx, ente, id); err != nil {
		return nil, err
	}
	cit, err := identity.GetCitizen(ctx, tx, ente, p.Citizen)
	if err != nil {
		return nil, err
	}
	enteName, err := nameOf(ctx, tx, ente, in.EnteName)
	if err != nil {
		return nil, err
	}
	entry := &protocol.Entry{
		Ente: ente, Direction: protocol.In, Subject: cmp.Or(in.Subject, "Istanza: "+p.Title),
		Correspondent: cmp.Or(in.Correspondent, fullName(cit)), DocumentSHA256: p.Digest(), CreatedBy: actor.String(),
	}
	if err := protocol.Register(ctx, tx, entry, now); err != nil {
		return nil, err
	}
	ev := Event{At: now, Actor: actor, Kind: EventSubmit, From: Draft, To: to}
	p.ProtocolYear, p.ProtocolNumber = entry.Year, int64(entry.Number)
	if in.FormVersion > 0 {
		p.FormVersion = in.FormVersion
	}
	p.State, p.SubmittedAt, p.UpdatedAt, p.DraftExpires = to, entry.RegisteredAt, ts(now), time.Time{}
	p.Due = dueDate(in.Calendar, p, []Event{ev})
	data := ReceiptData{
		EnteName: enteName, Pratica: p.ID, Service: p.Service, ServiceVersion: p.ServiceVersion, ServiceTitle: p.Title,
		Protocol: entry.Display(), RegisteredAt: inRome(entry.RegisteredAt), CitizenName: fullName(cit),
		FiscalCode: cit.FiscalCode, Summary: in.Summary, Digest: entry.DocumentSHA256, Term: p.Term, Due: p.Due, Fee: p.Fee,
		EnteLines: in.EnteLines, VerifyURL: in.VerifyURL,
	}
	for _, a := range p.Attachments {
		if a.Kind == Upload {
			data.Attachments = append(data.Attachments, ReceiptFile{Name: a.Name, Size: a.Size, SHA256: a.SHA256})
		}
	}
	if err := recordReceipt(ctx, tx, ente, p.ID, data, now); err != nil {
		return nil, err
	}
	if err := save(ctx, tx, p); err != nil {
		return nil, err
	}
	if err := addEvent(ctx, tx, ente, p.ID, ev); err != nil {
		return nil, err
	}
	return p, queueMail(ctx, tx, in.Jobs, in.Mail, p, now)
}

// storeDocument puts a generated PDF in the blob store and records it as an
// attachment of p. The blob is written before the transaction commits; if
// it rolls back, the blob stays unreferenced, which is harmless.
func storeDocument(ctx context.Context, tx *sql.Tx, blobs blob.Store, p *Pratica, kind AttachmentKind, name string, pdf []byte, now time.Time) error {
	if len(pdf) == 0 {
		return fmt.Errorf("%s: the renderer returned no bytes", kind)
	}
	key, err := blob.PutBytes(ctx, blobs, pdf)
	if err != nil {
		return apperr.Errorf(apperr.Unavailable, "%s: store: %w", kind, err)
	}
	a := Attachment{Name: name, MIME: "application/pdf", Size: int64(len(pdf)), SHA256: string(key), Kind: kind, CreatedAt: now}
	if err := addAttachment(ctx, tx, p.Ente, p.ID, &a); err != nil {
		return err
	}
	p.Attachments = append(p.Attachments, a)
	return nil
}

// queueMail queues m, if any, about p in tx.
func queueMail(ctx context.Context, tx *sql.Tx, j *jobs.Jobs, m *mail.Message, p *Pratica, now time.Time) error {
	if m == nil {
		return nil
	}
	msg := *m
	msg.Ente = p.Ente
	msg.Ref = cmp.Or(msg.Ref, fmt.Sprintf("pratica:%d", p.ID))
	_, err := mail.Queue(ctx, tx, j, msg, now)
	return err
}

// checkCitizen admits the pratica's holder and the delegate who filed it.
func checkCitizen(p *Pratica, c identity.CitizenID) error {
	if p.Citizen == c || p.FiledBy == identity.CitizenSubject(c) {
		return nil
	}
	return &apperr.Error{Kind: apperr.Forbidden, Public: "Questa pratica non è tua.",
		Err: fmt.Errorf("citizen %d is neither the holder nor the filer", c)}
}

// fullName is the citizen's name as the register and the documents print
// it; a citizen registered without one is named by codice fiscale.
func fullName(c *identity.Citizen) string {
	return cmp.Or(strings.TrimSpace(c.GivenName+" "+c.FamilyName), c.FiscalCode)
}

// nameOf returns name, or the ente's name when name is empty.
func nameOf(ctx context.Context, q db.Querier, ente tenant.ID, name string) (string, error) {
	if name != "" {
		return name, nil
	}
	e, err := tenant.Get(ctx, q, ente)
	if err != nil {
		return "", err
	}
	return e.Name, nil
}

func inRome(t time.Time) time.Time {
	if loc, err := rome(); err == nil {
		return t.In(loc)
	}
	return t
}
