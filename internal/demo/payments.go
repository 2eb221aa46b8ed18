package demo

import (
	"context"
	"database/sql"
	"time"

	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/tenant"
)

// PaymentSettings are the demo comune's pagoPA settings: a segregation
// code and a made-up treasury IBAN (valid check digits, no real account).
var PaymentSettings = payment.Settings{Segregation: 1, IBAN: "IT60X0542811101000000123456"}

// PaymentItems are the demo's catalogue of spontaneous payments. The
// taxonomy codes have the official shape; check them against pagoPA's
// taxonomy before production (docs/pagopa.md).
var PaymentItems = []payment.Item{
	{Slug: "diritti-segreteria", Title: "Diritti di segreteria", Amount: 1600, Taxonomy: "9/0101108TS/", Installments: 1},
	{Slug: "mensa-scolastica", Title: "Mensa scolastica (trimestre)", Amount: 24000, Taxonomy: "9/0101105SP/", Installments: 3},
	{Slug: "sanzioni", Title: "Sanzioni al codice della strada", Taxonomy: "9/0102100SA/", Installments: 1},
}

// seedPayments configures pagoPA for the demo comune.
func seedPayments(ctx context.Context, tx *sql.Tx, ente tenant.ID, now time.Time) error {
	s := PaymentSettings
	s.Ente = ente
	if err := payment.Configure(ctx, tx, s, now); err != nil {
		return err
	}
	for i, it := range PaymentItems {
		if err := payment.SetItem(ctx, tx, ente, it, i); err != nil {
			return err
		}
	}
	// The Tributi office reconciles the payments (the finance office).
	o, err := tenant.GetOffice(ctx, tx, ente, FinanceOffice)
	if err != nil {
		return err
	}
	return payment.SetFinanceOffice(ctx, tx, ente, o.ID)
}

// FinanceOffice is the demo's office that reconciles payments.
const FinanceOffice = "tributi"
