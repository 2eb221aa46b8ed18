package payment

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// TaxonomyFees is the taxonomy code of a pratica's fee when its service
// names none: diritti di segreteria of a comune (verify against the
// official taxonomy before production; see docs/pagopa.md).
const TaxonomyFees = "9/0101108TS/"

// feeTerm is how long a pratica's fee notice stays payable.
const feeTerm = 30 * 24 * time.Hour

// ForPratica numbers the notice of a pratica's fee and enqueues its
// publication on the platform, in the caller's transaction — the one that
// submitted the pratica, so that a pratica awaiting payment always has its
// notice. It is idempotent: a pratica that has its notice gets it back.
func ForPratica(ctx context.Context, tx *sql.Tx, j *jobs.Jobs, p *pratica.Pratica, now time.Time) ([]*Payment, error) {
	if p.Fee <= 0 {
		return nil, nil
	}
	existing, err := ForPraticaList(ctx, tx, p.Ente, p.ID)
	if err != nil || len(existing) > 0 {
		return existing, err
	}
	e, err := tenant.Get(ctx, tx, p.Ente)
	if err != nil {
		return nil, err
	}
	c, err := identity.GetCitizen(ctx, tx, p.Ente, p.Citizen)
	if err != nil {
		return nil, err
	}
	v, _, err := nextIUV(ctx, tx, p.Ente)
	if err != nil {
		return nil, err
	}
	pay := &Payment{Ente: p.Ente, IUPD: iupdForPratica(e.FiscalCode, p.ID, 1), Pratica: p.ID, Citizen: p.Citizen,
		DebtorFiscalCode: c.FiscalCode, DebtorName: debtorName(c), IUV: v.String(), NAV: v.NAV().String(), Amount: p.Fee,
		Description: "Pratica " + strconv.FormatInt(int64(p.ID), 10) + ": " + p.Title, Taxonomy: TaxonomyFees, Due: ts(now.Add(feeTerm))}
	if err := insert(ctx, tx, pay, now); err != nil {
		return nil, fmt.Errorf("pratica %d: %w", p.ID, err)
	}
	if err := enqueuePublish(ctx, tx, j, pay.Ente, pay.IUPD); err != nil {
		return nil, err
	}
	return []*Payment{pay}, nil
}

// SpontaneousInput is a citizen's payment from the catalogue.
type SpontaneousInput struct {
	Citizen *identity.Citizen
	Item    string
	// Amount is the amount for an item without a fixed one (a fine), cents.
	Amount int64
	// Reason is the citizen's note (a fine's number, a child's name),
	// appended to the description.
	Reason string
	// Installments asks to pay in that many installments, up to the item's.
	Installments int
}

// Spontaneous numbers a spontaneous payment (in full, plus its
// installments when asked) and enqueues its publication, in tx.
func Spontaneous(ctx context.Context, tx *sql.Tx, j *jobs.Jobs, ente tenant.ID, in SpontaneousInput, now time.Time) ([]*Payment, error) {
	it, err := GetItem(ctx, tx, ente, in.Item)
	if err != nil {
		return nil, err
	}
	if _, err := pagopa.ParseTaxonomyCode(it.Taxonomy); err != nil {
		// The platform would refuse the position: the comune must fix the
		// entry (CheckItems logs it at start).
		return nil, &apperr.Error{Kind: apperr.Unavailable, Public: "Questo pagamento non è al momento disponibile: contatta il Comune.",
			Err: fmt.Errorf("payment item %s: %w", it.Slug, err)}
	}
	amount := it.Amount
	if amount == 0 {
		amount = in.Amount
	}
	if amount <= 0 || pagopa.Cents(amount) > pagopa.MaxCents {
		return nil, &apperr.Error{Kind: apperr.Invalid, Public: "Indica un importo valido.", Err: fmt.Errorf("amount %d", amount)}
	}
	n := max(in.Installments, 1)
	if n > it.Installments {
		return nil, &apperr.Error{Kind: apperr.Invalid, Public: "Numero di rate non ammesso.", Err: fmt.Errorf("%d installments, at most %d", n, it.Installments)}
	}
	if n > 1 && amount < int64(n) {
		return nil, apperr.Errorf(apperr.Invalid, "amount %d too small for %d installments", amount, n)
	}
	e, err := tenant.Get(ctx, tx, ente)
	if err != nil {
		return nil, err
	}
	desc := it.Title
	if r := strings.TrimSpace(in.Reason); r != "" {
		desc += " – " + r
	}
	var out []*Payment
	var iupd string
	add := func(option int, amt int64, due time.Time, description string) error {
		v, _, err := nextIUV(ctx, tx, ente)
		if err != nil {
			return err
		}
		iupd = cmp.Or(iupd, iupdForIUV(e.FiscalCode, v.String()))
		p := &Payment{Ente: ente, IUPD: iupd, Option: option, Citizen: in.Citizen.ID, Item: it.Slug,
			DebtorFiscalCode: in.Citizen.FiscalCode, DebtorName: debtorName(in.Citizen), IUV: v.String(), NAV: v.NAV().String(),
			Amount: amt, Description: description, Taxonomy: it.Taxonomy, Due: ts(due)}
		if err := insert(ctx, tx, p, now); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	}
	if err := add(0, amount, now.Add(feeTerm), desc); err != nil {
		return nil, err
	}
	if n > 1 {
		each := amount / int64(n)
		for i := 1; i <= n; i++ {
			amt := each
			if i == n {
				amt = amount - each*int64(n-1)
			}
			due := now.AddDate(0, i, 0)
			if err := add(i, amt, due, fmt.Sprintf("%s – rata %d di %d", desc, i, n)); err != nil {
				return nil, err
			}
		}
	}
	if err := enqueuePublish(ctx, tx, j, ente, iupd); err != nil {
		return nil, err
	}
	return out, nil
}

func enqueuePublish(ctx context.Context, tx *sql.Tx, j *jobs.Jobs, ente tenant.ID, iupd string) error {
	if j == nil {
		return nil // published on demand (StartCheckout) or by a later Publish
	}
	if _, err := j.EnqueueTx(ctx, tx, PublishArgs{Ente: ente, IUPD: iupd}, nil); err != nil {
		return fmt.Errorf("payment: enqueue publish %s: %w", iupd, err)
	}
	return nil
}

func debtorName(c *identity.Citizen) string {
	return truncate(cmp.Or(strings.TrimSpace(c.GivenName+" "+c.FamilyName), c.FiscalCode), 70)
}
