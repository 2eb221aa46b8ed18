package certificate

import (
	"bytes"
	"encoding/hex"
	"image"
	"image/color"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// TestQRImageScans reads the contrassegno's inline image out of a signed
// certificate, as a PDF reader would draw it, and decodes it with an
// independent reader (a port of ZXing): it must give the verification
// address with the sealed payload the file's metadata carries.
func TestQRImageScans(t *testing.T) {
	key, _ := testKey(t)
	pdf := testPDF(t, key)
	m := regexp.MustCompile(`BI /W (\d+) /H (\d+) /CS /G /BPC 1 /F /AHx /I false\nID\n([0-9a-f\n]+)>\nEI`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no inline QR image in the certificate")
	}
	w, _ := strconv.Atoi(string(m[1]))
	h, _ := strconv.Atoi(string(m[2]))
	bits, err := hex.DecodeString(strings.ReplaceAll(string(m[3]), "\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	row := (w + 7) / 8
	if len(bits) != row*h {
		t.Fatalf("%d bytes of image data for %d×%d", len(bits), w, h)
	}
	const scale = 4
	img := image.NewGray(image.Rect(0, 0, w*scale, h*scale))
	for y := range h * scale {
		for x := range w * scale {
			c, r := x/scale, y/scale
			if bits[r*row+c/8]&(0x80>>(c%8)) != 0 {
				img.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the QR code does not scan: %v", err)
	}
	i := bytes.Index(pdf, []byte("/SportelloContrassegno ("))
	if i < 0 {
		t.Fatal("no contrassegno in the metadata")
	}
	payload := pdf[i+len("/SportelloContrassegno ("):]
	payload = payload[:bytes.IndexByte(payload, ')')]
	if want := "https://ala.example/verifica?q=" + string(payload); res.GetText() != want {
		t.Errorf("the QR code says %q, want %q", res.GetText(), want)
	}
}
