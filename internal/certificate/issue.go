package certificate

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/registry"
	"github.com/sportello/sportello/internal/tenant"
)

// Issuer issues certificates: registry → eligibility → duties → PDF →
// seal → signature → protocol → blob store, in that order, with the
// protocol entry and the certificate row in one transaction.
type Issuer struct {
	DB *db.DB
	// Registry is where persons are read; nil means the local registry.
	Registry  registry.Port
	Registrar protocol.Registrar
	Blobs     blob.Store
	Keys      *KeyStore
	// FilesInDatabase keeps each certificate's file in the database
	// (certificate_file), registered by the same transaction as the
	// certificate, instead of in Blobs: the choice on SQLite (ADR 0012).
	// Files issued without it stay in Blobs; File reads either.
	FilesInDatabase bool
	// Payer collects the stamp duty online; nil means online requests that
	// owe the stamp are refused with ReasonStampOnline.
	Payer StampPayer
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// The group commit (see commit).
	mu         sync.Mutex
	queue      []*pending
	settled    []fileRef // kept copies whose files are durable: to remove
	committing bool

	// The files waiting for a flush of the blob store (see settleLater).
	settleMu  sync.Mutex
	unsettled []fileRef
	settling  bool
}

// AuditFunc records a change to a certificate in the audit log, in tx.
type AuditFunc func(ctx context.Context, tx *sql.Tx, c *Certificate, now time.Time) error

// EventFunc describes an issued certificate's audit event; the group
// commit records the events of a batch together, in the transaction that
// registers them.
type EventFunc func(c *Certificate) audit.Event

// Order is one request for a certificate.
type Order struct {
	Ente     *tenant.Ente
	Channel  Channel
	HolderCF string
	// Holder, when the caller has read the holder from the local registry
	// (by HolderCF's person), spares Issue reading it again; a registry
	// port other than the local one is asked all the same.
	Holder *registry.Person
	Kinds  Kinds
	// Online: the logged-in citizen.
	Citizen   identity.CitizenID
	CitizenCF string
	// Desk: the operator, who asked (name and document) and why; the
	// asker's codice fiscale when they are in the registry.
	Operator    identity.OperatorID
	Requester   string
	RequesterCF string
	Reason      string
	Force       bool
	// Exemption from the stamp duty, with its text for code 99.
	Exemption     Exemption
	ExemptionText string
	// StampID is the number of the marca da bollo applied at the desk.
	StampID string
	// VerifyURL is the ente's /verifica address printed under the QR.
	VerifyURL string
	// Audit, when set, is the issuance's audit event, recorded inside the
	// transaction that registers the certificate.
	Audit EventFunc
	// ReturnTo is where the stamp payment sends the citizen back; the
	// certificate's id is appended ("…/certificati" → "…/certificati/42").
	ReturnTo string
}

// Result is an issued certificate and its file, or one awaiting its stamp
// (PDF nil).
type Result struct {
	Certificate *Certificate
	PDF         []byte
	// PayURL is where to send the citizen to pay the stamp, for a
	// certificate awaiting it.
	PayURL string
}

var stampNumber = regexp.MustCompile(`^[0-9]{14}$`)

func (is *Issuer) now() time.Time {
	if is.Now != nil {
		return is.Now()
	}
	return time.Now()
}

func (is *Issuer) port() registry.Port {
	if is.Registry != nil {
		return is.Registry
	}
	return registry.Local{DB: is.DB}
}

// Issue checks an order and issues its certificate, or records it as
// awaiting the stamp duty when that is to be paid online.
func (is *Issuer) Issue(ctx context.Context, o Order) (*Result, error) {
	now := is.now()
	if (o.Channel == Online) != (o.Citizen != 0) || (o.Channel == Desk) != (o.Operator != 0) {
		return nil, apperr.Errorf(apperr.Invalid, "certificate: an online order needs the citizen, a desk order the operator")
	}
	kinds, err := normalize(o.Kinds)
	if err != nil {
		return nil, err
	}
	o.Kinds = kinds
	holder, household, err := is.check(ctx, o)
	if err != nil {
		return nil, err
	}
	settings, err := GetSettings(ctx, is.DB, o.Ente.ID)
	if err != nil {
		return nil, err
	}
	stamp, fee, err := settings.duties(o.Channel, o.Kinds, o.Exemption, o.ExemptionText)
	if err != nil {
		return nil, err
	}
	code, err := newCode()
	if err != nil {
		return nil, err
	}
	c := &Certificate{Ente: o.Ente.ID, Code: code, Person: holder.ID, Kinds: o.Kinds, Channel: o.Channel,
		State: Issued, Citizen: o.Citizen, Operator: o.Operator, Requester: o.Requester, Reason: o.Reason,
		Stamp: stamp, FeeCents: fee, Created: now}
	if stamp.Cents > 0 {
		switch {
		case o.Channel == Desk && !stampNumber.MatchString(o.StampID):
			return nil, apperr.New(apperr.Invalid, "Scrivi il numero a 14 cifre della marca da bollo applicata.")
		case o.Channel == Desk:
			c.Stamp.ID = o.StampID
		case is.Payer == nil:
			return nil, &Refusal{Reason: ReasonStampOnline}
		default:
			c.State = AwaitingStamp
			if err := insert(ctx, is.DB, c); err != nil {
				return nil, err
			}
			to, err := is.Payer.RequestStamp(ctx, o.Ente.ID, c.Code, StampDigest(c), c.Stamp.Cents,
				o.ReturnTo+"/"+strconv.FormatInt(int64(c.ID), 10))
			if err != nil {
				return nil, fmt.Errorf("certificate %s: request the stamp: %w", c.Code, err)
			}
			return &Result{Certificate: c, PayURL: to}, nil
		}
	}
	pdf, err := is.produce(ctx, o.Ente, c, holder, household, o.VerifyURL, o.Audit, now)
	if err != nil {
		return nil, err
	}
	return &Result{Certificate: c, PDF: pdf}, nil
}

// check reads the holder, the household and the asker and applies the rules.
func (is *Issuer) check(ctx context.Context, o Order) (*registry.Person, *registry.Household, error) {
	port := is.port()
	holder := o.Holder
	var err error
	if holder == nil || holder.FiscalCode != o.HolderCF || holder.Ente != o.Ente.ID || is.Registry != nil {
		if holder, err = port.PersonByFiscalCode(ctx, o.Ente.ID, o.HolderCF); err != nil {
			return nil, nil, err
		}
	}
	var household *registry.Household
	if holder.Household != 0 {
		if household, err = port.Household(ctx, o.Ente.ID, holder.Household); err != nil {
			return nil, nil, err
		}
	}
	askerCF := o.CitizenCF
	if o.Channel == Desk {
		askerCF = o.RequesterCF
		if o.Requester == "" {
			return nil, nil, &Refusal{Reason: ReasonNoRequesterID}
		}
	}
	var asker *registry.Person
	if askerCF == holder.FiscalCode {
		asker = holder
	} else if askerCF != "" {
		asker, err = port.PersonByFiscalCode(ctx, o.Ente.ID, askerCF)
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return nil, nil, err
		}
	}
	err = Check(Request{Channel: o.Channel, Holder: holder, Household: household, Asker: asker, Kinds: o.Kinds, Force: o.Force})
	return holder, household, err
}

// produce renders, seals, signs, registers and stores an issued
// certificate; c is inserted (or, awaiting its stamp, updated).
func (is *Issuer) produce(ctx context.Context, e *tenant.Ente, c *Certificate, holder *registry.Person,
	household *registry.Household, verifyURL string, audit EventFunc, now time.Time) ([]byte, error) {
	key, err := is.Keys.Current(ctx, is.DB, e, now)
	if err != nil {
		return nil, err
	}
	c.Issued = now
	c.KeyID = key.ID
	c.ValidUntil = c.Kinds.ValidUntil(calendar.DateOf(now.In(rome)))
	a, _, err := render(&Data{Ente: e, Kinds: c.Kinds, Holder: holder, Household: household, Channel: c.Channel,
		Issued: now, ValidUntil: c.ValidUntil, Stamp: c.Stamp, FeeCents: c.FeeCents, Code: c.Code,
		VerifyURL: verifyURL}, key)
	if err != nil {
		return nil, err
	}
	pdf, err := a.sign(key.Private, key.Certificate)
	if err != nil {
		return nil, err
	}
	// The store's key is the file's SHA-256, the digest the protocol entry
	// records.
	c.DocumentSHA256 = string(blob.KeyOf(pdf))
	correspondent := holder.FullName() + " (" + holder.FiscalCode + ")"
	if c.Requester != "" {
		correspondent = c.Requester
	}
	createdBy := "certificate:online"
	if c.Operator != 0 {
		createdBy = fmt.Sprintf("operator:%d", c.Operator)
	}
	entry := &protocol.Entry{Ente: e.ID, Direction: protocol.Out,
		Subject:       "Certificato anagrafico " + c.Kinds.String() + " n. " + c.Code,
		Correspondent: correspondent, DocumentSHA256: c.DocumentSHA256, CreatedBy: createdBy}
	if err := is.store(ctx, &pending{c: c, entry: entry, audit: audit, pdf: pdf}); err != nil {
		return nil, err
	}
	c.State = Issued
	return pdf, nil
}

// CompleteStamp issues a certificate awaiting its stamp once the stamp's
// payment is confirmed (the pagoPA receipt of @e.bollo), with the stamp's
// identifier. The rules are applied again: the registry may have changed
// while the citizen paid. Completing twice is a Conflict.
func (is *Issuer) CompleteStamp(ctx context.Context, e *tenant.Ente, code, stampID, verifyURL string) (*Result, error) {
	c, err := ByCode(ctx, is.DB, e.ID, code)
	if err != nil {
		return nil, err
	}
	if c.State != AwaitingStamp {
		return nil, apperr.Errorf(apperr.Conflict, "certificate %s: not awaiting its stamp", code)
	}
	if stampID == "" {
		return nil, apperr.Errorf(apperr.Invalid, "certificate %s: the stamp has no identifier", code)
	}
	person, err := registry.GetPerson(ctx, is.DB, e.ID, c.Person)
	if err != nil {
		return nil, err
	}
	cf := ""
	if c.Citizen != 0 {
		citizen, err := identity.GetCitizen(ctx, is.DB, e.ID, c.Citizen)
		if err != nil {
			return nil, err
		}
		cf = citizen.FiscalCode
	}
	holder, household, err := is.check(ctx, Order{Ente: e, Channel: c.Channel, HolderCF: person.FiscalCode, Holder: person,
		Kinds: c.Kinds, CitizenCF: cf, Requester: c.Requester})
	if err != nil {
		return nil, err
	}
	c.Stamp.ID = stampID
	// Issued by the platform on the stamp's receipt, not by a request: the
	// event names the stamp that paid it.
	event := func(c *Certificate) audit.Event {
		return audit.Event{Ente: e.ID, Actor: audit.Actor{Kind: audit.System, ID: "pagopa"}, Action: "certificate.issued",
			Subject: "certificate:" + strconv.FormatInt(int64(c.ID), 10), Outcome: audit.Success,
			Detail: string(c.Channel) + " " + c.Kinds.String() + "; marca da bollo digitale " + stampID}
	}
	pdf, err := is.produce(ctx, e, c, holder, household, verifyURL, event, is.now())
	if err != nil {
		return nil, err
	}
	return &Result{Certificate: c, PDF: pdf}, nil
}

// StampDigest is the digest an @e.bollo payment binds to: the SHA-256 of
// the certificate's identity (code, holder, types), fixed before the PDF
// exists, since the PDF prints the stamp's identifier.
func StampDigest(c *Certificate) [32]byte {
	return sha256.Sum256(fmt.Appendf(nil, "sportello-bollo-v1|%d|%s|%d|%s", c.Ente, c.Code, c.Person, c.Kinds))
}

// Open returns an issued certificate's file from the blob store.
func Open(ctx context.Context, blobs blob.Store, c *Certificate) ([]byte, error) {
	if c.State == AwaitingStamp || c.DocumentSHA256 == "" {
		return nil, apperr.Errorf(apperr.NotFound, "certificate %d: not issued", c.ID)
	}
	k, err := blob.ParseKey(c.DocumentSHA256)
	if err != nil {
		return nil, err
	}
	rc, err := blobs.Open(ctx, k)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	buf, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("certificate %d: read the file: %w", c.ID, err)
	}
	return buf, nil
}
