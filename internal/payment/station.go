package payment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	"github.com/sportello/sportello/internal/pagopa/station"
	"github.com/sportello/sportello/internal/tenant"
)

// Station is the payments store as the ente's own pagoPA station sees it
// (station.Positions): the Node's paVerifyPaymentNotice and paGetPaymentV2
// read a notice here, and paSendRTV2's receipts go through Ingest, so that
// a notice paid at a tobacconist moves its pratica on exactly as a receipt
// fetched from GPD does.
type Station struct {
	DB *db.DB
	// Calendar, when set, serves every ente; nil uses each ente's own.
	Calendar *calendar.Calendar
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

var _ station.Positions = (*Station)(nil)

func (s *Station) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// Verify implements station.Positions.
func (s *Station) Verify(ctx context.Context, ente string, nav pagopa.NAV) (station.Position, error) {
	return s.position(ctx, ente, nav)
}

// Get implements station.Positions: the notice with its one transfer to
// the ente's account (its postal account too, when it has one).
func (s *Station) Get(ctx context.Context, ente string, nav pagopa.NAV) (station.Position, error) {
	return s.position(ctx, ente, nav)
}

// position reads the notice nav of the ente whose fiscal code is cf, with
// the other options of its debt position, which decide its status.
func (s *Station) position(ctx context.Context, cf string, nav pagopa.NAV) (station.Position, error) {
	e, err := tenant.ByFiscalCode(ctx, s.DB, cf)
	if err != nil {
		return station.Position{}, err
	}
	p, err := scanPayment(s.DB.QueryRowContext(ctx, selectPayment+` WHERE ente_id = $1 AND nav = $2`, e.ID, nav.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return station.Position{}, apperr.Errorf(apperr.NotFound, "payment: notice %s of ente %d not found", nav, e.ID)
	}
	if err != nil {
		return station.Position{}, fmt.Errorf("payment: notice %s: %w", nav, err)
	}
	opts, err := position(ctx, s.DB, e.ID, p.IUPD)
	if err != nil {
		return station.Position{}, err
	}
	set, err := GetSettings(ctx, s.DB, e.ID)
	if err != nil {
		return station.Position{}, err
	}
	typ := "F"
	if len(p.DebtorFiscalCode) == 11 {
		typ = "G"
	}
	pos := station.Position{
		Status: positionStatus(p, opts), Paid: p.State == Paid || p.State == Settled,
		IUV: p.IUV, Amount: pagopa.Cents(p.Amount), DueDate: p.Due, Description: p.Description,
		CompanyName: e.Name, Debtor: station.Subject{Type: typ, ID: p.DebtorFiscalCode, FullName: p.DebtorName},
		Transfers: []station.Transfer{{ID: 1, Amount: pagopa.Cents(p.Amount), FiscalCodePA: e.FiscalCode, CompanyName: e.Name,
			IBAN: set.IBAN, PostalIBAN: set.PostalIBAN, Remittance: p.Description, Category: p.Taxonomy}},
	}
	return pos, nil
}

// positionStatus is the GPD status of the debt position p belongs to, from
// the states of its options here: what the station's fault table reads.
// A pending notice (numbered, its job not yet run) is payable: the station
// is the ente's own truth.
func positionStatus(p *Payment, opts []*Payment) station.Status {
	switch p.State {
	case Cancelled:
		return station.StatusInvalid
	case Expired:
		return station.StatusExpired
	case Failed:
		return station.StatusDraft
	}
	paidFull, paidSome, reported, allInstallments, installments := false, false, true, true, 0
	for _, o := range opts {
		paid := o.State == Paid
		if o.Option == 0 && paid {
			paidFull = true
		}
		if o.Option > 0 {
			installments++
			paidSome = paidSome || paid
			allInstallments = allInstallments && paid
		}
		if paid && o.ReportedAt.IsZero() {
			reported = false
		}
	}
	switch {
	case (paidFull || installments > 0 && allInstallments) && reported:
		return station.StatusReported
	case paidFull || installments > 0 && allInstallments:
		return station.StatusPaid
	case paidSome:
		return station.StatusPartiallyPaid
	}
	return station.StatusValid
}

// StoreReceipt implements station.Positions: the receipt goes through
// Ingest as received (r.Raw, the whole request), once per (ente fiscal
// code, IUV, receiptId). A receipt already stored is
// station.ErrDuplicateReceipt, which the station answers as delivered;
// Ingest's other outcomes (a notice paid twice, a receipt for no notice of
// ours) are stored, so they are delivered too.
func (s *Station) StoreReceipt(ctx context.Context, r station.Receipt) error {
	e, err := tenant.ByFiscalCode(ctx, s.DB, r.FiscalCode)
	if err != nil {
		return err
	}
	g, err := gpd.ParseReceipt(r.Raw)
	if err != nil {
		return err
	}
	now := s.now()
	var out Outcome
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = Ingest(ctx, tx, s.Calendar, e.ID, r.Raw, g, SourceStation, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("payment: station receipt %s: %w", r.ReceiptID, err)
	}
	if out == Duplicate {
		return station.ErrDuplicateReceipt
	}
	return nil
}
