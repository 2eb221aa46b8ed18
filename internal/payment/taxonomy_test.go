package payment_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/payment"
)

// TestTaxonomyCodes: the codes the product ships parse; SetItem refuses a
// bad one; a bad one stored by hand is named by CheckItems at start and
// its entry refused to citizens with a clear message.
func TestTaxonomyCodes(t *testing.T) {
	codes := []string{payment.TaxonomyFees}
	for _, it := range demo.PaymentItems {
		codes = append(codes, it.Taxonomy)
	}
	for _, c := range codes {
		if _, err := pagopa.ParseTaxonomyCode(c); err != nil {
			t.Errorf("shipped code %q: %v", c, err)
		}
	}

	f := setup(t)
	if err := payment.CheckItems(ctx, f.d); err != nil {
		t.Fatalf("valid catalogues: %v", err)
	}
	err := payment.SetItem(ctx, f.d, f.ala.ente, payment.Item{Slug: "tosap", Title: "TOSAP", Amount: 100, Taxonomy: "9/0101108XX/", Installments: 1}, 9)
	if !errors.Is(err, pagopa.ErrInvalidTaxonomyCode) {
		t.Errorf("SetItem with a bad code: %v", err)
	}
	if _, err := f.d.ExecContext(ctx, `UPDATE payment_item SET taxonomy = '9/0101105SP' WHERE ente_id = $1 AND slug = 'mensa'`, f.avio.ente); err != nil {
		t.Fatal(err)
	}
	err = payment.CheckItems(ctx, f.d)
	if !errors.Is(err, pagopa.ErrInvalidTaxonomyCode) || !strings.Contains(err.Error(), `payment item "mensa"`) ||
		strings.Count(err.Error(), "payment item") != 1 {
		t.Errorf("CheckItems: %v", err)
	}
	err = f.d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := payment.Spontaneous(ctx, tx, nil, f.avio.ente, payment.SpontaneousInput{Citizen: f.avio.mario, Item: "mensa"}, f.now)
		return err
	})
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.Unavailable || !strings.Contains(ae.Public, "contatta il Comune") {
		t.Errorf("a payment of the bad entry: %v", err)
	}
	// Ala's own mensa is untouched.
	err = f.d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := payment.Spontaneous(ctx, tx, nil, f.ala.ente, payment.SpontaneousInput{Citizen: f.ala.mario, Item: "mensa"}, f.now)
		return err
	})
	if err != nil {
		t.Errorf("ala's entry: %v", err)
	}
}
