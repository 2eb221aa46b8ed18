package form

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFlatten(t *testing.T) {
	d := load(t, "definitions/accesso-agli-atti.json")
	tr := translator(t, "it")
	full := accessAnswers(t, d)
	short := Answers{"nome": {Text: "Luca"}, "qualita": {Text: "diretto_interessato"},
		"documenti": {Items: []Answers{{"descrizione": {Text: "Verbale"}}}}, "modalita": {Text: "visione"}}

	max := map[string]int{}
	for _, a := range []Answers{short, full} {
		d.CountItems(max, a)
	}
	if diff := cmp.Diff(map[string]int{"documenti": 2}, max); diff != "" {
		t.Fatalf("CountItems mismatch (-want +got):\n%s", diff)
	}
	cols := d.Columns(max, tr, "it")
	var keys []string
	for _, c := range cols {
		keys = append(keys, c.Key)
	}
	wantKeys := []string{
		"nome", "cognome", "codice_fiscale", "email", "telefono", "qualita", "rappresentato", "rappresentato_cf",
		"documenti[1].descrizione", "documenti[1].riferimento", "documenti[1].anno",
		"documenti[2].descrizione", "documenti[2].riferimento", "documenti[2].anno",
		"motivazione", "modalita", "bollo_copia_conforme", "dichiarazione", "delega", "documento_identita", "altri_allegati",
	}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("column keys mismatch (-want +got):\n%s", diff)
	}
	if got := cols[11].Label; got != "Documento 2 – Descrizione del documento" {
		t.Errorf("group column label = %q", got)
	}
	got := d.Flatten(full, max, tr, "it")
	want := []string{
		"Maria", "Bianchi", "RSSMRA80A01H501U", "maria@example.it", "+39061234567", "Delegato da un'altra persona", "Carlo Verdi", "RSSMRA45C12F205C",
		"Permesso di costruire", "", "2019",
		"Agibilità", "Prot. 123", "",
		"Confino con il cantiere.\n\nVoglio verificare le distanze.", "Copia conforme all'originale", "sì", "sì",
		"delega.pdf", "fronte.jpg; retro.jpg", "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Flatten(full) mismatch (-want +got):\n%s", diff)
	}
	got = d.Flatten(short, max, tr, "it")
	want = []string{
		"Luca", "", "", "", "", "Diretto interessato", "", "",
		"Verbale", "", "",
		"", "", "",
		"", "Solo vederli, in ufficio", "no", "no",
		"", "", "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Flatten(short) mismatch (-want +got):\n%s", diff)
	}
}

func TestFlattenAddressAndMultichoice(t *testing.T) {
	d := load(t, "testdata/all-types.json")
	tr := translator(t, "en")
	a := Answers{
		"residenza": {Address: &Address{Street: "Via Roma", Number: "1", PostalCode: "00184", Comune: "ROMA", Province: "RM", Belfiore: "H501"}},
		"servizi":   {List: []string{"x", "z"}},
		"privato":   {Checked: true},
		"tipo":      {Text: "a"},
	}
	cols := d.Columns(nil, tr, "en")
	row := d.Flatten(a, nil, tr, "en")
	if len(cols) != len(row) {
		t.Fatalf("%d columns, %d cells", len(cols), len(row))
	}
	got := map[string]string{}
	for i, c := range cols {
		got[c.Key+" | "+c.Label] = row[i]
	}
	for k, v := range map[string]string{
		"residenza.street | Residenza – Street, square or locality": "Via Roma",
		"residenza.number | Residenza – House number":               "1",
		"residenza.postal_code | Residenza – Postcode":              "00184",
		"residenza.comune | Residenza – Municipality":               "ROMA",
		"residenza.province | Residenza – Province":                 "RM",
		"servizi | Servizi":        "Ics; Zeta",
		"privato | Uso privato":    "yes",
		"dichiaro | Dichiarazione": "no",
		"tipo | Kind":              "First",
		"allegati | Allegati":      "",
	} {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if _, ok := got["persone[1].nome | Person 1 – Nome"]; ok {
		t.Error("group columns without maxItems")
	}
}
