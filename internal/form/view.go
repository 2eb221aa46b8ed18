package form

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/iban"
)

// ActionName is the name of every submit button of a form page; its value
// says what the button does (see ReadAction).
const ActionName = "_action"

// FormView is everything the "form-*" templates need, with every text
// already resolved in the page's language, so that the templates use no
// custom functions.
type FormView struct {
	Lang string
	// Errors is the error summary shown at the top; nil when there are none.
	Errors *ErrorSummary
	// RequiredNote explains the asterisk.
	RequiredNote string
	Sections     []SectionView
	// Multipart is true when a file field is shown: the form element needs
	// enctype="multipart/form-data".
	Multipart bool
}

// ErrorSummary lists the errors with links to the inputs (#id).
type ErrorSummary struct {
	Title, Intro string
	Links        []ErrorLink
}

// ErrorLink is one entry of the error summary.
type ErrorLink struct {
	Href, Text string
}

// SectionView is a section of the form.
type SectionView struct {
	ID, HeadingID, Title, Help string
	Fields                     []FieldView
}

// FieldView is one field, or one part of a field (an address line, a group
// item's field), ready to render. Kind picks the markup: input, textarea,
// select, radio, checkboxes, checkbox, declaration, address, group, file.
type FieldView struct {
	Kind, ID, Name, Label, Help string
	HelpID, ErrorID             string
	// DescribedBy lists the ids of the help, rules and error texts.
	DescribedBy string
	Error       string
	Invalid     bool
	Required    bool
	// RequiredText is the visually hidden "(obbligatorio)" of a legend.
	RequiredText string
	ReadOnly     bool
	// Hidden is true when the field's show-if does not hold for the
	// current answers: it is rendered with the hidden attribute, so that a
	// script may reveal it, and its value is ignored by Parse.
	Hidden bool
	// ShowIfName and ShowIfValues describe the condition for a script.
	ShowIfName, ShowIfValues string

	// InputType is text, email, tel or date; InputMode, Autocomplete and
	// Autocapitalize are the attributes of the same name, NoSpellcheck
	// sets spellcheck="false".
	InputType, InputMode, Autocomplete, Autocapitalize string
	NoSpellcheck                                       bool
	Value                                              string
	Checked                                            bool
	Options                                            []OptionView
	// Placeholder is the empty first option of a select.
	Placeholder string
	// Parts are the inputs of an address.
	Parts []FieldView
	// Legend and Warning introduce a declaration; WarningID is described-by.
	Legend, Warning, WarningID string
	// Items, ItemsName, ItemsCount and Add describe a group.
	Items      []ItemView
	ItemsName  string
	ItemsCount int
	Add        *Button
	// Files, Accept, Multiple, Rules and RulesID describe a file field.
	Files         []FileView
	Accept, Rules string
	RulesID       string
	Multiple      bool
	CurrentFiles  string
	// Refresh is the "Aggiorna le domande" button after a field that
	// others depend on, with its explanation.
	Refresh     *Button
	RefreshHelp string
}

// OptionView is a radio, checkbox or select option.
type OptionView struct {
	ID, Value, Label string
	Checked          bool
}

// ItemView is one item of a repeatable group.
type ItemView struct {
	ID, Legend string
	Fields     []FieldView
	Remove     *Button
}

// FileView is a file already attached.
type FileView struct {
	Name, Size string
	Remove     Button
}

// Button is a submit button named ActionName; ID is set only where a
// link points at the button.
type Button struct {
	ID, Name, Value, Label string
}

// maxRadios is how many options a choice shows as radios; more become a select.
const maxRadios = 6

// View builds the view model of d for answers a and errors errs: t
// resolves locale keys in lang. Fields are rendered even when their show-if
// does not hold (hidden), so that the page is complete without JavaScript
// once the citizen presses "Aggiorna le domande".
func (d *Definition) View(a Answers, errs Errors, t func(key string, args ...any) string, lang string) FormView {
	v := viewer{a: a, errs: errs, t: t, lang: lang, labels: map[string]string{}, controls: controlled(d)}
	fv := FormView{Lang: lang, RequiredNote: t("form.required.note")}
	for i := range d.Sections {
		s := &d.Sections[i]
		sv := SectionView{ID: "form-section-" + s.ID, HeadingID: "form-section-" + s.ID + "-title", Title: s.Title.In(lang), Help: s.Help.In(lang)}
		for j := range s.Fields {
			f := &s.Fields[j]
			field := v.field(f, f.ID, f.ID, a[f.ID], f.ShowIf.holds(a, nil, nil), v.controls[f.ID], "")
			fv.Multipart = fv.Multipart || v.hasFile(f)
			sv.Fields = append(sv.Fields, field)
		}
		fv.Sections = append(fv.Sections, sv)
	}
	if len(errs) > 0 {
		sum := &ErrorSummary{Title: t("form.errors.title.many", len(errs)), Intro: t("form.errors.intro")}
		if len(errs) == 1 {
			sum.Title = t("form.errors.title.one")
		}
		for _, fe := range errs {
			text := v.message(fe)
			if label := v.labels[fe.Field]; label != "" {
				text = t("form.errors.link", label, text)
			}
			sum.Links = append(sum.Links, ErrorLink{Href: "#" + fe.Field, Text: text})
		}
		fv.Errors = sum
	}
	return fv
}

// controlled returns the ids of the top-level fields some condition tests,
// and, as "group.field", the group fields their siblings test.
func controlled(d *Definition) map[string]bool {
	out := map[string]bool{}
	for i := range d.Sections {
		for _, f := range d.Sections[i].Fields {
			if f.ShowIf != nil {
				out[f.ShowIf.Field] = true
			}
			siblings := map[string]bool{}
			for _, sf := range f.Fields {
				if c := sf.ShowIf; c != nil && siblings[c.Field] {
					out[f.ID+"."+c.Field] = true
				} else if c != nil {
					out[c.Field] = true
				}
				siblings[sf.ID] = true
			}
		}
	}
	return out
}

// viewer holds what building one FormView needs.
type viewer struct {
	a        Answers
	errs     Errors
	t        func(key string, args ...any) string
	lang     string
	labels   map[string]string // input id → label, for the error summary
	controls map[string]bool
}

func (v *viewer) hasFile(f *Field) bool {
	if f.Type == TypeFile {
		return true
	}
	for i := range f.Fields {
		if f.Fields[i].Type == TypeFile {
			return true
		}
	}
	return false
}

// message resolves an error's text, formatting its arguments for the page.
func (v *viewer) message(fe FieldError) string {
	args := make([]any, len(fe.Args))
	for i, a := range fe.Args {
		switch x := a.(type) {
		case Size:
			args[i] = sizeLabel(int64(x), v.lang)
		case Number:
			args[i] = displayNumber(string(x), v.lang)
		case calendar.Date:
			args[i] = displayDate(x)
		default:
			args[i] = a
		}
	}
	return v.t(fe.Key, args...)
}

// base fills what every kind of field shares. prefix is the label of the
// enclosing group item, for the error summary.
func (v *viewer) base(f *Field, name, id string, shown bool, prefix string) FieldView {
	fv := FieldView{ID: id, Name: name, Label: f.Label.In(v.lang), Help: f.Help.In(v.lang), Required: f.Required, Hidden: !shown}
	if f.Type == TypeDeclaration {
		fv.Required = true
	}
	if fv.Required {
		fv.RequiredText = v.t("form.required.mark")
	}
	if fv.Help != "" {
		fv.HelpID = id + "-help"
	}
	if fe, ok := v.errs.For(id); ok {
		fv.Invalid, fv.ErrorID, fv.Error = true, id+"-error", v.message(fe)
	}
	v.labels[id] = joinLabel(prefix, fv.Label)
	if c := f.ShowIf; c != nil {
		fv.ShowIfName = c.Field
		fv.ShowIfValues = strings.Join(append([]string{c.Equals}, c.In...), " ")
		if c.Checked != nil {
			fv.ShowIfValues = strconv.FormatBool(*c.Checked)
		}
		fv.ShowIfValues = strings.TrimSpace(fv.ShowIfValues)
	}
	return fv
}

func joinLabel(prefix, label string) string {
	if prefix == "" {
		return label
	}
	return prefix + " – " + label
}

// describe sets DescribedBy from the ids of the texts that explain the field.
func (fv *FieldView) describe(ids ...string) {
	var out []string
	for _, id := range append(ids, fv.HelpID, fv.ErrorID) {
		if id != "" {
			out = append(out, id)
		}
	}
	fv.DescribedBy = strings.Join(out, " ")
}

// field builds the view of f; controls says whether later fields depend on it.
func (v *viewer) field(f *Field, name, id string, val Value, shown, controls bool, prefix string) FieldView {
	fv := v.base(f, name, id, shown, prefix)
	switch f.Type {
	case TypeChoice:
		v.choice(&fv, f, val)
	case TypeMultichoice:
		fv.Kind = "checkboxes"
		v.options(&fv, f, func(o Option) bool { return containsString(val.List, o.Value) })
	case TypeCheckbox:
		fv.Kind, fv.Value, fv.Checked = "checkbox", "1", val.Checked
	case TypeDeclaration:
		v.declaration(&fv, f, val)
	case TypeAddress:
		v.address(&fv, f, val, prefix)
	case TypeGroup:
		v.group(&fv, f, val)
	case TypeFile:
		v.files(&fv, f, val)
	default:
		v.input(&fv, f, val)
	}
	if fv.Kind != "address" && fv.Kind != "group" && fv.Kind != "declaration" && fv.Kind != "file" {
		fv.describe()
	}
	if controls {
		fv.Refresh = &Button{Name: ActionName, Value: "refresh", Label: v.t("form.refresh")}
		fv.RefreshHelp = v.t("form.refresh.help")
	}
	return fv
}

func (v *viewer) input(fv *FieldView, f *Field, val Value) {
	fv.Kind, fv.InputType, fv.Value = "input", "text", val.Text
	switch f.Type {
	case TypeTextarea:
		fv.Kind = "textarea"
	case TypeNumber:
		fv.InputMode = "decimal"
		if f.Integer {
			fv.InputMode = "numeric"
		}
		if n, _, res := normNumber(val.Text); res == numberOK && n == val.Text {
			fv.Value = displayNumber(val.Text, v.lang)
		}
	case TypeDate:
		fv.InputType = "date"
	case TypeEmail:
		fv.InputType, fv.NoSpellcheck = "email", true
	case TypePhone:
		fv.InputType = "tel"
	case TypeFiscalCode:
		fv.Autocapitalize, fv.NoSpellcheck = "characters", true
		fv.ReadOnly = f.Prefill == PrefillFiscalCode && val.Prefilled && val.Text != ""
	case TypeIBAN:
		fv.Autocapitalize, fv.NoSpellcheck = "characters", true
		if i, err := iban.Parse(val.Text); err == nil {
			fv.Value = i.Print()
		}
	}
	fv.Autocomplete = autocompleteOf(f)
}

// autocompleteOf returns the field's autocomplete token: the explicit one,
// or the one its prefill key implies (WCAG 1.3.5).
func autocompleteOf(f *Field) string {
	if f.Autocomplete != "" {
		return f.Autocomplete
	}
	return map[string]string{
		PrefillGivenName: "given-name", PrefillFamilyName: "family-name", PrefillEmail: "email", PrefillPhone: "tel",
	}[f.Prefill]
}

func (v *viewer) choice(fv *FieldView, f *Field, val Value) {
	fv.Kind = "radio"
	if len(f.Options) > maxRadios {
		fv.Kind, fv.Placeholder = "select", v.t("form.select.placeholder")
	}
	v.options(fv, f, func(o Option) bool { return o.Value == val.Text })
}

// options lists the options; the first radio or checkbox carries the
// field's id, so that the error summary's link lands on it.
func (v *viewer) options(fv *FieldView, f *Field, checked func(Option) bool) {
	for i, o := range f.Options {
		id := fv.ID
		if i > 0 {
			id = fv.ID + "-" + strconv.Itoa(i+1)
		}
		fv.Options = append(fv.Options, OptionView{ID: id, Value: o.Value, Label: o.Label.In(v.lang), Checked: checked(o)})
	}
}

func (v *viewer) declaration(fv *FieldView, f *Field, val Value) {
	fv.Kind, fv.Value, fv.Checked = "declaration", "1", val.Checked
	fv.Legend = v.t("form.declaration.legend." + strconv.Itoa(f.Declaration.Article))
	fv.Warning, fv.WarningID = v.t("form.declaration.warning"), fv.ID+"-warning"
	fv.Label = v.t("form.declaration.formula", f.Declaration.Article, f.Declaration.Text.In(v.lang))
	v.labels[fv.ID] = fv.Legend
	fv.describe(fv.WarningID)
}

func (v *viewer) address(fv *FieldView, f *Field, val Value, prefix string) {
	fv.Kind = "address"
	a := Address{}
	if val.Address != nil {
		a = *val.Address
	}
	comune := a.Comune
	if a.Belfiore != "" {
		comune = a.Comune + " (" + a.Province + ")"
	}
	own := f.Autocomplete == "street-address"
	parts := []struct {
		part, value, auto, mode string
		required                bool
	}{
		{partStreet, a.Street, "address-line1", "", f.Required},
		{partNumber, a.Number, "", "", false},
		{partPostalCode, a.PostalCode, "postal-code", "numeric", false},
		{partComune, comune, "address-level2", "", f.Required},
	}
	for _, p := range parts {
		id := fv.ID + "-" + p.part
		pf := Field{Label: Text{IT: v.t("form.address." + p.part)}, Required: p.required}
		if p.part == partComune {
			pf.Help = Text{IT: v.t("form.address.comune.help")}
		}
		pv := v.base(&pf, fv.Name+"."+p.part, id, true, joinLabel(prefix, fv.Label))
		pv.Kind, pv.InputType, pv.Value, pv.InputMode = "input", "text", p.value, p.mode
		if own {
			pv.Autocomplete = p.auto
		}
		pv.describe()
		fv.Parts = append(fv.Parts, pv)
	}
	fv.describe()
}

func (v *viewer) group(fv *FieldView, f *Field, val Value) {
	fv.Kind, fv.ItemsName = "group", itemsName(fv.Name)
	n := max(len(val.Items), f.MinItems)
	itemLabel := f.ItemLabel.In(v.lang)
	for i := range n {
		var item Answers
		if i < len(val.Items) {
			item = val.Items[i]
		}
		legend := v.t("form.group.item", itemLabel, i+1)
		iv := ItemView{ID: fv.ID + "-" + strconv.Itoa(i), Legend: legend}
		siblings := map[string]bool{}
		for j := range f.Fields {
			sf := &f.Fields[j]
			shown := sf.ShowIf.holds(v.a, item, siblings)
			iv.Fields = append(iv.Fields, v.field(sf, itemName(fv.Name, i, sf.ID), itemID(fv.ID, i, sf.ID), item[sf.ID], shown, v.controls[f.ID+"."+sf.ID], legend))
			siblings[sf.ID] = true
		}
		if n > f.MinItems {
			iv.Remove = &Button{Name: ActionName, Value: "remove:" + fv.Name + ":" + strconv.Itoa(i),
				Label: v.t("form.group.remove", lowerFirst(itemLabel), i+1)}
		}
		fv.Items = append(fv.Items, iv)
	}
	fv.ItemsCount = n
	if n < f.MaxItems {
		fv.Add = &Button{ID: fv.ID + "-add", Name: ActionName, Value: "add:" + fv.Name, Label: v.t("form.group.add", lowerFirst(itemLabel))}
	}
	fv.describe()
}

func (v *viewer) files(fv *FieldView, f *Field, val Value) {
	fv.Kind = "file"
	r := f.File
	fv.Accept = strings.Join(r.Accept, ",")
	count := max(r.MaxCount, 1)
	fv.Multiple = count > 1
	if count == 1 {
		fv.Rules = v.t("form.file.rules.one", acceptLabel(r), sizeLabel(r.MaxBytes, v.lang))
	} else {
		fv.Rules = v.t("form.file.rules.many", acceptLabel(r), sizeLabel(r.MaxBytes, v.lang), count)
	}
	fv.RulesID = fv.ID + "-rules"
	if len(val.Files) > 0 {
		fv.CurrentFiles = v.t("form.file.current")
	}
	for i, fi := range val.Files {
		fv.Files = append(fv.Files, FileView{Name: fi.Name, Size: sizeLabel(fi.Size, v.lang), Remove: Button{
			Name: ActionName, Value: "remove-file:" + fv.Name + ":" + strconv.Itoa(i), Label: v.t("form.file.remove", fi.Name),
		}})
	}
	fv.describe(fv.RulesID)
}

// sizeLabel writes a size as "5 MB", "1,5 MB" or "300 KB".
func sizeLabel(n int64, lang string) string {
	const kb, mb = 1 << 10, 1 << 20
	var s string
	switch {
	case n >= mb && n%mb == 0:
		s = strconv.FormatInt(n/mb, 10) + " MB"
	case n >= mb:
		s = strconv.FormatFloat(float64(n)/mb, 'f', 1, 64) + " MB"
	default:
		s = strconv.FormatInt((n+kb-1)/kb, 10) + " KB"
	}
	return displayNumber(s, lang)
}

// lowerFirst lower-cases the first letter: "Documento" → "aggiungi documento".
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
