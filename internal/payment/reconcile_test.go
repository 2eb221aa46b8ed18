package payment_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/fdr"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	"github.com/sportello/sportello/internal/payment"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
)

// paidAtCounter publishes a pratica's notice, pays it at the simulator's
// counter and ingests the receipt; it returns the receipt.
func (f *fixture) paidAtCounter(t *testing.T, s side, fee int64) (*payment.Payment, *gpd.Receipt) {
	t.Helper()
	_, p := f.submitted(t, s, fee)
	if err := f.svc.Publish(ctx, s.ente, p.IUPD); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sim.Pay(s.fiscalCode, p.NAV, pagopasim.Tobacconist); err != nil {
		t.Fatal(err)
	}
	raw, r := f.receipt(t, s, p)
	if out := f.ingest(t, s, raw, r); out != payment.Recorded {
		t.Fatalf("ingest: %s", out)
	}
	return f.get(t, s, p.ID), r
}

// TestReconcile fetches flows from the simulator's FdR API through the
// client production uses: a line for each receipt's transfer marks its
// notice reported; a line with another amount, a line for a payment the
// ente never issued and a receipt no flow reports are what the finance
// office sees; the other ente sees none of it; fetching again adds nothing.
func TestReconcile(t *testing.T) {
	f := setup(t)
	c, err := fdr.New(fdr.Options{URL: f.srv.URL + "/fdr-org/service/v1", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.FdR = c
	good, rGood := f.paidAtCounter(t, f.ala, 1600)
	short, rShort := f.paidAtCounter(t, f.ala, 2500)
	waiting, rWaiting := f.paidAtCounter(t, f.ala, 900)
	day := f.now.Truncate(24 * time.Hour)
	flow := pagopa.Flow{ID: pagopa.NewFlowID(day, "SIM_TABACCHI", 1), Date: f.now, RegulationID: "SCT0001", RegulationDate: day,
		Sender:   pagopa.FlowSender{Type: "LEGAL_PERSON", ID: "SIM_TABACCHI", PSPID: "SIM_TABACCHI", Name: "Tabaccheria simulata"},
		Receiver: pagopa.FlowReceiver{ID: f.ala.fiscalCode, FiscalCode: f.ala.fiscalCode, Name: "Comune di ala"},
		Payments: []pagopa.FlowPayment{
			{Index: 1, IUV: good.IUV, IUR: rGood.ReceiptID, TransferID: 1, Amount: 1600, Outcome: pagopa.FlowExecuted, Date: day},
			{Index: 2, IUV: short.IUV, IUR: rShort.ReceiptID, TransferID: 1, Amount: 2400, Outcome: pagopa.FlowExecuted, Date: day},
			{Index: 3, IUV: "01999999999999999", IUR: "nobody", TransferID: 1, Amount: 700, Outcome: pagopa.FlowExecuted, Date: day},
		},
		Count: 3, Total: 1600 + 2400 + 700}
	f.sim.AddFlow(f.ala.fiscalCode, flow)
	// The same flow, once more and under another PSP, reports the good
	// receipt twice: the second report is unmatched.
	again := flow
	again.ID, again.Sender.PSPID = pagopa.NewFlowID(day, "SIM_BANCA", 1), "SIM_BANCA"
	again.Payments, again.Count, again.Total = flow.Payments[:1], 1, 1600
	f.now = f.now.Add(time.Minute)
	f.sim.AddFlow(f.ala.fiscalCode, again)

	st, err := f.svc.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(payment.ReconcileStats{Flows: 2, Lines: 4}, st); diff != "" {
		t.Errorf("stats mismatch (-want +got):\n%s", diff)
	}
	if st, err := f.svc.Reconcile(ctx); err != nil || st != (payment.ReconcileStats{}) {
		t.Errorf("second round: %+v, %v", st, err)
	}
	type notice struct {
		IUV      string
		Reported bool
	}
	var got []notice
	for _, p := range []*payment.Payment{good, short, waiting} {
		got = append(got, notice{p.IUV, !f.get(t, f.ala, p.ID).ReportedAt.IsZero()})
	}
	if diff := cmp.Diff([]notice{{good.IUV, true}, {short.IUV, false}, {waiting.IUV, false}}, got); diff != "" {
		t.Errorf("reported notices mismatch (-want +got):\n%s", diff)
	}

	rep, err := payment.ReconciliationSince(ctx, f.d, f.ala.ente, day.AddDate(0, 0, -30))
	if err != nil {
		t.Fatal(err)
	}
	type flowRow struct {
		FlowID                             string
		Count, Total, Lines, Reported, Amt int64
	}
	var flows []flowRow
	for _, x := range rep.Flows {
		flows = append(flows, flowRow{x.FlowID, x.Count, x.Total, x.Lines, x.Reported, x.ReportedAmount})
	}
	if diff := cmp.Diff([]flowRow{{again.ID, 1, 1600, 1, 0, 0}, {flow.ID, 3, 4700, 3, 1, 1600}}, flows); diff != "" {
		t.Errorf("flows mismatch (-want +got):\n%s", diff)
	}
	type issue struct {
		IUV              string
		Amount, Expected int64
		Status           payment.LineStatus
	}
	var issues []issue
	for _, x := range rep.Issues {
		issues = append(issues, issue{x.IUV, x.Amount, x.Expected, x.Status})
	}
	want := []issue{{good.IUV, 1600, 0, payment.LineUnmatched}, {short.IUV, 2400, 2500, payment.LineAmount}, {"01999999999999999", 700, 0, payment.LineUnmatched}}
	if diff := cmp.Diff(want, issues); diff != "" {
		t.Errorf("issues mismatch (-want +got):\n%s", diff)
	}
	var unreported []string
	for _, u := range rep.Unreported {
		unreported = append(unreported, u.ReceiptID)
	}
	if diff := cmp.Diff([]string{rWaiting.ReceiptID}, unreported); diff != "" {
		t.Errorf("unreported receipts mismatch (-want +got):\n%s", diff)
	}
	if rep.FlowsTotal != 6300 || rep.ReportedTotal != 1600 || rep.UnreportedTotal != 900 {
		t.Errorf("totals %d, %d, %d", rep.FlowsTotal, rep.ReportedTotal, rep.UnreportedTotal)
	}
	other, err := payment.ReconciliationSince(ctx, f.d, f.avio.ente, day.AddDate(0, 0, -30))
	if err != nil {
		t.Fatal(err)
	}
	if len(other.Flows)+len(other.Issues)+len(other.Unreported) != 0 {
		t.Errorf("avio sees ala's reconciliation: %+v", other)
	}
}

// TestReconcileSimulatorFlows: the demo's simulator makes a flow per PSP
// from its receipts; every notice paid is then reported.
func TestReconcileSimulatorFlows(t *testing.T) {
	f := setup(t)
	c, err := fdr.New(fdr.Options{URL: f.srv.URL + "/fdr-org/service/v1", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.FdR = c
	a, _ := f.paidAtCounter(t, f.ala, 1600)
	b, _ := f.paidAtCounter(t, f.ala, 3200)
	if n := f.sim.PublishFlows(); n != 1 {
		t.Fatalf("%d flows published, want 1", n)
	}
	if _, err := f.svc.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*payment.Payment{a, b} {
		if f.get(t, f.ala, p.ID).ReportedAt.IsZero() {
			t.Errorf("notice %s not reported", p.IUV)
		}
	}
}
