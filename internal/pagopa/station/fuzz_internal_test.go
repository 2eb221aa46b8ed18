package station

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeResponse feeds the payer's side arbitrary answers: each is
// decoded as every response element and, when it decodes, its data read as
// the payer would; nothing may panic.
func FuzzDecodeResponse(f *testing.F) {
	for _, name := range []string{"verify_res", "get_res", "sendrt_res"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".golden.xml"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v verifyRes
		_ = decodeResponse(b, opVerifyRes, &v)
		var g getRes
		if decodeResponse(b, opGetRes, &g) == nil && g.Data != nil {
			_, _ = positionFromWire(*g.Data)
		}
		var s sendRTRes
		if decodeResponse(b, opSendRTRes, &s) == nil {
			_ = outcome(s.Outcome, s.Fault)
		}
	})
}

// FuzzReceiptFromWire: whatever a receipt holds, reading it either fails
// or gives a receipt whose transfers add up to its amount.
func FuzzReceiptFromWire(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "sendrt_req.golden.xml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		d, start, err := openBody(b)
		if err != nil {
			return
		}
		var req sendRTReq
		if d.DecodeElement(&req, &start) != nil {
			return
		}
		r, err := receiptFromWire(req.Receipt)
		if err != nil {
			return
		}
		var sum int64
		for _, t := range r.Transfers {
			sum += int64(t.Amount)
		}
		if sum != int64(r.Amount) {
			t.Fatalf("transfers %d, amount %d", sum, r.Amount)
		}
	})
}
