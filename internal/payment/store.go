package payment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/iban"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Configure stores the ente's pagoPA settings; the IUV counter is kept.
func Configure(ctx context.Context, q db.Querier, s Settings, now time.Time) error {
	if s.Segregation < 0 || s.Segregation > pagopa.MaxSegregation {
		return apperr.Errorf(apperr.Invalid, "payment: configure: segregation code %d not in 00–49", s.Segregation)
	}
	if _, err := iban.Parse(s.IBAN); err != nil {
		return apperr.Errorf(apperr.Invalid, "payment: configure: %w", err)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO payment_settings (ente_id, segregation_code, iban, postal_iban, next_sequence, updated_at)
		VALUES ($1, $2, $3, $4, 1, $5)
		ON CONFLICT (ente_id) DO UPDATE SET segregation_code = $2, iban = $3, postal_iban = $4, updated_at = $5`,
		s.Ente, s.Segregation, s.IBAN, s.PostalIBAN, ts(now))
	if err != nil {
		return fmt.Errorf("payment: configure ente %d: %w", s.Ente, err)
	}
	return nil
}

// GetSettings reads the ente's settings; NotFound when pagoPA is not set up.
func GetSettings(ctx context.Context, q db.Querier, ente tenant.ID) (*Settings, error) {
	s := Settings{Ente: ente}
	err := q.QueryRowContext(ctx, `SELECT segregation_code, iban, postal_iban FROM payment_settings WHERE ente_id = $1`, ente).
		Scan(&s.Segregation, &s.IBAN, &s.PostalIBAN)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Errorf(apperr.NotFound, "payment: ente %d has no pagoPA settings", ente)
	}
	if err != nil {
		return nil, fmt.Errorf("payment: settings of ente %d: %w", ente, err)
	}
	return &s, nil
}

// nextIUV takes the ente's next IUV in tx; the row lock orders concurrent
// takers.
func nextIUV(ctx context.Context, tx *sql.Tx, ente tenant.ID) (pagopa.IUV, *Settings, error) {
	s := Settings{Ente: ente}
	var seq int64
	err := tx.QueryRowContext(ctx, `UPDATE payment_settings SET next_sequence = next_sequence + 1 WHERE ente_id = $1
		RETURNING next_sequence - 1, segregation_code, iban, postal_iban`, ente).Scan(&seq, &s.Segregation, &s.IBAN, &s.PostalIBAN)
	if errors.Is(err, sql.ErrNoRows) {
		return pagopa.IUV{}, nil, apperr.Errorf(apperr.Unavailable, "payment: ente %d has no pagoPA settings", ente)
	}
	if err != nil {
		return pagopa.IUV{}, nil, fmt.Errorf("payment: next IUV: %w", err)
	}
	v, err := pagopa.NewIUV(s.Segregation, seq)
	return v, &s, err
}

// SetItem adds or replaces an entry of the ente's catalogue.
func SetItem(ctx context.Context, q db.Querier, ente tenant.ID, it Item, position int) error {
	if _, err := pagopa.ParseTaxonomyCode(it.Taxonomy); err != nil {
		return fmt.Errorf("payment: item %s: %w", it.Slug, err)
	}
	if it.Slug == "" || it.Title == "" || it.Amount < 0 || it.Installments < 1 || it.Installments > 12 {
		return apperr.Errorf(apperr.Invalid, "payment: item %q: slug, title, amount ≥ 0 and 1–12 installments are required", it.Slug)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO payment_item (ente_id, slug, title, amount, taxonomy, installments, active, position)
		VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7)
		ON CONFLICT (ente_id, slug) DO UPDATE SET title = $3, amount = $4, taxonomy = $5, installments = $6, active = TRUE, position = $7`,
		ente, it.Slug, it.Title, it.Amount, it.Taxonomy, it.Installments, position)
	if err != nil {
		return fmt.Errorf("payment: item %s: %w", it.Slug, err)
	}
	return nil
}

// Items lists the ente's active catalogue.
func Items(ctx context.Context, q db.Querier, ente tenant.ID) ([]Item, error) {
	rows, err := q.QueryContext(ctx, `SELECT slug, title, amount, taxonomy, installments FROM payment_item
		WHERE ente_id = $1 AND active ORDER BY position, slug`, ente)
	if err != nil {
		return nil, fmt.Errorf("payment: items: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.Slug, &it.Title, &it.Amount, &it.Taxonomy, &it.Installments); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// CheckItems checks the taxonomy code of every active catalogue entry of
// every ente (pagopa.ParseTaxonomyCode), as stored: SetItem refuses a bad
// one, but rows written by an older version or by hand are checked when
// the server starts, so that a typo shows in the log at once and not when
// GPD refuses a citizen's notice. The error names each entry and why.
func CheckItems(ctx context.Context, q db.Querier) error {
	rows, err := q.QueryContext(ctx, `SELECT ente_id, slug, taxonomy FROM payment_item WHERE active ORDER BY ente_id, slug`)
	if err != nil {
		return fmt.Errorf("payment: check items: %w", err)
	}
	defer rows.Close()
	var errs []error
	for rows.Next() {
		var ente tenant.ID
		var slug, code string
		if err := rows.Scan(&ente, &slug, &code); err != nil {
			return err
		}
		if _, err := pagopa.ParseTaxonomyCode(code); err != nil {
			errs = append(errs, fmt.Errorf("ente %d, payment item %q: %w", ente, slug, err))
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// GetItem reads one active catalogue entry.
func GetItem(ctx context.Context, q db.Querier, ente tenant.ID, slug string) (*Item, error) {
	it := Item{Slug: slug}
	err := q.QueryRowContext(ctx, `SELECT title, amount, taxonomy, installments FROM payment_item WHERE ente_id = $1 AND slug = $2 AND active`,
		ente, slug).Scan(&it.Title, &it.Amount, &it.Taxonomy, &it.Installments)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Errorf(apperr.NotFound, "payment: no item %q", slug)
	}
	if err != nil {
		return nil, fmt.Errorf("payment: item %s: %w", slug, err)
	}
	return &it, nil
}

const selectPayment = `SELECT id, ente_id, iupd, option_no, COALESCE(pratica_id, 0), COALESCE(citizen_id, 0), item,
	debtor_fiscal_code, debtor_name, iuv, nav, amount, description, taxonomy, due_at, state, platform_status,
	checkout, checkout_at, last_error, paid_at, reported_at, created_at, updated_at FROM payment`

type scanner interface{ Scan(dest ...any) error }

func scanPayment(s scanner) (*Payment, error) {
	var p Payment
	var checkoutAt, paidAt, reportedAt sql.NullTime
	err := s.Scan(&p.ID, &p.Ente, &p.IUPD, &p.Option, &p.Pratica, &p.Citizen, &p.Item, &p.DebtorFiscalCode, &p.DebtorName,
		&p.IUV, &p.NAV, &p.Amount, &p.Description, &p.Taxonomy, &p.Due, &p.State, &p.PlatformStatus,
		&p.Checkout, &checkoutAt, &p.LastError, &paidAt, &reportedAt, &p.Created, &p.Updated)
	if err != nil {
		return nil, err
	}
	p.CheckoutAt, p.PaidAt, p.ReportedAt = checkoutAt.Time, paidAt.Time, reportedAt.Time.UTC()
	p.Due, p.Created, p.Updated = p.Due.UTC(), p.Created.UTC(), p.Updated.UTC()
	return &p, nil
}

func list(ctx context.Context, q db.Querier, query string, args ...any) ([]*Payment, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Get reads one payment of the ente.
func Get(ctx context.Context, q db.Querier, ente tenant.ID, id ID) (*Payment, error) {
	p, err := scanPayment(q.QueryRowContext(ctx, selectPayment+` WHERE ente_id = $1 AND id = $2`, ente, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &apperr.Error{Kind: apperr.NotFound, Public: "Pagamento non trovato.", Err: fmt.Errorf("payment %d: not found", id)}
	}
	if err != nil {
		return nil, fmt.Errorf("payment %d: %w", id, err)
	}
	return p, nil
}

// GetForCitizen reads a payment only if it is the citizen's: another's is
// NotFound, as if it did not exist.
func GetForCitizen(ctx context.Context, q db.Querier, ente tenant.ID, c identity.CitizenID, id ID) (*Payment, error) {
	p, err := Get(ctx, q, ente, id)
	if err != nil {
		return nil, err
	}
	if p.Citizen != c {
		return nil, &apperr.Error{Kind: apperr.NotFound, Public: "Pagamento non trovato.", Err: fmt.Errorf("payment %d: not citizen %d's", id, c)}
	}
	return p, nil
}

// ForCitizen lists the citizen's payments, newest first.
func ForCitizen(ctx context.Context, q db.Querier, ente tenant.ID, c identity.CitizenID) ([]*Payment, error) {
	ps, err := list(ctx, q, selectPayment+` WHERE ente_id = $1 AND citizen_id = $2 ORDER BY id DESC`, ente, c)
	if err != nil {
		return nil, fmt.Errorf("payment: citizen %d: %w", c, err)
	}
	return ps, nil
}

// ForPraticaList lists the payments of a pratica in order.
func ForPraticaList(ctx context.Context, q db.Querier, ente tenant.ID, id pratica.ID) ([]*Payment, error) {
	ps, err := list(ctx, q, selectPayment+` WHERE ente_id = $1 AND pratica_id = $2 ORDER BY iupd, option_no`, ente, id)
	if err != nil {
		return nil, fmt.Errorf("payment: pratica %d: %w", id, err)
	}
	return ps, nil
}

// position reads the notices of one debt position.
func position(ctx context.Context, q db.Querier, ente tenant.ID, iupd string) ([]*Payment, error) {
	ps, err := list(ctx, q, selectPayment+` WHERE ente_id = $1 AND iupd = $2 ORDER BY option_no`, ente, iupd)
	if err != nil {
		return nil, fmt.Errorf("payment: position %s: %w", iupd, err)
	}
	if len(ps) == 0 {
		return nil, apperr.Errorf(apperr.NotFound, "payment: no position %s", iupd)
	}
	return ps, nil
}

// Receipts lists the receipts of a payment.
func Receipts(ctx context.Context, q db.Querier, ente tenant.ID, id ID) ([]Receipt, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, fiscal_code, iuv, receipt_id, notice_number, amount, psp, paid_at, source, document, received_at
		FROM payment_receipt WHERE ente_id = $1 AND payment_id = $2 ORDER BY id`, ente, id)
	if err != nil {
		return nil, fmt.Errorf("payment %d: receipts: %w", id, err)
	}
	defer rows.Close()
	var out []Receipt
	for rows.Next() {
		r := Receipt{Payment: id}
		var doc string
		if err := rows.Scan(&r.ID, &r.FiscalCode, &r.IUV, &r.ReceiptID, &r.NoticeNumber, &r.Amount, &r.PSP, &r.PaidAt, &r.Source, &doc, &r.ReceivedAt); err != nil {
			return nil, err
		}
		r.Document, r.PaidAt, r.ReceivedAt = []byte(doc), r.PaidAt.UTC(), r.ReceivedAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Events lists a payment's history.
func Events(ctx context.Context, q db.Querier, ente tenant.ID, id ID) ([]Event, error) {
	rows, err := q.QueryContext(ctx, `SELECT at, actor, kind, from_state, to_state, note FROM payment_event
		WHERE ente_id = $1 AND payment_id = $2 ORDER BY id`, ente, id)
	if err != nil {
		return nil, fmt.Errorf("payment %d: events: %w", id, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.At, &e.Actor, &e.Kind, &e.From, &e.To, &e.Note); err != nil {
			return nil, err
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

func addEvent(ctx context.Context, tx *sql.Tx, ente tenant.ID, id ID, e Event) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO payment_event (ente_id, payment_id, at, actor, kind, from_state, to_state, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, ente, id, ts(e.At), e.Actor, e.Kind, string(e.From), string(e.To), e.Note)
	if err != nil {
		return fmt.Errorf("payment %d: event: %w", id, err)
	}
	return nil
}

// setState moves a payment and records the event, in tx; moving to Paid
// stamps paidAt (now when zero).
func setState(ctx context.Context, tx *sql.Tx, p *Payment, to State, actor, kind, note string, now time.Time) error {
	return setStatePaid(ctx, tx, p, to, actor, kind, note, time.Time{}, now)
}

func setStatePaid(ctx context.Context, tx *sql.Tx, p *Payment, to State, actor, kind, note string, paidAt, now time.Time) error {
	from := p.State
	var paid any
	if to == Paid {
		if paidAt.IsZero() {
			paidAt = now
		}
		paid = ts(paidAt)
	}
	_, err := tx.ExecContext(ctx, `UPDATE payment SET state = $3, paid_at = COALESCE($4, paid_at), updated_at = $5
		WHERE ente_id = $1 AND id = $2`, p.Ente, p.ID, string(to), paid, ts(now))
	if err != nil {
		return fmt.Errorf("payment %d: %s: %w", p.ID, to, err)
	}
	p.State = to
	return addEvent(ctx, tx, p.Ente, p.ID, Event{At: now, Actor: actor, Kind: kind, From: from, To: to, Note: note})
}

// insert stores a new notice.
func insert(ctx context.Context, tx *sql.Tx, p *Payment, now time.Time) error {
	var pr, cit any
	if p.Pratica != 0 {
		pr = p.Pratica
	}
	if p.Citizen != 0 {
		cit = p.Citizen
	}
	p.State, p.Created, p.Updated = Pending, ts(now), ts(now)
	err := tx.QueryRowContext(ctx, `INSERT INTO payment (ente_id, iupd, option_no, pratica_id, citizen_id, item, debtor_fiscal_code,
		debtor_name, iuv, nav, amount, description, taxonomy, due_at, state, polled_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $16) RETURNING id`,
		p.Ente, p.IUPD, p.Option, pr, cit, p.Item, p.DebtorFiscalCode, p.DebtorName, p.IUV, p.NAV, p.Amount,
		truncate(p.Description, 140), p.Taxonomy, ts(p.Due), string(Pending), p.Created).Scan(&p.ID)
	if err != nil {
		return fmt.Errorf("payment: insert %s/%d: %w", p.IUPD, p.Option, err)
	}
	return addEvent(ctx, tx, p.Ente, p.ID, Event{At: now, Actor: "system", Kind: "created", To: Pending})
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
