package protocol

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/sportello/sportello/internal/apperr"
)

// Segnatura returns the segnatura informatica of entry e (AgID 2021,
// segnatura_protocollo.xsd 3.0.0): the XML that travels with the documents
// when the ente sends them to another AOO, or that records how an incoming
// message was protocolled. Number, date, time and oggetto come from e; the
// rest from s, which is validated in full (an Invalid error lists every
// problem). Elements appear in the schema's order; attributes are
// namespace-qualified because the schema sets attributeFormDefault to
// qualified; DataRegistrazione is the date in Europe/Rome and
// OraRegistrazione the time there with its offset.
//
// The schema ends the segnatura with a ds:Signature, an XAdES baseline-B
// enveloped signature by the sending AOO. Segnatura does not sign: the
// output lacks that one element and is ready for a signer (a seal held in
// an HSM or a remote signing service, outside this package) to append it.
// Until signed it is valid against the schema in everything else.
func Segnatura(e *Entry, s SegnaturaInfo) ([]byte, error) {
	if err := s.check(e); err != nil {
		return nil, err
	}
	root := etree.NewElement("prot:SegnaturaInformatica")
	root.CreateAttr("xmlns:prot", SegnaturaNS)
	root.CreateAttr("prot:versione", segnaturaVersione)
	root.CreateAttr("prot:lang", "it")

	head := root.CreateElement("prot:Intestazione")
	if err := identificatore(head.CreateElement("prot:Identificatore"), s.Registro, e); err != nil {
		return nil, err
	}
	head.CreateElement("prot:Oggetto").SetText(e.Subject)
	cl := head.CreateElement("prot:Classifica")
	cl.CreateElement("prot:Denominazione").SetText(s.Classifica.Denominazione)
	cl.CreateElement("prot:CodiceFlat").SetText(s.Classifica.Codice)
	if s.Fascicolo != (Fascicolo{}) {
		f := head.CreateElement("prot:Fascicolo")
		f.CreateElement("prot:Denominazione").SetText(s.Fascicolo.Denominazione)
		f.CreateElement("prot:CodiceFascicolo").SetText(s.Fascicolo.Codice)
	}

	desc := root.CreateElement("prot:Descrizione")
	soggetto(desc.CreateElement("prot:Mittente"), s.Mittente)
	for _, d := range s.Destinatari {
		el := desc.CreateElement("prot:Destinatario")
		el.CreateAttr("prot:confermaRicezione", xsBool(d.ConfermaRicezione))
		el.CreateAttr("prot:perConoscenza", xsBool(d.PerConoscenza))
		soggetto(el, d.Soggetto)
	}
	if err := documento(desc.CreateElement("prot:DocumentoPrimario"), s.DocumentoPrimario); err != nil {
		return nil, err
	}
	for _, a := range s.Allegati {
		if err := documento(desc.CreateElement("prot:Allegato"), a); err != nil {
			return nil, err
		}
	}
	return write(root)
}

// AnnullamentoProtocollazione returns the message (pec_message.xsd 3.0.0)
// by which the ente tells the recipients of a protocol message it sent that
// the registration was annulled (DPR 445/2000 art. 54): it names the
// annulled registration and carries the reason and the authorising act of
// the annulment entry, so that the recipient AOO can annul its own copy.
// Like Segnatura it is unsigned.
func AnnullamentoProtocollazione(r Registro, annulled, annulment *Entry) ([]byte, error) {
	var p problems
	switch {
	case annulled == nil || annulment == nil:
		return nil, apperr.Errorf(apperr.Invalid, "protocol: annullamento: no entry")
	case annulled.Number <= 0 || annulled.RegisteredAt.IsZero():
		return nil, apperr.Errorf(apperr.Invalid, "protocol: annullamento: the annulled entry is not registered")
	case !annulment.Annuls() || annulment.Ente != annulled.Ente ||
		annulment.AnnulsYear != annulled.Year || annulment.AnnulsNumber != annulled.Number:
		return nil, apperr.Errorf(apperr.Invalid, "protocol: annullamento %s: the annulment entry does not annul it", annulled.Display())
	}
	r.check(&p)
	p.text("Motivo", annulment.AnnulReason, true)
	p.text("Provvedimento", annulment.AnnulAct, true)
	if err := p.err("annullamento " + annulled.Display()); err != nil {
		return nil, err
	}
	root := etree.NewElement("pec:AnnullamentoProtocollazione")
	root.CreateAttr("xmlns:pec", MessaggiNS)
	root.CreateAttr("xmlns:prot", SegnaturaNS)
	root.CreateAttr("pec:versione", segnaturaVersione)
	root.CreateAttr("pec:lang", "it")
	msg := root.CreateElement("pec:MessaggioRicevuto")
	// The identifier's own element is declared by pec_message.xsd, its
	// children by segnatura_protocollo.xsd: hence the two prefixes.
	if err := identificatore(msg.CreateElement("pec:Identificatore"), r, annulled); err != nil {
		return nil, err
	}
	root.CreateElement("pec:Motivo").SetText(annulment.AnnulReason)
	root.CreateElement("pec:Provvedimento").SetText(annulment.AnnulAct)
	return write(root)
}

// identificatore fills an IdentificatoreType element for entry e.
func identificatore(el *etree.Element, r Registro, e *Entry) error {
	loc, err := rome()
	if err != nil {
		return fmt.Errorf("protocol: segnatura: load Europe/Rome: %w", err)
	}
	at := e.RegisteredAt.In(loc)
	el.CreateElement("prot:CodiceAmministrazione").SetText(r.CodiceAmministrazione)
	el.CreateElement("prot:CodiceAOO").SetText(r.CodiceAOO)
	el.CreateElement("prot:CodiceRegistro").SetText(r.CodiceRegistro)
	el.CreateElement("prot:NumeroRegistrazione").SetText(e.Number.String())
	el.CreateElement("prot:DataRegistrazione").SetText(at.Format("2006-01-02"))
	el.CreateElement("prot:OraRegistrazione").SetText(at.Format("15:04:05-07:00"))
	return nil
}

// soggetto writes s as the one child of a SoggettoType element.
func soggetto(parent *etree.Element, s Soggetto) {
	opt := func(el *etree.Element, name, v string) {
		if v != "" {
			el.CreateElement(name).SetText(v)
		}
	}
	switch s.Kind {
	case Amministrazione:
		el := parent.CreateElement("prot:Amministrazione")
		el.CreateElement("prot:DenominazioneAmministrazione").SetText(s.Denominazione)
		opt(el, "prot:CFAmministrazione", s.CodiceFiscale)
		el.CreateElement("prot:CodiceIPAAmministrazione").SetText(s.CodiceIPA)
		contatti(el, "prot:ContattiAmministrazione", s.Email)
		opt(el, "prot:CodiceIPAAOO", s.CodiceAOO)
		opt(el, "prot:CodiceIPAUO", s.CodiceUO)
	case AmministrazioneEstera:
		el := parent.CreateElement("prot:AmministrazioneEstera")
		el.CreateElement("prot:DenominazioneAmministrazione").SetText(s.Denominazione)
		opt(el, "prot:DenominazioneUfficio", s.Ufficio)
		contatti(el, "prot:ContattiAmministrazione", s.Email)
	case PersonaGiuridica:
		el := parent.CreateElement("prot:PersonaGiuridica")
		el.CreateElement("prot:Denominazione").SetText(s.Denominazione)
		opt(el, "prot:PIVAoCF", s.CodiceFiscale)
		contatti(el, "prot:ContattiPersonaGiuridica", s.Email)
	case PersonaFisica:
		el := parent.CreateElement("prot:PersonaFisica")
		el.CreateElement("prot:Nome").SetText(s.Nome)
		el.CreateElement("prot:Cognome").SetText(s.Cognome)
		opt(el, "prot:CodiceFiscale", s.CodiceFiscale)
		contatti(el, "prot:Contatti", s.Email)
	}
}

// contatti writes a ContattiType element holding one e-mail address, or
// nothing when there is none.
func contatti(parent *etree.Element, name, email string) {
	if email == "" {
		return
	}
	it := parent.CreateElement(name).CreateElement("prot:IndirizzoTelematico")
	it.CreateAttr("prot:tipo", "smtp")
	it.SetText(email)
}

// documento writes a DocumentoType element; the impronta is the SHA-256 in
// base64, as ImprontaType (xs:base64Binary) wants, not in hex.
func documento(el *etree.Element, d Documento) error {
	sum, err := hex.DecodeString(d.SHA256)
	if err != nil {
		return apperr.Errorf(apperr.Invalid, "protocol: segnatura: %s: SHA256: %v", d.Nome, err)
	}
	el.CreateAttr("prot:nomeFile", d.Nome)
	el.CreateAttr("prot:mimeType", d.MIME)
	if d.Descrizione != "" {
		el.CreateElement("prot:Descrizione").SetText(d.Descrizione)
	}
	imp := el.CreateElement("prot:Impronta")
	imp.CreateAttr("prot:algoritmo", "SHA-256")
	imp.SetText(base64.StdEncoding.EncodeToString(sum))
	return nil
}

func xsBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// write serialises root as a UTF-8 document, indented by two spaces.
// Carriage returns in text and tabs and newlines in attributes are written
// as character references, and a leaf's blank text is kept, so that a
// parser reads back exactly the values given (XML would otherwise normalise
// them).
func write(root *etree.Element) ([]byte, error) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(root)
	doc.WriteSettings.CanonicalText = true
	doc.WriteSettings.CanonicalAttrVal = true
	doc.IndentWithSettings(&etree.IndentSettings{Spaces: 2, PreserveLeafWhitespace: true})
	var b strings.Builder
	if _, err := doc.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("protocol: segnatura: write: %w", err)
	}
	return []byte(b.String()), nil
}
