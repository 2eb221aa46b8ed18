package pdf

import (
	"strings"
	"time"
)

// ReceiptData is everything a ricevuta shows. It holds plain values, not
// domain types, so that this package depends on no domain package and the
// caller (the pratica journey) decides what a citizen sees.
type ReceiptData struct {
	Letterhead
	// Service is the title of the service in the catalogue.
	Service string
	// Pratica is the pratica's reference as the citizen's pages show it.
	Pratica string
	// Protocol is the incoming protocol number as displayed, "2026/0000042".
	Protocol string
	// RegisteredAt is when the protocol number was taken; printed in
	// Europe/Rome and used as the PDF's creation date.
	RegisteredAt time.Time
	// FiledBy is who submitted: the citizen, a delegate or a desk operator.
	FiledBy Person
	// FiledAs qualifies FiledBy when they acted for someone else:
	// "delegato", "operatore dello sportello"; empty for the citizen.
	FiledAs string
	// OnBehalfOf is the holder of the pratica when FiledBy acted for them;
	// zero when the citizen filed for themselves.
	OnBehalfOf Person
	// Summary is the riepilogo of the answers, label → value.
	Summary []Field
	// Attachments are the files received, with their SHA-256.
	Attachments []Attachment
	// VerifyURL, if set, is where the ente lets anyone check a receipt.
	VerifyURL string
}

// Attachment is one file of a pratica as the receipt lists it.
type Attachment struct {
	Name string
	Size int64
	// SHA256 is the lowercase hex digest recorded in the protocol register.
	SHA256 string
}

// Receipt renders the ricevuta di presentazione: proof for the citizen of
// what was filed, when, under which protocol number, and — through the
// SHA-256 of each attachment — exactly which files.
func Receipt(r ReceiptData) ([]byte, error) {
	switch {
	case strings.TrimSpace(r.Ente) == "":
		return nil, invalid("receipt", "no ente")
	case strings.TrimSpace(r.Protocol) == "":
		return nil, invalid("receipt", "no protocol number")
	case r.RegisteredAt.IsZero():
		return nil, invalid("receipt", "no registration time")
	}
	loc, err := rome()
	if err != nil {
		return nil, err
	}
	when := r.RegisteredAt.In(loc)
	footer := "Ricevuta del protocollo n. " + r.Protocol + " del " + date(when, loc) + ". "
	if r.VerifyURL != "" {
		footer += "Verifica: " + r.VerifyURL
	} else {
		footer += "Le impronte SHA-256 identificano i file ricevuti."
	}
	d := newDoc(meta{
		title:   "Ricevuta di presentazione n. " + r.Protocol,
		subject: r.Service,
		author:  r.Ente,
		created: when,
		footer:  footer,
	})
	d.letterhead(r.Letterhead)
	d.title("Ricevuta di presentazione")

	rows := []Field{{"Servizio", r.Service}}
	if r.Pratica != "" {
		rows = append(rows, Field{"Pratica", r.Pratica})
	}
	rows = append(rows,
		Field{"Numero di protocollo", r.Protocol},
		Field{"Data e ora", dateTime(when, loc)},
	)
	filer := r.FiledBy.String()
	if r.FiledAs != "" {
		filer += ", " + r.FiledAs
	}
	if filer != "" {
		rows = append(rows, Field{"Presentata da", filer})
	}
	if !r.OnBehalfOf.IsZero() {
		rows = append(rows, Field{"Per conto di", r.OnBehalfOf.String()})
	}
	d.fields(rows)

	if len(r.Summary) > 0 {
		d.heading("Riepilogo della domanda")
		d.fields(r.Summary)
	}

	d.heading("Allegati")
	if len(r.Attachments) == 0 {
		d.paragraph("Nessun allegato.")
	} else {
		cols := []column{
			{title: "Nome del file", weight: 1},
			{title: "Dimensione", width: 20, align: "R"},
			{title: "Impronta SHA-256", width: d.hashWidth(), mono: true},
		}
		rows := make([][]string, len(r.Attachments))
		for i, a := range r.Attachments {
			rows[i] = []string{a.Name, size(a.Size), a.SHA256}
		}
		d.table(cols, rows)
	}

	d.ensure(3 * lineH)
	d.f.Ln(2)
	d.setFont(sans, "", 8.5)
	d.f.SetTextColor(colorMuted[0], colorMuted[1], colorMuted[2])
	note := "La presente ricevuta attesta la presentazione della domanda e la sua registrazione " +
		"nel protocollo dell'ente. L'impronta SHA-256 di ciascun allegato permette di verificare " +
		"che il file conservato dall'ente sia identico a quello presentato."
	if r.VerifyURL != "" {
		note += " Per verificare questa ricevuta: " + r.VerifyURL
	}
	d.f.MultiCell(0, 4, clean(note), "", "L", false)
	return d.bytes()
}
