package payment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// SetFinanceOffice names the office whose staff reconcile the ente's
// payments (the finance office, ragioneria); 0 names none.
func SetFinanceOffice(ctx context.Context, q db.Querier, ente tenant.ID, office int64) error {
	var arg any
	if office != 0 {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM office WHERE ente_id = $1 AND id = $2`, ente, office).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.Errorf(apperr.Invalid, "payment: office %d is not an office of ente %d", office, ente)
		}
		arg = office
	}
	res, err := q.ExecContext(ctx, `UPDATE payment_settings SET finance_office_id = $2 WHERE ente_id = $1`, ente, arg)
	if err != nil {
		return fmt.Errorf("payment: finance office of ente %d: %w", ente, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.Errorf(apperr.NotFound, "payment: ente %d has no pagoPA settings", ente)
	}
	return nil
}

// FinanceOffice is the ente's finance office; 0 when none is named or
// pagoPA is not set up.
func FinanceOffice(ctx context.Context, q db.Querier, ente tenant.ID) (int64, error) {
	var id sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT finance_office_id FROM payment_settings WHERE ente_id = $1`, ente).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("payment: finance office of ente %d: %w", ente, err)
	}
	return id.Int64, nil
}

// FlowSummary is one stored flow with what its lines matched.
type FlowSummary struct {
	FlowID, PSP, RegulationID string
	Date, RegulationDate      time.Time
	// Count and Total are what the flow declares; Lines what it lists.
	Count, Total, Lines int64
	// Reported and ReportedAmount are its lines that matched a receipt.
	Reported       int64
	ReportedAmount int64
	Problems       string
}

// LineIssue is a flow line that did not match: an amount that differs from
// the receipt's (Expected), a revocation, or no receipt at all.
type LineIssue struct {
	FlowID, PSP string
	IUV, IUR    string
	TransferID  int
	Amount      int64
	Expected    int64
	Status      LineStatus
	PaidOn      time.Time
}

// UnreportedReceipt is a receipt no flow has reported yet: normal for a
// couple of days (flows come by D+2), to chase after that.
type UnreportedReceipt struct {
	Payment   ID
	IUV       string
	ReceiptID string
	PSP       string
	Amount    int64
	PaidAt    time.Time
}

// Reconciliation is the finance office's view of the ente's flows since a
// date: each flow, the lines that do not match and the receipts no flow
// reported.
type Reconciliation struct {
	Flows      []FlowSummary
	Issues     []LineIssue
	Unreported []UnreportedReceipt
	// FlowsTotal is what the flows poured in; ReportedTotal how much of it
	// matched receipts; UnreportedTotal what receipts still await.
	FlowsTotal, ReportedTotal, UnreportedTotal int64
}

// ReconciliationSince reads the ente's reconciliation from since on (flows
// by date, receipts by payment time).
func ReconciliationSince(ctx context.Context, q db.Querier, ente tenant.ID, since time.Time) (*Reconciliation, error) {
	var out Reconciliation
	rows, err := q.QueryContext(ctx, `SELECT f.flow_id, f.psp_name, f.regulation_id, f.flow_date, f.regulation_date, f.line_count, f.total,
		f.problems, COUNT(l.line_no), SUM(CASE WHEN l.status = 'reported' THEN 1 ELSE 0 END),
		SUM(CASE WHEN l.status = 'reported' THEN l.amount ELSE 0 END)
		FROM payment_flow f LEFT JOIN payment_flow_line l ON l.ente_id = f.ente_id AND l.flow_ref = f.id
		WHERE f.ente_id = $1 AND f.flow_date >= $2
		GROUP BY f.id, f.flow_id, f.psp_name, f.regulation_id, f.flow_date, f.regulation_date, f.line_count, f.total, f.problems
		ORDER BY f.flow_date DESC, f.id DESC`, ente, ts(since))
	if err != nil {
		return nil, fmt.Errorf("payment: reconciliation: %w", err)
	}
	for rows.Next() {
		var f FlowSummary
		var reported, amount sql.NullInt64
		if err := rows.Scan(&f.FlowID, &f.PSP, &f.RegulationID, &f.Date, &f.RegulationDate, &f.Count, &f.Total, &f.Problems,
			&f.Lines, &reported, &amount); err != nil {
			rows.Close()
			return nil, err
		}
		f.Date, f.RegulationDate = f.Date.UTC(), f.RegulationDate.UTC()
		f.Reported, f.ReportedAmount = reported.Int64, amount.Int64
		out.FlowsTotal += f.Total
		out.ReportedTotal += f.ReportedAmount
		out.Flows = append(out.Flows, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT f.flow_id, f.psp_name, l.iuv, l.iur, l.transfer_id, l.amount, COALESCE(l.expected, 0), l.status, l.paid_on
		FROM payment_flow_line l JOIN payment_flow f ON f.ente_id = l.ente_id AND f.id = l.flow_ref
		WHERE l.ente_id = $1 AND l.status <> 'reported' AND f.flow_date >= $2
		ORDER BY f.flow_date DESC, f.id DESC, l.line_no`, ente, ts(since))
	if err != nil {
		return nil, fmt.Errorf("payment: reconciliation: %w", err)
	}
	for rows.Next() {
		var l LineIssue
		if err := rows.Scan(&l.FlowID, &l.PSP, &l.IUV, &l.IUR, &l.TransferID, &l.Amount, &l.Expected, &l.Status, &l.PaidOn); err != nil {
			rows.Close()
			return nil, err
		}
		l.PaidOn = l.PaidOn.UTC()
		out.Issues = append(out.Issues, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT COALESCE(r.payment_id, 0), r.iuv, r.receipt_id, r.psp, r.amount, r.paid_at FROM payment_receipt r
		WHERE r.ente_id = $1 AND r.paid_at >= $2 AND NOT EXISTS (SELECT 1 FROM payment_flow_line l
			WHERE l.ente_id = r.ente_id AND l.receipt_ref = r.id AND l.status <> 'unmatched')
		ORDER BY r.paid_at, r.id`, ente, ts(since))
	if err != nil {
		return nil, fmt.Errorf("payment: reconciliation: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u UnreportedReceipt
		if err := rows.Scan(&u.Payment, &u.IUV, &u.ReceiptID, &u.PSP, &u.Amount, &u.PaidAt); err != nil {
			return nil, err
		}
		u.PaidAt = u.PaidAt.UTC()
		out.UnreportedTotal += u.Amount
		out.Unreported = append(out.Unreported, u)
	}
	return &out, rows.Err()
}
