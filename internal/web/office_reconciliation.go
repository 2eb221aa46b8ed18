package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/payment"
)

// reconciliationPeriods are the windows the finance office may look at, in
// days.
var reconciliationPeriods = []string{"30", "90", "365"}

// reconciliationPage is the finance office's view of the payments
// reconciled with the PSPs' flows (GET /ufficio/riconciliazione).
type reconciliationPage struct {
	basePage
	Periods    []choiceView
	Since      string
	Chart      chart
	Flows      []flowRow
	Issues     []flowIssueRow
	Unreported []unreportedRow
	// The totals, formatted.
	FlowsTotal, ReportedTotal, UnreportedTotal string
}

// flowRow is one flow of the table.
type flowRow struct {
	FlowID, PSP, Date, Regulation, Total, Reported string
	Lines, Matched                                 int64
	Problems                                       string
}

// flowIssueRow is a flow line that does not match.
type flowIssueRow struct {
	FlowID, IUV, IUR, Amount, Expected, Status, Date string
}

// unreportedRow is a receipt no flow reported; Late after two days.
type unreportedRow struct {
	IUV, ReceiptID, PSP, Amount, PaidAt string
	Late                                bool
}

// requireFinance lets through the clerks and heads of the ente's finance
// office (payment.FinanceOffice) and the consortium: anyone else is 403,
// as is everyone while the ente names no finance office.
func (s *Server) requireFinance(r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	office, err := payment.FinanceOffice(ctx, s.db, e.ID)
	if err != nil {
		return err
	}
	if office == 0 || !principalFrom(ctx).Can(identity.ReconcilePayments, identity.Resource{Ente: e.ID, Office: office}) {
		return apperr.New(apperr.Forbidden, "")
	}
	return nil
}

// reconciliationShow lists the flows of the period with their totals, the
// lines that do not match a receipt (another amount, a revocation, no
// receipt) and the receipts no flow has reported yet.
func (s *Server) reconciliationShow(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireFinance(r); err != nil {
		return err
	}
	ctx := r.Context()
	e := enteFrom(ctx)
	p := reconciliationPage{basePage: s.base(r, "rec.title")}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}}
	days := r.URL.Query().Get("giorni")
	n, err := strconv.Atoi(days)
	if err != nil || n < 1 || n > 366 {
		days, n = "90", 90
	}
	for _, v := range reconciliationPeriods {
		p.Periods = append(p.Periods, choiceView{Value: v, Label: p.T("rec.period." + v), Selected: v == days})
	}
	now := s.now()
	since := now.In(rome).AddDate(0, 0, -n)
	p.Since = since.Format("02/01/2006")
	rec, err := payment.ReconciliationSince(ctx, s.db, e.ID, since)
	if err != nil {
		return err
	}
	money := func(c int64) string { return pagopa.Cents(c).Italian() }
	p.FlowsTotal, p.ReportedTotal, p.UnreportedTotal = money(rec.FlowsTotal), money(rec.ReportedTotal), money(rec.UnreportedTotal)
	for _, f := range rec.Flows {
		p.Flows = append(p.Flows, flowRow{FlowID: f.FlowID, PSP: f.PSP, Date: f.Date.In(rome).Format("02/01/2006"),
			Regulation: f.RegulationID + " (" + f.RegulationDate.Format("02/01/2006") + ")", Total: money(f.Total),
			Reported: money(f.ReportedAmount), Lines: f.Lines, Matched: f.Reported, Problems: f.Problems})
	}
	for _, l := range rec.Issues {
		row := flowIssueRow{FlowID: l.FlowID, IUV: l.IUV, IUR: l.IUR, Amount: money(l.Amount), Status: p.T("rec.status." + string(l.Status)),
			Date: l.PaidOn.Format("02/01/2006")}
		if l.Expected != 0 {
			row.Expected = money(l.Expected)
		}
		p.Issues = append(p.Issues, row)
	}
	for _, u := range rec.Unreported {
		p.Unreported = append(p.Unreported, unreportedRow{IUV: u.IUV, ReceiptID: u.ReceiptID, PSP: u.PSP, Amount: money(u.Amount),
			PaidAt: u.PaidAt.In(rome).Format("02/01/2006 15:04"), Late: now.Sub(u.PaidAt) > 48*time.Hour})
	}
	p.Chart = reconciliationChart(p.basePage, rec)
	return s.render(w, r, http.StatusOK, "office/riconciliazione", &p)
}

// reconciliationChart shows in three bars what the flows reported and
// matched, what they reported that did not match, and what receipts still
// await a flow.
func reconciliationChart(p basePage, rec *payment.Reconciliation) chart {
	values := []struct {
		key   string
		cents int64
		class string
	}{
		{"rec.chart.matched", rec.ReportedTotal, "chart-c"},
		{"rec.chart.issues", rec.FlowsTotal - rec.ReportedTotal, "chart-b"},
		{"rec.chart.waiting", rec.UnreportedTotal, "chart-a"},
	}
	top := 0.0
	for _, v := range values {
		top = max(top, float64(v.cents))
	}
	top = niceMax(top)
	c := chart{Caption: p.T("rec.chart.caption"), Height: len(values)*(barRow+barLabel) + 8}
	width := float64(chartWidth - barLeft - barRight)
	var desc []string
	for i, v := range values {
		y := float64(i*(barRow+barLabel) + barLabel)
		label := p.T(v.key)
		amount := pagopa.Cents(v.cents).Italian()
		c.Texts = append(c.Texts, chartText{X: barLeft, Y: y - 4, Text: label, Anchor: "start", Class: "chart-strong"})
		c.Bars = append(c.Bars, chartBar{X: barLeft, Y: y, W: width, H: barRow - 6, Class: "chart-track"})
		c.Bars = append(c.Bars, chartBar{X: barLeft, Y: y, W: width * float64(max(v.cents, 0)) / top, H: barRow - 6, Class: v.class,
			Title: label + ": " + amount})
		c.Texts = append(c.Texts, chartText{X: barLeft + width + 6, Y: y + barRow - 10, Text: amount, Anchor: "start", Class: "chart-value"})
		desc = append(desc, label+" "+amount)
	}
	c.Description = p.T("rec.chart.caption") + ": " + strings.Join(desc, "; ")
	return c
}
