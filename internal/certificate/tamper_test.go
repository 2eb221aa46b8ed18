package certificate_test

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/certificate"
)

func TestVerifyTampered(t *testing.T) {
	f := setup(t)
	o := f.online(cfMarco, certificate.Residence, certificate.FamilyRelations)
	o.Exemption = 3
	res, err := f.issuer.Issue(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	keys := f.keys(t)
	orig := res.PDF
	replace := func(old, new string) func([]byte) []byte {
		return func(b []byte) []byte {
			if !bytes.Contains(b, []byte(old)) {
				t.Fatalf("the file has no %q", old)
			}
			return bytes.Replace(bytes.Clone(b), []byte(old), []byte(new), 1)
		}
	}
	tests := []struct {
		name     string
		tamper   func([]byte) []byte
		changed  []string
		appended bool
		problems []string
	}{
		{"a name in the text", replace("(Pederzolli Chiara)", "(Pederzolli Chiora)"),
			[]string{"testo della pagina 1"}, false, []string{"Il contenuto firmato è stato modificato."}},
		{"the title", replace("/Title (Certificato", "/Title (Certificata"),
			[]string{"metadati e contrassegno"}, false, []string{"Il contenuto firmato è stato modificato."}},
		{"the fonts", replace("/BaseFont /Helvetica-Bold", "/BaseFont /Helvetica-Oblq"),
			[]string{"caratteri"}, false, []string{"Il contenuto firmato è stato modificato."}},
		{"an incremental update", func(b []byte) []byte {
			return append(bytes.Clone(b), []byte("9 0 obj\n<< /Length 0 >>\nstream\n\nendstream\nendobj\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 10 >>\n%%EOF\n")...)
		}, []string{"testo della pagina 1"}, true, []string{"Dopo la firma sono state aggiunte modifiche al file."}},
		{"the signature's bytes", func(b []byte) []byte {
			i := bytes.Index(b, []byte("/Contents <")) + len("/Contents <") + 200
			c := bytes.Clone(b)
			c[i] = map[bool]byte{true: '1', false: '0'}[c[i] == '0']
			return c
		}, nil, false, []string{"La firma del file non è leggibile."}},
		{"no signature", replace("/ByteRange", "/ByteRangX"), nil, false,
			[]string{"Il file non contiene una firma leggibile: non è un certificato originale o è stato modificato."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := certificate.Verify(tc.tamper(orig), keys)
			if v.OK() {
				t.Fatal("a tampered file verified")
			}
			if diff := cmp.Diff(tc.changed, v.Changed); diff != "" {
				t.Errorf("changed parts mismatch (-want +got):\n%s", diff)
			}
			if v.Appended != tc.appended {
				t.Errorf("appended = %v", v.Appended)
			}
			if diff := cmp.Diff(tc.problems, v.Problems); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// The untouched file still verifies.
	if v := certificate.Verify(orig, keys); !v.OK() {
		t.Errorf("the original: %+v", v)
	}
}

func TestVerifyRotatedKey(t *testing.T) {
	f := setup(t)
	o := f.online(cfMarco, certificate.Residence)
	o.Exemption = 3
	first, err := f.issuer.Issue(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.issuer.Keys.Rotate(ctx, f.d, f.ala, now); err != nil {
		t.Fatal(err)
	}
	second, err := f.issuer.Issue(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := certificate.Published(ctx, f.d, f.ala.ID)
	if err != nil || len(keys) != 2 {
		t.Fatalf("published %d keys, %v", len(keys), err)
	}
	for i, r := range []*certificate.Result{first, second} {
		v := certificate.Verify(r.PDF, keys)
		if !v.OK() || v.KeyID != r.Certificate.KeyID {
			t.Errorf("certificate %d: %+v", i, v)
		}
	}
	if first.Certificate.KeyID == second.Certificate.KeyID {
		t.Error("the rotation did not change the key")
	}
}

func FuzzParsePayload(f *testing.F) {
	f.Add("SPC1.022001.7R65HNEX7XE9EN85.20261126.20270526.8-12.TMSSFO07C70H612C.AAAAAAAAAAAAAAAAAAAAAA.1." + string(bytes.Repeat([]byte("A"), 86)))
	f.Add("SPC1........")
	f.Fuzz(func(t *testing.T, s string) {
		p, body, sig, err := certificate.ParsePayload(s)
		if err != nil {
			return
		}
		if len(sig) != 64 || p.Code == "" || body == "" {
			t.Errorf("parsed %q into %+v", s, p)
		}
	})
}
