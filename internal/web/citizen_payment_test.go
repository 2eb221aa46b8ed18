package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pagopa/checkout"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/pratica"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
	"github.com/sportello/sportello/internal/tenant"
)

// withPayments wires s to a fresh pagoPA simulator through the same
// clients serve builds.
func withPayments(t *testing.T, s *Server, d *db.DB) *pagopasim.Sim {
	t.Helper()
	sim := pagopasim.New(pagopasim.Options{Key: "k", Now: func() time.Time { return testNow }})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	g, err := gpd.New(gpd.Options{PositionsURL: srv.URL + "/gpd/debt-positions-service/v1",
		ReceiptsURL: srv.URL + "/gpd/payments-receipts-service/v1", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := checkout.New(checkout.Options{URL: srv.URL + "/checkout/ec/v1"})
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.New(calendar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.opt.Payments = &payment.Service{DB: d, GPD: g, Checkout: c, Calendar: cal, Now: func() time.Time { return testNow }}
	return sim
}

// spontaneous numbers a payment of the citizen's from the demo catalogue.
func spontaneous(t *testing.T, d *db.DB, ente tenant.ID, c identity.CitizenID, item string) *payment.Payment {
	t.Helper()
	ctx := context.Background()
	cit, err := identity.GetCitizen(ctx, d, ente, c)
	if err != nil {
		t.Fatal(err)
	}
	var ps []*payment.Payment
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		ps, err = payment.Spontaneous(ctx, tx, nil, ente, payment.SpontaneousInput{Citizen: cit, Item: item}, testNow)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ps[0]
}

func getWith(t *testing.T, h http.Handler, path string, c *http.Cookie) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = "localhost"
	req.AddCookie(c)
	return do(t, h, req)
}

// TestPayThroughCheckout: the Pay button, the simulator's Checkout page,
// the way back; the page says "waiting" until the receipt is there, and
// here it is there at once (the return triggers a check).
func TestPayThroughCheckout(t *testing.T) {
	for _, tc := range []struct {
		button, outcome, want string
		paid                  bool
	}{
		{"paga", "ok", "Pagamento ricevuto", true},
		{"annulla", "annullato", "Hai annullato il pagamento", false},
		{"errore", "errore", "non è andato a buon fine", false},
	} {
		t.Run(tc.button, func(t *testing.T) {
			s, d, ente, cit, cookie := citizenServer(t)
			withPayments(t, s, d)
			p := spontaneous(t, d, ente, cit, "diritti-segreteria")
			res, body := getWith(t, s, "/area-personale/pagamenti", cookie)
			if res.StatusCode != 200 || !strings.Contains(body, "Diritti di segreteria") || !strings.Contains(body, "16,00 €") {
				t.Fatalf("list: %d\n%.2000s", res.StatusCode, body)
			}
			res, _ = postForm(t, s, paymentURL(p.ID)+"/paga", nil, cookie)
			loc := res.Header.Get("Location")
			if res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "/checkout/c/") {
				t.Fatalf("pay: %d to %q", res.StatusCode, loc)
			}
			back, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).
				PostForm(loc, url.Values{"azione": {tc.button}})
			if err != nil {
				t.Fatal(err)
			}
			back.Body.Close()
			ret, err := url.Parse(back.Header.Get("Location"))
			if err != nil || ret.Path != paymentURL(p.ID)+"/esito/"+tc.outcome {
				t.Fatalf("checkout returned to %v", back.Header.Get("Location"))
			}
			res, _ = getWith(t, s, ret.Path, cookie)
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("return: %d", res.StatusCode)
			}
			res, body = getWith(t, s, res.Header.Get("Location"), cookie)
			if res.StatusCode != 200 || !strings.Contains(body, tc.want) {
				t.Errorf("payment page after %s: %d, want %q\n%.3000s", tc.button, res.StatusCode, tc.want, body)
			}
			doc := parse(t, body)
			retry := doc.Find(`form[action$="/paga"] button`).Text()
			if tc.paid != (retry == "") {
				t.Errorf("pay button %q with paid=%v", retry, tc.paid)
			}
			if !tc.paid && !strings.Contains(retry, "Riprova") {
				t.Errorf("after %s the button says %q, want a retry", tc.button, retry)
			}
			got, _ := payment.Get(context.Background(), d, ente, p.ID)
			if (got.State == payment.Paid) != tc.paid {
				t.Errorf("state %s", got.State)
			}
		})
	}
}

// TestPratica fee: the pratica's page shows its notice and the way to pay
// it; paid at a tobacconist, the poller moves the pratica on.
func TestPraticaFeeShownAndPaid(t *testing.T) {
	s, d, ente, cit, cookie := citizenServer(t)
	sim := withPayments(t, s, d)
	ctx := context.Background()
	offices, err := tenant.Offices(ctx, d, ente)
	if err != nil {
		t.Fatal(err)
	}
	cal, _ := calendar.New(calendar.Options{})
	var pr *pratica.Pratica
	var pays []*payment.Payment
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		pr, err = pratica.CreateDraft(ctx, tx, ente, pratica.DraftInput{Service: "occupazione-suolo-pubblico", ServiceVersion: 1,
			Title: "Occupazione di suolo pubblico", Citizen: cit, FiledBy: identity.CitizenSubject(cit), Office: offices[0].ID,
			Term: pratica.Term{Days: 30}, Fee: 1600}, testNow)
		if err != nil {
			return err
		}
		if err := pratica.SaveDraft(ctx, tx, ente, pr.ID, []byte(`{}`), nil, testNow); err != nil {
			return err
		}
		pr, err = pratica.Submit(ctx, tx, ente, pr.ID, pratica.SubmitInput{IdempotencyKey: "fee", Actor: identity.CitizenSubject(cit),
			Calendar: cal}, testNow)
		if err != nil {
			return err
		}
		pays, err = payment.ForPratica(ctx, tx, nil, pr, testNow)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	res, body := getWith(t, s, praticaURL(pr.ID), cookie)
	doc := parse(t, body)
	if res.StatusCode != 200 || doc.Find(`a[href="`+paymentURL(pays[0].ID)+`"]`).Length() != 1 || !strings.Contains(body, "16,00 €") {
		t.Fatalf("pratica page: %d\n%.3000s", res.StatusCode, body)
	}
	if err := s.opt.Payments.Publish(ctx, ente, pays[0].IUPD); err != nil {
		t.Fatal(err)
	}
	e, _ := tenant.Get(ctx, d, ente)
	if _, err := sim.Pay(e.FiscalCode, pays[0].NAV, pagopasim.Tobacconist); err != nil {
		t.Fatal(err)
	}
	if _, err := s.opt.Payments.Poll(ctx, 10); err != nil {
		t.Fatal(err)
	}
	_, body = getWith(t, s, praticaURL(pr.ID), cookie)
	if !strings.Contains(body, "Pagato") {
		t.Errorf("pratica page after payment does not say paid:\n%.3000s", body)
	}
	if got, _ := pratica.Get(ctx, d, ente, pr.ID); got.State != pratica.Submitted {
		t.Errorf("pratica %s", got.State)
	}
}

// TestSpontaneousPayment: the citizen picks a catalogue entry and gets a
// notice; a free amount is required where the catalogue has none.
func TestSpontaneousPayment(t *testing.T) {
	s, d, ente, cit, cookie := citizenServer(t)
	withPayments(t, s, d)
	res, body := postForm(t, s, "/area-personale/pagamenti", url.Values{"voce": {"sanzioni"}, "importo": {"quaranta"}}, cookie)
	if res.StatusCode != http.StatusBadRequest && res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad amount: %d\n%.500s", res.StatusCode, body)
	}
	res, _ = postForm(t, s, "/area-personale/pagamenti", url.Values{"voce": {"sanzioni"}, "importo": {"41,50"}, "causale": {"Verbale 123/2026"}}, cookie)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(res.Header.Get("Location"), "/area-personale/pagamenti/"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	p, err := payment.GetForCitizen(context.Background(), d, ente, cit, payment.ID(id))
	if err != nil || p.Amount != 4150 || !strings.Contains(p.Description, "Verbale 123/2026") {
		t.Fatalf("created %+v %v", p, err)
	}
	_, body = getWith(t, s, res.Header.Get("Location"), cookie)
	if !strings.Contains(body, "41,50 €") || !strings.Contains(body, p.NAV[:4]+" "+p.NAV[4:8]) {
		t.Errorf("page lacks amount or grouped notice code:\n%.2000s", body)
	}
	// The avviso to print or pay elsewhere: linked from the page, a PDF
	// download; nobody else's.
	avviso := res.Header.Get("Location") + "/avviso"
	if !strings.Contains(body, `href="`+avviso+`"`) {
		t.Errorf("the page does not link the avviso %s", avviso)
	}
	res, pdf := getWith(t, s, avviso, cookie)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(pdf, "%PDF-") || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("avviso: status %d, %s, %s, %.8q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"), pdf)
	}
}
