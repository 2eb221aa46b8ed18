package station_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/spec"
	"github.com/sportello/sportello/internal/pagopa/station"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	ente    = "12345678903"
	other   = "77777777777"
	broker  = "12345678903"
	stID    = "12345678903_01"
	ibanEnt = "IT60X0542811101000000123456"
	ibanPst = "IT21Q0760101600000000123456"
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func nav(t testing.TB, seq int64) pagopa.NAV {
	t.Helper()
	iuv, err := pagopa.NewIUV(1, seq)
	if err != nil {
		t.Fatal(err)
	}
	return iuv.NAV()
}

func position(n pagopa.NAV, status station.Status) station.Position {
	return station.Position{
		Status: status, IUV: n.IUV().String(), Amount: 1652,
		DueDate:     time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC),
		Description: "Diritti di segreteria – pratica 2025/123", CompanyName: "Comune di Roccafiorita", OfficeName: "Servizi demografici",
		Debtor: station.Subject{Type: "F", ID: "RSSMRA80A01H501U", FullName: "Mario Rossi", City: "Roccafiorita", Email: "mario.rossi@example.org"},
		Transfers: []station.Transfer{
			{ID: 1, Amount: 1000, FiscalCodePA: ente, IBAN: ibanEnt, PostalIBAN: ibanPst, Remittance: "Diritti di segreteria", Category: "9/0101108TS/"},
			{ID: 2, Amount: 652, FiscalCodePA: other, CompanyName: "Comune di Altrove", IBAN: ibanEnt, Remittance: "Quota altro ente", Category: "9/0101108TS/",
				Metadata: []station.MapEntry{{Key: "pratica", Value: "2025/123"}}},
		},
	}
}

// recorder is an http.RoundTripper that keeps every request and answer,
// so that the test can validate each against the schema.
type recorder struct {
	mu       sync.Mutex
	messages [][]byte
	next     http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(out))
	r.mu.Lock()
	r.messages = append(r.messages, body)
	if resp.StatusCode == http.StatusOK {
		r.messages = append(r.messages, out)
	}
	r.mu.Unlock()
	return resp, nil
}

// validateAll checks every message that went over the wire against the
// official schema (SOAP envelope + paForNode.xsd).
func (r *recorder) validateAll(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.messages) == 0 {
		t.Fatal("no message recorded")
	}
	for _, m := range r.messages {
		if err := spec.Validate(m); err != nil {
			t.Errorf("%v\n%s", err, m)
		}
		if err := spec.Xmllint(m); err != nil && !errors.Is(err, spec.ErrNoXmllint) {
			t.Errorf("%v\n%s", err, m)
		}
	}
}

type fixture struct {
	mem   *station.Memory
	st    *station.Station
	srv   *httptest.Server
	rec   *recorder
	payer *station.Payer
}

func setup(t *testing.T, wrap func(http.Handler) http.Handler) *fixture {
	t.Helper()
	schema, err := spec.Schema()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{mem: station.NewMemory()}
	f.st = &station.Station{BrokerID: broker, StationID: stID, Entes: []string{ente}, Positions: f.mem, Schema: schema, Now: func() time.Time { return now }}
	var h http.Handler = f.st
	if wrap != nil {
		h = wrap(h)
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	f.rec = &recorder{next: http.DefaultTransport}
	n := 0
	f.payer = &station.Payer{
		URL: f.srv.URL, Client: &http.Client{Transport: f.rec}, BrokerID: broker, StationID: stID,
		PSP: station.PSP{ID: "BCITITMM", FiscalCode: "00799960158", CompanyName: "Intesa Sanpaolo", Channel: "00799960158_01", ChannelDescription: "app", PaymentMethod: "creditCard", Fee: 150},
		Now: func() time.Time { return now },
		ReceiptID: func() string {
			n++
			return fmt.Sprintf("r%031d", n)
		},
	}
	return f
}

// TestFaultTable drives verify and getPayment over HTTP for a notice in
// each state of the reference's table.
func TestFaultTable(t *testing.T) {
	f := setup(t, nil)
	tests := []struct {
		name   string
		put    func(n pagopa.NAV)
		fault  string
		notice int64
	}{
		{"valid", func(n pagopa.NAV) { f.mem.Put(ente, n, position(n, station.StatusValid)) }, "", 1},
		{"partially paid, this installment open", func(n pagopa.NAV) { f.mem.Put(ente, n, position(n, station.StatusPartiallyPaid)) }, "", 2},
		{"not found", func(n pagopa.NAV) {}, station.FaultUnknown, 3},
		{"draft", func(n pagopa.NAV) { f.mem.Put(ente, n, position(n, station.StatusDraft)) }, station.FaultUnknown, 4},
		{"published", func(n pagopa.NAV) { f.mem.Put(ente, n, position(n, station.StatusPublished)) }, station.FaultUnknown, 5},
		{"installment before its validity", func(n pagopa.NAV) {
			p := position(n, station.StatusValid)
			p.PayableFrom = now.Add(time.Hour)
			f.mem.Put(ente, n, p)
		}, station.FaultUnknown, 6},
		{"expired", func(n pagopa.NAV) { f.mem.Put(ente, n, position(n, station.StatusExpired)) }, station.FaultExpired, 7},
		{"invalid", func(n pagopa.NAV) { f.mem.Put(ente, n, position(n, station.StatusInvalid)) }, station.FaultCancelled, 8},
		{"paid", func(n pagopa.NAV) { f.mem.Put(ente, n, position(n, station.StatusPaid)) }, station.FaultDuplicate, 9},
		{"reported", func(n pagopa.NAV) { f.mem.Put(ente, n, position(n, station.StatusReported)) }, station.FaultDuplicate, 10},
		{"option already paid", func(n pagopa.NAV) {
			p := position(n, station.StatusPartiallyPaid)
			p.Paid = true
			f.mem.Put(ente, n, p)
		}, station.FaultDuplicate, 11},
		{"unknown state", func(n pagopa.NAV) { f.mem.Put(ente, n, position(n, "WEIRD")) }, station.FaultSystem, 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := nav(t, tc.notice)
			tc.put(n)
			v, verr := f.payer.Verify(context.Background(), ente, n)
			p, gerr := f.payer.GetPayment(context.Background(), ente, n, false)
			for op, err := range map[string]error{"verify": verr, "getPayment": gerr} {
				got := ""
				var fault *station.Fault
				if errors.As(err, &fault) {
					got = fault.Code
				} else if err != nil {
					t.Fatalf("%s: %v", op, err)
				}
				if got != tc.fault {
					t.Errorf("%s fault = %q, want %q", op, got, tc.fault)
				}
			}
			if tc.fault == "" {
				if v.Amount != 1652 || p.Amount != 1652 || p.IUV != n.IUV().String() || len(p.Transfers) != 2 {
					t.Errorf("verify %+v, getPayment %+v", v, p)
				}
			}
		})
	}
	t.Run("store failure", func(t *testing.T) {
		f.mem.Fail = func(string) error { return errors.New("disk on fire") }
		defer func() { f.mem.Fail = nil }()
		_, err := f.payer.Verify(context.Background(), ente, nav(t, 1))
		if fault := new(station.Fault); !errors.As(err, &fault) || fault.Code != station.FaultSystem {
			t.Errorf("err = %v, want %s", err, station.FaultSystem)
		}
	})
	f.rec.validateAll(t)
}

func TestFaultFor(t *testing.T) {
	if got := station.FaultFor(station.Position{}, apperr.Errorf(apperr.NotFound, "x"), now); got != station.FaultUnknown {
		t.Errorf("not found: %q", got)
	}
	if got := station.FaultFor(station.Position{Status: station.StatusValid}, nil, now); got != "" {
		t.Errorf("valid: %q", got)
	}
}

// TestIdentityFaults: the wrong ente, broker or station is refused before
// anything is looked up.
func TestIdentityFaults(t *testing.T) {
	f := setup(t, nil)
	n := nav(t, 1)
	f.mem.Put(ente, n, position(n, station.StatusValid))
	tests := []struct {
		name  string
		set   func(p *station.Payer) string
		fault string
	}{
		{"ente not served", func(p *station.Payer) string { return other }, station.FaultWrongDomain},
		{"wrong broker", func(p *station.Payer) string { p.BrokerID = "99999999999"; return ente }, station.FaultWrongBroker},
		{"wrong station", func(p *station.Payer) string { p.StationID = stID + "x"; return ente }, station.FaultWrongStation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := *f.payer
			cf := tc.set(&p)
			_, err := p.Verify(context.Background(), cf, n)
			if fault := new(station.Fault); !errors.As(err, &fault) || fault.Code != tc.fault {
				t.Errorf("verify: err = %v, want %s", err, tc.fault)
			}
			_, err = p.Pay(context.Background(), cf, n)
			if fault := new(station.Fault); !errors.As(err, &fault) || fault.Code != tc.fault {
				t.Errorf("pay: err = %v, want %s", err, tc.fault)
			}
		})
	}
	f.rec.validateAll(t)
}

// TestServes: with Serves set, the station asks it at each request instead
// of reading Entes, and a lookup that fails is a system error, not a
// wrong ente.
func TestServes(t *testing.T) {
	f := setup(t, nil)
	n := nav(t, 1)
	f.mem.Put(ente, n, position(n, station.StatusValid))
	f.mem.Put(other, n, position(n, station.StatusValid))
	served := map[string]bool{ente: true}
	var lookupErr error
	f.st.Entes = nil
	f.st.Serves = func(_ context.Context, idPA string) (bool, error) { return served[idPA], lookupErr }
	verify := func(cf string) string {
		_, err := f.payer.Verify(context.Background(), cf, n)
		if fault := new(station.Fault); errors.As(err, &fault) {
			return fault.Code
		}
		if err != nil {
			t.Fatal(err)
		}
		return "OK"
	}
	if got := verify(ente); got != "OK" {
		t.Errorf("a served ente: %s, want OK", got)
	}
	if got := verify(other); got != station.FaultWrongDomain {
		t.Errorf("an ente not served: %s, want %s", got, station.FaultWrongDomain)
	}
	served[other] = true // added while the station runs
	if got := verify(other); got != "OK" {
		t.Errorf("an ente added meanwhile: %s, want OK", got)
	}
	lookupErr = errors.New("database unavailable")
	if got := verify(ente); got != station.FaultSystem {
		t.Errorf("a failed lookup: %s, want %s", got, station.FaultSystem)
	}
	f.rec.validateAll(t)
}

// TestPay pays a notice end to end (verify, getPayment twice, sendRT) and
// checks the receipt the station stored against what the payer sent.
func TestPay(t *testing.T) {
	f := setup(t, nil)
	n := nav(t, 42)
	f.mem.Put(ente, n, position(n, station.StatusValid))
	f.payer.RepeatGet = true
	sent, err := f.payer.Pay(context.Background(), ente, n)
	if err != nil {
		t.Fatal(err)
	}
	got := f.mem.Receipts()
	if len(got) != 1 {
		t.Fatalf("%d receipts stored, want 1", len(got))
	}
	if len(got[0].Raw) == 0 || !bytes.Contains(got[0].Raw, []byte("<receiptId>"+sent.ReceiptID+"</receiptId>")) {
		t.Errorf("the stored receipt does not keep the request as received")
	}
	fee := pagopa.Cents(150)
	want := station.Receipt{
		ReceiptID: "r0000000000000000000000000000001", NoticeNumber: n, FiscalCode: ente, Outcome: "OK", IUV: n.IUV().String(),
		Amount: 1652, Description: "Diritti di segreteria – pratica 2025/123", CompanyName: "Comune di Roccafiorita", OfficeName: "Servizi demografici",
		Debtor: station.Subject{Type: "F", ID: "RSSMRA80A01H501U", FullName: "Mario Rossi", City: "Roccafiorita", Email: "mario.rossi@example.org"},
		Transfers: []station.ReceiptTransfer{
			{ID: 1, Amount: 1000, FiscalCodePA: ente, IBAN: ibanEnt, Remittance: "Diritti di segreteria", Category: "9/0101108TS/"},
			{ID: 2, Amount: 652, FiscalCodePA: other, CompanyName: "Comune di Altrove", IBAN: ibanEnt, Remittance: "Quota altro ente", Category: "9/0101108TS/",
				Metadata: []station.MapEntry{{Key: "pratica", Value: "2025/123"}}},
		},
		IDPSP: "BCITITMM", PSPFiscalCode: "00799960158", PSPCompanyName: "Intesa Sanpaolo", IDChannel: "00799960158_01", ChannelDescription: "app",
		PaymentMethod: "creditCard", Fee: &fee, PaymentDateTime: now,
		ApplicationDate: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), TransferDate: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC),
	}
	if diff := cmp.Diff(want, got[0], cmpopts.IgnoreFields(station.Receipt{}, "Raw"), cmp.Comparer(func(a, b pagopa.NAV) bool { return a == b }),
		cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("stored receipt mismatch (-want +got):\n%s", diff)
	}
	// Once paid, the notice is a duplicate for the next payer.
	if _, err := f.payer.Verify(context.Background(), ente, n); !isFault(err, station.FaultDuplicate) {
		t.Errorf("verify after payment: %v, want %s", err, station.FaultDuplicate)
	}
	f.rec.validateAll(t)
}

func isFault(err error, code string) bool {
	var f *station.Fault
	return errors.As(err, &f) && f.Code == code
}

// TestReceiptIdempotent delivers the same receipt 100 times: one is
// stored, and every replay is answered PAA_RECEIPT_DUPLICATA, which the
// payer counts as delivered.
func TestReceiptIdempotent(t *testing.T) {
	f := setup(t, nil)
	n := nav(t, 7)
	f.mem.Put(ente, n, position(n, station.StatusValid))
	r, err := f.payer.Pay(context.Background(), ente, n)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- f.payer.SendRT(context.Background(), f.srv.URL, ente, r)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := len(f.mem.Receipts()); got != 1 {
		t.Errorf("%d receipts stored, want 1", got)
	}
	// The same receipt id for another IUV is another receipt.
	r2 := r
	m := nav(t, 8)
	f.mem.Put(ente, m, position(m, station.StatusValid))
	r2.NoticeNumber, r2.IUV = m, m.IUV().String()
	if err := f.payer.SendRT(context.Background(), f.srv.URL, ente, r2); err != nil {
		t.Fatal(err)
	}
	if got := len(f.mem.Receipts()); got != 2 {
		t.Errorf("%d receipts stored, want 2", got)
	}
}

// TestSendRTRetries: the station fails, or its answer is lost after the
// receipt was stored (a crash between storing and acknowledging); the
// payer retries and the receipt is stored exactly once.
func TestSendRTRetries(t *testing.T) {
	t.Run("store fails twice", func(t *testing.T) {
		f := setup(t, nil)
		n := nav(t, 1)
		f.mem.Put(ente, n, position(n, station.StatusValid))
		fails := 2
		f.mem.Fail = func(op string) error {
			if op == "store" && fails > 0 {
				fails--
				return errors.New("database locked")
			}
			return nil
		}
		if _, err := f.payer.Pay(context.Background(), ente, n); err != nil {
			t.Fatal(err)
		}
		if got := len(f.mem.Receipts()); got != 1 || fails != 0 {
			t.Errorf("%d receipts stored after %d failures left, want 1 and 0", got, fails)
		}
		f.rec.validateAll(t)
	})
	t.Run("answer lost after storing", func(t *testing.T) {
		lost := 3
		var mu sync.Mutex
		f := setup(t, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				mu.Lock()
				drop := strings.Contains(r.Header.Get("SOAPAction"), "paSendRTV2") && lost > 0
				if drop {
					lost--
				}
				mu.Unlock()
				if drop {
					http.Error(w, "bad gateway", http.StatusBadGateway)
					return
				}
				w.WriteHeader(rec.Code)
				w.Write(rec.Body.Bytes())
			})
		})
		n := nav(t, 2)
		f.mem.Put(ente, n, position(n, station.StatusValid))
		if _, err := f.payer.Pay(context.Background(), ente, n); err != nil {
			t.Fatal(err)
		}
		if got := len(f.mem.Receipts()); got != 1 || lost != 0 {
			t.Errorf("%d receipts stored, %d losses left; want 1 and 0", got, lost)
		}
	})
	t.Run("station times out once", func(t *testing.T) {
		var mu sync.Mutex
		hung := false
		f := setup(t, func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				hang := !hung && strings.Contains(r.Header.Get("SOAPAction"), "paSendRTV2")
				hung = hung || hang
				mu.Unlock()
				if hang {
					// With the body read, the server watches the connection
					// and cancels the context when the payer gives up.
					io.Copy(io.Discard, r.Body)
					<-r.Context().Done()
					return
				}
				h.ServeHTTP(w, r)
			})
		})
		f.payer.Client.Timeout = 200 * time.Millisecond
		n := nav(t, 4)
		f.mem.Put(ente, n, position(n, station.StatusValid))
		if _, err := f.payer.Pay(context.Background(), ente, n); err != nil {
			t.Fatal(err)
		}
		if got := len(f.mem.Receipts()); got != 1 || !hung {
			t.Errorf("%d receipts stored (hung %v), want 1", got, hung)
		}
	})
	t.Run("gives up after the attempts", func(t *testing.T) {
		f := setup(t, nil)
		n := nav(t, 3)
		f.mem.Put(ente, n, position(n, station.StatusValid))
		f.mem.Fail = func(op string) error {
			if op == "store" {
				return errors.New("database down")
			}
			return nil
		}
		f.payer.Attempts = 3
		var waits []time.Duration
		f.payer.Backoff = func(n int) time.Duration { waits = append(waits, time.Duration(n)); return time.Duration(n) }
		_, err := f.payer.Pay(context.Background(), ente, n)
		if !errors.Is(err, station.ErrDelivery) || !isFault(err, station.FaultSystem) {
			t.Errorf("err = %v, want ErrDelivery wrapping %s", err, station.FaultSystem)
		}
		if diff := cmp.Diff([]time.Duration{1, 2}, waits); diff != "" {
			t.Errorf("backoff mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestPostalAndStamp: with transferType POSTAL the postal IBAN is
// credited; a stamp transfer asks for an @e.bollo, whose MarcaDaBollo the
// payer's PSP supplies and the stored receipt carries.
func TestPostalAndStamp(t *testing.T) {
	f := setup(t, nil)
	n := nav(t, 5)
	p := position(n, station.StatusValid)
	f.mem.Put(ente, n, p)
	got, err := f.payer.GetPayment(context.Background(), ente, n, true)
	if err != nil {
		t.Fatal(err)
	}
	if got.Transfers[0].IBAN != ibanPst || got.Transfers[1].IBAN != ibanEnt {
		t.Errorf("postal getPayment credits %s and %s", got.Transfers[0].IBAN, got.Transfers[1].IBAN)
	}

	m := nav(t, 6)
	sum := sha256.Sum256([]byte("certificato di residenza"))
	hash := base64.StdEncoding.EncodeToString(sum[:])
	p = position(m, station.StatusValid)
	p.Amount = 1600 + 1000
	p.Transfers = []station.Transfer{
		p.Transfers[0],
		{ID: 2, Amount: 1600, FiscalCodePA: ente, Stamp: &station.StampRequest{DocumentHash: hash, Type: "01", Province: "ME"}, Remittance: "Marca da bollo", Category: "9/0301116TS/"},
	}
	f.mem.Put(ente, m, p)
	if _, err := f.payer.Pay(context.Background(), ente, m); !isFault(err, station.FaultSemantic) {
		t.Errorf("a stamp without a seller: %v, want %s", err, station.FaultSemantic)
	}
	f.payer.Stamp = func(t station.Transfer, at time.Time) ([]byte, error) {
		return []byte("<marcaDaBollo>" + t.Stamp.DocumentHash + "</marcaDaBollo>"), nil
	}
	if _, err := f.payer.Pay(context.Background(), ente, m); err != nil {
		t.Fatal(err)
	}
	rs := f.mem.Receipts()
	if len(rs) != 1 || string(rs[0].Transfers[1].MBDAttachment) != "<marcaDaBollo>"+hash+"</marcaDaBollo>" || rs[0].Transfers[1].IBAN != "" {
		t.Errorf("stored receipts %+v", rs)
	}
	f.rec.validateAll(t)
}

// TestMalformed posts requests a real Node would never send.
func TestMalformed(t *testing.T) {
	f := setup(t, nil)
	valid := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body><pafn:paVerifyPaymentNoticeReq><idPA>12345678903</idPA><idBrokerPA>12345678903</idBrokerPA><idStation>12345678903_01</idStation><qrCode><fiscalCode>12345678903</fiscalCode><noticeNumber>%s</noticeNumber></qrCode></pafn:paVerifyPaymentNoticeReq></soapenv:Body></soapenv:Envelope>`
	tests := []struct {
		name   string
		body   string
		status int
		fault  string
	}{
		{"notice number of 17 digits", fmt.Sprintf(valid, "30100000000000014"), 200, station.FaultSyntax},
		{"wrong check digits", fmt.Sprintf(valid, "301000000000000145"), 200, station.FaultUnknown},
		{"qrCode of another ente", strings.Replace(fmt.Sprintf(valid, "301000000000000144"), "<fiscalCode>12345678903", "<fiscalCode>77777777777", 1), 200, station.FaultSemantic},
		{"missing idStation", strings.Replace(fmt.Sprintf(valid, "301000000000000144"), "<idStation>12345678903_01</idStation>", "", 1), 200, station.FaultSyntax},
		{"unsupported operation", strings.ReplaceAll(fmt.Sprintf(valid, "301000000000000144"), "paVerifyPaymentNoticeReq", "paDemandPaymentNoticeRequest"), 500, ""},
		{"not SOAP", `<hello/>`, 500, ""},
		{"not XML", `{"json": true}`, 500, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(f.srv.URL, "text/xml", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.status, b)
			}
			if err := spec.Validate(b); err != nil {
				t.Errorf("answer does not validate: %v\n%s", err, b)
			}
			if tc.fault != "" && !bytes.Contains(b, []byte("<faultCode>"+tc.fault+"</faultCode>")) {
				t.Errorf("answer lacks %s:\n%s", tc.fault, b)
			}
		})
	}
	resp, err := http.Get(f.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}

// TestGolden keeps one exchange of each primitive as files, reviewed by
// eye and validated against the schema.
func TestGolden(t *testing.T) {
	f := setup(t, nil)
	n := nav(t, 123)
	f.mem.Put(ente, n, position(n, station.StatusValid))
	if _, err := f.payer.Pay(context.Background(), ente, n); err != nil {
		t.Fatal(err)
	}
	names := []string{"verify_req", "verify_res", "get_req", "get_res", "sendrt_req", "sendrt_res"}
	if len(f.rec.messages) != len(names) {
		t.Fatalf("%d messages, want %d", len(f.rec.messages), len(names))
	}
	for i, name := range names {
		got := f.rec.messages[i]
		path := filepath.Join("testdata", name+".golden.xml")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
		}
		if err := spec.Validate(got); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if err := spec.Xmllint(got); err != nil && !errors.Is(err, spec.ErrNoXmllint) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Amounts on the wire are euros with exactly two decimals.
	amount := regexp.MustCompile(`<(?:amount|paymentAmount|transferAmount|fee)>([^<]*)<`)
	for _, m := range f.rec.messages {
		for _, a := range amount.FindAllSubmatch(m, -1) {
			if !regexp.MustCompile(`^\d+\.\d{2}$`).Match(a[1]) {
				t.Errorf("amount %q", a[1])
			}
		}
	}
}

// FuzzHandle: any body either is refused as not paForNode or gets an
// answer that validates against the schema; nothing panics.
func FuzzHandle(f *testing.F) {
	for _, name := range []string{"verify_req", "get_req", "sendrt_req"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".golden.xml"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body/></Envelope>`))
	mem := station.NewMemory()
	n, _ := pagopa.NewIUV(1, 123)
	mem.Put(ente, n.NAV(), position(n.NAV(), station.StatusValid))
	st := &station.Station{BrokerID: broker, StationID: stID, Entes: []string{ente}, Positions: mem, Now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := st.Handle(context.Background(), body)
		if err != nil {
			return
		}
		if err := spec.Validate(res); err != nil {
			t.Fatalf("answer does not validate: %v\n%s\nto\n%s", err, res, body)
		}
	})
}

// BenchmarkReceipts delivers distinct receipts to the station over HTTP
// with schema validation on, in parallel: the figure in
// docs/benchmarks-pagopa-msg.md.
func BenchmarkReceipts(b *testing.B) {
	schema, err := spec.Schema()
	if err != nil {
		b.Fatal(err)
	}
	mem := station.NewMemory()
	st := &station.Station{BrokerID: broker, StationID: stID, Entes: []string{ente}, Positions: mem, Schema: schema}
	srv := httptest.NewServer(st)
	defer srv.Close()
	n, _ := pagopa.NewIUV(1, 1)
	pos := position(n.NAV(), station.StatusValid)
	var mu sync.Mutex
	seq := 0
	payer := &station.Payer{URL: srv.URL, Client: srv.Client(), BrokerID: broker, StationID: stID, PSP: station.PSP{ID: "X", CompanyName: "PSP", Channel: "C", ChannelDescription: "app"}}
	cpu := processCPU()
	defer func() {
		// CPU time of both sides (payer and station share the process),
		// so the figure is a floor for the station alone and holds on a
		// machine shared with others.
		per := (processCPU() - cpu).Seconds() / float64(b.N)
		b.ReportMetric(per*1e3, "cpu-ms/op")
		b.ReportMetric(2/per, "receipts/s@2cores")
	}()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			seq++
			id := fmt.Sprint(seq)
			mu.Unlock()
			r := station.Receipt{ReceiptID: id, NoticeNumber: n.NAV(), FiscalCode: ente, IUV: pos.IUV, Amount: pos.Amount, Description: pos.Description,
				CompanyName: pos.CompanyName, Debtor: pos.Debtor, IDPSP: "X", PSPCompanyName: "PSP", IDChannel: "C", ChannelDescription: "app",
				PaymentDateTime: now}
			for _, t := range pos.Transfers {
				r.Transfers = append(r.Transfers, station.ReceiptTransfer{ID: t.ID, Amount: t.Amount, FiscalCodePA: t.FiscalCodePA, IBAN: t.IBAN, Remittance: t.Remittance, Category: t.Category})
			}
			if err := payer.SendRT(context.Background(), srv.URL, ente, r); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if got := len(mem.Receipts()); got != seq {
		b.Fatalf("%d receipts stored, %d sent", got, seq)
	}
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
