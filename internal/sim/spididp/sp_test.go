package spididp_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/sportello/sportello/internal/sim/spididp"
)

// testNow is the fixed clock of every test.
var testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// SAML constants the test SP writes by hand, independently of the package.
const (
	nsSAMLP       = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsSAML        = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsMD          = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDS          = "http://www.w3.org/2000/09/xmldsig#"
	bindingPOST   = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	bindingRedir  = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	fmtEntity     = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
	fmtTransient  = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	rsaSHA256     = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	spidL2        = "https://www.spid.gov.it/SpidL2"
	requestedAttr = "fiscalNumber name familyName email mobilePhone dateOfBirth ivaCode"
)

// keyPair makes an RSA-2048 key and a self-signed certificate valid at
// testNow.
func keyPair(t testing.TB, cn string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.AddDate(1, 0, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// testSP is a minimal SPID service provider written only from the SAML
// specification: signed metadata, signed requests, and nothing else. The
// IdP under test must work with it as with any SP.
type testSP struct {
	t        testing.TB
	srv      *httptest.Server
	key      *rsa.PrivateKey
	cert     *x509.Certificate
	EntityID string
	ACS      string
	ACS1     string
	SLO      string

	mu sync.Mutex
	// metadataHits counts metadata downloads, to observe the IdP's cache.
	metadataHits int
	// redirectSLOOnly lists SLO with the HTTP-Redirect binding only.
	redirectSLOOnly bool
}

// newTestSP starts the SP's server; its metadata is at /metadata, which is
// also its entityID.
func newTestSP(t testing.TB) *testSP {
	t.Helper()
	sp := &testSP{t: t}
	sp.key, sp.cert = keyPair(t, "test SP")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metadata", func(w http.ResponseWriter, r *http.Request) {
		sp.mu.Lock()
		sp.metadataHits++
		sp.mu.Unlock()
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write(sp.metadata())
	})
	sp.srv = httptest.NewServer(mux)
	t.Cleanup(sp.srv.Close)
	sp.EntityID = sp.srv.URL + "/metadata"
	sp.ACS = sp.srv.URL + "/acs"
	sp.ACS1 = sp.srv.URL + "/acs-bis"
	sp.SLO = sp.srv.URL + "/slo"
	return sp
}

// metadata is the SP's signed EntityDescriptor: two HTTP-POST ACS (0 is
// the default), SLO by both bindings, two attribute sets.
func (sp *testSP) metadata() []byte {
	ed := etree.NewElement("md:EntityDescriptor")
	ed.CreateAttr("xmlns:md", nsMD)
	ed.CreateAttr("xmlns:ds", nsDS)
	ed.CreateAttr("ID", "_metadata")
	ed.CreateAttr("entityID", sp.EntityID)
	sso := ed.CreateElement("md:SPSSODescriptor")
	sso.CreateAttr("protocolSupportEnumeration", nsSAMLP)
	sso.CreateAttr("AuthnRequestsSigned", "true")
	sso.CreateAttr("WantAssertionsSigned", "true")
	kd := sso.CreateElement("md:KeyDescriptor")
	kd.CreateAttr("use", "signing")
	kd.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(sp.cert.Raw))
	slo := []string{bindingPOST, bindingRedir}
	if sp.redirectSLOOnly {
		slo = slo[1:]
	}
	for _, b := range slo {
		s := sso.CreateElement("md:SingleLogoutService")
		s.CreateAttr("Binding", b)
		s.CreateAttr("Location", sp.SLO)
	}
	sso.CreateElement("md:NameIDFormat").SetText(fmtTransient)
	for i, loc := range []string{sp.ACS, sp.ACS1} {
		a := sso.CreateElement("md:AssertionConsumerService")
		a.CreateAttr("index", []string{"0", "1"}[i])
		if i == 0 {
			a.CreateAttr("isDefault", "true")
		}
		a.CreateAttr("Binding", bindingPOST)
		a.CreateAttr("Location", loc)
	}
	for i, attrs := range []string{requestedAttr, "fiscalNumber"} {
		acs := sso.CreateElement("md:AttributeConsumingService")
		acs.CreateAttr("index", []string{"0", "1"}[i])
		n := acs.CreateElement("md:ServiceName")
		n.CreateAttr("xml:lang", "it")
		n.SetText("Servizi online")
		for _, a := range strings.Fields(attrs) {
			ra := acs.CreateElement("md:RequestedAttribute")
			ra.CreateAttr("Name", a)
		}
	}
	org := ed.CreateElement("md:Organization")
	for _, tag := range []string{"md:OrganizationName", "md:OrganizationDisplayName", "md:OrganizationURL"} {
		e := org.CreateElement(tag)
		e.CreateAttr("xml:lang", "it")
		e.SetText("Comune di Ala (prova)")
	}
	sp.signEnveloped(ed)
	doc := etree.NewDocument()
	doc.SetRoot(ed)
	b, err := doc.WriteToBytes()
	if err != nil {
		sp.t.Fatal(err)
	}
	return b
}

// signEnveloped signs el with the SP key, the Signature after the Issuer
// (or first), exclusive c14n.
func (sp *testSP) signEnveloped(el *etree.Element) {
	signWith(sp.t, el, sp.key, sp.cert)
}

func signWith(t testing.TB, el *etree.Element, key *rsa.PrivateKey, cert *x509.Certificate) {
	t.Helper()
	ctx, err := dsig.NewSigningContext(key, [][]byte{cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.IdAttribute = "ID"
	sig, err := ctx.ConstructSignature(el.Copy(), true)
	if err != nil {
		t.Fatal(err)
	}
	at := 0
	if is := el.SelectElement("Issuer"); is != nil {
		at = is.Index() + 1
	}
	el.InsertChildAt(at, sig)
}

// authnRequest is a correct SPID AuthnRequest for level 2, ACS index 0
// and attribute set 0, addressed to the IdP's SSO URL.
func (sp *testSP) authnRequest(sso, id string) *etree.Element {
	req := etree.NewElement("samlp:AuthnRequest")
	req.CreateAttr("xmlns:samlp", nsSAMLP)
	req.CreateAttr("xmlns:saml", nsSAML)
	req.CreateAttr("ID", id)
	req.CreateAttr("Version", "2.0")
	req.CreateAttr("IssueInstant", testNow.Add(-10*time.Second).Format("2006-01-02T15:04:05.000Z"))
	req.CreateAttr("Destination", sso)
	req.CreateAttr("ForceAuthn", "true")
	req.CreateAttr("AssertionConsumerServiceIndex", "0")
	req.CreateAttr("AttributeConsumingServiceIndex", "0")
	is := req.CreateElement("saml:Issuer")
	is.CreateAttr("Format", fmtEntity)
	is.CreateAttr("NameQualifier", sp.EntityID)
	is.SetText(sp.EntityID)
	req.CreateElement("samlp:NameIDPolicy").CreateAttr("Format", fmtTransient)
	rac := req.CreateElement("samlp:RequestedAuthnContext")
	rac.CreateAttr("Comparison", "minimum")
	rac.CreateElement("saml:AuthnContextClassRef").SetText(spidL2)
	return req
}

// redirectQuery encodes and signs a message for the HTTP-Redirect binding.
func (sp *testSP) redirectQuery(field string, el *etree.Element, relay string) string {
	return signedQuery(sp.t, field, el, relay, sp.key)
}

// postForm encodes an enveloped-signed message for the HTTP-POST binding.
func (sp *testSP) postForm(field string, el *etree.Element, relay string) url.Values {
	el = el.Copy()
	sp.signEnveloped(el)
	return url.Values{field: {base64.StdEncoding.EncodeToString(xmlBytes(sp.t, el))}, "RelayState": {relay}}
}

// hits returns how many times the metadata was downloaded.
func (sp *testSP) hits() int {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.metadataHits
}

// testIdP is the simulator under test on its own server, mounted at
// /_sim/spid as the host mounts it.
type testIdP struct {
	*spididp.IdP
	srv  *httptest.Server
	Base string
}

func newTestIdP(t testing.TB, cfg spididp.Config) *testIdP {
	t.Helper()
	ti := &testIdP{}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	cfg.BaseURL = func(r *http.Request) string { return "http://" + r.Host + "/_sim/spid" }
	idp, err := spididp.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ti.IdP = idp
	mux := http.NewServeMux()
	h := http.StripPrefix("/_sim/spid", idp)
	mux.Handle("/_sim/spid/", h)
	mux.Handle("/_sim/spid", h)
	ti.srv = httptest.NewServer(mux)
	t.Cleanup(ti.srv.Close)
	ti.Base = ti.srv.URL + "/_sim/spid"
	return ti
}

// client does not follow redirects, so that tests see them.
var client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
