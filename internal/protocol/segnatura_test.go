package protocol_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/protocol"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// envAgIDSchemas names a folder holding the AgID schemas
// (segnatura_protocollo.xsd, pec_message.xsd and
// import_schemas/xmldsig-core-schema.xsd, from
// github.com/AgID/protocollo-comunicazione-aoo); when it is set and xmllint
// is installed, the golden files are also validated by xmllint. The schemas
// are not vendored in this repository.
const envAgIDSchemas = "SPORTELLO_AGID_XSD"

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

var (
	registro = protocol.Registro{CodiceAmministrazione: "c_a116", CodiceAOO: "AOO_A116", CodiceRegistro: "PG"}
	comune   = protocol.Soggetto{
		Kind: protocol.Amministrazione, Denominazione: "Comune di Ala", CodiceFiscale: "00349510225",
		CodiceIPA: "c_a116", CodiceAOO: "AOO_A116", Email: "comune@pec.comune.ala.tn.it",
	}
	citizen = protocol.Soggetto{
		Kind: protocol.PersonaFisica, Nome: "Mario", Cognome: "Rossi", CodiceFiscale: "RSSMRA80A01H501U",
		Email: "mario.rossi@example.it",
	}
)

// incomingEntry is a registered entry as Register leaves it.
func incomingEntry() *protocol.Entry {
	return &protocol.Entry{
		Ente: 1, Year: 2026, Number: 42, Direction: protocol.In,
		RegisteredAt:   time.Date(2026, 3, 2, 9, 30, 0, 123456000, time.UTC),
		Subject:        "Domanda di cambio di residenza – Rossi Mario & famiglia <urgente>",
		Correspondent:  "Mario Rossi",
		DocumentSHA256: sum("domanda"),
		CreatedBy:      "system:sportello",
	}
}

func incomingInfo() protocol.SegnaturaInfo {
	return protocol.SegnaturaInfo{
		Registro:    registro,
		Classifica:  protocol.Classifica{Codice: "6.3", Denominazione: "Anagrafe – residenza"},
		Fascicolo:   protocol.Fascicolo{Codice: "2026-6.3/17", Denominazione: "Cambio di residenza Rossi"},
		Mittente:    citizen,
		Destinatari: []protocol.Destinatario{{Soggetto: comune}},
		DocumentoPrimario: protocol.Documento{
			Nome: "domanda.pdf", MIME: "application/pdf", Descrizione: "Domanda compilata sullo sportello",
		},
		Allegati: []protocol.Documento{
			{Nome: "carta d'identità.pdf", MIME: "application/pdf", SHA256: sum("ci")},
			{Nome: "contratto.p7m", MIME: "application/pkcs7-mime", SHA256: sum("contratto"), Descrizione: "Contratto di locazione firmato"},
		},
	}
}

func outgoingEntry() *protocol.Entry {
	return &protocol.Entry{
		Ente: 1, Year: 2026, Number: 1234567, Direction: protocol.Out,
		// 23:45 in Rome, summer time: still 15 July there.
		RegisteredAt:   time.Date(2026, 7, 15, 21, 45, 10, 0, time.UTC),
		Subject:        "Permesso di costruire n. 12/2026 – rilascio",
		Correspondent:  "Edil Rossi S.r.l.",
		DocumentSHA256: sum("permesso"),
		CreatedBy:      "user:7",
	}
}

func outgoingInfo() protocol.SegnaturaInfo {
	return protocol.SegnaturaInfo{
		Registro:   registro,
		Classifica: protocol.Classifica{Codice: "6.3", Denominazione: "Edilizia privata"},
		Mittente:   comune,
		Destinatari: []protocol.Destinatario{
			{Soggetto: protocol.Soggetto{Kind: protocol.PersonaGiuridica, Denominazione: "Edil Rossi S.r.l.",
				CodiceFiscale: "01234567890", Email: "edilrossi@pec.example.it"}, ConfermaRicezione: true},
			{Soggetto: protocol.Soggetto{Kind: protocol.Amministrazione, Denominazione: "Provincia autonoma di Trento",
				CodiceIPA: "p_tn", CodiceUO: "UO_URB"}, PerConoscenza: true},
			{Soggetto: protocol.Soggetto{Kind: protocol.AmministrazioneEstera, Denominazione: "Gemeinde Kufstein",
				Ufficio: "Bauamt"}, PerConoscenza: true},
		},
		DocumentoPrimario: protocol.Documento{Nome: "permesso.pdf.p7m", MIME: "application/pkcs7-mime"},
	}
}

// newYearEntry is registered at 00:30 of 1 January in Rome, 23:30 of 31
// December in UTC: number 1 of the new year, dated in the new year.
func newYearEntry() *protocol.Entry {
	return &protocol.Entry{
		Ente: 1, Year: 2026, Number: 1, Direction: protocol.In,
		RegisteredAt:   time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC),
		Subject:        "Auguri",
		Correspondent:  "Anna Bianchi",
		DocumentSHA256: sum("auguri"),
		CreatedBy:      "system:pec",
	}
}

func newYearInfo() protocol.SegnaturaInfo {
	return protocol.SegnaturaInfo{
		Registro:          registro,
		Classifica:        protocol.Classifica{Codice: "1.1", Denominazione: "Amministrazione generale"},
		Mittente:          protocol.Soggetto{Kind: protocol.PersonaFisica, Nome: "Anna", Cognome: "Bianchi"},
		Destinatari:       []protocol.Destinatario{{Soggetto: comune, ConfermaRicezione: true}},
		DocumentoPrimario: protocol.Documento{Nome: "messaggio.eml", MIME: "message/rfc822"},
	}
}

func segnaturaCases() []struct {
	name  string
	entry *protocol.Entry
	info  protocol.SegnaturaInfo
} {
	return []struct {
		name  string
		entry *protocol.Entry
		info  protocol.SegnaturaInfo
	}{
		{"incoming", incomingEntry(), incomingInfo()},
		{"outgoing_summer", outgoingEntry(), outgoingInfo()},
		{"new_year", newYearEntry(), newYearInfo()},
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func TestSegnaturaGolden(t *testing.T) {
	for _, tc := range segnaturaCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := protocol.Segnatura(tc.entry, tc.info)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "segnatura_"+tc.name+".xml", got)
			if errs := checkSchema(got); len(errs) > 0 {
				t.Errorf("schema check:\n%s", strings.Join(errs, "\n"))
			}
			xmllint(t, "segnatura_protocollo.xsd", got, true)
			if diff := cmp.Diff(expected(tc.entry, tc.info), decode(t, got)); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSegnaturaDates pins the date and time of a registration to Rome's
// calendar and clock, across midnight and both DST changes of 2026.
func TestSegnaturaDates(t *testing.T) {
	tests := []struct {
		at         time.Time
		date, time string
	}{
		{time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), "2026-03-29", "00:30:00+01:00"},
		{time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), "2026-03-29", "03:30:00+02:00"},
		{time.Date(2026, 10, 24, 22, 30, 0, 0, time.UTC), "2026-10-25", "00:30:00+02:00"},
		{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), "2026-10-25", "02:30:00+02:00"},
		{time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), "2026-10-25", "02:30:00+01:00"},
		{time.Date(2026, 12, 31, 22, 59, 59, 0, time.UTC), "2026-12-31", "23:59:59+01:00"},
	}
	for _, tc := range tests {
		t.Run(tc.at.Format(time.RFC3339), func(t *testing.T) {
			e := incomingEntry()
			e.RegisteredAt = tc.at
			got, err := protocol.Segnatura(e, incomingInfo())
			if err != nil {
				t.Fatal(err)
			}
			id := decode(t, got).Identificatore
			if id.Data != tc.date || id.Ora != tc.time {
				t.Errorf("DataRegistrazione %s OraRegistrazione %s, want %s %s", id.Data, id.Ora, tc.date, tc.time)
			}
		})
	}
}

func TestSegnaturaRefuses(t *testing.T) {
	annulment := incomingEntry()
	annulment.AnnulsYear, annulment.AnnulsNumber = 2026, 41
	annulment.AnnulReason, annulment.AnnulAct = "errore", "determina 1/2026"
	unregistered := incomingEntry()
	unregistered.Number = 0
	noDocument := incomingEntry()
	noDocument.DocumentSHA256 = ""
	control := incomingEntry()
	control.Subject = "oggetto\x01"
	badUTF8 := incomingEntry()
	badUTF8.Subject = "oggetto \xff"
	blank := incomingEntry()
	blank.Subject = " \t"
	with := func(f func(*protocol.SegnaturaInfo)) protocol.SegnaturaInfo {
		s := incomingInfo()
		f(&s)
		return s
	}
	tests := []struct {
		name  string
		entry *protocol.Entry
		info  protocol.SegnaturaInfo
		want  []string
	}{
		{"no entry", nil, incomingInfo(), []string{"no entry"}},
		{"unregistered", unregistered, incomingInfo(), []string{"not registered"}},
		{"annulment", annulment, incomingInfo(), []string{"AnnullamentoProtocollazione"}},
		{"control character", control, incomingInfo(), []string{"Oggetto contains the character U+0001"}},
		{"invalid UTF-8", badUTF8, incomingInfo(), []string{"Oggetto is not valid UTF-8"}},
		{"blank subject", blank, incomingInfo(), []string{"Oggetto is empty"}},
		{"no document", noDocument, incomingInfo(), []string{"DocumentoPrimario: SHA256"}},
		{"document differs", incomingEntry(), with(func(s *protocol.SegnaturaInfo) { s.DocumentoPrimario.SHA256 = sum("altro") }),
			[]string{"differs from the entry's document"}},
		{"register code", incomingEntry(), with(func(s *protocol.SegnaturaInfo) { s.CodiceRegistro = "PROTOCOLLO GENERALE" }),
			[]string{"CodiceRegistro"}},
		{"no AOO and no classifica", incomingEntry(), with(func(s *protocol.SegnaturaInfo) {
			s.CodiceAOO, s.Classifica = "", protocol.Classifica{}
		}), []string{"CodiceAOO is empty", "Classifica: Codice is empty", "Classifica: Denominazione is empty"}},
		{"half a fascicolo", incomingEntry(), with(func(s *protocol.SegnaturaInfo) { s.Fascicolo.Denominazione = "" }),
			[]string{"Fascicolo: Denominazione is empty"}},
		{"no recipient", incomingEntry(), with(func(s *protocol.SegnaturaInfo) { s.Destinatari = nil }),
			[]string{"no Destinatario"}},
		{"person with a company name", incomingEntry(), with(func(s *protocol.SegnaturaInfo) { s.Mittente.Denominazione = "ACME" }),
			[]string{"Mittente: Denominazione has no place in a persona_fisica"}},
		{"codice fiscale", incomingEntry(), with(func(s *protocol.SegnaturaInfo) { s.Mittente.CodiceFiscale = "rssmra80a01h501u" }),
			[]string{"Mittente: CodiceFiscale"}},
		{"partita IVA", incomingEntry(), with(func(s *protocol.SegnaturaInfo) {
			s.Mittente = protocol.Soggetto{Kind: protocol.PersonaGiuridica, Denominazione: "ACME", CodiceFiscale: "IT01234567890"}
		}), []string{"Mittente: CodiceFiscale of a persona_giuridica: want 11 digits"}},
		{"administration without IPA code", incomingEntry(), with(func(s *protocol.SegnaturaInfo) { s.Destinatari[0].CodiceIPA = "" }),
			[]string{"Destinatario 1: CodiceIPA is empty"}},
		{"unknown kind", incomingEntry(), with(func(s *protocol.SegnaturaInfo) { s.Mittente.Kind = "ente" }),
			[]string{`Mittente: kind "ente"`}},
		{"attachment", incomingEntry(), with(func(s *protocol.SegnaturaInfo) { s.Allegati[1].SHA256 = "ABC"; s.Allegati[0].MIME = "" }),
			[]string{"Allegato 1: MIME is empty", "Allegato 2: SHA256"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := protocol.Segnatura(tc.entry, tc.info)
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("Segnatura = %d bytes, %v; want an Invalid error", len(got), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func annulmentOf(old *protocol.Entry) *protocol.Entry {
	return &protocol.Entry{
		Ente: old.Ente, Year: 2026, Number: old.Number + 1, Direction: old.Direction,
		RegisteredAt: old.RegisteredAt.Add(2 * time.Hour),
		Subject:      "Annullamento del protocollo n. " + old.Display() + " - " + old.Subject,
		AnnulsYear:   old.Year, AnnulsNumber: old.Number,
		AnnulReason: "Registrato due volte per errore", AnnulAct: "Determina del segretario n. 15/2026",
		CreatedBy: "user:7",
	}
}

func TestAnnullamentoProtocollazione(t *testing.T) {
	old := outgoingEntry()
	got, err := protocol.AnnullamentoProtocollazione(registro, old, annulmentOf(old))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "annullamento.xml", got)
	if errs := checkSchema(got); len(errs) > 0 {
		t.Errorf("schema check:\n%s", strings.Join(errs, "\n"))
	}
	xmllint(t, "pec_message.xsd", got, false)

	var msg struct {
		Identificatore xIdentificatore `xml:"MessaggioRicevuto>Identificatore"`
		Motivo         string
		Provvedimento  string
	}
	if err := xml.Unmarshal(got, &msg); err != nil {
		t.Fatal(err)
	}
	want := struct {
		Identificatore        xIdentificatore
		Motivo, Provvedimento string
	}{
		xIdentificatore{"c_a116", "AOO_A116", "PG", "1234567", "2026-07-15", "23:45:10+02:00"},
		"Registrato due volte per errore", "Determina del segretario n. 15/2026",
	}
	gotv := struct {
		Identificatore        xIdentificatore
		Motivo, Provvedimento string
	}{msg.Identificatore, msg.Motivo, msg.Provvedimento}
	if diff := cmp.Diff(want, gotv); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestAnnullamentoRefuses(t *testing.T) {
	old := outgoingEntry()
	other := annulmentOf(old)
	other.AnnulsNumber = 5
	noReason := annulmentOf(old)
	noReason.AnnulReason = ""
	tests := []struct {
		name                string
		r                   protocol.Registro
		annulled, annulment *protocol.Entry
		want                string
	}{
		{"no annulment", registro, old, nil, "no entry"},
		{"not an annulment", registro, old, outgoingEntry(), "does not annul it"},
		{"another entry", registro, old, other, "does not annul it"},
		{"no reason", registro, old, noReason, "Motivo is empty"},
		{"no register", protocol.Registro{}, old, annulmentOf(old), "CodiceRegistro"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := protocol.AnnullamentoProtocollazione(tc.r, tc.annulled, tc.annulment)
			if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want an Invalid error mentioning %q", err, tc.want)
			}
		})
	}
}

// xmllint validates doc against schema (a file of envAgIDSchemas) when
// both are available. A segnatura lacks its ds:Signature by design, so
// for one (unsigned) the only error accepted is that one missing element.
func xmllint(t *testing.T, schema string, doc []byte, unsigned bool) {
	t.Helper()
	dir := os.Getenv(envAgIDSchemas)
	bin, err := exec.LookPath("xmllint")
	if dir == "" || err != nil {
		t.Logf("xmllint check skipped: set %s and install xmllint (libxml2-utils)", envAgIDSchemas)
		return
	}
	f := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--noout", "--schema", filepath.Join(dir, schema), f).CombinedOutput()
	if err == nil {
		return
	}
	var other []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		switch {
		case strings.HasSuffix(line, "fails to validate"):
		case unsigned && strings.Contains(line, "Missing child element(s). Expected is ( {http://www.w3.org/2000/09/xmldsig#}Signature )"):
		default:
			other = append(other, line)
		}
	}
	if len(other) > 0 {
		t.Errorf("xmllint:\n%s", strings.Join(other, "\n"))
	}
}

// FuzzSegnatura writes segnature with arbitrary text in every free-text
// field: each must be refused as Invalid, or pass the schema check and
// read back exactly as given.
func FuzzSegnatura(f *testing.F) {
	f.Add("Domanda di residenza", "Mario", "Rossi", "domanda.pdf", "", "mario@example.it", "6.3")
	f.Add("a & b < c > d \"e\" 'f'", "Ànna", "D'Àlì", "x]]>y.pdf", " spazi ", "", "1")
	f.Add("riga 1\r\nriga 2\ttab", "\u00a0", "\U0001F600", "nome\n.pdf", "\r", "\t", " ")
	f.Add("\x00", "\ufffe", "\xff", "", "", "", "")
	f.Fuzz(func(t *testing.T, subject, nome, cognome, file, descr, email, classifica string) {
		e := incomingEntry()
		e.Subject = subject
		s := incomingInfo()
		s.Mittente.Nome, s.Mittente.Cognome, s.Mittente.Email = nome, cognome, email
		s.DocumentoPrimario.Nome, s.DocumentoPrimario.Descrizione = file, descr
		s.Allegati[0].Descrizione = descr
		s.Classifica.Codice = classifica
		got, err := protocol.Segnatura(e, s)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("error of kind %s: %v", apperr.KindOf(err), err)
			}
			return
		}
		if errs := checkSchema(got); len(errs) > 0 {
			t.Fatalf("schema check:\n%s\n%s", strings.Join(errs, "\n"), got)
		}
		if diff := cmp.Diff(expected(e, s), decode(t, got)); diff != "" {
			t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
		}
		if !bytes.HasPrefix(got, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
			t.Fatalf("no XML declaration:\n%s", got)
		}
	})
}
