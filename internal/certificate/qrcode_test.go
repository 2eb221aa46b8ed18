package certificate

import (
	"bytes"
	"strings"
	"testing"

	"rsc.io/qr"
)

// TestEncodeQR checks that the cached plans give, module for module, the
// code rsc.io/qr's Encode gives, for each of the three encodings and
// across versions, and that both refuse a text too long for any version.
func TestEncodeQR(t *testing.T) {
	for _, text := range []string{
		"0123456789",
		"HTTPS://ALA.EXAMPLE/VERIFICA",
		"https://ala.example/verifica?q=" + strings.Repeat("AbC-_9", 40),
		strings.Repeat("x", 500),
		strings.Repeat("7", 2000),
		"é",
	} {
		want, err := qr.Encode(text, qr.M)
		if err != nil {
			t.Fatalf("qr.Encode(%.20q): %v", text, err)
		}
		for range 2 { // the second time from the cached plan
			got, err := encodeQR(text)
			if err != nil {
				t.Fatalf("encodeQR(%.20q): %v", text, err)
			}
			if got.Size != want.Size || got.Stride != want.Stride || !bytes.Equal(got.Bitmap, want.Bitmap) {
				t.Fatalf("encodeQR(%.20q): size %d, want %d, or the modules differ", text, got.Size, want.Size)
			}
		}
	}
	long := strings.Repeat("x", 3000)
	if _, err := qr.Encode(long, qr.M); err == nil {
		t.Fatal("qr.Encode took 3000 bytes")
	}
	if _, err := encodeQR(long); err == nil {
		t.Error("encodeQR took 3000 bytes, want an error")
	}
}

// TestQRRow checks the byte-wise rows of the PDF's QR image against the
// definition, module by module: four white modules around the code, 1 for
// white, white padding to the byte.
func TestQRRow(t *testing.T) {
	for _, text := range []string{"1", "https://ala.example/verifica?q=" + strings.Repeat("AbC-_9", 40), strings.Repeat("x", 900)} {
		code, err := encodeQR(text)
		if err != nil {
			t.Fatal(err)
		}
		n := code.Size + 8
		line := make([]byte, (n+7)/8)
		for r := range n {
			qrRow(line, code, r-4, n)
			for c := range len(line) * 8 {
				x, y := c-4, r-4
				dark := c < n && x >= 0 && y >= 0 && x < code.Size && y < code.Size && code.Black(x, y)
				if white := line[c/8]&(0x80>>(c%8)) != 0; white == dark {
					t.Fatalf("%d modules: row %d, column %d: white %v, want %v", code.Size, r, c, white, !dark)
				}
			}
		}
	}
}
