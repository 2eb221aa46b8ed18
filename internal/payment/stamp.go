package payment

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pagopa/bollo"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	"github.com/sportello/sportello/internal/tenant"
)

// This file is the stamp duty of certificates asked for online, paid
// through @e.bollo: a notice whose only transfer is a stamp bound to the
// certificate's digest (certificate.StampDigest). The citizen pays it in
// Checkout like any notice, and it shows in their Pagamenti; the receipt
// arrives as any receipt does (the poller, or the refresh when the citizen
// comes back from Checkout), and Settle then verifies the MarcaDaBollo it
// carries against the digest, keeps it with its IUBD, and issues the
// certificate (certificate.Issuer.CompleteStamp). Settle runs after every
// return from Checkout and as a periodic job, so a receipt that arrives
// late — or a crash between the receipt and the issuance — still ends in
// the certificate, once.

// TaxonomyStamp is the taxonomy code of an @e.bollo transfer (the one the
// platform's examples use; verify against the official taxonomy, see
// docs/pagopa.md).
const TaxonomyStamp = "9/0301116TS/"

// StampState is what came of a stamp payment.
type StampState string

// The states of a stamp payment.
const (
	// StampAwaiting: not paid yet, or paid and not yet settled.
	StampAwaiting StampState = "awaiting"
	// StampIssued: the MarcaDaBollo verified and the certificate issued.
	StampIssued StampState = "issued"
	// StampRejected: the receipt's MarcaDaBollo is missing, does not
	// verify, is for another document or amount, or its IUBD already paid
	// another document: the certificate is not issued; the office refunds.
	StampRejected StampState = "rejected"
	// StampRefused: the stamp is good but the certificate can no longer be
	// issued (the registry changed while the citizen paid).
	StampRefused StampState = "refused"
)

// StampPayment is the stamp of one certificate and its notice.
type StampPayment struct {
	Payment     *Payment
	Certificate certificate.ID
	State       StampState
	// IUBD identifies the verified stamp; MarcaDaBollo is its XML.
	IUBD, MarcaDaBollo string
	// Problem says why a stamp was rejected or refused, for the office.
	Problem string
}

// Stamps collects the stamp duty of certificates through pagoPA: it is the
// certificate.StampPayer of production and of the demo (the simulator is a
// base URL away).
type Stamps struct {
	Payments *Service
	// Issuer issues a certificate once its stamp is verified.
	Issuer *certificate.Issuer
}

var _ certificate.StampPayer = (*Stamps)(nil)

// iupdForStamp is the deterministic IUPD of a certificate's stamp.
func iupdForStamp(enteFiscalCode string, id certificate.ID) string {
	return fmt.Sprintf("%s-B%d", enteFiscalCode, id)
}

// RequestStamp numbers the notice of a certificate's stamp (once: asked
// again, it is the same notice), publishes it and opens Checkout; returnTo
// is the certificate's page, where Checkout sends the citizen back with
// ?pagamento=ok|annullato|errore. The payer's province is the ente's: online
// certificates are for the comune's residents.
func (st *Stamps) RequestStamp(ctx context.Context, ente tenant.ID, code string, digest [32]byte, cents int64, returnTo string) (string, error) {
	s := st.Payments
	c, err := certificate.ByCode(ctx, s.DB, ente, code)
	if err != nil {
		return "", err
	}
	back, err := url.Parse(returnTo)
	if err != nil || back.Scheme == "" || back.Host == "" {
		return "", apperr.Errorf(apperr.Invalid, "payment: stamp of %s: return address %q", code, returnTo)
	}
	verifyURL := back.Scheme + "://" + back.Host + "/verifica"
	e, err := tenant.Get(ctx, s.DB, ente)
	if err != nil {
		return "", err
	}
	tr, err := bollo.NewTransfer(digest[:], e.Province)
	if err != nil {
		return "", err
	}
	citizen, err := identity.GetCitizen(ctx, s.DB, ente, c.Citizen)
	if err != nil {
		return "", err
	}
	now := s.now()
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := StampFor(ctx, tx, ente, c.ID); !apperr.Is(err, apperr.NotFound) {
			return err // nil: the notice exists, pay it again
		}
		v, _, err := nextIUV(ctx, tx, ente)
		if err != nil {
			return err
		}
		p := &Payment{Ente: ente, IUPD: iupdForStamp(e.FiscalCode, c.ID), Citizen: c.Citizen, DebtorFiscalCode: citizen.FiscalCode,
			DebtorName: debtorName(citizen), IUV: v.String(), NAV: v.NAV().String(), Amount: cents,
			Description: "Imposta di bollo del certificato " + code, Taxonomy: TaxonomyStamp, Due: ts(now.Add(feeTerm))}
		if err := insert(ctx, tx, p, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO payment_stamp (ente_id, payment_id, certificate_id, document_hash, province,
			verify_url, state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'awaiting', $7, $7)`,
			ente, p.ID, c.ID, tr.HashDocument, tr.ProvincialResidence, verifyURL, ts(now))
		if err != nil {
			return fmt.Errorf("payment: stamp of certificate %d: %w", c.ID, err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return st.Pay(ctx, ente, c.Citizen, c.ID, returnTo)
}

// Pay opens Checkout for the stamp of the citizen's certificate id, again
// after a cancelled or failed attempt; returnTo is the certificate's page.
func (st *Stamps) Pay(ctx context.Context, ente tenant.ID, citizen identity.CitizenID, id certificate.ID, returnTo string) (string, error) {
	sp, err := StampFor(ctx, st.Payments.DB, ente, id)
	if err != nil {
		return "", err
	}
	back := ReturnURLs{OK: returnTo + "?pagamento=ok", Cancel: returnTo + "?pagamento=annullato", Error: returnTo + "?pagamento=errore"}
	loc, err := st.Payments.StartCheckout(ctx, ente, citizen, sp.Payment.ID, back)
	if err != nil {
		return "", err
	}
	return loc.String(), nil
}

// Returned records the citizen's return from Checkout for the stamp of
// their certificate id (a hint: the truth is the receipt), looks for the
// receipt at once and, when it is there, settles the stamp; it returns the
// stamp as it stands.
func (st *Stamps) Returned(ctx context.Context, ente tenant.ID, citizen identity.CitizenID, id certificate.ID, hint CheckoutState) (*StampPayment, error) {
	sp, err := StampFor(ctx, st.Payments.DB, ente, id)
	if err != nil {
		return nil, err
	}
	p, err := st.Payments.RecordReturn(ctx, ente, citizen, sp.Payment.ID, hint)
	if err != nil {
		return nil, err
	}
	if p.State == Paid && sp.State == StampAwaiting {
		if err := st.settle(ctx, ente, sp.Payment.ID); err != nil {
			st.Payments.log().Warn("stamp not settled", "ente", ente, "payment", sp.Payment.ID, "err", err)
		}
	}
	return StampFor(ctx, st.Payments.DB, ente, id)
}

// SettleStats counts what one Settle did.
type SettleStats struct {
	Issued, Rejected, Refused, Failed int
}

// Settle settles up to limit paid stamps whose certificate is not issued
// yet. A temporary failure (the database, the blob store) is counted and
// left for the next round.
func (st *Stamps) Settle(ctx context.Context, limit int) (SettleStats, error) {
	var stats SettleStats
	keys, err := selectKeys(ctx, st.Payments.DB, `SELECT s.ente_id, s.payment_id FROM payment_stamp s
		JOIN payment p ON p.ente_id = s.ente_id AND p.id = s.payment_id
		WHERE s.state = 'awaiting' AND p.state = 'paid' ORDER BY s.id LIMIT $1`, limit)
	if err != nil {
		return stats, fmt.Errorf("payment: settle stamps: %w", err)
	}
	for _, k := range keys {
		if err := st.settle(ctx, k.ente, k.id); err != nil {
			stats.Failed++
			st.Payments.log().Warn("stamp not settled", "ente", k.ente, "payment", k.id, "err", err)
			continue
		}
		sp, err := stampByPayment(ctx, st.Payments.DB, k.ente, k.id)
		if err != nil {
			return stats, err
		}
		switch sp.State {
		case StampIssued:
			stats.Issued++
		case StampRejected:
			stats.Rejected++
		case StampRefused:
			stats.Refused++
		}
	}
	return stats, nil
}

// settle verifies the MarcaDaBollo of a paid stamp notice and issues its
// certificate. It is safe to repeat and to run concurrently: the
// certificate is issued once (CompleteStamp is a Conflict the second
// time), and a settled stamp is left alone.
func (st *Stamps) settle(ctx context.Context, ente tenant.ID, pid ID) error {
	d := st.Payments.DB
	sp, err := stampByPayment(ctx, d, ente, pid)
	if err != nil || sp.State != StampAwaiting || sp.Payment.State != Paid {
		return err
	}
	c, err := certificate.Get(ctx, d, ente, sp.Certificate)
	if err != nil {
		return err
	}
	if c.State != certificate.AwaitingStamp {
		return st.finish(ctx, sp, StampIssued, "", "certificate already "+string(c.State))
	}
	mbd, err := marcaDaBollo(ctx, d, ente, pid)
	if err != nil {
		return err
	}
	if mbd == nil {
		return st.finish(ctx, sp, StampRejected, "", "the receipt carries no MarcaDaBollo")
	}
	digest := certificate.StampDigest(c)
	stamp, err := bollo.Verify(mbd, digest[:])
	switch {
	case err != nil:
		return st.finish(ctx, sp, StampRejected, "", err.Error())
	case int64(stamp.Amount) != c.Stamp.Cents:
		return st.finish(ctx, sp, StampRejected, "", fmt.Sprintf("stamp of %d cents, due %d", stamp.Amount, c.Stamp.Cents))
	}
	// The IUBD is kept before the certificate is issued: an IUBD that
	// already paid another document is refused by the unique index.
	err = st.keep(ctx, sp, stamp.IUBD, mbd)
	if db.IsUniqueViolation(err) {
		return st.finish(ctx, sp, StampRejected, "", "IUBD "+stamp.IUBD+" already paid another document")
	}
	if err != nil {
		return err
	}
	e, err := tenant.Get(ctx, d, ente)
	if err != nil {
		return err
	}
	verifyURL, err := stampVerifyURL(ctx, d, ente, pid)
	if err != nil {
		return err
	}
	_, err = st.Issuer.CompleteStamp(ctx, e, c.Code, stamp.IUBD, verifyURL)
	var refusal *certificate.Refusal
	switch {
	case err == nil:
		return st.finish(ctx, sp, StampIssued, stamp.IUBD, "")
	case errors.As(err, &refusal):
		return st.finish(ctx, sp, StampRefused, stamp.IUBD, "certificate refused: "+string(refusal.Reason))
	case apperr.Is(err, apperr.Conflict):
		// Issued meanwhile by a concurrent settle.
		return st.finish(ctx, sp, StampIssued, stamp.IUBD, "")
	}
	return err
}

// keep stores the verified MarcaDaBollo and its IUBD.
func (st *Stamps) keep(ctx context.Context, sp *StampPayment, iubd string, mbd []byte) error {
	_, err := st.Payments.DB.ExecContext(ctx, `UPDATE payment_stamp SET iubd = $3, marca = $4, updated_at = $5
		WHERE ente_id = $1 AND payment_id = $2`, sp.Payment.Ente, sp.Payment.ID, iubd, string(mbd), ts(st.Payments.now()))
	if err != nil {
		return fmt.Errorf("payment %d: keep the stamp: %w", sp.Payment.ID, err)
	}
	return nil
}

// finish records what came of a stamp, and its event on the notice.
func (st *Stamps) finish(ctx context.Context, sp *StampPayment, to StampState, iubd, problem string) error {
	now := st.Payments.now()
	if to != StampIssued {
		st.Payments.log().Error("stamp not accepted", "ente", sp.Payment.Ente, "payment", sp.Payment.ID, "state", to, "problem", problem)
	}
	return st.Payments.DB.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE payment_stamp SET state = $3, problem = $4, updated_at = $5
			WHERE ente_id = $1 AND payment_id = $2 AND state = 'awaiting'`, sp.Payment.Ente, sp.Payment.ID, string(to), truncate(problem, 500), ts(now))
		if err != nil {
			return fmt.Errorf("payment %d: stamp %s: %w", sp.Payment.ID, to, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // settled meanwhile
		}
		note := "certificate " + strconv.FormatInt(int64(sp.Certificate), 10)
		if iubd != "" {
			note += ", IUBD " + iubd
		}
		if problem != "" {
			note += ": " + problem
		}
		return addEvent(ctx, tx, sp.Payment.Ente, sp.Payment.ID, Event{At: now, Actor: "system", Kind: "stamp_" + string(to),
			From: sp.Payment.State, To: sp.Payment.State, Note: truncate(note, 500)})
	})
}

// marcaDaBollo is the MarcaDaBollo of a notice's first receipt that carries
// one, or nil.
func marcaDaBollo(ctx context.Context, q db.Querier, ente tenant.ID, pid ID) ([]byte, error) {
	rs, err := Receipts(ctx, q, ente, pid)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		rt, err := gpd.ParseReceipt(r.Document)
		if err != nil {
			continue
		}
		for _, t := range rt.TransferList.Transfer {
			if t.MBDAttachment == "" {
				continue
			}
			if b, err := base64.StdEncoding.DecodeString(t.MBDAttachment); err == nil {
				return b, nil
			}
		}
	}
	return nil, nil
}

// stampPosition turns the transfers of a position's stamp notices into
// stamp transfers (no IBAN: the PSP sells the @e.bollo), for Publish.
func stampPosition(ctx context.Context, q db.Querier, pos *gpd.Position, opts []*Payment) error {
	for i, o := range opts {
		var hash, prov string
		err := q.QueryRowContext(ctx, `SELECT document_hash, province FROM payment_stamp WHERE ente_id = $1 AND payment_id = $2`,
			o.Ente, o.ID).Scan(&hash, &prov)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("payment %d: stamp: %w", o.ID, err)
		}
		t := &pos.Options[i].Transfers[0]
		t.IBAN, t.PostalIBAN = "", ""
		t.Stamp = &gpd.Stamp{HashDocument: hash, StampType: bollo.TypeOne, ProvincialResidence: prov}
	}
	return nil
}

const selectStamp = `SELECT s.certificate_id, s.state, s.iubd, s.marca, s.problem, s.payment_id FROM payment_stamp s`

func scanStamp(ctx context.Context, q db.Querier, ente tenant.ID, row *sql.Row) (*StampPayment, error) {
	var sp StampPayment
	var pid ID
	err := row.Scan(&sp.Certificate, &sp.State, &sp.IUBD, &sp.MarcaDaBollo, &sp.Problem, &pid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Errorf(apperr.NotFound, "payment: ente %d: no such stamp", ente)
	}
	if err != nil {
		return nil, fmt.Errorf("payment: ente %d: stamp: %w", ente, err)
	}
	if sp.Payment, err = Get(ctx, q, ente, pid); err != nil {
		return nil, err
	}
	return &sp, nil
}

// StampFor reads the stamp payment of a certificate; NotFound when it has
// none.
func StampFor(ctx context.Context, q db.Querier, ente tenant.ID, id certificate.ID) (*StampPayment, error) {
	return scanStamp(ctx, q, ente, q.QueryRowContext(ctx, selectStamp+` WHERE s.ente_id = $1 AND s.certificate_id = $2`, ente, id))
}

func stampByPayment(ctx context.Context, q db.Querier, ente tenant.ID, pid ID) (*StampPayment, error) {
	return scanStamp(ctx, q, ente, q.QueryRowContext(ctx, selectStamp+` WHERE s.ente_id = $1 AND s.payment_id = $2`, ente, pid))
}

func stampVerifyURL(ctx context.Context, q db.Querier, ente tenant.ID, pid ID) (string, error) {
	var u string
	err := q.QueryRowContext(ctx, `SELECT verify_url FROM payment_stamp WHERE ente_id = $1 AND payment_id = $2`, ente, pid).Scan(&u)
	if err != nil {
		return "", fmt.Errorf("payment %d: stamp: %w", pid, err)
	}
	return u, nil
}

// SettleBatch is how many stamps one Settle handles.
const SettleBatch = 100

// SettleArgs is the periodic job that settles paid stamps: those whose
// receipt the poller fetched while the citizen was elsewhere.
type SettleArgs struct{}

// Kind names the job in River's table.
func (SettleArgs) Kind() string { return "payment_stamp_settle" }

type settleWorker struct {
	river.WorkerDefaults[SettleArgs]
	stamps *Stamps
}

func (w *settleWorker) Work(ctx context.Context, _ *river.Job[SettleArgs]) error {
	st, err := w.stamps.Settle(ctx, SettleBatch)
	if st != (SettleStats{}) {
		w.stamps.Payments.log().Info("stamps settled", "issued", st.Issued, "rejected", st.Rejected, "refused", st.Refused, "failed", st.Failed)
	}
	return err
}

// StampJobs adds the settling worker to reg and returns its schedule, for
// jobs.Options.Periodic; every is the receipts' polling interval.
func StampJobs(reg *river.Workers, stamps *Stamps, every time.Duration) *river.PeriodicJob {
	river.AddWorker(reg, &settleWorker{stamps: stamps})
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return SettleArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
