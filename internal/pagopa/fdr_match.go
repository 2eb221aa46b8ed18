package pagopa

import (
	"cmp"
	"slices"
)

// ReceiptLine is one transfer of a receipt credited to the ente: what a
// flow line should report. Receipts with several transfers to the ente give
// several lines; transfers to other entes are theirs to reconcile.
type ReceiptLine struct {
	// Ente is the fiscal code of the ente the transfer credits.
	Ente       string
	IUV        string
	ReceiptID  string
	TransferID int
	Amount     Cents
}

// FlowLine is a flow line with the flow it came in.
type FlowLine struct {
	FlowID   string
	Receiver string
	FlowPayment
}

// Match is a receipt line and the flow line that reports it.
type Match struct {
	Receipt ReceiptLine
	Line    FlowLine
	// IURDiffers is set when the line's IUR is not the receipt's id:
	// the reference leaves open whether they must be equal, so a
	// difference is shown, not refused.
	IURDiffers bool
}

// Reconciliation is the outcome of matching receipts with flows, each list
// in a stable order, for the finance office.
type Reconciliation struct {
	// Reported are receipts whose transfer a flow reports with the same
	// amount: the payment reached the treasury (REPORTED).
	Reported []Match
	// AmountMismatch are matched lines whose amount differs.
	AmountMismatch []Match
	// Revoked are lines revoking a receipt's transfer.
	Revoked []Match
	// Unreported are receipt lines no flow reports (yet: a flow comes by
	// D+2).
	Unreported []ReceiptLine
	// Unmatched are flow lines without a receipt: a payment the ente does
	// not know of, or one reported twice.
	Unmatched []FlowLine
	// FlowProblems are flows whose declared count or total their lines
	// contradict.
	FlowProblems []string
}

type lineKey struct {
	ente, iuv string
	transfer  int
}

// Reconcile matches receipt lines with the lines of flows on (ente, IUV,
// transfer), as the reference prescribes. A flow line without a transfer
// index (optional in the XML) takes the receipt line of the same ente and
// IUV with the same amount, or the only one. Each receipt line is matched
// at most once; a second line for it is Unmatched. It is a pure function:
// the same input gives the same output.
func Reconcile(receipts []ReceiptLine, flows []Flow) Reconciliation {
	var r Reconciliation
	byKey := map[lineKey][]int{}
	byIUV := map[[2]string][]int{}
	for i, rl := range receipts {
		byKey[lineKey{rl.Ente, rl.IUV, rl.TransferID}] = append(byKey[lineKey{rl.Ente, rl.IUV, rl.TransferID}], i)
		byIUV[[2]string{rl.Ente, rl.IUV}] = append(byIUV[[2]string{rl.Ente, rl.IUV}], i)
	}
	used := make([]bool, len(receipts))
	pick := func(cands []int, amount Cents) int {
		free := -1
		for _, i := range cands {
			if used[i] {
				continue
			}
			if receipts[i].Amount == amount {
				return i
			}
			if free < 0 {
				free = i
			}
		}
		return free
	}
	for _, f := range flows {
		r.FlowProblems = append(r.FlowProblems, f.Problems()...)
		for _, p := range f.Payments {
			line := FlowLine{FlowID: f.ID, Receiver: f.Receiver.FiscalCode, FlowPayment: p}
			var cands []int
			if p.TransferID > 0 {
				cands = byKey[lineKey{f.Receiver.FiscalCode, p.IUV, p.TransferID}]
			} else {
				cands = byIUV[[2]string{f.Receiver.FiscalCode, p.IUV}]
			}
			i := pick(cands, p.Amount)
			if i < 0 {
				r.Unmatched = append(r.Unmatched, line)
				continue
			}
			used[i] = true
			m := Match{Receipt: receipts[i], Line: line, IURDiffers: p.IUR != receipts[i].ReceiptID}
			switch {
			case p.Outcome == FlowRevoked:
				r.Revoked = append(r.Revoked, m)
			case p.Amount != receipts[i].Amount:
				r.AmountMismatch = append(r.AmountMismatch, m)
			default:
				r.Reported = append(r.Reported, m)
			}
		}
	}
	for i, rl := range receipts {
		if !used[i] {
			r.Unreported = append(r.Unreported, rl)
		}
	}
	byReceipt := func(a, b ReceiptLine) int {
		return cmp.Or(cmp.Compare(a.Ente, b.Ente), cmp.Compare(a.IUV, b.IUV), cmp.Compare(a.TransferID, b.TransferID), cmp.Compare(a.ReceiptID, b.ReceiptID))
	}
	byMatch := func(a, b Match) int { return byReceipt(a.Receipt, b.Receipt) }
	slices.SortStableFunc(r.Reported, byMatch)
	slices.SortStableFunc(r.AmountMismatch, byMatch)
	slices.SortStableFunc(r.Revoked, byMatch)
	slices.SortStableFunc(r.Unreported, byReceipt)
	slices.SortStableFunc(r.Unmatched, func(a, b FlowLine) int {
		return cmp.Or(cmp.Compare(a.FlowID, b.FlowID), cmp.Compare(a.Index, b.Index))
	})
	return r
}
