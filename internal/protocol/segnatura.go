package protocol

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sportello/sportello/internal/apperr"
)

// The segnatura informatica (AgID, Linee guida sul documento informatico
// 2021, Allegato 6, schema segnatura_protocollo.xsd version 3.0.0) is the
// XML that travels with a protocolled document from one AOO to another: it
// names the register entry and binds it to the documents by their SHA-256.
// The names below follow the schema's, in Italian, so that a reader can put
// the code and the schema side by side.

// Namespaces of the AgID 2021 schemas: the segnatura's, and that of the
// messages exchanged about it (pec_message.xsd), such as an annulment.
const (
	SegnaturaNS = "http://www.agid.gov.it/protocollo/"
	MessaggiNS  = "http://www.agid.gov.it/protocollo/pec/"
)

// segnaturaVersione is the fixed value of the versione attribute.
const segnaturaVersione = "3.0.0"

// Registro identifies a register in the country's directory: which
// administration and AOO keep it (their codes in IPA, the Indice dei
// domicili digitali delle pubbliche amministrazioni) and which of the AOO's
// registers it is. It is configuration of the ente, not of the entry, so it
// is given to Segnatura rather than stored in every row.
type Registro struct {
	// CodiceAmministrazione is the ente's IPA code (tenant.Ente.IPACode),
	// e.g. "c_a116".
	CodiceAmministrazione string
	// CodiceAOO is the IPA code of the AOO (area organizzativa omogenea)
	// that keeps the register, e.g. "AOO_A116".
	CodiceAOO string
	// CodiceRegistro names the register within the AOO: 1 to 16 letters,
	// digits, "_", "." or "-", e.g. "PG" for the protocollo generale.
	CodiceRegistro string
}

// SoggettoKind says what a correspondent is, because the schema describes
// an administration, a company and a person with different elements.
type SoggettoKind string

// The four kinds of correspondent of the schema's SoggettoType.
const (
	// Amministrazione is an Italian public administration, known by its IPA
	// code (a comune, a ministry, a school).
	Amministrazione SoggettoKind = "amministrazione"
	// AmministrazioneEstera is a foreign public administration.
	AmministrazioneEstera SoggettoKind = "amministrazione_estera"
	// PersonaGiuridica is a company, association or other legal person.
	PersonaGiuridica SoggettoKind = "persona_giuridica"
	// PersonaFisica is a natural person, typically the citizen.
	PersonaFisica SoggettoKind = "persona_fisica"
)

// Soggetto is the sender or a recipient of a protocolled document, as the
// segnatura describes it. Only the fields of its Kind may be set: a field
// the schema has no place for is refused rather than silently dropped.
type Soggetto struct {
	Kind SoggettoKind
	// Denominazione is the name of an administration (Italian or foreign)
	// or of a legal person.
	Denominazione string
	// Nome and Cognome are a natural person's first and last names.
	Nome, Cognome string
	// CodiceFiscale is optional: the 16-character codice fiscale of a
	// natural person, or the 11 digits of an administration's codice
	// fiscale or a legal person's partita IVA or codice fiscale.
	CodiceFiscale string
	// CodiceIPA is an Italian administration's IPA code (required for it);
	// CodiceAOO and CodiceUO optionally name its AOO and organisational
	// unit.
	CodiceIPA, CodiceAOO, CodiceUO string
	// Ufficio is the office of a foreign administration, optional.
	Ufficio string
	// Email is an optional address (PEC or e-mail) of the correspondent.
	Email string
}

// Destinatario is a recipient with the two flags the schema adds to it.
type Destinatario struct {
	Soggetto
	// ConfermaRicezione asks the recipient AOO for a receipt
	// (ConfermaRicezione message).
	ConfermaRicezione bool
	// PerConoscenza marks a recipient in copy, for information only.
	PerConoscenza bool
}

// Documento is the primary document or an attachment of a protocol
// message, named by its file and bound by its SHA-256 (the impronta).
type Documento struct {
	// Nome is the file name, e.g. "istanza.pdf".
	Nome string
	// MIME is the media type (RFC 6838), e.g. "application/pdf".
	MIME string
	// SHA256 is the lowercase hex SHA-256 of the file; the segnatura
	// carries it in base64, as the schema wants.
	SHA256 string
	// Descrizione optionally describes the content.
	Descrizione string
}

// Classifica is the entry's place in the ente's filing plan (titolario),
// which the schema requires: a code such as "6.3" and its name.
type Classifica struct {
	Codice        string
	Denominazione string
}

// Fascicolo is the optional case file the document belongs to.
type Fascicolo struct {
	Codice        string
	Denominazione string
}

// SegnaturaInfo is what a segnatura says beyond the register entry: the
// register's codes, the filing, the correspondents as structured subjects
// (the entry keeps only a display string) and the documents. The oggetto,
// number, date and time always come from the entry, so that the segnatura
// cannot disagree with the register.
type SegnaturaInfo struct {
	Registro
	Classifica Classifica
	// Fascicolo is optional: leave it zero for none.
	Fascicolo Fascicolo
	// Mittente is the sender: the correspondent for an incoming document,
	// the ente itself for an outgoing one.
	Mittente Soggetto
	// Destinatari are the recipients, at least one: the ente for an
	// incoming document, the correspondents for an outgoing one.
	Destinatari []Destinatario
	// DocumentoPrimario is the main document. Its SHA256 may be left empty
	// to use the entry's DocumentSHA256; if both are set they must match.
	DocumentoPrimario Documento
	// Allegati are the attachments, each with its own SHA-256.
	Allegati []Documento
}

var (
	codiceRegistroRe = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,16}$`)
	// codiceFiscaleRe is the schema's pattern for a natural person's
	// codice fiscale, omocodia letters included.
	codiceFiscaleRe = regexp.MustCompile(`^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$`)
	partitaIVARe    = regexp.MustCompile(`^[0-9]{11}$`)
)

// problems collects what is wrong with an input, so that the caller learns
// every mistake at once rather than one per attempt.
type problems []string

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// text checks that s can be written in XML 1.0 unchanged (valid UTF-8, no
// control characters but tab and newlines) and, when required, that it is
// not blank: the segnatura must say exactly what the register says.
func (p *problems) text(field, s string, required bool) {
	if required && strings.TrimSpace(s) == "" {
		p.addf("%s is empty", field)
		return
	}
	if !utf8.ValidString(s) {
		p.addf("%s is not valid UTF-8", field)
		return
	}
	for _, r := range s {
		if !xmlChar(r) {
			p.addf("%s contains the character %U, which XML cannot carry", field, r)
			return
		}
	}
}

// xmlChar reports whether r is a character of XML 1.0 (production [2]).
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

func (p *problems) err(op string) error {
	if len(*p) == 0 {
		return nil
	}
	return apperr.Errorf(apperr.Invalid, "protocol: %s: %s", op, strings.Join(*p, "; "))
}

func (r Registro) check(p *problems) {
	p.text("CodiceAmministrazione", r.CodiceAmministrazione, true)
	p.text("CodiceAOO", r.CodiceAOO, true)
	if !codiceRegistroRe.MatchString(r.CodiceRegistro) {
		p.addf("CodiceRegistro %q: want 1 to 16 of A-Z a-z 0-9 _ . -", r.CodiceRegistro)
	}
}

// soggettoFields says, for each kind, which fields the schema requires and
// which it allows; any other field set is a mistake.
var soggettoFields = map[SoggettoKind]struct{ required, optional []string }{
	Amministrazione:       {[]string{"Denominazione", "CodiceIPA"}, []string{"CodiceFiscale", "CodiceAOO", "CodiceUO", "Email"}},
	AmministrazioneEstera: {[]string{"Denominazione"}, []string{"Ufficio", "Email"}},
	PersonaGiuridica:      {[]string{"Denominazione"}, []string{"CodiceFiscale", "Email"}},
	PersonaFisica:         {[]string{"Nome", "Cognome"}, []string{"CodiceFiscale", "Email"}},
}

// check validates a subject against its kind; field names the subject in
// messages ("Mittente", "Destinatario 2").
func (s Soggetto) check(p *problems, field string) {
	spec, ok := soggettoFields[s.Kind]
	if !ok {
		p.addf("%s: kind %q: want amministrazione, amministrazione_estera, persona_giuridica or persona_fisica", field, s.Kind)
		return
	}
	values := []struct{ name, v string }{
		{"Denominazione", s.Denominazione}, {"Nome", s.Nome}, {"Cognome", s.Cognome},
		{"CodiceFiscale", s.CodiceFiscale}, {"CodiceIPA", s.CodiceIPA}, {"CodiceAOO", s.CodiceAOO},
		{"CodiceUO", s.CodiceUO}, {"Ufficio", s.Ufficio}, {"Email", s.Email},
	}
	for _, f := range values {
		switch {
		case slices.Contains(spec.required, f.name):
			p.text(field+": "+f.name, f.v, true)
		case slices.Contains(spec.optional, f.name):
			p.text(field+": "+f.name, f.v, false)
		case f.v != "":
			p.addf("%s: %s has no place in a %s", field, f.name, s.Kind)
		}
	}
	switch cf := s.CodiceFiscale; {
	case cf == "":
	case s.Kind == PersonaFisica:
		if !codiceFiscaleRe.MatchString(cf) {
			p.addf("%s: CodiceFiscale: want 16 upper-case characters in the codice fiscale pattern", field)
		}
	case !partitaIVARe.MatchString(cf):
		p.addf("%s: CodiceFiscale of a %s: want 11 digits", field, s.Kind)
	}
}

func (d Documento) check(p *problems, field string) {
	p.text(field+": Nome", d.Nome, true)
	p.text(field+": MIME", d.MIME, true)
	p.text(field+": Descrizione", d.Descrizione, false)
	if !sha256Re.MatchString(d.SHA256) {
		p.addf("%s: SHA256: want 64 lowercase hex digits", field)
	}
}

// check validates s for entry e; it may fill the primary document's hash
// from the entry, hence the pointer.
func (s *SegnaturaInfo) check(e *Entry) error {
	var p problems
	switch {
	case e == nil:
		return apperr.Errorf(apperr.Invalid, "protocol: segnatura: no entry")
	case e.Number <= 0 || e.Year == 0 || e.RegisteredAt.IsZero():
		return apperr.Errorf(apperr.Invalid, "protocol: segnatura: the entry is not registered")
	case e.Annuls():
		return apperr.Errorf(apperr.Invalid,
			"protocol: segnatura %s: an annulment has no segnatura; send AnnullamentoProtocollazione", e.Display())
	}
	s.Registro.check(&p)
	p.text("Oggetto", e.Subject, true)
	p.text("Classifica: Codice", s.Classifica.Codice, true)
	p.text("Classifica: Denominazione", s.Classifica.Denominazione, true)
	if s.Fascicolo != (Fascicolo{}) {
		p.text("Fascicolo: Codice", s.Fascicolo.Codice, true)
		p.text("Fascicolo: Denominazione", s.Fascicolo.Denominazione, true)
	}
	s.Mittente.check(&p, "Mittente")
	if len(s.Destinatari) == 0 {
		p.addf("no Destinatario: want at least one")
	}
	for i, d := range s.Destinatari {
		d.check(&p, fmt.Sprintf("Destinatario %d", i+1))
	}
	switch doc := &s.DocumentoPrimario; {
	case doc.SHA256 == "":
		doc.SHA256 = e.DocumentSHA256
	case e.DocumentSHA256 != "" && doc.SHA256 != e.DocumentSHA256:
		p.addf("DocumentoPrimario: SHA256 differs from the entry's document")
	}
	s.DocumentoPrimario.check(&p, "DocumentoPrimario")
	for i, a := range s.Allegati {
		a.check(&p, fmt.Sprintf("Allegato %d", i+1))
	}
	return p.err("segnatura " + e.Display())
}
