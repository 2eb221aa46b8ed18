package pdf

import (
	"fmt"
	"image/color"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/datamatrix"
	"github.com/boombuler/barcode/qr"
)

// Quiet zones, in modules, that a reader needs around a symbol: ISO 18004
// asks four for a QR code, ISO 16022 one for a Data Matrix (two here, for
// the printer's sake).
const (
	qrQuiet = 4
	dmQuiet = 2
)

// QRCode encodes text as a QR code with error correction level M, the
// level pagoPA's payment notice prescribes; the version is the smallest
// that holds the text (4, 33×33 modules, for every PAGOPA|002 string).
func QRCode(text string) (barcode.Barcode, error) {
	b, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("pdf: QR code: %w", err)
	}
	return b, nil
}

// DataMatrix encodes text as an ECC 200 Data Matrix, the symbol Poste
// Italiane reads on a bollettino.
func DataMatrix(text string) (barcode.Barcode, error) {
	b, err := datamatrix.Encode(text)
	if err != nil {
		return nil, fmt.Errorf("pdf: Data Matrix: %w", err)
	}
	return b, nil
}

// symbol prints a QR code or Data Matrix of text at (x, y), size mm wide
// including its quiet zone, as vector squares: each row's run of dark
// modules is one filled rectangle, so the symbol is sharp at any printer
// resolution and the file stays deterministic (fpdf orders images of equal
// width at random).
func (d *doc) symbol(kind, text string, x, y, size float64) error {
	var (
		b     barcode.Barcode
		quiet int
		err   error
	)
	switch kind {
	case "qr":
		b, err = QRCode(text)
		quiet = qrQuiet
	case "dm":
		b, err = DataMatrix(text)
		quiet = dmQuiet
	default:
		return fmt.Errorf("pdf: unknown symbol %q", kind)
	}
	if err != nil {
		return err
	}
	r := b.Bounds()
	m := size / float64(max(r.Dx(), r.Dy())+2*quiet)
	x0, y0 := x+float64(quiet)*m, y+float64(quiet)*m
	f := d.f
	f.SetFillColor(0, 0, 0)
	dark := func(px, py int) bool {
		c := color.GrayModel.Convert(b.At(px, py)).(color.Gray)
		return c.Y < 0x80
	}
	for row := 0; row < r.Dy(); row++ {
		for col := 0; col < r.Dx(); {
			if !dark(r.Min.X+col, r.Min.Y+row) {
				col++
				continue
			}
			start := col
			for col < r.Dx() && dark(r.Min.X+col, r.Min.Y+row) {
				col++
			}
			f.Rect(x0+float64(start)*m, y0+float64(row)*m, float64(col-start)*m, m, "F")
		}
	}
	f.SetFillColor(colorHeadBg[0], colorHeadBg[1], colorHeadBg[2])
	return nil
}
