package attachment_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/sportello/sportello/internal/attachment"
)

func TestSanitizeName(t *testing.T) {
	long := strings.Repeat("è", 100) + ".pdf" // 200 bytes of stem
	tests := []struct{ in, want string }{
		{"domanda.pdf", "domanda.pdf"},
		{"Carta d'identità.jpg", "Carta d'identità.jpg"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\mario\Desktop\domanda.pdf`, "domanda.pdf"},
		{`..\..\boot.ini`, "boot.ini"},
		{"/", "allegato"},
		{"", "allegato"},
		{".pdf", "allegato.pdf"},
		{"..pdf", "allegato.pdf"},
		{".htaccess", "allegato.htaccess"},
		{"...", "allegato"},
		{"documento.", "documento"},
		{"documento.pdf.  ", "documento.pdf"},
		{"  spazi   in   mezzo  .pdf", "spazi in mezzo.pdf"},
		{"riga\nnuova.pdf", "riga nuova.pdf"},
		{"tab\there.pdf", "tab here.pdf"},
		{"nul\x00byte.pdf", "nulbyte.pdf"},
		{"fattura\u202Efdp.exe", "fatturafdp.exe"},
		{"zero\u200Bwidth.pdf", "zerowidth.pdf"},
		{"bom\uFEFF.pdf", "bom.pdf"},
		{`a<b>c:d"e|f?g*h.pdf`, "a_b_c_d_e_f_g_h.pdf"},
		{"CON.pdf", "_CON.pdf"},
		{"con", "_con"},
		{"lpt1.tar.gz", "_lpt1.tar.gz"},
		{"Console.pdf", "Console.pdf"},
		{"cafe\u0301.pdf", "café.pdf"},
		{"bad\xffutf8.pdf", "bad_utf8.pdf"},
		{long, strings.Repeat("è", 73) + ".pdf"},
		{"a." + strings.Repeat("x", 200), "a." + strings.Repeat("x", 148)},
	}
	for _, tc := range tests {
		if got := attachment.SanitizeName(tc.in); got != tc.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzSanitizeName checks the promises of SanitizeName on any input: a
// short, non-empty, valid, NFC name with no directory, no control or format
// character, no Windows-forbidden character, no leading dot, no reserved
// device name, and the same name when sanitised again.
func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{
		"domanda.pdf", "../../etc/passwd", `C:\x\y.pdf`, "fattura\u202Efdp.exe", "", ".", "..",
		"CON", "aux.txt", " .pdf", "e\u0301", "\xff\xfe", strings.Repeat("é", 200) + ".p7m",
		"a\u0301\u0302\u0303.pdf", "x.pdf.p7m", "LPT9 .pdf",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := attachment.SanitizeName(in)
		switch {
		case got == "":
			t.Fatalf("SanitizeName(%q) is empty", in)
		case len(got) > 150:
			t.Fatalf("SanitizeName(%q) = %q: %d bytes", in, got, len(got))
		case !utf8.ValidString(got):
			t.Fatalf("SanitizeName(%q) = %q: invalid UTF-8", in, got)
		case !norm.NFC.IsNormalString(got):
			t.Fatalf("SanitizeName(%q) = %q: not NFC", in, got)
		case strings.ContainsAny(got, `/\<>:"|?*`):
			t.Fatalf("SanitizeName(%q) = %q: forbidden character", in, got)
		case strings.HasPrefix(got, ".") || strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") || strings.HasSuffix(got, "."):
			t.Fatalf("SanitizeName(%q) = %q: leading or trailing dot or space", in, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("SanitizeName(%q) = %q: control or format character %U", in, got, r)
			}
		}
		base, _, _ := strings.Cut(got, ".")
		switch strings.ToUpper(base) {
		case "CON", "PRN", "AUX", "NUL", "COM1", "LPT1":
			t.Fatalf("SanitizeName(%q) = %q: reserved name", in, got)
		}
		if again := attachment.SanitizeName(got); again != got {
			t.Fatalf("SanitizeName(%q) = %q, but sanitised again %q", in, got, again)
		}
	})
}
