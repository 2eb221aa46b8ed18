package web

import (
	"database/sql"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// paymentsPage is the Pagamenti tab: notices to pay, paid ones with their
// receipts, and the ente's catalogue of spontaneous payments.
type paymentsPage struct {
	basePage
	Tabs  []tab
	ToPay []paymentRow
	Done  []paymentRow
	Items []itemRow
	// Installments are the choices of the installments select: 2 up to
	// the most any item allows.
	Installments []int
	Online       bool
}

// paymentRow is one notice in a list.
type paymentRow struct {
	URL, Description, Amount, Due, State, Paid string
}

// itemRow is one entry of the catalogue of spontaneous payments.
type itemRow struct {
	Slug, Title, Amount string
	Free                bool
}

func paymentURL(id payment.ID) string {
	return "/area-personale/pagamenti/" + strconv.FormatInt(int64(id), 10)
}

// paymentsList is the citizen's Pagamenti tab.
func (s *Server) paymentsList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	c := principalFrom(ctx).Citizen
	p := paymentsPage{basePage: s.base(r, "area.tab.payments"), Online: s.opt.Payments != nil}
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}, {p.T("area.title"), "/area-personale"}}
	p.Tabs = areaTabs(p.basePage, "/area-personale/pagamenti")
	list, err := payment.ForCitizen(ctx, s.db, e.ID, c.ID)
	if err != nil {
		return err
	}
	for _, pay := range list {
		row := paymentRow{URL: paymentURL(pay.ID), Description: pay.Description, Amount: pagopa.Cents(pay.Amount).Italian(),
			Due: pay.Due.In(rome).Format("02/01/2006"), State: p.T("payment.state." + string(pay.State))}
		switch pay.State {
		case payment.Pending, payment.Open:
			p.ToPay = append(p.ToPay, row)
		case payment.Paid:
			row.Paid = pay.PaidAt.In(rome).Format("02/01/2006")
			p.Done = append(p.Done, row)
		default:
			p.Done = append(p.Done, row)
		}
	}
	if p.Online {
		items, err := payment.Items(ctx, s.db, e.ID)
		if err != nil {
			return err
		}
		for _, it := range items {
			row := itemRow{Slug: it.Slug, Title: it.Title, Free: it.Amount == 0}
			if it.Amount > 0 {
				row.Amount = pagopa.Cents(it.Amount).Italian()
			}
			for n := len(p.Installments) + 2; n <= it.Installments; n++ {
				p.Installments = append(p.Installments, n)
			}
			p.Items = append(p.Items, row)
		}
	}
	return s.render(w, r, http.StatusOK, "citizen/payments", &p)
}

// paymentPage is one notice: what, how much, the code to pay it anywhere,
// the Pay button, the receipts.
type paymentPage struct {
	basePage
	Payment  *payment.Payment
	Amount   string
	Due      string
	State    string
	Notice   string
	EnteCF   string
	Hint     string
	HintKind string
	CanPay   bool
	Retry    bool
	Avviso   string
	Receipts []receiptRow
	Pratica  string
}

// receiptRow is one receipt as the citizen sees it.
type receiptRow struct {
	ID, Date, Amount, PSP string
}

// paymentHints are the only messages the page shows from its query: what
// the citizen came back from Checkout with.
var paymentHints = map[string]struct {
	key, kind string
	state     payment.CheckoutState
}{
	"ok":        {"payment.hint.waiting", "info", payment.CheckoutReturned},
	"annullato": {"payment.hint.cancelled", "warning", payment.CheckoutCancelled},
	"errore":    {"payment.hint.error", "danger", payment.CheckoutError},
}

// ownPayment loads a notice of the signed-in citizen; anyone else's is
// NotFound.
func (s *Server) ownPayment(r *http.Request) (*payment.Payment, error) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, apperr.New(apperr.NotFound, "")
	}
	return payment.GetForCitizen(ctx, s.db, enteFrom(ctx).ID, principalFrom(ctx).Citizen.ID, payment.ID(id))
}

// paymentShow is one notice.
func (s *Server) paymentShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pay, err := s.ownPayment(r)
	if err != nil {
		return err
	}
	p := paymentPage{basePage: s.base(r, ""), Payment: pay, Amount: pagopa.Cents(pay.Amount).Italian(),
		Due: pay.Due.In(rome).Format("02/01/2006"), EnteCF: e.FiscalCode}
	p.Title = pay.Description
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}, {p.T("area.title"), "/area-personale"}, {p.T("area.tab.payments"), "/area-personale/pagamenti"}}
	p.State = p.T("payment.state." + string(pay.State))
	if nav, err := pagopa.ParseNAV(pay.NAV); err == nil {
		p.Notice = nav.Grouped()
	}
	p.CanPay = pay.Payable() && s.opt.Payments != nil
	if h, ok := paymentHints[r.URL.Query().Get("esito")]; ok && pay.State != payment.Paid {
		p.Hint, p.HintKind = p.T(h.key), h.kind
		p.Retry = h.state != payment.CheckoutReturned && p.CanPay
	} else if pay.State == payment.Paid && r.URL.Query().Get("esito") == "ok" {
		p.Hint, p.HintKind = p.T("payment.hint.paid"), "success"
	} else if pay.Checkout == payment.CheckoutCancelled || pay.Checkout == payment.CheckoutError {
		p.Hint, p.HintKind = p.T("payment.hint.last-"+string(pay.Checkout)), "warning"
		p.Retry = p.CanPay
	}
	if s.opt.NoticePDF != nil && pay.Payable() {
		p.Avviso = paymentURL(pay.ID) + "/avviso"
	}
	if pay.Pratica != 0 {
		p.Pratica = praticaURL(pay.Pratica)
	}
	rs, err := payment.Receipts(ctx, s.db, e.ID, pay.ID)
	if err != nil {
		return err
	}
	for _, rc := range rs {
		p.Receipts = append(p.Receipts, receiptRow{ID: rc.ReceiptID, Date: formatTime(rc.PaidAt),
			Amount: pagopa.Cents(rc.Amount).Italian(), PSP: rc.PSP})
	}
	return s.render(w, r, http.StatusOK, "citizen/payment", &p)
}

// paymentPay sends the citizen to Checkout for the notice.
func (s *Server) paymentPay(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if s.opt.Payments == nil {
		return apperr.New(apperr.Unavailable, "")
	}
	pay, err := s.ownPayment(r)
	if err != nil {
		return err
	}
	back := s.origin(r) + paymentURL(pay.ID) + "/esito/"
	loc, err := s.opt.Payments.StartCheckout(ctx, enteFrom(ctx).ID, principalFrom(ctx).Citizen.ID, pay.ID,
		payment.ReturnURLs{OK: back + "ok", Cancel: back + "annullato", Error: back + "errore"})
	if err != nil {
		return err
	}
	http.Redirect(w, r, loc.String(), http.StatusSeeOther)
	return nil
}

// paymentReturn is where Checkout sends the citizen back: it records the
// hint and shows the notice (the receipt, not this, makes it paid).
func (s *Server) paymentReturn(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pay, err := s.ownPayment(r)
	if err != nil {
		return err
	}
	outcome := r.PathValue("outcome")
	h, ok := paymentHints[outcome]
	if !ok {
		return apperr.New(apperr.NotFound, "")
	}
	if s.opt.Payments != nil {
		if _, err := s.opt.Payments.RecordReturn(ctx, enteFrom(ctx).ID, principalFrom(ctx).Citizen.ID, pay.ID, h.state); err != nil {
			return err
		}
	}
	http.Redirect(w, r, paymentURL(pay.ID)+"?esito="+url.QueryEscape(outcome), http.StatusSeeOther)
	return nil
}

// paymentNotice serves the notice's avviso PDF, when a renderer is wired.
func (s *Server) paymentNotice(w http.ResponseWriter, r *http.Request) error {
	if s.opt.NoticePDF == nil {
		return apperr.New(apperr.NotFound, "")
	}
	pay, err := s.ownPayment(r)
	if err != nil {
		return err
	}
	if !pay.Payable() {
		return apperr.New(apperr.NotFound, "")
	}
	b, err := s.opt.NoticePDF(r.Context(), enteFrom(r.Context()), pay)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="avviso-`+pay.NAV+`.pdf"`)
	_, err = w.Write(b)
	return err
}

// paymentCreate numbers a spontaneous payment from the catalogue and shows it.
func (s *Server) paymentCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if s.opt.Payments == nil {
		return apperr.New(apperr.Unavailable, "")
	}
	e := enteFrom(ctx)
	c := principalFrom(ctx).Citizen
	in := payment.SpontaneousInput{Citizen: c, Item: r.PostFormValue("voce"), Reason: clip(r.PostFormValue("causale"), 100)}
	if v := strings.TrimSpace(r.PostFormValue("importo")); v != "" {
		amount, err := pagopa.ParseEuro(v)
		if err != nil {
			return &apperr.Error{Kind: apperr.Invalid, Public: s.t(r)("payment.new.bad-amount"), Err: err}
		}
		in.Amount = int64(amount)
	}
	if v := r.PostFormValue("rate"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return apperr.Errorf(apperr.Invalid, "rate %q", v)
		}
		in.Installments = n
	}
	var made []*payment.Payment
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		made, err = payment.Spontaneous(ctx, tx, s.opt.Payments.Jobs, e.ID, in, s.now())
		return err
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, paymentURL(made[0].ID), http.StatusSeeOther)
	return nil
}

// clip cuts s to n characters.
func clip(s string, n int) string {
	rs := []rune(strings.TrimSpace(s))
	if len(rs) > n {
		rs = rs[:n]
	}
	return string(rs)
}

// praticaPaymentRow is a notice of a pratica, on the pratica's page.
type praticaPaymentRow struct {
	URL, Description, Amount, State, Notice string
	Payable                                 bool
}

// praticaPayments are the notices shown on a pratica's page; only their
// holder gets the link to pay online, a delegate the code to pay anywhere.
func (s *Server) praticaPayments(r *http.Request, ente tenant.ID, id pratica.ID, viewer identity.CitizenID) []praticaPaymentRow {
	list, err := payment.ForPraticaList(r.Context(), s.db, ente, id)
	if err != nil {
		s.log.Warn("payments of a pratica not listed", "pratica", id, "err", err)
		return nil
	}
	t := s.t(r)
	var out []praticaPaymentRow
	for _, pay := range list {
		row := praticaPaymentRow{Description: pay.Description, Amount: pagopa.Cents(pay.Amount).Italian(),
			State: t("payment.state." + string(pay.State)), Payable: pay.Payable()}
		if pay.Citizen == viewer {
			row.URL = paymentURL(pay.ID)
		}
		if nav, err := pagopa.ParseNAV(pay.NAV); err == nil {
			row.Notice = nav.Grouped()
		}
		out = append(out, row)
	}
	return out
}
