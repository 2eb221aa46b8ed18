package form

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/catalog"
)

// wrap puts fields into a minimal valid definition.
func wrap(fields string) string {
	return `{"service": "prova", "version": 1, "sections": [{"id": "s", "title": "S", "fields": [` + fields + `]}]}`
}

const okText = `{"id": "a", "type": "text", "label": "A"}`
const okChoice = `{"id": "c", "type": "choice", "label": "C", "options": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}]}`
const okCheck = `{"id": "k", "type": "checkbox", "label": "K"}`

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"not JSON", `{`, []string{"form: unexpected EOF"}},
		{"unknown key", `{"service": "prova", "version": 1, "sections": [], "extra": 1}`, []string{`form: json: unknown field "extra"`}},
		{"unknown key in a field", wrap(`{"id": "a", "type": "text", "label": "A", "lable": "B"}`), []string{`form: json: unknown field "lable"`}},
		{"unknown key in a text", wrap(`{"id": "a", "type": "text", "label": {"it": "A", "de": "B"}}`), []string{`form: text: want a string or {"it", "en"}: json: unknown field "de"`}},
		{"trailing data", wrap(okText) + `{}`, []string{"form: data after the definition"}},
		{"empty", `{}`, []string{
			`service: "" is not a catalogue slug`, "version: must be 1 or more", "sections: the form has no sections"}},
		{"section problems", `{"service": "prova", "version": 1, "sections": [{"id": "S", "title": "", "step": "payment", "fields": []}, {"id": "b", "title": "B", "fields": [` + okText + `]}, {"id": "b", "title": "B2", "fields": [{"id": "z", "type": "text", "label": "Z"}]}]}`, []string{
			`sections[0].id: "S" must be lower-case letters, digits and _, starting with a letter`,
			"sections[0].title: the Italian title is empty",
			`sections[0].step: "payment": want "general" or "service"`,
			"sections[0].fields: the section has no fields",
			`sections[2].id: "b" is used by another section`}},
		{"bad id", wrap(`{"id": "1a", "type": "text", "label": "A"}`), []string{
			`sections[0].fields[0].id: "1a" must be lower-case letters, digits and _, starting with a letter`}},
		{"duplicate id across sections", `{"service": "prova", "version": 1, "sections": [{"id": "s", "title": "S", "fields": [` + okText + `]}, {"id": "t", "title": "T", "fields": [` + okText + `]}]}`, []string{
			`sections[1].fields[0].id: "a" is already used at sections[0].fields[0]`}},
		{"unknown type and empty label", wrap(`{"id": "a", "type": "colour", "label": {"en": "Colour"}}`), []string{
			`sections[0].fields[0].type: unknown type "colour"`, "sections[0].fields[0].label: the Italian label is empty"}},
		{"options on a text", wrap(`{"id": "a", "type": "text", "label": "A", "options": [{"value": "x", "label": "X"}]}`), []string{
			"sections[0].fields[0].options: only choice and multichoice fields have options"}},
		{"choice without options", wrap(`{"id": "c", "type": "choice", "label": "C"}`), []string{
			"sections[0].fields[0].options: a choice needs options"}},
		{"bad options", wrap(`{"id": "c", "type": "multichoice", "label": "C", "options": [{"value": "X Y", "label": "X"}, {"value": "y", "label": ""}, {"value": "y", "label": "Y"}]}`), []string{
			`sections[0].fields[0].options[0].value: "X Y" must be lower-case letters, digits, _ and -`,
			"sections[0].fields[0].options[1].label: the Italian label is empty",
			`sections[0].fields[0].options[2].value: "y" is used by another option`}},
		{"show-if on a later field", wrap(`{"id": "a", "type": "text", "label": "A", "show_if": {"field": "c", "equals": "x"}}, ` + okChoice), []string{
			`sections[0].fields[0].show_if: field "c" is not defined before`}},
		{"show-if on itself", wrap(`{"id": "a", "type": "checkbox", "label": "A", "show_if": {"field": "a", "checked": true}}`), []string{
			`sections[0].fields[0].show_if: field "a" is not defined before`}},
		{"show-if with two tests", wrap(okChoice + `, {"id": "a", "type": "text", "label": "A", "show_if": {"field": "c", "equals": "x", "in": ["y"]}}`), []string{
			"sections[0].fields[1].show_if: set exactly one of equals, in and checked"}},
		{"show-if with no test", wrap(okChoice + `, {"id": "a", "type": "text", "label": "A", "show_if": {"field": "c"}}`), []string{
			"sections[0].fields[1].show_if: set exactly one of equals, in and checked"}},
		{"show-if on an unknown option", wrap(okChoice + `, {"id": "a", "type": "text", "label": "A", "show_if": {"field": "c", "in": ["x", "w"]}}`), []string{
			`sections[0].fields[1].show_if: "w" is not an option of field "c"`}},
		{"show-if checked on a choice", wrap(okChoice + `, {"id": "a", "type": "text", "label": "A", "show_if": {"field": "c", "checked": true}}`), []string{
			`sections[0].fields[1].show_if.checked: field "c" is a choice: use equals or in`}},
		{"show-if equals on a checkbox", wrap(okCheck + `, {"id": "a", "type": "text", "label": "A", "show_if": {"field": "k", "equals": "1"}}`), []string{
			`sections[0].fields[1].show_if: field "k" is a checkbox: use checked`}},
		{"show-if on a text", wrap(okText + `, {"id": "b", "type": "text", "label": "B", "show_if": {"field": "a", "equals": "x"}}`), []string{
			`sections[0].fields[1].show_if: field "a" is a text: conditions can only test choices and checkboxes`}},
		{"show-if into a group", wrap(`{"id": "g", "type": "group", "label": "G", "item_label": "I", "max_items": 2, "fields": [` + okCheck + `]}, {"id": "a", "type": "text", "label": "A", "show_if": {"field": "k", "checked": true}}`), []string{
			`sections[0].fields[1].show_if: field "k" is not defined before`}},
		{"limits on a text", wrap(`{"id": "a", "type": "text", "label": "A", "min": 1, "integer": true}`), []string{
			"sections[0].fields[0]: only number and date fields have min and max", "sections[0].fields[0].integer: only number fields can be integer"}},
		{"bad number limits", wrap(`{"id": "n", "type": "number", "label": "N", "min": "uno", "max": "NaN"}, {"id": "m", "type": "number", "label": "M", "min": 10, "max": 5}, {"id": "e", "type": "number", "label": "E", "max": 1e3}`), []string{
			`sections[0].fields[0].min: "uno" is not a number`, `sections[0].fields[0].max: "NaN" is not a number`,
			"sections[0].fields[1]: min 10 is greater than max 5", `sections[0].fields[2].max: "1e3" is not a number`}},
		{"bad date limits", wrap(`{"id": "d", "type": "date", "label": "D", "min": "yesterday", "max": "+3w"}`), []string{
			`sections[0].fields[0].min: "yesterday": want YYYY-MM-DD, today, or today ± Nd, Nm or Ny such as -18y`,
			`sections[0].fields[0].max: "+3w": want YYYY-MM-DD, today, or today ± Nd, Nm or Ny such as -18y`}},
		{"text attributes out of place", wrap(`{"id": "n", "type": "number", "label": "N", "max_length": 3, "pattern": "[0-9]+"}`), []string{
			"sections[0].fields[0].max_length: only text and textarea fields have max_length", "sections[0].fields[0].pattern: only text fields have a pattern"}},
		{"bad pattern and length", wrap(`{"id": "a", "type": "text", "label": "A", "pattern": "(", "max_length": 20000}`), []string{
			"sections[0].fields[0].max_length: 20000: want 1 to 10000",
			"sections[0].fields[0].pattern: error parsing regexp: missing closing ): `(`"}},
		{"bad autocomplete", wrap(`{"id": "a", "type": "text", "label": "A", "autocomplete": "nickname"}, {"id": "b", "type": "text", "label": "B", "autocomplete": "email"}`), []string{
			`sections[0].fields[0].autocomplete: "nickname" is not a supported autocomplete token`,
			`sections[0].fields[1].autocomplete: "email" does not fit a text field`}},
		{"bad prefill", wrap(`{"id": "a", "type": "text", "label": "A", "prefill": "citizen.birth_date"}, {"id": "b", "type": "text", "label": "B", "prefill": "citizen.email"}`), []string{
			`sections[0].fields[0].prefill: unknown key "citizen.birth_date"`,
			`sections[0].fields[1].prefill: "citizen.email" fills a email field, not a text`}},
		{"prefill in a group", wrap(`{"id": "g", "type": "group", "label": "G", "item_label": "I", "max_items": 2, "fields": [{"id": "n", "type": "text", "label": "N", "prefill": "citizen.given_name"}]}`), []string{
			"sections[0].fields[0].fields[0].prefill: fields inside a group cannot be prefilled"}},
		{"group attributes on a text", wrap(`{"id": "a", "type": "text", "label": "A", "max_items": 2}`), []string{
			"sections[0].fields[0]: only group fields have fields, min_items, max_items and item_label"}},
		{"bad group", wrap(`{"id": "g", "type": "group", "label": "G", "required": true, "min_items": 3, "max_items": 2}`), []string{
			"sections[0].fields[0].required: a group is required through min_items",
			"sections[0].fields[0].fields: the group has no fields",
			"sections[0].fields[0].min_items: 3: want 0 to max_items",
			"sections[0].fields[0].item_label: the Italian item label is empty"}},
		{"too many items", wrap(`{"id": "g", "type": "group", "label": "G", "item_label": "I", "max_items": 500, "fields": [` + okText + `]}`), []string{
			"sections[0].fields[0].max_items: 500: want 1 to 50"}},
		{"nested group and duplicate sub-id", wrap(`{"id": "g", "type": "group", "label": "G", "item_label": "I", "max_items": 2, "fields": [` + okText + `, ` + okText + `, {"id": "h", "type": "group", "label": "H", "item_label": "J", "max_items": 2, "fields": [` + okText + `]}]}`), []string{
			`sections[0].fields[0].fields[1].id: "a" is already used at sections[0].fields[0].fields[0]`,
			"sections[0].fields[0].fields[2].type: groups cannot be nested"}},
		{"file without rules", wrap(`{"id": "f", "type": "file", "label": "F"}`), []string{
			"sections[0].fields[0].file: a file field needs file rules"}},
		{"bad file rules", wrap(`{"id": "f", "type": "file", "label": "F", "file": {"accept": ["application/x-msdownload"], "max_bytes": 0, "max_count": 99}}`), []string{
			`sections[0].fields[0].file.accept[0]: "application/x-msdownload" is not an accepted type`,
			"sections[0].fields[0].file.max_bytes: 0: want 1 to 52428800",
			"sections[0].fields[0].file.max_count: 99: want 0 (one file) to 20"}},
		{"file rules elsewhere", wrap(`{"id": "a", "type": "text", "label": "A", "file": {"accept": [], "max_bytes": 1}}`), []string{
			"sections[0].fields[0].file: only file fields have file rules"}},
		{"file accepting nothing", wrap(`{"id": "f", "type": "file", "label": "F", "file": {"accept": [], "max_bytes": 10}}`), []string{
			"sections[0].fields[0].file.accept: list the accepted types"}},
		{"declaration without content", wrap(`{"id": "d", "type": "declaration", "label": "D"}`), []string{
			"sections[0].fields[0].declaration: a declaration field needs article and text"}},
		{"bad declaration", wrap(`{"id": "d", "type": "declaration", "label": "D", "declaration": {"article": 48, "text": ""}}`), []string{
			"sections[0].fields[0].declaration.article: 48: want 46 or 47 (DPR 445/2000)",
			"sections[0].fields[0].declaration.text: the Italian text is empty"}},
		{"declaration elsewhere", wrap(`{"id": "a", "type": "checkbox", "label": "A", "declaration": {"article": 46, "text": "x"}}`), []string{
			"sections[0].fields[0].declaration: only declaration fields have a declaration"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Load(strings.NewReader(tc.in))
			if err == nil {
				t.Fatalf("Load() = %+v, want an error", d)
			}
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("error kind = %v, want Invalid", apperr.KindOf(err))
			}
			got := strings.Split(err.Error(), "\n")
			if _, first, ok := strings.Cut(got[0], ": "); ok && strings.HasPrefix(got[0], `form "`) {
				got[0] = first // drop the `form "prova": ` prefix of the first line
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Load() errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadAccepts(t *testing.T) {
	for _, in := range []string{
		wrap(okText),
		wrap(okChoice + `, {"id": "a", "type": "text", "label": "A", "show_if": {"field": "c", "in": ["x", "y"]}}`),
		wrap(`{"id": "n", "type": "number", "label": "N", "min": -1.5, "max": "2"}`),
		wrap(`{"id": "d", "type": "date", "label": "D", "min": "-120y", "max": "+30d"}`),
		wrap(okCheck + `, {"id": "g", "type": "group", "label": "G", "item_label": "I", "max_items": 2, "fields": [` + okChoice +
			`, {"id": "a", "type": "text", "label": "A", "show_if": {"field": "c", "equals": "x"}}, {"id": "b", "type": "text", "label": "B", "show_if": {"field": "k", "checked": false}}]}`),
	} {
		if _, err := Load(strings.NewReader(in)); err != nil {
			t.Errorf("Load(%s): %v", in, err)
		}
	}
}

// TestShippedDefinitions checks the embedded definitions load and name
// catalogue services at the catalogue's version.
func TestShippedDefinitions(t *testing.T) {
	defs, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, d := range defs {
		slugs = append(slugs, d.Service)
		s, err := cat.Get(d.Service)
		if err != nil {
			t.Errorf("%s: not in the catalogue: %v", d.Service, err)
			continue
		}
		if s.Version != d.Version {
			t.Errorf("%s: form version %d, scheda version %d", d.Service, d.Version, s.Version)
		}
		if !s.Online() {
			t.Errorf("%s: the scheda has no online channel", d.Service)
		}
	}
	if diff := cmp.Diff([]string{"accesso-agli-atti", "occupazione-suolo-pubblico"}, slugs); diff != "" {
		t.Errorf("shipped definitions mismatch (-want +got):\n%s", diff)
	}
}

// TestDefinitionRoundTrip checks that a loaded definition marshals to JSON
// that loads to the same definition, in the shape it was written.
func TestDefinitionRoundTrip(t *testing.T) {
	for _, path := range []string{"testdata/all-types.json", "definitions/accesso-agli-atti.json", "definitions/occupazione-suolo-pubblico.json"} {
		d := load(t, path)
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Load(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: reload: %v", path, err)
		}
		if diff := cmp.Diff(d, back); diff != "" {
			t.Errorf("%s: round trip mismatch (-want +got):\n%s", path, diff)
		}
	}
	var txt Text
	if err := json.Unmarshal([]byte(`"Nome"`), &txt); err != nil || txt != (Text{IT: "Nome"}) {
		t.Errorf("plain string text = %+v, %v", txt, err)
	}
	if b, _ := json.Marshal(Text{IT: "Nome"}); string(b) != `"Nome"` {
		t.Errorf("Italian-only text marshals to %s", b)
	}
	if got := (Text{IT: "Nome", EN: "Name"}).In("en"); got != "Name" {
		t.Errorf("In(en) = %q", got)
	}
	if got := (Text{IT: "Nome"}).In("en"); got != "Nome" {
		t.Errorf("In(en) without English = %q, want the Italian", got)
	}
}

func TestLoadTooLarge(t *testing.T) {
	big := `{"service": "prova", "version": 1, "sections": [], "x": "` + strings.Repeat("a", maxDefinitionBytes) + `"}`
	_, err := Load(strings.NewReader(big))
	if err == nil || !apperr.Is(err, apperr.Invalid) {
		t.Errorf("Load(2 MB) = %v, want an Invalid error", err)
	}
}

func FuzzLoad(f *testing.F) {
	for _, path := range []string{"testdata/all-types.json", "definitions/accesso-agli-atti.json", "definitions/occupazione-suolo-pubblico.json"} {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(wrap(okChoice + `, {"id": "a", "type": "text", "label": "A", "show_if": {"field": "c", "in": ["x"]}}`)))
	f.Add([]byte(`{"service": "a", "version": 1, "sections": [{"id": "s", "title": {"it": "S"}, "fields": [{"id": "d", "type": "date", "label": "D", "min": "-1y"}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Load(bytes.NewReader(b))
		if err != nil {
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != apperr.Invalid {
				t.Fatalf("Load error %v is not Invalid", err)
			}
			return
		}
		// What loads can be used: parse an empty submission, view it, flatten it.
		a, _ := d.Parse(Submission{Today: today})
		noop := func(k string, _ ...any) string { return k }
		d.View(a, nil, noop, "it")
		d.Summary(a, noop, "en")
		if got, want := len(d.Flatten(a, nil, noop, "it")), len(d.Columns(nil, noop, "it")); got != want {
			t.Fatalf("Flatten gives %d cells for %d columns", got, want)
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Load(bytes.NewReader(out)); err != nil {
			t.Fatalf("a loaded definition does not reload: %v\n%s", err, out)
		}
	})
}

// TestArchivedDefinitions: every earlier version kept in the archive loads,
// is named after its service and version, and is older than the current
// form of a shipped service.
func TestArchivedDefinitions(t *testing.T) {
	archived, err := Archived()
	if err != nil {
		t.Fatal(err)
	}
	current, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	latest := map[string]int{}
	for _, d := range current {
		latest[d.Service] = d.Version
	}
	for _, d := range archived {
		if v, ok := latest[d.Service]; !ok || d.Version >= v {
			t.Errorf("archive holds %s v%d; the current form is v%d", d.Service, d.Version, v)
		}
	}
}
