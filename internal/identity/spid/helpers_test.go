package spid

// Test fixtures for incoming messages: keys generated once per test binary
// (none is committed), an SP and an IdP, and a builder of SPID-shaped
// responses signed the way SPID IdPs sign them (RSA-SHA256, SHA-256 digest,
// exclusive c14n, enveloped), with hooks to mutate a response before it is
// signed (to test a check) or after (to test the signature). Every name
// starts with "in" because another suite shares this package.

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// The fixed world of the tests: a request sent 30 s before inNow, a
// response made 5 s before inNow.
var inNow = time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC)

const (
	inIdPEntity = "https://idp.example.it"
	inSPEntity  = "https://comune.example.it/spid"
	inACS       = "https://comune.example.it/spid/acs"
	inSLO       = "https://comune.example.it/spid/slo"
	inRequestID = "_0123456789abcdef0123456789abcdef"
	inCF        = "GDASDV00A01H501J"
)

// inSigner is a key with its self-signed certificate.
type inSigner struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

// inKeySet holds the IdP's two certificates (the second one is the IdP's
// next key, as during a rotation) and an attacker's.
type inKeySet struct {
	idp, idpNext, evil inSigner
}

var (
	inKeysOnce sync.Once
	inKeysVal  *inKeySet
	inSeq      atomic.Int64
)

// inKeys generates the test keys on first use: RSA-2048, like SPID IdPs.
func inKeys(tb testing.TB) *inKeySet {
	tb.Helper()
	inKeysOnce.Do(func() {
		inKeysVal = &inKeySet{
			idp:     inNewSigner("Test IdP"),
			idpNext: inNewSigner("Test IdP next"),
			evil:    inNewSigner("Attacker"),
		}
	})
	return inKeysVal
}

func inNewSigner(cn string) inSigner {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{cn}},
		NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return inSigner{key: key, cert: cert}
}

func inSP() *SP {
	return &SP{EntityID: inSPEntity, ACSURL: inACS, SLOURL: inSLO}
}

func inIdP(tb testing.TB) *IdP {
	k := inKeys(tb)
	return &IdP{
		EntityID:     inIdPEntity,
		Name:         "Test IdP",
		Profile:      SPID,
		Certificates: []*x509.Certificate{k.idp.cert, k.idpNext.cert},
	}
}

func inPending() Pending {
	return Pending{
		ID:         inRequestID,
		IssuedAt:   inNow.Add(-30 * time.Second),
		IdP:        inIdPEntity,
		Level:      L2,
		Comparison: Minimum,
		Profile:    SPID,
	}
}

// inResp is a response being built, with a handle on every element a
// mutation may want.
type inResp struct {
	Response, Issuer, Status, StatusCode                       *etree.Element
	Assertion, AIssuer, Subject, NameID, SC, SCD               *etree.Element
	Conditions, AudienceRestriction, Audience                  *etree.Element
	AuthnStatement, AuthnContext, ClassRef, AttributeStatement *etree.Element
}

// inBuild configures inResponse.
type inBuild struct {
	level           Level
	attrs           [][2]string
	noAssertionSig  bool
	signResponse    bool
	assertionSigner *inSigner
	responseSigner  *inSigner
	withComments    bool
	sha1            bool
	before, after   []func(r *inResp)
	raw             func(xml string) string
}

// Options of inResponse.
func inBefore(f func(r *inResp)) func(*inBuild) {
	return func(b *inBuild) { b.before = append(b.before, f) }
}
func inAfter(f func(r *inResp)) func(*inBuild) {
	return func(b *inBuild) { b.after = append(b.after, f) }
}
func inRaw(f func(string) string) func(*inBuild) { return func(b *inBuild) { b.raw = f } }
func inLevel(l Level) func(*inBuild)             { return func(b *inBuild) { b.level = l } }
func inUnsignedAssertion(b *inBuild)             { b.noAssertionSig = true }
func inSignedResponse(b *inBuild)                { b.signResponse = true }
func inWithComments(b *inBuild)                  { b.withComments = true }
func inAssertionSigner(s inSigner) func(*inBuild) {
	return func(b *inBuild) { b.assertionSigner = &s }
}
func inResponseSigner(s inSigner) func(*inBuild) {
	return func(b *inBuild) { b.responseSigner = &s }
}
func inAttrs(kv ...[2]string) func(*inBuild) { return func(b *inBuild) { b.attrs = kv } }

// inDefaultAttrs are six attributes of a realistic SPID L2 login.
var inDefaultAttrs = [][2]string{
	{"spidCode", "AGID-001"},
	{"name", "Mario"},
	{"familyName", "Rossi"},
	{"fiscalNumber", "TINIT-" + inCF},
	{"email", "mario.rossi@example.it"},
	{"dateOfBirth", "2000-01-01"},
}

// inInstant formats t as IdPs usually do (seconds, "Z").
func inInstant(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// inNewID returns a fresh xs:ID.
func inNewID(prefix string) string { return fmt.Sprintf("_%s%08d", prefix, inSeq.Add(1)) }

// inResponseXML builds the response document and returns it serialized.
func inResponseXML(tb testing.TB, opts ...func(*inBuild)) string {
	tb.Helper()
	k := inKeys(tb)
	b := &inBuild{level: L2, attrs: inDefaultAttrs, assertionSigner: &k.idp, responseSigner: &k.idp}
	for _, o := range opts {
		o(b)
	}
	r := inNewResp(b)
	doc := etree.NewDocument()
	doc.SetRoot(r.Response)
	doc.Indent(2)
	for _, f := range b.before {
		f(r)
	}
	if !b.noAssertionSig && r.Assertion != nil && r.Assertion.Parent() != nil {
		inSign(tb, r.Assertion, *b.assertionSigner, b)
	}
	if b.signResponse {
		inSign(tb, r.Response, *b.responseSigner, b)
	}
	for _, f := range b.after {
		f(r)
	}
	out, err := doc.WriteToString()
	if err != nil {
		tb.Fatal(err)
	}
	if b.raw != nil {
		out = b.raw(out)
	}
	return out
}

// inResponse builds a response and returns it as the ACS receives it.
func inResponse(tb testing.TB, opts ...func(*inBuild)) string {
	tb.Helper()
	return base64.StdEncoding.EncodeToString([]byte(inResponseXML(tb, opts...)))
}

func inNewResp(b *inBuild) *inResp {
	r := &inResp{}
	issued := inInstant(inNow.Add(-5 * time.Second))
	expires := inInstant(inNow.Add(5 * time.Minute))

	r.Response = etree.NewElement("samlp:Response")
	r.Response.CreateAttr("xmlns:samlp", samlpNS)
	r.Response.CreateAttr("xmlns:saml", samlNS)
	r.Response.CreateAttr("ID", inNewID("resp"))
	r.Response.CreateAttr("Version", "2.0")
	r.Response.CreateAttr("IssueInstant", issued)
	r.Response.CreateAttr("InResponseTo", inRequestID)
	r.Response.CreateAttr("Destination", inACS)
	r.Issuer = inIssuer(r.Response)
	r.Status = r.Response.CreateElement("samlp:Status")
	r.StatusCode = r.Status.CreateElement("samlp:StatusCode")
	r.StatusCode.CreateAttr("Value", StatusSuccess)

	a := r.Response.CreateElement("saml:Assertion")
	r.Assertion = a
	a.CreateAttr("xmlns:xs", "http://www.w3.org/2001/XMLSchema")
	a.CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
	a.CreateAttr("ID", inNewID("assert"))
	a.CreateAttr("Version", "2.0")
	a.CreateAttr("IssueInstant", issued)
	r.AIssuer = inIssuer(a)

	r.Subject = a.CreateElement("saml:Subject")
	r.NameID = r.Subject.CreateElement("saml:NameID")
	r.NameID.CreateAttr("Format", NameIDTransient)
	r.NameID.CreateAttr("NameQualifier", inIdPEntity)
	r.NameID.SetText(inNewID("nameid"))
	r.SC = r.Subject.CreateElement("saml:SubjectConfirmation")
	r.SC.CreateAttr("Method", BearerMethod)
	r.SCD = r.SC.CreateElement("saml:SubjectConfirmationData")
	r.SCD.CreateAttr("InResponseTo", inRequestID)
	r.SCD.CreateAttr("NotOnOrAfter", expires)
	r.SCD.CreateAttr("Recipient", inACS)

	r.Conditions = a.CreateElement("saml:Conditions")
	r.Conditions.CreateAttr("NotBefore", issued)
	r.Conditions.CreateAttr("NotOnOrAfter", expires)
	r.AudienceRestriction = r.Conditions.CreateElement("saml:AudienceRestriction")
	r.Audience = r.AudienceRestriction.CreateElement("saml:Audience")
	r.Audience.SetText(inSPEntity)

	r.AuthnStatement = a.CreateElement("saml:AuthnStatement")
	r.AuthnStatement.CreateAttr("AuthnInstant", issued)
	r.AuthnStatement.CreateAttr("SessionIndex", inNewID("session"))
	r.AuthnContext = r.AuthnStatement.CreateElement("saml:AuthnContext")
	r.ClassRef = r.AuthnContext.CreateElement("saml:AuthnContextClassRef")
	r.ClassRef.SetText(b.level.ClassRef())

	r.AttributeStatement = a.CreateElement("saml:AttributeStatement")
	for _, kv := range b.attrs {
		inAddAttr(r.AttributeStatement, kv[0], kv[1], true)
	}
	return r
}

// inAddAttr appends an Attribute shaped like the IdPs' (xs:string value).
func inAddAttr(stmt *etree.Element, name, value string, nameFormat bool) *etree.Element {
	at := stmt.CreateElement("saml:Attribute")
	at.CreateAttr("Name", name)
	if nameFormat {
		at.CreateAttr("NameFormat", "urn:oasis:names:tc:SAML:2.0:attrname-format:basic")
	}
	v := at.CreateElement("saml:AttributeValue")
	v.CreateAttr("xsi:type", "xs:string")
	v.SetText(value)
	return at
}

func inIssuer(parent *etree.Element) *etree.Element {
	iss := parent.CreateElement("saml:Issuer")
	iss.CreateAttr("Format", NameIDEntity)
	iss.SetText(inIdPEntity)
	return iss
}

// inSign adds an enveloped signature to el, right after its Issuer (or
// first), computed over el in its namespace context, as xmlsec does.
func inSign(tb testing.TB, el *etree.Element, s inSigner, b *inBuild) {
	tb.Helper()
	ctx, err := dsig.NewSigningContext(s.key, [][]byte{s.cert.Raw})
	if err != nil {
		tb.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if b != nil && b.withComments {
		ctx.Canonicalizer = dsig.MakeC14N10ExclusiveWithCommentsCanonicalizerWithPrefixList("")
	}
	method := dsig.RSASHA256SignatureMethod
	if b != nil && b.sha1 {
		method = dsig.RSASHA1SignatureMethod
	}
	if err := ctx.SetSignatureMethod(method); err != nil {
		tb.Fatal(err)
	}
	nsCtx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		tb.Fatal(err)
	}
	detached, err := etreeutils.NSDetatch(nsCtx, el)
	if err != nil {
		tb.Fatal(err)
	}
	sig, err := ctx.ConstructSignature(detached, true)
	if err != nil {
		tb.Fatal(err)
	}
	at := 0
	if iss := childrenOf(el, samlNS, "Issuer"); len(iss) > 0 {
		at = iss[0].Index() + 1
	}
	el.InsertChildAt(at, sig)
}

// inSignature returns el's direct Signature child (nil if none).
func inSignature(el *etree.Element) *etree.Element {
	if s := childrenOf(el, dsigNS, "Signature"); len(s) > 0 {
		return s[0]
	}
	return nil
}

// inRemove detaches el from its parent.
func inRemove(el *etree.Element) {
	if p := el.Parent(); p != nil {
		p.RemoveChild(el)
	}
}

// inDelAttr removes attribute key from el.
func inDelAttr(el *etree.Element, key string) { el.RemoveAttr(key) }

// inEmpty removes every child of el.
func inEmpty(el *etree.Element) {
	for _, c := range append([]etree.Token(nil), el.Child...) {
		el.RemoveChild(c)
	}
}

// inRedirectQuery encodes msg for the HTTP-Redirect binding (raw
// DEFLATE, base64, URL-encoding) and returns the part of the query that
// gets signed: "param=…[&RelayState=…]&SigAlg=…".
func inRedirectQuery(tb testing.TB, param string, msg []byte, relay, sigAlg string) string {
	tb.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.DefaultCompression)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write(msg); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	q := param + "=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes()))
	if relay != "" {
		q += "&RelayState=" + url.QueryEscape(relay)
	}
	return q + "&SigAlg=" + url.QueryEscape(sigAlg)
}

// inSignQuery signs the exact bytes of q, as SAML bindings §3.4.4.1 say,
// and appends the Signature parameter.
func inSignQuery(tb testing.TB, q string, s inSigner, hash crypto.Hash) string {
	tb.Helper()
	h := hash.New()
	h.Write([]byte(q))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, hash, h.Sum(nil))
	if err != nil {
		tb.Fatal(err)
	}
	return q + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
}
