package spid_test

// Fixtures shared by the tests of the outgoing side (requests, logout,
// metadata, registry, key store), and checks that read our own output back
// the way an IdP or a validator would. Keys are generated per test binary;
// none is committed.

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"flag"
	"io"
	"math/big"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/sportello/sportello/internal/identity/spid"
)

// now is the tests' clock: a fixed instant, so that nothing depends on the
// day the suite runs (signature checks use a fake clock set to it).
var now = time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC)

// The "update" flag rewrites golden files. Another test file of the package
// may define it first; then it is shared rather than defined twice.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

const (
	spEntityID = "https://comune.example/spid/metadata"
	idpSSO     = "https://idp.example/sso"
	idpSLO     = "https://idp.example/slo"
)

func testOrg() spid.Organization {
	return spid.Organization{
		Name: "Comune di Esempio", DisplayName: "Comune di Esempio", URL: "https://comune.example/",
		IPACode: "c_x999", Municipality: "X999", Locality: "Esempio",
		Email: "protocollo@comune.example", Phone: "+390461000000",
	}
}

var (
	spKeyOnce sync.Once
	spKey     *rsa.PrivateKey
	spCert    *x509.Certificate
	spKeyErr  error
)

// testSP returns an SP with a real SPID key pair, generated once.
func testSP(t testing.TB) *spid.SP {
	t.Helper()
	spKeyOnce.Do(func() { spKey, spCert, spKeyErr = spid.NewKeyPair(testOrg(), spEntityID, now.Add(-time.Hour)) })
	if spKeyErr != nil {
		t.Fatal(spKeyErr)
	}
	return &spid.SP{
		EntityID: spEntityID, ACSURL: "https://comune.example/spid/acs", SLOURL: "https://comune.example/spid/slo",
		Key: spKey, Certificate: spCert, Organization: testOrg(),
		AttributeSets: []spid.AttributeSet{
			{Index: 0, Name: "Identità", Attributes: []string{"name", "familyName", "fiscalNumber", "dateOfBirth"}},
			{Index: 1, Name: "Contatti", Attributes: []string{"fiscalNumber", "email", "mobilePhone"}},
		},
	}
}

var (
	idpKeyOnce sync.Once
	idpKey     *rsa.PrivateKey
	idpCert    *x509.Certificate
)

// testIdPCert is an IdP's signing certificate (RSA 2048, self-signed).
func testIdPCert(t testing.TB) *x509.Certificate {
	t.Helper()
	idpKeyOnce.Do(func() {
		var err error
		if idpKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Test IdP"},
			NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &idpKey.PublicKey, idpKey)
		if err != nil {
			panic(err)
		}
		if idpCert, err = x509.ParseCertificate(der); err != nil {
			panic(err)
		}
	})
	return idpCert
}

func testIdP(t testing.TB) *spid.IdP {
	return &spid.IdP{
		EntityID: "https://idp.example", Name: "Test IdP", Profile: spid.SPID,
		SSORedirect: idpSSO + "/redirect", SSOPost: idpSSO + "/post",
		SLORedirect: idpSLO + "/redirect", SLOPost: idpSLO + "/post",
		Certificates: []*x509.Certificate{testIdPCert(t)},
	}
}

// parseDoc parses XML we produced; a failure is a bug in the producer.
func parseDoc(t testing.TB, b []byte) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		t.Fatalf("output is not XML: %v\n%s", err, b)
	}
	if doc.Root() == nil {
		t.Fatalf("output has no root element:\n%s", b)
	}
	return doc.Root()
}

// children returns el's child elements with the given local name.
func children(el *etree.Element, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			out = append(out, c)
		}
	}
	return out
}

func attrOf(el *etree.Element, name string) (string, bool) {
	a := el.SelectAttr(name)
	if a == nil {
		return "", false
	}
	return a.Value, true
}

// verifyEnveloped checks an enveloped signature the way an IdP (or
// xmlsec1 in spid-sp-test) does: against the certificate we publish, with
// the algorithms SPID allows, referencing the root's ID, and placed where
// the SAML schema puts it (after Issuer, or first).
func verifyEnveloped(t testing.TB, root *etree.Element, cert *x509.Certificate) {
	t.Helper()
	sigs := children(root, "Signature")
	if len(sigs) != 1 {
		t.Fatalf("%d Signature elements under %s, want 1", len(sigs), root.Tag)
	}
	sig := sigs[0]
	wantIndex := 0
	if first := root.ChildElements()[0]; first.Tag == "Issuer" {
		wantIndex = 1
	}
	if got := indexOf(root, sig); got != wantIndex {
		t.Errorf("Signature is child element %d of %s, want %d", got, root.Tag, wantIndex)
	}
	checks := map[string]string{
		"SignedInfo/CanonicalizationMethod": string(dsig.CanonicalXML10ExclusiveAlgorithmId),
		"SignedInfo/SignatureMethod":        spid.SigAlgRSASHA256,
		"SignedInfo/Reference/DigestMethod": "http://www.w3.org/2001/04/xmlenc#sha256",
	}
	for path, want := range checks {
		el := sig.FindElement("./" + path)
		if el == nil {
			t.Errorf("Signature has no %s", path)
			continue
		}
		if got := el.SelectAttrValue("Algorithm", ""); got != want {
			t.Errorf("%s Algorithm = %q, want %q", path, got, want)
		}
	}
	if ref := sig.FindElement("./SignedInfo/Reference"); ref == nil || ref.SelectAttrValue("URI", "") != "#"+root.SelectAttrValue("ID", "?") {
		t.Errorf("Reference URI does not name the root's ID %q", root.SelectAttrValue("ID", ""))
	}
	if x := sig.FindElement("./KeyInfo/X509Data/X509Certificate"); x == nil || x.Text() != base64.StdEncoding.EncodeToString(cert.Raw) {
		t.Error("KeyInfo does not carry the SP certificate")
	}
	if err := signatureVerifies(root, cert); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
}

// signatureVerifies checks root's enveloped signature with goxmldsig
// against cert only.
func signatureVerifies(root *etree.Element, cert *x509.Certificate) error {
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	vc.Clock = dsig.NewFakeClockAt(now)
	_, err := vc.Validate(root)
	return err
}

// TestTamperingBreaksSignatures makes sure the checks above can fail: a
// changed attribute or text in a signed message must not verify.
func TestTamperingBreaksSignatures(t *testing.T) {
	sp, idp := testSP(t), testIdP(t)
	out, _, err := sp.AuthnRequest(idp, spid.RequestOptions{
		Level: spid.L2, Comparison: spid.Minimum, Binding: spid.HTTPPost, RelayState: "x", ReturnTo: "/",
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	md, err := sp.Metadata(spid.SPID, now)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		xml    []byte
		tamper func(*etree.Element)
	}{
		"request level": {out.XML, func(r *etree.Element) { r.FindElement("//AuthnContextClassRef").SetText(spid.L1.ClassRef()) }},
		"request ACS":   {out.XML, func(r *etree.Element) { r.CreateAttr("AssertionConsumerServiceIndex", "1") }},
		"metadata ACS URL": {md, func(r *etree.Element) {
			r.FindElement("//AssertionConsumerService").CreateAttr("Location", "https://evil.example/")
		}},
		"metadata IPA": {md, func(r *etree.Element) { r.FindElement("//IPACode").SetText("c_h501") }},
	} {
		t.Run(name, func(t *testing.T) {
			root := parseDoc(t, tc.xml)
			if err := signatureVerifies(root, sp.Certificate); err != nil {
				t.Fatalf("untouched message does not verify: %v", err)
			}
			tc.tamper(root)
			if err := signatureVerifies(root, sp.Certificate); err == nil {
				t.Error("tampered message still verifies")
			}
			if err := signatureVerifies(parseDoc(t, tc.xml), testIdPCert(t)); err == nil {
				t.Error("message verifies with another certificate")
			}
		})
	}
}

func indexOf(parent, child *etree.Element) int {
	for i, c := range parent.ChildElements() {
		if c == child {
			return i
		}
	}
	return -1
}

// redirect is a decoded HTTP-Redirect message.
type redirect struct {
	base   string     // URL without the query
	params []string   // parameter names in order
	values url.Values // decoded values
	xml    []byte     // the inflated message
}

// decodeRedirect takes a redirect URL apart and verifies its signature
// with rsa.VerifyPKCS1v15 over the exact string SAML bindings §3.4.4.1
// define, "param=…&RelayState=…&SigAlg=…" as it appears in the URL.
func decodeRedirect(t testing.TB, raw, param string, cert *x509.Certificate) redirect {
	t.Helper()
	base, query, ok := strings.Cut(raw, "?")
	if !ok {
		t.Fatalf("redirect URL %q has no query", raw)
	}
	r := redirect{base: base}
	var signed []string
	var sigB64 string
	for _, part := range strings.Split(query, "&") {
		name, value, _ := strings.Cut(part, "=")
		r.params = append(r.params, name)
		if name == "Signature" {
			sigB64 = value
			continue
		}
		signed = append(signed, part)
	}
	var err error
	if r.values, err = url.ParseQuery(query); err != nil {
		t.Fatalf("query %q: %v", query, err)
	}
	want := []string{param, "RelayState", "SigAlg", "Signature"}
	if r.values.Get("RelayState") == "" {
		want = []string{param, "SigAlg", "Signature"}
	}
	if strings.Join(r.params, ",") != strings.Join(want, ",") {
		t.Errorf("query parameters %v, want %v in this order", r.params, want)
	}
	if got := r.values.Get("SigAlg"); got != spid.SigAlgRSASHA256 {
		t.Errorf("SigAlg = %q", got)
	}
	sigValue, err := url.QueryUnescape(sigB64)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := base64.StdEncoding.DecodeString(sigValue)
	if err != nil {
		t.Fatalf("Signature is not base64: %v", err)
	}
	sum := sha256.Sum256([]byte(strings.Join(signed, "&")))
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("redirect signature does not verify: %v", err)
	}
	deflated, err := base64.StdEncoding.DecodeString(r.values.Get(param))
	if err != nil {
		t.Fatalf("%s is not base64: %v", param, err)
	}
	if r.xml, err = io.ReadAll(flate.NewReader(bytes.NewReader(deflated))); err != nil {
		t.Fatalf("%s is not raw DEFLATE: %v", param, err)
	}
	return r
}
