package form

import (
	"strconv"
	"strings"
)

// Column is one column of an export: a stable key ("documenti[2].anno",
// "luogo.comune") and a heading in the export's language.
type Column struct {
	Key, Label string
}

// CountItems raises max[group] to the number of items of each group in a,
// so that an exporter can size the repeated columns in one pass over the
// pratiche before writing any row.
func (d *Definition) CountItems(max map[string]int, a Answers) {
	for i := range d.Sections {
		for _, f := range d.Sections[i].Fields {
			if f.Type == TypeGroup && len(a[f.ID].Items) > max[f.ID] {
				max[f.ID] = len(a[f.ID].Items)
			}
		}
	}
}

// addressParts are the columns of an address, in order.
var addressParts = []string{partStreet, partNumber, partPostalCode, partComune, "province"}

// Columns lists the export columns in form order: one per simple field,
// five per address, and each group's fields repeated maxItems[group] times
// with 1-based item numbers, as spreadsheet readers count.
func (d *Definition) Columns(maxItems map[string]int, t func(key string, args ...any) string, lang string) []Column {
	var out []Column
	for i := range d.Sections {
		for j := range d.Sections[i].Fields {
			f := &d.Sections[i].Fields[j]
			if f.Type != TypeGroup {
				out = appendColumns(out, f, f.ID, f.Label.In(lang), t)
				continue
			}
			for n := 1; n <= maxItems[f.ID]; n++ {
				item := t("form.group.item", f.ItemLabel.In(lang), n)
				for k := range f.Fields {
					sf := &f.Fields[k]
					out = appendColumns(out, sf, f.ID+"["+strconv.Itoa(n)+"]."+sf.ID, item+" – "+sf.Label.In(lang), t)
				}
			}
		}
	}
	return out
}

func appendColumns(out []Column, f *Field, key, label string, t func(string, ...any) string) []Column {
	if f.Type != TypeAddress {
		return append(out, Column{Key: key, Label: label})
	}
	for _, p := range addressParts {
		out = append(out, Column{Key: key + "." + p, Label: label + " – " + t("form.address."+p)})
	}
	return out
}

// Flatten writes a's answers as one row matching Columns(maxItems):
// multichoices joined by "; ", files by their names, booleans as the
// locale's "sì"/"no", choices by their labels, dates ISO and numbers with a
// dot (the exporter types them), missing items as empty cells.
func (d *Definition) Flatten(a Answers, maxItems map[string]int, t func(key string, args ...any) string, lang string) []string {
	var out []string
	for i := range d.Sections {
		for j := range d.Sections[i].Fields {
			f := &d.Sections[i].Fields[j]
			if f.Type != TypeGroup {
				out = appendCells(out, f, a[f.ID], t, lang)
				continue
			}
			items := a[f.ID].Items
			for n := 0; n < maxItems[f.ID]; n++ {
				var item Answers
				if n < len(items) {
					item = items[n]
				}
				for k := range f.Fields {
					sf := &f.Fields[k]
					if item == nil {
						out = appendCells(out, sf, Value{}, nil, lang)
					} else {
						out = appendCells(out, sf, item[sf.ID], t, lang)
					}
				}
			}
		}
	}
	return out
}

// appendCells appends the cells of one answer; a nil t marks a missing
// group item, whose cells are all empty.
func appendCells(out []string, f *Field, v Value, t func(string, ...any) string, lang string) []string {
	switch f.Type {
	case TypeAddress:
		a := Address{}
		if v.Address != nil {
			a = *v.Address
		}
		return append(out, a.Street, a.Number, a.PostalCode, a.Comune, a.Province)
	case TypeCheckbox, TypeDeclaration:
		switch {
		case t == nil:
			return append(out, "")
		case v.Checked:
			return append(out, t("form.export.yes"))
		}
		return append(out, t("form.export.no"))
	case TypeMultichoice:
		return append(out, strings.Join(optionLabels(f, v.List, lang), "; "))
	case TypeChoice:
		return append(out, strings.Join(optionLabels(f, []string{v.Text}, lang), ""))
	case TypeFile:
		names := make([]string, len(v.Files))
		for i, fi := range v.Files {
			names[i] = fi.Name
		}
		return append(out, strings.Join(names, "; "))
	}
	return append(out, v.Text)
}
