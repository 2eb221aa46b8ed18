package spididp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/sim/spididp"
)

const (
	statusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"
	bearer        = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
)

// baseline is the Response a correct login as the first demo person at
// level 2 must produce, field by field.
func baseline(ti *testIdP, sp *testSP) summary {
	p := spididp.DemoIdentities()[0]
	return summary{
		ResponseSig: "idp", AssertionSig: "idp",
		Version: "2.0", Destination: sp.ACS, IssueInstant: "0s", InResponseTo: "request",
		Issuer: ti.Base, IssuerFormat: fmtEntity, Status: statusSuccess,
		Assertions: 1, AssertionVersion: "2.0", AssertionIssued: "0s",
		AssertionIssuer: ti.Base, AssertionIssuerFmt: fmtEntity,
		NameID: "set", NameIDFormat: fmtTransient, NameQualifier: ti.Base,
		Method: bearer, Recipient: sp.ACS, ConfirmInResponse: "request", ConfirmUntil: "5m0s",
		NotBefore: "0s", NotOnOrAfter: "5m0s", Audience: []string{sp.EntityID},
		ClassRef: spidL2, SessionIndex: "set",
		Attributes: map[string]string{
			"fiscalNumber": "xs:string TINIT-" + p.FiscalCode,
			"name":         "xs:string Giuseppina",
			"familyName":   "xs:string Zandonai",
			"email":        "xs:string giuseppina.zandonai@example.org",
			"mobilePhone":  "xs:string " + p.MobilePhone,
			"dateOfBirth":  "xs:date 1951-02-12",
		},
	}
}

// anomaly is the Response of a user anomaly: the baseline's envelope,
// status Responder/AuthnFailed with the code, and no assertion.
func anomaly(b summary, code string) summary {
	return summary{
		ResponseSig: b.ResponseSig, Version: b.Version, Destination: b.Destination, IssueInstant: b.IssueInstant,
		InResponseTo: b.InResponseTo, Issuer: b.Issuer, IssuerFormat: b.IssuerFormat,
		Status:        "urn:oasis:names:tc:SAML:2.0:status:Responder",
		SubStatus:     "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed",
		StatusMessage: "ErrorCode " + code,
	}
}

func TestLoginBothBindings(t *testing.T) {
	sp := newTestSP(t)
	ti := newTestIdP(t, spididp.Config{})
	for _, binding := range []string{"redirect", "post"} {
		t.Run(binding, func(t *testing.T) {
			req := sp.authnRequest(ti.Base+"/sso", "_req-"+binding)
			var login page
			if binding == "redirect" {
				login = ti.startRedirect(t, sp, req, "opaque-relay")
			} else {
				login = ti.startPost(t, sp, req, "opaque-relay")
			}
			if login.Status != http.StatusOK {
				t.Fatalf("status %d:\n%s", login.Status, login.Body)
			}
			text := login.Doc.Text()
			for _, p := range spididp.DemoIdentities() {
				for _, want := range []string{p.FiscalCode, p.Name + " " + p.FamilyName, p.Email, p.MobilePhone} {
					if !strings.Contains(text, want) {
						t.Errorf("login page lacks %q", want)
					}
				}
			}
			if !strings.Contains(text, "Comune di Ala (prova)") || !strings.Contains(text, "livello 2 (SpidL2)") {
				t.Errorf("login page does not say who asks and at what level")
			}
			if v, _ := login.Doc.Find(`input[name="level"][checked]`).Attr("value"); v != "2" {
				t.Errorf("preselected level %q, want the requested 2", v)
			}
			got := ti.choose(t, login, nil)
			if got.Action != sp.ACS || got.Field != "SAMLResponse" || got.RelayState != "opaque-relay" {
				t.Errorf("post to %q field %q relay %q", got.Action, got.Field, got.RelayState)
			}
			if diff := cmp.Diff(baseline(ti, sp), summarise(t, got.Value, "_req-"+binding, ti.Certificate())); diff != "" {
				t.Errorf("response mismatch (-want +got):\n%s", diff)
			}
			// The pending login is consumed: the same form cannot answer twice.
			_, values := formOf(t, login.Doc, `form[action="login"]`)
			if p := fetch(t, http.MethodPost, ti.Base+"/login", values); p.Status != http.StatusNotFound {
				t.Errorf("second submit: status %d, want 404", p.Status)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	sp := newTestSP(t)
	ti := newTestIdP(t, spididp.Config{})
	tests := []struct {
		name   string
		change url.Values
		want   func(b summary) summary
	}{
		{"none", nil, func(b summary) summary { return b }},
		{"Annulla button", url.Values{"action": {"annulla"}}, func(b summary) summary { return anomaly(b, "nr25") }},
		{"cancel", url.Values{"fault": {"nr25"}}, func(b summary) summary { return anomaly(b, "nr25") }},
		{"wrong credentials", url.Values{"fault": {"nr19"}}, func(b summary) summary { return anomaly(b, "nr19") }},
		{"no credentials", url.Values{"fault": {"nr20"}}, func(b summary) summary { return anomaly(b, "nr20") }},
		{"timeout", url.Values{"fault": {"nr21"}}, func(b summary) summary { return anomaly(b, "nr21") }},
		{"consent denied", url.Values{"fault": {"nr22"}}, func(b summary) summary { return anomaly(b, "nr22") }},
		{"blocked", url.Values{"fault": {"nr23"}}, func(b summary) summary { return anomaly(b, "nr23") }},
		{"wrong audience", url.Values{"fault": {"audience"}}, func(b summary) summary {
			b.Audience = []string{"https://altro-servizio.example.org/metadata"}
			return b
		}},
		{"expired assertion", url.Values{"fault": {"expired"}}, func(b summary) summary {
			b.NotBefore, b.NotOnOrAfter = "-10m0s", "-5m0s"
			return b
		}},
		{"expired confirmation", url.Values{"fault": {"confirmation-expired"}}, func(b summary) summary {
			b.ConfirmUntil = "-10m0s"
			return b
		}},
		{"unsigned assertion", url.Values{"fault": {"unsigned-assertion"}}, func(b summary) summary {
			b.AssertionSig = "none"
			return b
		}},
		{"unknown key", url.Values{"fault": {"unknown-key"}}, func(b summary) summary {
			b.ResponseSig, b.AssertionSig = "foreign", "foreign"
			return b
		}},
		{"wrong InResponseTo", url.Values{"fault": {"in-response-to"}}, func(b summary) summary {
			b.InResponseTo, b.ConfirmInResponse = "other", "other"
			return b
		}},
		{"lower level", url.Values{"level": {"1"}}, func(b summary) summary {
			b.ClassRef = "https://www.spid.gov.it/SpidL1"
			return b
		}},
		{"higher level", url.Values{"level": {"3"}}, func(b summary) summary {
			b.ClassRef = "https://www.spid.gov.it/SpidL3"
			return b
		}},
		{"architect", url.Values{"identity": {"5"}}, func(b summary) summary {
			p := spididp.DemoIdentities()[5]
			b.Attributes = map[string]string{
				"fiscalNumber": "xs:string TINIT-" + p.FiscalCode,
				"name":         "xs:string Alessandro",
				"familyName":   "xs:string Bertolini",
				"email":        "xs:string alessandro.bertolini@example.org",
				"mobilePhone":  "xs:string " + p.MobilePhone,
				"dateOfBirth":  "xs:date 1974-11-08",
				"ivaCode":      "xs:string VATIT-" + p.IVACode,
			}
			return b
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := "_fault-" + strings.ReplaceAll(tc.name, " ", "-")
			login := ti.startRedirect(t, sp, sp.authnRequest(ti.Base+"/sso", id), "")
			got := ti.choose(t, login, tc.change)
			want := tc.want(baseline(ti, sp))
			if diff := cmp.Diff(want, summarise(t, got.Value, id, ti.Certificate())); diff != "" {
				t.Errorf("response mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReplayResendsThePreviousResponse(t *testing.T) {
	sp := newTestSP(t)
	ti := newTestIdP(t, spididp.Config{})

	login := ti.startRedirect(t, sp, sp.authnRequest(ti.Base+"/sso", "_second"), "")
	_, values := formOf(t, login.Doc, `form[action="login"]`)
	values.Set("fault", "replay")
	if p := fetch(t, http.MethodPost, ti.Base+"/login", values); p.Status != http.StatusConflict ||
		p.Doc.Find(`[role="alert"]`).Length() != 1 {
		t.Fatalf("replay with nothing to replay: status %d, want 409 and an alert", p.Status)
	}
	first := ti.choose(t, login, nil)

	login = ti.startRedirect(t, sp, sp.authnRequest(ti.Base+"/sso", "_third"), "")
	replayed := ti.choose(t, login, url.Values{"fault": {"replay"}})
	if replayed.Value != first.Value {
		t.Errorf("replay did not resend the previous response byte for byte")
	}
}

func TestResponseTargets(t *testing.T) {
	sp := newTestSP(t)
	ti := newTestIdP(t, spididp.Config{})
	tests := []struct {
		name   string
		mutate func(req *etree.Element)
		want   func(b summary) summary
	}{
		{"ACS by URL", func(req *etree.Element) {
			req.RemoveAttr("AssertionConsumerServiceIndex")
			req.CreateAttr("AssertionConsumerServiceURL", sp.ACS1)
			req.CreateAttr("ProtocolBinding", bindingPOST)
		}, func(b summary) summary {
			b.Destination, b.Recipient = sp.ACS1, sp.ACS1
			return b
		}},
		{"ACS index 1", func(req *etree.Element) {
			req.CreateAttr("AssertionConsumerServiceIndex", "1")
		}, func(b summary) summary {
			b.Destination, b.Recipient = sp.ACS1, sp.ACS1
			return b
		}},
		{"attribute set 1", func(req *etree.Element) {
			req.CreateAttr("AttributeConsumingServiceIndex", "1")
		}, func(b summary) summary {
			b.Attributes = map[string]string{"fiscalNumber": b.Attributes["fiscalNumber"]}
			return b
		}},
		{"no attribute set", func(req *etree.Element) {
			req.RemoveAttr("AttributeConsumingServiceIndex")
		}, func(b summary) summary {
			b.Attributes = nil
			return b
		}},
		{"destination is the entityID (Avviso 11)", func(req *etree.Element) {
			req.CreateAttr("Destination", ti.Base)
		}, func(b summary) summary { return b }},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := "_target" + string(rune('a'+i))
			req := sp.authnRequest(ti.Base+"/sso", id)
			tc.mutate(req)
			got := ti.choose(t, ti.startPost(t, sp, req, ""), nil)
			want := tc.want(baseline(ti, sp))
			if got.Action != want.Destination {
				t.Errorf("posted to %q, want %q", got.Action, want.Destination)
			}
			if diff := cmp.Diff(want, summarise(t, got.Value, id, ti.Certificate())); diff != "" {
				t.Errorf("response mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCIEReleasesOnlyItsFourAttributes(t *testing.T) {
	sp := newTestSP(t)
	ti := newTestIdP(t, spididp.Config{Profile: spididp.CIE})
	got := ti.choose(t, ti.startRedirect(t, sp, sp.authnRequest(ti.Base+"/sso", "_cie"), ""), nil)
	want := baseline(ti, sp)
	delete(want.Attributes, "email")
	delete(want.Attributes, "mobilePhone")
	if diff := cmp.Diff(want, summarise(t, got.Value, "_cie", ti.Certificate())); diff != "" {
		t.Errorf("response mismatch (-want +got):\n%s", diff)
	}
}

func TestMetadataIsCachedPerSP(t *testing.T) {
	sp := newTestSP(t)
	ti := newTestIdP(t, spididp.Config{})
	for _, id := range []string{"_c1", "_c2", "_c3"} {
		if p := ti.startRedirect(t, sp, sp.authnRequest(ti.Base+"/sso", id), ""); p.Status != http.StatusOK {
			t.Fatalf("status %d", p.Status)
		}
	}
	if n := sp.hits(); n != 1 {
		t.Errorf("SP metadata fetched %d times for three requests, want 1", n)
	}
}
