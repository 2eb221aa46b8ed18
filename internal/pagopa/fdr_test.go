package pagopa_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/spec"
)

var rome = func() *time.Location {
	l, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err)
	}
	return l
}()

const fdrAPI = "openapi/fdr_organization.json"

func sampleFlow() pagopa.Flow {
	day := date(2026, 11, 28)
	f := pagopa.Flow{
		ID: pagopa.NewFlowID(day, "88888888888", 1), Revision: 1,
		Date:         time.Date(2026, 11, 28, 7, 15, 0, 0, time.UTC),
		RegulationID: "SCT-2026112800001", RegulationDate: day, BIC: "UNCRITMMXXX",
		Sender:   pagopa.FlowSender{Type: "BIC_CODE", ID: "BCITITMM", PSPID: "88888888888", Name: "Intesa Sanpaolo", BrokerID: "88888888888", Channel: "88888888888_01"},
		Receiver: pagopa.FlowReceiver{ID: "12345678903", FiscalCode: "12345678903", Name: "Comune di Roccafiorita"},
	}
	for i, l := range []struct {
		iuv      string
		transfer int
		amount   pagopa.Cents
		outcome  pagopa.FlowOutcome
	}{
		{"01000000000000144", 1, 1652, pagopa.FlowExecuted},
		{"01000000000000241", 1, 1600, pagopa.FlowExecutedNoRPT},
		{"01000000000000338", 2, 1000, pagopa.FlowRevoked},
	} {
		f.Payments = append(f.Payments, pagopa.FlowPayment{Index: int64(i + 1), IUV: l.iuv, IUR: "r" + string(rune('1'+i)), TransferID: l.transfer,
			Amount: l.amount, Outcome: l.outcome, Date: date(2026, 11, 26)})
		f.Total += l.amount
	}
	f.Count = 3
	return f
}

func timeEq(a, b time.Time) bool { return a.Equal(b) }

// TestFlowXML writes a flow, validates it against
// FlussoRiversamento_1_0_4.xsd and reads it back.
func TestFlowXML(t *testing.T) {
	f := sampleFlow()
	b, err := f.XML()
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(b); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if err := spec.Xmllint(b); err != nil && !errors.Is(err, spec.ErrNoXmllint) {
		t.Fatal(err)
	}
	got, err := pagopa.ParseFlowXML(b)
	if err != nil {
		t.Fatal(err)
	}
	want := f
	want.Revision = 0
	want.Sender = pagopa.FlowSender{Type: "BIC_CODE", ID: "BCITITMM", Name: "Intesa Sanpaolo"}
	if diff := cmp.Diff(want, got, cmp.Comparer(timeEq)); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

// TestFlowXMLByHand reads a flow written as PSPs write them.
func TestFlowXMLByHand(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "flusso.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(b); err != nil {
		t.Fatal(err)
	}
	got, err := pagopa.ParseFlowXML(b)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleFlow()
	want.Revision = 0
	want.Sender = pagopa.FlowSender{Type: "BIC_CODE", ID: "BCITITMM", Name: "Intesa Sanpaolo"}
	want.Date = time.Date(2026, 11, 28, 8, 15, 0, 0, rome)
	want.Payments[1].TransferID = 0
	want.Payments[1].Amount, want.Total = 1600, 4252
	want.Payments[2].Date = date(2026, 11, 27)
	if diff := cmp.Diff(want, got, cmp.Comparer(timeEq)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if p := got.Problems(); len(p) != 0 {
		t.Errorf("problems %q", p)
	}
}

// TestFlowREST writes a flow as the FdR REST API serves it, checks it
// against fdr_organization.json and reads it back.
func TestFlowREST(t *testing.T) {
	f := sampleFlow()
	flow, pages, err := f.REST(2, time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 {
		t.Fatalf("%d pages, want 2", len(pages))
	}
	if err := spec.CheckJSON(fdrAPI, "SingleFlowResponse", flow); err != nil {
		t.Errorf("%v\n%s", err, flow)
	}
	for _, p := range pages {
		if err := spec.CheckJSON(fdrAPI, "PaginatedPaymentsResponse", p); err != nil {
			t.Errorf("%v\n%s", err, p)
		}
	}
	got, err := pagopa.ParseFlowREST(flow, pages...)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f, got, cmp.Comparer(timeEq)); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
	// The checker itself must refuse what the API does not allow.
	if err := spec.CheckJSON(fdrAPI, "Payment", []byte(`{"index":0,"iuv":"x","iur":"y","idTransfer":6,"pay":1,"payStatus":"PAID"}`)); err == nil ||
		!strings.Contains(err.Error(), "payDate") || !strings.Contains(err.Error(), "PAID") || !strings.Contains(err.Error(), "above 5") {
		t.Errorf("CheckJSON on a bad payment: %v", err)
	}
}

func TestFlowInvalid(t *testing.T) {
	good, err := sampleFlow().XML()
	if err != nil {
		t.Fatal(err)
	}
	flow, pages, err := sampleFlow().REST(10, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	x := string(good)
	tests := []struct {
		name string
		run  func() error
	}{
		{"not XML", func() error { _, err := pagopa.ParseFlowXML([]byte("flusso")); return err }},
		{"other namespace", func() error {
			_, err := pagopa.ParseFlowXML([]byte(strings.Replace(x, "2011/Pagamenti/", "2012/Pagamenti/", 1)))
			return err
		}},
		{"unknown outcome", func() error {
			_, err := pagopa.ParseFlowXML([]byte(strings.Replace(x, "<codiceEsitoSingoloPagamento>3<", "<codiceEsitoSingoloPagamento>4<", 1)))
			return err
		}},
		{"amount with three decimals", func() error {
			_, err := pagopa.ParseFlowXML([]byte(strings.Replace(x, "<singoloImportoPagato>16.52<", "<singoloImportoPagato>16.525<", 1)))
			return err
		}},
		{"index 6", func() error {
			_, err := pagopa.ParseFlowXML([]byte(strings.Replace(x, "<indiceDatiSingoloPagamento>2<", "<indiceDatiSingoloPagamento>6<", 1)))
			return err
		}},
		{"REST amount in exponent form", func() error {
			_, err := pagopa.ParseFlowREST(flow, []byte(strings.Replace(string(pages[0]), `"pay":16.52`, `"pay":1.652e1`, 1)))
			return err
		}},
		{"REST unknown status", func() error {
			_, err := pagopa.ParseFlowREST(flow, []byte(strings.Replace(string(pages[0]), `"EXECUTED"`, `"PAID"`, 1)))
			return err
		}},
		{"REST without receiver", func() error {
			_, err := pagopa.ParseFlowREST([]byte(strings.Replace(string(flow), `"organizationId":"12345678903"`, `"organizationId":""`, 1)))
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); !errors.Is(err, pagopa.ErrInvalidFlow) || !apperr.Is(err, apperr.Invalid) {
				t.Errorf("err = %v, want ErrInvalidFlow", err)
			}
		})
	}
}

func TestFlowProblems(t *testing.T) {
	f := sampleFlow()
	f.Count, f.Total = 4, 1
	want := []string{
		"flow 2026-11-2888888888888-0000001 declares 4 payments and lists 3",
		"flow 2026-11-2888888888888-0000001 declares 0,01 € and its lines add up to 42,52 €",
	}
	if diff := cmp.Diff(want, f.Problems()); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
}

func TestReconcile(t *testing.T) {
	const a, b = "12345678903", "77777777777"
	rl := func(ente, iuv, id string, tr int, amount pagopa.Cents) pagopa.ReceiptLine {
		return pagopa.ReceiptLine{Ente: ente, IUV: iuv, ReceiptID: id, TransferID: tr, Amount: amount}
	}
	line := func(iuv, iur string, tr int, amount pagopa.Cents, o pagopa.FlowOutcome) pagopa.FlowPayment {
		return pagopa.FlowPayment{IUV: iuv, IUR: iur, TransferID: tr, Amount: amount, Outcome: o, Date: date(2026, 11, 26)}
	}
	receipts := []pagopa.ReceiptLine{
		rl(a, "IUV1", "r1", 1, 1652), // reported
		rl(a, "IUV2", "r2", 1, 1000), // amount differs
		rl(a, "IUV3", "r3", 1, 500),  // not reported yet
		rl(a, "IUV4", "r4", 1, 700),  // reported by a line without index
		rl(a, "IUV4", "r4", 2, 300),  // … and its second transfer by another
		rl(a, "IUV5", "r5", 1, 900),  // revoked
		rl(b, "IUV6", "r6", 1, 100),  // another ente's: a's flow cannot report it
		rl(a, "IUV7", "r7", 1, 200),  // reported, IUR differs
	}
	flows := []pagopa.Flow{{
		ID: "F1", Receiver: pagopa.FlowReceiver{FiscalCode: a}, Count: 10, Total: 1652 + 990 + 300 + 700 + 900 + 100 + 1652 + 5 + 200,
		Payments: []pagopa.FlowPayment{
			line("IUV1", "r1", 1, 1652, pagopa.FlowExecuted),
			line("IUV2", "r2", 1, 990, pagopa.FlowExecuted),
			line("IUV4", "r4", 0, 300, pagopa.FlowExecuted),
			line("IUV4", "r4", 0, 700, pagopa.FlowExecuted),
			line("IUV5", "r5", 1, 900, pagopa.FlowRevoked),
			line("IUV6", "r6", 1, 100, pagopa.FlowExecuted),
			line("IUV1", "r1", 1, 1652, pagopa.FlowExecuted), // reported twice
			line("IUV9", "r9", 1, 5, pagopa.FlowExecutedNoRPT),
			line("IUV7", "x7", 1, 200, pagopa.FlowStandIn),
		},
	}}
	for i := range flows[0].Payments {
		flows[0].Payments[i].Index = int64(i + 1)
	}
	fl := func(i int) pagopa.FlowLine {
		return pagopa.FlowLine{FlowID: "F1", Receiver: a, FlowPayment: flows[0].Payments[i]}
	}
	want := pagopa.Reconciliation{
		Reported: []pagopa.Match{
			{Receipt: receipts[0], Line: fl(0)},
			{Receipt: receipts[3], Line: fl(3)},
			{Receipt: receipts[4], Line: fl(2)},
			{Receipt: receipts[7], Line: fl(8), IURDiffers: true},
		},
		AmountMismatch: []pagopa.Match{{Receipt: receipts[1], Line: fl(1)}},
		Revoked:        []pagopa.Match{{Receipt: receipts[5], Line: fl(4)}},
		Unreported:     []pagopa.ReceiptLine{receipts[2], receipts[6]},
		Unmatched:      []pagopa.FlowLine{fl(5), fl(6), fl(7)},
		FlowProblems:   []string{"flow F1 declares 10 payments and lists 9"},
	}
	got := pagopa.Reconcile(receipts, flows)
	if diff := cmp.Diff(want, got, cmp.Comparer(timeEq)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(got, pagopa.Reconcile(receipts, flows), cmp.Comparer(timeEq)); diff != "" {
		t.Errorf("not deterministic:\n%s", diff)
	}
}

func FuzzParseFlowXML(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "flusso.xml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	g, _ := sampleFlow().XML()
	f.Add(g)
	f.Fuzz(func(t *testing.T, b []byte) {
		fl, err := pagopa.ParseFlowXML(b)
		if err != nil {
			return
		}
		// What parses writes back and parses to the same flow.
		out, err := fl.XML()
		if err != nil {
			return // an amount the XML cannot carry
		}
		again, err := pagopa.ParseFlowXML(out)
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, out)
		}
		if len(again.Payments) != len(fl.Payments) || again.Total != fl.Total {
			t.Fatalf("round trip changed the flow")
		}
	})
}

func FuzzParseFlowREST(f *testing.F) {
	flow, pages, err := sampleFlow().REST(2, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(flow, pages[0])
	f.Fuzz(func(t *testing.T, flow, page []byte) {
		_, _ = pagopa.ParseFlowREST(flow, page)
	})
}

// BenchmarkReconcile matches 100,000 receipts with the flows that report
// them.
func BenchmarkReconcile(b *testing.B) {
	const n = 100_000
	receipts := make([]pagopa.ReceiptLine, n)
	flows := make([]pagopa.Flow, n/1000)
	for i := range receipts {
		iuv := strings.Repeat("0", 10) + time.Duration(i).String()
		receipts[i] = pagopa.ReceiptLine{Ente: "12345678903", IUV: iuv, ReceiptID: iuv, TransferID: 1, Amount: 100}
		fl := &flows[i/1000]
		fl.ID, fl.Receiver.FiscalCode = "F", "12345678903"
		fl.Payments = append(fl.Payments, pagopa.FlowPayment{IUV: iuv, IUR: iuv, TransferID: 1, Amount: 100, Outcome: pagopa.FlowExecuted})
	}
	for b.Loop() {
		if r := pagopa.Reconcile(receipts, flows); len(r.Reported) != n {
			b.Fatal(len(r.Reported))
		}
	}
}
