package payment_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/spec"
	"github.com/sportello/sportello/internal/pagopa/station"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/pratica"
)

const (
	brokerID  = "15376371009"
	stationID = "15376371009_01"
)

// ownStation serves the payments store as the ente's station over real
// HTTP, and returns a payer that plays the Node against it through client
// (nil: a plain one).
func (f *fixture) ownStation(t *testing.T, client *http.Client) *station.Payer {
	t.Helper()
	schema, err := spec.Schema()
	if err != nil {
		t.Fatal(err)
	}
	st := &station.Station{BrokerID: brokerID, StationID: stationID, Entes: []string{f.ala.fiscalCode, f.avio.fiscalCode},
		Positions: &payment.Station{DB: f.d, Now: func() time.Time { return f.now }}, Schema: schema,
		Now: func() time.Time { return f.now }, Log: slog.New(slog.NewTextHandler(t.Output(), nil))}
	srv := httptest.NewServer(st)
	t.Cleanup(srv.Close)
	if client == nil {
		client = srv.Client()
	}
	var n atomic.Int64
	return &station.Payer{URL: srv.URL, Client: client, BrokerID: brokerID, StationID: stationID,
		PSP:       station.PSP{ID: "SIM_TABACCHI", CompanyName: "Tabaccheria simulata", Channel: "SIM_TABACCHI_01", ChannelDescription: "counter", PaymentMethod: "cash"},
		Now:       func() time.Time { return f.now },
		ReceiptID: func() string { return fmt.Sprintf("rt%030d", n.Add(1)) }}
}

func navOf(t *testing.T, p *payment.Payment) pagopa.NAV {
	t.Helper()
	n, err := pagopa.ParseNAV(p.NAV)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func faultCode(err error) string {
	var f *station.Fault
	if errors.As(err, &f) {
		return f.Code
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return ""
}

// TestStationVerify asks the station about notices in every state: the
// reference's faults, and the amount of a payable one.
func TestStationVerify(t *testing.T) {
	f := setup(t)
	payer := f.ownStation(t, nil)
	_, open := f.submitted(t, f.ala, 1600)
	_, paid := f.submitted(t, f.ala, 1700)
	_, expired := f.submitted(t, f.ala, 1800)
	_, cancelled := f.submitted(t, f.ala, 1900)
	// Both enti have segregation code 01: avio's numbers start further on,
	// so that its notice is one ala never issued.
	if _, err := f.d.ExecContext(ctx, `UPDATE payment_settings SET next_sequence = 500 WHERE ente_id = $1`, f.avio.ente); err != nil {
		t.Fatal(err)
	}
	_, avios := f.submitted(t, f.avio, 2000)
	setState := func(p *payment.Payment, s payment.State) {
		if _, err := f.d.ExecContext(ctx, `UPDATE payment SET state = $1 WHERE ente_id = $2 AND id = $3`, string(s), p.Ente, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	setState(expired, payment.Expired)
	setState(cancelled, payment.Cancelled)
	if _, err := payer.Pay(ctx, f.ala.fiscalCode, navOf(t, paid)); err != nil {
		t.Fatal(err)
	}
	unknown, err := pagopa.NewIUV(1, 999999)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, ente string
		nav        pagopa.NAV
		want       string
		amount     pagopa.Cents
	}{
		{"open", f.ala.fiscalCode, navOf(t, open), "", 1600},
		{"unknown", f.ala.fiscalCode, unknown.NAV(), station.FaultUnknown, 0},
		{"paid", f.ala.fiscalCode, navOf(t, paid), station.FaultDuplicate, 0},
		{"expired", f.ala.fiscalCode, navOf(t, expired), station.FaultExpired, 0},
		{"cancelled", f.ala.fiscalCode, navOf(t, cancelled), station.FaultCancelled, 0},
		{"another ente's notice", f.ala.fiscalCode, navOf(t, avios), station.FaultUnknown, 0},
		{"its own ente's notice", f.avio.fiscalCode, navOf(t, avios), "", 2000},
		{"an ente the station does not serve", "77777777777", navOf(t, open), station.FaultWrongDomain, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := payer.Verify(ctx, tc.ente, tc.nav)
			if diff := cmp.Diff(tc.want, faultCode(err)); diff != "" {
				t.Errorf("fault mismatch (-want +got):\n%s", diff)
			}
			if v.Amount != tc.amount {
				t.Errorf("amount %d, want %d", v.Amount, tc.amount)
			}
		})
	}
}

// TestStationPayAtTobacconist: verify → getPayment → paSendRTV2 through the
// station pays the notice and moves the pratica on; the receipt is stored
// as received, from the station.
func TestStationPayAtTobacconist(t *testing.T) {
	f := setup(t)
	payer := f.ownStation(t, nil)
	payer.RepeatGet = true
	pr, p := f.submitted(t, f.ala, 1600)
	rt, err := payer.Pay(ctx, f.ala.fiscalCode, navOf(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, f.ala, p.ID).State; got != payment.Paid {
		t.Errorf("notice %s, want paid", got)
	}
	if got := f.pratica(t, f.ala, pr.ID).State; got != pratica.Submitted {
		t.Errorf("pratica %s, want %s", got, pratica.Submitted)
	}
	rs, err := payment.Receipts(ctx, f.d, f.ala.ente, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ ReceiptID, Source string }
	var got []row
	for _, r := range rs {
		got = append(got, row{r.ReceiptID, r.Source})
	}
	if diff := cmp.Diff([]row{{rt.ReceiptID, payment.SourceStation}}, got); diff != "" {
		t.Errorf("receipts mismatch (-want +got):\n%s", diff)
	}
	// The other ente sees nothing of it.
	if n := count(t, f.d, `SELECT COUNT(*) FROM payment_receipt WHERE ente_id = $1`, f.avio.ente); n != 0 {
		t.Errorf("avio has %d receipts", n)
	}
}

// TestStationSameReceipt100Times: the Node delivers one receipt a hundred
// times; the first is stored, the others are answered
// PAA_RECEIPT_DUPLICATA (delivered), and there is one payment.
func TestStationSameReceipt100Times(t *testing.T) {
	f := setup(t)
	payer := f.ownStation(t, nil)
	_, p := f.submitted(t, f.ala, 1600)
	rt, err := payer.Pay(ctx, f.ala.fiscalCode, navOf(t, p))
	if err != nil {
		t.Fatal(err)
	}
	payer.Attempts = 1
	for i := 0; i < 99; i++ {
		if err := payer.SendRT(ctx, payer.URL, f.ala.fiscalCode, rt); err != nil {
			t.Fatalf("delivery %d: %v", i+2, err)
		}
	}
	got := [3]int{
		count(t, f.d, `SELECT COUNT(*) FROM payment_receipt WHERE ente_id = $1`, f.ala.ente),
		count(t, f.d, `SELECT COUNT(*) FROM payment_event WHERE ente_id = $1 AND payment_id = $2 AND to_state = 'paid'`, f.ala.ente, p.ID),
		count(t, f.d, `SELECT COUNT(*) FROM pratica_event WHERE ente_id = $1 AND from_state = 'awaiting_payment' AND to_state = 'submitted'`, f.ala.ente),
	}
	if diff := cmp.Diff([3]int{1, 1, 1}, got); diff != "" {
		t.Errorf("receipts, paid events, pratica moves mismatch (-want +got):\n%s", diff)
	}
}

// lostAnswer passes every request on but loses the answer of the first
// paSendRTV2, as a crash between storing the receipt and acknowledging it
// would: the station acted, the Node cannot tell.
type lostAnswer struct {
	next http.RoundTripper
	lost atomic.Bool
}

func (l *lostAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := l.next.RoundTrip(r)
	if err == nil && r.Header.Get("SOAPAction") == "paSendRTV2" && l.lost.CompareAndSwap(false, true) {
		res.Body.Close()
		return nil, errors.New("connection reset after the request was handled")
	}
	return res, err
}

// TestStationCrashBeforeAcknowledging: the receipt is stored, the answer is
// lost, the Node delivers it again: the re-delivery is acknowledged
// (PAA_RECEIPT_DUPLICATA counts as delivered) and nothing is paid twice.
func TestStationCrashBeforeAcknowledging(t *testing.T) {
	f := setup(t)
	tr := &lostAnswer{next: http.DefaultTransport}
	payer := f.ownStation(t, &http.Client{Transport: tr})
	pr, p := f.submitted(t, f.ala, 1600)
	if _, err := payer.Pay(ctx, f.ala.fiscalCode, navOf(t, p)); err != nil {
		t.Fatal(err)
	}
	if !tr.lost.Load() {
		t.Fatal("no answer was lost: the test did not test")
	}
	got := [2]int{
		count(t, f.d, `SELECT COUNT(*) FROM payment_receipt WHERE ente_id = $1`, f.ala.ente),
		count(t, f.d, `SELECT COUNT(*) FROM payment_event WHERE ente_id = $1 AND payment_id = $2 AND to_state = 'paid'`, f.ala.ente, p.ID),
	}
	if diff := cmp.Diff([2]int{1, 1}, got); diff != "" {
		t.Errorf("receipts and paid events mismatch (-want +got):\n%s", diff)
	}
	if got := f.pratica(t, f.ala, pr.ID).State; got != pratica.Submitted {
		t.Errorf("pratica %s, want %s", got, pratica.Submitted)
	}
}
