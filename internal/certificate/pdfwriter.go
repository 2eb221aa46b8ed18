package certificate

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
	"rsc.io/qr/coding"
)

// This file writes the certificate's PDF by hand, object by object: a
// certificate is one or two pages of text in the standard Helvetica, a
// vector QR code and a signature field, and writing it directly takes tens
// of microseconds where a general PDF library spends milliseconds
// subsetting fonts. Knowing each object's number and bytes also lets the
// signature record a digest per object, so that verification can say
// which part of a tampered file changed.

// Page geometry in points: A4, 20 mm margins.
const (
	pageW   = 595.28
	pageH   = 841.89
	margin  = 56.7
	bottomY = 70.0 // the lowest baseline above the footer
)

// Fixed object numbers; pages follow, two objects each (page, content).
const (
	objCatalog = 1
	objPages   = 2
	objFont    = 3
	objBold    = 4
	objField   = 5
	objSig     = 6
	objInfo    = 7
	objFirst   = 8
)

// sigRoom is the room reserved for the CMS signature, in bytes (it is
// written as twice as many hex digits): the signer's certificate, its
// issuer's name once more (the SignerInfo names it), the digest of every
// object, and 1 KiB for the rest — attribute and algorithm identifiers,
// the ECDSA signature, the DER headers — several times what they take.
// Reserving no more than that keeps the file small: every byte of it is
// hashed, stored and sent.
func sigRoom(cert *x509.Certificate, pages int) int {
	objects := objFirst + 2*pages
	return len(cert.Raw) + len(cert.RawIssuer) + 48*objects + 1024
}

// zeros fills /Contents until the signature is written.
var zeros = bytes.Repeat([]byte("0"), 16<<10)

// widths are Helvetica's and Helvetica-Bold's glyph widths (1/1000 em) in
// cp1252, read once from fpdf's copy of the Adobe metrics.
var widths = sync.OnceValue(func() *[2][256]float64 {
	w := new([2][256]float64)
	f := fpdf.New("P", "pt", "A4", "")
	for i, style := range []string{"", "B"} {
		f.SetFont("Helvetica", style, 1000)
		for c := 32; c < 256; c++ {
			w[i][c] = f.GetStringWidth(string([]byte{byte(c)}))
		}
	}
	return w
})

// winAnsi encodes s in cp1252, the encoding of the standard fonts: letters
// it lacks lose their accents (ș → s), anything else becomes "?".
func winAnsi(s string) []byte {
	out := make([]byte, 0, len(s))
	enc := charmap.Windows1252
	for _, r := range s {
		if r < 0x80 {
			if r >= 0x20 {
				out = append(out, byte(r))
			}
			continue
		}
		if b, ok := enc.EncodeRune(r); ok {
			out = append(out, b)
			continue
		}
		base := false
		for _, d := range norm.NFD.String(string(r)) {
			if d < 0x80 && d >= 0x20 {
				out = append(out, byte(d))
				base = true
			} else if b, ok := enc.EncodeRune(d); ok && !unicode.Is(unicode.Mn, d) {
				out = append(out, b)
				base = true
			}
		}
		if !base {
			out = append(out, '?')
		}
	}
	return out
}

// fontWidths returns the glyph widths of the regular or the bold font.
func fontWidths(bold bool) *[256]float64 {
	if bold {
		return &widths()[1]
	}
	return &widths()[0]
}

// textWidth is the width in points of cp1252 text in a font and size.
func textWidth(b []byte, bold bool, size float64) float64 {
	w := fontWidths(bold)
	sum := 0.0
	for _, c := range b {
		sum += w[c]
	}
	return sum * size / 1000
}

// page is one page's content stream being written, top to bottom.
type page struct {
	b bytes.Buffer
	y float64 // the next baseline, from the bottom
}

// doc is the certificate being laid out.
type doc struct {
	pages []*page
}

func newDoc() *doc {
	d := &doc{}
	d.addPage()
	return d
}

func (d *doc) addPage() {
	p := &page{y: pageH - margin}
	p.b.Grow(6 << 10) // a full page of text and the QR code
	d.pages = append(d.pages, p)
}

func (d *doc) cur() *page { return d.pages[len(d.pages)-1] }

// need starts a new page unless h points fit above the footer.
func (d *doc) need(h float64) {
	if d.cur().y-h < bottomY {
		d.addPage()
	}
}

// escape writes a cp1252 string as a PDF literal string.
func escape(w *bytes.Buffer, b []byte) {
	w.WriteByte('(')
	for _, c := range b {
		if c == '(' || c == ')' || c == '\\' {
			w.WriteByte('\\')
		}
		w.WriteByte(c)
	}
	w.WriteByte(')')
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// textAt writes one line at (x, y).
func (p *page) textAt(x, y float64, b []byte, bold bool, size float64) {
	font := "/F1 "
	if bold {
		font = "/F2 "
	}
	p.b.WriteString("BT " + font)
	p.num(size)
	p.b.WriteString(" Tf ")
	p.num(x)
	p.b.WriteByte(' ')
	p.num(y)
	p.b.WriteString(" Td ")
	escape(&p.b, b)
	p.b.WriteString(" Tj ET\n")
}

// line writes text at the left margin (or centred) and moves down.
func (d *doc) line(s string, bold bool, size float64, center bool) {
	b := winAnsi(s)
	lead := size * 1.35
	d.need(lead)
	p := d.cur()
	x := margin
	if center {
		x = (pageW - textWidth(b, bold, size)) / 2
	}
	p.textAt(x, p.y-size, b, bold, size)
	p.y -= lead
}

// para writes wrapped text from x to the right margin.
func (d *doc) para(s string, bold bool, size, indent float64) {
	lead := size * 1.35
	for _, l := range wrap(winAnsi(s), bold, size, pageW-2*margin-indent) {
		d.need(lead)
		p := d.cur()
		p.textAt(margin+indent, p.y-size, l, bold, size)
		p.y -= lead
	}
}

// field writes "label  value" with the label in a fixed column.
func (d *doc) field(label, value string) {
	const size, col = 10.0, 150.0
	lead := size * 1.4
	lines := wrap(winAnsi(value), true, size, pageW-2*margin-col)
	d.need(lead * float64(len(lines)))
	p := d.cur()
	p.b.WriteString("0.36 0.44 0.51 rg\n")
	p.textAt(margin, p.y-size, winAnsi(label), false, size)
	p.b.WriteString("0.1 0.1 0.1 rg\n")
	for _, l := range lines {
		p.textAt(margin+col, p.y-size, l, true, size)
		p.y -= lead
	}
}

// gap moves down.
func (d *doc) gap(h float64) { d.cur().y -= h }

// rule draws a horizontal line across the text width.
func (d *doc) rule(width float64, r, g, b float64) {
	p := d.cur()
	fmt.Fprintf(&p.b, "%s %s %s RG %s w %s %s m %s %s l S\n", num(r), num(g), num(b), num(width),
		num(margin), num(p.y), num(pageW-margin), num(p.y))
}

// table writes rows of cells at the given column offsets, the first row
// in bold as the header.
func (d *doc) table(cols []float64, rows [][]string) {
	const size = 9.5
	lead := size * 1.5
	for i, row := range rows {
		d.need(lead)
		p := d.cur()
		if i == 0 {
			fmt.Fprintf(&p.b, "0.92 0.94 0.96 rg %s %s %s %s re f 0.1 0.1 0.1 rg\n",
				num(margin), num(p.y-lead+2), num(pageW-2*margin), num(lead))
		}
		for j, cell := range row {
			b := winAnsi(cell)
			limit := pageW - margin - (margin + cols[j])
			if j+1 < len(cols) {
				limit = cols[j+1] - cols[j] - 4
			}
			for len(b) > 1 && textWidth(b, i == 0, size) > limit {
				b = b[:len(b)-1]
			}
			p.textAt(margin+cols[j]+2, p.y-size-1, b, i == 0, size)
		}
		p.y -= lead
	}
}

// qr draws a QR code as an inline 1-bit image (a four-module quiet zone
// around it), its top-left corner at (x, y): one image scaled without
// interpolation prints as crisp as rectangles per module, in a fraction
// of the bytes.
func (p *page) qr(code *coding.Code, x, y, side float64) {
	n := code.Size + 8
	row := (n + 7) / 8
	p.b.WriteString("q ")
	p.num(side)
	p.b.WriteString(" 0 0 ")
	p.num(side)
	p.b.WriteByte(' ')
	p.num(x)
	p.b.WriteByte(' ')
	p.num(y - side)
	p.b.WriteString(" cm\nBI /W " + strconv.Itoa(n) + " /H " + strconv.Itoa(n) +
		" /CS /G /BPC 1 /F /AHx /I false\nID\n")
	line, digits := make([]byte, row), make([]byte, 2*row)
	for r := range n {
		qrRow(line, code, r-4, n)
		hex.Encode(digits, line)
		p.b.Write(digits)
		p.b.WriteByte('\n')
	}
	p.b.WriteString(">\nEI Q\n")
}

// qrRow fills line with row y of the code (a quiet-zone row when y is
// outside it), shifted right by the four modules of the quiet zone, in
// DeviceGray's sense (1 is white) and white past n modules. The code's
// bitmap has 1 for dark and zeros past its size, so each output byte is
// the complement of two source nibbles.
func qrRow(line []byte, code *coding.Code, y, n int) {
	var src []byte
	if y >= 0 && y < code.Size {
		src = code.Bitmap[y*code.Stride : (y+1)*code.Stride]
	}
	at := func(k int) byte {
		if k < 0 || k >= len(src) {
			return 0
		}
		return src[k]
	}
	for j := range line {
		line[j] = ^(at(j-1)<<4 | at(j)>>4)
	}
	if pad := len(line)*8 - n; pad > 0 {
		line[len(line)-1] |= byte(1)<<pad - 1
	}
}

// num writes a number with two decimals.
func (p *page) num(f float64) {
	var buf [24]byte
	p.b.Write(strconv.AppendFloat(buf[:0], f, 'f', 2, 64))
}

// wrap breaks cp1252 text into lines no wider than width.
func wrap(b []byte, bold bool, size, width float64) [][]byte {
	var out [][]byte
	w := fontWidths(bold)
	for len(b) > 0 {
		if textWidth(b, bold, size) <= width {
			out = append(out, b)
			break
		}
		// The longest prefix that fits, summing the widths as it grows
		// (in the same order as textWidth, so the two agree exactly).
		cut, lastSpace, sum := 0, -1, 0.0
		for cut < len(b) && (sum+w[b[cut]])*size/1000 <= width {
			sum += w[b[cut]]
			if b[cut] == ' ' {
				lastSpace = cut
			}
			cut++
		}
		if lastSpace > 0 {
			cut = lastSpace
		}
		if cut == 0 {
			cut = 1
		}
		out = append(out, b[:cut])
		b = bytes.TrimLeft(b[cut:], " ")
	}
	return out
}

// pdfDate is a time in the PDF date format.
func pdfDate(t string) string { return "D:" + t + "Z" }

// objectPart names an object of the certificate for a person reading a
// verification report.
func objectPart(n int) string {
	switch n {
	case objCatalog:
		return "catalogo del documento"
	case objPages:
		return "elenco delle pagine"
	case objFont, objBold:
		return "caratteri"
	case objField:
		return "campo della firma"
	case objSig:
		return "firma"
	case objInfo:
		return "metadati e contrassegno"
	}
	if n >= objFirst {
		page := (n-objFirst)/2 + 1
		if (n-objFirst)%2 == 0 {
			return "pagina " + strconv.Itoa(page)
		}
		return "testo della pagina " + strconv.Itoa(page)
	}
	return "oggetto " + strconv.Itoa(n)
}

// infoString writes a PDF text string for the Info dictionary: ASCII as a
// literal, anything else as UTF-16BE with a byte-order mark.
func infoString(w *bytes.Buffer, s string) {
	ascii := true
	for _, r := range s {
		if r >= 0x7f || r < 0x20 {
			ascii = false
			break
		}
	}
	if ascii {
		escape(w, []byte(s))
		return
	}
	w.WriteString("<FEFF")
	for _, r := range s {
		if r > 0xffff {
			r = '?'
		}
		fmt.Fprintf(w, "%04X", r)
	}
	w.WriteString(">")
}

// assembled is a finished, unsigned PDF and where its signature goes.
type assembled struct {
	pdf []byte
	// contents is the offset of the '<' that opens the signature's
	// /Contents hex string; byteRange of the "[...]" placeholder.
	contents, byteRange int
	// sigRoom is the room /Contents has for the CMS, in bytes.
	sigRoom int
	// objects are each object's byte span, for the per-object digests.
	objects map[int][2]int
}

// info is the Info dictionary's content.
type info struct {
	title, author, subject, created string
	payload                         string
}

// assemble writes the objects, the cross-reference table and the
// trailer around the pages' content streams.
func (d *doc) assemble(in info, sigName, sigLocation string, sigRoom int) *assembled {
	var w bytes.Buffer
	w.Grow(8192 + len(d.pages)*(6<<10) + 2*sigRoom)
	a := &assembled{objects: map[int][2]int{}, sigRoom: sigRoom}
	total := objFirst + 2*len(d.pages)
	offsets := make([]int, total)
	obj := func(n int, body func()) {
		offsets[n] = w.Len()
		fmt.Fprintf(&w, "%d 0 obj\n", n)
		body()
		w.WriteString("\nendobj\n")
		a.objects[n] = [2]int{offsets[n], w.Len()}
	}
	w.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj(objCatalog, func() {
		fmt.Fprintf(&w, "<< /Type /Catalog /Pages %d 0 R /Lang (it-IT) /AcroForm << /Fields [%d 0 R] /SigFlags 3 >> >>",
			objPages, objField)
	})
	obj(objPages, func() {
		var kids strings.Builder
		for i := range d.pages {
			fmt.Fprintf(&kids, "%d 0 R ", objFirst+2*i)
		}
		fmt.Fprintf(&w, "<< /Type /Pages /Kids [%s] /Count %d >>", strings.TrimSpace(kids.String()), len(d.pages))
	})
	obj(objFont, func() {
		w.WriteString("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	})
	obj(objBold, func() {
		w.WriteString("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	})
	obj(objField, func() {
		fmt.Fprintf(&w, "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Sigillo) /V %d 0 R /Rect [0 0 0 0] /F 132 /P %d 0 R >>",
			objSig, objFirst)
	})
	obj(objSig, func() {
		w.WriteString("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange ")
		a.byteRange = w.Len()
		w.WriteString("[0 0000000000 0000000000 0000000000]")
		w.WriteString(" /Contents ")
		a.contents = w.Len()
		w.WriteByte('<')
		for n := 2 * sigRoom; n > 0; n -= len(zeros) {
			w.Write(zeros[:min(n, len(zeros))])
		}
		w.WriteByte('>')
		w.WriteString(" /M (" + pdfDate(in.created) + ") /Name ")
		infoString(&w, sigName)
		w.WriteString(" /Location ")
		infoString(&w, sigLocation)
		w.WriteString(" /Reason (Sigillo elettronico del certificato) >>")
	})
	obj(objInfo, func() {
		w.WriteString("<< /Title ")
		infoString(&w, in.title)
		w.WriteString(" /Author ")
		infoString(&w, in.author)
		w.WriteString(" /Subject ")
		infoString(&w, in.subject)
		w.WriteString(" /Producer (Sportello) /CreationDate (" + pdfDate(in.created) + ") /SportelloContrassegno ")
		escape(&w, []byte(in.payload))
		w.WriteString(" >>")
	})
	for i, p := range d.pages {
		obj(objFirst+2*i, func() {
			fmt.Fprintf(&w, "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> /Contents %d 0 R",
				objPages, num(pageW), num(pageH), objFont, objBold, objFirst+2*i+1)
			if i == 0 {
				fmt.Fprintf(&w, " /Annots [%d 0 R]", objField)
			}
			w.WriteString(" >>")
		})
		obj(objFirst+2*i+1, func() {
			fmt.Fprintf(&w, "<< /Length %d >>\nstream\n", p.b.Len())
			w.Write(p.b.Bytes())
			w.WriteString("\nendstream")
		})
	}
	xref := w.Len()
	fmt.Fprintf(&w, "xref\n0 %d\n0000000000 65535 f \n", total)
	for n := 1; n < total; n++ {
		fmt.Fprintf(&w, "%010d 00000 n \n", offsets[n])
	}
	id := sha256.Sum256([]byte(in.payload))
	fmt.Fprintf(&w, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%X> <%X>] >>\nstartxref\n%d\n%%%%EOF\n",
		total, objCatalog, objInfo, id[:16], id[:16], xref)
	a.pdf = w.Bytes()
	return a
}
