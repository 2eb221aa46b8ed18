package form

import (
	"bytes"
	"flag"
	"fmt"
	"html/template"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// pageTemplate stands for a web page using the partial, as the web layer
// will: the default button first, the stepper, the form, the Riepilogo.
const pageTemplate = `{{define "page"}}<main>
{{template "form-steps" .Steps}}
<form method="post" action="/pratiche/1/dati-servizio" novalidate{{if .Form.Multipart}} enctype="multipart/form-data"{{end}}>
{{template "form-default-submit" .Next}}
{{template "form-body" .Form}}
<button type="submit" name="_action" value="next" class="btn btn-primary">{{.Next}}</button>
</form>
{{template "form-summary" .Summary}}
</main>{{end}}`

type page struct {
	Steps   StepsView
	Form    FormView
	Summary []SummarySection
	Next    string
}

// parseTemplates parses the partial from disk with no custom functions,
// as the brief of the partial promises.
func parseTemplates(t *testing.T) *template.Template {
	t.Helper()
	tmpl, err := template.New("form").ParseFS(os.DirFS("../../ui"), "templates/partials/form.html")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.Parse(pageTemplate); err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// sampleSubmission is a submission of all-types.json with one error of
// most kinds, a file, two group items and a shown conditional field.
func sampleSubmission() Submission {
	v := baseline()
	v.Set("nome", "")
	v.Set("cf", "RSSMRA80A01H501A")
	v.Set("email", "mario@")
	v.Set("telefono", "333 1234567")
	v.Set("nascita", "31/02/1980")
	v.Set("residenza.comune", "Castro")
	v.Set("note", "Prima riga\nSeconda riga")
	v.Set("importo", "1.000")
	v.Set("figli", "2")
	v.Set("iban", "IT60X0542811101000000123456")
	v.Set("tipo", "b")
	v.Set("mese", "mar")
	v["servizi"] = []string{"x", "z"}
	v.Set("privato", "1")
	v.Set("persone._items", "2")
	v.Set("persone[0].ruolo", "altro")
	v.Set("persone[1].nome", "Bruno")
	v.Del("dichiaro")
	return Submission{Values: v, Today: today, Files: map[string][]FileInfo{
		"allegati":             {{Name: "planimetria.pdf", Size: 1536 * 1024, Type: "application/pdf"}},
		"persone[1].documento": {{Name: "virus.exe", Size: 10, Type: "application/x-msdownload"}},
	}}
}

func TestViewGolden(t *testing.T) {
	d := load(t, "testdata/all-types.json")
	a, errs := d.Parse(sampleSubmission())
	if len(errs) == 0 {
		t.Fatal("the sample has no errors")
	}
	tmpl := parseTemplates(t)
	for _, lang := range []string{"it", "en"} {
		t.Run(lang, func(t *testing.T) {
			tr := translator(t, lang)
			steps := Steps{Flow: d.Steps(), Current: StepService, Reached: StepSummary}
			p := page{
				Steps:   steps.View(tr, func(s Step) string { return "/pratiche/1/" + s.Slug() }),
				Form:    d.View(a, errs, tr, lang),
				Summary: d.Summary(a, tr, lang),
				Next:    tr("form.action.next"),
			}
			p.Summary[0].EditURL = "/pratiche/1/dati-generali"
			var buf bytes.Buffer
			if err := tmpl.ExecuteTemplate(&buf, "page", p); err != nil {
				t.Fatal(err)
			}
			checkHTML(t, buf.String())
			golden := "testdata/view." + lang + ".html"
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// checkHTML checks the accessibility wiring axe would check: unique ids,
// labels and descriptions pointing at existing elements, every control
// labelled, every error link landing on an element.
func checkHTML(t *testing.T, html string) {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	doc.Find("[id]").Each(func(_ int, s *goquery.Selection) { ids[s.AttrOr("id", "")]++ })
	for id, n := range ids {
		if n > 1 {
			t.Errorf("id %q used %d times", id, n)
		}
	}
	doc.Find("label[for]").Each(func(_ int, s *goquery.Selection) {
		if ids[s.AttrOr("for", "")] == 0 {
			t.Errorf("label for=%q: no such element", s.AttrOr("for", ""))
		}
	})
	doc.Find("[aria-describedby]").Each(func(_ int, s *goquery.Selection) {
		for _, id := range strings.Fields(s.AttrOr("aria-describedby", "")) {
			if ids[id] == 0 {
				t.Errorf("aria-describedby %q: no such element", id)
			}
		}
	})
	doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		typ := s.AttrOr("type", "")
		if typ == "hidden" || typ == "submit" {
			return
		}
		id := s.AttrOr("id", "")
		if id == "" || doc.Find(fmt.Sprintf("label[for=%q]", id)).Length() != 1 {
			t.Errorf("control %s name=%q has no label", goquery.NodeName(s), s.AttrOr("name", ""))
		}
	})
	doc.Find("#form-errors a").Each(func(_ int, s *goquery.Selection) {
		if href := s.AttrOr("href", ""); ids[strings.TrimPrefix(href, "#")] == 0 {
			t.Errorf("error link %q: no such element", href)
		}
	})
	doc.Find("button").Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Text()) == "" {
			t.Errorf("button %q has no text", s.AttrOr("value", ""))
		}
	})
	if doc.Find("button[name=_action]").First().AttrOr("value", "") != "next" {
		t.Error("the first submit button is not the default next action")
	}
}

func TestViewModel(t *testing.T) {
	d := load(t, "testdata/all-types.json")
	a, errs := d.Parse(sampleSubmission())
	v := d.View(a, errs, translator(t, "it"), "it")
	fields := map[string]FieldView{}
	for _, s := range v.Sections {
		for _, f := range s.Fields {
			fields[f.ID] = f
		}
	}
	got := map[string][]string{}
	for _, id := range []string{"nome", "cf", "email", "telefono", "importo", "iban", "tipo", "mese", "dettaglio", "motivo_privato", "nascita"} {
		f := fields[id]
		got[id] = []string{f.Kind, f.InputType, f.InputMode, f.Autocomplete, f.Value, f.DescribedBy, fmt.Sprint(f.Invalid, f.Hidden, f.ReadOnly)}
	}
	want := map[string][]string{
		"nome":           {"input", "text", "", "given-name", "", "nome-error", "true false false"},
		"cf":             {"input", "text", "", "", "RSSMRA80A01H501A", "cf-error", "true false false"},
		"email":          {"input", "email", "", "email", "mario@", "email-help email-error", "true false false"},
		"telefono":       {"input", "tel", "", "tel", "+393331234567", "", "false false false"},
		"importo":        {"input", "text", "decimal", "", "1.000", "importo-error", "true false false"},
		"iban":           {"input", "text", "", "", "IT60 X054 2811 1010 0000 0123 456", "", "false false false"},
		"tipo":           {"radio", "", "", "", "", "", "false false false"},
		"mese":           {"select", "", "", "", "", "", "false false false"},
		"dettaglio":      {"input", "text", "", "", "", "dettaglio-error", "true false false"},
		"motivo_privato": {"input", "text", "", "", "", "", "false false false"},
		"nascita":        {"input", "date", "", "bday", "31/02/1980", "nascita-error", "true false false"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("field views mismatch (-want +got):\n%s", diff)
	}
	if fields["tipo"].Refresh == nil || fields["privato"].Refresh == nil || fields["nome"].Refresh != nil {
		t.Error("the refresh button must follow exactly the fields others depend on")
	}
	// The prefilled codice fiscale is read-only; a hidden field is marked.
	a2, _ := d.Parse(Submission{Values: url.Values{"tipo": {"a"}}, Prior: d.Prefill(Profile{FiscalCode: "RSSMRA80A01H501U"}), Today: today})
	v2 := d.View(a2, nil, translator(t, "it"), "it")
	for _, f := range v2.Sections[0].Fields {
		if f.ID == "cf" && !f.ReadOnly {
			t.Error("prefilled cf is not read-only")
		}
	}
	for _, f := range v2.Sections[1].Fields {
		if f.ID == "dettaglio" && (!f.Hidden || f.ShowIfName != "tipo" || f.ShowIfValues != "b") {
			t.Errorf("dettaglio with tipo a: %+v", f)
		}
	}
	if v2.Errors != nil {
		t.Errorf("no errors given, summary %+v", v2.Errors)
	}
}

func TestViewGroupButtons(t *testing.T) {
	d := load(t, "testdata/all-types.json")
	tr := translator(t, "it")
	group := func(a Answers) FieldView {
		for _, f := range d.View(a, nil, tr, "it").Sections[1].Fields {
			if f.ID == "persone" {
				return f
			}
		}
		t.Fatal("no group")
		return FieldView{}
	}
	// No items yet: min_items empty items, no remove button.
	g := group(Answers{})
	if len(g.Items) != 1 || g.Items[0].Remove != nil || g.Add == nil || g.ItemsCount != 1 {
		t.Errorf("empty group: %+v", g)
	}
	g = group(Answers{"persone": {Items: []Answers{{}, {}, {}}}})
	if g.Add != nil || g.Items[2].Remove == nil || g.Items[2].Remove.Value != "remove:persone:2" || g.Items[2].Remove.Label != "Rimuovi persona 3" {
		t.Errorf("full group: add %+v, remove %+v", g.Add, g.Items[2].Remove)
	}
	if got := g.Items[1].Fields[0]; got.Name != "persone[1].nome" || got.ID != "persone-1-nome" {
		t.Errorf("item field name %q id %q", got.Name, got.ID)
	}
}
