package pdf_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pdf"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err)
	}
	return loc
}()

const (
	hashA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	hashB = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// longValue is a pasted text longer than a line, with a word longer than
// the column, to prove that values wrap and nothing is cut.
var longValue = "Chiedo la residenza nell'abitazione di via dei Mille 12, scala B, interno 7, " +
	"già occupata dal nucleo familiare di mia sorella; allego il contratto di comodato " +
	"registrato e la dichiarazione di assenso del proprietario. " +
	"Riferimento catastale: Foglio12Particella345Subalterno6CategoriaA2ClasseSecondaVani5,5 " +
	"— fine della nota più lunga (così è più facile verificarla)."

func logo(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "logo.png"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func receiptData(t testing.TB) pdf.ReceiptData {
	r := pdf.ReceiptData{
		Letterhead: pdf.Letterhead{
			Ente:  "Comune di Roccafiorita",
			Lines: []string{"Piazza Municipio 1, 98030 Roccafiorita (ME)", "PEC: protocollo@pec.comune.roccafiorita.me.it"},
			Logo:  logo(t),
		},
		Service:      "Dichiarazione di residenza con provenienza da altro comune",
		Pratica:      "RES-2026-000123",
		Protocol:     "2026/0000042",
		RegisteredAt: time.Date(2026, 11, 26, 13, 3, 27, 0, time.UTC),
		FiledBy:      pdf.Person{Name: "Ștefan Łukasz Nguyễn", FiscalCode: "NGYSFN85T10Z129K"},
		FiledAs:      "delegato",
		OnBehalfOf:   pdf.Person{Name: "Niccolò Perché-D'Alò", FiscalCode: "PRCNCL90A01H501X"},
		Summary: []pdf.Field{
			{Label: "Indirizzo della nuova residenza", Value: "Via dei Mille 12, scala B, interno 7\n98030 Roccafiorita (ME)"},
			{Label: "Componenti che si trasferiscono", Value: "Niccolò Perché-D'Alò; Zoë Perché-D'Alò (figlia, 7 anni)"},
			{Label: "Titolo di occupazione", Value: "Comodato d'uso gratuito"},
			{Label: "Note", Value: longValue},
			{Label: "Dichiarazioni", Value: "Consapevole delle sanzioni penali previste dall'art. 76 del D.P.R. 445/2000, dichiaro che quanto indicato è vero."},
			{Label: "Vuoto", Value: ""},
		},
		Attachments: []pdf.Attachment{
			{Name: "contratto_comodato_registrato_agenzia_entrate_2026.pdf", Size: 1572864, SHA256: hashA},
			{Name: "documento identità.jpg", Size: 348160, SHA256: hashB},
			{Name: "assenso\u202Efdp.exe", Size: 12, SHA256: hashA},
		},
		VerifyURL: "https://sportello.comune.roccafiorita.me.it/verifica",
	}
	// Enough pages of a scanned contract to push the table onto a second
	// page, where its header must be repeated.
	for i := 1; i <= 14; i++ {
		r.Attachments = append(r.Attachments, pdf.Attachment{
			Name: fmt.Sprintf("scansione pagina %02d.png", i), Size: int64(i) * 400_000, SHA256: hashB,
		})
	}
	return r
}

func letterData(t testing.TB) pdf.LetterData {
	return pdf.LetterData{
		Letterhead: pdf.Letterhead{
			Ente:  "Comune di Roccafiorita",
			Lines: []string{"Ufficio Anagrafe e Stato civile"},
			Logo:  logo(t),
		},
		Protocol:        "2026/0000057",
		Date:            time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC),
		Recipient:       pdf.Person{Name: "Niccolò Perché-D'Alò", FiscalCode: "PRCNCL90A01H501X"},
		Address:         []string{"Via dei Mille 12, scala B, interno 7", "98030 Roccafiorita (ME)"},
		Service:         "Dichiarazione di residenza con provenienza da altro comune",
		Pratica:         "RES-2026-000123",
		RequestProtocol: "2026/0000042",
		RequestDate:     time.Date(2026, 11, 26, 13, 3, 27, 0, time.UTC),
		Outcome:         pdf.OutcomeRejected,
		Motivation: []string{
			"Dagli accertamenti svolti dalla Polizia locale il 29/11/2026 è risultato che nell'abitazione indicata non dimora abitualmente alcuno dei componenti dichiarati.",
			"Ai sensi dell'art. 10-bis della L. 241/1990 è stato comunicato il preavviso di rigetto, al quale non sono pervenute osservazioni entro il termine di dieci giorni. " + longValue,
		},
		Signer:     "Maria Grazia Sant'Antonio",
		SignerRole: "La responsabile del procedimento",
	}
}

func registerData() pdf.RegisterData {
	day := time.Date(2026, 11, 26, 0, 0, 0, 0, rome)
	r := pdf.RegisterData{
		Ente:        "Comune di Roccafiorita",
		AOO:         "c_h418",
		Register:    "REG_PROT",
		Day:         day,
		GeneratedAt: time.Date(2026, 11, 27, 0, 15, 0, 0, rome),
		ChainHead:   "5b1d1c5e8a2f0c3d9e4b7a6f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d",
	}
	for i := 1; i <= 60; i++ {
		e := pdf.RegisterEntry{
			Number:         fmt.Sprintf("2026/%07d", 40+i),
			RegisteredAt:   day.Add(8*time.Hour + time.Duration(i)*7*time.Minute + 13*time.Second),
			Direction:      "in",
			Subject:        fmt.Sprintf("Istanza n. %d – dichiarazione di residenza", i),
			Correspondent:  "Niccolò Perché-D'Alò",
			DocumentSHA256: hashA,
		}
		switch {
		case i%5 == 0:
			e.Direction = "out"
			e.Subject = "Comunicazione di esito – " + longValue
			e.Correspondent = "Ștefan Łukasz Nguyễn"
			e.DocumentSHA256 = hashB
		case i == 3:
			e.AnnulledBy = "2026/0000099"
		case i == 59:
			e.Annuls = "2026/0000043"
			e.DocumentSHA256 = ""
			e.Subject = "Annullamento per registrazione duplicata (determina n. 12/2026)"
		}
		r.Entries = append(r.Entries, e)
	}
	return r
}

// render is a document of the suite: its name, how to make it and what its
// text must contain.
type render struct {
	name string
	make func(t testing.TB) ([]byte, error)
	want []string
}

func documents() []render {
	return []render{
		{"receipt", func(t testing.TB) ([]byte, error) { return pdf.Receipt(receiptData(t)) }, []string{
			"Comune di Roccafiorita",
			"Ricevuta di presentazione",
			"2026/0000042",
			"26/11/2026 alle 14:03",
			// ễ is not in Titillium Web: it prints as the nearest letter.
			"Ștefan Łukasz Nguyên (NGYSFN85T10Z129K), delegato",
			"Niccolò Perché-D'Alò (PRCNCL90A01H501X)",
			"così è più facile verificarla",
			"Foglio12Particella345",
			"assensofdp.exe",
			"1,5 MB",
			"340 KB",
			"12 byte",
			"scansione pagina 14.png",
			hashA,
			hashB,
			"Pagina 1 di 2",
			"Pagina 2 di 2",
		}},
		{"letter", func(t testing.TB) ([]byte, error) { return pdf.OutcomeLetter(letterData(t)) }, []string{
			"Prot. n. 2026/0000057 del 01/12/2026",
			"Gentile Niccolò Perché-D'Alò",
			"protocollo n. 2026/0000042 del 26/11/2026",
			"non è stata accolta",
			"dimora abitualmente",
			"Tribunale",
			"Maria Grazia Sant'Antonio",
			"La responsabile del procedimento",
			"Pagina 1 di 1",
		}},
		{"register", func(testing.TB) ([]byte, error) { return pdf.DailyRegister(registerData()) }, []string{
			"Registro giornaliero di protocollo",
			"26/11/2026",
			"c_h418",
			"REG_PROT",
			"60 (dal n. 2026/0000041 al n. 2026/0000100)",
			"2026/0000043",
			"annullata da 2026/0000099",
			"annulla 2026/0000043",
			"Ștefan Łukasz Nguyên",
			hashA,
			"5b1d1c5e8a2f0c3d9e4b7a6f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d",
			"Pagina 1 di ",
		}},
	}
}

// TestGolden compares each document with its golden file byte for byte, and
// checks that a second render gives the same bytes.
func TestGolden(t *testing.T) {
	for _, doc := range documents() {
		t.Run(doc.name, func(t *testing.T) {
			got, err := doc.make(t)
			if err != nil {
				t.Fatal(err)
			}
			again, err := doc.make(t)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, again) {
				t.Fatal("two renders of the same data differ")
			}
			golden := filepath.Join("testdata", doc.name+".golden.pdf")
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
				os.WriteFile(filepath.Join(t.TempDir(), doc.name+".pdf"), got, 0o644)
				t.Errorf("%s differs from %s (%d bytes, want %d); run go test -update and look at it", doc.name, golden, len(got), len(want))
			}
		})
	}
}

// TestText extracts each document's text with pdftotext, when installed, to
// prove that accents, non-Italian letters, hashes and long values are there.
func TestText(t *testing.T) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	for _, doc := range documents() {
		t.Run(doc.name, func(t *testing.T) {
			b, err := doc.make(t)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "-enc", "UTF-8", "-", "-")
			cmd.Stdin = bytes.NewReader(b)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("pdftotext: %v", err)
			}
			// Lines are joined so that a value wrapped at a space still
			// matches; a hash must not be wrapped, so it has no space.
			text := strings.Join(strings.Fields(string(out)), " ")
			for _, w := range doc.want {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q\n%s", w, out)
				}
			}
			if strings.Contains(text, "\u202E") {
				t.Error("text keeps a right-to-left override")
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name string
		make func() ([]byte, error)
	}{
		{"receipt without protocol", func() ([]byte, error) {
			r := receiptData(t)
			r.Protocol = ""
			return pdf.Receipt(r)
		}},
		{"receipt without time", func() ([]byte, error) {
			r := receiptData(t)
			r.RegisteredAt = time.Time{}
			return pdf.Receipt(r)
		}},
		{"letter without motivation", func() ([]byte, error) {
			l := letterData(t)
			l.Motivation = nil
			return pdf.OutcomeLetter(l)
		}},
		{"register without day", func() ([]byte, error) {
			r := registerData()
			r.Day = time.Time{}
			return pdf.DailyRegister(r)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.make()
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("err = %v, want kind Invalid", err)
			}
		})
	}
}

// TestEmpty renders the smallest documents: no attachments, no entries.
func TestEmpty(t *testing.T) {
	r := pdf.ReceiptData{
		Letterhead:   pdf.Letterhead{Ente: "Comune di Prova"},
		Protocol:     "2026/0000001",
		RegisteredAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	if _, err := pdf.Receipt(r); err != nil {
		t.Errorf("Receipt: %v", err)
	}
	reg := pdf.RegisterData{Ente: "Comune di Prova", Day: r.RegisteredAt, GeneratedAt: r.RegisteredAt}
	if _, err := pdf.DailyRegister(reg); err != nil {
		t.Errorf("DailyRegister: %v", err)
	}
}

// TestBadLogo reports an image fpdf cannot read as an error, not a panic
// or a broken file.
func TestBadLogo(t *testing.T) {
	r := receiptData(t)
	r.Logo = []byte("\x89PNG\r\n\x1a\nnot really")
	if _, err := pdf.Receipt(r); err == nil {
		t.Error("Receipt with a broken logo: no error")
	}
}

// FuzzReceipt feeds arbitrary strings into every text of a receipt: fpdf
// indexes width tables by rune, so a character it does not expect must be
// cleaned before, never reach it and panic.
func FuzzReceipt(f *testing.F) {
	for _, s := range []string{"", "àèéìòù", "\U0001F600 emoji", "\u202Eabc", "a\x00b\tc\r\nd", "\xff\xfe", strings.Repeat("W", 400), "\uFFFF\uFFFE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := pdf.ReceiptData{
			Letterhead:   pdf.Letterhead{Ente: "Comune " + s, Lines: []string{s}},
			Service:      s,
			Pratica:      s,
			Protocol:     "2026/" + s,
			RegisteredAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			FiledBy:      pdf.Person{Name: s, FiscalCode: s},
			FiledAs:      s,
			OnBehalfOf:   pdf.Person{Name: s},
			Summary:      []pdf.Field{{Label: s, Value: s}},
			Attachments:  []pdf.Attachment{{Name: s, Size: int64(len(s)), SHA256: s}},
			VerifyURL:    s,
		}
		if _, err := pdf.Receipt(r); err != nil {
			t.Fatalf("Receipt(%q): %v", s, err)
		}
	})
}

func BenchmarkReceipt(b *testing.B) {
	r := receiptData(b)
	for b.Loop() {
		if _, err := pdf.Receipt(r); err != nil {
			b.Fatal(err)
		}
	}
}
