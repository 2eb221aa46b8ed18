package spididp_test

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/sim/spididp"
)

// loggedIn logs the first demo person in and returns the assertion's
// NameID and SessionIndex, which logout messages name.
func loggedIn(t *testing.T, ti *testIdP, sp *testSP, id string) (nameID, sessionIndex string) {
	t.Helper()
	got := ti.choose(t, ti.startRedirect(t, sp, sp.authnRequest(ti.Base+"/sso", id), ""), nil)
	raw, _ := base64.StdEncoding.DecodeString(got.Value)
	var r xmlResponse
	if err := xml.Unmarshal(raw, &r); err != nil || len(r.Assertions) != 1 {
		t.Fatalf("login response: %v", err)
	}
	return r.Assertions[0].Subject.NameID.Value, r.Assertions[0].Authn.SessionIndex
}

// logoutRequest is the SP's LogoutRequest for a session.
func logoutRequest(sp *testSP, ti *testIdP, id, nameID, sessionIndex string) *etree.Element {
	req := etree.NewElement("samlp:LogoutRequest")
	req.CreateAttr("xmlns:samlp", nsSAMLP)
	req.CreateAttr("xmlns:saml", nsSAML)
	req.CreateAttr("ID", id)
	req.CreateAttr("Version", "2.0")
	req.CreateAttr("IssueInstant", testNow.Format(time.RFC3339))
	req.CreateAttr("Destination", ti.Base+"/slo")
	is := req.CreateElement("saml:Issuer")
	is.CreateAttr("Format", fmtEntity)
	is.CreateAttr("NameQualifier", sp.EntityID)
	is.SetText(sp.EntityID)
	nid := req.CreateElement("saml:NameID")
	nid.CreateAttr("Format", fmtTransient)
	nid.CreateAttr("NameQualifier", ti.Base)
	nid.SetText(nameID)
	req.CreateElement("samlp:SessionIndex").SetText(sessionIndex)
	return req
}

// xmlLogout is the part of a logout message the tests read.
type xmlLogout struct {
	XMLName      xml.Name
	ID           string `xml:"ID,attr"`
	InResponseTo string `xml:"InResponseTo,attr"`
	Destination  string `xml:"Destination,attr"`
	Issuer       string `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	NameID       struct {
		Value         string `xml:",chardata"`
		Format        string `xml:"Format,attr"`
		NameQualifier string `xml:"NameQualifier,attr"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion NameID"`
	SessionIndex string `xml:"urn:oasis:names:tc:SAML:2.0:protocol SessionIndex"`
	Status       struct {
		Value string `xml:"Value,attr"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:protocol Status>StatusCode"`
	Signature string
}

// readLogout decodes a posted logout message and checks its signature.
func readLogout(t *testing.T, value string, ti *testIdP) xmlLogout {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		t.Fatal(err)
	}
	var m xmlLogout
	if err := xml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	m.Signature = sigState(t, doc.Root(), ti.Certificate())
	m.ID = ""
	return m
}

func sessionsListed(t *testing.T, ti *testIdP) int {
	t.Helper()
	p := fetch(t, http.MethodGet, ti.Base+"/sessions", nil)
	if p.Status != http.StatusOK {
		t.Fatalf("sessions page: status %d", p.Status)
	}
	return p.Doc.Find(`form[action="logout"]`).Length()
}

func TestSPInitiatedLogout(t *testing.T) {
	sp := newTestSP(t)
	ti := newTestIdP(t, spididp.Config{})
	for _, binding := range []string{"redirect", "post"} {
		t.Run(binding, func(t *testing.T) {
			nameID, index := loggedIn(t, ti, sp, "_login-"+binding)
			if n := sessionsListed(t, ti); n != 1 {
				t.Fatalf("%d sessions listed after login, want 1", n)
			}
			lr := logoutRequest(sp, ti, "_logout-"+binding, nameID, index)
			var p page
			if binding == "redirect" {
				p = fetch(t, http.MethodGet, ti.Base+"/slo?"+sp.redirectQuery("SAMLRequest", lr, "back"), nil)
			} else {
				p = fetch(t, http.MethodPost, ti.Base+"/slo", sp.postForm("SAMLRequest", lr, "back"))
			}
			if p.Status != http.StatusOK {
				t.Fatalf("status %d:\n%s", p.Status, p.Body)
			}
			got := autoPost(t, p)
			if got.Action != sp.SLO || got.Field != "SAMLResponse" || got.RelayState != "back" {
				t.Errorf("posted %s to %q with RelayState %q", got.Field, got.Action, got.RelayState)
			}
			want := xmlLogout{
				XMLName: xml.Name{Space: nsSAMLP, Local: "LogoutResponse"}, InResponseTo: "_logout-" + binding,
				Destination: sp.SLO, Issuer: ti.Base, Signature: "idp",
			}
			want.Status.Value = statusSuccess
			if diff := cmp.Diff(want, readLogout(t, got.Value, ti)); diff != "" {
				t.Errorf("LogoutResponse mismatch (-want +got):\n%s", diff)
			}
			if n := sessionsListed(t, ti); n != 0 {
				t.Errorf("%d sessions listed after logout, want 0", n)
			}
		})
	}
}

func TestBadLogoutRequests(t *testing.T) {
	sp := newTestSP(t)
	ti := newTestIdP(t, spididp.Config{})
	nameID, index := loggedIn(t, ti, sp, "_login")
	tests := []struct {
		name   string
		send   func(lr *etree.Element) page
		status int
		code   string
	}{
		{"unsigned POST", func(lr *etree.Element) page {
			return fetch(t, http.MethodPost, ti.Base+"/slo", url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(xmlBytes(t, lr))}})
		}, 403, "nr07"},
		{"wrong Destination", func(lr *etree.Element) page {
			lr.CreateAttr("Destination", ti.Base+"/sso")
			return fetch(t, http.MethodGet, ti.Base+"/slo?"+sp.redirectQuery("SAMLRequest", lr, ""), nil)
		}, 400, "nr14"},
		{"NameID of another IdP", func(lr *etree.Element) page {
			lr.SelectElement("NameID").CreateAttr("NameQualifier", "https://other.example.org")
			return fetch(t, http.MethodPost, ti.Base+"/slo", sp.postForm("SAMLRequest", lr, ""))
		}, 400, "nr08"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.send(logoutRequest(sp, ti, "_logout", nameID, index))
			if p.Status != tc.status || !strings.Contains(p.Body, "ErrorCode "+tc.code) {
				t.Errorf("status %d, want %d with %s:\n%s", p.Status, tc.status, tc.code, p.Body)
			}
		})
	}
	if n := sessionsListed(t, ti); n != 1 {
		t.Errorf("%d sessions after refused logouts, want 1", n)
	}
}

func TestIdPInitiatedLogout(t *testing.T) {
	sp := newTestSP(t)
	ti := newTestIdP(t, spididp.Config{})
	nameID, index := loggedIn(t, ti, sp, "_login")

	sessions := fetch(t, http.MethodGet, ti.Base+"/sessions", nil)
	if !strings.Contains(sessions.Doc.Find("table").First().Text(), "Giuseppina Zandonai") {
		t.Errorf("sessions page does not name the person")
	}
	_, values := formOf(t, sessions.Doc, `form[action="logout"]`)
	p := fetch(t, http.MethodPost, ti.Base+"/logout", values)
	if p.Status != http.StatusOK {
		t.Fatalf("status %d:\n%s", p.Status, p.Body)
	}
	got := autoPost(t, p)
	if got.Action != sp.SLO || got.Field != "SAMLRequest" {
		t.Fatalf("posted %s to %q", got.Field, got.Action)
	}
	lr := readLogout(t, got.Value, ti)
	want := xmlLogout{
		XMLName: xml.Name{Space: nsSAMLP, Local: "LogoutRequest"}, Destination: sp.SLO, Issuer: ti.Base,
		SessionIndex: index, Signature: "idp",
	}
	want.NameID.Value, want.NameID.Format, want.NameID.NameQualifier = nameID, fmtTransient, ti.Base
	if diff := cmp.Diff(want, lr); diff != "" {
		t.Errorf("LogoutRequest mismatch (-want +got):\n%s", diff)
	}

	// The SP answers; the IdP reports the outcome.
	resp := etree.NewElement("samlp:LogoutResponse")
	resp.CreateAttr("xmlns:samlp", nsSAMLP)
	resp.CreateAttr("xmlns:saml", nsSAML)
	resp.CreateAttr("ID", "_answer")
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", testNow.Format(time.RFC3339))
	resp.CreateAttr("InResponseTo", readLogoutID(t, got.Value))
	resp.CreateAttr("Destination", ti.Base+"/slo")
	is := resp.CreateElement("saml:Issuer")
	is.CreateAttr("Format", fmtEntity)
	is.SetText(sp.EntityID)
	resp.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", statusSuccess)
	done := fetch(t, http.MethodGet, ti.Base+"/slo?"+sp.redirectQuery("SAMLResponse", resp, ""), nil)
	if done.Status != http.StatusOK || !strings.Contains(done.Doc.Find("main").Text(), "ha confermato la disconnessione") {
		t.Errorf("logout outcome: status %d:\n%s", done.Status, done.Body)
	}
	again := fetch(t, http.MethodGet, ti.Base+"/slo?"+sp.redirectQuery("SAMLResponse", resp, ""), nil)
	if again.Status != http.StatusConflict {
		t.Errorf("a second LogoutResponse: status %d, want 409", again.Status)
	}
	if n := sessionsListed(t, ti); n != 0 {
		t.Errorf("%d sessions after IdP-initiated logout, want 0", n)
	}
}

// readLogoutID returns the ID of a posted logout message.
func readLogoutID(t *testing.T, value string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		t.Fatal(err)
	}
	var m xmlLogout
	if err := xml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// redirected reads a signed HTTP-Redirect message the IdP sent to the SP:
// it checks the query signature with the IdP certificate and returns the
// inflated XML.
func redirected(t *testing.T, p page, sp *testSP, ti *testIdP, field string) []byte {
	t.Helper()
	if p.Status != http.StatusFound {
		t.Fatalf("status %d, want 302:\n%s", p.Status, p.Body)
	}
	loc := p.Header.Get("Location")
	target, query, _ := strings.Cut(loc, "?")
	if target != sp.SLO {
		t.Fatalf("redirected to %q, want %q", target, sp.SLO)
	}
	signed, sig, ok := strings.Cut(query, "&Signature=")
	if !ok || !strings.HasPrefix(signed, field+"=") || !strings.HasSuffix(signed, "&SigAlg="+url.QueryEscape(rsaSHA256)) {
		t.Fatalf("query %q is not field…&SigAlg=rsa-sha256&Signature=…", query)
	}
	sigBytes, err := base64.StdEncoding.DecodeString(mustUnescape(t, sig))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(signed))
	if err := rsa.VerifyPKCS1v15(ti.Certificate().PublicKey.(*rsa.PublicKey), crypto.SHA256, h[:], sigBytes); err != nil {
		t.Fatalf("query signature: %v", err)
	}
	v, _ := url.ParseQuery(query)
	deflated, err := base64.StdEncoding.DecodeString(v.Get(field))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(flate.NewReader(bytes.NewReader(deflated)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "Signature") {
		t.Errorf("a Redirect message carries its signature in the query only")
	}
	return b
}

func mustUnescape(t *testing.T, s string) string {
	t.Helper()
	u, err := url.QueryUnescape(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestLogoutByRedirectWhenTheSPHasNoPostSLO(t *testing.T) {
	sp := newTestSP(t)
	sp.redirectSLOOnly = true
	ti := newTestIdP(t, spididp.Config{})

	nameID, index := loggedIn(t, ti, sp, "_login1")
	p := fetch(t, http.MethodGet, ti.Base+"/slo?"+sp.redirectQuery("SAMLRequest", logoutRequest(sp, ti, "_out", nameID, index), "rs"), nil)
	var resp xmlLogout
	if err := xml.Unmarshal(redirected(t, p, sp, ti, "SAMLResponse"), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.XMLName.Local != "LogoutResponse" || resp.InResponseTo != "_out" || resp.Status.Value != statusSuccess {
		t.Errorf("LogoutResponse %+v", resp)
	}
	if !strings.Contains(p.Header.Get("Location"), "&RelayState=rs&") {
		t.Errorf("RelayState not returned: %s", p.Header.Get("Location"))
	}

	nameID, index = loggedIn(t, ti, sp, "_login2")
	_, values := formOf(t, fetch(t, http.MethodGet, ti.Base+"/sessions", nil).Doc, `form[action="logout"]`)
	var req xmlLogout
	if err := xml.Unmarshal(redirected(t, fetch(t, http.MethodPost, ti.Base+"/logout", values), sp, ti, "SAMLRequest"), &req); err != nil {
		t.Fatal(err)
	}
	if req.XMLName.Local != "LogoutRequest" || req.NameID.Value != nameID || req.SessionIndex != index || req.Destination != sp.SLO {
		t.Errorf("LogoutRequest %+v", req)
	}
}
