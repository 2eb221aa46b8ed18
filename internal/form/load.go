package form

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
)

// maxDefinitionBytes bounds what Load reads; real definitions are a few KB.
const maxDefinitionBytes = 1 << 20

// Limits that keep a definition usable without JavaScript and a submission
// cheap to parse.
const (
	maxGroupItems = 50
	maxFileBytes  = 50 << 20
	maxFileCount  = 20
	maxTextLength = 10000
	maxIDLength   = 40
)

var (
	idRe      = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	optionRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	serviceRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// fileTypes are the MIME types a file field may accept, with the name a
// citizen knows them by.
var fileTypes = map[string]string{
	"application/pdf":        "PDF",
	"image/jpeg":             "JPG",
	"image/png":              "PNG",
	"image/tiff":             "TIFF",
	"application/pkcs7-mime": "P7M",
	"application/xml":        "XML",
	"application/vnd.oasis.opendocument.text":                                 "ODT",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
}

// autocompleteTokens are the HTML autocomplete tokens of WCAG 1.3.5 that a
// definition may name, with the field types they fit.
var autocompleteTokens = map[string][]Type{
	"name":               {TypeText},
	"given-name":         {TypeText},
	"family-name":        {TypeText},
	"additional-name":    {TypeText},
	"organization":       {TypeText},
	"organization-title": {TypeText},
	"email":              {TypeEmail},
	"tel":                {TypePhone},
	"bday":               {TypeDate},
	"street-address":     {TypeAddress},
	"country-name":       {TypeText},
}

// Load decodes a definition strictly (unknown keys and trailing data are
// errors) and checks it, so that a mistake in a service's form is caught
// when it is published and not when a citizen fills it in. The error is of
// kind Invalid and lists every problem with its path, one per line.
func Load(r io.Reader) (*Definition, error) {
	dec := json.NewDecoder(io.LimitReader(r, maxDefinitionBytes))
	dec.DisallowUnknownFields()
	var d Definition
	if err := dec.Decode(&d); err != nil {
		return nil, apperr.Errorf(apperr.Invalid, "form: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, apperr.Errorf(apperr.Invalid, "form: data after the definition")
	}
	if err := d.Check(); err != nil {
		return nil, err
	}
	return &d, nil
}

// Check validates a definition built in code or decoded by Load: unique
// ids, known types and keys, conditions on earlier fields, sane limits.
func (d *Definition) Check() error {
	c := checker{top: map[string]fieldRef{}}
	if !serviceRe.MatchString(d.Service) {
		c.add("service", "%q is not a catalogue slug", d.Service)
	}
	if d.Version < 1 {
		c.add("version", "must be 1 or more")
	}
	if len(d.Sections) == 0 {
		c.add("sections", "the form has no sections")
	}
	sectionIDs := map[string]bool{}
	for i := range d.Sections {
		s := &d.Sections[i]
		p := fmt.Sprintf("sections[%d]", i)
		switch {
		case !idRe.MatchString(s.ID) || len(s.ID) > maxIDLength:
			c.add(p+".id", "%q must be lower-case letters, digits and _, starting with a letter", s.ID)
		case sectionIDs[s.ID]:
			c.add(p+".id", "%q is used by another section", s.ID)
		}
		sectionIDs[s.ID] = true
		if strings.TrimSpace(s.Title.IT) == "" {
			c.add(p+".title", "the Italian title is empty")
		}
		if s.Step != "" && s.Step != sectionGeneral && s.Step != sectionService {
			c.add(p+".step", "%q: want %q or %q", s.Step, sectionGeneral, sectionService)
		}
		if len(s.Fields) == 0 {
			c.add(p+".fields", "the section has no fields")
		}
		for j := range s.Fields {
			c.field(fmt.Sprintf("%s.fields[%d]", p, j), &s.Fields[j], c.top, nil)
		}
	}
	if len(c.probs) > 0 {
		return apperr.Errorf(apperr.Invalid, "form %q: %w", d.Service, errors.New(strings.Join(c.probs, "\n")))
	}
	return nil
}

// fieldRef is a field defined earlier, where conditions may look.
type fieldRef struct {
	path  string
	field *Field
}

// checker collects the problems of one definition.
type checker struct {
	probs []string
	top   map[string]fieldRef
}

func (c *checker) add(path, format string, args ...any) {
	c.probs = append(c.probs, path+": "+fmt.Sprintf(format, args...))
}

// field checks f at path; scope holds the ids defined before it in its
// scope (the top level, or the group's earlier fields), outer the top level
// when f is inside a group.
func (c *checker) field(p string, f *Field, scope, outer map[string]fieldRef) {
	switch {
	case !idRe.MatchString(f.ID) || len(f.ID) > maxIDLength:
		c.add(p+".id", "%q must be lower-case letters, digits and _, starting with a letter", f.ID)
	default:
		if prev, dup := scope[f.ID]; dup {
			c.add(p+".id", "%q is already used at %s", f.ID, prev.path)
		}
	}
	known := slices.Contains([]Type{TypeText, TypeTextarea, TypeNumber, TypeDate, TypeFiscalCode, TypeEmail, TypePhone,
		TypeIBAN, TypeAddress, TypeChoice, TypeMultichoice, TypeCheckbox, TypeGroup, TypeFile, TypeDeclaration}, f.Type)
	if !known {
		c.add(p+".type", "unknown type %q", f.Type)
	}
	if strings.TrimSpace(f.Label.IT) == "" {
		c.add(p+".label", "the Italian label is empty")
	}
	if f.ShowIf != nil {
		c.condition(p+".show_if", f.ShowIf, scope, outer)
	}
	c.options(p, f)
	c.limits(p, f)
	c.text(p, f)
	c.prefill(p, f, outer != nil)
	c.group(p, f, outer != nil)
	c.file(p, f)
	c.declaration(p, f)
	if f.ID != "" {
		if _, dup := scope[f.ID]; !dup {
			scope[f.ID] = fieldRef{path: p, field: f}
		}
	}
}

// condition checks that a show-if names an earlier field it can test.
func (c *checker) condition(p string, cond *Condition, scope, outer map[string]fieldRef) {
	ref, ok := scope[cond.Field]
	if !ok && outer != nil {
		ref, ok = outer[cond.Field]
	}
	if !ok {
		c.add(p, "field %q is not defined before", cond.Field)
		return
	}
	set := 0
	for _, b := range []bool{cond.Equals != "", len(cond.In) > 0, cond.Checked != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		c.add(p, "set exactly one of equals, in and checked")
		return
	}
	switch t := ref.field.Type; t {
	case TypeChoice, TypeMultichoice:
		if cond.Checked != nil {
			c.add(p+".checked", "field %q is a %s: use equals or in", cond.Field, t)
			return
		}
		for _, v := range append([]string{cond.Equals}, cond.In...) {
			if v != "" && !slices.ContainsFunc(ref.field.Options, func(o Option) bool { return o.Value == v }) {
				c.add(p, "%q is not an option of field %q", v, cond.Field)
			}
		}
	case TypeCheckbox:
		if cond.Checked == nil {
			c.add(p, "field %q is a checkbox: use checked", cond.Field)
		}
	default:
		c.add(p, "field %q is a %s: conditions can only test choices and checkboxes", cond.Field, t)
	}
}

func (c *checker) options(p string, f *Field) {
	if f.Type != TypeChoice && f.Type != TypeMultichoice {
		if len(f.Options) > 0 {
			c.add(p+".options", "only choice and multichoice fields have options")
		}
		return
	}
	if len(f.Options) == 0 {
		c.add(p+".options", "a %s needs options", f.Type)
	}
	seen := map[string]bool{}
	for i, o := range f.Options {
		op := fmt.Sprintf("%s.options[%d]", p, i)
		switch {
		case !optionRe.MatchString(o.Value):
			c.add(op+".value", "%q must be lower-case letters, digits, _ and -", o.Value)
		case seen[o.Value]:
			c.add(op+".value", "%q is used by another option", o.Value)
		}
		seen[o.Value] = true
		if strings.TrimSpace(o.Label.IT) == "" {
			c.add(op+".label", "the Italian label is empty")
		}
	}
}

func (c *checker) limits(p string, f *Field) {
	if f.Type != TypeNumber && f.Type != TypeDate {
		if f.Min != "" || f.Max != "" {
			c.add(p, "only number and date fields have min and max")
		}
	}
	if f.Integer && f.Type != TypeNumber {
		c.add(p+".integer", "only number fields can be integer")
	}
	switch f.Type {
	case TypeNumber:
		lo, okLo := parseLimitNumber(f.Min)
		hi, okHi := parseLimitNumber(f.Max)
		if !okLo {
			c.add(p+".min", "%q is not a number", f.Min)
		}
		if !okHi {
			c.add(p+".max", "%q is not a number", f.Max)
		}
		if okLo && okHi && f.Min != "" && f.Max != "" && lo > hi {
			c.add(p, "min %s is greater than max %s", f.Min, f.Max)
		}
	case TypeDate:
		for _, l := range []struct {
			name  string
			limit Limit
		}{{"min", f.Min}, {"max", f.Max}} {
			if l.limit != "" && !validDateLimit(string(l.limit)) {
				c.add(p+"."+l.name, "%q: want YYYY-MM-DD, today, or today ± Nd, Nm or Ny such as -18y", l.limit)
			}
		}
	}
}

func (c *checker) text(p string, f *Field) {
	if f.MaxLength != 0 && f.Type != TypeText && f.Type != TypeTextarea {
		c.add(p+".max_length", "only text and textarea fields have max_length")
	}
	if f.MaxLength < 0 || f.MaxLength > maxTextLength {
		c.add(p+".max_length", "%d: want 1 to %d", f.MaxLength, maxTextLength)
	}
	if f.Pattern != "" {
		if f.Type != TypeText {
			c.add(p+".pattern", "only text fields have a pattern")
		} else if _, err := regexp.Compile(f.Pattern); err != nil {
			c.add(p+".pattern", "%v", err)
		}
	}
	if f.Autocomplete != "" {
		types, ok := autocompleteTokens[f.Autocomplete]
		switch {
		case !ok:
			c.add(p+".autocomplete", "%q is not a supported autocomplete token", f.Autocomplete)
		case !slices.Contains(types, f.Type):
			c.add(p+".autocomplete", "%q does not fit a %s field", f.Autocomplete, f.Type)
		}
	}
}

func (c *checker) prefill(p string, f *Field, inGroup bool) {
	if f.Prefill == "" {
		return
	}
	t, ok := prefillTypes[f.Prefill]
	switch {
	case !ok:
		c.add(p+".prefill", "unknown key %q", f.Prefill)
	case inGroup:
		c.add(p+".prefill", "fields inside a group cannot be prefilled")
	case t != f.Type:
		c.add(p+".prefill", "%q fills a %s field, not a %s", f.Prefill, t, f.Type)
	}
}

func (c *checker) group(p string, f *Field, inGroup bool) {
	if f.Type != TypeGroup {
		if len(f.Fields) > 0 || f.MinItems != 0 || f.MaxItems != 0 || !f.ItemLabel.IsZero() {
			c.add(p, "only group fields have fields, min_items, max_items and item_label")
		}
		return
	}
	if inGroup {
		c.add(p+".type", "groups cannot be nested")
		return
	}
	if f.Required {
		c.add(p+".required", "a group is required through min_items")
	}
	if len(f.Fields) == 0 {
		c.add(p+".fields", "the group has no fields")
	}
	if f.MaxItems < 1 || f.MaxItems > maxGroupItems {
		c.add(p+".max_items", "%d: want 1 to %d", f.MaxItems, maxGroupItems)
	}
	if f.MinItems < 0 || f.MinItems > f.MaxItems {
		c.add(p+".min_items", "%d: want 0 to max_items", f.MinItems)
	}
	if strings.TrimSpace(f.ItemLabel.IT) == "" {
		c.add(p+".item_label", "the Italian item label is empty")
	}
	scope := map[string]fieldRef{}
	for i := range f.Fields {
		c.field(fmt.Sprintf("%s.fields[%d]", p, i), &f.Fields[i], scope, c.top)
	}
}

func (c *checker) file(p string, f *Field) {
	if f.Type != TypeFile {
		if f.File != nil {
			c.add(p+".file", "only file fields have file rules")
		}
		return
	}
	r := f.File
	if r == nil {
		c.add(p+".file", "a file field needs file rules")
		return
	}
	if len(r.Accept) == 0 {
		c.add(p+".file.accept", "list the accepted types")
	}
	for i, t := range r.Accept {
		if _, ok := fileTypes[t]; !ok {
			c.add(fmt.Sprintf("%s.file.accept[%d]", p, i), "%q is not an accepted type", t)
		}
	}
	if r.MaxBytes < 1 || r.MaxBytes > maxFileBytes {
		c.add(p+".file.max_bytes", "%d: want 1 to %d", r.MaxBytes, maxFileBytes)
	}
	if r.MaxCount < 0 || r.MaxCount > maxFileCount {
		c.add(p+".file.max_count", "%d: want 0 (one file) to %d", r.MaxCount, maxFileCount)
	}
}

func (c *checker) declaration(p string, f *Field) {
	if f.Type != TypeDeclaration {
		if f.Declaration != nil {
			c.add(p+".declaration", "only declaration fields have a declaration")
		}
		return
	}
	d := f.Declaration
	if d == nil {
		c.add(p+".declaration", "a declaration field needs article and text")
		return
	}
	if d.Article != 46 && d.Article != 47 {
		c.add(p+".declaration.article", "%d: want 46 or 47 (DPR 445/2000)", d.Article)
	}
	if strings.TrimSpace(d.Text.IT) == "" {
		c.add(p+".declaration.text", "the Italian text is empty")
	}
}
