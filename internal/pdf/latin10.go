package pdf

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/text/unicode/norm"
)

// Documents printed in bulk (payment notices for a whole school year) use
// the same fonts in the ISO 8859-16 encoding (Latin-10: Italian, French,
// German, Romanian ș ț, Polish ł, Croatian and Slovenian č š ž đ, Hungarian
// ő ű), with cp1252's dashes, quotes and ellipsis in its unused C1 range
// (fonts/latin10/latin10.map): fpdf then embeds each font whole from a precomputed definition
// instead of parsing and subsetting it for every document, which is most of
// the cost of a small PDF. The definitions are made by
// fonts/latin10/gen.go. A letter outside Latin-10 prints without its
// accents (Czech ř as r).

//go:embed fonts/latin10/*.json fonts/latin10/*.z fonts/latin10/latin10.map
var latin10Files embed.FS

// latin10Font is one precomputed font definition.
type latin10Font struct{ def, z []byte }

// latin10 holds the three fonts and the Unicode → Latin-10 table.
type latin10Set struct {
	regular, semibold, mono latin10Font
	table                   map[rune]byte
}

var latin10 = sync.OnceValue(func() *latin10Set {
	read := func(name string) latin10Font {
		def, err := latin10Files.ReadFile("fonts/latin10/" + name + ".json")
		if err != nil {
			panic("pdf: embedded font: " + err.Error()) // part of the binary: a bug
		}
		z, err := latin10Files.ReadFile("fonts/latin10/" + name + ".z")
		if err != nil {
			panic("pdf: embedded font: " + err.Error())
		}
		return latin10Font{def, z}
	}
	s := &latin10Set{
		regular:  read("TitilliumWeb-Regular"),
		semibold: read("TitilliumWeb-SemiBold"),
		mono:     read("RobotoMono-Regular"),
		table:    map[rune]byte{},
	}
	m, err := latin10Files.ReadFile("fonts/latin10/latin10.map")
	if err != nil {
		panic("pdf: embedded encoding: " + err.Error())
	}
	sc := bufio.NewScanner(bytes.NewReader(m))
	for sc.Scan() {
		var code, uni uint32
		var name string
		if _, err := fmt.Sscanf(strings.TrimSpace(sc.Text()), "!%2X U+%4X %s", &code, &uni, &name); err == nil && name != ".notdef" {
			s.table[rune(uni)] = byte(code)
		}
	}
	return s
})

// addLatin10Fonts registers the Latin-10 fonts under the usual families.
func addLatin10Fonts(f *fpdf.Fpdf) {
	s := latin10()
	f.AddFontFromBytes(sans, "", s.regular.def, s.regular.z)
	f.AddFontFromBytes(sans, "B", s.semibold.def, s.semibold.z)
	f.AddFontFromBytes(mono, "", s.mono.def, s.mono.z)
}

// toLatin10 encodes cleaned text in ISO 8859-16, one byte a character;
// a character outside it loses its accents, or becomes "?".
func toLatin10(s string) string {
	t := latin10().table
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if c, ok := t[r]; ok {
			b = append(b, c)
			continue
		}
		if sub, ok := punctuation[r]; ok {
			b = append(b, sub...)
			continue
		}
		folded := false
		for _, d := range norm.NFD.String(string(r)) {
			if c, ok := t[d]; ok && !unicode.Is(unicode.Mn, d) {
				b = append(b, c)
				folded = true
			}
		}
		if !folded {
			b = append(b, '?')
		}
	}
	return string(b)
}

// punctuation are marks the table lacks, with their plain forms.
var punctuation = map[rune]string{'\u2212': "-", '\u2010': "-", '\u2011': "-", '\u202F': " ", '\u2009': " "}

// splitBytes wraps single-byte text to width at spaces (fpdf's SplitText
// reads its input as UTF-8 and cannot be given Latin-10 bytes).
func splitBytes(f *fpdf.Fpdf, s string, width float64) []string {
	max := width - 2*f.GetCellMargin()
	var lines []string
	line := ""
	for _, w := range strings.Split(s, " ") {
		next := w
		if line != "" {
			next = line + " " + w
		}
		if f.GetStringWidth(next) <= max || line == "" {
			line = next
			continue
		}
		lines = append(lines, line)
		line = w
	}
	return append(lines, line)
}
