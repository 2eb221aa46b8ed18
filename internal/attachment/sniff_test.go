package attachment_test

import (
	"bytes"
	"testing"

	"github.com/sportello/sportello/internal/attachment"
)

func TestSniff(t *testing.T) {
	der := derP7M(t, pdfBytes)
	tests := []struct {
		name string
		head []byte
		want string
	}{
		{"pdf", pdfBytes, attachment.PDF},
		{"jpeg", jpegBytes, attachment.JPEG},
		{"png", pngBytes, attachment.PNG},
		{"tiff little endian", []byte("II*\x00\x08\x00\x00\x00"), attachment.TIFF},
		{"tiff big endian", []byte("MM\x00*\x00\x00\x00\x08"), attachment.TIFF},
		{"der p7m", der, attachment.P7M},
		{"der p7m cut short", der[:40], attachment.P7M},
		{"ber p7m", berP7M(pdfBytes, 5), attachment.P7M},
		{"base64 p7m", base64P7M(der), attachment.P7M},
		{"base64 p7m without armour", bytes.TrimPrefix(base64P7M(der), []byte("-----BEGIN PKCS7-----\n")), attachment.P7M},
		{"detached signature", derP7M(t, nil), attachment.P7M},
		{"zip", zipBomb(t), "application/zip"},
		{"exe", exeBytes, "application/x-msdownload"},
		{"elf", []byte("\x7FELF\x02\x01\x01"), "application/x-executable"},
		{"html", []byte("<html><script>alert(1)</script>"), "text/html"},
		{"svg", []byte("<svg onload=alert(1)>"), "image/svg+xml"},
		{"webp", []byte("RIFF\x00\x00\x00\x00WEBPVP8 "), "image/webp"},
		{"other DER", []byte{0x30, 0x03, 0x02, 0x01, 0x01}, attachment.Unknown},
		{"text starting like base64", []byte("MILANO, 12 marzo"), attachment.Unknown},
		{"pdf magic not at the start", append([]byte("junk"), pdfBytes...), attachment.Unknown},
		{"empty", nil, attachment.Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := attachment.Sniff(tc.head); got != tc.want {
				t.Errorf("Sniff = %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzSniff feeds arbitrary bytes, and arbitrary bytes inside p7m
// envelopes, to Sniff: it must never panic and must name the accepted
// types only when their magic bytes are there.
func FuzzSniff(f *testing.F) {
	for _, seed := range [][]byte{
		pdfBytes, jpegBytes, pngBytes, exeBytes, nil,
		derP7M(f, pdfBytes), derP7M(f, derP7M(f, pngBytes)), derP7M(f, nil),
		berP7M(pdfBytes, 3), base64P7M(derP7M(f, pdfBytes)),
		{0x30, 0x80}, {0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF}, {0x30, 0x80, 0x06, 0x09},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := attachment.Sniff(b)
		magic := map[string][]string{
			attachment.PDF:  {"%PDF-"},
			attachment.JPEG: {"\xFF\xD8\xFF"},
			attachment.PNG:  {"\x89PNG\r\n\x1A\n"},
			attachment.TIFF: {"II*\x00", "MM\x00*"},
		}
		if prefixes, ok := magic[got]; ok {
			found := false
			for _, p := range prefixes {
				found = found || bytes.HasPrefix(b, []byte(p))
			}
			if !found {
				t.Fatalf("Sniff(%q) = %s without its magic bytes", b, got)
			}
		}
		// The same bytes signed must be recognised as a p7m and opened.
		attachment.Sniff(berP7M(b, 1+len(b)%7))
		if len(b) < 1000 {
			if got := attachment.Sniff(berP7M(b, 200)); got != attachment.P7M {
				t.Fatalf("Sniff(p7m of %q) = %s", b, got)
			}
		}
	})
}
