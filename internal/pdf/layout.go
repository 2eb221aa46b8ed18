package pdf

import (
	"strings"
)

// Sizes of the blocks below, in points (fonts) and millimetres (lines).
const (
	labelW     = 50.0 // the label column of a field list
	fieldSize  = 10.0
	labelSize  = 9.0
	cellSize   = 8.5
	monoSize   = 7.0
	cellLineH  = 4.2
	headerSize = 8.0
)

// wrap splits s into the lines that fit width in the current font; every
// "\n" starts a new line and an empty s is one empty line, so that a row
// always has a height.
func (d *doc) wrap(s string, width float64) []string {
	if d.f.Err() {
		return []string{""} // fpdf stops drawing after an error; bytes reports it
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		lines := d.f.SplitText(para, width)
		if len(lines) == 0 {
			lines = []string{""}
		}
		for _, l := range lines {
			out = append(out, strings.TrimRight(l, " "))
		}
	}
	return out
}

// body returns the height of a page's writable area, which a block must not
// exceed to be kept whole.
func (d *doc) body() float64 {
	_, pageH := d.f.GetPageSize()
	return pageH - marginTop - marginBottom
}

// fields prints label → value rows, the label in a narrow column on the
// left. A row that fits on a page is never split; a longer one (a pasted
// text of several pages) continues on the next page line by line.
func (d *doc) fields(rows []Field) {
	f := d.f
	valueW := d.width - labelW
	for _, r := range rows {
		d.setFont(sans, "B", labelSize)
		labels := d.wrap(clean(r.Label), labelW)
		d.setFont(sans, "", fieldSize)
		value := clean(r.Value)
		if strings.TrimSpace(value) == "" {
			value = "—"
		}
		values := d.wrap(value, valueW)
		n := max(len(labels), len(values))
		if h := float64(n) * lineH; h <= d.body() {
			d.ensure(h)
		}
		for i := range n {
			d.ensure(lineH)
			y := f.GetY()
			if i < len(labels) {
				d.setFont(sans, "B", labelSize)
				f.SetTextColor(colorMuted[0], colorMuted[1], colorMuted[2])
				f.SetXY(marginX, y)
				f.CellFormat(labelW, lineH, labels[i], "", 0, "L", false, 0, "")
				f.SetTextColor(colorText[0], colorText[1], colorText[2])
			}
			d.setFont(sans, "", fieldSize)
			f.SetXY(marginX+labelW, y)
			line := ""
			if i < len(values) {
				line = values[i]
			}
			f.CellFormat(valueW, lineH, line, "", 1, "L", false, 0, "")
		}
		f.Ln(1.5)
	}
}

// column describes one column of a table.
type column struct {
	title string
	// width is in millimetres; 0 shares what the fixed columns leave,
	// in proportion to weight.
	width  float64
	weight float64
	mono   bool
	align  string // "L" or "R"; "" is "L"
}

// hashWidth is the width a full SHA-256 takes in the table's monospace
// type, so that it is never wrapped: a hash split over two lines is
// copied wrong.
func (d *doc) hashWidth() float64 {
	d.setFont(mono, "", monoSize)
	return d.f.GetStringWidth(strings.Repeat("0", 64)) + 2*d.f.GetCellMargin() + 0.5
}

// table prints rows under a header that is repeated on every page the table
// spans. Rows are kept whole when they fit on a page.
func (d *doc) table(cols []column, rows [][]string) {
	f := d.f
	widths := d.widths(cols)
	d.tableHeader(cols, widths)
	for _, row := range rows {
		cells := make([][]string, len(cols))
		n := 1
		for i, c := range cols {
			d.cellFont(c)
			text := ""
			if i < len(row) {
				text = clean(row[i])
			}
			cells[i] = d.wrap(text, widths[i])
			n = max(n, len(cells[i]))
		}
		h := float64(n)*cellLineH + 1.5
		if h <= d.body()-10 && d.room() < h {
			f.AddPage()
			d.tableHeader(cols, widths)
		}
		f.SetY(f.GetY() + 0.75)
		for line := range n {
			if d.room() < cellLineH {
				f.AddPage()
				d.tableHeader(cols, widths)
			}
			x, y := marginX, f.GetY()
			for i, c := range cols {
				d.cellFont(c)
				text := ""
				if line < len(cells[i]) {
					text = cells[i][line]
				}
				f.SetXY(x, y)
				align := c.align
				if align == "" {
					align = "L"
				}
				f.CellFormat(widths[i], cellLineH, text, "", 0, align, false, 0, "")
				x += widths[i]
			}
			f.SetXY(marginX, y+cellLineH)
		}
		f.SetY(f.GetY() + 0.75)
		f.SetDrawColor(colorRule[0], colorRule[1], colorRule[2])
		f.Line(marginX, f.GetY(), marginX+d.width, f.GetY())
	}
	f.Ln(2)
}

// widths resolves the columns' widths to millimetres.
func (d *doc) widths(cols []column) []float64 {
	out := make([]float64, len(cols))
	fixed, weights := 0.0, 0.0
	for i, c := range cols {
		out[i] = c.width
		fixed += c.width
		if c.width == 0 {
			weights += max(c.weight, 1)
		}
	}
	rest := max(d.width-fixed, 0)
	for i, c := range cols {
		if c.width == 0 {
			out[i] = rest * max(c.weight, 1) / weights
		}
	}
	return out
}

// cellFont selects the type of a column's cells.
func (d *doc) cellFont(c column) {
	if c.mono {
		d.setFont(mono, "", monoSize)
		return
	}
	d.setFont(sans, "", cellSize)
}

// tableHeader prints the shaded row of column titles.
func (d *doc) tableHeader(cols []column, widths []float64) {
	f := d.f
	d.setFont(sans, "B", headerSize)
	titles := make([][]string, len(cols))
	n := 1
	for i, c := range cols {
		titles[i] = d.wrap(clean(c.title), widths[i])
		n = max(n, len(titles[i]))
	}
	h := float64(n)*cellLineH + 1.5
	d.ensure(h + cellLineH + 1.5)
	f.SetFillColor(colorHeadBg[0], colorHeadBg[1], colorHeadBg[2])
	x, y := marginX, f.GetY()
	f.Rect(marginX, y, d.width, h, "F")
	for i, c := range cols {
		for line, t := range titles[i] {
			f.SetXY(x, y+0.75+float64(line)*cellLineH)
			align := c.align
			if align == "" {
				align = "L"
			}
			f.CellFormat(widths[i], cellLineH, t, "", 0, align, false, 0, "")
		}
		x += widths[i]
	}
	f.SetXY(marginX, y+h)
}
