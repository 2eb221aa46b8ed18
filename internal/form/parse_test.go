package form

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/codfisc"
)

// baseline is a valid submission of testdata/all-types.json.
func baseline() url.Values {
	return url.Values{
		"nome": {"Mario"}, "cf": {"RSSMRA80A01H501U"},
		"residenza.street": {"Via Roma"}, "residenza.number": {"1"}, "residenza.postal_code": {"00184"}, "residenza.comune": {"Roma"},
		"tipo": {"a"}, "servizi": {"x"}, "persone._items": {"1"}, "persone[0].nome": {"Anna"}, "dichiaro": {"1"},
	}
}

func baselineFiles() map[string][]FileInfo {
	return map[string][]FileInfo{"allegati": {{Name: "a.pdf", Size: 1000, Type: "application/pdf", Ref: "sha"}}}
}

// withPlace returns a valid-checksum codice fiscale born in belfiore.
func withPlace(t *testing.T, belfiore string) string {
	for c := 'A'; c <= 'Z'; c++ {
		s := "RSSMRA80A01" + belfiore + string(c)
		if _, err := codfisc.Parse(s); err == nil {
			return s
		}
	}
	t.Fatalf("no check character for %s", belfiore)
	return ""
}

func TestParseTypes(t *testing.T) {
	d := load(t, "testdata/all-types.json")
	badPlace := withPlace(t, "Z999")
	tests := []struct {
		name, field string
		set         url.Values // replaces baseline keys
		files       map[string][]FileInfo
		want        Value
		errs        []FieldError
	}{
		{"text trimmed", "nome", url.Values{"nome": {"  Mario\x00 "}}, nil, Value{Text: "Mario"}, nil},
		{"text too long", "nome", url.Values{"nome": {strings.Repeat("à", 21)}}, nil, Value{Text: strings.Repeat("à", 21)}, []FieldError{{"nome", KeyTooLong, []any{20, 21}}}},
		{"text required", "nome", url.Values{"nome": {"   "}}, nil, Value{}, []FieldError{{"nome", KeyRequired, nil}}},
		{"fiscal code normalised", "cf", url.Values{"cf": {"rssmra 80a01 h501u"}}, nil, Value{Text: "RSSMRA80A01H501U"}, nil},
		{"omocodic fiscal code kept", "cf", url.Values{"cf": {"RSSMRA80A01H5L1F"}}, nil, Value{Text: "RSSMRA80A01H5L1F"}, nil},
		{"fiscal code length", "cf", url.Values{"cf": {"RSSMRA80A01H501"}}, nil, Value{Text: "RSSMRA80A01H501"}, []FieldError{{"cf", KeyFiscalCodeLength, []any{15}}}},
		{"fiscal code check", "cf", url.Values{"cf": {"RSSMRA80A01H501A"}}, nil, Value{Text: "RSSMRA80A01H501A"}, []FieldError{{"cf", KeyFiscalCodeCheck, nil}}},
		{"fiscal code month", "cf", url.Values{"cf": {"RSSMRA80X01H501U"}}, nil, Value{Text: "RSSMRA80X01H501U"}, []FieldError{{"cf", KeyFiscalCode, nil}}},
		{"fiscal code place", "cf", url.Values{"cf": {badPlace}}, nil, Value{Text: badPlace}, []FieldError{{"cf", KeyFiscalCodePlace, nil}}},
		{"e-mail domain lower-cased", "email", url.Values{"email": {" Mario.Rossi@Example.IT "}}, nil, Value{Text: "Mario.Rossi@example.it"}, nil},
		{"e-mail without domain", "email", url.Values{"email": {"mario@"}}, nil, Value{Text: "mario@"}, []FieldError{{"email", KeyEmail, nil}}},
		{"e-mail with a space", "email", url.Values{"email": {"ma rio@x.it"}}, nil, Value{Text: "ma rio@x.it"}, []FieldError{{"email", KeyEmail, nil}}},
		{"e-mail without a dot", "email", url.Values{"email": {"mario@localhost"}}, nil, Value{Text: "mario@localhost"}, []FieldError{{"email", KeyEmail, nil}}},
		{"mobile to E.164", "telefono", url.Values{"telefono": {"333 123 4567"}}, nil, Value{Text: "+393331234567"}, nil},
		{"landline with slash", "telefono", url.Values{"telefono": {"06/1234567"}}, nil, Value{Text: "+39061234567"}, nil},
		{"00 prefix", "telefono", url.Values{"telefono": {"0039 333 1234567"}}, nil, Value{Text: "+393331234567"}, nil},
		{"foreign phone", "telefono", url.Values{"telefono": {"+44 20 7946 0000"}}, nil, Value{Text: "+442079460000"}, nil},
		{"phone too short", "telefono", url.Values{"telefono": {"12345"}}, nil, Value{Text: "12345"}, []FieldError{{"telefono", KeyPhone, nil}}},
		{"Italian phone starting with 1", "telefono", url.Values{"telefono": {"+39 123456789"}}, nil, Value{Text: "+39 123456789"}, []FieldError{{"telefono", KeyPhone, nil}}},
		{"Italian date", "nascita", url.Values{"nascita": {"25/04/1980"}}, nil, Value{Text: "1980-04-25"}, nil},
		{"ISO date", "nascita", url.Values{"nascita": {"1980-04-25"}}, nil, Value{Text: "1980-04-25"}, nil},
		{"short dotted date", "nascita", url.Values{"nascita": {"5.4.1980"}}, nil, Value{Text: "1980-04-05"}, nil},
		{"impossible date", "nascita", url.Values{"nascita": {"31/02/1980"}}, nil, Value{Text: "31/02/1980"}, []FieldError{{"nascita", KeyDate, nil}}},
		{"two-digit year", "nascita", url.Values{"nascita": {"25/04/80"}}, nil, Value{Text: "25/04/80"}, []FieldError{{"nascita", KeyDate, nil}}},
		{"date after -18y", "nascita", url.Values{"nascita": {"2008-03-16"}}, nil, Value{Text: "2008-03-16"}, []FieldError{{"nascita", KeyDateMax, []any{calendar.D(2008, time.March, 15)}}}},
		{"date on the -18y bound", "nascita", url.Values{"nascita": {"2008-03-15"}}, nil, Value{Text: "2008-03-15"}, nil},
		{"date before min", "nascita", url.Values{"nascita": {"31/12/1899"}}, nil, Value{Text: "31/12/1899"}, []FieldError{{"nascita", KeyDateMin, []any{calendar.D(1900, time.January, 1)}}}},
		{"address", "residenza", url.Values{"residenza.comune": {"roma (rm)"}}, nil,
			Value{Address: &Address{Street: "Via Roma", Number: "1", PostalCode: "00184", Comune: "ROMA", Province: "RM", Belfiore: "H501"}}, nil},
		{"address with ambiguous comune", "residenza", url.Values{"residenza.comune": {"Castro"}}, nil,
			Value{Address: &Address{Street: "Via Roma", Number: "1", PostalCode: "00184", Comune: "Castro"}}, []FieldError{{"residenza-comune", KeyComuneAmbiguous, []any{"CASTRO (BG)"}}}},
		{"address with unknown comune and bad CAP", "residenza", url.Values{"residenza.comune": {"Atlantide"}, "residenza.postal_code": {"0018"}}, nil,
			Value{Address: &Address{Street: "Via Roma", Number: "1", PostalCode: "0018", Comune: "Atlantide"}},
			[]FieldError{{"residenza-postal_code", KeyPostalCode, nil}, {"residenza-comune", KeyComune, nil}}},
		{"address missing", "residenza", url.Values{"residenza.street": {""}, "residenza.number": {""}, "residenza.postal_code": {""}, "residenza.comune": {""}}, nil,
			Value{}, []FieldError{{"residenza-street", KeyRequired, nil}, {"residenza-comune", KeyRequired, nil}}},
		{"address without street", "residenza", url.Values{"residenza.street": {""}}, nil,
			Value{Address: &Address{Number: "1", PostalCode: "00184", Comune: "ROMA", Province: "RM", Belfiore: "H501"}}, []FieldError{{"residenza-street", KeyRequired, nil}}},
		{"textarea keeps lines", "note", url.Values{"note": {"riga 1\r\nriga 2\n"}}, nil, Value{Text: "riga 1\nriga 2"}, nil},
		{"textarea too long", "note", url.Values{"note": {strings.Repeat("x", 51)}}, nil, Value{Text: strings.Repeat("x", 51)}, []FieldError{{"note", KeyTooLong, []any{50, 51}}}},
		{"pattern", "codice", url.Values{"codice": {"AB1234"}}, nil, Value{Text: "AB1234"}, nil},
		{"pattern is anchored", "codice", url.Values{"codice": {"AB12345"}}, nil, Value{Text: "AB12345"}, []FieldError{{"codice", KeyPattern, nil}}},
		{"decimal comma", "importo", url.Values{"importo": {"12,50"}}, nil, Value{Text: "12.5"}, nil},
		{"decimal point", "importo", url.Values{"importo": {"12.5"}}, nil, Value{Text: "12.5"}, nil},
		{"spaces in a number", "importo", url.Values{"importo": {"1 000"}}, nil, Value{Text: "1000"}, nil},
		{"thousands point is ambiguous", "importo", url.Values{"importo": {"1.000"}}, nil, Value{Text: "1.000"}, []FieldError{{"importo", KeyNumberAmbiguous, nil}}},
		{"below min", "importo", url.Values{"importo": {"0,5"}}, nil, Value{Text: "0,5"}, []FieldError{{"importo", KeyNumberMin, []any{Number("1")}}}},
		{"above max", "importo", url.Values{"importo": {"1000,01"}}, nil, Value{Text: "1000,01"}, []FieldError{{"importo", KeyNumberMax, []any{Number("1000")}}}},
		{"not a number", "importo", url.Values{"importo": {"dodici"}}, nil, Value{Text: "dodici"}, []FieldError{{"importo", KeyNumber, nil}}},
		{"two separators", "importo", url.Values{"importo": {"1.234,5"}}, nil, Value{Text: "1.234,5"}, []FieldError{{"importo", KeyNumber, nil}}},
		{"integer", "figli", url.Values{"figli": {"02"}}, nil, Value{Text: "2"}, nil},
		{"zero", "figli", url.Values{"figli": {"0"}}, nil, Value{Text: "0"}, nil},
		{"decimal in an integer", "figli", url.Values{"figli": {"2,5"}}, nil, Value{Text: "2,5"}, []FieldError{{"figli", KeyInteger, nil}}},
		{"negative integer", "figli", url.Values{"figli": {"-1"}}, nil, Value{Text: "-1"}, []FieldError{{"figli", KeyNumberMin, []any{Number("0")}}}},
		{"IBAN normalised", "iban", url.Values{"iban": {"it60 x054 2811 1010 0000 0123 456"}}, nil, Value{Text: "IT60X0542811101000000123456"}, nil},
		{"IBAN short", "iban", url.Values{"iban": {"IT60X054281110100000012345"}}, nil, Value{Text: "IT60X054281110100000012345"}, []FieldError{{"iban", KeyIBANLength, []any{27, 26}}}},
		{"IBAN not SEPA", "iban", url.Values{"iban": {"US12345678901234"}}, nil, Value{Text: "US12345678901234"}, []FieldError{{"iban", KeyIBANCountry, nil}}},
		{"IBAN check", "iban", url.Values{"iban": {"IT61X0542811101000000123456"}}, nil, Value{Text: "IT61X0542811101000000123456"}, []FieldError{{"iban", KeyIBANCheck, nil}}},
		{"IBAN with symbols", "iban", url.Values{"iban": {"IT60-X054"}}, nil, Value{Text: "IT60-X054"}, []FieldError{{"iban", KeyIBAN, nil}}},
		{"choice", "tipo", url.Values{"tipo": {"a"}}, nil, Value{Text: "a"}, nil},
		{"forged choice", "tipo", url.Values{"tipo": {"c"}}, nil, Value{}, []FieldError{{"tipo", KeyChoice, nil}}},
		{"choice required", "tipo", url.Values{"tipo": {""}}, nil, Value{}, []FieldError{{"tipo", KeyRequiredChoice, nil}}},
		{"select", "mese", url.Values{"mese": {"lug"}}, nil, Value{Text: "lug"}, nil},
		{"multichoice in options order", "servizi", url.Values{"servizi": {"z", "x", "x"}}, nil, Value{List: []string{"x", "z"}}, nil},
		{"forged multichoice", "servizi", url.Values{"servizi": {"x", "evil"}}, nil, Value{List: []string{"x"}}, []FieldError{{"servizi", KeyChoice, nil}}},
		{"multichoice required", "servizi", url.Values{"servizi": nil}, nil, Value{}, []FieldError{{"servizi", KeyRequiredChoice, nil}}},
		{"checkbox", "privato", url.Values{"privato": {"1"}}, nil, Value{Checked: true}, nil},
		{"checkbox with another value", "privato", url.Values{"privato": {"on"}}, nil, Value{}, nil},
		{"declaration accepted", "dichiaro", url.Values{"dichiaro": {"1"}}, nil, Value{Checked: true}, nil},
		{"declaration refused", "dichiaro", url.Values{"dichiaro": nil}, nil, Value{}, []FieldError{{"dichiaro", KeyRequiredDeclaration, nil}}},
		{"file type normalised", "allegati", nil, map[string][]FileInfo{"allegati": {{Name: "a.pdf", Size: 10, Type: "Application/PDF; charset=binary"}}},
			Value{Files: []FileInfo{{Name: "a.pdf", Size: 10, Type: "application/pdf"}}}, nil},
		{"file required", "allegati", nil, map[string][]FileInfo{"allegati": {}}, Value{}, []FieldError{{"allegati", KeyRequiredFile, nil}}},
		{"too many files", "allegati", nil, map[string][]FileInfo{"allegati": {{Name: "1.pdf", Type: "application/pdf"}, {Name: "2.jpg", Type: "image/jpeg"}, {Name: "3.pdf", Type: "application/pdf"}}},
			Value{Files: []FileInfo{{Name: "1.pdf", Type: "application/pdf"}, {Name: "2.jpg", Type: "image/jpeg"}}}, []FieldError{{"allegati", KeyFileCount, []any{2}}}},
		{"file type refused", "allegati", nil, map[string][]FileInfo{"allegati": {{Name: "virus.exe", Size: 10, Type: "application/x-msdownload"}}},
			Value{}, []FieldError{{"allegati", KeyFileType, []any{"virus.exe", "PDF, JPG"}}}},
		{"file too large", "allegati", nil, map[string][]FileInfo{"allegati": {{Name: "big.pdf", Size: 2097153, Type: "application/pdf"}}},
			Value{}, []FieldError{{"allegati", KeyFileSize, []any{"big.pdf", Size(2097152)}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			values := baseline()
			for k, v := range tc.set {
				values[k] = v
			}
			files := baselineFiles()
			for k, v := range tc.files {
				files[k] = v
			}
			a, errs := d.Parse(Submission{Values: values, Files: files, Today: today})
			if diff := cmp.Diff(tc.want, a[tc.field]); diff != "" {
				t.Errorf("answer mismatch (-want +got):\n%s", diff)
			}
			var got []FieldError
			for _, e := range errs {
				if e.Field == tc.field || strings.HasPrefix(e.Field, tc.field+"-") {
					got = append(got, e)
				}
			}
			if diff := cmp.Diff(tc.errs, got); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if len(got) != len(errs) {
				t.Errorf("errors on other fields: %v", errs)
			}
		})
	}
}

func TestParseShowIf(t *testing.T) {
	d := load(t, "testdata/all-types.json")
	tests := []struct {
		name    string
		set     url.Values
		want    map[string]Value
		absent  []string
		wantErr []FieldError
	}{
		{"hidden value dropped", url.Values{"tipo": {"a"}, "dettaglio": {"forged"}}, nil, []string{"dettaglio"}, nil},
		{"shown and required", url.Values{"tipo": {"b"}}, nil, []string{"dettaglio"}, []FieldError{{"dettaglio", KeyRequired, nil}}},
		{"shown and kept", url.Values{"tipo": {"b"}, "dettaglio": {"ok"}}, map[string]Value{"dettaglio": {Text: "ok"}}, nil, nil},
		{"checkbox condition", url.Values{"privato": {"1"}, "motivo_privato": {"studio"}}, map[string]Value{"motivo_privato": {Text: "studio"}}, nil, nil},
		{"checkbox condition false", url.Values{"motivo_privato": {"studio"}}, nil, []string{"motivo_privato"}, nil},
		{"sibling condition in a group", url.Values{"persone[0].ruolo": {"altro"}}, nil, nil, []FieldError{{"persone-0-quale", KeyRequired, nil}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			values := baseline()
			for k, v := range tc.set {
				values[k] = v
			}
			a, errs := d.Parse(Submission{Values: values, Files: baselineFiles(), Today: today})
			for id, want := range tc.want {
				if diff := cmp.Diff(want, a[id]); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", id, diff)
				}
			}
			for _, id := range tc.absent {
				if v, ok := a[id]; ok {
					t.Errorf("%s = %+v, want no answer", id, v)
				}
			}
			if diff := cmp.Diff(tc.wantErr, []FieldError(errs)); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// A group field may test a top-level field: "scuola" only when tipo is a.
	values := baseline()
	values.Set("persone[0].scuola", "Manzoni")
	a, _ := d.Parse(Submission{Values: values, Files: baselineFiles(), Today: today})
	if got := a["persone"].Items[0]["scuola"].Text; got != "Manzoni" {
		t.Errorf("scuola with tipo a = %q", got)
	}
	values.Set("tipo", "b")
	a, _ = d.Parse(Submission{Values: values, Files: baselineFiles(), Today: today})
	if _, ok := a["persone"].Items[0]["scuola"]; ok {
		t.Errorf("scuola with tipo b kept: %+v", a["persone"].Items[0])
	}
}

func TestParseGroup(t *testing.T) {
	d := load(t, "testdata/all-types.json")
	tests := []struct {
		name  string
		set   url.Values
		prior Answers
		want  []Answers
		errs  []FieldError
	}{
		{"two items", url.Values{"persone._items": {"2"}, "persone[1].nome": {"Bruno"}, "persone[1].ruolo": {"figlio"}},
			nil, []Answers{{"nome": {Text: "Anna"}}, {"nome": {Text: "Bruno"}, "ruolo": {Text: "figlio"}}}, nil},
		{"empty item kept with its errors", url.Values{"persone._items": {"2"}},
			nil, []Answers{{"nome": {Text: "Anna"}}, {}}, []FieldError{{"persone-1-nome", KeyRequired, nil}}},
		{"forged count", url.Values{"persone._items": {"1000000"}},
			nil, []Answers{{"nome": {Text: "Anna"}}, {}, {}}, []FieldError{{"persone", KeyGroupMax, []any{3}},
				{"persone-1-nome", KeyRequired, nil}, {"persone-2-nome", KeyRequired, nil}}},
		{"no items", url.Values{"persone._items": {"0"}}, nil, nil, []FieldError{{"persone", KeyGroupMin, []any{1}}}},
		{"count missing: the prior items", url.Values{"persone._items": nil, "persone[0].nome": {"Anna"}},
			Answers{"persone": {Items: []Answers{{"nome": {Text: "Old"}}}}}, []Answers{{"nome": {Text: "Anna"}}}, nil},
		{"garbage count: the prior items", url.Values{"persone._items": {"-3"}},
			Answers{"persone": {Items: []Answers{{}, {}}}}, []Answers{{"nome": {Text: "Anna"}}, {}}, []FieldError{{"persone-1-nome", KeyRequired, nil}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			values := baseline()
			for k, v := range tc.set {
				values[k] = v
			}
			a, errs := d.Parse(Submission{Values: values, Files: baselineFiles(), Prior: tc.prior, Today: today})
			if diff := cmp.Diff(tc.want, a["persone"].Items); diff != "" {
				t.Errorf("items mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.errs, []FieldError(errs)); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFilesInGroupAndPrior(t *testing.T) {
	d := load(t, "testdata/all-types.json")
	doc := FileInfo{Name: "doc.pdf", Size: 5, Type: "application/pdf", Ref: "r1"}
	prior := Answers{
		"allegati": {Files: []FileInfo{{Name: "kept.pdf", Size: 1, Type: "application/pdf"}}},
		"persone":  {Items: []Answers{{"documento": {Files: []FileInfo{doc}}}}},
	}
	// No files sent: both fields keep their prior files.
	a, errs := d.Parse(Submission{Values: baseline(), Prior: prior, Today: today})
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if diff := cmp.Diff(prior["allegati"], a["allegati"]); diff != "" {
		t.Errorf("allegati mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]FileInfo{doc}, a["persone"].Items[0]["documento"].Files); diff != "" {
		t.Errorf("group file mismatch (-want +got):\n%s", diff)
	}
	// Files sent by name replace them, inside the group too.
	other := FileInfo{Name: "other.pdf", Size: 7, Type: "application/pdf"}
	a, _ = d.Parse(Submission{Values: baseline(), Prior: prior, Today: today, Files: map[string][]FileInfo{"persone[0].documento": {other}}})
	if diff := cmp.Diff([]FileInfo{other}, a["persone"].Items[0]["documento"].Files); diff != "" {
		t.Errorf("replaced group file mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Answers{"allegati": prior["allegati"], "persone": {Items: []Answers{{"documento": {Files: []FileInfo{doc}}}}}}, prior); diff != "" {
		t.Errorf("Parse modified the prior answers (-want +got):\n%s", diff)
	}
}

// TestParseStep parses one step of a shipped form: the answers of the other
// step are kept and its conditions still apply across steps.
func TestParseStep(t *testing.T) {
	d := load(t, "definitions/accesso-agli-atti.json")
	prior := d.Prefill(Profile{GivenName: "Maria", FamilyName: "Bianchi", FiscalCode: "RSSMRA80A01H501U", Email: "maria@example.it"})
	general := d.ForStep(StepGeneral)
	a, errs := general.Parse(Submission{Values: url.Values{
		"nome": {"Maria"}, "cognome": {"Bianchi"}, "codice_fiscale": {"BNCMRA80A41H501X"}, "email": {"maria@example.it"},
		"qualita": {"delegato"}, "rappresentato": {"Carlo Verdi"}, "rappresentato_cf": {"RSSMRA45C12F205C"},
	}, Prior: prior, Today: today})
	if len(errs) != 0 {
		t.Fatalf("general step errors: %v", errs)
	}
	if got := a["codice_fiscale"].Text; got != "RSSMRA80A01H501U" {
		t.Errorf("read-only codice fiscale = %q, want the prefilled one", got)
	}
	service := d.ForStep(StepService)
	a, errs = service.Parse(Submission{Values: url.Values{
		"documenti._items": {"1"}, "documenti[0].descrizione": {"Permesso di costruire"}, "motivazione": {"Confino con il cantiere."},
		"modalita": {"copia_conforme"}, "dichiarazione": {"1"},
	}, Prior: a, Today: today})
	want := []FieldError{
		{"bollo_copia_conforme", KeyRequiredCheckbox, nil},
		{"delega", KeyRequiredFile, nil},
		{"documento_identita", KeyRequiredFile, nil},
	}
	if diff := cmp.Diff(want, []FieldError(errs)); diff != "" {
		t.Errorf("service step errors mismatch (-want +got):\n%s", diff)
	}
	if a["rappresentato"].Text != "Carlo Verdi" || a["qualita"].Text != "delegato" {
		t.Errorf("the general step's answers were lost: %+v", a)
	}
	// The whole form validated at the end reports the same problems.
	if _, errs := d.Validate(a, today); len(errs) != 3 {
		t.Errorf("Validate errors = %v", errs)
	}
}

func TestValidate(t *testing.T) {
	d := load(t, "testdata/all-types.json")
	values := baseline()
	values.Set("importo", "12,5")
	values.Set("nascita", "25/04/1980")
	values.Set("iban", "IT60 X054 2811 1010 0000 0123 456")
	values.Set("telefono", "333 1234567")
	values.Set("tipo", "b")
	values.Set("dettaglio", "ok")
	values["servizi"] = []string{"z", "x"}
	a, errs := d.Parse(Submission{Values: values, Files: baselineFiles(), Today: today})
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	again, errs := d.Validate(a, today)
	if len(errs) != 0 {
		t.Errorf("Validate errors: %v", errs)
	}
	if diff := cmp.Diff(a, again); diff != "" {
		t.Errorf("Validate changed valid answers (-want +got):\n%s", diff)
	}
	// A stored answer that an earlier one now hides is dropped; a now
	// visible required one is reported.
	a["tipo"] = Value{Text: "a"}
	cleaned, errs := d.Validate(a, today)
	if _, ok := cleaned["dettaglio"]; ok || len(errs) != 0 {
		t.Errorf("Validate after the change: dettaglio %v, errors %v", cleaned["dettaglio"], errs)
	}
	if err := errs.Err(); err != nil {
		t.Errorf("Err() of no errors = %v", err)
	}
	delete(a, "nome")
	_, errs = d.Validate(a, today)
	if err := errs.Err(); err == nil || !strings.Contains(err.Error(), "nome (form.error.required)") {
		t.Errorf("Err() = %v", err)
	}
}

// TestAnswersJSON checks that stored answers are deterministic and compact.
func TestAnswersJSON(t *testing.T) {
	a := Answers{
		"z": {Text: "ultimo"}, "a": {List: []string{"x", "y"}}, "m": {Checked: true},
		"g": {Items: []Answers{{"b": {Text: "2"}, "a": {Text: "1"}}}},
		"f": {Files: []FileInfo{{Name: "a.pdf", Size: 3, Type: "application/pdf", Ref: "abc"}}},
		"i": {Address: &Address{Street: "Via Roma", Comune: "ROMA", Province: "RM", Belfiore: "H501"}},
	}
	want := `{"a":{"list":["x","y"]},"f":{"files":[{"name":"a.pdf","size":3,"type":"application/pdf","ref":"abc"}]},` +
		`"g":{"items":[{"a":{"text":"1"},"b":{"text":"2"}}]},"i":{"address":{"street":"Via Roma","comune":"ROMA","province":"RM","belfiore":"H501"}},` +
		`"m":{"checked":true},"z":{"text":"ultimo"}}`
	for range 3 {
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Fatalf("json = %s\nwant   %s", b, want)
		}
	}
	var back Answers
	if err := json.Unmarshal([]byte(want), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, back); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestPrefill(t *testing.T) {
	d := load(t, "testdata/all-types.json")
	tests := []struct {
		name string
		p    Profile
		want Answers
	}{
		{"everything", Profile{GivenName: " Mario ", FamilyName: "Rossi", FiscalCode: "rssmra80a01h501u", Email: "Mario@Example.IT", Phone: "3331234567"},
			Answers{"nome": {Text: "Mario", Prefilled: true}, "cf": {Text: "RSSMRA80A01H501U", Prefilled: true},
				"email": {Text: "Mario@example.it", Prefilled: true}, "telefono": {Text: "+393331234567", Prefilled: true}}},
		{"invalid fiscal code is not filled, so it stays editable", Profile{FiscalCode: "RSSMRA80A01H501X"}, Answers{}},
		{"invalid phone is filled as it is, to be corrected", Profile{Phone: "12"}, Answers{"telefono": {Text: "12", Prefilled: true}}},
		{"nothing", Profile{}, Answers{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, d.Prefill(tc.p)); diff != "" {
				t.Errorf("Prefill mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// The prefilled codice fiscale cannot be changed by a forged submission.
	prior := d.Prefill(Profile{FiscalCode: "RSSMRA80A01H501U"})
	values := baseline()
	values.Set("cf", "BNCMRA80A41H501X")
	a, _ := d.Parse(Submission{Values: values, Files: baselineFiles(), Prior: prior, Today: today})
	if diff := cmp.Diff(Value{Text: "RSSMRA80A01H501U", Prefilled: true}, a["cf"]); diff != "" {
		t.Errorf("cf mismatch (-want +got):\n%s", diff)
	}
	// Other prefilled answers stay editable and are still checked; an
	// unchanged one keeps its origin, a changed one loses it.
	prior = d.Prefill(Profile{GivenName: "Mario", FiscalCode: "RSSMRA80A01H501U", Phone: "12", Email: "m@example.it"})
	values.Set("nome", "Mario")
	values.Set("telefono", "12")
	values.Set("email", "mario@example.it")
	a, errs := d.Parse(Submission{Values: values, Files: baselineFiles(), Prior: prior, Today: today})
	if diff := cmp.Diff([]FieldError{{"telefono", KeyPhone, nil}}, []FieldError(errs)); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
	got := []Value{a["nome"], a["email"]}
	want := []Value{{Text: "Mario", Prefilled: true}, {Text: "mario@example.it"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("prefilled answers mismatch (-want +got):\n%s", diff)
	}
}

func FuzzParse(f *testing.F) {
	d := load(f, "testdata/all-types.json")
	f.Add(baseline().Encode())
	f.Add("persone._items=3&persone[2].ruolo=altro&tipo=b&servizi=x&servizi=q&importo=1.000&nascita=31/02/2000")
	f.Add("residenza.comune=castro&residenza.street=x&iban=it00&cf=rssmra80a01h5l1f&telefono=0039")
	f.Add("persone._items=-1&privato=1&motivo_privato=%00%ff&note=a%0D%0Ab")
	f.Fuzz(func(t *testing.T, query string) {
		values, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		a, errs := d.Parse(Submission{Values: values, Files: baselineFiles(), Today: today})
		// Every error points at an input the page renders.
		v := d.View(a, errs, func(k string, _ ...any) string { return k }, "it")
		if v.Errors == nil && len(errs) > 0 || v.Errors != nil && len(v.Errors.Links) != len(errs) {
			t.Fatalf("error summary does not list the %d errors", len(errs))
		}
		seen := map[string]bool{}
		for _, e := range errs {
			if seen[e.Field] {
				t.Fatalf("two errors for %s: %v", e.Field, errs)
			}
			seen[e.Field] = true
		}
		// Parsing the stored answers again changes nothing.
		again, _ := d.Validate(a, today)
		if diff := cmp.Diff(a, again); diff != "" {
			t.Fatalf("Validate(Parse(%q)) changed the answers (-first +second):\n%s", query, diff)
		}
		if _, err := json.Marshal(a); err != nil {
			t.Fatal(err)
		}
	})
}
