// Package form is the declarative form layer of online services: a JSON
// definition versioned with the service, server-side parsing and validation
// of what the citizen submits (with messages from the locale files), the
// once-only prefill, the view model the "form-*" templates render, the
// Riepilogo, and the flattening of answers for CSV and XLSX exports.
//
// It holds no state and touches no database: the pratica engine stores the
// Answers as JSON and calls Parse, View and Summary on each step. Every
// journey works without JavaScript: show-if conditions are re-evaluated on
// the server, repeatable groups grow and shrink with submit buttons.
package form

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Definition is the form of one service, at one version: a pratica records
// the version it was filed under, so that old answers keep their meaning.
type Definition struct {
	// Service is the catalogue slug of the service.
	Service string `json:"service"`
	// Version grows with every published change and matches the scheda's.
	Version  int       `json:"version"`
	Sections []Section `json:"sections"`
}

// Section is a titled part of the form, shown in one step of the
// Modello Comuni flow.
type Section struct {
	ID    string `json:"id"`
	Title Text   `json:"title"`
	Help  Text   `json:"help,omitzero"`
	// Step is "general" (Dati generali) or "service" (Dati del servizio,
	// the default), so that the flow knows which page shows the section.
	Step   string  `json:"step,omitempty"`
	Fields []Field `json:"fields"`
}

// Type is the kind of a field; it decides the input, the normalisation and
// the checks.
type Type string

// The field types.
const (
	TypeText        Type = "text"
	TypeTextarea    Type = "textarea"
	TypeNumber      Type = "number"
	TypeDate        Type = "date"
	TypeFiscalCode  Type = "fiscal_code"
	TypeEmail       Type = "email"
	TypePhone       Type = "phone"
	TypeIBAN        Type = "iban"
	TypeAddress     Type = "address"
	TypeChoice      Type = "choice"
	TypeMultichoice Type = "multichoice"
	TypeCheckbox    Type = "checkbox"
	TypeGroup       Type = "group"
	TypeFile        Type = "file"
	TypeDeclaration Type = "declaration"
)

// Field is one question. Which attributes apply depends on Type; Load
// rejects the ones that do not, so that a typo in a definition never goes
// silently unused.
type Field struct {
	// ID names the answer: [a-z][a-z0-9_]*, unique among the top-level
	// fields of the form or among the fields of one group.
	ID       string `json:"id"`
	Type     Type   `json:"type"`
	Label    Text   `json:"label"`
	Help     Text   `json:"help,omitzero"`
	Required bool   `json:"required,omitempty"`
	// Options are the answers of a choice or multichoice.
	Options []Option `json:"options,omitempty"`
	// Min and Max bound a number ("0", "12.5") or a date ("2024-01-01",
	// "today", "-18y", "+30d", "+6m").
	Min Limit `json:"min,omitempty"`
	Max Limit `json:"max,omitempty"`
	// Integer forbids decimals in a number.
	Integer bool `json:"integer,omitempty"`
	// MaxLength caps a text or textarea, in characters.
	MaxLength int `json:"max_length,omitempty"`
	// Pattern is a regular expression (RE2) a whole text must match.
	Pattern string `json:"pattern,omitempty"`
	// Prefill names the profile datum filled in once-only: see PrefillKeys.
	Prefill string `json:"prefill,omitempty"`
	// Autocomplete is the HTML autocomplete token (WCAG 1.3.5) when the
	// field asks for the citizen's own data and Prefill does not imply it.
	Autocomplete string `json:"autocomplete,omitempty"`
	// ShowIf hides the field unless an earlier answer matches.
	ShowIf *Condition `json:"show_if,omitempty"`
	// Fields, MinItems, MaxItems and ItemLabel describe a repeatable group.
	Fields    []Field `json:"fields,omitempty"`
	MinItems  int     `json:"min_items,omitempty"`
	MaxItems  int     `json:"max_items,omitempty"`
	ItemLabel Text    `json:"item_label,omitzero"`
	// File limits the uploads of a file field.
	File *FileRule `json:"file,omitempty"`
	// Declaration is the content of a self-declaration.
	Declaration *Declaration `json:"declaration,omitempty"`
}

// Option is one answer of a choice or multichoice; Value is what is stored,
// so that relabelling an option does not change old answers.
type Option struct {
	Value string `json:"value"`
	Label Text   `json:"label"`
}

// Condition shows a field only when an earlier answer matches: Equals (or,
// for a multichoice, contains) one value, is one of In, or, for a checkbox,
// is Checked or not. Exactly one of the three is set.
type Condition struct {
	Field   string   `json:"field"`
	Equals  string   `json:"equals,omitempty"`
	In      []string `json:"in,omitempty"`
	Checked *bool    `json:"checked,omitempty"`
}

// FileRule limits the files of a file field; the web layer sniffs the type
// and measures the size, and Parse checks them against these.
type FileRule struct {
	// Accept lists MIME types: see the accepted list in load.go.
	Accept []string `json:"accept"`
	// MaxBytes caps each file.
	MaxBytes int64 `json:"max_bytes"`
	// MaxCount caps the number of files; 0 means 1.
	MaxCount int `json:"max_count,omitempty"`
}

// Declaration is a self-declaration under DPR 445/2000: art. 46 replaces a
// certificate, art. 47 an affidavit. Its label reproduces the legal formula
// and the warning about the penalties of art. 76, so that the citizen's
// tick has the legal value the office relies on.
type Declaration struct {
	Article int `json:"article"`
	// Text is what is declared, completing "dichiaro che …".
	Text Text `json:"text"`
}

// Text is a user-facing string in Italian and, optionally, English. In
// JSON it is either a plain string (Italian) or {"it": …, "en": …}.
type Text struct {
	IT string `json:"it"`
	EN string `json:"en,omitempty"`
}

// In returns the text in lang, falling back to Italian, the language every
// definition must have.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.IT
}

// IsZero reports whether the text is empty in both languages, for omitzero.
func (t Text) IsZero() bool { return t.IT == "" && t.EN == "" }

// UnmarshalJSON accepts a plain string or an object with "it" and "en",
// rejecting any other key.
func (t *Text) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		*t = Text{}
		return json.Unmarshal(b, &t.IT)
	}
	var v struct {
		IT string `json:"it"`
		EN string `json:"en"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("text: want a string or {\"it\", \"en\"}: %w", err)
	}
	*t = Text{IT: v.IT, EN: v.EN}
	return nil
}

// MarshalJSON writes a plain string when there is no English, so that a
// definition round-trips to the shape it was written in.
func (t Text) MarshalJSON() ([]byte, error) {
	if t.EN == "" {
		return json.Marshal(t.IT)
	}
	type plain Text
	return json.Marshal(plain(t))
}

// Limit is the bound of a number or date field, written in JSON as a
// number or a string.
type Limit string

// UnmarshalJSON accepts a JSON number or string.
func (l *Limit) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = Limit(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("limit: want a number or a string: %w", err)
	}
	*l = Limit(n.String())
	return nil
}

// MarshalJSON writes a number when the limit is a plain decimal, a string
// otherwise.
func (l Limit) MarshalJSON() ([]byte, error) {
	if limitNumberRe.MatchString(string(l)) {
		return []byte(l), nil
	}
	return json.Marshal(string(l))
}

// The steps a section may belong to.
const (
	sectionGeneral = "general"
	sectionService = "service"
)

// stepOf returns the flow step that shows the section.
func (s *Section) stepOf() Step {
	if s.Step == sectionGeneral {
		return StepGeneral
	}
	return StepService
}

// Prefill keys: the profile data the ente already holds (once-only).
const (
	PrefillGivenName  = "citizen.given_name"
	PrefillFamilyName = "citizen.family_name"
	PrefillFiscalCode = "citizen.fiscal_code"
	PrefillEmail      = "citizen.email"
	PrefillPhone      = "citizen.phone"
)

// prefillTypes gives each prefill key the field type it fits.
var prefillTypes = map[string]Type{
	PrefillGivenName:  TypeText,
	PrefillFamilyName: TypeText,
	PrefillFiscalCode: TypeFiscalCode,
	PrefillEmail:      TypeEmail,
	PrefillPhone:      TypePhone,
}

// ForStep returns a definition with only the sections of one step, so that
// each page of the flow parses and renders its own fields; conditions on
// fields of other steps read the prior answers given to Parse and View.
func (d *Definition) ForStep(s Step) *Definition {
	out := &Definition{Service: d.Service, Version: d.Version}
	for _, sec := range d.Sections {
		if sec.stepOf() == s {
			out.Sections = append(out.Sections, sec)
		}
	}
	return out
}

// Field returns the top-level field with the given id, for callers that
// read one answer by meaning (the applicant's e-mail, the amount).
func (d *Definition) Field(id string) (*Field, bool) {
	for i := range d.Sections {
		for j := range d.Sections[i].Fields {
			if f := &d.Sections[i].Fields[j]; f.ID == id {
				return f, true
			}
		}
	}
	return nil, false
}
