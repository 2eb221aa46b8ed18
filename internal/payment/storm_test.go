package payment_test

import (
	"database/sql"
	"testing"

	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/pratica"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
)

// TestFaultStorm: creates that time out after being applied, 5xx, 429 and
// timeouts on reads and receipts, and every receipt delivered again and
// again. When the storm is over every pratica is paid exactly once, every
// receipt is stored once, and the platform holds one position per notice.
func TestFaultStorm(t *testing.T) {
	f := setup(t)
	const n = 24
	type pair struct {
		pr *pratica.Pratica
		p  *payment.Payment
	}
	var all []pair
	for range n {
		pr, p := f.submitted(t, f.ala, 2500)
		all = append(all, pair{pr, p})
	}
	for _, fl := range []pagopasim.Fault{
		{Op: "create", Kind: pagopasim.TimeoutAfter, Times: 6},
		{Op: "create", Kind: pagopasim.Error500, Times: 4},
		{Op: "create", Kind: pagopasim.TooMany429, Times: 2},
		{Op: "get", Kind: pagopasim.Error503, Times: 10},
		{Op: "get", Kind: pagopasim.TooMany429, Times: 4},
		{Op: "get", Kind: pagopasim.Timeout, Times: 2},
		{Op: "receipt", Kind: pagopasim.Error500, Times: 6},
		{Op: "receipt", Kind: pagopasim.Timeout, Times: 3},
	} {
		f.sim.AddFault(fl)
	}
	// The publish job, retried by River until it succeeds.
	for round := 0; ; round++ {
		pending := 0
		for _, a := range all {
			if f.get(t, f.ala, a.p.ID).State != payment.Pending {
				continue
			}
			pending++
			_ = f.svc.Publish(ctx, f.ala.ente, a.p.IUPD) // a failure is retried next round
		}
		if pending == 0 {
			break
		}
		if round > 30 {
			t.Fatalf("%d notices still pending after %d rounds", pending, round)
		}
	}
	if got := f.sim.Positions(f.ala.fiscalCode); got != n {
		t.Fatalf("the platform holds %d positions, want %d", got, n)
	}
	// Everyone pays, half at a counter and half through Checkout.
	for i, a := range all {
		if i%2 == 0 {
			if _, err := f.sim.Pay(f.ala.fiscalCode, a.p.NAV, pagopasim.Tobacconist); err != nil {
				t.Fatal(err)
			}
			continue
		}
		_, err := f.sim.Pay(f.ala.fiscalCode, a.p.NAV, pagopasim.Payer{PSP: "SIM_PSP_CARD", PSPName: "Carta", Channel: "c", Method: "CP"})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The poller runs; in between, the platform delivers every receipt it
	// has again (the broadcast station), some twice.
	for round := 0; ; round++ {
		if _, err := f.svc.Poll(ctx, 7); err != nil {
			t.Fatal(err)
		}
		for i, a := range all {
			if i%3 != 0 {
				continue
			}
			raw, r, err := f.svc.GPD.ReceiptXML(ctx, f.ala.fiscalCode, a.p.IUV)
			if err != nil {
				continue // a fault: the platform retries later
			}
			for range 2 {
				if err := f.d.InTx(ctx, func(tx *sql.Tx) error {
					_, err := payment.Ingest(ctx, tx, f.cal, f.ala.ente, raw, r, payment.SourceStation, f.now)
					return err
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
		open := count(t, f.d, `SELECT COUNT(*) FROM payment WHERE ente_id = $1 AND state <> 'paid'`, f.ala.ente)
		if open == 0 {
			break
		}
		if round > 40 {
			t.Fatalf("%d notices unpaid after %d rounds", open, round)
		}
	}
	if got := count(t, f.d, `SELECT COUNT(*) FROM payment_receipt WHERE ente_id = $1`, f.ala.ente); got != n {
		t.Errorf("%d receipts stored, want %d", got, n)
	}
	if got := count(t, f.d, `SELECT COUNT(*) FROM payment_event WHERE ente_id = $1 AND to_state = 'paid' AND from_state <> 'paid'`, f.ala.ente); got != n {
		t.Errorf("%d payments recorded, want %d", got, n)
	}
	if got := count(t, f.d, `SELECT COUNT(*) FROM pratica_event WHERE ente_id = $1 AND kind = 'pay'`, f.ala.ente); got != n {
		t.Errorf("%d pratiche moved on, want %d", got, n)
	}
	for _, a := range all {
		if st := f.pratica(t, f.ala, a.pr.ID).State; st != pratica.Submitted {
			t.Errorf("pratica %d is %s", a.pr.ID, st)
		}
	}
	if got := f.sim.ReceiptCount(f.ala.fiscalCode); got != n {
		t.Errorf("the platform issued %d receipts, want %d", got, n)
	}
}
