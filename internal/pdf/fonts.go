package pdf

import (
	"encoding/binary"
	"errors"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// runeSet is a set of runes of the Basic Multilingual Plane, one bit each.
type runeSet [0x10000 / 64]uint64

func (s *runeSet) add(r rune)      { s[r/64] |= 1 << (r % 64) }
func (s *runeSet) has(r rune) bool { return r >= 0 && r < 0x10000 && s[r/64]&(1<<(r%64)) != 0 }
func (s *runeSet) hasAll(str string) bool {
	for _, r := range str {
		if !s.has(r) {
			return false
		}
	}
	return true
}

// covered is the set of characters the body font has glyphs for. fpdf
// prints nothing for a character its font lacks, so a letter would vanish
// from a name without trace; clean replaces such characters instead.
var covered = sync.OnceValue(func() *runeSet {
	s, err := cmapCoverage(fontRegular)
	if err != nil {
		panic("pdf: embedded font: " + err.Error()) // the font is part of the binary: a bug
	}
	return s
})

// cmapCoverage reads the Unicode BMP cmap (platform 3, encoding 1, format 4)
// of a TrueType font and returns the characters it maps to a glyph.
func cmapCoverage(font []byte) (*runeSet, error) {
	be := binary.BigEndian
	bad := errors.New("malformed TrueType font")
	if len(font) < 12 {
		return nil, bad
	}
	var cmap []byte
	for i, n := 0, int(be.Uint16(font[4:])); i < n; i++ {
		rec := 12 + 16*i
		if rec+16 > len(font) {
			return nil, bad
		}
		if string(font[rec:rec+4]) == "cmap" {
			off, size := int(be.Uint32(font[rec+8:])), int(be.Uint32(font[rec+12:]))
			if off < 0 || size < 0 || off+size > len(font) {
				return nil, bad
			}
			cmap = font[off : off+size]
		}
	}
	if len(cmap) < 4 {
		return nil, errors.New("no cmap table")
	}
	var sub []byte
	for i, n := 0, int(be.Uint16(cmap[2:])); i < n; i++ {
		rec := 4 + 8*i
		if rec+8 > len(cmap) {
			return nil, bad
		}
		if be.Uint16(cmap[rec:]) == 3 && be.Uint16(cmap[rec+2:]) == 1 {
			off := int(be.Uint32(cmap[rec+4:]))
			if off+14 > len(cmap) {
				return nil, bad
			}
			sub = cmap[off:]
		}
	}
	if sub == nil || be.Uint16(sub) != 4 {
		return nil, errors.New("no Unicode BMP cmap of format 4")
	}
	segs := int(be.Uint16(sub[6:])) / 2
	ends, starts, deltas, ranges := 14, 16+2*segs, 16+4*segs, 16+6*segs
	if ranges+2*segs > len(sub) {
		return nil, bad
	}
	set := new(runeSet)
	for i := range segs {
		end, start := int(be.Uint16(sub[ends+2*i:])), int(be.Uint16(sub[starts+2*i:]))
		delta, rangeOff := int(be.Uint16(sub[deltas+2*i:])), int(be.Uint16(sub[ranges+2*i:]))
		for c := start; c <= end && c < 0xFFFF; c++ {
			g := (c + delta) & 0xFFFF
			if rangeOff != 0 {
				at := ranges + 2*i + rangeOff + 2*(c-start)
				if at+2 > len(sub) {
					return nil, bad
				}
				if g = int(be.Uint16(sub[at:])); g != 0 {
					g = (g + delta) & 0xFFFF
				}
			}
			if g != 0 {
				set.add(rune(c))
			}
		}
	}
	return set, nil
}

// substitute returns what to print for a character the font lacks: the
// nearest letter it has (ễ → ê → e, by dropping accents one at a time), a
// plain space for a space, or "?" so the reader sees that something was
// there.
func substitute(r rune, set *runeSet) string {
	if unicode.IsSpace(r) {
		return " "
	}
	d := []rune(norm.NFD.String(string(r)))
	for n := len(d) - 1; n >= 1; n-- {
		if s := norm.NFC.String(string(d[:n])); set.hasAll(s) {
			return s
		}
	}
	return "?"
}
