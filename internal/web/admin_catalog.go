package web

import (
	"bytes"
	"cmp"
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// actionServicePublished is audited when an administrator publishes a new
// version of a service definition.
const actionServicePublished audit.Action = "service.published"

// catalogAdminPage lists the ente's services for its administrator.
type catalogAdminPage struct {
	basePage
	Flash string
	Rows  []catalogAdminRow
}

// catalogAdminRow is one service of the list.
type catalogAdminRow struct {
	Slug, Title, Category, Status, Online string
	Version                               int
	// Published says who published the version shown and when, or that it
	// is the version shipped with Sportello.
	Published string
}

// catalogList lists the services the ente's site shows, with the version
// of each and who published it.
func (s *Server) catalogList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	p := catalogAdminPage{basePage: s.base(r, "catadmin.title")}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}}
	cat, err := s.catalogFor(ctx, e)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("ok") == "pubblicato" {
		if svc, err := cat.Get(r.URL.Query().Get("servizio")); err == nil {
			p.Flash = p.T("catadmin.flash.published", svc.Title, svc.Version)
		}
	}
	revs, err := catalog.Published(ctx, s.db, e.ID)
	if err != nil {
		return err
	}
	ops, err := identity.ListOperators(ctx, s.db, e.ID)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, op := range ops {
		names[int64(op.ID)] = op.Name
	}
	for _, svc := range cat.All() {
		row := catalogAdminRow{Slug: svc.Slug, Title: svc.Title, Category: p.T("category." + svc.Category),
			Version: svc.Version, Status: p.T("catadmin.status.active"), Online: p.T("catadmin.no"),
			Published: p.T("catadmin.shipped")}
		if !svc.Active {
			row.Status = p.T("catadmin.status.inactive")
		}
		if svc.Online() {
			row.Online = p.T("catadmin.yes")
		}
		if rev, ok := revs[svc.Slug]; ok && rev.Version == svc.Version {
			row.Published = p.T("catadmin.published-by", names[rev.By], formatTime(rev.At))
		}
		p.Rows = append(p.Rows, row)
	}
	return s.render(w, r, http.StatusOK, "admin/catalog", &p)
}

// serviceEditPage is the editor of one service definition: every section
// of the scheda, grouped as the public page shows them.
type serviceEditPage struct {
	basePage
	Slug    string
	Version int
	// HasForm says that the service has an online form, which this page
	// does not edit.
	HasForm bool
	Errors  []fieldError
	Groups  []editGroup
}

// editGroup is one fieldset of the editor.
type editGroup struct {
	Legend string
	Fields []editField
}

// editField is one control of the editor, its text already translated.
type editField struct {
	ID, Label, Help, Value, Error string
	// Kind is input, number, textarea, lines (a textarea read one item per
	// line), select, checkbox or checkboxes.
	Kind     string
	Required bool
	Checked  bool
	Options  []choiceView
}

// DescribedBy lists the ids of the help and error texts of the field.
func (f editField) DescribedBy() string {
	var ids []string
	if f.Help != "" {
		ids = append(ids, f.ID+"-help")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// editSpec describes one field of the editor: its form name, the kind of
// control, and whether the scheda requires it.
type editSpec struct {
	id, kind string
	required bool
}

// editGroups are the editor's fieldsets in the scheda's order; labels and
// help texts are the keys catadmin.field.<id> and catadmin.help.<id>.
var editGroups = []struct {
	legend string
	fields []editSpec
}{
	{"catadmin.group.card", []editSpec{{"title", "input", true}, {"description", "textarea", true},
		{"category", "select", true}, {"topics", "lines", true}, {"active", "checkbox", false},
		{"inactive_reason", "textarea", false}}},
	{"catadmin.group.sections", []editSpec{{"addressed", "textarea", true}, {"how_to", "textarea", true},
		{"needed", "lines", true}, {"achieved", "textarea", true}, {"times", "textarea", true},
		{"deadlines", "lines", false}, {"conditions", "textarea", true}, {"cost", "textarea", false},
		{"special_cases", "textarea", false}, {"attachments", "lines", false}}},
	{"catadmin.group.access", []editSpec{{"channels", "checkboxes", true}, {"spid_level", "select", false},
		{"office", "select", true}, {"term_days", "number", false}, {"term_working_days", "checkbox", false},
		{"silent_assent", "checkbox", false}, {"fee", "input", false}}},
	{"catadmin.group.cpsv", []editSpec{{"output", "input", true}, {"life_events", "lines", false}}},
}

// serviceValues is the editor's content as text, by field name: what a
// definition shows in the form, and what a submitted form re-shows.
type serviceValues struct {
	text     map[string]string
	channels []string
}

// valuesOf fills the editor from a definition.
func valuesOf(svc *catalog.Service) serviceValues {
	v := serviceValues{channels: svc.Channels, text: map[string]string{
		"title": svc.Title, "description": svc.Description, "category": svc.Category,
		"topics": strings.Join(svc.Topics, "\n"), "inactive_reason": svc.InactiveReason,
		"addressed": svc.Addressed, "how_to": svc.HowTo, "needed": strings.Join(svc.Needed, "\n"),
		"achieved": svc.Achieved, "times": svc.Times, "conditions": svc.Conditions, "cost": svc.Cost,
		"special_cases": svc.SpecialCases, "spid_level": strconv.Itoa(svc.SPIDLevel), "office": svc.Office,
		"term_days": strconv.Itoa(svc.TermDays), "fee": formatEuro(svc.FeeCents), "output": svc.Output,
		"life_events": strings.Join(svc.LifeEvents, "\n"),
	}}
	var steps, files []string
	for _, d := range svc.Deadlines {
		steps = append(steps, d.When+" | "+d.Text)
	}
	for _, a := range svc.Attachments {
		files = append(files, a.Title+" | "+a.URL)
	}
	v.text["deadlines"], v.text["attachments"] = strings.Join(steps, "\n"), strings.Join(files, "\n")
	for k, on := range map[string]bool{"active": svc.Active, "term_working_days": svc.TermWorkingDays, "silent_assent": svc.SilentAssent} {
		if on {
			v.text[k] = "1"
		}
	}
	return v
}

// valuesFrom reads the submitted editor.
func valuesFrom(r *http.Request) (serviceValues, error) {
	if err := r.ParseForm(); err != nil {
		return serviceValues{}, apperr.Errorf(apperr.Invalid, "service editor: %w", err)
	}
	v := serviceValues{text: map[string]string{}, channels: r.PostForm["channels"]}
	for _, g := range editGroups {
		for _, f := range g.fields {
			v.text[f.id] = strings.TrimSpace(strings.ReplaceAll(r.PostFormValue(f.id), "\r\n", "\n"))
		}
	}
	return v, nil
}

// lines splits a one-item-per-line field, dropping blank lines.
func lines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// pairs splits "left | right" lines; ok is false when a line has no bar or
// an empty side.
func pairs(text string) (out [][2]string, ok bool) {
	for _, l := range lines(text) {
		a, b, found := strings.Cut(l, "|")
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		if !found || a == "" || b == "" {
			return nil, false
		}
		out = append(out, [2]string{a, b})
	}
	return out, true
}

// serviceOf builds the definition from the editor's values on top of cur
// (whose slug and version stay), and the problems by field as locale keys,
// in the order Service.Validate checks them but one field at a time.
func serviceOf(v serviceValues, cur *catalog.Service, offices []tenant.Office) (*catalog.Service, map[string]string) {
	t := v.text
	svc := *cur
	errs := map[string]string{}
	svc.Title, svc.Description, svc.Category = t["title"], t["description"], t["category"]
	svc.Topics, svc.Needed, svc.LifeEvents = lines(t["topics"]), lines(t["needed"]), lines(t["life_events"])
	svc.Active, svc.InactiveReason = t["active"] == "1", t["inactive_reason"]
	svc.Addressed, svc.HowTo, svc.Achieved, svc.Times = t["addressed"], t["how_to"], t["achieved"], t["times"]
	svc.Conditions, svc.Cost, svc.SpecialCases, svc.Output = t["conditions"], t["cost"], t["special_cases"], t["output"]
	svc.TermWorkingDays, svc.SilentAssent = t["term_working_days"] == "1", t["silent_assent"] == "1"
	svc.Channels, svc.Office = v.channels, t["office"]
	for _, g := range editGroups {
		for _, f := range g.fields {
			if f.required && (f.kind == "input" || f.kind == "textarea" || f.kind == "lines") && len(lines(t[f.id])) == 0 {
				errs[f.id] = "catadmin.error.required"
			}
		}
	}
	if _, ok := catalog.CategoryBySlug(svc.Category); !ok {
		errs["category"] = "catadmin.error.category"
	}
	if !svc.Active && svc.InactiveReason == "" {
		errs["inactive_reason"] = "catadmin.error.inactive-reason"
	}
	svc.Deadlines = nil
	steps, ok := pairs(t["deadlines"])
	for _, p := range steps {
		svc.Deadlines = append(svc.Deadlines, catalog.Step{When: p[0], Text: p[1]})
	}
	if !ok {
		errs["deadlines"] = "catadmin.error.deadlines"
	}
	svc.Attachments = nil
	files, ok := pairs(t["attachments"])
	for _, p := range files {
		svc.Attachments = append(svc.Attachments, catalog.Attachment{Title: p[0], URL: p[1]})
		ok = ok && (strings.HasPrefix(p[1], "/") || strings.HasPrefix(p[1], "https://"))
	}
	if !ok {
		errs["attachments"] = "catadmin.error.attachments"
	}
	if len(svc.Channels) == 0 {
		errs["channels"] = "catadmin.error.channels"
	}
	for _, c := range svc.Channels {
		if c != catalog.ChannelOnline && c != catalog.ChannelDesk && c != catalog.ChannelPhone {
			errs["channels"] = "catadmin.error.channels"
		}
	}
	var err error
	if svc.SPIDLevel, err = strconv.Atoi(t["spid_level"]); err != nil || svc.SPIDLevel < 0 || svc.SPIDLevel > 3 {
		errs["spid_level"] = "catadmin.error.spid"
	}
	known := false
	for _, o := range offices {
		known = known || o.Slug == svc.Office
	}
	if !known {
		errs["office"] = "catadmin.error.office"
	}
	switch svc.TermDays, err = strconv.Atoi(cmp.Or(t["term_days"], "0")); {
	case err != nil || svc.TermDays < 0 || svc.TermDays > 3650:
		errs["term_days"] = "catadmin.error.term-days"
	case svc.TermDays == 0 && (svc.TermWorkingDays || svc.SilentAssent):
		errs["term_days"] = "catadmin.error.term-needed"
	}
	if svc.FeeCents, err = parseEuro(t["fee"]); err != nil {
		errs["fee"] = "catadmin.error.fee"
	}
	return &svc, errs
}

// editedService finds the service named in the path in the ente's
// published catalogue, with the ente's offices for the select.
func (s *Server) editedService(r *http.Request) (*catalog.Service, []tenant.Office, error) {
	ctx := r.Context()
	e := enteFrom(ctx)
	cat, err := s.catalogFor(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	svc, err := cat.Get(r.PathValue("service"))
	if err != nil {
		return nil, nil, err
	}
	offices, err := tenant.Offices(ctx, s.db, e.ID)
	if err != nil {
		return nil, nil, err
	}
	return svc, offices, nil
}

// serviceEdit shows the editor filled with the published definition.
func (s *Server) serviceEdit(w http.ResponseWriter, r *http.Request) error {
	svc, offices, err := s.editedService(r)
	if err != nil {
		return err
	}
	return s.renderServiceEdit(w, r, http.StatusOK, svc, offices, valuesOf(svc), nil)
}

func (s *Server) renderServiceEdit(w http.ResponseWriter, r *http.Request, status int, cur *catalog.Service,
	offices []tenant.Office, v serviceValues, errs map[string]string) error {
	p := serviceEditPage{basePage: s.base(r, ""), Slug: cur.Slug, Version: cur.Version}
	_, p.HasForm = s.forms[cur.Slug]
	p.Title = p.T("catadmin.edit.title", cur.Title)
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}, {p.T("catadmin.title"), "/amministrazione-ente/servizi"}}
	options := map[string][]choiceView{}
	for _, c := range catalog.Categories {
		options["category"] = append(options["category"], choiceView{Value: c.Slug, Label: p.T("category." + c.Slug)})
	}
	for _, o := range offices {
		options["office"] = append(options["office"], choiceView{Value: o.Slug, Label: o.Name})
	}
	for l := range 4 {
		options["spid_level"] = append(options["spid_level"], choiceView{Value: strconv.Itoa(l), Label: p.T("catadmin.spid." + strconv.Itoa(l))})
	}
	for _, c := range []string{catalog.ChannelOnline, catalog.ChannelDesk, catalog.ChannelPhone} {
		options["channels"] = append(options["channels"], choiceView{Value: c, Label: p.T("catadmin.channel." + c)})
	}
	for _, g := range editGroups {
		eg := editGroup{Legend: p.T(g.legend)}
		for _, f := range g.fields {
			ef := editField{ID: f.id, Kind: f.kind, Required: f.required, Label: p.T("catadmin.field." + f.id),
				Value: v.text[f.id], Checked: v.text[f.id] == "1"}
			if help := "catadmin.help." + f.id; s.text.Has(p.Lang, help) {
				ef.Help = p.T(help)
			}
			for _, o := range options[f.id] {
				o.Selected = o.Value == ef.Value
				for _, c := range v.channels {
					o.Checked = o.Checked || f.id == "channels" && c == o.Value
				}
				ef.Options = append(ef.Options, o)
			}
			if key, ok := errs[f.id]; ok {
				ef.Error = p.T(key)
				p.Errors = append(p.Errors, fieldError{Field: f.id, Message: ef.Label + ": " + ef.Error})
			}
			eg.Fields = append(eg.Fields, ef)
		}
		p.Groups = append(p.Groups, eg)
	}
	if key, ok := errs[""]; ok {
		p.Errors = append(p.Errors, fieldError{Field: "title", Message: p.T(key)})
	}
	return s.render(w, r, status, "admin/service-edit", &p)
}

// submittedService reads the editor; problems re-show it with 422. The
// last check is Service.Validate itself, so that nothing the catalogue
// would refuse gets through.
func (s *Server) submittedService(w http.ResponseWriter, r *http.Request) (*catalog.Service, bool, error) {
	cur, offices, err := s.editedService(r)
	if err != nil {
		return nil, false, err
	}
	v, err := valuesFrom(r)
	if err != nil {
		return nil, false, err
	}
	svc, errs := serviceOf(v, cur, offices)
	if len(errs) == 0 {
		if err := svc.Validate(); err != nil {
			errs[""] = "catadmin.error.invalid"
		}
	}
	if len(errs) > 0 {
		return nil, false, s.renderServiceEdit(w, r, http.StatusUnprocessableEntity, cur, offices, v, errs)
	}
	return svc, true, nil
}

// servicePreview renders the submitted definition as the public scheda,
// through the public page's own handler, marked as a preview that search
// engines must not index; nothing is stored.
func (s *Server) servicePreview(w http.ResponseWriter, r *http.Request) error {
	svc, ok, err := s.submittedService(w, r)
	if !ok {
		return err
	}
	var page bufferedResponse
	if err := s.serviceShow(&page, r.WithContext(withPreview(r.Context(), svc))); err != nil {
		return err
	}
	var banner bytes.Buffer
	p := s.base(r, "")
	if err := s.pages.byName["admin/service-edit"].ExecuteTemplate(&banner, "catadmin-preview-banner", p); err != nil {
		return err
	}
	body := page.body.String()
	const head, main = "</head>", `<main id="main-container">`
	if !strings.Contains(body, head) || !strings.Contains(body, main) {
		return errors.New("service preview: the public page has no head or main element")
	}
	body = strings.Replace(body, head, `<meta name="robots" content="noindex, nofollow">`+head, 1)
	body = strings.Replace(body, main, main+banner.String(), 1)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Robots-Tag", "noindex, nofollow")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write([]byte(body))
	if err != nil {
		s.log.DebugContext(r.Context(), "write response", "err", err)
	}
	return nil
}

// bufferedResponse keeps a response in memory, for a page that is changed
// before it is sent.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header {
	if b.header == nil {
		b.header = http.Header{}
	}
	return b.header
}

func (b *bufferedResponse) WriteHeader(status int)      { b.status = status }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }

// servicePublish stores the submitted definition as the ente's new version
// of the service, audited in the same transaction, and shows it at once on
// this instance (the others within the cache's TTL).
func (s *Server) servicePublish(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	svc, ok, err := s.submittedService(w, r)
	if !ok {
		return err
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		v, err := catalog.Publish(ctx, tx, e.ID, s.catalog, svc, int64(pr.Operator.ID), now)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: actionServicePublished,
			Subject: "service:" + svc.Slug, Outcome: audit.Success, Detail: "version " + strconv.Itoa(v)}, now)
	})
	if err != nil {
		return err
	}
	s.forgetCatalog(e.ID)
	http.Redirect(w, r, "/amministrazione-ente/servizi?ok=pubblicato&servizio="+url.QueryEscape(svc.Slug), http.StatusSeeOther)
	return nil
}

// parseEuro reads an amount in euro as Italians write it — "16", "16,50",
// "1.234,56", "€ 16,00" — or with a decimal point ("16.50"), into cents.
// An empty amount is zero; a negative one or more than two decimals is
// refused.
func parseEuro(text string) (int64, error) {
	text = strings.NewReplacer("€", "", " ", "", "\u00a0", "").Replace(text)
	if text == "" {
		return 0, nil
	}
	whole, frac := text, ""
	if i := strings.LastIndexByte(text, ','); i >= 0 {
		whole, frac = text[:i], text[i+1:]
		whole = strings.ReplaceAll(whole, ".", "")
	} else if i := strings.LastIndexByte(text, '.'); i >= 0 && strings.Count(text, ".") == 1 && len(text)-i-1 <= 2 {
		whole, frac = text[:i], text[i+1:]
	} else {
		whole = strings.ReplaceAll(whole, ".", "")
	}
	bad := apperr.Errorf(apperr.Invalid, "amount %q: want euro such as 16,50", text)
	if whole == "" || len(whole) > 9 || len(frac) > 2 || strings.Trim(whole+frac, "0123456789") != "" {
		return 0, bad
	}
	euro, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, bad
	}
	cents := int64(0)
	if frac != "" {
		c, _ := strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			c *= 10
		}
		cents = c
	}
	return euro*100 + cents, nil
}

// formatEuro writes cents as the editor shows them: "16,50", "" for none.
func formatEuro(cents int64) string {
	if cents == 0 {
		return ""
	}
	return strconv.FormatInt(cents/100, 10) + "," + strconv.FormatInt(cents%100/10, 10) + strconv.FormatInt(cents%10, 10)
}
