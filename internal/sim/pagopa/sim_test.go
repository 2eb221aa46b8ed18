package pagopasim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/checkout"
	"github.com/sportello/sportello/internal/pagopa/contract"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
)

const ec = "00299740228"

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func setup(t *testing.T) (*pagopasim.Sim, *httptest.Server, *gpd.Client, *checkout.Client, string) {
	t.Helper()
	sim := pagopasim.New(pagopasim.Options{Key: "k", Now: func() time.Time { return t0 }})
	mux := http.NewServeMux()
	mux.Handle("/_sim/pagopa/", http.StripPrefix("/_sim/pagopa", sim))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base := srv.URL + "/_sim/pagopa"
	g, err := gpd.New(gpd.Options{PositionsURL: base + "/gpd/debt-positions-service/v1", ReceiptsURL: base + "/gpd/payments-receipts-service/v1", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := checkout.New(checkout.Options{URL: base + "/checkout/ec/v1"})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := pagopa.NewIUV(1, 42)
	p := &gpd.Position{IUPD: "iupd-42", Type: "F", FiscalCode: "RSSMRA80A01H501U", FullName: "Mario Rossi", CompanyName: "Comune di Ala",
		Options: []gpd.Option{{IUV: v.String(), Amount: 1652, Description: "Occupazione suolo pubblico", DueDate: t0.Add(24 * time.Hour),
			Transfers: []gpd.Transfer{{ID: "1", Amount: 1652, RemittanceInformation: "COSAP", Category: "9/0101108TS/", IBAN: "IT60X0542811101000000123456"}}}}}
	if _, err := g.Create(context.Background(), ec, p, true); err != nil {
		t.Fatal(err)
	}
	return sim, srv, g, c, v.NAV().String()
}

func cart(nav string, amount int64) *checkout.Cart {
	return &checkout.Cart{PaymentNotices: []checkout.Notice{{NoticeNumber: nav, FiscalCode: ec, Amount: amount, CompanyName: "Comune di Ala", Description: "Occupazione suolo pubblico"}},
		ReturnURLs: checkout.ReturnURLs{OK: "https://ala.example/ok", Cancel: "https://ala.example/annullato", Error: "https://ala.example/errore"}}
}

// TestCheckout drives the payment page's three buttons.
func TestCheckout(t *testing.T) {
	for _, tc := range []struct {
		button, want string
		paid         bool
	}{{"paga", "https://ala.example/ok", true}, {"annulla", "https://ala.example/annullato", false}, {"errore", "https://ala.example/errore", false}} {
		t.Run(tc.button, func(t *testing.T) {
			sim, srv, g, c, nav := setup(t)
			body, _ := json.Marshal(cart(nav, 1652))
			if err := contract.Validate(contract.Checkout, "CartRequest", body); err != nil {
				t.Fatal(err)
			}
			loc, err := c.Start(context.Background(), cart(nav, 1652))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(loc.String(), srv.URL+"/_sim/pagopa/checkout/c/") {
				t.Fatalf("Location %s outside the simulator's mount", loc)
			}
			jar, _ := cookiejar.New(nil)
			browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := browser.Get(loc.String())
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("page: %v %v", err, res)
			}
			var page bytes.Buffer
			page.ReadFrom(res.Body)
			res.Body.Close()
			if !strings.Contains(page.String(), "16,52 €") || !strings.Contains(page.String(), nav) {
				t.Errorf("page lacks amount or notice: %s", page.String())
			}
			res, err = browser.PostForm(loc.String(), url.Values{"azione": {tc.button}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || got != tc.want {
				t.Errorf("button %s: %d to %s, want 303 to %s", tc.button, res.StatusCode, got, tc.want)
			}
			if got := sim.ReceiptCount(ec) == 1; got != tc.paid {
				t.Errorf("paid = %v, want %v", got, tc.paid)
			}
			st, _ := g.Get(context.Background(), ec, "iupd-42")
			if (st.Status == gpd.Paid) != tc.paid {
				t.Errorf("status %s, paid %v", st.Status, tc.paid)
			}
		})
	}
}

// TestCartRefused: a wrong amount, an unknown notice, a paid notice.
func TestCartRefused(t *testing.T) {
	sim, _, _, c, nav := setup(t)
	if _, err := c.Start(context.Background(), cart(nav, 1000)); err == nil {
		t.Error("a cart with the wrong amount was accepted")
	}
	if _, err := c.Start(context.Background(), cart("301000000000000144", 1652)); err == nil {
		t.Error("a cart with an unknown notice was accepted")
	}
	if _, err := sim.Pay(ec, nav, pagopasim.Tobacconist); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(context.Background(), cart(nav, 1652)); err == nil {
		t.Error("a cart with a paid notice was accepted")
	}
}

// TestDrivers: the HTTP drivers for tests and the demo.
func TestDrivers(t *testing.T) {
	sim, srv, _, _, nav := setup(t)
	base := srv.URL + "/_sim/pagopa"
	res, err := http.PostForm(base+"/test/pay", url.Values{"ec": {ec}, "nav": {nav}})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("pay: %v %v", err, res.Status)
	}
	res, _ = http.PostForm(base+"/test/pay", url.Values{"ec": {ec}, "nav": {nav}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("second pay: %s, want 422", res.Status)
	}
	res, _ = http.PostForm(base+"/test/clock", url.Values{"advance": {"48h"}})
	if res.StatusCode != 200 || !sim.Now().Equal(t0.Add(48*time.Hour)) {
		t.Errorf("clock: %s, now %v", res.Status, sim.Now())
	}
	res, _ = http.Post(base+"/test/faults", "application/json", strings.NewReader(`{"op":"get","kind":"503"}`))
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("faults: %s", res.Status)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/gpd/debt-positions-service/v1/organizations/"+ec+"/debtpositions/iupd-42", nil)
	req.Header.Set(pagopasim.KeyHeader, "k")
	res, _ = http.DefaultClient.Do(req)
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("with fault: %s, want 503", res.Status)
	}
	req.Header.Set(pagopasim.FaultHeader, "429")
	res, _ = http.DefaultClient.Do(req)
	if res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("fault header: %s, want 429", res.Status)
	}
}
