package fdr_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/fdr"
	"github.com/sportello/sportello/internal/pagopa/spec"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
)

const fdrAPI = "openapi/fdr_organization.json"

// checked validates every answer of the API against its OpenAPI schema.
type checked struct {
	t    *testing.T
	next http.RoundTripper
}

func (c checked) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := c.next.RoundTrip(r)
	if err != nil || res.StatusCode != http.StatusOK {
		return res, err
	}
	b, _ := io.ReadAll(res.Body)
	res.Body = io.NopCloser(bytes.NewReader(b))
	schema := "SingleFlowResponse"
	switch {
	case bytes.HasSuffix([]byte(r.URL.Path), []byte("/fdrs")):
		schema = "PaginatedFlowsResponse"
	case bytes.HasSuffix([]byte(r.URL.Path), []byte("/payments")):
		schema = "PaginatedPaymentsResponse"
	}
	if err := spec.CheckJSON(fdrAPI, schema, b); err != nil {
		c.t.Errorf("%s: %s: %v", r.URL.Path, schema, err)
	}
	return res, nil
}

// TestListAndGet reads flows from the simulator through the client: the
// list after a date, then a flow of 1,500 lines over two pages.
func TestListAndGet(t *testing.T) {
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	sim := pagopasim.New(pagopasim.Options{Key: "k", Now: func() time.Time { return now }})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := fdr.New(fdr.Options{URL: srv.URL + "/fdr-org/service/v1", Key: "k", HTTP: &http.Client{Transport: checked{t, http.DefaultTransport}}})
	if err != nil {
		t.Fatal(err)
	}
	f := pagopa.Flow{ID: pagopa.NewFlowID(now, "88888888888", 1), Date: now, RegulationID: "SCT1", RegulationDate: now.Truncate(24 * time.Hour),
		Sender:   pagopa.FlowSender{Type: "LEGAL_PERSON", ID: "88888888888", PSPID: "88888888888", Name: "PSP", BrokerID: "88888888888", Channel: "88888888888_01"},
		Receiver: pagopa.FlowReceiver{ID: "00299740228", FiscalCode: "00299740228", Name: "Comune di Ala"}}
	for i := 1; i <= 1500; i++ {
		f.Payments = append(f.Payments, pagopa.FlowPayment{Index: int64(i), IUV: "0100000000" + pad(i), IUR: "r" + pad(i), TransferID: 1,
			Amount: 1600, Outcome: pagopa.FlowExecuted, Date: now.Truncate(24 * time.Hour)})
		f.Count++
		f.Total += 1600
	}
	sim.AddFlow("00299740228", f)
	ctx := context.Background()
	refs, err := c.List(ctx, "00299740228", now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || refs[0].FlowID != f.ID || refs[0].Revision != 1 || !refs[0].Published.Equal(now) {
		t.Fatalf("list: %+v", refs)
	}
	if later, err := c.List(ctx, "00299740228", now); err != nil || len(later) != 0 {
		t.Errorf("list after the publication: %+v, %v", later, err)
	}
	if other, err := c.List(ctx, "00338140223", time.Time{}); err != nil || len(other) != 0 {
		t.Errorf("another ente's list: %+v, %v", other, err)
	}
	got, raw, pages, err := c.Get(ctx, "00299740228", refs[0])
	if err != nil {
		t.Fatal(err)
	}
	f.Revision = 1
	if diff := cmp.Diff(f, got); diff != "" {
		t.Errorf("flow mismatch (-want +got):\n%s", diff)
	}
	if len(raw) == 0 || len(pages) != 2 {
		t.Errorf("flow as received: %d bytes, %d pages", len(raw), len(pages))
	}
	bad, err := fdr.New(fdr.Options{URL: srv.URL + "/fdr-org/service/v1", Key: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.List(ctx, "00299740228", time.Time{}); err == nil {
		t.Error("a wrong key was accepted")
	}
}

func pad(i int) string {
	s := "0000000" + itoa(i)
	return s[len(s)-7:]
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
