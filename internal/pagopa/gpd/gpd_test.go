package gpd_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/contract"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
)

const ec = "00299740228" // Comune di Ala

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// checked is a transport that validates every JSON body the client sends and
// receives against the OpenAPI component schema of its operation.
type checked struct {
	t    *testing.T
	next http.RoundTripper
	mu   sync.Mutex
	seen int
}

func (c *checked) RoundTrip(r *http.Request) (*http.Response, error) {
	c.t.Helper()
	var reqBody []byte
	if r.Body != nil {
		reqBody, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	res, err := c.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resBody, _ := io.ReadAll(res.Body)
	res.Body = io.NopCloser(bytes.NewReader(resBody))
	doc, in, out := schemas(r.Method, r.URL.Path, res.StatusCode)
	if in != "" {
		if err := contract.Validate(doc, in, reqBody); err != nil {
			c.t.Errorf("%s %s request: %v", r.Method, r.URL.Path, err)
		}
	}
	if out != "" && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := contract.Validate(doc, out, resBody); err != nil {
			c.t.Errorf("%s %s response %d: %v", r.Method, r.URL.Path, res.StatusCode, err)
		}
	}
	c.mu.Lock()
	c.seen++
	c.mu.Unlock()
	return res, nil
}

// schemas names the request and response schemas of an operation.
func schemas(method, path string, status int) (doc, in, out string) {
	if strings.Contains(path, "/payments-receipts-service/") {
		if status >= 400 {
			return contract.Receipts, "", "ProblemJson"
		}
		if strings.HasSuffix(path, "/receipts") {
			return contract.Receipts, "", "PaymentsResult"
		}
		return contract.Receipts, "", ""
	}
	doc = contract.GPD
	if status >= 400 {
		out = "ProblemJson"
	}
	switch {
	case method == http.MethodPost && strings.HasSuffix(path, "/debtpositions"):
		in = "PaymentPositionModel"
		if status < 400 {
			out = "PaymentPositionModel"
		}
	case method == http.MethodPut:
		in = "PaymentPositionModel"
		if status < 400 {
			out = "PaymentPositionModelBaseResponse"
		}
	case method == http.MethodGet && status < 400 && !strings.HasSuffix(path, "/debtpositions"):
		out = "PaymentPositionModelBaseResponse"
	case method == http.MethodGet && status < 400:
		out = "PaymentPositionsInfo"
	}
	return doc, in, out
}

type fixture struct {
	sim    *pagopasim.Sim
	client *gpd.Client
	tr     *checked
	url    string
}

func newFixture(t *testing.T, timeout time.Duration) *fixture {
	t.Helper()
	clock := t0
	sim := pagopasim.New(pagopasim.Options{Key: "k", Now: func() time.Time { return clock }, Hang: time.Minute})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	tr := &checked{t: t, next: http.DefaultTransport}
	c, err := gpd.New(gpd.Options{PositionsURL: srv.URL + "/gpd/debt-positions-service/v1",
		ReceiptsURL: srv.URL + "/gpd/payments-receipts-service/v1", Key: "k",
		HTTP: &http.Client{Transport: tr}, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{sim: sim, client: c, tr: tr, url: srv.URL}
}

func iuv(t *testing.T, seq int64) pagopa.IUV {
	t.Helper()
	v, err := pagopa.NewIUV(1, seq)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// position is a fee of 16.52 € with two transfers (ente and another ente).
func position(t *testing.T, iupd string, seq int64) *gpd.Position {
	v := iuv(t, seq)
	return &gpd.Position{
		IUPD: iupd, Type: "F", FiscalCode: "RSSMRA80A01H501U", FullName: "Mario Rossi", CompanyName: "Comune di Ala",
		Options: []gpd.Option{{
			IUV: v.String(), NAV: v.NAV().String(), Amount: 1652, Description: "Diritti di segreteria",
			DueDate: t0.Add(30 * 24 * time.Hour),
			Transfers: []gpd.Transfer{
				{ID: "1", Amount: 1600, RemittanceInformation: "Diritti", Category: "9/0101108TS/", IBAN: "IT60X0542811101000000123456"},
				{ID: "2", Amount: 52, RemittanceInformation: "Quota provincia", Category: "9/0101108TS/", IBAN: "IT60X0542811101000000123456", OrganizationFiscalCode: "00337460224"},
			},
		}},
	}
}

func TestCreateGetPayReceipt(t *testing.T) {
	f := newFixture(t, 5*time.Second)
	ctx := context.Background()
	p := position(t, "ala-P1-1", 1)
	if _, err := f.client.Create(ctx, ec, p, true); err != nil {
		t.Fatal(err)
	}
	st, err := f.client.Get(ctx, ec, p.IUPD)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != gpd.Valid || !p.Same(st) {
		t.Fatalf("after create: status %s, same %v", st.Status, p.Same(st))
	}
	if _, _, err := f.client.ReceiptXML(ctx, ec, p.Options[0].IUV); !errors.Is(err, gpd.ErrNotFound) || !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("receipt before paying: %v, want ErrNotFound", err)
	}
	id, err := f.sim.Pay(ec, p.Options[0].NAV, pagopasim.Tobacconist)
	if err != nil {
		t.Fatal(err)
	}
	raw, r, err := f.client.ReceiptXML(ctx, ec, p.Options[0].IUV)
	if err != nil {
		t.Fatal(err)
	}
	amount, _ := r.Amount()
	got := []string{r.ReceiptID, r.FiscalCode, r.CreditorReferenceID, r.NoticeNumber, amount.Italian(), r.Debtor.UniqueIdentifier.Value}
	want := []string{id, ec, p.Options[0].IUV, p.Options[0].NAV, "16,52 €", "RSSMRA80A01H501U"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("receipt mismatch (-want +got):\n%s", diff)
	}
	if !bytes.Contains(raw, []byte(gpd.NamespacePaForNode)) {
		t.Errorf("receipt without the paForNode namespace: %s", raw)
	}
	if st, _ = f.client.Get(ctx, ec, p.IUPD); st.Status != gpd.Paid || st.Options[0].IDReceipt != id {
		t.Errorf("after paying: %s receipt %q, want PAID %q", st.Status, st.Options[0].IDReceipt, id)
	}
	list, err := f.client.List(ctx, ec, 0, 50, gpd.Paid)
	if err != nil || len(list.Positions) != 1 || list.Page.ItemsFound != 1 {
		t.Errorf("list of paid positions: %v %+v", err, list)
	}
	if list, err = f.client.List(ctx, ec, 0, 50, gpd.Valid); err != nil || len(list.Positions) != 0 {
		t.Errorf("list of valid positions: %v %+v", err, list)
	}
	page, err := f.client.Receipts(ctx, ec, 0, 10)
	if err != nil || len(page.Results) != 1 {
		t.Errorf("receipts list: %v, %d results, want 1", err, len(page.Results))
	}
	if f.tr.seen == 0 {
		t.Fatal("the contract transport saw nothing")
	}
}

// TestStateMachine walks the transitions and refusals of the reference.
func TestStateMachine(t *testing.T) {
	ctx := context.Background()
	type step struct {
		do   func(f *fixture, p *gpd.Position) error
		want gpd.Status
		err  error
	}
	create := func(publish bool) func(f *fixture, p *gpd.Position) error {
		return func(f *fixture, p *gpd.Position) error { _, err := f.client.Create(ctx, ec, p, publish); return err }
	}
	publish := func(f *fixture, p *gpd.Position) error { _, err := f.client.Publish(ctx, ec, p.IUPD); return err }
	invalidate := func(f *fixture, p *gpd.Position) error { _, err := f.client.Invalidate(ctx, ec, p.IUPD); return err }
	update := func(f *fixture, p *gpd.Position) error { _, err := f.client.Update(ctx, ec, p, true); return err }
	del := func(f *fixture, p *gpd.Position) error { return f.client.Delete(ctx, ec, p.IUPD) }
	pay := func(f *fixture, p *gpd.Position) error {
		_, err := f.sim.Pay(ec, p.Options[0].NAV, pagopasim.Tobacconist)
		return err
	}
	advance := func(d time.Duration) func(f *fixture, p *gpd.Position) error {
		return func(f *fixture, _ *gpd.Position) error { f.sim.Advance(d); return nil }
	}
	tests := []struct {
		name     string
		validity bool
		expire   bool
		steps    []step
	}{
		{"draft, publish, pay", false, false, []step{{create(false), gpd.Draft, nil}, {pay, gpd.Draft, pagopasim.ErrUnknown},
			{publish, gpd.Valid, nil}, {publish, gpd.Valid, gpd.ErrConflict}, {pay, gpd.Paid, nil}, {pay, gpd.Paid, pagopasim.ErrDuplicate},
			{update, gpd.Paid, gpd.ErrConflict}, {invalidate, gpd.Paid, gpd.ErrConflict}, {del, gpd.Paid, gpd.ErrConflict}}},
		{"published until validity", true, false, []step{{create(true), gpd.Published, nil}, {pay, gpd.Published, pagopasim.ErrUnknown},
			{advance(25 * time.Hour), gpd.Valid, nil}, {pay, gpd.Paid, nil}}},
		{"invalidated", false, false, []step{{create(true), gpd.Valid, nil}, {invalidate, gpd.Invalid, nil},
			{pay, gpd.Invalid, pagopasim.ErrCancelled}, {update, gpd.Invalid, gpd.ErrConflict}}},
		{"expired", false, true, []step{{create(true), gpd.Valid, nil}, {advance(31 * 24 * time.Hour), gpd.Expired, nil},
			{pay, gpd.Expired, pagopasim.ErrExpired}}},
		{"not expiring", false, false, []step{{create(true), gpd.Valid, nil}, {advance(31 * 24 * time.Hour), gpd.Valid, nil}, {pay, gpd.Paid, nil}}},
		{"update then delete", false, false, []step{{create(true), gpd.Valid, nil}, {update, gpd.Valid, nil}, {del, "", nil}}},
		{"duplicate", false, false, []step{{create(true), gpd.Valid, nil}, {create(true), gpd.Valid, gpd.ErrConflict}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 5*time.Second)
			p := position(t, "iupd-1", 7)
			p.SwitchToExpired = tc.expire
			if tc.validity {
				v := t0.Add(24 * time.Hour)
				p.ValidityDate = &v
			}
			for i, s := range tc.steps {
				err := s.do(f, p)
				if !errors.Is(err, s.err) {
					t.Fatalf("step %d: error %v, want %v", i, err, s.err)
				}
				got, _ := f.sim.Status(ec, p.IUPD)
				if got != s.want {
					t.Fatalf("step %d: status %q, want %q", i, got, s.want)
				}
			}
		})
	}
}

// TestValidation sends positions the platform refuses: 400, ErrInvalid.
func TestValidation(t *testing.T) {
	tests := []struct {
		name   string
		breaks func(p *gpd.Position)
	}{
		{"amount not the sum", func(p *gpd.Position) { p.Options[0].Amount = 1000 }},
		{"iban and stamp", func(p *gpd.Position) {
			p.Options[0].Transfers[0].Stamp = &gpd.Stamp{HashDocument: "x", StampType: "01", ProvincialResidence: "TN"}
		}},
		{"neither iban nor stamp", func(p *gpd.Position) { p.Options[0].Transfers[0].IBAN = "" }},
		{"bad taxonomy", func(p *gpd.Position) { p.Options[0].Transfers[0].Category = "IMU" }},
		{"bad iban", func(p *gpd.Position) { p.Options[0].Transfers[0].IBAN = "IT00X0542811101000000123456" }},
		{"transfer id twice", func(p *gpd.Position) { p.Options[0].Transfers[1].ID = "1" }},
		{"validity in the past", func(p *gpd.Position) { v := t0.Add(-time.Hour); p.ValidityDate = &v }},
		{"due before validity", func(p *gpd.Position) { v := t0.Add(60 * 24 * time.Hour); p.ValidityDate = &v }},
		{"retention before due", func(p *gpd.Position) { r := t0; p.Options[0].RetentionDate = &r }},
		{"no options", func(p *gpd.Position) { p.Options = nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 5*time.Second)
			p := position(t, "bad", 3)
			tc.breaks(p)
			_, err := f.client.Create(context.Background(), ec, p, true)
			var ge *gpd.Error
			if !errors.Is(err, gpd.ErrInvalid) || !errors.As(err, &ge) || ge.Status != 400 || ge.Detail == "" {
				t.Fatalf("Create = %v, want a 400 ProblemJson with a detail", err)
			}
		})
	}
}

// TestStamp creates a position whose second transfer is a digital stamp.
func TestStamp(t *testing.T) {
	f := newFixture(t, 5*time.Second)
	p := position(t, "bollo", 4)
	p.Options[0].Transfers[1] = gpd.Transfer{ID: "2", Amount: 52, RemittanceInformation: "Bollo", Category: "9/0301109AP/",
		Stamp: &gpd.Stamp{HashDocument: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", StampType: "01", ProvincialResidence: "TN"}}
	if _, err := f.client.Create(context.Background(), ec, p, true); err != nil {
		t.Fatal(err)
	}
	st, err := f.client.Get(context.Background(), ec, p.IUPD)
	if err != nil || st.Options[0].Transfers[1].Stamp == nil {
		t.Fatalf("stamp not kept: %v %+v", err, st)
	}
}

// TestErrorsMapped checks each injected status becomes its kind.
func TestErrorsMapped(t *testing.T) {
	tests := []struct {
		kind      pagopasim.FaultKind
		want      error
		temporary bool
	}{
		{pagopasim.Error500, gpd.ErrUnavailable, true},
		{pagopasim.Error503, gpd.ErrUnavailable, true},
		{pagopasim.TooMany429, gpd.ErrRateLimited, true},
		{pagopasim.Conflict409, gpd.ErrConflict, false},
		{pagopasim.Timeout, gpd.ErrTimeout, true},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			f := newFixture(t, 300*time.Millisecond)
			f.sim.AddFault(pagopasim.Fault{Op: "get", Kind: tc.kind, Times: 1})
			_, err := f.client.Get(context.Background(), ec, "any")
			if !errors.Is(err, tc.want) || gpd.Temporary(err) != tc.temporary {
				t.Fatalf("Get = %v, want %v (temporary %v)", err, tc.want, tc.temporary)
			}
		})
	}
	f := newFixture(t, time.Second)
	wrong, err := gpd.New(gpd.Options{PositionsURL: f.url + "/gpd/debt-positions-service/v1", ReceiptsURL: f.url, Key: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.Get(context.Background(), ec, "x"); !errors.Is(err, gpd.ErrUnauthorized) {
		t.Errorf("wrong key: %v, want ErrUnauthorized", err)
	}
}

// TestEnsureAfterTimeout: the create is applied but its answer lost; the
// retry meets 409 and reads the position back: one position, no error.
func TestEnsureAfterTimeout(t *testing.T) {
	f := newFixture(t, 300*time.Millisecond)
	ctx := context.Background()
	p := position(t, "ala-P9-1", 9)
	f.sim.AddFault(pagopasim.Fault{Op: "create", Match: p.Options[0].IUV, Kind: pagopasim.TimeoutAfter, Times: 1})
	if _, err := f.client.Ensure(ctx, ec, p); !errors.Is(err, gpd.ErrTimeout) {
		t.Fatalf("first Ensure = %v, want a timeout", err)
	}
	st, err := f.client.Ensure(ctx, ec, p)
	if err != nil {
		t.Fatalf("second Ensure = %v", err)
	}
	if st.Status != gpd.Valid || f.sim.Positions(ec) != 1 {
		t.Errorf("after retry: %s, %d positions; want VALID, 1", st.Status, f.sim.Positions(ec))
	}
	// Someone else's position under the same IUPD is not taken for ours.
	other := position(t, "ala-P9-1", 10)
	if _, err := f.client.Ensure(ctx, ec, other); !errors.Is(err, gpd.ErrConflict) {
		t.Errorf("Ensure of a different position = %v, want ErrConflict", err)
	}
}
