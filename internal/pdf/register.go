package pdf

import (
	"strconv"
	"strings"
	"time"
)

// RegisterData is one day of the protocol register, as the daily job reads
// it; plain values, as in ReceiptData.
type RegisterData struct {
	// Ente is the ente's name; AOO and Register are the codes of its area
	// organizzativa omogenea and of the register.
	Ente     string
	AOO      string
	Register string
	// Day is the calendar day in Europe/Rome the register covers.
	Day time.Time
	// GeneratedAt is when the job produced the register; printed and used
	// as the PDF's creation date.
	GeneratedAt time.Time
	// Entries are the day's registrations in number order.
	Entries []RegisterEntry
	// ChainHead is the hash of the day's last entry (the previous head on a
	// day without entries): printed at the end, it seals the day.
	ChainHead string
}

// RegisterEntry is one line of the daily register.
type RegisterEntry struct {
	// Number is the protocol number as displayed, "2026/0000042".
	Number       string
	RegisteredAt time.Time
	// Direction is "in" or "out".
	Direction     string
	Subject       string
	Correspondent string
	// DocumentSHA256 is the document's lowercase hex digest; empty when the
	// entry has no document of its own.
	DocumentSHA256 string
	// AnnulledBy is the number of the entry that annulled this one; Annuls,
	// the number of the entry this one annuls. Empty when none.
	AnnulledBy string
	Annuls     string
}

// DailyRegister renders the registro giornaliero di protocollo (DPCM 3
// dicembre 2013, art. 7 c. 5): every registration of the day, sealed by the
// head of the hash chain, for transmission to conservation.
func DailyRegister(r RegisterData) ([]byte, error) {
	switch {
	case strings.TrimSpace(r.Ente) == "":
		return nil, invalid("daily register", "no ente")
	case r.Day.IsZero():
		return nil, invalid("daily register", "no day")
	case r.GeneratedAt.IsZero():
		return nil, invalid("daily register", "no generation time")
	}
	loc, err := rome()
	if err != nil {
		return nil, err
	}
	day := date(r.Day, loc)
	d := newDoc(meta{
		title:     "Registro giornaliero di protocollo del " + day,
		subject:   "Registro " + r.Register + " – AOO " + r.AOO,
		author:    r.Ente,
		created:   r.GeneratedAt.In(loc),
		footer:    "Registro giornaliero di protocollo del " + day + " – " + r.Ente,
		landscape: true,
	})
	d.letterhead(Letterhead{Ente: r.Ente})
	d.title("Registro giornaliero di protocollo")

	head := []Field{{"Giorno", day}}
	if r.AOO != "" {
		head = append(head, Field{"Codice AOO", r.AOO})
	}
	if r.Register != "" {
		head = append(head, Field{"Codice registro", r.Register})
	}
	count := strconv.Itoa(len(r.Entries))
	if n := len(r.Entries); n > 0 {
		count += " (dal n. " + r.Entries[0].Number + " al n. " + r.Entries[n-1].Number + ")"
	}
	head = append(head,
		Field{"Registrazioni", count},
		Field{"Legenda", "E = in entrata, U = in uscita"},
		Field{"Prodotto il", dateTime(r.GeneratedAt, loc)},
	)
	d.fields(head)
	d.f.Ln(2)

	if len(r.Entries) == 0 {
		d.paragraph("Nessuna registrazione in questa giornata.")
	} else {
		cols := []column{
			{title: "Numero", width: 24},
			{title: "Ora", width: 14},
			{title: "E/U", width: 13},
			{title: "Oggetto", weight: 3},
			{title: "Mittente o destinatario", weight: 2},
			{title: "Impronta SHA-256 del documento", width: d.hashWidth(), mono: true},
			{title: "Annullamento", width: 30},
		}
		rows := make([][]string, len(r.Entries))
		for i, e := range r.Entries {
			rows[i] = []string{
				e.Number,
				e.RegisteredAt.In(loc).Format("15:04:05"),
				direction(e.Direction),
				e.Subject,
				e.Correspondent,
				e.DocumentSHA256,
				annulment(e),
			}
		}
		d.table(cols, rows)
	}

	d.heading("Impronta della catena")
	d.setFont(sans, "", 9)
	d.f.MultiCell(0, 4.5, "Impronta SHA-256 dell'ultima registrazione, che attesta l'integrità di tutte le precedenti:", "", "L", false)
	d.setFont(mono, "", 9)
	head0 := r.ChainHead
	if head0 == "" {
		head0 = "—"
	}
	d.f.MultiCell(0, 5, clean(head0), "", "L", false)
	return d.bytes()
}

// direction prints "in" and "out" as the register's Entrata and Uscita.
func direction(s string) string {
	switch s {
	case "in":
		return "E"
	case "out":
		return "U"
	}
	return s
}

// annulment says in one cell whether an entry was annulled or annuls one.
func annulment(e RegisterEntry) string {
	var parts []string
	if e.AnnulledBy != "" {
		parts = append(parts, "annullata da "+e.AnnulledBy)
	}
	if e.Annuls != "" {
		parts = append(parts, "annulla "+e.Annuls)
	}
	return strings.Join(parts, "\n")
}
