package payment_test

import (
	"bytes"
	"database/sql"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/pagopa/bollo"
	"github.com/sportello/sportello/internal/pagopa/checkout"
	"github.com/sportello/sportello/internal/pagopa/contract"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	"github.com/sportello/sportello/internal/pagopa/spec"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/registry"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
	"github.com/sportello/sportello/internal/tenant"
)

// stampFixture is the payments fixture with Mario in Ala's registry, a
// certificate issuer whose stamp payer is payment.Stamps, and the GPD
// calls recorded on their way to the simulator, to check them against
// the OpenAPI contract.
type stampFixture struct {
	*fixture
	stamps *payment.Stamps
	issuer *certificate.Issuer
	ente   *tenant.Ente
	mu     sync.Mutex
	// creates are the bodies of the position creates.
	creates [][]byte
}

func setupStamps(t *testing.T) *stampFixture {
	t.Helper()
	f := &stampFixture{fixture: setup(t)}
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/debtpositions") {
			f.mu.Lock()
			f.creates = append(f.creates, body)
			f.mu.Unlock()
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(rec.Close)
	g, err := gpd.New(gpd.Options{PositionsURL: rec.URL + "/gpd/debt-positions-service/v1",
		ReceiptsURL: rec.URL + "/gpd/payments-receipts-service/v1", Key: "k", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c, err := checkout.New(checkout.Options{URL: rec.URL + "/checkout/ec/v1"})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.GPD, f.svc.Checkout = g, c
	h := &registry.Household{Code: "R1", Kind: registry.Family, Address: registry.Address{Street: "Via Roma", HouseNumber: "1", Postcode: "38061"},
		Members: []*registry.Person{{FiscalCode: cfMario, Surname: "Rossi", Name: "Mario", Sex: "M", BirthDate: calendar.D(1980, 1, 1),
			BirthPlace: "H501", Citizenship: "ITA", CivilStatus: registry.Single, Relationship: registry.Head,
			Status: registry.Resident, Certifiable: registry.FullyCertifiable, RegisteredOn: calendar.D(1980, 1, 1)}}}
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error { return registry.Save(ctx, tx, f.ala.ente, h) }); err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := certificate.NewKeyStore([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	f.issuer = &certificate.Issuer{DB: f.d, Registrar: protocol.Builtin{}, Blobs: blobs, Keys: keys, Now: func() time.Time { return f.now }}
	f.stamps = &payment.Stamps{Payments: f.svc, Issuer: f.issuer}
	f.issuer.Payer = f.stamps
	if f.ente, err = tenant.Get(ctx, f.d, f.ala.ente); err != nil {
		t.Fatal(err)
	}
	return f
}

// request asks online for Mario's stato di famiglia, which owes the stamp:
// the certificate waits, and the citizen is sent to Checkout.
func (f *stampFixture) request(t *testing.T) (*certificate.Certificate, string) {
	t.Helper()
	res, err := f.issuer.Issue(ctx, certificate.Order{Ente: f.ente, Channel: certificate.Online, HolderCF: cfMario,
		Kinds: certificate.Kinds{certificate.Family}, Citizen: f.ala.mario.ID, CitizenCF: cfMario,
		VerifyURL: "https://ala.example/verifica", ReturnTo: "https://ala.example/area-personale/certificati"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Certificate.State != certificate.AwaitingStamp || res.PayURL == "" {
		t.Fatalf("requested: %s, pay at %q", res.Certificate.State, res.PayURL)
	}
	return res.Certificate, res.PayURL
}

// press presses a button of the simulator's Checkout page and returns
// where it sends the browser back.
func press(t *testing.T, payURL, button string) string {
	t.Helper()
	res, err := browser.PostForm(payURL, url.Values{"azione": {button}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.Header.Get("Location")
}

func (f *stampFixture) certificate(t *testing.T, id certificate.ID) *certificate.Certificate {
	t.Helper()
	c, err := certificate.Get(ctx, f.d, f.ala.ente, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStampPaid: the stamp's position is a stamp transfer bound to the
// certificate's digest, within the GPD contract; paid in Checkout, the
// receipt's MarcaDaBollo is verified and kept and the certificate issued
// with its IUBD; the same receipt delivered again, the return page
// reloaded and the job's round issue nothing more.
func TestStampPaid(t *testing.T) {
	f := setupStamps(t)
	c, payURL := f.request(t)
	if len(f.creates) != 1 {
		t.Fatalf("%d positions created, want 1", len(f.creates))
	}
	if err := contract.Validate(contract.GPD, "PaymentPositionModel", f.creates[0]); err != nil {
		t.Errorf("position outside the GPD contract: %v\n%s", err, f.creates[0])
	}
	sp, err := payment.StampFor(ctx, f.d, f.ala.ente, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	digest := certificate.StampDigest(c)
	want := `"stamp":{"hashDocument":"` + base64.StdEncoding.EncodeToString(digest[:]) + `","stampType":"01","provincialResidence":"TN"}`
	if !strings.Contains(string(f.creates[0]), want) || strings.Contains(string(f.creates[0]), `"iban"`) {
		t.Errorf("the position's transfer is not the stamp %s:\n%s", want, f.creates[0])
	}
	if sp.Payment.Amount != 1600 || sp.Payment.Taxonomy != payment.TaxonomyStamp || sp.Payment.Citizen != f.ala.mario.ID {
		t.Errorf("stamp notice %+v", sp.Payment)
	}
	back := "https://ala.example/area-personale/certificati/" + strconv.FormatInt(int64(c.ID), 10)
	if got := press(t, payURL, "paga"); got != back+"?pagamento=ok" {
		t.Fatalf("paid, back to %s", got)
	}
	// Giulia cannot come back for Mario's stamp.
	if _, err := f.stamps.Returned(ctx, f.ala.ente, f.ala.giulia.ID, c.ID, payment.CheckoutReturned); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("giulia's return: %v", err)
	}
	sp, err = f.stamps.Returned(ctx, f.ala.ente, f.ala.mario.ID, c.ID, payment.CheckoutReturned)
	if err != nil {
		t.Fatal(err)
	}
	if sp.State != payment.StampIssued || sp.Payment.State != payment.Paid || sp.IUBD == "" {
		t.Fatalf("after paying: stamp %s, notice %s, IUBD %q, %s", sp.State, sp.Payment.State, sp.IUBD, sp.Problem)
	}
	if err := spec.Validate([]byte(sp.MarcaDaBollo)); err != nil {
		t.Errorf("kept MarcaDaBollo outside MarcaDaBollo.xsd: %v", err)
	}
	if _, err := bollo.Verify([]byte(sp.MarcaDaBollo), digest[:]); err != nil {
		t.Errorf("kept MarcaDaBollo: %v", err)
	}
	got := f.certificate(t, c.ID)
	if got.State != certificate.Issued || got.Stamp.ID != sp.IUBD || got.Stamp.Cents != 1600 {
		t.Fatalf("certificate %s, stamp %+v, IUBD %s", got.State, got.Stamp, sp.IUBD)
	}
	pdf, err := certificate.Open(ctx, f.issuer.Blobs, got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pdf, []byte("@e.bollo")) {
		t.Errorf("the PDF does not name the @e.bollo")
	}

	// Again: the receipt, the return page, the job.
	raw, r := f.receipt(t, f.ala, sp.Payment)
	if err := spec.Validate(raw); err != nil {
		t.Errorf("receipt outside paForNode.xsd: %v", err)
	}
	if out := f.ingest(t, f.ala, raw, r); out != payment.Duplicate {
		t.Errorf("receipt again: %s", out)
	}
	if _, err := f.stamps.Returned(ctx, f.ala.ente, f.ala.mario.ID, c.ID, payment.CheckoutReturned); err != nil {
		t.Fatal(err)
	}
	st, err := f.stamps.Settle(ctx, 10)
	if err != nil || st != (payment.SettleStats{}) {
		t.Errorf("settle after issuing: %+v %v", st, err)
	}
	if n := count(t, f.d, `SELECT COUNT(*) FROM protocol_entry WHERE ente_id = $1 AND subject LIKE $2`, f.ala.ente, "%"+c.Code+"%"); n != 1 {
		t.Errorf("%d protocol entries for the certificate, want 1", n)
	}
	if again := f.certificate(t, c.ID); again.DocumentSHA256 != got.DocumentSHA256 {
		t.Errorf("the certificate changed: %s → %s", got.DocumentSHA256, again.DocumentSHA256)
	}
	// The issuance is audited once, by the platform, naming the stamp.
	events, err := audit.List(ctx, f.d, f.ala.ente, audit.Filter{Subject: "certificate:" + strconv.FormatInt(int64(c.ID), 10),
		Action: "certificate.issued"})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Actor != (audit.Actor{Kind: audit.System, ID: "pagopa"}) ||
		!strings.HasSuffix(events[0].Detail, "marca da bollo digitale "+sp.IUBD) {
		t.Errorf("audit events of the issuance: %+v", events)
	}
}

// TestStampLaterByJob: paid at a tobacconist, with no return from
// Checkout: the poller fetches the receipt and the settling job issues
// the certificate.
func TestStampLaterByJob(t *testing.T) {
	f := setupStamps(t)
	c, _ := f.request(t)
	sp, err := payment.StampFor(ctx, f.d, f.ala.ente, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.sim.Pay(f.ala.fiscalCode, sp.Payment.NAV, pagopasim.Tobacconist); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Hour)
	if st, err := f.svc.Poll(ctx, 10); err != nil || st.Paid != 1 {
		t.Fatalf("poll: %+v %v", st, err)
	}
	st, err := f.stamps.Settle(ctx, 10)
	if diff := cmp.Diff(payment.SettleStats{Issued: 1}, st); diff != "" || err != nil {
		t.Errorf("settle mismatch (-want +got):\n%s %v", diff, err)
	}
	if got := f.certificate(t, c.ID); got.State != certificate.Issued {
		t.Errorf("certificate %s", got.State)
	}
}

// TestStampWrongDocument: the PSP's MarcaDaBollo is bound to another
// document: the certificate is not issued, the stamp says why, and
// nothing changes on later rounds.
func TestStampWrongDocument(t *testing.T) {
	f := setupStamps(t)
	c, payURL := f.request(t)
	sp, err := payment.StampFor(ctx, f.d, f.ala.ente, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.sim.AddFault(pagopasim.Fault{Op: "pay", Match: sp.Payment.NAV, Kind: pagopasim.WrongStamp})
	press(t, payURL, "paga")
	if sp, err = f.stamps.Returned(ctx, f.ala.ente, f.ala.mario.ID, c.ID, payment.CheckoutReturned); err != nil {
		t.Fatal(err)
	}
	if sp.State != payment.StampRejected || !strings.Contains(sp.Problem, "another document") || sp.Payment.State != payment.Paid {
		t.Errorf("stamp %s (%q), notice %s", sp.State, sp.Problem, sp.Payment.State)
	}
	if st, err := f.stamps.Settle(ctx, 10); err != nil || st != (payment.SettleStats{}) {
		t.Errorf("settle again: %+v %v", st, err)
	}
	got := f.certificate(t, c.ID)
	if got.State != certificate.AwaitingStamp || got.Stamp.ID != "" || got.StatusOn(calendar.DateOf(f.now)) != certificate.StatusPending {
		t.Errorf("certificate %s with stamp %q", got.State, got.Stamp.ID)
	}
	if _, err := certificate.Open(ctx, f.issuer.Blobs, got); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("a file for a certificate never issued: %v", err)
	}
	evs, err := payment.Events(ctx, f.d, f.ala.ente, sp.Payment.ID)
	if err != nil || evs[len(evs)-1].Kind != "stamp_rejected" {
		t.Errorf("events %+v %v", evs, err)
	}
}

// TestStampCancelled: the citizen cancels in Checkout; the stamp says so
// and stays payable; the retry pays the same notice and issues.
func TestStampCancelled(t *testing.T) {
	f := setupStamps(t)
	c, payURL := f.request(t)
	back := "https://ala.example/area-personale/certificati/" + strconv.FormatInt(int64(c.ID), 10)
	if got := press(t, payURL, "annulla"); got != back+"?pagamento=annullato" {
		t.Fatalf("cancelled, back to %s", got)
	}
	sp, err := f.stamps.Returned(ctx, f.ala.ente, f.ala.mario.ID, c.ID, payment.CheckoutCancelled)
	if err != nil {
		t.Fatal(err)
	}
	if sp.State != payment.StampAwaiting || sp.Payment.Checkout != payment.CheckoutCancelled || !sp.Payment.Payable() {
		t.Fatalf("after cancelling: stamp %s, checkout %s, notice %s", sp.State, sp.Payment.Checkout, sp.Payment.State)
	}
	again, err := f.stamps.Pay(ctx, f.ala.ente, f.ala.mario.ID, c.ID, back)
	if err != nil {
		t.Fatal(err)
	}
	press(t, again, "paga")
	if sp, err = f.stamps.Returned(ctx, f.ala.ente, f.ala.mario.ID, c.ID, payment.CheckoutReturned); err != nil {
		t.Fatal(err)
	}
	if sp.State != payment.StampIssued || f.certificate(t, c.ID).State != certificate.Issued {
		t.Errorf("after the retry: stamp %s (%s)", sp.State, sp.Problem)
	}
	if n := count(t, f.d, `SELECT COUNT(*) FROM payment WHERE ente_id = $1 AND taxonomy = $2`, f.ala.ente, payment.TaxonomyStamp); n != 1 {
		t.Errorf("%d stamp notices, want the same one", n)
	}
}
