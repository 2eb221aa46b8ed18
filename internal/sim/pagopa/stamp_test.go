package pagopasim_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/bollo"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	"github.com/sportello/sportello/internal/pagopa/spec"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
)

// TestStampReceipt: a notice whose transfer is a stamp is paid with a
// MarcaDaBollo bound to the position's document hash, valid against
// MarcaDaBollo.xsd and signed; with the wrong-stamp fault on its notice
// number the PSP sells it for another document, and Verify says so.
func TestStampReceipt(t *testing.T) {
	doc := sha256.Sum256([]byte("certificato 8 n. 0000-0000-0000-0001"))
	tests := []struct {
		name    string
		fault   bool
		wantErr error
	}{
		{"bound to the document", false, nil},
		{"sold for another document", true, bollo.ErrDocument},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim, _, g, _, _ := setup(t)
			v, _ := pagopa.NewIUV(1, int64(100+i))
			tr, err := bollo.NewTransfer(doc[:], "TN")
			if err != nil {
				t.Fatal(err)
			}
			p := &gpd.Position{IUPD: "bollo-" + v.String(), Type: "F", FiscalCode: "RSSMRA80A01H501U", FullName: "Mario Rossi",
				CompanyName: "Comune di Ala", Options: []gpd.Option{{IUV: v.String(), Amount: 1600, Description: "Imposta di bollo",
					DueDate: t0.Add(24 * time.Hour), Transfers: []gpd.Transfer{{ID: "1", Amount: 1600, RemittanceInformation: "Imposta di bollo",
						Category: "9/0301116TS/", Stamp: &gpd.Stamp{HashDocument: tr.HashDocument, StampType: tr.StampType,
							ProvincialResidence: tr.ProvincialResidence}}}}}}
			if _, err := g.Create(context.Background(), ec, p, true); err != nil {
				t.Fatal(err)
			}
			if tc.fault {
				sim.AddFault(pagopasim.Fault{Op: "pay", Match: v.NAV().String(), Kind: pagopasim.WrongStamp, Times: 1})
			}
			if _, err := sim.Pay(ec, v.NAV().String(), pagopasim.Tobacconist); err != nil {
				t.Fatal(err)
			}
			raw, r, err := g.ReceiptXML(context.Background(), ec, v.String())
			if err != nil {
				t.Fatal(err)
			}
			if err := spec.Validate(raw); err != nil {
				t.Errorf("receipt outside paForNode.xsd: %v", err)
			}
			mbd, err := base64.StdEncoding.DecodeString(r.TransferList.Transfer[0].MBDAttachment)
			if err != nil {
				t.Fatal(err)
			}
			if err := spec.Validate(mbd); err != nil {
				t.Errorf("MarcaDaBollo outside MarcaDaBollo.xsd: %v\n%s", err, mbd)
			}
			st, err := bollo.Verify(mbd, doc[:])
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tc.wantErr)
			}
			if err == nil && (st.Amount != 1600 || st.IUBD == "") {
				t.Errorf("stamp %+v", st)
			}
		})
	}
}
