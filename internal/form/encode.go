package form

import (
	"net/url"
	"strconv"
)

// Encode writes answers back as the form values Parse reads, so that stored
// answers can be validated again (Validate) and tests can build
// submissions from answers.
func (d *Definition) Encode(a Answers) url.Values {
	out := url.Values{}
	for i := range d.Sections {
		for j := range d.Sections[i].Fields {
			f := &d.Sections[i].Fields[j]
			encodeField(out, f, f.ID, a[f.ID])
		}
	}
	return out
}

func encodeField(out url.Values, f *Field, name string, v Value) {
	switch f.Type {
	case TypeMultichoice:
		for _, s := range v.List {
			out.Add(name, s)
		}
	case TypeCheckbox, TypeDeclaration:
		if v.Checked {
			out.Set(name, "1")
		}
	case TypeAddress:
		if a := v.Address; a != nil {
			out.Set(name+"."+partStreet, a.Street)
			out.Set(name+"."+partNumber, a.Number)
			out.Set(name+"."+partPostalCode, a.PostalCode)
			comune := a.Comune
			if a.Belfiore != "" {
				comune = a.Belfiore
			}
			out.Set(name+"."+partComune, comune)
		}
	case TypeGroup:
		out.Set(itemsName(name), strconv.Itoa(len(v.Items)))
		for i, item := range v.Items {
			for j := range f.Fields {
				sf := &f.Fields[j]
				encodeField(out, sf, itemName(name, i, sf.ID), item[sf.ID])
			}
		}
	case TypeFile:
	default:
		if v.Text != "" {
			out.Set(name, v.Text)
		}
	}
}

// itemName is the HTML name of a field inside a group item: "documenti[0].anno".
func itemName(group string, i int, field string) string {
	return group + "[" + strconv.Itoa(i) + "]." + field
}

// itemID is the HTML id of a field inside a group item: "documenti-0-anno".
func itemID(group string, i int, field string) string {
	return group + "-" + strconv.Itoa(i) + "-" + field
}

// files collects the files of every file field by HTML name, for Validate.
func (d *Definition) files(a Answers) map[string][]FileInfo {
	out := map[string][]FileInfo{}
	for i := range d.Sections {
		for j := range d.Sections[i].Fields {
			f := &d.Sections[i].Fields[j]
			switch f.Type {
			case TypeFile:
				out[f.ID] = a[f.ID].Files
			case TypeGroup:
				for k, item := range a[f.ID].Items {
					for _, sf := range f.Fields {
						if sf.Type == TypeFile {
							out[itemName(f.ID, k, sf.ID)] = item[sf.ID].Files
						}
					}
				}
			}
		}
	}
	return out
}
