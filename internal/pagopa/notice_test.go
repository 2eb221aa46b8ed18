package pagopa_test

import (
	"bytes"
	"flag"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/google/go-cmp/cmp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/datamatrix"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pdf"
	"github.com/sportello/sportello/internal/pdf/pdftest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func mustNAV(t testing.TB, s string) pagopa.NAV {
	t.Helper()
	n, err := pagopa.ParseNAV(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestQRCode(t *testing.T) {
	tests := []struct {
		name   string
		nav    string
		cf     string
		amount pagopa.Cents
		want   string
	}{
		{"reference example", "301000000000000144", "12345678903", 1652, "PAGOPA|002|301000000000000144|12345678903|1652"},
		{"one cent has two digits", "300000000000000104", "77777777777", 1, "PAGOPA|002|300000000000000104|77777777777|01"},
		{"ten digits", "312202500000123479", "12345678903", 9_999_999_999, "PAGOPA|002|312202500000123479|12345678903|9999999999"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pagopa.QRCode(mustNAV(t, tc.nav), tc.cf, tc.amount)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("QRCode = %q, want %q", got, tc.want)
			}
		})
	}
	for _, bad := range []struct {
		name   string
		cf     string
		amount pagopa.Cents
	}{
		{"zero amount", "12345678903", 0},
		{"eleven digits of amount", "12345678903", 10_000_000_000},
		{"short fiscal code", "1234567890", 100},
		{"letters in fiscal code", "1234567890A", 100},
	} {
		t.Run(bad.name, func(t *testing.T) {
			if _, err := pagopa.QRCode(mustNAV(t, "301000000000000144"), bad.cf, bad.amount); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("err = %v, want Invalid", err)
			}
		})
	}
	if _, err := pagopa.QRCode(pagopa.NAV{}, "12345678903", 100); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("zero NAV: err = %v, want Invalid", err)
	}
}

// TestPosteDataMatrix checks the reference's test vector field by field,
// at the offsets the IO app reads.
func TestPosteDataMatrix(t *testing.T) {
	debtor := pagopa.NoticeDebtor{Name: "MARIO ROSSI", FiscalCode: "RSSMRA80A01H501U"}
	got, err := pagopa.PosteDataMatrix(mustNAV(t, "301000000000000144"), "12345678903", 1652, "1234567", debtor, "DIRITTI DI SEGRETERIA PRATICA 2025/123")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 256 {
		t.Fatalf("length %d, want 256", len(got))
	}
	fields := []struct {
		name     string
		off, len int
		want     string
	}{
		{"codfase", 0, 13, "codfase=NBPA;"},
		{"codeline", 13, 50, "18301000000000000144120000012345671000000016523896"},
		{"1P1", 63, 3, "1P1"},
		{"ente", 66, 11, "12345678903"},
		{"debtor code", 77, 16, "RSSMRA80A01H501U"},
		{"debtor name", 93, 40, "MARIO ROSSI" + strings.Repeat(" ", 29)},
		{"subject", 133, 110, "DIRITTI DI SEGRETERIA PRATICA 2025/123" + strings.Repeat(" ", 72)},
		{"filler", 243, 12, strings.Repeat(" ", 12)},
		{"end", 255, 1, "A"},
	}
	for _, f := range fields {
		if g := got[f.off : f.off+f.len]; g != f.want {
			t.Errorf("%s = %q, want %q", f.name, g, f.want)
		}
	}

	// Accents are folded, long text is cut, a partita IVA is padded.
	got, err = pagopa.PosteDataMatrix(mustNAV(t, "301000000000000144"), "12345678903", 5, "123456789012",
		pagopa.NoticeDebtor{Name: "Niccolò Perché-D'Alò Ștefan Łukasz della Rovere di Montefeltro", FiscalCode: "01234567890"},
		strings.Repeat("Mensa scolastica ", 10))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 256 || got[93:133] != "Niccolo Perche-D'Alo Stefan ?ukasz della" || got[77:93] != "01234567890     " || got[33:47] != "12123456789012" {
		t.Errorf("Data Matrix = %q", got)
	}
	for _, account := range []string{"", "1234567890123", "12a"} {
		if _, err := pagopa.PosteDataMatrix(mustNAV(t, "301000000000000144"), "12345678903", 5, account, debtor, "x"); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("account %q: err = %v, want Invalid", account, err)
		}
	}
}

// FuzzPosteDataMatrix: whatever names and subjects a citizen's record
// holds, the Data Matrix keeps 256 characters and its fixed fields in
// place.
func FuzzPosteDataMatrix(f *testing.F) {
	for _, s := range []string{"", "Niccolò", "\U0001F600", "a\x00b\n", strings.Repeat("ß", 300), "\xff"} {
		f.Add(s, s)
	}
	nav := mustNAV(f, "301000000000000144")
	f.Fuzz(func(t *testing.T, name, subject string) {
		got, err := pagopa.PosteDataMatrix(nav, "12345678903", 1652, "1234567", pagopa.NoticeDebtor{Name: name, FiscalCode: name}, subject)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 256 || got[:66] != "codfase=NBPA;183010000000000001441200000123456710000000165238961P1" || got[255] != 'A' {
			t.Fatalf("Data Matrix %q", got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] < 0x20 || got[i] > 0x7E {
				t.Fatalf("byte %d is %#x", i, got[i])
			}
		}
	})
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func logo(t testing.TB) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "logo.png"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ente(t testing.TB, postal bool) pagopa.NoticeEnte {
	e := pagopa.NoticeEnte{
		Name:       "Comune di Roccafiorita",
		Sector:     "Servizi demografici",
		Info:       []string{"Piazza Municipio 1, 98030 Roccafiorita (ME)", "www.comune.roccafiorita.me.it – protocollo@pec.comune.roccafiorita.me.it"},
		FiscalCode: "12345678903",
		CBILL:      "A1B2C",
		Logo:       logo(t),
	}
	if postal {
		e.Postal = &pagopa.PostalAccount{Number: "1234567", Holder: "Comune di Roccafiorita – Servizio Tesoreria", Authorization: "AUT/2026/123"}
	}
	return e
}

var debtor = pagopa.NoticeDebtor{
	Name:       "Niccolò Perché-D'Alò",
	FiscalCode: "PRCNCL90A01H501X",
	Address:    []string{"Via dei Mille 12, scala B, interno 7", "98030 Roccafiorita (ME)"},
}

// notices are the notices of the suite: what to render, what its text must
// say and which symbols it must carry, in order.
func notices(t testing.TB) []struct {
	name    string
	notice  pagopa.Notice
	text    []string
	symbols []string
} {
	issued := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	single := pagopa.Notice{
		Subject:  "Diritti di segreteria – pratica 2025/123",
		Ente:     ente(t, true),
		Debtor:   debtor,
		Single:   &pagopa.NoticeOption{NAV: mustNAV(t, "301000000000000144"), Amount: 1652, DueDate: date(2026, 12, 31)},
		IssuedAt: issued,
	}
	dm, err := pagopa.PosteDataMatrix(single.Single.NAV, "12345678903", 1652, "1234567", debtor, single.Subject)
	if err != nil {
		t.Fatal(err)
	}
	inst := pagopa.Notice{
		Subject: "Refezione scolastica a.s. 2026/2027",
		Ente:    ente(t, false),
		// Latin-10 prints Romanian and Polish letters; ễ and ř lose their
		// second accent.
		Debtor: pagopa.NoticeDebtor{Name: "Ștefan Łukasz Nguyễn Dvořák", FiscalCode: "NGYSFN85T10Z129K"},
		Single: &pagopa.NoticeOption{NAV: mustNAV(t, "312202500000123479"), Amount: 123456, DueDate: date(2026, 10, 31)},
		Installments: []pagopa.NoticeOption{
			{NAV: mustNAV(t, "300000000000000104"), Amount: 41152, DueDate: date(2026, 10, 31)},
			{NAV: mustNAV(t, "301000000000000144"), Amount: 41152, DueDate: date(2027, 1, 31)},
			{NAV: mustNAV(t, "300715700000000032"), Amount: 41152, DueDate: date(2027, 3, 31)},
			{NAV: mustNAV(t, "300996299640641032"), Amount: 1, DueDate: date(2027, 5, 31)},
		},
		IssuedAt: issued,
	}
	// Only installments, with the bollettino: two a page after the first.
	rate := pagopa.Notice{
		Subject:  "TARI 2026 – utenza domestica",
		Ente:     ente(t, true),
		Debtor:   debtor,
		IssuedAt: issued,
	}
	var rateSymbols []string
	for i, nav := range []string{"300000000000000104", "301000000000000144", "312202500000123479"} {
		o := pagopa.NoticeOption{NAV: mustNAV(t, nav), Amount: 10000 + pagopa.Cents(i), DueDate: date(2027, time.Month(3+3*i), 30)}
		rate.Installments = append(rate.Installments, o)
		qr, err := pagopa.QRCode(o.NAV, "12345678903", o.Amount)
		if err != nil {
			t.Fatal(err)
		}
		dm, err := pagopa.PosteDataMatrix(o.NAV, "12345678903", o.Amount, "1234567", debtor, rate.Subject)
		if err != nil {
			t.Fatal(err)
		}
		rateSymbols = append(rateSymbols, qr, dm)
	}
	return []struct {
		name    string
		notice  pagopa.Notice
		text    []string
		symbols []string
	}{

		{"notice_single_postal", single, []string{
			"AVVISO DI PAGAMENTO", "Diritti di segreteria – pratica 2025/123", "ENTE CREDITORE", "DESTINATARIO AVVISO",
			"Comune di Roccafiorita", "Servizi demografici", "Cod. Fiscale 12345678903", "Niccolò Perché-D'Alò",
			"Cod. Fiscale PRCNCL90A01H501X", "Via dei Mille 12", "QUANTO E QUANDO PAGARE?", "16,52 €", "entro il 31/12/2026",
			"DOVE PAGARE?", "BANCHE E ALTRI CANALI", "RATA UNICA entro il 31/12/2026", "3010 0000 0000 0001 44", "A1B2C",
			"BOLLETTINO POSTALE PA", "sul C/C n. 1234567", "Servizio Tesoreria", "AUT/2026/123", "Pagina 1 di 1",
		}, []string{"PAGOPA|002|301000000000000144|12345678903|1652", dm}},
		{"notice_installments", inst, []string{
			"Ștefan Łukasz Nguyên Dvorák", "1.234,56 €", "entro il 31/10/2026", "Puoi pagare con una unica rata o in 4 rate", "RATA UNICA entro il 31/10/2026",
			"3122 0250 0000 1234 79", "RATA 1 di 4 entro il 31/10/2026", "RATA 4 di 4 entro il 31/05/2027", "411,52", "3009 9629 9640 6410 32",
			"0,01", "Pagina 1 di 3", "Pagina 3 di 3",
		}, []string{
			"PAGOPA|002|312202500000123479|12345678903|123456",
			"PAGOPA|002|300000000000000104|12345678903|41152",
			"PAGOPA|002|301000000000000144|12345678903|41152",
			"PAGOPA|002|300715700000000032|12345678903|41152",
			"PAGOPA|002|300996299640641032|12345678903|01",
		}},
		{"notice_installments_postal", rate, []string{
			"300,03 €", "entro il 30/09/2027", "Puoi pagare in 3 rate", "RATA 1 di 3 entro il 30/03/2027",
			"RATA 3 di 3 entro il 30/09/2027", "BOLLETTINO POSTALE PA", "TARI 2026 – utenza domestica", "Pagina 1 di 2", "Pagina 2 di 2",
		}, rateSymbols},
	}
}

func TestNoticeGolden(t *testing.T) {
	for _, tc := range notices(t) {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.notice.PDF()
			if err != nil {
				t.Fatal(err)
			}
			again, err := tc.notice.PDF()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, again) {
				t.Fatal("two renders of the same notice differ")
			}
			golden := filepath.Join("testdata", tc.name+".golden.pdf")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (%d bytes, want %d); run go test -update and look at it", tc.name, golden, len(got), len(want))
			}
		})
	}
}

// TestNoticeSymbols rasterises every QR code and Data Matrix drawn in the
// PDF, decodes it with an independent reader (a port of ZXing) and compares
// the texts with what pagoPA and Poste expect; the QR codes must be version
// 4 (33×33 modules), as the specification prints them.
func TestNoticeSymbols(t *testing.T) {
	for _, tc := range notices(t) {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.notice.PDF()
			if err != nil {
				t.Fatal(err)
			}
			pages, err := pdftest.PageContents(b)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, page := range pages {
				// Modules are about 1.7 pt; symbols are far more apart.
				for _, img := range pdftest.Symbols(pdftest.BlackRects(page), 3, 4) {
					text, _, ok := decodeSymbol(t, img)
					if !ok {
						t.Errorf("a symbol on the page does not decode")
						continue
					}
					got = append(got, text)
				}
			}
			for _, text := range got {
				if !strings.HasPrefix(text, "PAGOPA|") {
					continue
				}
				qr, err := pdf.QRCode(text)
				if err != nil {
					t.Fatal(err)
				}
				if d := qr.Size; d != 33 {
					t.Errorf("QR code %q is %d modules wide, want 33 (version 4)", text, d)
				}
			}
			if diff := cmp.Diff(tc.symbols, got); diff != "" {
				t.Errorf("symbols mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// decodeSymbol reads an image as a QR code or, failing that, a Data
// Matrix.
func decodeSymbol(t *testing.T, img image.Image) (string, gozxing.BarcodeFormat, bool) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	for _, hints := range []map[gozxing.DecodeHintType]any{nil, {gozxing.DecodeHintType_PURE_BARCODE: true}} {
		if res, err := qrcode.NewQRCodeReader().Decode(bmp, hints); err == nil {
			return res.GetText(), res.GetBarcodeFormat(), true
		}
		if res, err := datamatrix.NewDataMatrixReader().Decode(bmp, hints); err == nil {
			return res.GetText(), res.GetBarcodeFormat(), true
		}
	}
	return "", 0, false
}

// TestNoticeText extracts the text with pdftotext, when installed.
func TestNoticeText(t *testing.T) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	for _, tc := range notices(t) {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.notice.PDF()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "-enc", "UTF-8", "-", "-")
			cmd.Stdin = bytes.NewReader(b)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("pdftotext: %v", err)
			}
			text := strings.Join(strings.Fields(string(out)), " ")
			for _, w := range tc.text {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q\n%s", w, out)
				}
			}
		})
	}
}

func TestNoticeInvalid(t *testing.T) {
	ok := notices(t)[0].notice
	tests := []struct {
		name   string
		change func(n *pagopa.Notice)
	}{
		{"nothing to pay", func(n *pagopa.Notice) { n.Single = nil }},
		{"no due date", func(n *pagopa.Notice) { n.Single = &pagopa.NoticeOption{NAV: n.Single.NAV, Amount: 100} }},
		{"zero amount", func(n *pagopa.Notice) { n.Single = &pagopa.NoticeOption{NAV: n.Single.NAV, DueDate: date(2026, 1, 1)} }},
		{"bad ente fiscal code", func(n *pagopa.Notice) { n.Ente.FiscalCode = "RSSMRA80A01H501U" }},
		{"bad postal account", func(n *pagopa.Notice) { n.Ente.Postal = &pagopa.PostalAccount{Number: "CC-1"} }},
		{"subject too long", func(n *pagopa.Notice) { n.Subject = strings.Repeat("x", 141) }},
		{"no ente", func(n *pagopa.Notice) { n.Ente.Name = "" }},
		{"no issue time", func(n *pagopa.Notice) { n.IssuedAt = time.Time{} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := ok
			n.Ente.Postal = ok.Ente.Postal
			tc.change(&n)
			if _, err := n.PDF(); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("err = %v, want Invalid", err)
			}
		})
	}
}

// BenchmarkNotice renders single-payment notices in parallel, as a batch
// for a school year would be: with the QR code only, and with the
// bollettino postale and its Data Matrix. Each notice has its own notice
// number, so nothing is cached between them. Figures in
// docs/benchmarks-pagopa-msg.md.
func BenchmarkNotice(b *testing.B) {
	for _, postal := range []bool{false, true} {
		name := "qr"
		if postal {
			name = "qr+datamatrix"
		}
		b.Run(name, func(b *testing.B) {
			n := notices(b)[0].notice
			if !postal {
				n.Ente.Postal = nil
			}
			var seq atomic.Int64
			b.ReportAllocs()
			cpu := processCPU()
			defer func() {
				// CPU time, not wall time, so that the figure holds on a
				// machine shared with others: two idle cores do 2 s of
				// CPU work a second.
				per := (processCPU() - cpu).Seconds() / float64(b.N)
				b.ReportMetric(per*1e3, "cpu-ms/op")
				b.ReportMetric(2/per, "notices/s@2cores")
			}()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					iuv, err := pagopa.NewIUV(1, seq.Add(1))
					if err != nil {
						b.Error(err)
						return
					}
					m := n
					m.Single = &pagopa.NoticeOption{NAV: iuv.NAV(), Amount: n.Single.Amount, DueDate: n.Single.DueDate}
					if _, err := m.PDF(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
