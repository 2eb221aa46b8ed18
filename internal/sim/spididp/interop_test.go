package spididp_test

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"testing"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/sportello/sportello/internal/sim/spididp"
)

// TestCrewjamSPInterop drives the simulator with a second, independent SAML
// implementation, crewjam/saml's ServiceProvider (which Sportello's SP
// builds on), configured for SPID: its signed Redirect AuthnRequest must be
// accepted, its parser must accept a correct Response, and must refuse the
// faults a generic SAML SP already catches.
func TestCrewjamSPInterop(t *testing.T) {
	sp := newTestSP(t)
	ti := newTestIdP(t, spididp.Config{})
	md := fetch(t, http.MethodGet, ti.Base+"/metadata", nil)
	var idpMeta saml.EntityDescriptor
	if err := xml.Unmarshal([]byte(md.Body), &idpMeta); err != nil {
		t.Fatalf("crewjam reads the IdP metadata: %v", err)
	}
	acsURL, _ := url.Parse(sp.ACS)
	metaURL, _ := url.Parse(sp.EntityID)
	acsIndex, force := 0, true
	csp := &saml.ServiceProvider{
		EntityID: sp.EntityID, Key: sp.key, Certificate: sp.cert,
		MetadataURL: *metaURL, AcsURL: *acsURL, AcsIndex: &acsIndex,
		IDPMetadata:     &idpMeta,
		SignatureMethod: dsig.RSASHA256SignatureMethod,
		ForceAuthn:      &force,
		RequestedAuthnContext: &saml.RequestedAuthnContext{
			Comparison: "minimum", AuthnContextClassRefs: []string{spidL2},
		},
		Clock: dsig.NewFakeClockAt(testNow),
	}
	login := func(t *testing.T) (string, page) {
		req, err := csp.MakeAuthenticationRequest(csp.GetSSOBindingLocation(saml.HTTPRedirectBinding),
			saml.HTTPRedirectBinding, saml.HTTPPostBinding)
		if err != nil {
			t.Fatal(err)
		}
		// The SPID adjustments a generic SAML SP needs.
		req.Issuer.NameQualifier = sp.EntityID
		req.NameIDPolicy.AllowCreate = nil
		transient := fmtTransient
		req.NameIDPolicy.Format = &transient
		req.AttributeConsumingServiceIndex = "0"
		u, err := req.Redirect("relay", csp)
		if err != nil {
			t.Fatal(err)
		}
		return req.ID, fetch(t, http.MethodGet, u.String(), nil)
	}
	tests := []struct {
		name   string
		change url.Values
		ok     bool
	}{
		{"correct", nil, true},
		{"cancelled", url.Values{"action": {"annulla"}}, false},
		{"wrong audience", url.Values{"fault": {"audience"}}, false},
		{"expired assertion", url.Values{"fault": {"expired"}}, false},
		{"expired confirmation", url.Values{"fault": {"confirmation-expired"}}, false},
		{"unknown key", url.Values{"fault": {"unknown-key"}}, false},
		{"wrong InResponseTo", url.Values{"fault": {"in-response-to"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, page := login(t)
			got := ti.choose(t, page, tc.change)
			raw, err := base64.StdEncoding.DecodeString(got.Value)
			if err != nil {
				t.Fatal(err)
			}
			as, err := csp.ParseXMLResponse(raw, []string{id}, *acsURL)
			if (err == nil) != tc.ok {
				t.Fatalf("crewjam ParseXMLResponse: %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok {
				return
			}
			attrs := map[string]string{}
			for _, st := range as.AttributeStatements {
				for _, a := range st.Attributes {
					attrs[a.Name] = a.Values[0].Value
				}
			}
			if want := "TINIT-" + spididp.DemoIdentities()[0].FiscalCode; attrs["fiscalNumber"] != want {
				t.Errorf("fiscalNumber %q, want %q", attrs["fiscalNumber"], want)
			}
		})
	}
}
