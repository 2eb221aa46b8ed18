package spididp_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/sim/spididp"
)

// TestBadRequests sends requests that break one rule each and expects the
// error page with the AgID anomaly code; for the anomalies a real IdP
// reports to the SP, the page offers a signed error Response for the ACS.
func TestBadRequests(t *testing.T) {
	sp := newTestSP(t)
	ti := newTestIdP(t, spididp.Config{})
	stranger, strangerCert := keyPair(t, "stranger")
	sso := ti.Base + "/sso"
	setAttr := func(k, v string) func(*etree.Element) {
		return func(r *etree.Element) { r.CreateAttr(k, v) }
	}
	dropAttr := func(k string) func(*etree.Element) {
		return func(r *etree.Element) { r.RemoveAttr(k) }
	}
	child := func(tag string) func(*etree.Element) *etree.Element {
		return func(r *etree.Element) *etree.Element { return r.SelectElement(tag) }
	}
	issuerEl, policy, rac := child("Issuer"), child("NameIDPolicy"), child("RequestedAuthnContext")

	tests := []struct {
		name string
		// query, when set, replaces the whole Redirect query.
		query  func(req *etree.Element) string
		post   bool
		mutate func(req *etree.Element)
		code   string
		status int
	}{
		{name: "redirect without SAMLRequest", query: func(*etree.Element) string { return "RelayState=x" }, code: "nr04", status: 403},
		{name: "redirect not base64", query: func(*etree.Element) string { return "SAMLRequest=%25%25%25" }, code: "nr04", status: 403},
		{name: "redirect unsigned", query: func(req *etree.Element) string {
			q := sp.redirectQuery("SAMLRequest", req, "")
			return q[:strings.Index(q, "&SigAlg=")]
		}, code: "nr05", status: 403},
		{name: "redirect signed by a stranger", query: func(req *etree.Element) string {
			return signedQuery(t, "SAMLRequest", req, "", stranger)
		}, code: "nr05", status: 403},
		{name: "redirect RelayState changed after signing", query: func(req *etree.Element) string {
			return strings.Replace(sp.redirectQuery("SAMLRequest", req, "aaa"), "RelayState=aaa", "RelayState=bbb", 1)
		}, code: "nr05", status: 403},
		{name: "redirect SigAlg rsa-sha1", query: func(req *etree.Element) string {
			return strings.Replace(sp.redirectQuery("SAMLRequest", req, ""), url.QueryEscape(rsaSHA256),
				url.QueryEscape("http://www.w3.org/2000/09/xmldsig#rsa-sha1"), 1)
		}, code: "nr05", status: 403},
		{name: "post unsigned", post: true, mutate: func(req *etree.Element) { req.CreateAttr("unsigned", "1") }, code: "nr07", status: 403},
		{name: "post signed by a stranger", post: true, mutate: func(req *etree.Element) {
			signWith(t, req, stranger, strangerCert)
		}, code: "nr07", status: 403},
		{name: "redirect DTD", query: func(req *etree.Element) string {
			msg := append([]byte(`<!DOCTYPE x [<!ENTITY a "b">]>`), xmlBytes(t, req)...)
			return signedQueryBytes(t, "SAMLRequest", msg, "", sp.key)
		}, code: "nr08", status: 403},
		{name: "not an AuthnRequest", mutate: func(req *etree.Element) { req.Tag = "LogoutRequest" }, code: "nr08", status: 403},
		{name: "Version 1.1", mutate: setAttr("Version", "1.1"), code: "nr09", status: 400},
		{name: "no Issuer", mutate: func(r *etree.Element) { r.RemoveChild(issuerEl(r)) }, code: "nr10", status: 403},
		{name: "Issuer of an unknown SP", mutate: func(r *etree.Element) { issuerEl(r).SetText(sp.srv.URL + "/nowhere") }, code: "nr10", status: 403},
		{name: "Issuer without Format", mutate: func(r *etree.Element) { issuerEl(r).RemoveAttr("Format") }, code: "nr10", status: 403},
		{name: "Issuer without NameQualifier", mutate: func(r *etree.Element) { issuerEl(r).RemoveAttr("NameQualifier") }, code: "nr10", status: 403},
		{name: "no ID", mutate: dropAttr("ID"), code: "nr11", status: 400},
		{name: "ID starting with a digit", mutate: setAttr("ID", "1abc"), code: "nr11", status: 400},
		{name: "no RequestedAuthnContext", mutate: func(r *etree.Element) { r.RemoveChild(rac(r)) }, code: "nr12", status: 400},
		{name: "two AuthnContextClassRef", mutate: func(r *etree.Element) {
			rac(r).CreateElement("saml:AuthnContextClassRef").SetText("https://www.spid.gov.it/SpidL1")
		}, code: "nr12", status: 400},
		{name: "unknown level", mutate: func(r *etree.Element) {
			rac(r).SelectElement("AuthnContextClassRef").SetText("https://www.spid.gov.it/SpidL4")
		}, code: "nr12", status: 400},
		{name: "bad Comparison", mutate: func(r *etree.Element) { rac(r).CreateAttr("Comparison", "most") }, code: "nr12", status: 400},
		{name: "IssueInstant too old", mutate: setAttr("IssueInstant", testNow.Add(-10*time.Minute).Format(time.RFC3339)), code: "nr13", status: 400},
		{name: "IssueInstant in the future", mutate: setAttr("IssueInstant", testNow.Add(5*time.Minute).Format(time.RFC3339)), code: "nr13", status: 400},
		{name: "IssueInstant not UTC", mutate: setAttr("IssueInstant", "2026-11-25T11:00:00+01:00"), code: "nr13", status: 400},
		{name: "wrong Destination", mutate: setAttr("Destination", "https://idp.example.org/sso"), code: "nr14", status: 400},
		{name: "no Destination", mutate: dropAttr("Destination"), code: "nr14", status: 400},
		{name: "IsPassive", mutate: setAttr("IsPassive", "true"), code: "nr15", status: 400},
		{name: "no ForceAuthn at level 2", mutate: dropAttr("ForceAuthn"), code: "nr08", status: 400},
		{name: "ACS index not in metadata", mutate: setAttr("AssertionConsumerServiceIndex", "7"), code: "nr16", status: 400},
		{name: "ACS index and URL", mutate: setAttr("AssertionConsumerServiceURL", "x"), code: "nr16", status: 400},
		{name: "no ACS", mutate: dropAttr("AssertionConsumerServiceIndex"), code: "nr16", status: 400},
		{name: "ACS URL not in metadata", mutate: func(r *etree.Element) {
			r.RemoveAttr("AssertionConsumerServiceIndex")
			r.CreateAttr("AssertionConsumerServiceURL", "https://evil.example.org/acs")
			r.CreateAttr("ProtocolBinding", bindingPOST)
		}, code: "nr16", status: 400},
		{name: "ACS URL without ProtocolBinding", mutate: func(r *etree.Element) {
			r.RemoveAttr("AssertionConsumerServiceIndex")
			r.CreateAttr("AssertionConsumerServiceURL", sp.ACS)
		}, code: "nr16", status: 400},
		{name: "AllowCreate", mutate: func(r *etree.Element) { policy(r).CreateAttr("AllowCreate", "true") }, code: "nr17", status: 400},
		{name: "persistent NameID", mutate: func(r *etree.Element) {
			policy(r).CreateAttr("Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
		}, code: "nr17", status: 400},
		{name: "no NameIDPolicy", mutate: func(r *etree.Element) { r.RemoveChild(policy(r)) }, code: "nr17", status: 400},
		{name: "attribute set not in metadata", mutate: setAttr("AttributeConsumingServiceIndex", "9"), code: "nr18", status: 400},
		{name: "attribute set not a number", mutate: setAttr("AttributeConsumingServiceIndex", "uno"), code: "nr18", status: 400},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := "_bad" + string(rune('a'+i%26)) + string(rune('a'+i/26))
			req := sp.authnRequest(sso, id)
			if tc.mutate != nil {
				tc.mutate(req)
			}
			var p page
			switch {
			case tc.query != nil:
				p = fetch(t, http.MethodGet, sso+"?"+tc.query(req), nil)
			case tc.post && req.SelectAttr("unsigned") != nil:
				req.RemoveAttr("unsigned")
				p = fetch(t, http.MethodPost, sso, url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(xmlBytes(t, req))}})
			case tc.post && req.SelectElement("Signature") != nil:
				p = fetch(t, http.MethodPost, sso, url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(xmlBytes(t, req))}})
			default:
				p = ti.startRedirect(t, sp, req, "relay")
			}
			if p.Status != tc.status {
				t.Errorf("status %d, want %d", p.Status, tc.status)
			}
			if got := p.Doc.Find(`[role="alert"] strong`).First().Text(); got != "ErrorCode "+tc.code {
				t.Errorf("error page names %q, want ErrorCode %s:\n%s", got, tc.code, p.Body)
			}
			reply := p.Doc.Find(`form[method="post"]`)
			if tc.status == http.StatusForbidden {
				if reply.Length() != 0 {
					t.Errorf("a request the IdP cannot trust must not be answered to the SP")
				}
				return
			}
			if reply.Length() != 1 {
				t.Fatalf("no form to send the anomaly to the SP")
			}
			action, values := formOf(t, p.Doc, `form[method="post"]`)
			if action != sp.ACS || values.Get("RelayState") != "relay" {
				t.Errorf("reply goes to %q with RelayState %q", action, values.Get("RelayState"))
			}
			got := summarise(t, values.Get("SAMLResponse"), id, ti.Certificate())
			if got.ResponseSig != "idp" || got.Status == "" || got.StatusMessage != "ErrorCode "+tc.code || got.Assertions != 0 {
				t.Errorf("reply: %+v", got)
			}
		})
	}
}

// TestLevelOneNeedsNoForceAuthn: ForceAuthn is required only above SpidL1.
func TestLevelOneNeedsNoForceAuthn(t *testing.T) {
	sp := newTestSP(t)
	ti := newTestIdP(t, spididp.Config{})
	req := sp.authnRequest(ti.Base+"/sso", "_l1")
	req.RemoveAttr("ForceAuthn")
	req.SelectElement("RequestedAuthnContext").SelectElement("AuthnContextClassRef").SetText("https://www.spid.gov.it/SpidL1")
	got := ti.choose(t, ti.startRedirect(t, sp, req, ""), nil)
	want := baseline(ti, sp)
	want.ClassRef = "https://www.spid.gov.it/SpidL1"
	if diff := cmp.Diff(want, summarise(t, got.Value, "_l1", ti.Certificate())); diff != "" {
		t.Errorf("response mismatch (-want +got):\n%s", diff)
	}
}
