package web

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/i18n"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// The statistics of the pratiche, for the office (GET /ufficio/statistiche,
// with a period selector) and for citizens (the public "Tempi medi dei
// procedimenti"). Charts are drawn on the server as inline SVG: every
// coordinate is computed here and the template only prints numbers, so
// that no script or inline style is needed (the CSP forbids both); each
// chart is a figure with a caption and an aria-label, and its data is also
// a table on the page.

// Chart geometry, in SVG user units; the SVG scales to its container.
const (
	chartWidth  = 720
	chartLeft   = 48 // room for the value axis of a column chart
	chartBottom = 28 // room for the month labels
	chartTop    = 12
	barRow      = 22 // height of one horizontal bar with its gap
	barLabel    = 18 // height of a service's name above its bars
	barLeft     = 8
	barRight    = 120 // room for the value after a horizontal bar
)

// chart is one figure: the SVG's shapes and texts, its caption and a
// one-sentence description for screen readers.
type chart struct {
	Caption, Description string
	Height               int
	Bars                 []chartBar
	Texts                []chartText
	Lines                []chartLine
	Legend               []chartLegend
}

// ViewBox is the SVG's coordinate system.
func (c chart) ViewBox() string {
	return "0 0 " + strconv.Itoa(chartWidth) + " " + strconv.Itoa(c.Height)
}

// chartBar is one rectangle; Class picks its colour in charts.css, Title
// is its tooltip.
type chartBar struct {
	X, Y, W, H   float64
	Class, Title string
}

// chartText is one label; Anchor is start, middle or end.
type chartText struct {
	X, Y                float64
	Text, Anchor, Class string
}

// chartLine is a grid line.
type chartLine struct{ X1, Y1, X2, Y2 float64 }

// chartLegend names a series and its colour.
type chartLegend struct{ Class, Label string }

// niceMax rounds a chart's top value up to 1, 2 or 5 times a power of
// ten, so that the grid lines fall on round numbers.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// monthsChart draws the pratiche submitted and decided each month as
// pairs of columns.
func monthsChart(p basePage, months []pratica.MonthStats) chart {
	c := chart{Caption: p.T("bo.stats.months.title"), Height: 240,
		Legend: []chartLegend{{"chart-a", p.T("bo.stats.submitted")}, {"chart-b", p.T("bo.stats.decided")}}}
	top := 0
	total := 0
	for _, m := range months {
		top = max(top, m.Submitted, m.Accepted+m.Rejected)
		total += m.Submitted
	}
	c.Description = p.T("bo.stats.months.desc", len(months), total)
	// Five grid steps from a top of at least 5 fall on whole counts.
	ymax := max(5, niceMax(float64(top)))
	plotH := float64(c.Height - chartTop - chartBottom)
	y := func(v float64) float64 { return chartTop + plotH - v/ymax*plotH }
	for i := 0; i <= 5; i++ {
		v := ymax * float64(i) / 5
		c.Lines = append(c.Lines, chartLine{chartLeft, y(v), chartWidth, y(v)})
		c.Texts = append(c.Texts, chartText{X: chartLeft - 6, Y: y(v) + 4, Text: formatCount(v), Anchor: "end", Class: "chart-axis"})
	}
	if len(months) == 0 {
		return c
	}
	slot := float64(chartWidth-chartLeft) / float64(len(months))
	w := slot * 0.35
	for i, m := range months {
		x := chartLeft + slot*float64(i) + slot*0.15
		decided := m.Accepted + m.Rejected
		label := monthName(p.Lang, m.Month) + " " + strconv.Itoa(m.Year)
		c.Bars = append(c.Bars,
			chartBar{X: x, Y: y(float64(m.Submitted)), W: w, H: y(0) - y(float64(m.Submitted)), Class: "chart-a",
				Title: label + ": " + p.T("bo.stats.submitted") + " " + strconv.Itoa(m.Submitted)},
			chartBar{X: x + w, Y: y(float64(decided)), W: w, H: y(0) - y(float64(decided)), Class: "chart-b",
				Title: label + ": " + p.T("bo.stats.decided") + " " + strconv.Itoa(decided)})
		c.Texts = append(c.Texts, chartText{X: x + w, Y: float64(c.Height) - 8, Text: monthShort(p.Lang, m.Month, m.Year),
			Anchor: "middle", Class: "chart-axis"})
	}
	return c
}

// serviceRow is one service's figures as the tables show them.
type serviceRow struct {
	Service, Decided, Average, P90, Term, Within string
	// average, p90 and share feed the charts.
	average, p90, share float64
	hasTerm             bool
}

// serviceRows turns the statistics into rows with the ente's catalogue's
// titles and legal terms, the ente's total last.
func serviceRows(p basePage, cat *catalog.Catalog, st *pratica.Statistics) []serviceRow {
	var out []serviceRow
	row := func(title string, ss pratica.ServiceStats, term string) serviceRow {
		r := serviceRow{Service: title, Decided: strconv.Itoa(ss.Decided), Term: term,
			Average: formatDays(p.Lang, ss.Average), P90: formatDays(p.Lang, ss.P90),
			average: days(ss.Average), p90: days(ss.P90), share: ss.WithinTermShare(), hasTerm: ss.WithTerm > 0,
			Within: "–"}
		if ss.WithTerm > 0 {
			r.Within = formatPercent(ss.WithinTermShare()) + " (" + strconv.Itoa(ss.WithinTerm) + "/" + strconv.Itoa(ss.WithTerm) + ")"
		}
		return r
	}
	for _, ss := range st.Services {
		title, term := ss.Service, "–"
		if svc, err := cat.Get(ss.Service); err == nil {
			title = svc.Title
			if svc.TermDays > 0 {
				term = termText(p, pratica.Term{Days: svc.TermDays, Working: svc.TermWorkingDays})
			}
		}
		out = append(out, row(title, ss, term))
	}
	if len(st.Services) > 1 {
		out = append(out, row(p.T("bo.stats.total"), st.Overall, "–"))
	}
	return out
}

// figures computes the ente's statistics for the period and the per-service
// rows and charts that the office's and the public page both show.
func (s *Server) figures(ctx context.Context, e *tenant.Ente, p basePage, from, to time.Time) (*pratica.Statistics, []serviceRow, []chart, error) {
	st, err := pratica.Stats(ctx, s.db, e.ID, from, to)
	if err != nil {
		return nil, nil, nil, err
	}
	cat, err := s.catalogFor(ctx, e)
	if err != nil {
		return nil, nil, nil, err
	}
	rows := serviceRows(p, cat, st)
	if len(rows) == 0 {
		return st, nil, nil, nil
	}
	return st, rows, []chart{timesChart(p, rows), withinChart(p, rows)}, nil
}

// timesChart draws each service's average and 90th-percentile processing
// time, in days, as horizontal bars under the service's name.
func timesChart(p basePage, rows []serviceRow) chart {
	c := chart{Caption: p.T("bo.stats.times.title"), Description: p.T("bo.stats.times.desc"),
		Legend: []chartLegend{{"chart-a", p.T("bo.stats.average")}, {"chart-b", p.T("bo.stats.p90")}}}
	top := 0.0
	for _, r := range rows {
		top = max(top, r.p90, r.average)
	}
	xmax := niceMax(top)
	plotW := float64(chartWidth - barLeft - barRight)
	y := float64(chartTop)
	for _, r := range rows {
		c.Texts = append(c.Texts, chartText{X: barLeft, Y: y + 13, Text: r.Service, Anchor: "start", Class: "chart-strong"})
		y += barLabel
		for _, b := range []struct {
			v           float64
			class, name string
			value       string
		}{{r.average, "chart-a", p.T("bo.stats.average"), r.Average}, {r.p90, "chart-b", p.T("bo.stats.p90"), r.P90}} {
			w := b.v / xmax * plotW
			c.Bars = append(c.Bars, chartBar{X: barLeft, Y: y, W: w, H: barRow - 6, Class: b.class, Title: r.Service + ": " + b.name + " " + b.value})
			c.Texts = append(c.Texts, chartText{X: barLeft + w + 6, Y: y + 12, Text: b.value, Anchor: "start", Class: "chart-value"})
			y += barRow
		}
		y += 6
	}
	c.Height = int(y) + chartTop
	return c
}

// withinChart draws each service's share of decisions taken within the
// legal term, on a 0–100% scale.
func withinChart(p basePage, rows []serviceRow) chart {
	c := chart{Caption: p.T("bo.stats.within.title"), Description: p.T("bo.stats.within.desc"),
		Legend: []chartLegend{{"chart-c", p.T("bo.stats.within.legend")}}}
	plotW := float64(chartWidth - barLeft - barRight)
	y := float64(chartTop)
	for _, r := range rows {
		if !r.hasTerm {
			continue
		}
		c.Texts = append(c.Texts, chartText{X: barLeft, Y: y + 13, Text: r.Service, Anchor: "start", Class: "chart-strong"})
		y += barLabel
		c.Bars = append(c.Bars, chartBar{X: barLeft, Y: y, W: plotW, H: barRow - 6, Class: "chart-track"},
			chartBar{X: barLeft, Y: y, W: r.share * plotW, H: barRow - 6, Class: "chart-c", Title: r.Service + ": " + r.Within})
		c.Texts = append(c.Texts, chartText{X: barLeft + plotW + 6, Y: y + 12, Text: formatPercent(r.share), Anchor: "start", Class: "chart-value"})
		y += barRow + 6
	}
	c.Height = int(y) + chartTop
	return c
}

// statsPeriods are the choices of the period selector: the last 12 or 24
// months up to this one, this year, last year.
var statsPeriods = []string{"12", "24", "anno", "anno-precedente"}

// parsePeriod turns the selector's value into the period's bounds (from
// included, to excluded), whole months in Europe/Rome; "" is the default,
// the last 12 months.
func parsePeriod(v string, now time.Time) (from, to time.Time, err error) {
	t := now.In(rome)
	thisMonth := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, rome)
	switch v {
	case "", "12":
		return thisMonth.AddDate(0, -11, 0), thisMonth.AddDate(0, 1, 0), nil
	case "24":
		return thisMonth.AddDate(0, -23, 0), thisMonth.AddDate(0, 1, 0), nil
	case "anno":
		y := time.Date(t.Year(), 1, 1, 0, 0, 0, 0, rome)
		return y, y.AddDate(1, 0, 0), nil
	case "anno-precedente":
		y := time.Date(t.Year()-1, 1, 1, 0, 0, 0, 0, rome)
		return y, y.AddDate(1, 0, 0), nil
	}
	return time.Time{}, time.Time{}, apperr.Errorf(apperr.Invalid, "stats: unknown period %q", truncateText(v, 40))
}

// statsPage is the office's statistics.
type statsPage struct {
	basePage
	Periods  []choiceView
	Period   string
	Months   []monthRow
	Services []serviceRow
	Charts   []chart
	// MonthsChart is drawn apart from Charts because its table differs.
	MonthsChart chart
}

// monthRow is one month of the table under the monthly chart.
type monthRow struct {
	Month                                    string
	Submitted, Accepted, Rejected, Withdrawn int
}

// statsShow is GET /ufficio/statistiche, for operators who see a queue.
func (s *Server) statsShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	if _, err := requireQueue(r); err != nil {
		return err
	}
	period := r.URL.Query().Get("periodo")
	from, to, err := parsePeriod(period, s.now())
	if err != nil {
		return err
	}
	p := statsPage{basePage: s.base(r, "bo.stats.title")}
	st, services, charts, err := s.figures(ctx, e, p.basePage, from, to)
	if err != nil {
		return err
	}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}}
	p.Period = p.T("bo.stats.period", from.Format("01/2006"), to.AddDate(0, 0, -1).Format("01/2006"))
	for _, v := range statsPeriods {
		p.Periods = append(p.Periods, choiceView{Value: v, Label: p.T("bo.period." + v), Selected: v == period || (period == "" && v == "12")})
	}
	for _, m := range st.Months {
		p.Months = append(p.Months, monthRow{Month: monthName(p.Lang, m.Month) + " " + strconv.Itoa(m.Year),
			Submitted: m.Submitted, Accepted: m.Accepted, Rejected: m.Rejected, Withdrawn: m.Withdrawn})
	}
	p.MonthsChart = monthsChart(p.basePage, st.Months)
	p.Services, p.Charts = services, charts
	return s.render(w, r, http.StatusOK, "office/stats", &p)
}

// days is a duration in days, for charts.
func days(d time.Duration) float64 { return d.Hours() / 24 }

// formatDays writes a processing time in days with one decimal, in the
// page's language ("12,5 giorni").
func formatDays(lang i18n.Lang, d time.Duration) string {
	n := strconv.FormatFloat(math.Round(days(d)*10)/10, 'f', 1, 64)
	if lang == i18n.EN {
		return n + " days"
	}
	return strings.Replace(n, ".", ",", 1) + " giorni"
}

// formatPercent writes a share as a whole percentage.
func formatPercent(share float64) string {
	return strconv.Itoa(int(math.Round(share*100))) + "%"
}

// formatCount writes a grid value: whole numbers without decimals.
func formatCount(v float64) string {
	if v == math.Trunc(v) {
		return strconv.Itoa(int(v))
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

var monthsIT = []string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
	"settembre", "ottobre", "novembre", "dicembre"}

// monthName names a month in the page's language.
func monthName(lang i18n.Lang, m time.Month) string {
	if lang == i18n.EN {
		return m.String()
	}
	return monthsIT[m-1]
}

// monthShort is a month's label under its columns: "nov 26".
func monthShort(lang i18n.Lang, m time.Month, year int) string {
	return monthName(lang, m)[:3] + " " + strconv.Itoa(year%100)
}

// truncateText shortens s to n bytes for an error message.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
