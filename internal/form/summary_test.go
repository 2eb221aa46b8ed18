package form

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// accessAnswers fills accesso-agli-atti as a delegate asking for a
// certified copy of two documents.
func accessAnswers(t *testing.T, d *Definition) Answers {
	t.Helper()
	prior := d.Prefill(Profile{GivenName: "Maria", FamilyName: "Bianchi", FiscalCode: "RSSMRA80A01H501U", Email: "maria@example.it"})
	a, errs := d.Parse(Submission{Values: url.Values{
		"nome": {"Maria"}, "cognome": {"Bianchi"}, "email": {"maria@example.it"}, "telefono": {"06 1234567"},
		"qualita": {"delegato"}, "rappresentato": {"Carlo Verdi"}, "rappresentato_cf": {"RSSMRA45C12F205C"},
		"documenti._items": {"2"}, "documenti[0].descrizione": {"Permesso di costruire"}, "documenti[0].anno": {"2019"},
		"documenti[1].descrizione": {"Agibilità"}, "documenti[1].riferimento": {"Prot. 123"},
		"motivazione": {"Confino con il cantiere.\n\nVoglio verificare le distanze."}, "modalita": {"copia_conforme"},
		"bollo_copia_conforme": {"1"}, "dichiarazione": {"1"},
	}, Files: map[string][]FileInfo{
		"delega":             {{Name: "delega.pdf", Size: 2048, Type: "application/pdf"}},
		"documento_identita": {{Name: "fronte.jpg", Size: 300 * 1024, Type: "image/jpeg"}, {Name: "retro.jpg", Size: 310 * 1024, Type: "image/jpeg"}},
	}, Prior: prior, Today: today})
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	return a
}

func TestSummary(t *testing.T) {
	d := load(t, "definitions/accesso-agli-atti.json")
	a := accessAnswers(t, d)
	got := d.Summary(a, translator(t, "it"), "it")
	want := []SummarySection{
		{ID: "richiedente", Title: "Chi presenta la richiesta", Step: StepGeneral, EditLabel: "Modifica", Rows: []SummaryRow{
			{Label: "Nome", Value: "Maria"},
			{Label: "Cognome", Value: "Bianchi"},
			{Label: "Codice fiscale", Value: "RSSMRA80A01H501U"},
			{Label: "E-mail", Value: "maria@example.it"},
			{Label: "Telefono", Value: "+39061234567"},
			{Label: "Presenti la richiesta come", Value: "Delegato da un'altra persona"},
			{Label: "Nome e cognome o denominazione di chi rappresenti", Value: "Carlo Verdi"},
			{Label: "Codice fiscale della persona che ti ha delegato", Value: "RSSMRA45C12F205C"},
		}},
		{ID: "richiesta", Title: "Documenti che vuoi vedere o avere in copia", Step: StepService, EditLabel: "Modifica", Rows: []SummaryRow{
			{Label: "Documenti richiesti", Items: []SummaryItem{
				{Title: "Documento 1", Rows: []SummaryRow{
					{Label: "Descrizione del documento", Value: "Permesso di costruire"},
					{Label: "Numero di protocollo o di pratica, se lo conosci", Value: "Non indicato"},
					{Label: "Anno del documento, se lo conosci", Value: "2019"},
				}},
				{Title: "Documento 2", Rows: []SummaryRow{
					{Label: "Descrizione del documento", Value: "Agibilità"},
					{Label: "Numero di protocollo o di pratica, se lo conosci", Value: "Prot. 123"},
					{Label: "Anno del documento, se lo conosci", Value: "Non indicato"},
				}},
			}},
			{Label: "Perché chiedi questi documenti", Lines: []string{"Confino con il cantiere.", "Voglio verificare le distanze."}},
			{Label: "Come vuoi avere i documenti", Value: "Copia conforme all'originale"},
			{Label: "So che la copia conforme all'originale richiede l'imposta di bollo, salvo esenzioni, oltre al costo di riproduzione.", Value: "Sì"},
			{Label: "Dichiarazione sostitutiva dell'atto di notorietà (art. 47 del D.P.R. 445/2000)",
				Value: "Consapevole delle sanzioni penali previste dall'articolo 76 del D.P.R. 445/2000 per chi dichiara il falso, dichiaro ai sensi dell'articolo 47 dello stesso decreto che i dati indicati in questa richiesta sono veri e che l'interesse dichiarato è diretto, concreto e attuale."},
		}},
		{ID: "allegati", Title: "Allegati", Step: StepService, EditLabel: "Modifica", Rows: []SummaryRow{
			{Label: "Delega firmata", Lines: []string{"delega.pdf (2 KB)"}},
			{Label: "Documento d'identità della persona che ti ha delegato", Lines: []string{"fronte.jpg (300 KB)", "retro.jpg (310 KB)"}},
			{Label: "Altri documenti utili, se vuoi", Value: "Nessun file allegato"},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summary mismatch (-want +got):\n%s", diff)
	}
	// Hidden fields leave the summary; English labels are used when present.
	a["qualita"] = Value{Text: "diretto_interessato"}
	en := d.Summary(a, translator(t, "en"), "en")
	if n := len(en[0].Rows); n != 6 || en[0].Rows[5].Value != "The person concerned" {
		t.Errorf("English summary with the delegation hidden: %+v", en[0].Rows)
	}
	if diff := cmp.Diff([]SummaryRow{{Label: "Other useful documents, if you wish", Value: "No file attached"}}, en[2].Rows); diff != "" {
		t.Errorf("English attachments mismatch (-want +got):\n%s", diff)
	}
}

func TestSummaryOccupation(t *testing.T) {
	d := load(t, "definitions/occupazione-suolo-pubblico.json")
	a := Answers{
		"luogo":         {Address: &Address{Street: "Piazza Duomo", PostalCode: "38122", Comune: "TRENTO", Province: "TN", Belfiore: "L378"}},
		"dal":           {Text: "2026-04-01"},
		"superficie":    {Text: "12.5"},
		"motivo":        {Text: "cantiere"},
		"ingombri":      {List: []string{"ponteggio", "container"}},
		"iban_rimborso": {Text: "IT60X0542811101000000123456"},
	}
	rows := map[string]string{}
	for _, s := range d.Summary(a, translator(t, "it"), "it") {
		for _, r := range s.Rows {
			rows[r.Label] = r.Value + join(r.Lines)
		}
	}
	want := map[string]string{
		"Dove vuoi occupare il suolo pubblico":             "Piazza Duomo, 38122 TRENTO (TN)",
		"Dal giorno":                                       "01/04/2026",
		"Superficie occupata, in metri quadrati":           "12,5",
		"Motivo dell'occupazione":                          "Cantiere edile (ponteggi, gru, materiali)",
		"Cosa occuperà l'area":                             "Ponteggio|Container o cassone",
		"IBAN per la restituzione del deposito cauzionale": "IT60 X054 2811 1010 0000 0123 456",
	}
	for label, v := range want {
		if rows[label] != v {
			t.Errorf("%s = %q, want %q", label, rows[label], v)
		}
	}
	if _, ok := rows["Descrivi il motivo"]; ok {
		t.Error("the hidden motivo_altro is in the summary")
	}
}

func join(lines []string) string {
	out := ""
	for i, l := range lines {
		if i > 0 {
			out += "|"
		}
		out += l
	}
	return out
}
