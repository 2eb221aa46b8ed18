package payment

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	"github.com/sportello/sportello/internal/tenant"
)

// LineStatus is what matching a flow line against the receipts gave.
type LineStatus string

// The statuses of a flow line.
const (
	// LineReported: the line reports a receipt's transfer, same amount.
	LineReported LineStatus = "reported"
	// LineAmount: it reports a receipt's transfer with another amount.
	LineAmount LineStatus = "amount"
	// LineRevoked: it revokes a receipt's transfer (the money goes back).
	LineRevoked LineStatus = "revoked"
	// LineUnmatched: no receipt of ours, or one another line reported.
	LineUnmatched LineStatus = "unmatched"
)

// receiptRef is a stored receipt a flow line may report.
type receiptRef struct {
	id      int64
	payment sql.NullInt64
	lines   int // its transfers credited to the ente
}

// StoreFlow stores a reconciliation flow of the ente (whose fiscal code is
// cf) as received (doc) and matches its lines with the ente's receipts of
// the same IUVs (pagopa.Reconcile) in tx: a reported line marks its notice
// reported once every transfer of its receipt is. A flow already stored
// (same id, PSP and revision) changes nothing and returns false.
func StoreFlow(ctx context.Context, tx *sql.Tx, ente tenant.ID, cf string, f pagopa.Flow, doc []byte, published, now time.Time) (bool, error) {
	var ref int64
	err := tx.QueryRowContext(ctx, `INSERT INTO payment_flow (ente_id, flow_id, revision, psp_id, psp_name, flow_date,
		regulation_id, regulation_date, line_count, total, problems, document, published_at, fetched_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (ente_id, flow_id, psp_id, revision) DO NOTHING RETURNING id`,
		ente, f.ID, f.Revision, cmp.Or(f.Sender.PSPID, f.Sender.ID), truncate(f.Sender.Name, 140), ts(f.Date), f.RegulationID,
		ts(f.RegulationDate), f.Count, int64(f.Total), strings.Join(f.Problems(), "; "), string(doc), ts(published), ts(now)).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("payment: store flow %s: %w", f.ID, err)
	}
	lines, refs, err := receiptLines(ctx, tx, ente, cf, f)
	if err != nil {
		return false, fmt.Errorf("payment: flow %s: %w", f.ID, err)
	}
	rec := pagopa.Reconcile(lines, []pagopa.Flow{f})
	type outcome struct {
		status   LineStatus
		receipt  *receiptRef
		expected pagopa.Cents
	}
	byIndex := map[int64]outcome{}
	for _, set := range []struct {
		ms     []pagopa.Match
		status LineStatus
	}{{rec.Reported, LineReported}, {rec.AmountMismatch, LineAmount}, {rec.Revoked, LineRevoked}} {
		for _, m := range set.ms {
			byIndex[m.Line.Index] = outcome{set.status, refs[m.Receipt.IUV+"/"+m.Receipt.ReceiptID], m.Receipt.Amount}
		}
	}
	for _, p := range f.Payments {
		o, ok := byIndex[p.Index]
		if !ok {
			o.status = LineUnmatched
		}
		var rref, expected any
		if o.receipt != nil {
			rref, expected = o.receipt.id, int64(o.expected)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO payment_flow_line (ente_id, flow_ref, line_no, iuv, iur, transfer_id, amount,
			outcome, paid_on, status, receipt_ref, expected) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			ente, ref, p.Index, p.IUV, p.IUR, p.TransferID, int64(p.Amount), string(p.Outcome), ts(p.Date), string(o.status), rref, expected); err != nil {
			return false, fmt.Errorf("payment: flow %s line %d: %w", f.ID, p.Index, err)
		}
		if o.receipt != nil && o.receipt.payment.Valid && o.status != LineUnmatched {
			if err := noteReported(ctx, tx, ente, f.ID, o.status, o.receipt, now); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// receiptLines reads the ente's receipts of the flow's IUVs and lists
// their transfers credited to the ente, leaving out those another flow
// already reported (a second report of them is then unmatched).
func receiptLines(ctx context.Context, tx *sql.Tx, ente tenant.ID, cf string, f pagopa.Flow) ([]pagopa.ReceiptLine, map[string]*receiptRef, error) {
	var lines []pagopa.ReceiptLine
	refs := map[string]*receiptRef{}
	seen := map[string]bool{}
	for _, p := range f.Payments {
		if seen[p.IUV] {
			continue
		}
		seen[p.IUV] = true
		rows, err := tx.QueryContext(ctx, `SELECT id, payment_id, receipt_id, document FROM payment_receipt
			WHERE ente_id = $1 AND iuv = $2 ORDER BY id`, ente, p.IUV)
		if err != nil {
			return nil, nil, err
		}
		type stored struct {
			ref       receiptRef
			receiptID string
			doc       string
		}
		var got []stored
		for rows.Next() {
			var s stored
			if err := rows.Scan(&s.ref.id, &s.ref.payment, &s.receiptID, &s.doc); err != nil {
				rows.Close()
				return nil, nil, err
			}
			got = append(got, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
		for _, s := range got {
			r, err := gpd.ParseReceipt([]byte(s.doc))
			if err != nil {
				continue // stored as received, unreadable: the finance office sees it unreported
			}
			ref := s.ref
			refs[p.IUV+"/"+s.receiptID] = &ref
			for _, t := range r.TransferList.Transfer {
				id, _ := strconv.Atoi(t.IDTransfer)
				amount, err := pagopa.ParseEuro(t.TransferAmount)
				if err != nil || cmp.Or(t.FiscalCodePA, cf) != cf {
					continue
				}
				ref.lines++
				var taken int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM payment_flow_line WHERE ente_id = $1 AND receipt_ref = $2
					AND transfer_id = $3 AND status <> 'unmatched'`, ente, s.ref.id, id).Scan(&taken); err != nil {
					return nil, nil, err
				}
				if taken == 0 {
					lines = append(lines, pagopa.ReceiptLine{Ente: cf, IUV: p.IUV, ReceiptID: s.receiptID, TransferID: id, Amount: amount})
				}
			}
		}
	}
	return lines, refs, nil
}

// noteReported records on a notice what a flow said of its receipt: an
// event, and the notice reported once every transfer of the receipt is.
func noteReported(ctx context.Context, tx *sql.Tx, ente tenant.ID, flow string, status LineStatus, r *receiptRef, now time.Time) error {
	id := ID(r.payment.Int64)
	p, err := Get(ctx, tx, ente, id)
	if err != nil {
		return err
	}
	if err := addEvent(ctx, tx, ente, id, Event{At: now, Actor: "system", Kind: "flow_" + string(status), From: p.State, To: p.State,
		Note: "flow " + flow}); err != nil {
		return err
	}
	if status != LineReported || !p.ReportedAt.IsZero() {
		return nil
	}
	var reported int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM payment_flow_line WHERE ente_id = $1 AND receipt_ref = $2 AND status = 'reported'`,
		ente, r.id).Scan(&reported); err != nil {
		return err
	}
	if reported < r.lines {
		return nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE payment SET reported_at = $3, updated_at = $3 WHERE ente_id = $1 AND id = $2`, ente, id, ts(now))
	return err
}

// ReconcileStats counts what one Reconcile did.
type ReconcileStats struct {
	Flows, Lines, Failed int
}

// Reconcile fetches, for every ente set up for pagoPA, the reconciliation
// flows published since its last one, stores them and matches them with
// the receipts (StoreFlow), one transaction per flow. It is what the
// reconcile job runs; a flow that fails is counted and fetched again next
// time.
func (s *Service) Reconcile(ctx context.Context) (ReconcileStats, error) {
	var st ReconcileStats
	if s.FdR == nil {
		return st, nil
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT ente_id FROM payment_settings ORDER BY ente_id`)
	if err != nil {
		return st, fmt.Errorf("payment: reconcile: %w", err)
	}
	var enti []tenant.ID
	for rows.Next() {
		var id tenant.ID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return st, err
		}
		enti = append(enti, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	var errs []error
	for _, id := range enti {
		if err := s.reconcileEnte(ctx, id, &st); err != nil {
			errs = append(errs, fmt.Errorf("ente %d: %w", id, err))
		}
	}
	return st, errors.Join(errs...)
}

func (s *Service) reconcileEnte(ctx context.Context, id tenant.ID, st *ReconcileStats) error {
	e, err := tenant.Get(ctx, s.DB, id)
	if err != nil {
		return err
	}
	// MAX() would lose the column's type on SQLite: the latest row instead.
	var last time.Time
	err = s.DB.QueryRowContext(ctx, `SELECT published_at FROM payment_flow WHERE ente_id = $1 ORDER BY published_at DESC LIMIT 1`, id).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	since := time.Time{}
	if err == nil {
		// A second of overlap: flows published in the same instant as the
		// last one stored are listed again, and skipped.
		since = last.Add(-time.Second)
	}
	refs, err := s.FdR.List(ctx, e.FiscalCode, since)
	if err != nil {
		return err
	}
	for _, r := range refs {
		var n int
		if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM payment_flow WHERE ente_id = $1 AND flow_id = $2 AND psp_id = $3 AND revision = $4`,
			id, r.FlowID, r.PSP, r.Revision).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		f, raw, pages, err := s.FdR.Get(ctx, e.FiscalCode, r)
		if err != nil {
			st.Failed++
			s.log().Warn("payment flow not fetched", "ente", id, "flow", r.FlowID, "err", err)
			continue
		}
		doc := string(raw) + "\n" + strings.Join(bytesToStrings(pages), "\n")
		err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
			_, err := StoreFlow(ctx, tx, id, e.FiscalCode, f, []byte(doc), r.Published, s.now())
			return err
		})
		if err != nil {
			st.Failed++
			s.log().Warn("payment flow not stored", "ente", id, "flow", r.FlowID, "err", err)
			continue
		}
		st.Flows++
		st.Lines += len(f.Payments)
	}
	return nil
}

func bytesToStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}
