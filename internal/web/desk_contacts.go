package web

import (
	"database/sql"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/desk"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// contactsPage is the interaction log's form: a contact in three clicks
// (the kind, the channel if not the desk, save), the rest defaulted.
type contactsPage struct {
	basePage
	Office   tenant.Office
	Kinds    []choiceView
	Channels []choiceView
	Results  []choiceView
	Minutes  []choiceView
	Citizen  string
	Pratica  string
	Flash    string
	Errors   []fieldError
}

// deskContactsShow is the interaction log's form.
func (s *Server) deskContactsShow(w http.ResponseWriter, r *http.Request) error {
	p, err := s.contactsForm(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("ok") == "1" {
		p.Flash = p.T("desk.contacts.saved")
	}
	return s.render(w, r, http.StatusOK, "desk/contacts", p)
}

func (s *Server) contactsForm(r *http.Request) (*contactsPage, error) {
	e := enteFrom(r.Context())
	o, err := deskOffice(r, e)
	if err != nil {
		return nil, err
	}
	p := &contactsPage{basePage: s.base(r, "desk.contacts.title"), Office: o,
		Citizen: r.FormValue("cittadino"), Pratica: r.FormValue("pratica")}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}, {p.T("desk.console.title"), "/sportello"}}
	kind := r.PostFormValue("kind")
	for _, k := range desk.Kinds {
		p.Kinds = append(p.Kinds, choiceView{Value: k, Label: p.T("desk.kind." + k), Checked: k == kind})
	}
	ch := cmpOr(r.PostFormValue("channel"), string(booking.Desk))
	for _, c := range desk.Channels {
		p.Channels = append(p.Channels, choiceView{Value: string(c), Label: p.T("desk.channel." + string(c)), Checked: string(c) == ch})
	}
	res := cmpOr(r.PostFormValue("result"), desk.Results[0])
	for _, x := range desk.Results {
		p.Results = append(p.Results, choiceView{Value: x, Label: p.T("desk.result." + x), Checked: x == res})
	}
	mins := cmpOr(r.PostFormValue("minutes"), "10")
	for _, m := range []string{"5", "10", "15", "30", "45", "60"} {
		p.Minutes = append(p.Minutes, choiceView{Value: m, Label: p.T("desk.minutes", mustAtoi(m)), Checked: m == mins})
	}
	return p, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// deskContactCreate logs a contact and returns to an empty form.
func (s *Server) deskContactCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "desk: contact: %w", err)
	}
	p, err := s.contactsForm(r)
	if err != nil {
		return err
	}
	in := &desk.Interaction{Office: p.Office.ID, Operator: pr.Operator.ID, Kind: r.PostFormValue("kind"),
		Channel: booking.Channel(r.PostFormValue("channel")), Minutes: mustAtoi(r.PostFormValue("minutes")),
		Result: r.PostFormValue("result"), At: s.now()}
	if v := strings.TrimSpace(r.PostFormValue("cittadino")); v != "" {
		c, err := identity.CitizenByFiscalCode(ctx, s.db, e.ID, v)
		if err != nil {
			p.Errors = append(p.Errors, fieldError{Field: "cittadino", Message: p.T("desk.contacts.error.citizen")})
		} else {
			in.Citizen = c.ID
		}
	}
	if v := strings.TrimSpace(r.PostFormValue("pratica")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			p.Errors = append(p.Errors, fieldError{Field: "pratica", Message: p.T("desk.contacts.error.pratica")})
		}
		in.Pratica = n
	}
	if in.Kind == "" {
		p.Errors = append([]fieldError{{Field: "kind-" + desk.Kinds[0], Message: p.T("desk.contacts.error.kind")}}, p.Errors...)
	}
	if len(p.Errors) == 0 {
		err = s.db.InTx(ctx, func(tx *sql.Tx) error { return desk.Log(ctx, tx, e.ID, in) })
		if apperr.Is(err, apperr.Invalid) {
			p.Errors = append(p.Errors, fieldError{Field: "pratica", Message: p.T("desk.contacts.error.pratica")})
		} else if err != nil {
			return err
		}
	}
	if len(p.Errors) > 0 {
		return s.render(w, r, http.StatusUnprocessableEntity, "desk/contacts", p)
	}
	http.Redirect(w, r, "/sportello/contatti?ok=1&ufficio="+p.Office.Slug, http.StatusSeeOther)
	return nil
}

// contactStatsPage is the month's figures with their charts.
type contactStatsPage struct {
	basePage
	Month     string
	Prev      string
	Next      string
	Total     int
	Hours     string
	ByKind    []barView
	ByChannel []barView
	ByResult  []barView
	DayChart  template.HTML
	KindChart template.HTML
}

// barView is one bar of a chart and one row of its table.
type barView struct {
	Label string
	Count int
}

// deskStats shows a month's contacts: totals, by kind, channel and result,
// per day; the charts are SVG drawn here, readable without JavaScript, and
// each has its data as a table for screen readers and for the report.
func (s *Server) deskStats(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	now := s.now().In(rome)
	year, month := now.Year(), now.Month()
	if v := r.URL.Query().Get("mese"); v != "" {
		t, err := time.Parse("2006-01", v)
		if err != nil {
			return apperr.New(apperr.Invalid, "")
		}
		year, month = t.Year(), t.Month()
	}
	m, err := desk.Monthly(ctx, s.db, e.ID, year, month)
	if err != nil {
		return err
	}
	p := contactStatsPage{basePage: s.base(r, "desk.stats.title"), Total: m.Total}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}, {p.T("desk.console.title"), "/sportello"}}
	first := time.Date(year, month, 1, 0, 0, 0, 0, rome)
	p.Month = p.T("booking.month."+strconv.Itoa(int(month))) + " " + strconv.Itoa(year)
	p.Prev, p.Next = first.AddDate(0, -1, 0).Format("2006-01"), first.AddDate(0, 1, 0).Format("2006-01")
	p.Hours = fmt.Sprintf("%d:%02d", m.Minutes/60, m.Minutes%60)
	for _, k := range desk.Kinds {
		p.ByKind = append(p.ByKind, barView{p.T("desk.kind." + k), m.ByKind[k]})
	}
	for _, c := range desk.Channels {
		p.ByChannel = append(p.ByChannel, barView{p.T("desk.channel." + string(c)), m.ByChannel[c]})
	}
	for _, x := range desk.Results {
		p.ByResult = append(p.ByResult, barView{p.T("desk.result." + x), m.ByResult[x]})
	}
	var days []barView
	for i, n := range m.ByDay {
		days = append(days, barView{strconv.Itoa(i + 1), n})
	}
	p.DayChart = columnChart(days, p.T("desk.stats.by-day"))
	p.KindChart = barChart(p.ByKind, p.T("desk.stats.by-kind"))
	return s.render(w, r, http.StatusOK, "desk/stats", &p)
}

// columnChart draws one column per day as SVG, labelled every five days.
func columnChart(bars []barView, title string) template.HTML {
	const w, h, pad = 620, 180, 24
	most := 1
	for _, b := range bars {
		most = max(most, b.Count)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg role="img" aria-labelledby="chart-days-title" viewBox="0 0 %d %d" class="w-100" style="max-width:%dpx">`, w, h, w)
	fmt.Fprintf(&sb, `<title id="chart-days-title">%s</title>`, template.HTMLEscapeString(title))
	bw := float64(w-2*pad) / float64(max(1, len(bars)))
	for i, b := range bars {
		bh := float64(h-2*pad) * float64(b.Count) / float64(most)
		x := float64(pad) + float64(i)*bw
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#06c"></rect>`, x+1, float64(h-pad)-bh, bw-2, bh)
		if i == 0 || (i+1)%5 == 0 {
			fmt.Fprintf(&sb, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#1a1a1a">%s</text>`, x+bw/2, h-6, template.HTMLEscapeString(b.Label))
		}
	}
	fmt.Fprintf(&sb, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#5c6f82"></line></svg>`, pad, h-pad, w-pad, h-pad)
	return template.HTML(sb.String()) //nolint:gosec // built here from numbers and escaped labels
}

// barChart draws horizontal bars with their labels and counts as SVG.
func barChart(bars []barView, title string) template.HTML {
	const w, row, label = 620, 28, 230
	h := row*len(bars) + 8
	most := 1
	for _, b := range bars {
		most = max(most, b.Count)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg role="img" aria-labelledby="chart-kind-title" viewBox="0 0 %d %d" class="w-100" style="max-width:%dpx">`, w, h, w)
	fmt.Fprintf(&sb, `<title id="chart-kind-title">%s</title>`, template.HTMLEscapeString(title))
	for i, b := range bars {
		y := 4 + i*row
		bl := float64(w-label-50) * float64(b.Count) / float64(most)
		fmt.Fprintf(&sb, `<text x="0" y="%d" font-size="13" fill="#1a1a1a">%s</text>`, y+18, template.HTMLEscapeString(b.Label))
		fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%.1f" height="20" fill="#06c"></rect>`, label, y+4, bl)
		fmt.Fprintf(&sb, `<text x="%.1f" y="%d" font-size="13" fill="#1a1a1a">%d</text>`, float64(label)+bl+6, y+18, b.Count)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String()) //nolint:gosec // built here from numbers and escaped labels
}

// statTable is what the "desk-stat-table" template takes.
type statTable struct {
	Page  texter
	Title string
	Rows  []barView
}

// KindTable is the month's contacts by kind.
func (p *contactStatsPage) KindTable() statTable {
	return statTable{p, p.T("desk.stats.by-kind"), p.ByKind}
}

// ChannelTable is the month's contacts by channel.
func (p *contactStatsPage) ChannelTable() statTable {
	return statTable{p, p.T("desk.stats.by-channel"), p.ByChannel}
}

// ResultTable is the month's contacts by result.
func (p *contactStatsPage) ResultTable() statTable {
	return statTable{p, p.T("desk.stats.by-result"), p.ByResult}
}
