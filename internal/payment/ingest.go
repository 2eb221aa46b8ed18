package payment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// Outcome is what Ingest did with a receipt.
type Outcome string

// The outcomes of Ingest.
const (
	// Recorded: a new receipt, and its notice is now paid.
	Recorded Outcome = "recorded"
	// Duplicate: this very receipt was already stored; nothing changed.
	Duplicate Outcome = "duplicate"
	// AlreadyPaid: a different receipt for a notice already paid (paid
	// twice by the citizen, or after an operator's override): stored for
	// the finance office, the notice is not paid again.
	AlreadyPaid Outcome = "already_paid"
	// Unmatched: a receipt for no notice of ours: stored as received.
	Unmatched Outcome = "unmatched"
)

// Sources of a receipt.
const (
	SourceGPD     = "gpd"
	SourceStation = "station"
)

// Ingest stores a receipt as received (raw, parsed as r) for ente, once per
// (fiscal code, IUV, receiptId): the same receipt delivered again is a
// Duplicate and changes nothing. A new one marks its notice paid, settles
// the position's other options, and when the position is paid moves a
// pratica awaiting payment on (pratica.MarkPaid) — all in tx, so that a
// crash before commit leaves nothing and the re-delivery does it all. cal
// is the ente's calendar of working days (for the pratica's due date); nil
// loads it.
func Ingest(ctx context.Context, tx *sql.Tx, cal *calendar.Calendar, ente tenant.ID, raw []byte, r *gpd.Receipt, source string, now time.Time) (Outcome, error) {
	if r.Outcome != "OK" {
		return "", apperr.Errorf(apperr.Invalid, "payment: receipt %s: outcome %s", r.ReceiptID, r.Outcome)
	}
	amount, err := r.Amount()
	if err != nil {
		return "", err
	}
	paidAt, err := r.PaidAt()
	if err != nil {
		paidAt = now // paymentDateTime is optional in the XSD
	}
	// One statement for a duplicate: the insert that finds the receipt's
	// key taken. The notice is looked up inside it.
	var id int64
	var pid sql.NullInt64
	err = tx.QueryRowContext(ctx, `INSERT INTO payment_receipt (ente_id, payment_id, fiscal_code, iuv, receipt_id, notice_number,
		amount, psp, paid_at, source, document, received_at)
		VALUES ($1, (SELECT id FROM payment WHERE ente_id = $1 AND iuv = $3), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (ente_id, fiscal_code, iuv, receipt_id) DO NOTHING RETURNING id, payment_id`,
		ente, r.FiscalCode, r.CreditorReferenceID, r.ReceiptID, r.NoticeNumber, int64(amount),
		truncate(r.PSPCompanyName, 70), ts(paidAt), source, string(raw), ts(now)).Scan(&id, &pid)
	if errors.Is(err, sql.ErrNoRows) {
		return Duplicate, nil
	}
	if err != nil {
		return "", fmt.Errorf("payment: store receipt %s: %w", r.ReceiptID, err)
	}
	if !pid.Valid {
		return Unmatched, nil
	}
	opts, err := list(ctx, tx, selectPayment+` WHERE ente_id = $1 AND iupd = (SELECT iupd FROM payment WHERE ente_id = $1 AND id = $2)
		ORDER BY option_no`, ente, pid.Int64)
	if err != nil {
		return "", fmt.Errorf("payment %d: %w", pid.Int64, err)
	}
	var p *Payment
	for _, o := range opts {
		if int64(o.ID) == pid.Int64 {
			p = o
		}
	}
	if p == nil {
		return "", fmt.Errorf("payment %d: vanished", pid.Int64)
	}
	if p.State == Paid {
		return AlreadyPaid, addEvent(ctx, tx, ente, p.ID, Event{At: now, Actor: "system", Kind: "receipt_again",
			From: Paid, To: Paid, Note: "receipt " + r.ReceiptID + " for a notice already paid"})
	}
	if int64(amount) != p.Amount {
		// Stored and marked paid all the same: the money arrived; the
		// difference is the finance office's to settle.
		if err := addEvent(ctx, tx, ente, p.ID, Event{At: now, Actor: "system", Kind: "amount_differs", From: p.State, To: p.State,
			Note: fmt.Sprintf("paid %d cents, due %d", amount, p.Amount)}); err != nil {
			return "", err
		}
	}
	if err := markPaid(ctx, tx, cal, p, opts, "system", "receipt", "receipt "+r.ReceiptID, paidAt, now); err != nil {
		return "", err
	}
	return Recorded, nil
}

// Delivery is one receipt to ingest: for ente, as received and parsed.
type Delivery struct {
	Ente    tenant.ID
	Raw     []byte
	Receipt *gpd.Receipt
	Source  string
}

// IngestAll ingests many receipts in one transaction — one commit, and on
// SQLite one sync to disk, for the lot — which is how the poller stores what
// one round fetched. If the batch fails (one receipt refused), each
// receipt is retried in its own transaction, so that one bad receipt does
// not hold back the others; the outcomes are in the order given, "" for a
// receipt that failed, and the error is the first failure.
func IngestAll(ctx context.Context, d *db.DB, cal *calendar.Calendar, ds []Delivery, now time.Time) ([]Outcome, error) {
	outs := make([]Outcome, len(ds))
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		for i, x := range ds {
			var err error
			if outs[i], err = Ingest(ctx, tx, cal, x.Ente, x.Raw, x.Receipt, x.Source, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(ds) == 1 {
		if err != nil {
			outs[0] = ""
		}
		return outs, err
	}
	var first error
	for i, x := range ds {
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			outs[i], err = Ingest(ctx, tx, cal, x.Ente, x.Raw, x.Receipt, x.Source, now)
			return err
		})
		if err != nil {
			outs[i] = ""
			if first == nil {
				first = err
			}
		}
	}
	return outs, first
}

// markPaid pays p, one of the position's options opts (p among them),
// settles the options the payment makes unpayable and, once the position is
// paid, moves its pratica on.
func markPaid(ctx context.Context, tx *sql.Tx, cal *calendar.Calendar, p *Payment, opts []*Payment, actor, kind, note string, paidAt, now time.Time) error {
	if err := setStatePaid(ctx, tx, p, Paid, actor, kind, note, paidAt, now); err != nil {
		return err
	}
	settled := p.Option == 0
	if !settled {
		settled = true
		for _, o := range opts {
			if o.Option > 0 && o.State != Paid {
				settled = false
			}
		}
	}
	for _, o := range opts {
		// The payment in full cannot be paid once an installment is; the
		// installments cannot once it is.
		if o.ID != p.ID && (o.State == Open || o.State == Pending) && (p.Option == 0 || o.Option == 0) {
			if err := setState(ctx, tx, o, Settled, actor, "settled", "position paid by option "+strconv.Itoa(p.Option), now); err != nil {
				return err
			}
		}
	}
	if !settled || p.Pratica == 0 {
		return nil
	}
	pr, err := pratica.Get(ctx, tx, p.Ente, p.Pratica)
	if err != nil {
		return err
	}
	if cal == nil {
		e, err := tenant.Get(ctx, tx, p.Ente)
		if err != nil {
			return err
		}
		if cal, err = e.Calendar(); err != nil {
			return fmt.Errorf("payment %d: ente calendar: %w", p.ID, err)
		}
	}
	if pr.State != pratica.AwaitingPayment {
		return addEvent(ctx, tx, p.Ente, p.ID, Event{At: now, Actor: "system", Kind: "pratica_not_waiting", From: Paid, To: Paid,
			Note: "pratica is " + string(pr.State)})
	}
	if _, err := pratica.MarkPaid(ctx, tx, cal, p.Ente, p.Pratica, pratica.SystemActor, now); err != nil {
		return fmt.Errorf("payment %d: %w", p.ID, err)
	}
	return nil
}

// OverrideInput is an operator's manual record of a payment.
type OverrideInput struct {
	Operator identity.OperatorID
	// OperatorName is kept in the audit log.
	OperatorName string
	// Reason is required: why the notice counts as paid without a receipt
	// (a bank transfer seen on the treasury account, a receipt on paper).
	Reason    string
	RequestID string
	IP        string
}

// MinReasonLength keeps a reason from being a placeholder.
const MinReasonLength = 10

// Override marks a notice paid by an operator's decision, with a reason, in
// tx; the audit log records who and why. A receipt arriving later is still
// stored, and does not pay the notice twice.
func Override(ctx context.Context, tx *sql.Tx, cal *calendar.Calendar, ente tenant.ID, id ID, in OverrideInput, now time.Time) (*Payment, error) {
	reason := strings.TrimSpace(in.Reason)
	if len([]rune(reason)) < MinReasonLength {
		return nil, &apperr.Error{Kind: apperr.Invalid, Public: "Indica il motivo (almeno 10 caratteri).", Err: errors.New("override without a reason")}
	}
	if in.Operator <= 0 {
		return nil, apperr.Errorf(apperr.Invalid, "override by nobody")
	}
	p, err := Get(ctx, tx, ente, id)
	if err != nil {
		return nil, err
	}
	opts, err := position(ctx, tx, ente, p.IUPD)
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		if o.ID == p.ID {
			p = o // the same row, the one markPaid updates in place
		}
	}
	if p.State == Paid {
		return nil, &apperr.Error{Kind: apperr.Conflict, Public: "Il pagamento risulta già pagato.", Err: fmt.Errorf("payment %d already paid", id)}
	}
	actor := "operator:" + strconv.FormatInt(int64(in.Operator), 10)
	if err := markPaid(ctx, tx, cal, p, opts, actor, "override", truncate(reason, 500), now, now); err != nil {
		return nil, err
	}
	ev := &audit.Event{Ente: ente, Actor: audit.Actor{Kind: audit.Operator, ID: strconv.FormatInt(int64(in.Operator), 10), Name: in.OperatorName},
		Action: "payment.override", Subject: "payment:" + strconv.FormatInt(int64(id), 10), Outcome: audit.Success,
		RequestID: in.RequestID, IP: in.IP, Detail: truncate(reason, 500)}
	if err := audit.Record(ctx, tx, ev, now); err != nil {
		return nil, err
	}
	return p, nil
}
