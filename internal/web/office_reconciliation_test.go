package web

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/payment"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
	"github.com/sportello/sportello/internal/tenant"
)

// setFinanceOffice names the ente's finance office, for the access matrix
// (office X's clerk is then the one who reconciles).
func setFinanceOffice(t *testing.T, d *db.DB, ente tenant.ID, office int64) {
	t.Helper()
	if err := payment.SetFinanceOffice(context.Background(), d, ente, office); err != nil {
		t.Fatal(err)
	}
}

// TestReconciliationPage renders the finance office's page over a flow
// that reports one notice right, one with another amount and a payment the
// comune never issued, and a paid notice no flow reports: the page says
// each, in Italian, for the finance office's clerk only.
func TestReconciliationPage(t *testing.T) {
	env := newOfficeEnv(t)
	ctx := context.Background()
	sim := withPayments(t, env.s, env.d)
	svc := env.s.opt.Payments
	e, err := tenant.Get(ctx, env.d, env.ente)
	if err != nil {
		t.Fatal(err)
	}
	paid := func() *payment.Payment {
		p := spontaneous(t, env.d, env.ente, env.mario, "diritti-segreteria")
		if err := svc.Publish(ctx, env.ente, p.IUPD); err != nil {
			t.Fatal(err)
		}
		if _, err := sim.Pay(e.FiscalCode, p.NAV, pagopasim.Tobacconist); err != nil {
			t.Fatal(err)
		}
		if out, err := svc.Refresh(ctx, env.ente, p.ID); err != nil || out != payment.Recorded {
			t.Fatalf("refresh: %s, %v", out, err)
		}
		rs, err := payment.Receipts(ctx, env.d, env.ente, p.ID)
		if err != nil || len(rs) != 1 {
			t.Fatalf("receipts %v, %v", rs, err)
		}
		p.Description = rs[0].ReceiptID // the IUR the flow reports
		return p
	}
	good, short, waiting := paid(), paid(), paid()
	day := testNow.Truncate(24 * 60 * 60 * 1e9)
	flow := pagopa.Flow{ID: pagopa.NewFlowID(day, "SIM_TABACCHI", 1), Revision: 1, Date: testNow, RegulationID: "SCT0001", RegulationDate: day,
		Sender:   pagopa.FlowSender{Type: "LEGAL_PERSON", ID: "SIM_TABACCHI", PSPID: "SIM_TABACCHI", Name: "Tabaccheria simulata"},
		Receiver: pagopa.FlowReceiver{ID: e.FiscalCode, FiscalCode: e.FiscalCode, Name: e.Name},
		Payments: []pagopa.FlowPayment{
			{Index: 1, IUV: good.IUV, IUR: good.Description, TransferID: 1, Amount: 1600, Outcome: pagopa.FlowExecuted, Date: day},
			{Index: 2, IUV: short.IUV, IUR: short.Description, TransferID: 1, Amount: 1500, Outcome: pagopa.FlowExecuted, Date: day},
			{Index: 3, IUV: "01999999999999999", IUR: "sconosciuto", TransferID: 1, Amount: 700, Outcome: pagopa.FlowExecuted, Date: day},
		}, Count: 3, Total: 3800}
	err = env.d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := payment.StoreFlow(ctx, tx, env.ente, e.FiscalCode, flow, []byte("{}"), testNow, testNow)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	res, body := env.get(t, env.other, "/ufficio/riconciliazione")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("finance office: %d\n%.2000s", res.StatusCode, body)
	}
	for _, want := range []string{
		"<h1>Riconciliazione dei pagamenti</h1>",
		flow.ID, "Tabaccheria simulata", "38,00 €", // the flow and its total
		"Rendicontato e corrispondente", "16,00 €", // the matched amount, in the chart
		"<th scope=\"row\">" + short.IUV + "</th><td>Importo diverso dalla ricevuta</td><td>15,00 €</td><td>16,00 €</td>",
		"<th scope=\"row\">01999999999999999</th><td>Nessuna ricevuta corrispondente (o già rendicontata)</td><td>7,00 €</td>",
		"<th scope=\"row\">" + waiting.IUV + "</th><td>" + waiting.Description + "</td>",
		"Nei tempi",
		"1 su 3",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "<th scope=\"row\">"+good.IUV+"</th>") {
		t.Error("a reported notice is listed among the problems")
	}
	if res, _ := env.get(t, env.clerk, "/ufficio/riconciliazione"); res.StatusCode != http.StatusForbidden {
		t.Errorf("a clerk of another office: %d, want 403", res.StatusCode)
	}
	if _, home := env.get(t, env.other, "/ufficio"); !strings.Contains(home, `href="/ufficio/riconciliazione"`) {
		t.Error("the finance office's home does not link the page")
	}
	if _, home := env.get(t, env.clerk, "/ufficio"); strings.Contains(home, `href="/ufficio/riconciliazione"`) {
		t.Error("another office's home links the page")
	}
}
