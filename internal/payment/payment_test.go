package payment_test

import (
	"database/sql"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/pratica"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
)

// TestFeePaidAtTobacconist: the notice of a pratica's fee is published,
// paid at a counter with no Checkout, and the poller's receipt moves the
// pratica on by itself.
func TestFeePaidAtTobacconist(t *testing.T) {
	f := setup(t)
	pr, p := f.submitted(t, f.ala, 5000)
	if pr.State != pratica.AwaitingPayment || p.State != payment.Pending || !strings.HasPrefix(p.NAV, "301") {
		t.Fatalf("after submit: pratica %s, payment %s %s", pr.State, p.State, p.NAV)
	}
	if err := f.svc.Publish(ctx, f.ala.ente, p.IUPD); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.sim.Status(f.ala.fiscalCode, p.IUPD); got != gpd.Valid {
		t.Fatalf("platform status %q, want VALID", got)
	}
	if p = f.get(t, f.ala, p.ID); p.State != payment.Open || p.PlatformStatus != "VALID" {
		t.Fatalf("after publish: %s/%s", p.State, p.PlatformStatus)
	}
	// Polling before the payment changes nothing.
	if st, err := f.svc.Poll(ctx, 10); err != nil || st.Paid != 0 || st.Checked != 1 {
		t.Fatalf("poll before paying: %+v %v", st, err)
	}
	if _, err := f.sim.Pay(f.ala.fiscalCode, p.NAV, pagopasim.Tobacconist); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Hour)
	if st, err := f.svc.Poll(ctx, 10); err != nil || st.Paid != 1 {
		t.Fatalf("poll after paying: %+v %v", st, err)
	}
	p = f.get(t, f.ala, p.ID)
	if p.State != payment.Paid || p.PaidAt.IsZero() {
		t.Errorf("payment %s paid at %v", p.State, p.PaidAt)
	}
	if got := f.pratica(t, f.ala, pr.ID).State; got != pratica.Submitted {
		t.Errorf("pratica %s, want %s", got, pratica.Submitted)
	}
	rs, err := payment.Receipts(ctx, f.d, f.ala.ente, p.ID)
	if err != nil || len(rs) != 1 || rs[0].PSP != pagopasim.Tobacconist.PSPName || rs[0].Amount != 5000 {
		t.Fatalf("receipts: %v %+v", err, rs)
	}
	if _, err := gpd.ParseReceipt(rs[0].Document); err != nil {
		t.Errorf("stored receipt does not parse: %v", err)
	}
	// Idempotent submission: the same pratica gets the same notice.
	err = f.d.InTx(ctx, func(tx *sql.Tx) error {
		again, err := payment.ForPratica(ctx, tx, nil, f.pratica(t, f.ala, pr.ID), f.now)
		if err == nil && (len(again) != 1 || again[0].ID != p.ID) {
			t.Errorf("ForPratica again: %d notices", len(again))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSameReceipt100Times: one receipt, one payment, one move of the
// pratica, however often it is delivered.
func TestSameReceipt100Times(t *testing.T) {
	f := setup(t)
	pr, p := f.submitted(t, f.ala, 1652)
	if err := f.svc.Publish(ctx, f.ala.ente, p.IUPD); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sim.Pay(f.ala.fiscalCode, p.NAV, pagopasim.Tobacconist); err != nil {
		t.Fatal(err)
	}
	raw, r := f.receipt(t, f.ala, p)
	var outs []payment.Outcome
	for range 100 {
		outs = append(outs, f.ingest(t, f.ala, raw, r))
	}
	if outs[0] != payment.Recorded {
		t.Errorf("first delivery: %s", outs[0])
	}
	for i, o := range outs[1:] {
		if o != payment.Duplicate {
			t.Fatalf("delivery %d: %s, want duplicate", i+2, o)
		}
	}
	if n := count(t, f.d, `SELECT COUNT(*) FROM payment_receipt WHERE ente_id = $1`, f.ala.ente); n != 1 {
		t.Errorf("%d receipts stored, want 1", n)
	}
	if n := count(t, f.d, `SELECT COUNT(*) FROM payment_event WHERE ente_id = $1 AND to_state = 'paid' AND from_state <> 'paid'`, f.ala.ente); n != 1 {
		t.Errorf("%d payments, want 1", n)
	}
	if n := count(t, f.d, `SELECT COUNT(*) FROM pratica_event WHERE ente_id = $1 AND pratica_id = $2 AND kind = 'pay'`, f.ala.ente, pr.ID); n != 1 {
		t.Errorf("pratica paid %d times, want 1", n)
	}
}

// TestCrashBeforeAcknowledging: the receipt is received but the
// transaction never commits (the process dies); the re-delivery records
// it in full.
func TestCrashBeforeAcknowledging(t *testing.T) {
	f := setup(t)
	pr, p := f.submitted(t, f.ala, 1652)
	if err := f.svc.Publish(ctx, f.ala.ente, p.IUPD); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sim.Pay(f.ala.fiscalCode, p.NAV, pagopasim.Tobacconist); err != nil {
		t.Fatal(err)
	}
	raw, r := f.receipt(t, f.ala, p)
	crash := errors.New("process killed")
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		out, err := payment.Ingest(ctx, tx, f.cal, f.ala.ente, raw, r, payment.SourceStation, f.now)
		if err != nil || out != payment.Recorded {
			t.Fatalf("ingest in the doomed transaction: %s %v", out, err)
		}
		return crash
	})
	if !errors.Is(err, crash) {
		t.Fatal(err)
	}
	if got := f.get(t, f.ala, p.ID).State; got != payment.Open {
		t.Fatalf("after the crash: %s, want open", got)
	}
	// The platform delivers again (the poller asks again).
	if st, err := f.svc.Poll(ctx, 10); err != nil || st.Paid != 1 {
		t.Fatalf("redelivery: %+v %v", st, err)
	}
	if got := f.pratica(t, f.ala, pr.ID).State; got != pratica.Submitted {
		t.Errorf("pratica %s after redelivery", got)
	}
	if out := f.ingest(t, f.ala, raw, r); out != payment.Duplicate {
		t.Errorf("a third delivery: %s, want duplicate", out)
	}
}

// TestEntiAndCitizensApart: another ente never sees the notice or its
// receipt; another citizen gets NotFound.
func TestEntiAndCitizensApart(t *testing.T) {
	f := setup(t)
	_, p := f.submitted(t, f.ala, 1652)
	_, q := f.submitted(t, f.avio, 1652)
	if p.IUV != q.IUV {
		t.Logf("IUVs differ across enti: %s %s", p.IUV, q.IUV)
	}
	if _, err := payment.Get(ctx, f.d, f.avio.ente, p.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("avio reads ala's payment: %v", err)
	}
	if _, err := payment.GetForCitizen(ctx, f.d, f.ala.ente, f.ala.giulia.ID, p.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("giulia reads mario's payment: %v", err)
	}
	if _, err := payment.GetForCitizen(ctx, f.d, f.ala.ente, f.ala.mario.ID, p.ID); err != nil {
		t.Errorf("mario reads his own: %v", err)
	}
	mine, _ := payment.ForCitizen(ctx, f.d, f.ala.ente, f.ala.mario.ID)
	theirs, _ := payment.ForCitizen(ctx, f.d, f.ala.ente, f.ala.giulia.ID)
	if len(mine) != 1 || len(theirs) != 0 {
		t.Errorf("lists: mario %d, giulia %d", len(mine), len(theirs))
	}
	// Ala's receipt ingested for Avio pays nothing of Avio's (the same IUV
	// there is Avio's own notice, but the receipt's ente is Ala).
	for _, s := range []side{f.ala, f.avio} {
		pp := p
		if s.ente == f.avio.ente {
			pp = q
		}
		if err := f.svc.Publish(ctx, s.ente, pp.IUPD); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.sim.Pay(f.ala.fiscalCode, p.NAV, pagopasim.Tobacconist); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Poll(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, f.avio, q.ID).State; got != payment.Open {
		t.Errorf("avio's notice %s after ala's payment", got)
	}
	if n := count(t, f.d, `SELECT COUNT(*) FROM payment_receipt WHERE ente_id = $1`, f.avio.ente); n != 0 {
		t.Errorf("avio holds %d receipts", n)
	}
}

// TestOverride: only with a reason, audited; a later receipt does not pay
// twice.
func TestOverride(t *testing.T) {
	f := setup(t)
	pr, p := f.submitted(t, f.ala, 1652)
	if err := f.svc.Publish(ctx, f.ala.ente, p.IUPD); err != nil {
		t.Fatal(err)
	}
	override := func(reason string) error {
		return f.d.InTx(ctx, func(tx *sql.Tx) error {
			_, err := payment.Override(ctx, tx, f.cal, f.ala.ente, p.ID, payment.OverrideInput{Operator: f.ala.clerk,
				OperatorName: "Ragioneria", Reason: reason, IP: "192.0.2.7"}, f.now)
			return err
		})
	}
	if err := override("   ok  "); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("override without a reason: %v", err)
	}
	if err := override("Bonifico visto sul conto di tesoreria il 3/3"); err != nil {
		t.Fatal(err)
	}
	if got := f.pratica(t, f.ala, pr.ID).State; got != pratica.Submitted {
		t.Errorf("pratica %s after override", got)
	}
	evs, err := audit.List(ctx, f.d, f.ala.ente, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, string(e.Action)+" "+e.Subject+" "+e.Detail)
	}
	want := []string{"payment.override payment:" + itoa(int64(p.ID)) + " Bonifico visto sul conto di tesoreria il 3/3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit mismatch (-want +got):\n%s", diff)
	}
	if err := override("Seconda volta, per errore"); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("second override: %v", err)
	}
	// The citizen had paid after all: the receipt is kept, nothing paid twice.
	if _, err := f.sim.Pay(f.ala.fiscalCode, p.NAV, pagopasim.Tobacconist); err != nil {
		t.Fatal(err)
	}
	raw, r := f.receipt(t, f.ala, p)
	if out := f.ingest(t, f.ala, raw, r); out != payment.AlreadyPaid {
		t.Errorf("receipt after override: %s", out)
	}
}

// TestInstallments: a school canteen in three installments; the first one
// paid closes the payment in full; the position settles with the third.
func TestInstallments(t *testing.T) {
	f := setup(t)
	var ps []*payment.Payment
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		ps, err = payment.Spontaneous(ctx, tx, nil, f.ala.ente, payment.SpontaneousInput{Citizen: f.ala.mario, Item: "mensa",
			Reason: "Luca Rossi, 2B", Installments: 3}, f.now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var amounts []int64
	for _, p := range ps {
		amounts = append(amounts, p.Amount)
	}
	if diff := cmp.Diff([]int64{30000, 10000, 10000, 10000}, amounts); diff != "" {
		t.Fatalf("amounts mismatch (-want +got):\n%s", diff)
	}
	if err := f.svc.Publish(ctx, f.ala.ente, ps[0].IUPD); err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		status gpd.Status
		states []payment.State
	}{
		{gpd.PartiallyPaid, []payment.State{payment.Settled, payment.Paid, payment.Open, payment.Open}},
		{gpd.PartiallyPaid, []payment.State{payment.Settled, payment.Paid, payment.Paid, payment.Open}},
		{gpd.Paid, []payment.State{payment.Settled, payment.Paid, payment.Paid, payment.Paid}},
	} {
		if _, err := f.sim.Pay(f.ala.fiscalCode, ps[i+1].NAV, pagopasim.Tobacconist); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Poll(ctx, 10); err != nil {
			t.Fatal(err)
		}
		var got []payment.State
		for _, p := range ps {
			got = append(got, f.get(t, f.ala, p.ID).State)
		}
		if diff := cmp.Diff(want.states, got); diff != "" {
			t.Errorf("installment %d: states mismatch (-want +got):\n%s", i+1, diff)
		}
		if st, _ := f.sim.Status(f.ala.fiscalCode, ps[0].IUPD); st != want.status {
			t.Errorf("installment %d: platform %s, want %s", i+1, st, want.status)
		}
	}
	if _, err := f.sim.Pay(f.ala.fiscalCode, ps[0].NAV, pagopasim.Tobacconist); !errors.Is(err, pagopasim.ErrDuplicate) {
		t.Errorf("paying in full after the installments: %v", err)
	}
}

// TestCheckout: the citizen pays through Checkout; the return page's hint,
// then the receipt. Cancelling says so and can be retried.
func TestCheckout(t *testing.T) {
	f := setup(t)
	pr, p := f.submitted(t, f.ala, 1652)
	back := payment.ReturnURLs{OK: "https://ala.example/ok", Cancel: "https://ala.example/annullato", Error: "https://ala.example/errore"}
	// Giulia cannot pay Mario's notice.
	if _, err := f.svc.StartCheckout(ctx, f.ala.ente, f.ala.giulia.ID, p.ID, back); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("giulia's checkout: %v", err)
	}
	press := func(button string) string {
		loc, err := f.svc.StartCheckout(ctx, f.ala.ente, f.ala.mario.ID, p.ID, back)
		if err != nil {
			t.Fatal(err)
		}
		res, err := browser.PostForm(loc.String(), url.Values{"azione": {button}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.Header.Get("Location")
	}
	// The position is published on demand: the publish job had not run.
	if got := press("annulla"); got != back.Cancel {
		t.Fatalf("cancel went to %s", got)
	}
	got, err := f.svc.RecordReturn(ctx, f.ala.ente, f.ala.mario.ID, p.ID, payment.CheckoutCancelled)
	if err != nil || got.Checkout != payment.CheckoutCancelled || got.State != payment.Open {
		t.Fatalf("after cancel: %v %+v", err, got)
	}
	if got := press("paga"); got != back.OK {
		t.Fatalf("pay went to %s", got)
	}
	got, err = f.svc.RecordReturn(ctx, f.ala.ente, f.ala.mario.ID, p.ID, payment.CheckoutReturned)
	if err != nil || got.State != payment.Paid {
		t.Fatalf("after paying: %v %s", err, got.State)
	}
	if st := f.pratica(t, f.ala, pr.ID).State; st != pratica.Submitted {
		t.Errorf("pratica %s", st)
	}
	if _, err := f.svc.StartCheckout(ctx, f.ala.ente, f.ala.mario.ID, p.ID, back); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("paying a paid notice: %v", err)
	}
}

// TestRefusedForGood: a position the platform refuses (an IBAN it does not
// know) fails with the reason, without retrying forever.
func TestRefusedForGood(t *testing.T) {
	f := setup(t)
	_, p := f.submitted(t, f.ala, 1652)
	if _, err := f.d.ExecContext(ctx, `UPDATE payment SET taxonomy = 'IMU' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Publish(ctx, f.ala.ente, p.IUPD); err != nil {
		t.Fatal(err)
	}
	got := f.get(t, f.ala, p.ID)
	if got.State != payment.Failed || !strings.Contains(got.LastError, "category") {
		t.Errorf("refused: %s %q", got.State, got.LastError)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
