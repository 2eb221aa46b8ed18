package attachment_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/attachment"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/blob/blobtest"
)

// fakeScanner finds "MALWARE" in a file, or fails when down.
type fakeScanner struct{ down bool }

func (s fakeScanner) Scan(_ context.Context, r io.Reader) (string, error) {
	if s.down {
		return "", errors.New("connection refused")
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", err
	}
	if bytes.Contains(b, []byte("MALWARE")) {
		return "Test.Malware", nil
	}
	return "", nil
}

func TestStore(t *testing.T) {
	all := attachment.Rule{Accept: []string{attachment.PDF, attachment.JPEG, attachment.PNG, attachment.P7M}, MaxBytes: 1000}
	onlyPDF := attachment.Rule{Accept: []string{attachment.PDF}, MaxBytes: 1000}
	p7mOnly := attachment.Rule{Accept: []string{attachment.P7M, attachment.PNG}, MaxBytes: 1000}
	big := attachment.Rule{Accept: all.Accept, MaxBytes: 1 << 20}

	exactly := append(bytes.Clone(pdfBytes), bytes.Repeat([]byte{' '}, 1000-len(pdfBytes))...)
	der := derP7M(t, pdfBytes)
	tests := []struct {
		name     string
		file     string
		content  []byte
		rule     attachment.Rule
		scan     attachment.Scanner
		want     attachment.File // SHA256 and Size are filled in from content
		wantErr  *attachment.Error
		wantKind apperr.Kind
	}{
		{name: "pdf", file: "domanda.pdf", content: pdfBytes, rule: all,
			want: attachment.File{Name: "domanda.pdf", MIME: attachment.PDF}},
		{name: "jpeg", file: "Foto Carta d'identità.JPG", content: jpegBytes, rule: all,
			want: attachment.File{Name: "Foto Carta d'identità.JPG", MIME: attachment.JPEG}},
		{name: "jpeg as .jpeg", file: "foto.jpeg", content: jpegBytes, rule: all,
			want: attachment.File{Name: "foto.jpeg", MIME: attachment.JPEG}},
		{name: "png", file: "planimetria.png", content: pngBytes, rule: all,
			want: attachment.File{Name: "planimetria.png", MIME: attachment.PNG}},
		{name: "exactly the limit", file: "a.pdf", content: exactly, rule: all,
			want: attachment.File{Name: "a.pdf", MIME: attachment.PDF}},
		{name: "windows full path keeps the base name", file: `C:\x\y.pdf`, content: pdfBytes, rule: all,
			want: attachment.File{Name: "y.pdf", MIME: attachment.PDF}},
		{name: "p7m wrapping a pdf", file: "domanda.pdf.p7m", content: der, rule: all,
			want: attachment.File{Name: "domanda.pdf.p7m", MIME: attachment.P7M, Signed: attachment.PDF}},
		{name: "p7m without inner extension", file: "domanda.p7m", content: der, rule: all,
			want: attachment.File{Name: "domanda.p7m", MIME: attachment.P7M, Signed: attachment.PDF}},
		{name: "ber p7m in chunks", file: "domanda.pdf.p7m", content: berP7M(pdfBytes, 7), rule: all,
			want: attachment.File{Name: "domanda.pdf.p7m", MIME: attachment.P7M, Signed: attachment.PDF}},
		{name: "base64 p7m", file: "domanda.pdf.p7m", content: base64P7M(der), rule: big,
			want: attachment.File{Name: "domanda.pdf.p7m", MIME: attachment.P7M, Signed: attachment.PDF}},
		{name: "p7m signed twice", file: "domanda.pdf.p7m.p7m", content: derP7M(t, der), rule: big,
			want: attachment.File{Name: "domanda.pdf.p7m.p7m", MIME: attachment.P7M, Signed: attachment.PDF}},
		{name: "clean file through the scanner", file: "domanda.pdf", content: pdfBytes, rule: all, scan: fakeScanner{},
			want: attachment.File{Name: "domanda.pdf", MIME: attachment.PDF}},

		{name: "zip bomb named .pdf", file: "domanda.pdf", content: zipBomb(t), rule: big,
			wantErr: &attachment.Error{Reason: attachment.WrongType, Name: "domanda.pdf", Type: "application/zip"}},
		{name: "png named .pdf", file: "domanda.pdf", content: pngBytes, rule: all,
			wantErr: &attachment.Error{Reason: attachment.WrongType, Name: "domanda.pdf", Type: attachment.PNG}},
		{name: "pdf named .png", file: "foto.png", content: pdfBytes, rule: all,
			wantErr: &attachment.Error{Reason: attachment.WrongType, Name: "foto.png", Type: attachment.PDF}},
		{name: "exe", file: "setup.exe", content: exeBytes, rule: all,
			wantErr: &attachment.Error{Reason: attachment.WrongType, Name: "setup.exe", Type: ".exe"}},
		{name: "exe named .pdf", file: "fattura.pdf", content: exeBytes, rule: all,
			wantErr: &attachment.Error{Reason: attachment.WrongType, Name: "fattura.pdf", Type: "application/x-msdownload"}},
		{name: "no extension", file: "documento", content: pdfBytes, rule: all,
			wantErr: &attachment.Error{Reason: attachment.WrongType, Name: "documento", Type: ""}},
		{name: "accepted type the rule does not list", file: "foto.jpg", content: jpegBytes, rule: onlyPDF,
			wantErr: &attachment.Error{Reason: attachment.WrongType, Name: "foto.jpg", Type: ".jpg"}},
		{name: "empty", file: "vuoto.pdf", content: nil, rule: all,
			wantErr: &attachment.Error{Reason: attachment.Empty, Name: "vuoto.pdf"}},
		{name: "one byte too many", file: "a.pdf", content: append(bytes.Clone(exactly), ' '), rule: all,
			wantErr: &attachment.Error{Reason: attachment.TooBig, Name: "a.pdf", Limit: 1000, Got: 1001}, wantKind: apperr.TooLarge},
		{name: "far too big", file: "a.pdf", content: append(bytes.Clone(pdfBytes), make([]byte, 5000)...), rule: all,
			wantErr: &attachment.Error{Reason: attachment.TooBig, Name: "a.pdf", Limit: 1000, Got: 1001}, wantKind: apperr.TooLarge},
		{name: "path traversal", file: "../../etc/passwd", content: pdfBytes, rule: all,
			wantErr: &attachment.Error{Reason: attachment.BadName, Name: "passwd"}},
		{name: "windows path traversal", file: `..\..\windows\win.pdf`, content: pdfBytes, rule: all,
			wantErr: &attachment.Error{Reason: attachment.BadName, Name: "win.pdf"}},
		{name: "right-to-left override hides .exe", file: "fattura\u202Efdp.exe", content: pdfBytes, rule: all,
			wantErr: &attachment.Error{Reason: attachment.WrongType, Name: "fatturafdp.exe", Type: ".exe"}},
		{name: "p7m wrapping an exe", file: "domanda.p7m", content: derP7M(t, exeBytes), rule: all,
			wantErr: &attachment.Error{Reason: attachment.WrongType, Name: "domanda.p7m", Type: "application/x-msdownload"}},
		{name: "p7m wrapping a zip", file: "domanda.pdf.p7m", content: derP7M(t, []byte("PK\x03\x04rest")), rule: all,
			wantErr: &attachment.Error{Reason: attachment.WrongType, Name: "domanda.pdf.p7m", Type: "application/zip"}},
		{name: "p7m content not the announced type", file: "domanda.pdf.p7m", content: derP7M(t, pngBytes), rule: all,
			wantErr: &attachment.Error{Reason: attachment.WrongType, Name: "domanda.pdf.p7m", Type: attachment.PNG}},
		{name: "p7m content not accepted", file: "domanda.p7m", content: der, rule: p7mOnly,
			wantErr: &attachment.Error{Reason: attachment.WrongType, Name: "domanda.p7m", Type: attachment.PDF}},
		{name: "detached signature", file: "domanda.p7m", content: derP7M(t, nil), rule: all,
			wantErr: &attachment.Error{Reason: attachment.WrongType, Name: "domanda.p7m", Type: attachment.P7M}},
		{name: "p7m nested too deep", file: "domanda.p7m", content: derP7M(t, derP7M(t, derP7M(t, derP7M(t, pdfBytes)))), rule: big,
			wantErr: &attachment.Error{Reason: attachment.WrongType, Name: "domanda.p7m", Type: attachment.Unknown}},
		{name: "p7m named .pdf", file: "domanda.pdf", content: der, rule: all,
			wantErr: &attachment.Error{Reason: attachment.WrongType, Name: "domanda.pdf", Type: attachment.P7M}},
		{name: "infected", file: "domanda.pdf", content: append(bytes.Clone(pdfBytes), "MALWARE"...), rule: all, scan: fakeScanner{},
			wantErr: &attachment.Error{Reason: attachment.Infected, Name: "domanda.pdf", Signature: "Test.Malware"}},
		{name: "scanner down", file: "domanda.pdf", content: pdfBytes, rule: all, scan: fakeScanner{down: true},
			wantKind: apperr.Unavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store, list := newStore(t)
			left := spoolDir(t)
			got, err := attachment.Store(t.Context(), store, bytes.NewReader(tc.content), tc.file, tc.rule, tc.scan)
			if leftover := left(); len(leftover) > 0 {
				t.Errorf("temporary files left behind: %v", leftover)
			}
			if tc.wantErr != nil || tc.wantKind != apperr.Internal {
				if keys := list(); len(keys) > 0 {
					t.Errorf("refused upload stored %v", keys)
				}
				if tc.wantErr != nil {
					var e *attachment.Error
					if !errors.As(err, &e) {
						t.Fatalf("err = %v, want %v", err, tc.wantErr)
					}
					if diff := cmp.Diff(tc.wantErr, e); diff != "" {
						t.Errorf("error mismatch (-want +got):\n%s", diff)
					}
				}
				want := tc.wantKind
				if want == apperr.Internal {
					want = apperr.Invalid
				}
				if k := apperr.KindOf(err); k != want {
					t.Errorf("kind = %v, want %v", k, want)
				}
				if apperr.PublicOf(err) == "" {
					t.Error("no message for the citizen")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(tc.content)
			tc.want.SHA256 = blob.Key(hex.EncodeToString(sum[:]))
			tc.want.Size = int64(len(tc.content))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("file mismatch (-want +got):\n%s", diff)
			}
			if !bytes.Equal(blobtest.ReadAll(t, store, got.SHA256), tc.content) {
				t.Error("stored content differs from the upload")
			}
		})
	}
}

func TestStoreRuleWithoutLimit(t *testing.T) {
	store, _ := newStore(t)
	_, err := attachment.Store(t.Context(), store, bytes.NewReader(pdfBytes), "a.pdf", attachment.Rule{Accept: []string{attachment.PDF}}, nil)
	if !apperr.Is(err, apperr.Invalid) {
		t.Errorf("err = %v, want kind Invalid", err)
	}
}

// TestStoreCancelled stops reading an upload whose request went away.
func TestStoreCancelled(t *testing.T) {
	store, list := newStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	r := io.MultiReader(bytes.NewReader(pdfBytes), readerFunc(func(p []byte) (int, error) {
		cancel()
		return copy(p, "more"), nil
	}), strings.NewReader(strings.Repeat("x", 100_000)))
	_, err := attachment.Store(ctx, store, r, "a.pdf", attachment.Rule{Accept: []string{attachment.PDF}, MaxBytes: 1 << 20}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if keys := list(); len(keys) > 0 {
		t.Errorf("cancelled upload stored %v", keys)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestCheckCount(t *testing.T) {
	tests := []struct {
		rule attachment.Rule
		n    int
		want *attachment.Error
	}{
		{attachment.Rule{}, 1, nil},
		{attachment.Rule{}, 2, &attachment.Error{Reason: attachment.TooMany, Limit: 1, Got: 2}},
		{attachment.Rule{MaxCount: 5}, 5, nil},
		{attachment.Rule{MaxCount: 5}, 6, &attachment.Error{Reason: attachment.TooMany, Limit: 5, Got: 6}},
	}
	for _, tc := range tests {
		err := tc.rule.CheckCount(tc.n)
		var got *attachment.Error
		errors.As(err, &got)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("CheckCount(%d) with MaxCount %d mismatch (-want +got):\n%s", tc.n, tc.rule.MaxCount, diff)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err        *attachment.Error
		wantLog    string
		wantPublic string
	}{
		{&attachment.Error{Reason: attachment.TooBig, Name: "a.pdf", Limit: 10 << 20, Got: 10<<20 + 1},
			"attachment: too big: more than 10485760 bytes",
			"Il file «a.pdf» è troppo grande: la dimensione massima è 10 MB."},
		{&attachment.Error{Reason: attachment.TooBig, Name: "a.pdf", Limit: 1536 << 10},
			"attachment: too big: more than 1572864 bytes",
			"Il file «a.pdf» è troppo grande: la dimensione massima è 1,5 MB."},
		{&attachment.Error{Reason: attachment.WrongType, Name: "mario rossi.pdf", Type: "application/zip"},
			"attachment: wrong type: application/zip",
			"Il file «mario rossi.pdf» non è di un tipo accettato, o il suo contenuto non corrisponde all'estensione del nome."},
		{&attachment.Error{Reason: attachment.TooMany, Limit: 3, Got: 4},
			"attachment: too many files: 4 files, at most 3",
			"Il numero massimo di file che puoi allegare è 3."},
		{&attachment.Error{Reason: attachment.Infected, Name: "x.pdf", Signature: "Eicar-Test-Signature"},
			"attachment: infected: Eicar-Test-Signature",
			"Il file «x.pdf» contiene un virus e non è stato accettato."},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.wantLog {
			t.Errorf("Error() = %q, want %q", got, tc.wantLog)
		}
		if strings.Contains(tc.err.Error(), tc.err.Name) && tc.err.Name != "" {
			t.Errorf("Error() %q shows the file name", tc.err.Error())
		}
		if got := apperr.PublicOf(tc.err); got != tc.wantPublic {
			t.Errorf("PublicOf = %q, want %q", got, tc.wantPublic)
		}
	}
}
