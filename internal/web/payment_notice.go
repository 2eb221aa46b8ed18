package web

import (
	"context"
	"fmt"
	"strings"

	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/tenant"
)

// NoticePDF renders the avviso di pagamento of one payment of e: pagoPA's
// layout with the QR code, the notice code in groups of four and the
// amount and due date in the Italian way (internal/pagopa, internal/pdf).
// Each payment is one payable notice (an installment is its own).
func NoticePDF(_ context.Context, e *tenant.Ente, p *payment.Payment) ([]byte, error) {
	nav, err := pagopa.ParseNAV(p.NAV)
	if err != nil {
		return nil, fmt.Errorf("payment %d: notice number: %w", p.ID, err)
	}
	var info []string
	for _, l := range []string{e.Email, e.PEC, e.Phone} {
		if strings.TrimSpace(l) != "" {
			info = append(info, l)
		}
	}
	n := pagopa.Notice{
		Subject:  p.Description,
		Ente:     pagopa.NoticeEnte{Name: e.Name, FiscalCode: e.FiscalCode, Info: info},
		Debtor:   pagopa.NoticeDebtor{Name: p.DebtorName, FiscalCode: p.DebtorFiscalCode},
		Single:   &pagopa.NoticeOption{NAV: nav, Amount: pagopa.Cents(p.Amount), DueDate: p.Due},
		IssuedAt: p.Created,
	}
	return n.PDF()
}
