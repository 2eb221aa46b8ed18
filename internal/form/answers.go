package form

import "slices"

// Answers are a citizen's answers to one form, keyed by field id. They are
// stored in the pratica as JSON, which encoding/json writes
// deterministically (keys sorted, empty parts omitted), so that two saves
// of the same answers are byte-identical and can be hashed or compared.
//
// A value is normalised when it passed validation; when it did not, it
// holds the text as typed (trimmed), so that the page shows it back for
// correction and a saved draft keeps it.
type Answers map[string]Value

// Value is the answer to one field; which part is set depends on the type.
type Value struct {
	// Text is the answer of text-like fields and choices: the normalised
	// form (an ISO date, a decimal with a dot, an E.164 phone, an IBAN and a
	// codice fiscale in capitals without spaces) or the option's value.
	Text string `json:"text,omitempty"`
	// List is the values chosen in a multichoice, in the options' order.
	List []string `json:"list,omitempty"`
	// Checked is a ticked checkbox or an accepted declaration.
	Checked bool `json:"checked,omitempty"`
	// Address is the answer of an address field.
	Address *Address `json:"address,omitempty"`
	// Items are the answers of each item of a repeatable group.
	Items []Answers `json:"items,omitempty"`
	// Files are the files of a file field.
	Files []FileInfo `json:"files,omitempty"`
	// Prefilled records that Text came from the citizen's profile (once-only)
	// and was kept as it was: a prefilled codice fiscale is read-only, and
	// the record says which data the identity provider vouched for.
	Prefilled bool `json:"prefilled,omitempty"`
}

// IsZero reports whether the value holds no answer at all.
func (v Value) IsZero() bool {
	return v.Text == "" && len(v.List) == 0 && !v.Checked && v.Address == nil && len(v.Items) == 0 && len(v.Files) == 0
}

// Address is a place in Italy: the comune is chosen from ANPR's list of
// current comuni, so that it is stored with its Belfiore code and province.
type Address struct {
	Street     string `json:"street,omitempty"`
	Number     string `json:"number,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	// Comune is ANPR's name of the comune or, while it is not recognised,
	// the text the citizen typed.
	Comune   string `json:"comune,omitempty"`
	Province string `json:"province,omitempty"`
	// Belfiore is set only when Comune names exactly one current comune.
	Belfiore string `json:"belfiore,omitempty"`
}

// FileInfo describes one uploaded file. The bytes are stored elsewhere (the
// blob store); the web layer fills this in from what it measured and
// sniffed, never from what the browser claims.
type FileInfo struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	// Type is the MIME type sniffed from the content.
	Type string `json:"type"`
	// Ref identifies the stored bytes, e.g. the blob's SHA-256.
	Ref string `json:"ref,omitempty"`
}

// Clone returns a deep copy, so that Parse and Apply never modify the
// answers the caller passed in.
func (a Answers) Clone() Answers {
	if a == nil {
		return Answers{}
	}
	out := make(Answers, len(a))
	for k, v := range a {
		out[k] = v.clone()
	}
	return out
}

func (v Value) clone() Value {
	v.List = slices.Clone(v.List)
	v.Files = slices.Clone(v.Files)
	if v.Address != nil {
		addr := *v.Address
		v.Address = &addr
	}
	if v.Items != nil {
		items := make([]Answers, len(v.Items))
		for i, it := range v.Items {
			items[i] = it.Clone()
		}
		v.Items = items
	}
	return v
}
