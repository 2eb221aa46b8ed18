package form

import "github.com/sportello/sportello/internal/codfisc"

// Profile is what the ente already knows about the citizen, from the
// digital identity and the personal area.
type Profile struct {
	GivenName, FamilyName, FiscalCode, Email, Phone string
}

// Prefill returns the answers the profile provides (the once-only
// principle, C.SE.1.5: the citizen is not asked again for what the ente
// has). The codice fiscale is filled only when valid, because its field is
// then read-only and Parse keeps it: an invalid one would block the form.
func (d *Definition) Prefill(p Profile) Answers {
	out := Answers{}
	for i := range d.Sections {
		for _, f := range d.Sections[i].Fields {
			var text string
			switch f.Prefill {
			case PrefillGivenName:
				text = cleanText(p.GivenName, false)
			case PrefillFamilyName:
				text = cleanText(p.FamilyName, false)
			case PrefillFiscalCode:
				if c, err := codfisc.Parse(p.FiscalCode); err == nil {
					text = c.String()
				}
			case PrefillEmail:
				text = cleanText(p.Email, false)
				if e, ok := normEmail(text); ok {
					text = e
				}
			case PrefillPhone:
				text = cleanText(p.Phone, false)
				if ph, ok := normPhone(text); ok {
					text = ph
				}
			}
			if text != "" {
				out[f.ID] = Value{Text: text, Prefilled: true}
			}
		}
	}
	return out
}
