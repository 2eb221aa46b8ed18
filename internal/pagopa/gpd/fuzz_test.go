package gpd_test

import (
	"testing"

	"github.com/sportello/sportello/internal/pagopa/gpd"
)

// FuzzParseReceipt: any input either fails cleanly or yields a receipt
// whose keys are well formed.
func FuzzParseReceipt(f *testing.F) {
	rt := gpd.SendRT{IDPA: ec, Receipt: gpd.Receipt{ReceiptID: "abc", NoticeNumber: "301000000000000144", FiscalCode: ec,
		Outcome: "OK", CreditorReferenceID: "01000000000000144", PaymentAmount: "16.52", PaymentDateTime: "2026-03-02T09:00:00.000Z"}}
	b, err := rt.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` + string(b[len(`<?xml version="1.0" encoding="UTF-8"?>`):]) + `</soap:Body></soap:Envelope>`))
	f.Add([]byte(`<paSendRTReq><receipt><receiptId>x</receiptId></receipt></paSendRTReq>`))
	f.Add([]byte(`<other/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := gpd.ParseReceipt(data)
		if err != nil {
			return
		}
		if len(r.FiscalCode) != 11 || len(r.NoticeNumber) != 18 || r.ReceiptID == "" || r.CreditorReferenceID == "" {
			t.Fatalf("accepted a receipt with malformed keys: %+v", r)
		}
		if _, err := r.Amount(); err != nil {
			t.Fatalf("accepted an unreadable amount: %v", err)
		}
	})
}

func TestParseReceiptRoundTrip(t *testing.T) {
	rt := gpd.SendRT{IDPA: ec, IDBrokerPA: "b", IDStation: "s", Receipt: gpd.Receipt{ReceiptID: "abc", NoticeNumber: "301000000000000144",
		FiscalCode: ec, Outcome: "OK", CreditorReferenceID: "01000000000000144", PaymentAmount: "16.52", PaymentDateTime: "2026-03-02T09:00:00.000Z"}}
	b, err := rt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	r, err := gpd.ParseReceipt(b)
	if err != nil {
		t.Fatal(err)
	}
	if at, err := r.PaidAt(); err != nil || !at.Equal(t0) {
		t.Errorf("PaidAt = %v, %v; want %v", at, err, t0)
	}
	for _, bad := range []string{"", "<x/>", "<paSendRTV2Request><receipt/></paSendRTV2Request>"} {
		if _, err := gpd.ParseReceipt([]byte(bad)); err == nil {
			t.Errorf("ParseReceipt(%q) accepted", bad)
		}
	}
}
