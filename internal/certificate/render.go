package certificate

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"strings"
	"time"
	"unicode"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/codfisc"
	"github.com/sportello/sportello/internal/registry"
	"github.com/sportello/sportello/internal/tenant"
)

// Data is everything a certificate prints.
type Data struct {
	Ente      *tenant.Ente
	Kinds     Kinds
	Holder    *registry.Person
	Household *registry.Household // for residence and family types
	Channel   Channel
	Issued    time.Time
	// ValidUntil is zero for unlimited validity.
	ValidUntil calendar.Date
	Stamp      Stamp
	FeeCents   int64
	Code       string
	// VerifyURL is the ente's verification page, "https://…/verifica".
	VerifyURL string
}

// art40 is the sentence every certificate carries (DPR 445/2000 art. 40
// c. 02, as amended by L. 183/2011).
const art40 = "Il presente certificato non può essere prodotto agli organi della pubblica amministrazione " +
	"o ai privati gestori di pubblici servizi (art. 40 DPR 445/2000)."

// rome is where dates are printed.
var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic("certificate: load Europe/Rome (import time/tzdata in main): " + err.Error())
	}
	return loc
}()

// printed is a doc that also hashes every string it prints of the
// certificate's data, the digest the contrassegno carries.
type printed struct {
	*doc
	h hash.Hash
}

func (p *printed) data(parts ...string) {
	for _, s := range parts {
		p.h.Write([]byte(s))
		p.h.Write([]byte{0})
	}
}

// Render lays out the certificate, draws the QR of the sealed payload and
// returns the unsigned PDF; sign finishes it.
func render(d *Data, key *SigningKey) (*assembled, *Payload, error) {
	p := &printed{doc: newDoc(), h: sha256.New()}
	e := d.Ente
	p.line(strings.ToUpper(e.Name), true, 15, true)
	p.line(provinceName(e.Province)+" - Ufficio anagrafe", false, 9.5, true)
	p.gap(6)
	p.rule(1, 0, 0.4, 0.8)
	p.gap(18)
	title := d.Kinds.Title()
	p.para(title, true, 13, 0)
	p.data(title)
	p.gap(8)
	p.para("L'UFFICIALE D'ANAGRAFE, visti gli atti d'ufficio,", false, 10, 0)
	p.line("CERTIFICA", true, 11, true)
	p.gap(4)

	h := d.Holder
	born := placeOf(h.BirthPlace, h.BirthDate)
	p.field("Cognome e nome", h.FullName())
	p.field(agree(h, "Nato", "Nata")+" a", born)
	p.field(agree(h, "Nato", "Nata")+" il", dateIT(h.BirthDate))
	p.field("Codice fiscale", h.FiscalCode)
	p.data(h.FullName(), born, dateIT(h.BirthDate), h.FiscalCode)
	p.gap(6)
	for _, t := range d.Kinds {
		p.section(t, d)
	}

	p.gap(10)
	p.para(stampLine(d), false, 9, 0)
	p.data(stampLine(d))
	if d.FeeCents > 0 {
		p.para("Diritti di segreteria: "+euro(d.FeeCents), false, 9, 0)
	}
	p.para(art40, true, 9, 0)
	p.para(validityLine(d.ValidUntil), false, 9, 0)
	p.data(validityLine(d.ValidUntil))
	p.gap(8)
	when := e.ShortName() + ", " + d.Issued.In(rome).Format("02/01/2006")
	p.line(when, false, 10, false)
	p.data(when)

	// The seal area and the contrassegno, at the foot of the last page.
	payload := &Payload{Istat: e.IstatCode, Code: d.Code, Issued: calendar.DateOf(d.Issued.In(rome)),
		ValidUntil: d.ValidUntil, Kinds: d.Kinds, FiscalCode: h.FiscalCode, KeyID: key.ID}
	copy(payload.DataDigest[:], p.h.Sum(nil))
	sealed, err := payload.Seal(key.Private)
	if err != nil {
		return nil, nil, err
	}
	code, err := encodeQR(d.VerifyURL + "?q=" + sealed)
	if err != nil {
		return nil, nil, fmt.Errorf("certificate: QR: %w", err)
	}
	const qrSide = 112.0
	p.need(qrSide + 60)
	last := p.cur()
	top := bottomY + qrSide + 6
	last.qr(code, margin-8, top, qrSide)
	tx := margin + qrSide + 4
	for i, l := range []struct {
		s    string
		bold bool
	}{
		{"Contrassegno elettronico (art. 23-ter, comma 5, CAD)", true},
		{"Codice di verifica: " + d.Code, true},
		{"Inquadrare il codice QR o digitare il codice su", false},
		{d.VerifyURL, false},
		{"Il file PDF originale reca il sigillo elettronico del " + e.Name + ".", false},
	} {
		last.textAt(tx, top-14-float64(i)*12, winAnsi(l.s), l.bold, 8.5)
	}
	sealX := pageW - margin - 170
	last.textAt(sealX, top+44, winAnsi("L'UFFICIALE D'ANAGRAFE"), true, 9.5)
	last.textAt(sealX, top+31, winAnsi("documento sigillato elettronicamente"), false, 8.5)
	last.textAt(sealX, top+20, winAnsi("(PAdES) dal "+e.Name), false, 8.5)

	for i, pg := range p.pages {
		footer := fmt.Sprintf("%s - certificato %s - pagina %d di %d", e.Name, d.Code, i+1, len(p.pages))
		pg.b.WriteString("0.36 0.44 0.51 rg\n")
		pg.textAt(margin, 40, winAnsi(footer), false, 8)
	}
	in := info{title: strings.ToLower(title[:1]) + strings.ToLower(title[1:]), author: e.Name,
		subject: d.Code, created: d.Issued.UTC().Format("20060102150405"), payload: sealed}
	in.title = "C" + in.title[1:]
	return p.assemble(in, e.Name, e.ShortName(), sigRoom(key.Certificate, len(p.pages))), payload, nil
}

// section prints what one type certifies.
func (p *printed) section(t Type, d *Data) {
	h, hh := d.Holder, d.Household
	say := func(s string) {
		p.para(s, false, 10, 0)
		p.data(s)
		p.gap(4)
	}
	switch t {
	case Residence:
		say("è residente in questo Comune in " + hh.Address.String() + ", " + d.Ente.ShortName() + ".")
	case Alive:
		say("è in vita.")
	case Citizenship:
		say("è in possesso della cittadinanza italiana.")
	case Birth:
		s := agree(h, "è nato", "è nata") + " a " + placeOf(h.BirthPlace, h.BirthDate) + " il " + dateIT(h.BirthDate)
		if h.BirthAct != "" {
			s += " (" + h.BirthAct + ")"
		}
		say(s + ".")
	case CivilStatus:
		s := "è di stato civile: " + h.CivilStatus.Label(h.Sex)
		if h.CivilStatus == registry.Married && !h.MarriageDate.IsZero() {
			s += " con " + h.Spouse + " dal " + dateIT(h.MarriageDate)
		}
		say(s + ".")
	case Marriage:
		say("ha contratto matrimonio con " + h.Spouse + " il " + dateIT(h.MarriageDate) + " a " + h.MarriagePlace + ".")
	case FreeStatus:
		say("è di stato libero (" + h.CivilStatus.Label(h.Sex) + ").")
	case Family, FamilyRelations, FamilyCivilStatus:
		say("che la famiglia anagrafica residente in " + hh.Address.String() + ", " + d.Ente.ShortName() +
			", è così composta:")
		cols := []float64{0, 170, 310}
		head := []string{"Cognome e nome", "Luogo di nascita", "Data di nascita"}
		switch t {
		case FamilyRelations:
			cols, head = append(cols, 380), append(head, "Relazione con l'intestatario")
		case FamilyCivilStatus:
			cols, head = append(cols, 380), append(head, "Stato civile")
		}
		rows := [][]string{head}
		for _, m := range hh.Members {
			row := []string{m.FullName(), placeOf(m.BirthPlace, m.BirthDate), dateIT(m.BirthDate)}
			switch t {
			case FamilyRelations:
				row = append(row, m.Relationship.Label())
			case FamilyCivilStatus:
				row = append(row, m.CivilStatus.Label(m.Sex))
			}
			rows = append(rows, row)
			p.data(row...)
		}
		p.table(cols, rows)
		p.gap(6)
	}
}

// stampLine says how the stamp duty was dealt with.
func stampLine(d *Data) string {
	s := d.Stamp
	switch {
	case s.Exemption == OtherExemption:
		return "Esente dall'imposta di bollo: " + s.ExemptionText + "."
	case s.Exemption != 0:
		return "Esente dall'imposta di bollo ai sensi di: " + s.Exemption.Basis() + "."
	case s.Cents == 0 && d.Kinds.civil():
		return "Esente dall'imposta di bollo: certificato di stato civile (art. 7 L. 405/1990)."
	case s.Cents == 0:
		return "Imposta di bollo non riscossa su questo canale, come stabilito dal Comune."
	case d.Channel == Online:
		return "Imposta di bollo di " + euro(s.Cents) + " assolta in modo virtuale tramite @e.bollo, identificativo " + s.ID + "."
	}
	return "Imposta di bollo di " + euro(s.Cents) + " assolta con contrassegno n. " + s.ID + "."
}

// validityLine states the validity (DPR 445/2000 art. 41).
func validityLine(until calendar.Date) string {
	if until.IsZero() {
		return "Il presente certificato attesta fatti non soggetti a modificazioni e ha validità illimitata (art. 41 DPR 445/2000)."
	}
	return "Il presente certificato ha validità di sei mesi dalla data di rilascio, fino al " + dateIT(until) +
		" (art. 41 DPR 445/2000); oltre tale data resta valido se l'interessato dichiara in calce che i dati non sono variati."
}

func euro(cents int64) string { return fmt.Sprintf("€ %d,%02d", cents/100, cents%100) }

func dateIT(d calendar.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, d.Month, d.Year)
}

func agree(p *registry.Person, m, f string) string {
	if p.Sex == "F" {
		return f
	}
	return m
}

// placeOf names a birth place from its Belfiore code on the birth date:
// "Rovereto (TN)", or the foreign state.
func placeOf(code string, on calendar.Date) string {
	name, prov, ok := codfisc.PlaceName(code, on.In(time.UTC))
	if !ok {
		return code
	}
	if prov == "" || prov == "EE" {
		return titleCase(name)
	}
	return titleCase(name) + " (" + prov + ")"
}

// titleCase turns the archive's "SAN MICHELE ALL'ADIGE" into "San Michele All'Adige".
func titleCase(s string) string {
	out := []rune(strings.ToLower(s))
	up := true
	for i, r := range out {
		if up {
			out[i] = unicode.ToUpper(r)
		}
		up = r == ' ' || r == '\'' || r == '-'
	}
	return string(out)
}

var provinces = map[string]string{"TN": "Provincia autonoma di Trento", "BZ": "Provincia autonoma di Bolzano",
	"VR": "Provincia di Verona", "RM": "Città metropolitana di Roma Capitale", "MI": "Città metropolitana di Milano"}

// provinceName names the ente's province for the heading.
func provinceName(code string) string {
	if n, ok := provinces[code]; ok {
		return n
	}
	return "Provincia (" + code + ")"
}
