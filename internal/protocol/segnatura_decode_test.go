package protocol_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/protocol"
)

// The round trip reads a segnatura back with encoding/xml, a parser other
// than the one that wrote it, into the shape of the inputs.

type xIdentificatore struct {
	Amministrazione string `xml:"CodiceAmministrazione"`
	AOO             string `xml:"CodiceAOO"`
	Registro        string `xml:"CodiceRegistro"`
	Numero          string `xml:"NumeroRegistrazione"`
	Data            string `xml:"DataRegistrazione"`
	Ora             string `xml:"OraRegistrazione"`
}

type xContatti struct {
	Email string `xml:"IndirizzoTelematico"`
}

type xSoggetto struct {
	ConfermaRicezione string `xml:"confermaRicezione,attr"`
	PerConoscenza     string `xml:"perConoscenza,attr"`
	Amministrazione   *struct {
		Denominazione string    `xml:"DenominazioneAmministrazione"`
		CF            string    `xml:"CFAmministrazione"`
		IPA           string    `xml:"CodiceIPAAmministrazione"`
		Contatti      xContatti `xml:"ContattiAmministrazione"`
		AOO           string    `xml:"CodiceIPAAOO"`
		UO            string    `xml:"CodiceIPAUO"`
	}
	AmministrazioneEstera *struct {
		Denominazione string    `xml:"DenominazioneAmministrazione"`
		Ufficio       string    `xml:"DenominazioneUfficio"`
		Contatti      xContatti `xml:"ContattiAmministrazione"`
	}
	PersonaGiuridica *struct {
		Denominazione string    `xml:"Denominazione"`
		CF            string    `xml:"PIVAoCF"`
		Contatti      xContatti `xml:"ContattiPersonaGiuridica"`
	}
	PersonaFisica *struct {
		Nome, Cognome string
		CF            string    `xml:"CodiceFiscale"`
		Contatti      xContatti `xml:"Contatti"`
	}
}

type xDocumento struct {
	Nome        string `xml:"nomeFile,attr"`
	MIME        string `xml:"mimeType,attr"`
	Descrizione string `xml:"Descrizione"`
	Impronta    struct {
		Algoritmo string `xml:"algoritmo,attr"`
		Value     string `xml:",chardata"`
	} `xml:"Impronta"`
}

type xSegnatura struct {
	Versione     string `xml:"versione,attr"`
	Lang         string `xml:"lang,attr"`
	Intestazione struct {
		Identificatore xIdentificatore
		Oggetto        string
		Classifica     struct{ Denominazione, CodiceFlat string }
		Fascicolo      struct{ Denominazione, CodiceFascicolo string }
	}
	Descrizione struct {
		Mittente          xSoggetto
		Destinatari       []xSoggetto `xml:"Destinatario"`
		DocumentoPrimario xDocumento
		Allegati          []xDocumento `xml:"Allegato"`
	}
}

// decoded is what a segnatura says, in the terms of Segnatura's inputs.
type decoded struct {
	Versione, Lang string
	Identificatore xIdentificatore
	Oggetto        string
	Info           protocol.SegnaturaInfo
}

func decode(t testing.TB, doc []byte) decoded {
	t.Helper()
	var x xSegnatura
	if err := xml.Unmarshal(doc, &x); err != nil {
		t.Fatalf("unmarshal: %v\n%s", err, doc)
	}
	d := decoded{
		Versione: x.Versione, Lang: x.Lang,
		Identificatore: x.Intestazione.Identificatore,
		Oggetto:        x.Intestazione.Oggetto,
		Info: protocol.SegnaturaInfo{
			Registro: protocol.Registro{
				CodiceAmministrazione: x.Intestazione.Identificatore.Amministrazione,
				CodiceAOO:             x.Intestazione.Identificatore.AOO,
				CodiceRegistro:        x.Intestazione.Identificatore.Registro,
			},
			Classifica: protocol.Classifica{Codice: x.Intestazione.Classifica.CodiceFlat, Denominazione: x.Intestazione.Classifica.Denominazione},
			Fascicolo:  protocol.Fascicolo{Codice: x.Intestazione.Fascicolo.CodiceFascicolo, Denominazione: x.Intestazione.Fascicolo.Denominazione},
			Mittente:   soggettoOf(x.Descrizione.Mittente),
		},
	}
	for _, s := range x.Descrizione.Destinatari {
		d.Info.Destinatari = append(d.Info.Destinatari, protocol.Destinatario{
			Soggetto: soggettoOf(s), ConfermaRicezione: s.ConfermaRicezione == "true", PerConoscenza: s.PerConoscenza == "true",
		})
	}
	d.Info.DocumentoPrimario = documentoOf(t, x.Descrizione.DocumentoPrimario)
	for _, a := range x.Descrizione.Allegati {
		d.Info.Allegati = append(d.Info.Allegati, documentoOf(t, a))
	}
	return d
}

func soggettoOf(x xSoggetto) protocol.Soggetto {
	switch {
	case x.Amministrazione != nil:
		a := x.Amministrazione
		return protocol.Soggetto{Kind: protocol.Amministrazione, Denominazione: a.Denominazione, CodiceFiscale: a.CF,
			CodiceIPA: a.IPA, CodiceAOO: a.AOO, CodiceUO: a.UO, Email: a.Contatti.Email}
	case x.AmministrazioneEstera != nil:
		a := x.AmministrazioneEstera
		return protocol.Soggetto{Kind: protocol.AmministrazioneEstera, Denominazione: a.Denominazione, Ufficio: a.Ufficio,
			Email: a.Contatti.Email}
	case x.PersonaGiuridica != nil:
		p := x.PersonaGiuridica
		return protocol.Soggetto{Kind: protocol.PersonaGiuridica, Denominazione: p.Denominazione, CodiceFiscale: p.CF,
			Email: p.Contatti.Email}
	case x.PersonaFisica != nil:
		p := x.PersonaFisica
		return protocol.Soggetto{Kind: protocol.PersonaFisica, Nome: p.Nome, Cognome: p.Cognome, CodiceFiscale: p.CF,
			Email: p.Contatti.Email}
	}
	return protocol.Soggetto{}
}

func documentoOf(t testing.TB, x xDocumento) protocol.Documento {
	t.Helper()
	if x.Impronta.Algoritmo != "SHA-256" {
		t.Errorf("%s: algoritmo %q, want SHA-256", x.Nome, x.Impronta.Algoritmo)
	}
	b, err := base64.StdEncoding.DecodeString(x.Impronta.Value)
	if err != nil {
		t.Errorf("%s: impronta: %v", x.Nome, err)
	}
	return protocol.Documento{Nome: x.Nome, MIME: x.MIME, SHA256: hex.EncodeToString(b), Descrizione: x.Descrizione}
}

// expected is what decode should find in the segnatura of e and s.
func expected(e *protocol.Entry, s protocol.SegnaturaInfo) decoded {
	rome, _ := time.LoadLocation("Europe/Rome")
	at := e.RegisteredAt.In(rome)
	if s.DocumentoPrimario.SHA256 == "" {
		s.DocumentoPrimario.SHA256 = e.DocumentSHA256
	}
	return decoded{
		Versione: "3.0.0", Lang: "it",
		Identificatore: xIdentificatore{s.CodiceAmministrazione, s.CodiceAOO, s.CodiceRegistro, e.Number.String(),
			at.Format("2006-01-02"), at.Format("15:04:05-07:00")},
		Oggetto: e.Subject,
		Info:    s,
	}
}
