package form

import (
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/iban"
)

// SummarySection is one section of the Riepilogo: the one textual summary
// the citizen checks before sending (C.SE.1.4), reused by the receipt PDF.
type SummarySection struct {
	ID, Title string
	// Step is the flow step whose page edits the section.
	Step Step
	// EditURL is left to the web layer, which knows the step's address;
	// when set, the template shows the EditLabel link ("Modifica").
	EditURL, EditLabel string
	Rows               []SummaryRow
}

// SummaryRow is one answer: its label and display value, or several lines
// (a multichoice, files, paragraphs of a long text), or a group's items.
type SummaryRow struct {
	Label, Value string
	Lines        []string
	Items        []SummaryItem
}

// SummaryItem is one item of a repeatable group.
type SummaryItem struct {
	Title string
	Rows  []SummaryRow
}

// Summary lists every shown field with its answer in lang; fields hidden by
// their show-if are left out, empty ones say so.
func (d *Definition) Summary(a Answers, t func(key string, args ...any) string, lang string) []SummarySection {
	var out []SummarySection
	for i := range d.Sections {
		s := &d.Sections[i]
		ss := SummarySection{ID: s.ID, Title: s.Title.In(lang), Step: s.stepOf(), EditLabel: t("form.summary.edit")}
		for j := range s.Fields {
			f := &s.Fields[j]
			if f.ShowIf.holds(a, nil, nil) {
				ss.Rows = append(ss.Rows, summaryRow(f, a[f.ID], a, nil, t, lang))
			}
		}
		out = append(out, ss)
	}
	return out
}

func summaryRow(f *Field, v Value, top, item Answers, t func(string, ...any) string, lang string) SummaryRow {
	row := SummaryRow{Label: f.Label.In(lang)}
	switch f.Type {
	case TypeGroup:
		itemLabel := f.ItemLabel.In(lang)
		for i, it := range v.Items {
			si := SummaryItem{Title: t("form.group.item", itemLabel, i+1)}
			siblings := map[string]bool{}
			for j := range f.Fields {
				sf := &f.Fields[j]
				if sf.ShowIf.holds(top, it, siblings) {
					si.Rows = append(si.Rows, summaryRow(sf, it[sf.ID], top, it, t, lang))
				}
				siblings[sf.ID] = true
			}
			row.Items = append(row.Items, si)
		}
		if len(row.Items) == 0 {
			row.Value = t("form.summary.none")
		}
	case TypeDeclaration:
		row.Label = t("form.declaration.legend." + strconv.Itoa(f.Declaration.Article))
		row.Value = t("form.summary.not_declared")
		if v.Checked {
			row.Value = t("form.declaration.formula", f.Declaration.Article, f.Declaration.Text.In(lang))
		}
	case TypeCheckbox:
		row.Value = t("form.summary.no")
		if v.Checked {
			row.Value = t("form.summary.yes")
		}
	case TypeMultichoice:
		row.Lines = optionLabels(f, v.List, lang)
	case TypeTextarea:
		for _, l := range strings.Split(v.Text, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				row.Lines = append(row.Lines, l)
			}
		}
	case TypeFile:
		for _, fi := range v.Files {
			row.Lines = append(row.Lines, fi.Name+" ("+sizeLabel(fi.Size, lang)+")")
		}
		if len(v.Files) == 0 {
			row.Value = t("form.summary.no_files")
		}
	default:
		row.Value = displayText(f, v, lang)
	}
	if row.Value == "" && len(row.Lines) == 0 && len(row.Items) == 0 {
		row.Value = t("form.summary.empty")
	}
	return row
}

// displayText writes a single-valued answer as a citizen reads it.
func displayText(f *Field, v Value, lang string) string {
	switch f.Type {
	case TypeChoice:
		if l := optionLabels(f, []string{v.Text}, lang); len(l) == 1 {
			return l[0]
		}
	case TypeNumber:
		if n, _, res := normNumber(v.Text); res == numberOK && n == v.Text {
			return displayNumber(v.Text, lang)
		}
	case TypeDate:
		if d, err := calendar.ParseDate(v.Text); err == nil {
			return displayDate(d)
		}
	case TypeIBAN:
		if i, err := iban.Parse(v.Text); err == nil {
			return i.Print()
		}
	case TypeAddress:
		return addressLine(v.Address)
	}
	return v.Text
}

// addressLine writes "Via Roma 1, 00184 ROMA (RM)".
func addressLine(a *Address) string {
	if a == nil {
		return ""
	}
	street := strings.TrimSpace(a.Street + " " + a.Number)
	place := a.Comune
	if a.Province != "" {
		place += " (" + a.Province + ")"
	}
	place = strings.TrimSpace(a.PostalCode + " " + place)
	if street == "" || place == "" {
		return street + place
	}
	return street + ", " + place
}

// optionLabels returns the labels of the chosen option values, in order;
// a value no longer among the options is shown as stored.
func optionLabels(f *Field, values []string, lang string) []string {
	var out []string
	for _, val := range values {
		if val == "" {
			continue
		}
		label := val
		for _, o := range f.Options {
			if o.Value == val {
				label = o.Label.In(lang)
				break
			}
		}
		out = append(out, label)
	}
	return out
}
