// Package pdftest reads back from the PDFs the project writes what tests
// need to check in the very file a citizen downloads: here, the barcodes,
// drawn as vector squares, rasterised again so that a reader can decode
// them.
package pdftest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Rect is a filled rectangle in PDF points, origin at the bottom left.
type Rect struct{ X, Y, W, H float64 }

var (
	contentsRef = regexp.MustCompile(`(?s)/Type /Page\b.*?/Contents (\d+) 0 R`)
	lengthRe    = regexp.MustCompile(`/Length (\d+)`)
)

// PageContents returns the decompressed content stream of every page, in
// page order, for a PDF written by fpdf (one stream a page).
func PageContents(doc []byte) ([][]byte, error) {
	var out [][]byte
	for _, m := range contentsRef.FindAllSubmatch(doc, -1) {
		head := []byte("\n" + string(m[1]) + " 0 obj\n")
		i := bytes.Index(doc, head)
		if i < 0 {
			return nil, fmt.Errorf("pdftest: no object %s", m[1])
		}
		obj := doc[i+len(head):]
		s := bytes.Index(obj, []byte("stream\n"))
		if s < 0 {
			return nil, fmt.Errorf("pdftest: object %s has no stream", m[1])
		}
		lm := lengthRe.FindSubmatch(obj[:s])
		if lm == nil {
			return nil, fmt.Errorf("pdftest: object %s has no length", m[1])
		}
		n, _ := strconv.Atoi(string(lm[1]))
		data := obj[s+len("stream\n"):][:n]
		if bytes.Contains(obj[:s], []byte("/FlateDecode")) {
			r, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("pdftest: page stream: %w", err)
			}
			if data, err = io.ReadAll(r); err != nil {
				return nil, fmt.Errorf("pdftest: page stream: %w", err)
			}
		}
		out = append(out, data)
	}
	return out, nil
}

// BlackRects returns the rectangles a content stream fills in black
// ("x y w h re f" after "0 g" or "0 0 0 rg"): the modules of the barcodes,
// since nothing else on the project's documents is a black filled
// rectangle.
func BlackRects(content []byte) []Rect {
	var (
		out   []Rect
		stack []string
		black bool
		rect  *Rect
	)
	num := func(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }
	for _, tok := range strings.Fields(string(content)) {
		switch tok {
		case "g":
			black = len(stack) >= 1 && num(stack[len(stack)-1]) == 0
		case "rg":
			black = len(stack) >= 3 && num(stack[len(stack)-1]) == 0 && num(stack[len(stack)-2]) == 0 && num(stack[len(stack)-3]) == 0
		case "re":
			if len(stack) >= 4 {
				s := stack[len(stack)-4:]
				rect = &Rect{num(s[0]), num(s[1]), num(s[2]), num(s[3])}
			}
		case "f", "F", "f*":
			if rect != nil && black {
				r := *rect
				if r.H < 0 {
					r.Y, r.H = r.Y+r.H, -r.H
				}
				out = append(out, r)
			}
			rect = nil
		default:
			if _, err := strconv.ParseFloat(tok, 64); err == nil {
				stack = append(stack, tok)
				continue
			}
			if tok != "re" {
				rect = nil
			}
		}
		stack = stack[:0]
	}
	return out
}

// Symbols groups black rectangles that lie within gap points of each
// other into symbols and rasterises each on its module grid, scale pixels
// a module, with a white margin, top to bottom then left to right on the
// page.
func Symbols(rects []Rect, gap, scale float64) []image.Image {
	parent := make([]int, len(rects))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	near := func(a, b Rect) bool {
		return a.X <= b.X+b.W+gap && b.X <= a.X+a.W+gap && a.Y <= b.Y+b.H+gap && b.Y <= a.Y+a.H+gap
	}
	for i := range rects {
		for j := i + 1; j < len(rects); j++ {
			if near(rects[i], rects[j]) {
				parent[find(i)] = find(j)
			}
		}
	}
	groups := map[int][]Rect{}
	for i, r := range rects {
		groups[find(i)] = append(groups[find(i)], r)
	}
	type sym struct {
		minX, maxY float64
		img        image.Image
	}
	var syms []sym
	for _, g := range groups {
		// Every module row is one rectangle high: the smallest height is
		// the module size, and each rectangle is snapped to the module
		// grid, so the bitmap has exact modules whatever the PDF rounded.
		m := g[0].H
		minX, maxY := g[0].X, g[0].Y+g[0].H
		for _, r := range g {
			m = min(m, r.H)
			minX, maxY = min(minX, r.X), max(maxY, r.Y+r.H)
		}
		cell := func(v float64) int { return int(math.Round(v / m)) }
		cols, rows := 0, 0
		for _, r := range g {
			cols = max(cols, cell(r.X+r.W-minX))
			rows = max(rows, cell(maxY-r.Y))
		}
		const quiet = 6
		px := int(scale)
		img := image.NewGray(image.Rect(0, 0, (cols+2*quiet)*px, (rows+2*quiet)*px))
		for i := range img.Pix {
			img.Pix[i] = 0xFF
		}
		for _, r := range g {
			c0, c1 := cell(r.X-minX), cell(r.X+r.W-minX)
			// PDF y grows upwards; the image's downwards.
			r0, r1 := cell(maxY-(r.Y+r.H)), cell(maxY-r.Y)
			for y := (r0 + quiet) * px; y < (r1+quiet)*px; y++ {
				for x := (c0 + quiet) * px; x < (c1+quiet)*px; x++ {
					img.SetGray(x, y, color.Gray{})
				}
			}
		}
		syms = append(syms, sym{minX, maxY, img})
	}
	sort.Slice(syms, func(i, j int) bool {
		if syms[i].maxY != syms[j].maxY {
			return syms[i].maxY > syms[j].maxY
		}
		return syms[i].minX < syms[j].minX
	})
	out := make([]image.Image, len(syms))
	for i, s := range syms {
		out[i] = s.img
	}
	return out
}
