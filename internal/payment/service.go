package payment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/pagopa/checkout"
	"github.com/sportello/sportello/internal/pagopa/fdr"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	"github.com/sportello/sportello/internal/tenant"
)

// Service joins the store with the platform's clients: what needs the
// network lives here, outside any transaction.
type Service struct {
	DB       *db.DB
	GPD      *gpd.Client
	Checkout *checkout.Client
	// FdR reads the reconciliation flows (nil: no reconciliation).
	FdR *fdr.Client
	// Calendar, when set, serves every ente; nil uses each ente's own
	// (national holidays and its patron days).
	Calendar *calendar.Calendar
	// Jobs enqueues the publication of new positions; nil publishes them
	// on demand only (StartCheckout).
	Jobs *jobs.Jobs
	Log  *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Publish creates the debt position iupd on the platform, published, unless
// it is there already, and records its state. It is what the publish job
// runs, and is safe to repeat: a pending position whose create timed out is
// read back (gpd.Client.Ensure). A refusal for good marks the notices
// failed; a temporary failure is returned for the job to retry.
func (s *Service) Publish(ctx context.Context, ente tenant.ID, iupd string) error {
	opts, err := position(ctx, s.DB, ente, iupd)
	if err != nil {
		return err
	}
	if opts[0].State != Pending {
		return nil
	}
	e, err := tenant.Get(ctx, s.DB, ente)
	if err != nil {
		return err
	}
	set, err := GetSettings(ctx, s.DB, ente)
	if err != nil {
		return err
	}
	pos := buildPosition(e, set, opts)
	if err := stampPosition(ctx, s.DB, pos, opts); err != nil {
		return err
	}
	st, err := s.GPD.Ensure(ctx, e.FiscalCode, pos)
	now := s.now()
	if err != nil {
		if gpd.Temporary(err) {
			s.recordError(ctx, ente, iupd, err, now)
			return err
		}
		s.log().Error("payment position refused", "ente", ente, "iupd", iupd, "err", err)
		return s.DB.InTx(ctx, func(tx *sql.Tx) error {
			for _, o := range opts {
				if _, err := tx.ExecContext(ctx, `UPDATE payment SET last_error = $3 WHERE ente_id = $1 AND id = $2`, ente, o.ID, truncate(err.Error(), 500)); err != nil {
					return err
				}
				if err := setState(ctx, tx, o, Failed, "system", "refused", truncate(err.Error(), 500), now); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		opts, err := position(ctx, tx, ente, iupd)
		if err != nil {
			return err
		}
		return mirror(ctx, tx, opts, st, now)
	})
}

// mirror records the platform's state of a position on its notices.
func mirror(ctx context.Context, tx *sql.Tx, opts []*Payment, st *gpd.PositionState, now time.Time) error {
	for _, o := range opts {
		if _, err := tx.ExecContext(ctx, `UPDATE payment SET platform_status = $3, last_error = '', polled_at = $4, updated_at = $4
			WHERE ente_id = $1 AND id = $2`, o.Ente, o.ID, string(st.Status), ts(now)); err != nil {
			return err
		}
		var to State
		switch st.Status {
		case gpd.Valid, gpd.Published, gpd.PartiallyPaid:
			if o.State == Pending {
				to = Open
			}
		case gpd.Invalid:
			if o.State == Pending || o.State == Open {
				to = Cancelled
			}
		case gpd.Expired:
			if o.State == Pending || o.State == Open {
				to = Expired
			}
		}
		if to != "" {
			if err := setState(ctx, tx, o, to, "system", "platform", string(st.Status), now); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) recordError(ctx context.Context, ente tenant.ID, iupd string, cause error, now time.Time) {
	_, err := s.DB.ExecContext(ctx, `UPDATE payment SET last_error = $3, updated_at = $4 WHERE ente_id = $1 AND iupd = $2`,
		ente, iupd, truncate(cause.Error(), 500), ts(now))
	if err != nil {
		s.log().Warn("payment error not recorded", "iupd", iupd, "err", err)
	}
}

// buildPosition is the GPD position of the notices opts (option 0 first).
func buildPosition(e *tenant.Ente, set *Settings, opts []*Payment) *gpd.Position {
	p := opts[0]
	typ := "F"
	if len(p.DebtorFiscalCode) == 11 {
		typ = "G"
	}
	pos := &gpd.Position{IUPD: p.IUPD, Type: typ, FiscalCode: p.DebtorFiscalCode, FullName: p.DebtorName,
		CompanyName: truncate(e.Name, 140), SwitchToExpired: false}
	for _, o := range opts {
		pos.Options = append(pos.Options, gpd.Option{IUV: o.IUV, NAV: o.NAV, Amount: o.Amount, Description: o.Description,
			IsPartialPayment: o.Option > 0, DueDate: o.Due,
			Transfers: []gpd.Transfer{{ID: "1", Amount: o.Amount, RemittanceInformation: o.Description, Category: o.Taxonomy,
				IBAN: set.IBAN, PostalIBAN: set.PostalIBAN}}})
	}
	return pos
}

// PollStats counts what one Poll did.
type PollStats struct {
	Checked, Paid, Duplicates, Failed int
}

// Poll checks up to limit open notices, least recently checked first: the
// position's state on the platform and, once an option is paid, its
// receipt. The receipts a round fetched are stored together (IngestAll).
// A failure on one notice is counted and left for the next round.
func (s *Service) Poll(ctx context.Context, limit int) (PollStats, error) {
	var st PollStats
	keys, err := selectKeys(ctx, s.DB, `SELECT p.ente_id, p.id FROM payment p WHERE p.state = 'open'
		ORDER BY p.polled_at, p.id LIMIT $1`, limit)
	if err != nil {
		return st, fmt.Errorf("payment: poll: %w", err)
	}
	var got []*fetched
	for _, k := range keys {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		st.Checked++
		f, err := s.fetch(ctx, k.ente, k.id)
		if err != nil {
			st.Failed++
			s.log().Warn("payment poll failed", "ente", k.ente, "payment", k.id, "err", err)
			continue
		}
		if f != nil {
			got = append(got, f)
		}
	}
	outs, err := s.store(ctx, got)
	for _, o := range outs {
		switch o {
		case Recorded:
			st.Paid++
		case Duplicate:
			st.Duplicates++
		case "":
			st.Failed++
		}
	}
	if err != nil {
		s.log().Warn("payment receipts not all stored", "err", err)
	}
	return st, nil
}

// fetched is a paid notice's receipt as the platform returned it.
type fetched struct {
	p   *Payment
	pos *gpd.PositionState
	d   Delivery
}

// fetch reads one notice's position on the platform; when the notice is
// paid it fetches its receipt (returned, not stored), otherwise it records
// the position's state and returns nil.
func (s *Service) fetch(ctx context.Context, ente tenant.ID, id ID) (*fetched, error) {
	p, err := Get(ctx, s.DB, ente, id)
	if err != nil {
		return nil, err
	}
	if p.State != Open && p.State != Pending {
		return nil, nil
	}
	e, err := tenant.Get(ctx, s.DB, ente)
	if err != nil {
		return nil, err
	}
	now := s.now()
	pos, err := s.GPD.Get(ctx, e.FiscalCode, p.IUPD)
	if err != nil {
		s.touch(ctx, p, now)
		return nil, err
	}
	paid := false
	for _, o := range pos.Options {
		if o.IUV == p.IUV && o.Status != gpd.OptionUnpaid {
			paid = true
		}
	}
	if !paid {
		return nil, s.DB.InTx(ctx, func(tx *sql.Tx) error {
			opts, err := position(ctx, tx, ente, p.IUPD)
			if err != nil {
				return err
			}
			return mirror(ctx, tx, opts, pos, now)
		})
	}
	raw, r, err := s.GPD.ReceiptXML(ctx, e.FiscalCode, p.IUV)
	if err != nil {
		s.touch(ctx, p, now)
		return nil, err
	}
	return &fetched{p: p, pos: pos, d: Delivery{Ente: ente, Raw: raw, Receipt: r, Source: SourceGPD}}, nil
}

// store ingests fetched receipts together and records the platform's status.
func (s *Service) store(ctx context.Context, fs []*fetched) ([]Outcome, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	now := s.now()
	ds := make([]Delivery, len(fs))
	for i, f := range fs {
		ds[i] = f.d
	}
	outs, err := IngestAll(ctx, s.DB, s.Calendar, ds, now)
	uerr := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		for _, f := range fs {
			if _, err := tx.ExecContext(ctx, `UPDATE payment SET platform_status = $3, polled_at = $4 WHERE ente_id = $1 AND id = $2`,
				f.p.Ente, f.p.ID, string(f.pos.Status), ts(now)); err != nil {
				return err
			}
		}
		return nil
	})
	return outs, errors.Join(err, uerr)
}

// Refresh checks one notice on the platform now: its position's state and,
// when paid, its receipt, which it stores. It returns what Ingest did with
// the receipt, or "" when there was none.
func (s *Service) Refresh(ctx context.Context, ente tenant.ID, id ID) (Outcome, error) {
	f, err := s.fetch(ctx, ente, id)
	if err != nil || f == nil {
		return "", err
	}
	outs, err := s.store(ctx, []*fetched{f})
	if err != nil {
		return "", err
	}
	return outs[0], nil
}

// touch moves a notice to the back of the polling queue.
func (s *Service) touch(ctx context.Context, p *Payment, now time.Time) {
	if _, err := s.DB.ExecContext(ctx, `UPDATE payment SET polled_at = $3 WHERE ente_id = $1 AND id = $2`, p.Ente, p.ID, ts(now)); err != nil {
		s.log().Warn("payment poll time not recorded", "payment", p.ID, "err", err)
	}
}

// ReturnURLs are where Checkout sends the citizen back for a payment.
type ReturnURLs struct{ OK, Cancel, Error string }

// StartCheckout opens Checkout for the citizen's notice: it publishes the
// position first if the job has not yet, posts the cart and records the
// start; it returns the URL to send the browser to.
func (s *Service) StartCheckout(ctx context.Context, ente tenant.ID, c identity.CitizenID, id ID, back ReturnURLs) (*url.URL, error) {
	if s.Checkout == nil {
		return nil, apperr.New(apperr.Unavailable, "Il pagamento online non è disponibile.")
	}
	p, err := GetForCitizen(ctx, s.DB, ente, c, id)
	if err != nil {
		return nil, err
	}
	if p.State == Pending {
		if err := s.Publish(ctx, ente, p.IUPD); err != nil {
			return nil, &apperr.Error{Kind: apperr.Unavailable, Public: "Il sistema pagoPA non risponde: riprova tra poco.", Err: err}
		}
		if p, err = Get(ctx, s.DB, ente, id); err != nil {
			return nil, err
		}
	}
	if p.State != Open {
		return nil, &apperr.Error{Kind: apperr.Conflict, Public: "Questo avviso non si può pagare.", Err: fmt.Errorf("payment %d is %s", id, p.State)}
	}
	e, err := tenant.Get(ctx, s.DB, ente)
	if err != nil {
		return nil, err
	}
	loc, err := s.Checkout.Start(ctx, &checkout.Cart{
		PaymentNotices: []checkout.Notice{{NoticeNumber: p.NAV, FiscalCode: e.FiscalCode, Amount: p.Amount,
			CompanyName: truncate(e.Name, 140), Description: p.Description}},
		ReturnURLs: checkout.ReturnURLs{OK: back.OK, Cancel: back.Cancel, Error: back.Error},
		IDCart:     fmt.Sprintf("%s-%d", p.IUV, s.now().Unix()),
	})
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Public == "" {
			err = &apperr.Error{Kind: ae.Kind, Public: "Il sistema pagoPA non ha accettato il pagamento: riprova tra poco.", Err: err}
		}
		return nil, err
	}
	if err := s.setCheckout(ctx, p, CheckoutStarted); err != nil {
		return nil, err
	}
	return loc, nil
}

// RecordReturn records what the citizen came back from Checkout with — a
// hint shown until the receipt says otherwise — and checks the platform
// once, so that a payment just made usually shows as paid at once.
func (s *Service) RecordReturn(ctx context.Context, ente tenant.ID, c identity.CitizenID, id ID, hint CheckoutState) (*Payment, error) {
	p, err := GetForCitizen(ctx, s.DB, ente, c, id)
	if err != nil {
		return nil, err
	}
	if p.State != Paid && p.Checkout == CheckoutStarted {
		if err := s.setCheckout(ctx, p, hint); err != nil {
			return nil, err
		}
	}
	if hint == CheckoutReturned && s.GPD != nil {
		if _, err := s.Refresh(ctx, ente, id); err != nil {
			s.log().Warn("payment refresh after checkout failed", "payment", id, "err", err)
		}
	}
	return Get(ctx, s.DB, ente, id)
}

func (s *Service) setCheckout(ctx context.Context, p *Payment, c CheckoutState) error {
	now := s.now()
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE payment SET checkout = $3, checkout_at = $4, updated_at = $4 WHERE ente_id = $1 AND id = $2`,
			p.Ente, p.ID, string(c), ts(now)); err != nil {
			return err
		}
		return addEvent(ctx, tx, p.Ente, p.ID, Event{At: now, Actor: "citizen", Kind: "checkout_" + string(c), From: p.State, To: p.State})
	})
}

// paymentKey names one payment of one ente.
type paymentKey struct {
	ente tenant.ID
	id   ID
}

// selectKeys runs a query of (ente_id, id) pairs and reads them all, so a
// job can close the rows before it works on each payment.
func selectKeys(ctx context.Context, q db.Querier, query string, args ...any) ([]paymentKey, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []paymentKey
	for rows.Next() {
		var k paymentKey
		if err := rows.Scan(&k.ente, &k.id); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}
