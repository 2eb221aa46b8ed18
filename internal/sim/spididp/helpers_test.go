package spididp_test

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

func xmlBytes(t testing.TB, el *etree.Element) []byte {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signedQuery is the HTTP-Redirect binding: base64 of raw DEFLATE, and an
// RSA-SHA256 signature over "field=…&RelayState=…&SigAlg=…".
func signedQuery(t testing.TB, field string, el *etree.Element, relay string, key *rsa.PrivateKey) string {
	t.Helper()
	return signedQueryBytes(t, field, xmlBytes(t, el), relay, key)
}

func signedQueryBytes(t testing.TB, field string, msg []byte, relay string, key *rsa.PrivateKey) string {
	t.Helper()
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	_, _ = w.Write(msg)
	_ = w.Close()
	q := field + "=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes()))
	if relay != "" {
		q += "&RelayState=" + url.QueryEscape(relay)
	}
	q += "&SigAlg=" + url.QueryEscape(rsaSHA256)
	h := crypto.SHA256.New()
	h.Write([]byte(q))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return q + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
}

// page is a fetched HTML page.
type page struct {
	Status int
	Body   string
	Doc    *goquery.Document
	Header http.Header
}

func fetch(t testing.TB, method, u string, form url.Values) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return page{Status: res.StatusCode, Body: string(b), Doc: doc, Header: res.Header}
}

// formOf reads a form's action and fields as a browser would submit them
// (checked radios only, and the named submit button).
func formOf(t testing.TB, doc *goquery.Document, sel string) (action string, values url.Values) {
	t.Helper()
	f := doc.Find(sel).First()
	if f.Length() == 0 {
		t.Fatalf("no %s in the page", sel)
	}
	action, _ = f.Attr("action")
	values = url.Values{}
	f.Find("input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		v, _ := s.Attr("value")
		typ, _ := s.Attr("type")
		if typ == "radio" {
			if _, on := s.Attr("checked"); !on {
				return
			}
		}
		values.Set(name, v)
	})
	return action, values
}

// spPost is what the IdP's page posts to the SP.
type spPost struct {
	Action, Field, Value, RelayState string
}

// startRedirect sends an AuthnRequest by HTTP-Redirect and returns the page.
func (ti *testIdP) startRedirect(t testing.TB, sp *testSP, req *etree.Element, relay string) page {
	t.Helper()
	return fetch(t, http.MethodGet, ti.Base+"/sso?"+sp.redirectQuery("SAMLRequest", req, relay), nil)
}

// startPost sends an AuthnRequest by HTTP-POST and returns the page.
func (ti *testIdP) startPost(t testing.TB, sp *testSP, req *etree.Element, relay string) page {
	t.Helper()
	return fetch(t, http.MethodPost, ti.Base+"/sso", sp.postForm("SAMLRequest", req, relay))
}

// choose submits the login page with some fields changed and returns the
// form the browser then posts to the SP.
func (ti *testIdP) choose(t testing.TB, login page, change url.Values) spPost {
	t.Helper()
	if login.Status != http.StatusOK {
		t.Fatalf("login page status %d:\n%s", login.Status, login.Body)
	}
	action, values := formOf(t, login.Doc, `form[action="login"]`)
	if action != "login" {
		t.Fatalf("login form action %q", action)
	}
	values.Set("action", "accedi")
	for k, v := range change {
		values[k] = v
	}
	p := fetch(t, http.MethodPost, ti.Base+"/login", values)
	if p.Status != http.StatusOK {
		t.Fatalf("login submit status %d:\n%s", p.Status, p.Body)
	}
	return autoPost(t, p)
}

// autoPost reads the auto-submitted form of a post page.
func autoPost(t testing.TB, p page) spPost {
	t.Helper()
	f := p.Doc.Find("form[data-auto-submit]")
	if f.Length() != 1 {
		t.Fatalf("no auto-submit form:\n%s", p.Body)
	}
	if p.Doc.Find(`script[src="static/sim.js"]`).Length() != 1 {
		t.Errorf("post page lacks the external auto-submit script")
	}
	if strings.TrimSpace(f.Find(`button[type="submit"]`).Text()) != "Continua" {
		t.Errorf("post page lacks a visible Continua button")
	}
	action, values := formOf(t, p.Doc, "form[data-auto-submit]")
	out := spPost{Action: action, RelayState: values.Get("RelayState")}
	for _, field := range []string{"SAMLResponse", "SAMLRequest"} {
		if v := values.Get(field); v != "" {
			out.Field, out.Value = field, v
		}
	}
	return out
}

// sigState tells how an element is signed: by the IdP, by some other key,
// or not at all; and whether the signature is SPID-shaped.
func sigState(t testing.TB, el *etree.Element, idp *x509.Certificate) string {
	t.Helper()
	sig := el.SelectElement("Signature")
	if sig == nil {
		return "none"
	}
	if alg := sig.FindElement("./SignedInfo/SignatureMethod").SelectAttrValue("Algorithm", ""); alg != rsaSHA256 {
		return "algorithm " + alg
	}
	if c14n := sig.FindElement("./SignedInfo/CanonicalizationMethod").SelectAttrValue("Algorithm", ""); c14n != "http://www.w3.org/2001/10/xml-exc-c14n#" {
		return "c14n " + c14n
	}
	if uri := sig.FindElement("./SignedInfo/Reference").SelectAttrValue("URI", ""); uri != "#"+el.SelectAttrValue("ID", "") {
		return "reference " + uri
	}
	if validates(el, idp) {
		return "idp"
	}
	der, err := base64.StdEncoding.DecodeString(sig.FindElement(".//X509Certificate").Text())
	if err != nil {
		return "bad KeyInfo"
	}
	own, err := x509.ParseCertificate(der)
	if err != nil {
		return "bad KeyInfo"
	}
	if validates(el, own) {
		return "foreign"
	}
	return "invalid"
}

func validates(el *etree.Element, cert *x509.Certificate) bool {
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	ctx.IdAttribute = "ID"
	ctx.Clock = dsig.NewFakeClockAt(testNow)
	_, err := ctx.Validate(el)
	return err == nil
}

// xmlResponse is the part of a Response the tests read.
type xmlResponse struct {
	ID           string `xml:"ID,attr"`
	Version      string `xml:"Version,attr"`
	IssueInstant string `xml:"IssueInstant,attr"`
	InResponseTo string `xml:"InResponseTo,attr"`
	Destination  string `xml:"Destination,attr"`
	Issuer       struct {
		Value  string `xml:",chardata"`
		Format string `xml:"Format,attr"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	Status struct {
		Code struct {
			Value string `xml:"Value,attr"`
			Sub   struct {
				Value string `xml:"Value,attr"`
			} `xml:"urn:oasis:names:tc:SAML:2.0:protocol StatusCode"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:protocol StatusCode"`
		Message string `xml:"urn:oasis:names:tc:SAML:2.0:protocol StatusMessage"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:protocol Status"`
	Assertions []xmlAssertion `xml:"urn:oasis:names:tc:SAML:2.0:assertion Assertion"`
}

type xmlAssertion struct {
	ID           string `xml:"ID,attr"`
	Version      string `xml:"Version,attr"`
	IssueInstant string `xml:"IssueInstant,attr"`
	Issuer       struct {
		Value  string `xml:",chardata"`
		Format string `xml:"Format,attr"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	Subject struct {
		NameID struct {
			Value         string `xml:",chardata"`
			Format        string `xml:"Format,attr"`
			NameQualifier string `xml:"NameQualifier,attr"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:assertion NameID"`
		Confirmation struct {
			Method string `xml:"Method,attr"`
			Data   struct {
				InResponseTo string `xml:"InResponseTo,attr"`
				NotOnOrAfter string `xml:"NotOnOrAfter,attr"`
				Recipient    string `xml:"Recipient,attr"`
			} `xml:"urn:oasis:names:tc:SAML:2.0:assertion SubjectConfirmationData"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:assertion SubjectConfirmation"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Subject"`
	Conditions struct {
		NotBefore    string   `xml:"NotBefore,attr"`
		NotOnOrAfter string   `xml:"NotOnOrAfter,attr"`
		Audience     []string `xml:"urn:oasis:names:tc:SAML:2.0:assertion AudienceRestriction>Audience"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Conditions"`
	Authn struct {
		SessionIndex string `xml:"SessionIndex,attr"`
		ClassRef     string `xml:"urn:oasis:names:tc:SAML:2.0:assertion AuthnContext>AuthnContextClassRef"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion AuthnStatement"`
	Attributes []struct {
		Name       string `xml:"Name,attr"`
		NameFormat string `xml:"NameFormat,attr"`
		Values     []struct {
			Type  string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
			Value string `xml:",chardata"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:assertion AttributeValue"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion AttributeStatement>Attribute"`
}

// offset turns a SAML time into its distance from testNow ("-" for absent
// or malformed), so that summaries compare without real timestamps.
func offset(s string) string {
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil || !strings.HasSuffix(s, "Z") {
		return "-"
	}
	return tm.Sub(testNow).String()
}

// summary is everything the SP checks in a Response, made comparable:
// IDs become "request", "other" or "set", times become offsets from now.
type summary struct {
	ResponseSig, AssertionSig             string
	Version, Destination, IssueInstant    string
	InResponseTo, Issuer, IssuerFormat    string
	Status, SubStatus, StatusMessage      string
	Assertions                            int
	AssertionVersion, AssertionIssued     string
	AssertionIssuer, AssertionIssuerFmt   string
	NameID, NameIDFormat, NameQualifier   string
	Method, Recipient, ConfirmInResponse  string
	ConfirmUntil, NotBefore, NotOnOrAfter string
	Audience                              []string
	ClassRef, SessionIndex                string
	Attributes                            map[string]string
}

// summarise checks the signatures with the IdP certificate and reads the
// rest of the Response.
func summarise(t testing.TB, value, requestID string, idp *x509.Certificate) summary {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	var r xmlResponse
	if err := xml.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	id := func(s string) string {
		switch s {
		case "":
			return ""
		case requestID:
			return "request"
		}
		return "other"
	}
	set := func(s string) string {
		if s == "" {
			return ""
		}
		return "set"
	}
	s := summary{
		ResponseSig: sigState(t, doc.Root(), idp), Version: r.Version, Destination: r.Destination,
		IssueInstant: offset(r.IssueInstant), InResponseTo: id(r.InResponseTo),
		Issuer: r.Issuer.Value, IssuerFormat: r.Issuer.Format,
		Status: r.Status.Code.Value, SubStatus: r.Status.Code.Sub.Value, StatusMessage: r.Status.Message,
		Assertions: len(r.Assertions),
	}
	if len(r.Assertions) != 1 {
		return s
	}
	a := r.Assertions[0]
	s.AssertionSig = sigState(t, doc.Root().SelectElement("Assertion"), idp)
	s.AssertionVersion, s.AssertionIssued = a.Version, offset(a.IssueInstant)
	s.AssertionIssuer, s.AssertionIssuerFmt = a.Issuer.Value, a.Issuer.Format
	s.NameID, s.NameIDFormat, s.NameQualifier = set(a.Subject.NameID.Value), a.Subject.NameID.Format, a.Subject.NameID.NameQualifier
	s.Method, s.Recipient = a.Subject.Confirmation.Method, a.Subject.Confirmation.Data.Recipient
	s.ConfirmInResponse, s.ConfirmUntil = id(a.Subject.Confirmation.Data.InResponseTo), offset(a.Subject.Confirmation.Data.NotOnOrAfter)
	s.NotBefore, s.NotOnOrAfter, s.Audience = offset(a.Conditions.NotBefore), offset(a.Conditions.NotOnOrAfter), a.Conditions.Audience
	s.ClassRef, s.SessionIndex = a.Authn.ClassRef, set(a.Authn.SessionIndex)
	if len(a.Attributes) > 0 {
		s.Attributes = map[string]string{}
	}
	for _, at := range a.Attributes {
		if len(at.Values) != 1 || at.NameFormat != "urn:oasis:names:tc:SAML:2.0:attrname-format:basic" {
			t.Errorf("attribute %s: %d values, NameFormat %q", at.Name, len(at.Values), at.NameFormat)
			continue
		}
		s.Attributes[at.Name] = at.Values[0].Type + " " + at.Values[0].Value
	}
	return s
}
