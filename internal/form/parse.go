package form

import (
	"errors"
	"mime"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/codfisc"
	"github.com/sportello/sportello/internal/iban"
)

// Default caps on typed text, so that no field stores an unbounded string.
const (
	defaultTextLength     = 500
	defaultTextareaLength = 4000
	// maxItemsParsed caps how many group items a tampered count makes us read.
	maxItemsParsed = maxGroupItems + 1
)

// Submission is what the web layer hands to Parse for one page.
type Submission struct {
	// Values is the posted form (r.PostForm).
	Values url.Values
	// Files holds, by the HTML name of each file field, every file the
	// field has after this request: those kept from before plus the new
	// uploads. A field missing from the map keeps its files in Prior.
	Files map[string][]FileInfo
	// Prior are the answers saved so far: fields of other steps, read-only
	// prefilled values, files not re-sent. Parse never modifies them.
	Prior Answers
	// Today is the ente's calendar date, for "today" in date limits and
	// the age checks of codici fiscali. The zero date skips those checks.
	Today calendar.Date
}

// Size is a number of bytes in an error's arguments; View writes it as
// "5 MB" in the page's language.
type Size int64

// Number is a canonical decimal in an error's arguments; View writes it
// with the page's decimal separator.
type Number string

// Parse reads the fields of d (a whole form, or one step's ForStep) from a
// submission: it normalises every answer, drops the answers of fields that
// their show-if hides, and checks each against its type and the definition,
// never trusting the client (option values, group counts, file types). It
// returns the prior answers with this form's fields replaced, and the
// errors in form order.
func (d *Definition) Parse(s Submission) (Answers, Errors) {
	p := parser{sub: s, out: s.Prior.Clone()}
	for i := range d.Sections {
		for j := range d.Sections[i].Fields {
			f := &d.Sections[i].Fields[j]
			if !f.ShowIf.holds(p.out, nil, nil) {
				delete(p.out, f.ID)
				continue
			}
			v := p.value(f, f.ID, f.ID, s.Prior[f.ID])
			if v.IsZero() {
				delete(p.out, f.ID)
			} else {
				p.out[f.ID] = v
			}
		}
	}
	return p.out, p.errs
}

// Validate checks stored answers against the whole definition, as Parse
// would if they were submitted again, so that the final "Invia" refuses a
// pratica whose steps were completed under different earlier answers. It
// also returns the answers cleaned of fields that are now hidden.
func (d *Definition) Validate(a Answers, today calendar.Date) (Answers, Errors) {
	return d.Parse(Submission{Values: d.Encode(a), Files: d.files(a), Prior: a, Today: today})
}

// holds reports whether the field with this condition is shown: it looks
// the tested field up among the earlier fields of the same group item
// (siblings) first, then at the top level.
func (c *Condition) holds(top, item Answers, siblings map[string]bool) bool {
	if c == nil {
		return true
	}
	v := top[c.Field]
	if siblings[c.Field] {
		v = item[c.Field]
	}
	switch {
	case c.Checked != nil:
		return v.Checked == *c.Checked
	case c.Equals != "":
		return v.Text == c.Equals || slices.Contains(v.List, c.Equals)
	default:
		return slices.Contains(c.In, v.Text) || slices.ContainsFunc(v.List, func(s string) bool { return slices.Contains(c.In, s) })
	}
}

// parser accumulates the answers and errors of one Parse.
type parser struct {
	sub  Submission
	out  Answers
	errs Errors
}

func (p *parser) fail(id, key string, args ...any) {
	p.errs = append(p.errs, FieldError{Field: id, Key: key, Args: args})
}

// value parses field f posted under name, whose input has the HTML id.
func (p *parser) value(f *Field, name, id string, prior Value) Value {
	switch f.Type {
	case TypeChoice:
		return p.choice(f, name, id)
	case TypeMultichoice:
		return p.multichoice(f, name, id)
	case TypeCheckbox, TypeDeclaration:
		v := Value{Checked: p.sub.Values.Get(name) == "1"}
		if !v.Checked {
			switch {
			case f.Type == TypeDeclaration:
				p.fail(id, KeyRequiredDeclaration)
			case f.Required:
				p.fail(id, KeyRequiredCheckbox)
			}
		}
		return v
	case TypeAddress:
		return p.address(f, name, id)
	case TypeGroup:
		return p.group(f, name, id, prior)
	case TypeFile:
		return p.files(f, name, id, prior)
	}
	if f.Prefill == PrefillFiscalCode && prior.Prefilled && prior.Text != "" {
		return prior // read-only: the code the identity provider gave
	}
	raw := cleanText(p.sub.Values.Get(name), f.Type == TypeTextarea)
	if raw == "" {
		if f.Required {
			p.fail(id, KeyRequired)
		}
		return Value{}
	}
	text, key, args := p.scalar(f, raw)
	if key != "" {
		p.fail(id, key, args...)
		return Value{Text: raw}
	}
	// Still the profile's value: keep the record of where it came from.
	return Value{Text: text, Prefilled: prior.Prefilled && text == prior.Text}
}

// scalar normalises and checks a non-empty text-like answer, returning the
// normalised text or the key and arguments of the error.
func (p *parser) scalar(f *Field, raw string) (string, string, []any) {
	switch f.Type {
	case TypeText, TypeTextarea:
		limit := f.MaxLength
		if limit == 0 {
			limit = defaultTextLength
			if f.Type == TypeTextarea {
				limit = defaultTextareaLength
			}
		}
		if n := runeCount(raw); n > limit {
			return "", KeyTooLong, []any{limit, n}
		}
		if f.Pattern != "" {
			re, err := regexp.Compile(`^(?:` + f.Pattern + `)$`)
			if err != nil || !re.MatchString(raw) {
				return "", KeyPattern, nil
			}
		}
		return raw, "", nil
	case TypeNumber:
		return p.number(f, raw)
	case TypeDate:
		return p.date(f, raw)
	case TypeFiscalCode:
		return p.fiscalCode(raw)
	case TypeEmail:
		if e, ok := normEmail(raw); ok {
			return e, "", nil
		}
		return "", KeyEmail, nil
	case TypePhone:
		if ph, ok := normPhone(raw); ok {
			return ph, "", nil
		}
		return "", KeyPhone, nil
	case TypeIBAN:
		return ibanValue(raw)
	}
	return "", KeyChoice, nil // unreachable for a checked definition
}

func (p *parser) number(f *Field, raw string) (string, string, []any) {
	n, x, res := normNumber(raw)
	switch {
	case res == numberAmbiguous:
		return "", KeyNumberAmbiguous, nil
	case res != numberOK:
		return "", KeyNumber, nil
	case f.Integer && strings.Contains(n, "."):
		return "", KeyInteger, nil
	}
	if lo, ok := parseLimitNumber(f.Min); ok && f.Min != "" && x < lo {
		return "", KeyNumberMin, []any{Number(f.Min)}
	}
	if hi, ok := parseLimitNumber(f.Max); ok && f.Max != "" && x > hi {
		return "", KeyNumberMax, []any{Number(f.Max)}
	}
	return n, "", nil
}

func (p *parser) date(f *Field, raw string) (string, string, []any) {
	d, ok := parseDate(raw)
	if !ok {
		return "", KeyDate, nil
	}
	relative := func(l Limit) bool {
		return l == "today" || strings.HasPrefix(string(l), "+") || strings.HasPrefix(string(l), "-")
	}
	if f.Min != "" && (p.sub.Today != calendar.Date{} || !relative(f.Min)) {
		if lo, ok := resolveDateLimit(string(f.Min), p.sub.Today); ok && d.Before(lo) {
			return "", KeyDateMin, []any{lo}
		}
	}
	if f.Max != "" && (p.sub.Today != calendar.Date{} || !relative(f.Max)) {
		if hi, ok := resolveDateLimit(string(f.Max), p.sub.Today); ok && d.After(hi) {
			return "", KeyDateMax, []any{hi}
		}
	}
	return d.String(), "", nil
}

func (p *parser) fiscalCode(raw string) (string, string, []any) {
	code, err := codfisc.Parse(compact(raw))
	if err == nil && (p.sub.Today != calendar.Date{}) {
		err = codfisc.ValidatePlace(code, p.sub.Today.In(time.UTC))
	}
	var ce *codfisc.Error
	switch {
	case err == nil:
		return code.String(), "", nil
	case !errors.As(err, &ce):
		return "", KeyFiscalCode, nil
	case ce.Reason == codfisc.ReasonLength:
		n, _ := strconv.Atoi(ce.Got)
		return "", KeyFiscalCodeLength, []any{n}
	case ce.Reason == codfisc.ReasonCheck:
		return "", KeyFiscalCodeCheck, nil
	case ce.Reason == codfisc.ReasonPlaceUnknown || ce.Reason == codfisc.ReasonPlaceDate:
		return "", KeyFiscalCodePlace, nil
	}
	return "", KeyFiscalCode, nil
}

func ibanValue(raw string) (string, string, []any) {
	i, err := iban.Parse(compact(raw))
	var ie *iban.Error
	switch {
	case err == nil:
		return i.String(), "", nil
	case !errors.As(err, &ie):
		return "", KeyIBAN, nil
	case ie.Reason == iban.ReasonLength && ie.Want > 0:
		return "", KeyIBANLength, []any{ie.Want, ie.Got}
	case ie.Reason == iban.ReasonCountry:
		return "", KeyIBANCountry, nil
	case ie.Reason == iban.ReasonCheck || ie.Reason == iban.ReasonCIN:
		return "", KeyIBANCheck, nil
	}
	return "", KeyIBAN, nil
}

func (p *parser) choice(f *Field, name, id string) Value {
	raw := p.sub.Values.Get(name)
	if raw == "" {
		if f.Required {
			p.fail(id, KeyRequiredChoice)
		}
		return Value{}
	}
	if !slices.ContainsFunc(f.Options, func(o Option) bool { return o.Value == raw }) {
		p.fail(id, KeyChoice)
		return Value{}
	}
	return Value{Text: raw}
}

func (p *parser) multichoice(f *Field, name, id string) Value {
	sent := p.sub.Values[name]
	var list []string
	for _, o := range f.Options { // the options' order, each once
		if slices.Contains(sent, o.Value) {
			list = append(list, o.Value)
		}
	}
	for _, s := range sent {
		if s != "" && !slices.ContainsFunc(f.Options, func(o Option) bool { return o.Value == s }) {
			p.fail(id, KeyChoice)
			return Value{List: list}
		}
	}
	if len(list) == 0 && f.Required {
		p.fail(id, KeyRequiredChoice)
	}
	return Value{List: list}
}

// The parts of an address, as suffixes of its HTML name and id.
const (
	partStreet     = "street"
	partNumber     = "number"
	partPostalCode = "postal_code"
	partComune     = "comune"
)

// farFuture looks comuni up in the current list when Today is unknown:
// ANPR's open-ended periods run to 9999-12-31.
var farFuture = time.Date(9999, time.December, 31, 0, 0, 0, 0, time.UTC)

func (p *parser) address(f *Field, name, id string) Value {
	get := func(part string) string { return cleanText(p.sub.Values.Get(name+"."+part), false) }
	a := Address{Street: get(partStreet), Number: get(partNumber), PostalCode: get(partPostalCode), Comune: get(partComune)}
	if a == (Address{}) {
		if f.Required {
			p.fail(id+"-"+partStreet, KeyRequired)
			p.fail(id+"-"+partComune, KeyRequired)
		}
		return Value{}
	}
	if f.Required && a.Street == "" {
		p.fail(id+"-"+partStreet, KeyRequired)
	}
	if n := runeCount(a.Street); n > defaultTextLength {
		p.fail(id+"-"+partStreet, KeyTooLong, defaultTextLength, n)
	}
	if n := runeCount(a.Number); n > 20 {
		p.fail(id+"-"+partNumber, KeyTooLong, 20, n)
	}
	if a.PostalCode != "" && (len(a.PostalCode) != 5 || !isDigits(a.PostalCode)) {
		p.fail(id+"-"+partPostalCode, KeyPostalCode)
	}
	on := farFuture
	if p.sub.Today != (calendar.Date{}) {
		on = p.sub.Today.In(time.UTC)
	}
	switch found := codfisc.LookupComune(a.Comune, on); {
	case a.Comune == "":
		if f.Required {
			p.fail(id+"-"+partComune, KeyRequired)
		}
	case len(found) == 1:
		a.Comune, a.Province, a.Belfiore = found[0].Name, found[0].Province, found[0].Belfiore
	case len(found) > 1:
		p.fail(id+"-"+partComune, KeyComuneAmbiguous, found[0].String())
	default:
		p.fail(id+"-"+partComune, KeyComune)
	}
	return Value{Address: &a}
}

// itemsName is the hidden input that carries a group's item count, so that
// an item whose answers are all empty still exists.
func itemsName(group string) string { return group + "._items" }

func (p *parser) group(f *Field, name, id string, prior Value) Value {
	n := len(prior.Items)
	if s, ok := p.sub.Values[itemsName(name)]; ok && len(s) > 0 {
		if c, err := strconv.Atoi(s[0]); err == nil && c >= 0 {
			n = min(c, maxItemsParsed)
		}
	}
	if n > f.MaxItems {
		p.fail(id, KeyGroupMax, f.MaxItems)
		n = f.MaxItems
	}
	items := make([]Answers, n)
	for i := range items {
		item := Answers{}
		var priorItem Answers
		if i < len(prior.Items) {
			priorItem = prior.Items[i]
		}
		siblings := map[string]bool{}
		for j := range f.Fields {
			sf := &f.Fields[j]
			if sf.ShowIf.holds(p.out, item, siblings) {
				v := p.value(sf, itemName(name, i, sf.ID), itemID(id, i, sf.ID), priorItem[sf.ID])
				if !v.IsZero() {
					item[sf.ID] = v
				}
			}
			siblings[sf.ID] = true
		}
		items[i] = item
	}
	if n < f.MinItems {
		p.fail(id, KeyGroupMin, f.MinItems)
	}
	return Value{Items: items}
}

func (p *parser) files(f *Field, name, id string, prior Value) Value {
	files, ok := p.sub.Files[name]
	if !ok {
		files = prior.Files
	}
	limit := max(f.File.MaxCount, 1)
	var kept []FileInfo
	failed := false
	for _, fi := range files {
		t, _, err := mime.ParseMediaType(fi.Type)
		switch {
		case len(kept) == limit:
			if !failed {
				p.fail(id, KeyFileCount, limit)
				failed = true
			}
		case err != nil || !slices.Contains(f.File.Accept, t):
			if !failed {
				p.fail(id, KeyFileType, fi.Name, acceptLabel(f.File))
				failed = true
			}
		case fi.Size > f.File.MaxBytes || fi.Size < 0:
			if !failed {
				p.fail(id, KeyFileSize, fi.Name, Size(f.File.MaxBytes))
				failed = true
			}
		default:
			fi.Type = t
			kept = append(kept, fi)
		}
	}
	if len(kept) == 0 && f.Required && !failed {
		p.fail(id, KeyRequiredFile)
	}
	return Value{Files: kept}
}

// acceptLabel names the accepted types as citizens know them: "PDF, JPG".
func acceptLabel(r *FileRule) string {
	names := make([]string, len(r.Accept))
	for i, t := range r.Accept {
		names[i] = fileTypes[t]
	}
	return strings.Join(names, ", ")
}
