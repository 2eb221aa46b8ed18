package bollo_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/bollo"
	"github.com/sportello/sportello/internal/pagopa/spec"
	"github.com/sportello/sportello/internal/pagopa/station"
)

var (
	at   = time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)
	doc  = sha256.Sum256([]byte("%PDF-1.7 certificato di residenza"))
	once sync.Once
	sell *bollo.Seller
)

func seller(t testing.TB) *bollo.Seller {
	once.Do(func() {
		var err error
		if sell, err = bollo.NewSimulatorSeller("00799960158", "Intesa Sanpaolo", at.AddDate(0, -1, 0)); err != nil {
			t.Fatal(err)
		}
	})
	return sell
}

func TestSellVerify(t *testing.T) {
	b, err := seller(t).Sell(doc[:], 1600, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(b); err != nil {
		t.Fatalf("MarcaDaBollo.xsd: %v\n%s", err, b)
	}
	if err := spec.Xmllint(b); err != nil && !errors.Is(err, spec.ErrNoXmllint) {
		t.Fatalf("xmllint: %v", err)
	}
	s, err := bollo.Verify(b, doc[:])
	if err != nil {
		t.Fatal(err)
	}
	want := bollo.Stamp{IUBD: s.IUBD, PSPFiscalCode: "00799960158", PSPName: "Intesa Sanpaolo", PurchasedAt: at, Amount: 1600, Type: "01", DocumentHash: doc[:]}
	s.Certificate = nil
	if diff := cmp.Diff(want, s); diff != "" || len(s.IUBD) != 14 {
		t.Errorf("stamp mismatch (-want +got):\n%s", diff)
	}
}

func TestVerifyRefuses(t *testing.T) {
	good, err := seller(t).Sell(doc[:], 1600, at)
	if err != nil {
		t.Fatal(err)
	}
	other := sha256.Sum256([]byte("another document"))
	tests := []struct {
		name string
		xml  []byte
		hash []byte
		want error
	}{
		{"another document", good, other[:], bollo.ErrDocument},
		{"amount changed", bytes.Replace(good, []byte("<Importo>16.00<"), []byte("<Importo>1.60<"), 1), doc[:], bollo.ErrSignature},
		{"IUBD changed", bytes.Replace(good, []byte("<IUBD>0"), []byte("<IUBD>9"), 1), doc[:], bollo.ErrSignature},
		{"no signature", cut(good, "<ds:Signature", "</ds:Signature>"), doc[:], bollo.ErrInvalid},
		{"no certificate", cut(good, "<ds:KeyInfo", "</ds:KeyInfo>"), doc[:], bollo.ErrSignature},
		{"stamp type 02", bytes.Replace(good, []byte("<TipoBollo>01<"), []byte("<TipoBollo>02<"), 1), doc[:], bollo.ErrInvalid},
		{"other namespace", bytes.Replace(good, []byte("2014/MarcaDaBollo"), []byte("2015/MarcaDaBollo"), 1), doc[:], bollo.ErrInvalid},
		{"not XML", []byte("marca"), doc[:], bollo.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := bollo.Verify(tc.xml, tc.hash)
			if !errors.Is(err, tc.want) || !apperr.Is(err, apperr.Invalid) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// cut removes from b the part from the first start to the end of the
// first end after it.
func cut(b []byte, start, end string) []byte {
	i := bytes.Index(b, []byte(start))
	j := bytes.Index(b[i:], []byte(end))
	return append(bytes.Clone(b[:i]), b[i+j+len(end):]...)
}

func TestTransfer(t *testing.T) {
	tr, err := bollo.NewTransfer(doc[:], "ME")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(tr)
	if !strings.Contains(string(b), `"stampType":"01","provincialResidence":"ME"`) || len(tr.HashDocument) != 44 {
		t.Errorf("transfer %s", b)
	}
	for _, bad := range []struct {
		hash []byte
		prov string
	}{{doc[:31], "ME"}, {doc[:], "me"}, {doc[:], "MES"}} {
		if _, err := bollo.NewTransfer(bad.hash, bad.prov); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("NewTransfer(%d bytes, %q): %v", len(bad.hash), bad.prov, err)
		}
	}
}

// TestThroughStation pays a position with a stamp transfer through the own
// station: the payer's PSP sells the stamp, the receipt carries it, and
// the stamp the ente stored verifies against the document.
func TestThroughStation(t *testing.T) {
	mem := station.NewMemory()
	srv := httptest.NewServer(&station.Station{BrokerID: "12345678903", StationID: "12345678903_01", Entes: []string{"12345678903"}, Positions: mem})
	defer srv.Close()
	iuv, _ := pagopa.NewIUV(1, 77)
	tr, _ := bollo.NewTransfer(doc[:], "ME")
	mem.Put("12345678903", iuv.NAV(), station.Position{
		Status: station.StatusValid, IUV: iuv.String(), Amount: 1600, DueDate: at, Description: "Certificato di residenza in bollo",
		CompanyName: "Comune di Roccafiorita", Debtor: station.Subject{Type: "F", ID: "RSSMRA80A01H501U", FullName: "Mario Rossi"},
		Transfers: []station.Transfer{{ID: 1, Amount: 1600, FiscalCodePA: "12345678903", Remittance: "Marca da bollo", Category: "9/0301116TS/",
			Stamp: &station.StampRequest{DocumentHash: tr.HashDocument, Type: tr.StampType, Province: tr.ProvincialResidence}}},
	})
	payer := &station.Payer{URL: srv.URL, Client: srv.Client(), BrokerID: "12345678903", StationID: "12345678903_01",
		PSP: station.PSP{ID: "BCITITMM", CompanyName: "Intesa Sanpaolo", Channel: "c", ChannelDescription: "app"}, Now: func() time.Time { return at },
		Stamp: func(t station.Transfer, when time.Time) ([]byte, error) {
			h, err := base64.StdEncoding.DecodeString(t.Stamp.DocumentHash)
			if err != nil {
				return nil, err
			}
			return seller(nil).Sell(h, t.Amount, when)
		}}
	if _, err := payer.Pay(context.Background(), "12345678903", iuv.NAV()); err != nil {
		t.Fatal(err)
	}
	rs := mem.Receipts()
	if len(rs) != 1 {
		t.Fatalf("%d receipts", len(rs))
	}
	s, err := bollo.Verify(rs[0].Transfers[0].MBDAttachment, doc[:])
	if err != nil {
		t.Fatal(err)
	}
	if s.Amount != 1600 || s.IUBD == "" {
		t.Errorf("stamp %+v", s)
	}
	if err := spec.Validate(rs[0].Raw); err != nil {
		t.Errorf("paSendRTV2 with MBDAttachment: %v", err)
	}
}

// FuzzVerify: Verify refuses what it cannot read, and never panics.
func FuzzVerify(f *testing.F) {
	good, err := seller(f).Sell(doc[:], 1600, at)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`<marcaDaBollo xmlns="http://www.agenziaentrate.gov.it/2014/MarcaDaBollo"/>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := bollo.Verify(b, doc[:])
		if err == nil && (s.IUBD == "" || s.Certificate == nil) {
			t.Fatalf("verified a stamp without IUBD or signer: %+v", s)
		}
	})
}
