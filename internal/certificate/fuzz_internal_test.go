package certificate

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/registry"
	"github.com/sportello/sportello/internal/tenant"
)

// testKey is a sealing key made in memory, for tests without a database.
func testKey(t testing.TB) (*SigningKey, []PublicKey) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Comune di Prova"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<33, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &SigningKey{ID: 1, Private: priv, Certificate: cert}, []PublicKey{{ID: 1, Certificate: cert}}
}

// testPDF renders and signs a certificate without a database.
func testPDF(t testing.TB, key *SigningKey) []byte {
	t.Helper()
	holder := &registry.Person{ID: 1, FiscalCode: "TMSMRC79E03H612A", Surname: "Tomasi", Name: "Marco", Sex: "M",
		BirthDate: calendar.D(1979, 5, 3), BirthPlace: "H612", Relationship: registry.Head, Status: registry.Resident,
		CivilStatus: registry.Married, Citizenship: "ITA"}
	h := &registry.Household{ID: 1, Address: registry.Address{Street: "Via Nuova", HouseNumber: "22"}, Members: []*registry.Person{holder}}
	e := &tenant.Ente{Name: "Comune di Ala", IstatCode: "022001", Province: "TN"}
	a, _, err := render(&Data{Ente: e, Kinds: Kinds{Residence, Family}, Holder: holder, Household: h, Channel: Desk,
		Issued: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), ValidUntil: calendar.D(2027, 5, 26),
		Stamp: Stamp{Cents: 1600, ID: "01234567890123"}, FeeCents: 52, Code: "7R65-HNEX-7XE9-EN85",
		VerifyURL: "https://ala.example/verifica"}, key)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := a.sign(key.Private, key.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

func FuzzVerify(f *testing.F) {
	key, keys := testKey(f)
	orig := testPDF(f, key)
	if v := Verify(orig, keys); !v.OK() {
		f.Fatalf("the original does not verify: %v", v.Problems)
	}
	contents := bytes.Index(orig, []byte("/Contents <")) + len("/Contents <")
	f.Add(0, byte('x'))
	f.Add(700, byte('7'))
	f.Add(contents+5, byte('f'))
	f.Add(len(orig)-3, byte('F'))
	f.Fuzz(func(t *testing.T, at int, b byte) {
		if at < 0 {
			at = -at
		}
		pdf := bytes.Clone(orig)
		i := at % len(pdf)
		if pdf[i] == b {
			return
		}
		pdf[i] = b
		v := Verify(pdf, keys)
		// Only the unsigned zero padding after the CMS may change.
		if v.OK() && (i < contents || i >= bytes.IndexByte(orig[contents:], '>')+contents) {
			t.Errorf("a file with byte %d changed verified", i)
		}
		if !v.OK() && len(v.Problems) == 0 {
			t.Error("a failed verification without a reason")
		}
	})
}

func FuzzParseCMS(f *testing.F) {
	key, _ := testKey(f)
	pdf := testPDF(f, key)
	sig, err := findSignature(pdf)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sig.contents)
	f.Add([]byte{0x30, 0x03, 0x06, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := parseCMS(der)
		if err == nil && (c.cert == nil || c.messageDigest == nil) {
			t.Error("parsed without a certificate or a digest")
		}
	})
}

func BenchmarkRenderSign(b *testing.B) {
	key, _ := testKey(b)
	for b.Loop() {
		testPDF(b, key)
	}
}

func BenchmarkVerify(b *testing.B) {
	key, keys := testKey(b)
	pdf := testPDF(b, key)
	for b.Loop() {
		if !Verify(pdf, keys).OK() {
			b.Fatal("does not verify")
		}
	}
}

func FuzzParsers(f *testing.F) {
	_, keys := testKey(f)
	doc, err := json.Marshal(NewKeysDocument(&tenant.Ente{Name: "Comune di Prova", IstatCode: "022001"}, keys))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("8+12", "7r65-hnex-7xe9-en85", string(doc))
	f.Add("13+12", "OIL0 0000 0000 0000", `{"keys":[{"id":1,"alg":"ES256","certificate":"AAAA"}]}`)
	f.Fuzz(func(t *testing.T, kinds, code, keysDoc string) {
		if ks, err := ParseKinds(kinds); err == nil {
			again, err := ParseKinds(ks.String())
			if err != nil || again.String() != ks.String() {
				t.Errorf("ParseKinds(%q) = %s does not round-trip", kinds, ks)
			}
		}
		if c, ok := NormalizeCode(code); ok {
			if again, ok := NormalizeCode(c); !ok || again != c {
				t.Errorf("NormalizeCode(%q) = %q is not stable", code, c)
			}
		}
		if _, ks, err := ParseKeysDocument([]byte(keysDoc)); err == nil {
			for _, k := range ks {
				if k.Certificate == nil {
					t.Error("a parsed key without its certificate")
				}
			}
		}
	})
}
