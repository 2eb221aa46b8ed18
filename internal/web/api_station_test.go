package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/spec"
	"github.com/sportello/sportello/internal/pagopa/station"
	"github.com/sportello/sportello/internal/payment"
)

// pagopaRows classifies the routes of payments: the own station (404
// where none is configured, as in the matrix's server), the finance
// office's reconciliation (office X is the finance office in the matrix).
func pagopaRows(f *accessFixture) map[string]accessCase {
	return map[string]accessCase{
		"POST /pagopa/stazione": {path: "/pagopa/stazione", want: "NNNNNNNNN"},
		// Reconciliation: the finance office's clerks (office X here).
		"GET /ufficio/riconciliazione": {path: "/ufficio/riconciliazione", want: "LLLLFAFFL"},
		// The desk prints a citizen's avviso, like the citizen view.
		"GET /sportello/cittadini/{id}/pagamenti/{payment}/avviso": {path: "/sportello/cittadini/" + strconv.FormatInt(int64(f.citizenA), 10) +
			"/pagamenti/" + strconv.FormatInt(int64(f.payment), 10) + "/avviso?motivo=desk", want: "LLLLAFFFL"},
	}
}

// withStation serves the payments store as the ente's own station, as
// serve does with --pagopa-own-station.
func withStation(t *testing.T, s *Server) {
	t.Helper()
	schema, err := spec.Schema()
	if err != nil {
		t.Fatal(err)
	}
	s.opt.Station = &station.Station{BrokerID: "15376371009", StationID: "15376371009_01", Entes: []string{"00000000221"},
		Positions: &payment.Station{DB: s.db, Calendar: s.opt.Payments.Calendar, Now: s.now}, Schema: schema, Now: s.now}
}

// TestStationPaysAtTobacconist is the demo's own-station journey: the
// simulator's payer at a counter pays the notice through the station served
// at /pagopa/stazione (verify, getPayment, paSendRTV2 over HTTP), and the
// citizen's notice is paid.
func TestStationPaysAtTobacconist(t *testing.T) {
	s, d, ente, cit, cookie := citizenServer(t)
	sim := withPayments(t, s, d)
	withStation(t, s)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	sim.SetStation(srv.URL + "/pagopa/stazione")
	p := spontaneous(t, d, ente, cit, "diritti-segreteria")

	payAtCounter := func() (*http.Response, string) {
		req := httptest.NewRequest(http.MethodPost, "/test/pay", strings.NewReader(url.Values{"ec": {"00000000221"}, "nav": {p.NAV}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return do(t, sim, req)
	}
	res, body := payAtCounter()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("pay at the counter: %d %s", res.StatusCode, body)
	}
	got, err := payment.Get(context.Background(), d, ente, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != payment.Paid {
		t.Fatalf("notice %s, want paid", got.State)
	}
	rs, err := payment.Receipts(context.Background(), d, ente, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Source != payment.SourceStation || !strings.Contains(body, rs[0].ReceiptID) {
		t.Errorf("receipts %+v, the simulator said %s", rs, body)
	}
	// Paying again is refused with the station's fault.
	res, body = payAtCounter()
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, station.FaultDuplicate) {
		t.Errorf("second payment: %d %s", res.StatusCode, body)
	}
	if _, page := getWith(t, s, paymentURL(p.ID), cookie); !strings.Contains(page, "Pagato") {
		t.Errorf("the citizen's notice does not say it is paid:\n%.1500s", page)
	}
}

// TestStationVerifyOverHTTP: the station answers the Node on any host
// (it tells enti apart by idPA): a notice of the demo comune is verified.
func TestStationVerifyOverHTTP(t *testing.T) {
	s, d, ente, cit, _ := citizenServer(t)
	withPayments(t, s, d)
	withStation(t, s)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	p := spontaneous(t, d, ente, cit, "diritti-segreteria")
	payer := &station.Payer{URL: srv.URL + "/pagopa/stazione", BrokerID: "15376371009", StationID: "15376371009_01"}
	nav, err := pagopa.ParseNAV(p.NAV)
	if err != nil {
		t.Fatal(err)
	}
	v, err := payer.Verify(context.Background(), "00000000221", nav)
	if err != nil || v.Amount != pagopa.Cents(p.Amount) {
		t.Errorf("verify: %+v, %v", v, err)
	}
}
