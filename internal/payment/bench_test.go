package payment_test

import (
	"database/sql"
	"fmt"
	"testing"

	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	"github.com/sportello/sportello/internal/payment"
)

// receipts numbers n notices of Mario's and writes the receipt the platform
// would send for each.
func benchReceipts(b *testing.B, f *fixture, n int) (raws [][]byte, rs []*gpd.Receipt) {
	b.Helper()
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			ps, err := payment.Spontaneous(ctx, tx, nil, f.ala.ente, payment.SpontaneousInput{Citizen: f.ala.mario, Item: "diritti-segreteria"}, f.now)
			if err != nil {
				return err
			}
			p := ps[0]
			amount, _ := pagopa.Cents(p.Amount).SOAP()
			rt := gpd.SendRT{IDPA: f.ala.fiscalCode, IDBrokerPA: "b", IDStation: "s", Receipt: gpd.Receipt{
				ReceiptID: fmt.Sprintf("r%031d", i), NoticeNumber: p.NAV, FiscalCode: f.ala.fiscalCode, Outcome: "OK",
				CreditorReferenceID: p.IUV, PaymentAmount: amount, Description: p.Description, CompanyName: "Comune di ala",
				IDPSP: "PSP", PSPCompanyName: "PSP", IDChannel: "c", ChannelDescription: "c", PaymentDateTime: "2026-03-02T10:00:00Z"}}
			raw, err := rt.Marshal()
			if err != nil {
				return err
			}
			r, err := gpd.ParseReceipt(raw)
			if err != nil {
				return err
			}
			raws, rs = append(raws, raw), append(rs, r)
		}
		_, err := tx.ExecContext(ctx, `UPDATE payment SET state = 'open' WHERE ente_id = $1`, f.ala.ente)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return raws, rs
}

// BenchmarkIngest is the receipt path: parse the XML, store it and pay the
// notice, one transaction per receipt (as the poller and the station do);
// then the same receipts delivered again, which change nothing.
func BenchmarkIngest(b *testing.B) {
	for _, again := range []bool{false, true} {
		name := "new"
		if again {
			name = "duplicate"
		}
		b.Run(name, func(b *testing.B) {
			f := setup(b)
			raws, _ := benchReceipts(b, f, b.N)
			if again {
				for _, raw := range raws {
					r, _ := gpd.ParseReceipt(raw)
					f.ingest(b, f.ala, raw, r)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := gpd.ParseReceipt(raws[i])
				if err != nil {
					b.Fatal(err)
				}
				want := payment.Recorded
				if again {
					want = payment.Duplicate
				}
				if out := f.ingest(b, f.ala, raws[i], r); out != want {
					b.Fatalf("receipt %d: %s, want %s", i, out, want)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "receipts/s")
		})
	}
	// As the poller stores a round's receipts: IngestAll, 100 per
	// transaction, each batch delivered twice.
	b.Run("batch100", func(b *testing.B) {
		f := setup(b)
		raws, _ := benchReceipts(b, f, b.N)
		b.ResetTimer()
		for from := 0; from < b.N; from += 100 {
			to := min(from+100, b.N)
			var ds []payment.Delivery
			for _, raw := range raws[from:to] {
				r, err := gpd.ParseReceipt(raw)
				if err != nil {
					b.Fatal(err)
				}
				ds = append(ds, payment.Delivery{Ente: f.ala.ente, Raw: raw, Receipt: r, Source: payment.SourceGPD})
			}
			for pass, want := range []payment.Outcome{payment.Recorded, payment.Duplicate} {
				outs, err := payment.IngestAll(ctx, f.d, f.cal, ds, f.now)
				if err != nil {
					b.Fatal(err)
				}
				for i, o := range outs {
					if o != want {
						b.Fatalf("pass %d receipt %d: %s, want %s", pass, from+i, o, want)
					}
				}
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "receipts/s")
		if n := count(b, f.d, `SELECT COUNT(*) FROM payment WHERE ente_id = $1 AND state = 'paid'`, f.ala.ente); n != b.N {
			b.Fatalf("%d paid, want %d", n, b.N)
		}
	})
}
