package spididp

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// seedAuthnRequest is a well-formed SPID AuthnRequest, the fuzzers' start.
const seedAuthnRequest = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="2026-11-25T10:00:00Z" Destination="http://idp/sso" ForceAuthn="true" AssertionConsumerServiceIndex="0" AttributeConsumingServiceIndex="0"><saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity" NameQualifier="http://sp/metadata">http://sp/metadata</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient"/><samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>https://www.spid.gov.it/SpidL2</saml:AuthnContextClassRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>`

func deflated(s string) string {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// FuzzParseAuthnRequest feeds the Redirect decoder and the AuthnRequest
// parser: they must never panic, must stay within the size cap, and must
// fail only with an anomaly the error page knows.
func FuzzParseAuthnRequest(f *testing.F) {
	for _, s := range []string{
		seedAuthnRequest,
		strings.Replace(seedAuthnRequest, `Version="2.0"`, `Version="1"`, 1),
		`<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`,
		`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/><b/>`,
		"", "<", "\x00\xff",
	} {
		f.Add(deflated(s), s)
	}
	f.Add(deflated(strings.Repeat("A", 2*maxMessage)), "")
	f.Fuzz(func(t *testing.T, query, post string) {
		if b, err := decodeRedirect(query); err == nil && len(b) > maxMessage {
			t.Fatalf("decodeRedirect returned %d bytes, over the cap", len(b))
		}
		for _, in := range [][]byte{[]byte(post), []byte(query)} {
			doc, req, err := parseAuthnRequest(in)
			if err != nil {
				var re *ruleError
				if !errors.As(err, &re) || anomalies[re.Code].Scenario == "" {
					t.Fatalf("parseAuthnRequest error %v is not a known anomaly", err)
				}
				continue
			}
			if doc.Root() == nil || req.XMLName.Local != "AuthnRequest" {
				t.Fatalf("parsed without an AuthnRequest root")
			}
			_ = req.issuer()
		}
	})
}

// FuzzParseSPMetadata: the metadata parser never panics and, lacking a
// valid signature, never accepts.
func FuzzParseSPMetadata(f *testing.F) {
	f.Add(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://sp/metadata"><md:SPSSODescriptor><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>AAAA</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:AssertionConsumerService index="0" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="http://sp/acs"/></md:SPSSODescriptor></md:EntityDescriptor>`)
	f.Add(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>`)
	f.Add("")
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if md, err := parseSPMetadata([]byte(s), now); err == nil {
			t.Fatalf("unsigned metadata accepted: %+v", md)
		}
	})
}

// FuzzParseLogout: the logout parser never panics and fails only with a
// known anomaly.
func FuzzParseLogout(f *testing.F) {
	f.Add(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_l" Version="2.0"><saml:Issuer>http://sp/metadata</saml:Issuer><saml:NameID>x</saml:NameID><samlp:SessionIndex>s</samlp:SessionIndex></samlp:LogoutRequest>`)
	f.Add(`<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><samlp:Status><samlp:StatusCode Value="x"/></samlp:Status></samlp:LogoutResponse>`)
	f.Add("<a/>")
	f.Fuzz(func(t *testing.T, s string) {
		if _, _, err := parseLogout([]byte(s)); err != nil {
			var re *ruleError
			if !errors.As(err, &re) || anomalies[re.Code].Scenario == "" {
				t.Fatalf("parseLogout error %v is not a known anomaly", err)
			}
		}
	})
}

// FuzzRawQuery: splitting a query never panics, and a parameter it
// returns decodes the same way net/url would.
func FuzzRawQuery(f *testing.F) {
	f.Add("SAMLRequest=abc%2B&RelayState=x&SigAlg=y&Signature=z")
	f.Add("a=1&a=2")
	f.Add("%zz=1&&=")
	f.Fuzz(func(t *testing.T, s string) {
		q, err := rawQuery(s)
		if err != nil {
			return
		}
		for k := range q {
			_, _ = q.value(k)
		}
	})
}
