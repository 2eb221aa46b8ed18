// Package pdf renders the documents Sportello issues: the receipt of a
// submitted pratica, the outcome letter and the daily protocol register.
//
// Each document is a function from a plain data struct to PDF bytes, with no
// database and no HTTP, so that the caller decides when to render (inside a
// job, on download) and where to keep the result (the blob store).
//
// The output is deterministic: the same data gives the same bytes, because
// the dates in the metadata come from the data and fonts and catalogue are
// written in a fixed order. A receipt can therefore be re-rendered and its
// SHA-256 compared with the one recorded in the protocol register.
//
// The text is set in Titillium Web and Roboto Mono, the fonts of the web
// pages, embedded (subset) in every file: the PDF core fonts only know
// cp1252, which has no ș, ț, ł, č or ő, and names on a legal document must
// print as the registry spells them. See fonts/README.md.
package pdf

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/text/unicode/norm"

	"github.com/sportello/sportello/internal/apperr"
)

var (
	//go:embed fonts/TitilliumWeb-Regular.ttf
	fontRegular []byte
	//go:embed fonts/TitilliumWeb-SemiBold.ttf
	fontSemiBold []byte
	//go:embed fonts/RobotoMono-Regular.ttf
	fontMono []byte
)

// Font families as registered in each document.
const (
	sans = "titillium"
	mono = "robotomono"
)

// Page geometry in millimetres: A4 with margins wide enough to bind or
// punch, and room at the bottom for the footer.
const (
	marginX      = 20.0
	marginTop    = 18.0
	marginBottom = 24.0
	lineH        = 5.0 // body text line height at 10 pt
)

// Greys and the accent of Bootstrap Italia, as RGB.
var (
	colorText   = [3]int{25, 25, 25}
	colorMuted  = [3]int{92, 111, 130}
	colorAccent = [3]int{0, 102, 204}
	colorRule   = [3]int{200, 205, 210}
	colorHeadBg = [3]int{235, 240, 245}
)

// Person names a citizen or an operator on a document, with the codice
// fiscale that identifies them beyond homonyms.
type Person struct {
	Name       string
	FiscalCode string
}

// IsZero reports whether p names nobody, so that optional lines are left out.
func (p Person) IsZero() bool { return p.Name == "" && p.FiscalCode == "" }

// String returns "Name (FISCALCODE)", or the part that is present.
func (p Person) String() string {
	switch {
	case p.Name != "" && p.FiscalCode != "":
		return p.Name + " (" + p.FiscalCode + ")"
	case p.Name != "":
		return p.Name
	}
	return p.FiscalCode
}

// Field is one label → value row of a document's summary; the value may be
// long or span several lines and is wrapped.
type Field struct {
	Label string
	Value string
}

// Letterhead is what heads every document: the ente, optionally a few lines
// under its name (office, address, PEC) and its logo.
type Letterhead struct {
	// Ente is the ente's name as it signs, "Comune di Roccafiorita".
	Ente string
	// Lines are printed under the name in a smaller type.
	Lines []string
	// Logo is a PNG or JPEG image, printed 16 mm high; nil for none.
	Logo []byte
}

// meta is what a document declares about itself in the PDF metadata.
type meta struct {
	title   string
	subject string
	author  string
	created time.Time
	// footer is the short line printed at the foot of every page, left of
	// the page number.
	footer    string
	landscape bool
	// latin10 sets the text in the precomputed ISO 8859-16 fonts, for
	// documents made in bulk (see latin10.go).
	latin10 bool
}

// doc is one document being written; its methods add blocks at the current
// position and break pages where needed.
type doc struct {
	f     *fpdf.Fpdf
	width float64 // usable width between the margins
	// enc encodes cleaned text for the fonts, nil for UTF-8 ones.
	enc func(string) string
}

// text cleans s and encodes it for the document's fonts.
func (d *doc) text(s string) string {
	s = clean(s)
	if d.enc != nil {
		s = d.enc(s)
	}
	return s
}

// rome is the zone in which dates are printed; every ente is in Italy.
func rome() (*time.Location, error) {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return nil, fmt.Errorf("pdf: load Europe/Rome (import time/tzdata in main): %w", err)
	}
	return loc, nil
}

// newDoc starts a document with the fonts, metadata and footer of m.
func newDoc(m meta) *doc {
	orientation := "P"
	if m.landscape {
		orientation = "L"
	}
	f := fpdf.New(orientation, "mm", "A4", "")
	// The alias must be set before the fonts are added. The last page's
	// footer prints its own number, hence the total's digits, in the same
	// font, so the subset always holds the glyphs the alias becomes.
	f.AliasNbPages("{nb}")
	// fpdf rewrites the font bytes it is given while subsetting, so every
	// document gets its own copy: sharing one would make the second
	// render differ from the first.
	if m.latin10 {
		addLatin10Fonts(f)
	} else {
		f.AddUTF8FontFromBytes(sans, "", bytes.Clone(fontRegular))
		f.AddUTF8FontFromBytes(sans, "B", bytes.Clone(fontSemiBold))
		f.AddUTF8FontFromBytes(mono, "", bytes.Clone(fontMono))
	}
	f.SetCatalogSort(true)
	f.SetCreationDate(m.created)
	f.SetModificationDate(m.created)
	f.SetProducer("Sportello", true)
	f.SetCreator("Sportello", true)
	f.SetTitle(clean(m.title), true)
	f.SetSubject(clean(m.subject), true)
	f.SetAuthor(clean(m.author), true)
	f.SetLang("it-IT")
	f.SetMargins(marginX, marginTop, marginX)
	f.SetAutoPageBreak(true, marginBottom)
	f.SetTextColor(colorText[0], colorText[1], colorText[2])
	pageW, _ := f.GetPageSize()
	d := &doc{f: f, width: pageW - 2*marginX}
	if m.latin10 {
		d.enc = toLatin10
	}
	footer := d.text(m.footer)
	f.SetFooterFunc(func() {
		f.SetY(-16)
		f.SetDrawColor(colorRule[0], colorRule[1], colorRule[2])
		f.Line(marginX, f.GetY(), marginX+d.width, f.GetY())
		f.SetY(-14)
		f.SetFont(sans, "", 8)
		f.SetTextColor(colorMuted[0], colorMuted[1], colorMuted[2])
		page := fmt.Sprintf("Pagina %d di {nb}", f.PageNo())
		pageW := f.GetStringWidth(page) + 2
		for _, line := range d.fitLines(footer, d.width-pageW-4, 2) {
			f.CellFormat(d.width-pageW, 4, line, "", 2, "L", false, 0, "")
		}
		f.SetXY(marginX+d.width-pageW, -14)
		f.CellFormat(pageW, 4, page, "", 0, "R", false, 0, "")
		f.SetTextColor(colorText[0], colorText[1], colorText[2])
	})
	f.AddPage()
	return d
}

// fitLines wraps s to width and keeps at most n lines, so that a footer can
// never push the page number off the page.
func (d *doc) fitLines(s string, width float64, n int) []string {
	f := d.f
	if s == "" || f.Err() {
		return nil
	}
	var lines []string
	if d.enc != nil {
		lines = splitBytes(f, s, width)
	} else {
		lines = f.SplitText(s, width)
	}
	if len(lines) > n {
		lines = lines[:n]
		lines[n-1] = strings.TrimRight(lines[n-1], " ") + " …"
	}
	return lines
}

// bytes closes the document and returns it; any error fpdf met on the way
// (an unreadable logo, say) is reported here.
func (d *doc) bytes() ([]byte, error) {
	var b bytes.Buffer
	if err := d.f.Output(&b); err != nil {
		return nil, fmt.Errorf("pdf: %w", err)
	}
	return b.Bytes(), nil
}

// clean makes s printable with the embedded fonts: NFC, so that accents
// are one glyph; no control or format characters (a right-to-left
// override could disguise a file name); tabs as spaces; and a substitute
// for each character the font lacks (see substitute), which also keeps
// fpdf's width tables, indexed by rune, away from the astral planes.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if isClean(s) {
		return s
	}
	s = norm.NFC.String(s)
	set := covered()
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			// dropped
		case set.has(r):
			b.WriteRune(r)
		default:
			b.WriteString(substitute(r, set))
		}
	}
	return b.String()
}

// isClean reports whether clean would return s unchanged, the common case of
// plain Latin text, so that it costs no allocation.
func isClean(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\n' || r >= 0x7F {
			return false
		}
	}
	return true
}

// setFont selects a font and size, sans "" or "B", or mono.
func (d *doc) setFont(family, style string, size float64) {
	d.f.SetFont(family, style, size)
}

// letterhead prints the ente's name, lines and logo at the top of the page.
func (d *doc) letterhead(h Letterhead) {
	f := d.f
	x := marginX
	if len(h.Logo) > 0 {
		opts := fpdf.ImageOptions{ImageType: imageType(h.Logo)}
		f.RegisterImageOptionsReader("logo", opts, bytes.NewReader(h.Logo))
		f.ImageOptions("logo", marginX, marginTop, 0, 16, false, opts, 0, "")
		if info := f.GetImageInfo("logo"); info != nil && info.Height() > 0 {
			x += 16*info.Width()/info.Height() + 4
		}
	}
	f.SetXY(x, marginTop)
	d.setFont(sans, "B", 14)
	f.MultiCell(marginX+d.width-x, 6, clean(h.Ente), "", "L", false)
	d.setFont(sans, "", 9)
	f.SetTextColor(colorMuted[0], colorMuted[1], colorMuted[2])
	for _, l := range h.Lines {
		f.SetX(x)
		f.MultiCell(marginX+d.width-x, 4, clean(l), "", "L", false)
	}
	f.SetTextColor(colorText[0], colorText[1], colorText[2])
	bottom := f.GetY()
	if len(h.Logo) > 0 {
		bottom = max(bottom, marginTop+16)
	}
	f.SetDrawColor(colorAccent[0], colorAccent[1], colorAccent[2])
	f.SetLineWidth(0.6)
	f.Line(marginX, bottom+2, marginX+d.width, bottom+2)
	f.SetLineWidth(0.2)
	f.SetY(bottom + 6)
}

// imageType names the format of a logo for fpdf from its magic bytes, so
// that the caller need not say it.
func imageType(b []byte) string {
	if bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		return "PNG"
	}
	return "JPG"
}

// title prints a document's title.
func (d *doc) title(s string) {
	d.setFont(sans, "B", 17)
	d.f.SetTextColor(colorAccent[0], colorAccent[1], colorAccent[2])
	d.f.MultiCell(0, 8, clean(s), "", "L", false)
	d.f.SetTextColor(colorText[0], colorText[1], colorText[2])
	d.f.Ln(2)
}

// heading prints a section heading, keeping it on the same page as at
// least a few lines of what follows.
func (d *doc) heading(s string) {
	d.ensure(6 + 3*lineH)
	d.f.Ln(3)
	d.setFont(sans, "B", 11.5)
	d.f.MultiCell(0, 6, clean(s), "", "L", false)
	d.f.Ln(1)
}

// paragraph prints wrapped body text; a blank line separates paragraphs.
func (d *doc) paragraph(s string) {
	d.setFont(sans, "", 10)
	d.f.MultiCell(0, lineH, clean(s), "", "L", false)
	d.f.Ln(2)
}

// ensure starts a new page unless h millimetres fit above the footer.
func (d *doc) ensure(h float64) {
	_, pageH := d.f.GetPageSize()
	if d.f.GetY()+h > pageH-marginBottom {
		d.f.AddPage()
	}
}

// room returns how many millimetres are left above the footer.
func (d *doc) room() float64 {
	_, pageH := d.f.GetPageSize()
	return pageH - marginBottom - d.f.GetY()
}

// invalid is the error for data a document cannot be made from: a bug in
// the caller, not the citizen's mistake.
func invalid(doc, format string, args ...any) error {
	return apperr.Errorf(apperr.Invalid, "pdf: %s: %s", doc, fmt.Sprintf(format, args...))
}

// dateTime prints t in Europe/Rome as "26/11/2026 alle 14:03".
func dateTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("02/01/2006") + " alle " + t.In(loc).Format("15:04")
}

// date prints t in Europe/Rome as "26/11/2026".
func date(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("02/01/2006")
}

// size prints a byte count as the web form does, "5 MB", "1,5 MB",
// "320 KB" (binary units, a decimal comma), and small files in bytes.
func size(n int64) string {
	const kb, mb = 1 << 10, 1 << 20
	switch {
	case n < kb:
		return fmt.Sprintf("%d byte", n)
	case n < mb:
		return fmt.Sprintf("%d KB", (n+kb-1)/kb)
	case n%mb == 0:
		return fmt.Sprintf("%d MB", n/mb)
	}
	return strings.Replace(fmt.Sprintf("%.1f MB", float64(n)/mb), ".", ",", 1)
}
