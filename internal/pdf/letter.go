package pdf

import (
	"strings"
	"time"
)

// The outcomes an OutcomeLetter states; other values are printed as given,
// so that an office can use a wording of its own ("accoglimento parziale").
const (
	OutcomeAccepted = "accoglimento"
	OutcomeRejected = "rigetto"
)

// defaultRemedies is the notice of appeal printed on a rejection when the
// caller gives none: L. 241/1990 art. 3 c. 4 requires a decision to state
// the term and the authority to appeal to.
var defaultRemedies = []string{
	"Avverso il presente provvedimento è possibile presentare ricorso al Tribunale " +
		"Amministrativo Regionale competente entro 60 giorni dalla notifica, oppure ricorso " +
		"straordinario al Presidente della Repubblica entro 120 giorni.",
}

// LetterData is everything an outcome letter shows; plain values, as in
// ReceiptData.
type LetterData struct {
	Letterhead
	// Protocol is the number of the outgoing protocol entry that
	// registers this letter, "2026/0000057".
	Protocol string
	// Date is the letter's date, normally the outgoing registration time;
	// also the PDF's creation date.
	Date time.Time
	// Recipient is the holder of the pratica; Address, optional lines
	// under their name.
	Recipient Person
	Address   []string
	// Service, Pratica, RequestProtocol and RequestDate refer to the
	// request being decided (its incoming protocol entry).
	Service         string
	Pratica         string
	RequestProtocol string
	RequestDate     time.Time
	// Outcome is OutcomeAccepted, OutcomeRejected or an office's own word.
	Outcome string
	// Motivation is the reasoning, one string per paragraph.
	Motivation []string
	// Remedies are the paragraphs on how to appeal; empty on a rejection
	// means the usual TAR / Presidente della Repubblica notice.
	Remedies []string
	// Signer and SignerRole close the letter: "Maria Bianchi",
	// "Responsabile del procedimento".
	Signer     string
	SignerRole string
}

// OutcomeLetter renders the letter that tells the citizen how their request
// was decided and why; it is registered as an outgoing protocol entry.
func OutcomeLetter(l LetterData) ([]byte, error) {
	switch {
	case strings.TrimSpace(l.Ente) == "":
		return nil, invalid("outcome letter", "no ente")
	case strings.TrimSpace(l.Protocol) == "":
		return nil, invalid("outcome letter", "no protocol number")
	case l.Date.IsZero():
		return nil, invalid("outcome letter", "no date")
	case strings.TrimSpace(l.Outcome) == "":
		return nil, invalid("outcome letter", "no outcome")
	case len(l.Motivation) == 0:
		return nil, invalid("outcome letter", "no motivation")
	}
	loc, err := rome()
	if err != nil {
		return nil, err
	}
	when := l.Date.In(loc)
	subject := "Esito dell'istanza"
	if l.Service != "" {
		subject += " «" + l.Service + "»"
	}
	d := newDoc(meta{
		title:   "Comunicazione di " + l.Outcome + " – prot. n. " + l.Protocol,
		subject: subject,
		author:  l.Ente,
		created: when,
		footer:  "Protocollo n. " + l.Protocol + " del " + date(when, loc) + ".",
	})
	d.letterhead(l.Letterhead)
	f := d.f

	d.setFont(sans, "", 10)
	f.CellFormat(0, lineH, clean("Prot. n. "+l.Protocol+" del "+date(when, loc)), "", 1, "L", false, 0, "")
	f.Ln(4)

	// The recipient block sits in the right half, where a window envelope
	// shows it.
	half := marginX + d.width/2
	lines := []string{}
	if l.Recipient.Name != "" {
		lines = append(lines, "Gentile "+l.Recipient.Name)
	}
	if l.Recipient.FiscalCode != "" {
		lines = append(lines, "C.F. "+l.Recipient.FiscalCode)
	}
	lines = append(lines, l.Address...)
	for _, line := range lines {
		f.SetX(half)
		f.MultiCell(d.width/2, lineH, clean(line), "", "L", false)
	}
	f.Ln(6)

	object := subject
	if l.Pratica != "" {
		object += ", pratica " + l.Pratica
	}
	if l.RequestProtocol != "" {
		object += ", protocollo n. " + l.RequestProtocol
		if !l.RequestDate.IsZero() {
			object += " del " + date(l.RequestDate, loc)
		}
	}
	object += ": comunicazione di " + l.Outcome + "."
	d.fields([]Field{{"Oggetto", object}})
	f.Ln(3)

	d.paragraph(opening(l.Outcome))
	for _, p := range l.Motivation {
		d.paragraph(p)
	}
	remedies := l.Remedies
	if len(remedies) == 0 && l.Outcome == OutcomeRejected {
		remedies = defaultRemedies
	}
	for _, p := range remedies {
		d.paragraph(p)
	}

	// Signature block, kept whole on the right.
	d.ensure(4 * lineH)
	f.Ln(6)
	for _, s := range []struct {
		text  string
		style string
	}{{l.SignerRole, ""}, {l.Signer, "B"}} {
		if s.text == "" {
			continue
		}
		d.setFont(sans, s.style, 10)
		f.SetX(half)
		f.MultiCell(d.width/2, lineH, clean(s.text), "", "C", false)
	}
	return d.bytes()
}

// opening is the first paragraph, which states the decision in words a
// citizen reads first.
func opening(outcome string) string {
	switch outcome {
	case OutcomeAccepted:
		return "Con riferimento all'istanza in oggetto, si comunica che la stessa è stata accolta, per le seguenti motivazioni."
	case OutcomeRejected:
		return "Con riferimento all'istanza in oggetto, si comunica che la stessa non è stata accolta, per le seguenti motivazioni."
	}
	return "Con riferimento all'istanza in oggetto, si comunica l'esito del procedimento (" + outcome + "), per le seguenti motivazioni."
}
