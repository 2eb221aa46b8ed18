package certificate_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/registry"
)

func TestIssueAndVerify(t *testing.T) {
	f := setup(t)
	o := f.online(cfSofia, certificate.Residence, certificate.Family)
	o.Exemption = 7
	res, err := f.issuer.Issue(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Certificate
	if c.State != certificate.Issued || c.Stamp.Cents != 0 || c.FeeCents != 0 || c.ProtocolNumber == 0 {
		t.Errorf("certificate %+v", c)
	}
	if want := calendar.D(2027, 5, 26); c.ValidUntil != want {
		t.Errorf("valid until %s, want %s", c.ValidUntil, want)
	}
	v := certificate.Verify(res.PDF, f.keys(t))
	if !v.OK() {
		t.Fatalf("verify: %+v", v)
	}
	if v.Payload.Code != c.Code || v.Payload.FiscalCode != cfSofia || v.StatusOn(calendar.DateOf(now)) != certificate.StatusValid {
		t.Errorf("payload %+v", v.Payload)
	}
	if got := v.StatusOn(calendar.D(2027, 5, 27)); got != certificate.StatusExpired {
		t.Errorf("status the day after validity = %s", got)
	}
	// The protocol register has the outgoing entry with the file's hash.
	e, err := protocol.Get(ctx, f.d, f.ala.ID, c.ProtocolYear, protocol.Number(c.ProtocolNumber))
	if err != nil {
		t.Fatal(err)
	}
	if e.Direction != protocol.Out || e.DocumentSHA256 != c.DocumentSHA256 {
		t.Errorf("protocol entry %+v", e)
	}
	// The stored file is the one returned.
	stored, err := certificate.Open(ctx, f.blobs, c)
	if err != nil || !bytes.Equal(stored, res.PDF) {
		t.Errorf("stored file differs (%v)", err)
	}
	// Another ente's keys do not verify it.
	if _, err := f.issuer.Keys.Current(ctx, f.d, f.avio, now); err != nil {
		t.Fatal(err)
	}
	other, _ := certificate.Published(ctx, f.d, f.avio.ID)
	if v := certificate.Verify(res.PDF, other); v.OK() {
		t.Error("verified with another ente's keys")
	}
	text := pdfText(t, res.PDF)
	for _, want := range []string{"CERTIFICATO CONTESTUALE DI RESIDENZA E DI STATO DI FAMIGLIA", "Tomasi Sofia",
		"Pederzolli Chiara", "art. 40 DPR 445/2000", "separazione/divorzio", c.Code} {
		if text != "" && !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
	pdfsig(t, res.PDF)
	if got := scanQR(t, res.PDF); got != "" {
		want := "https://ala.example/verifica?q=SPC1.022001." + strings.ReplaceAll(c.Code, "-", "") + ".20261126.20270526.8-12." + cfSofia
		if !strings.HasPrefix(got, want) {
			t.Errorf("the QR reads %q, want it to start with %q", got, want)
		}
	}
	if os.Getenv("CERT_KEEP") != "" {
		os.WriteFile(os.Getenv("CERT_KEEP"), res.PDF, 0o644)
	}
}

// pdfText extracts the text with pdftotext when installed ("" otherwise).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		return ""
	}
	path := filepath.Join(t.TempDir(), "c.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// pdfsig checks the signature with poppler's pdfsig when installed: a
// standard reader's view of the file.
func pdfsig(t *testing.T, pdf []byte) {
	t.Helper()
	bin, err := exec.LookPath("pdfsig")
	if err != nil {
		t.Log("pdfsig not installed: the pure-Go check alone ran")
		return
	}
	path := filepath.Join(t.TempDir(), "c.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(bin, path).CombinedOutput()
	if !strings.Contains(string(out), "Signature Validation: Signature is Valid.") ||
		!strings.Contains(string(out), "Signature Type: ETSI.CAdES.detached") ||
		!strings.Contains(string(out), "Total document signed") {
		t.Errorf("pdfsig does not see a valid signature over the whole file:\n%s", out)
	}
}

// scanQR reads the QR code off the rendered page with pdftoppm and
// zbarimg when both are installed ("" otherwise).
func scanQR(t *testing.T, pdf []byte) string {
	t.Helper()
	render, err1 := exec.LookPath("pdftoppm")
	scan, err2 := exec.LookPath("zbarimg")
	if err1 != nil || err2 != nil {
		t.Log("pdftoppm or zbarimg not installed: the QR was not scanned")
		return ""
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "c.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(render, "-r", "200", "-png", path, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "p*.png"))
	if len(pages) == 0 {
		t.Fatal("pdftoppm made no page")
	}
	out, err := exec.Command(scan, "-q", "--raw", pages[len(pages)-1]).Output()
	if err != nil {
		t.Fatalf("zbarimg found no QR code: %v", err)
	}
	return strings.TrimSpace(string(out))
}

var _ = cmp.Diff
var _ = apperr.Is

// TestIssueWithHolderRead checks that an order carrying the holder the
// caller read issues the same certificate as one naming the fiscal code
// only, and that a holder that is not the order's (another person, or the
// same fiscal code in another ente) is not trusted: Issue reads the one
// the fiscal code names.
func TestIssueWithHolderRead(t *testing.T) {
	f := setup(t)
	sofia := f.persons[cfSofia]
	other := *sofia
	other.Ente, other.ID = f.avio.ID, sofia.ID+1000
	for _, tc := range []struct {
		name   string
		holder *registry.Person
	}{
		{"none", nil},
		{"the holder", sofia},
		{"another person", f.persons[cfGiusi]},
		{"another ente's", &other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := f.online(cfSofia, certificate.Residence, certificate.Family)
			o.Exemption = 7
			o.Holder = tc.holder
			res, err := f.issuer.Issue(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			v := certificate.Verify(res.PDF, f.keys(t))
			if !v.OK() || v.Payload.FiscalCode != cfSofia || res.Certificate.Person != sofia.ID {
				t.Errorf("certificate of person %d, payload %+v; want Sofia's (%d)", res.Certificate.Person, v.Payload, sofia.ID)
			}
		})
	}
}
