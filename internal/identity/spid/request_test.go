package spid_test

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity/spid"
)

// utcString is spid-sp-test's UTC_STRING: seconds, or exactly three digits.
var utcString = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{3})?Z$`)

func options(b spid.Binding, l spid.Level, c spid.Comparison) spid.RequestOptions {
	return spid.RequestOptions{
		Level: l, Comparison: c, AttributeIndex: 1, Binding: b,
		RelayState: "k7Qd2xZp", ReturnTo: "/servizi/anagrafe?x=1",
	}
}

// authnXML returns the AuthnRequest element an IdP would read: the POST
// form field or the inflated Redirect parameter (whose query signature is
// verified on the way).
func authnXML(t *testing.T, out *spid.Outgoing, sp *spid.SP) *etree.Element {
	t.Helper()
	switch out.Binding {
	case spid.HTTPPost:
		b, err := base64.StdEncoding.DecodeString(out.SAMLRequest)
		if err != nil {
			t.Fatalf("SAMLRequest is not base64: %v", err)
		}
		if out.SAMLResponse != "" {
			t.Error("SAMLResponse set on a request")
		}
		root := parseDoc(t, b)
		verifyEnveloped(t, root, sp.Certificate)
		return root
	default:
		r := decodeRedirect(t, out.URL, "SAMLRequest", sp.Certificate)
		if r.values.Get("RelayState") != out.RelayState {
			t.Errorf("RelayState in URL = %q, want %q", r.values.Get("RelayState"), out.RelayState)
		}
		root := parseDoc(t, r.xml)
		if len(children(root, "Signature")) != 0 {
			t.Error("Redirect AuthnRequest carries an XML signature; the query is signed instead")
		}
		return root
	}
}

// TestAuthnRequest mirrors spid-sp-test's authn_request.py on both
// bindings and every level/comparison: each check below is one of its
// assertions (TR = Regole tecniche, AV = Avviso).
func TestAuthnRequest(t *testing.T) {
	sp, idp := testSP(t), testIdP(t)
	metadata := parseDoc(t, must(sp.Metadata(spid.SPID, now)))
	acsIndexes := indexesOf(metadata, "AssertionConsumerService")
	attrIndexes := indexesOf(metadata, "AttributeConsumingService")
	for _, b := range []spid.Binding{spid.HTTPRedirect, spid.HTTPPost} {
		for _, l := range []spid.Level{spid.L1, spid.L2, spid.L3} {
			for _, c := range []spid.Comparison{spid.Exact, spid.Minimum, spid.Better, spid.Maximum} {
				t.Run(fmt.Sprintf("%s/L%d/%s", b[strings.LastIndex(string(b), ":")+1:], l, c), func(t *testing.T) {
					o := options(b, l, c)
					out, p, err := sp.AuthnRequest(idp, o, now)
					if err != nil {
						t.Fatal(err)
					}
					req := authnXML(t, out, sp)
					dest := idp.SSORedirect
					if b == spid.HTTPPost {
						dest = idp.SSOPost
						if out.URL != dest || out.RelayState != o.RelayState {
							t.Errorf("POST action %q RelayState %q, want %q %q", out.URL, out.RelayState, dest, o.RelayState)
						}
					}
					checkAuthnRequest(t, req, dest, l, c, acsIndexes, attrIndexes)
					if got := string(out.XML); !strings.Contains(got, p.ID) {
						t.Error("Outgoing.XML is not the message sent")
					}
					want := spid.Pending{
						ID: req.SelectAttrValue("ID", ""), IssuedAt: now.Truncate(time.Millisecond), IdP: idp.EntityID,
						Level: l, Comparison: c, Profile: spid.SPID, ReturnTo: o.ReturnTo,
					}
					if diff := cmp.Diff(want, p); diff != "" {
						t.Errorf("Pending mismatch (-want +got):\n%s", diff)
					}
				})
			}
		}
	}
}

func checkAuthnRequest(t *testing.T, req *etree.Element, dest string, l spid.Level, c spid.Comparison, acsIndexes, attrIndexes []string) {
	t.Helper()
	if req.Tag != "AuthnRequest" || req.NamespaceURI() != "urn:oasis:names:tc:SAML:2.0:protocol" {
		t.Fatalf("root is %s in %s", req.Tag, req.NamespaceURI())
	}
	id := req.SelectAttrValue("ID", "")
	if !regexp.MustCompile(`^_[0-9a-f]{32}$`).MatchString(id) {
		t.Errorf("ID %q is not 128 random bits after an underscore", id)
	}
	want := map[string]string{"Version": "2.0", "Destination": dest, "AssertionConsumerServiceIndex": "0"}
	for name, v := range want {
		if got, _ := attrOf(req, name); got != v {
			t.Errorf("%s = %q, want %q (TR pag. 8)", name, got, v)
		}
	}
	if ii := req.SelectAttrValue("IssueInstant", ""); !utcString.MatchString(ii) {
		t.Errorf("IssueInstant %q is not a UTC string (TR pag. 8)", ii)
	}
	for _, absent := range []string{"IsPassive", "AssertionConsumerServiceURL", "ProtocolBinding"} {
		if _, ok := attrOf(req, absent); ok {
			t.Errorf("%s must not be present", absent)
		}
	}
	if fa, ok := attrOf(req, "ForceAuthn"); (l > spid.L1) != (ok && fa == "true") {
		t.Errorf("ForceAuthn = %q (present %v) at level %d; want true iff level > 1 (TR pag. 8)", fa, ok, l)
	}
	if !contains(acsIndexes, req.SelectAttrValue("AssertionConsumerServiceIndex", "")) {
		t.Errorf("AssertionConsumerServiceIndex not among the metadata's %v", acsIndexes)
	}
	if v, ok := attrOf(req, "AttributeConsumingServiceIndex"); !ok || !contains(attrIndexes, v) {
		t.Errorf("AttributeConsumingServiceIndex %q not among the metadata's %v", v, attrIndexes)
	}
	iss := children(req, "Issuer")
	if len(iss) != 1 || iss[0].Text() != spEntityID || iss[0].SelectAttrValue("Format", "") != spid.NameIDEntity ||
		iss[0].SelectAttrValue("NameQualifier", "") != spEntityID {
		t.Errorf("Issuer must be one, = entityID, with entity Format and NameQualifier (TR pag. 9)")
	}
	pol := children(req, "NameIDPolicy")
	if len(pol) != 1 || pol[0].SelectAttrValue("Format", "") != spid.NameIDTransient {
		t.Errorf("want one transient NameIDPolicy (TR pag. 9)")
	} else if _, ok := attrOf(pol[0], "AllowCreate"); ok {
		t.Errorf("AllowCreate must not be present (AV n. 5)")
	}
	rac := children(req, "RequestedAuthnContext")
	if len(rac) != 1 {
		t.Fatalf("%d RequestedAuthnContext, want 1", len(rac))
	}
	if got := rac[0].SelectAttrValue("Comparison", ""); got != string(c) {
		t.Errorf("Comparison = %q, want %q", got, c)
	}
	if refs := children(rac[0], "AuthnContextClassRef"); len(refs) != 1 || refs[0].Text() != l.ClassRef() {
		t.Errorf("want exactly one AuthnContextClassRef %s (TR pag. 9, AV n. 5)", l.ClassRef())
	}
	for _, absent := range []string{"Subject", "Conditions", "Scoping", "RequesterID"} {
		if len(children(req, absent)) != 0 {
			t.Errorf("%s must not be present", absent)
		}
	}
}

func TestAuthnRequestIDsAreUnique(t *testing.T) {
	sp, idp := testSP(t), testIdP(t)
	seen := map[string]bool{}
	for range 50 {
		_, p, err := sp.AuthnRequest(idp, options(spid.HTTPRedirect, spid.L2, spid.Minimum), now)
		if err != nil {
			t.Fatal(err)
		}
		if seen[p.ID] {
			t.Fatalf("ID %s repeated", p.ID)
		}
		seen[p.ID] = true
	}
}

// TestAuthnRequestRandomRelayState: any base64url token is accepted, even
// one that happens to spell "http".
func TestAuthnRequestRandomRelayState(t *testing.T) {
	sp, idp := testSP(t), testIdP(t)
	for _, rs := range []string{"aHTTPb-_09", "http", strings.Repeat("Z", 80)} {
		o := options(spid.HTTPRedirect, spid.L1, spid.Exact)
		o.RelayState = rs
		if _, _, err := sp.AuthnRequest(idp, o, now); err != nil {
			t.Errorf("RelayState %q: %v", rs, err)
		}
	}
}

func TestAuthnRequestCIE(t *testing.T) {
	sp, idp := testSP(t), testIdP(t)
	idp.Profile = spid.CIE
	o := options(spid.HTTPPost, spid.L3, spid.Minimum)
	o.AttributeIndex = 0
	out, p, err := sp.AuthnRequest(idp, o, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Profile != spid.CIE {
		t.Errorf("Profile = %q, want cie", p.Profile)
	}
	authnXML(t, out, sp)
}

func TestAuthnRequestRefuses(t *testing.T) {
	ok := func() (*spid.SP, *spid.IdP, spid.RequestOptions) {
		return testSP(t), testIdP(t), options(spid.HTTPPost, spid.L2, spid.Minimum)
	}
	tests := []struct {
		name   string
		mutate func(*spid.SP, *spid.IdP, *spid.RequestOptions)
	}{
		{"level 0", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.Level = 0 }},
		{"level 4", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.Level = 4 }},
		{"no comparison", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.Comparison = "" }},
		{"unknown comparison", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.Comparison = "atleast" }},
		{"unknown attribute set", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.AttributeIndex = 9 }},
		{"no RelayState", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.RelayState = "" }},
		{"RelayState URL", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.RelayState = "https://comune.example/x" }},
		{"RelayState path", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.RelayState = "/servizi" }},
		{"RelayState scheme", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.RelayState = "javascript:x" }},
		{"RelayState too long", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.RelayState = strings.Repeat("a", 81) }},
		{"ReturnTo absolute URL", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.ReturnTo = "https://evil.example/" }},
		{"ReturnTo scheme-relative", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.ReturnTo = "//evil.example/" }},
		{"ReturnTo backslash", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.ReturnTo = "/\\evil.example/" }},
		{"ReturnTo empty", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.ReturnTo = "" }},
		{"ReturnTo javascript", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.ReturnTo = "javascript:alert(1)" }},
		{"unknown binding", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.Binding = "urn:x" }},
		{"IdP without POST SSO", func(_ *spid.SP, i *spid.IdP, _ *spid.RequestOptions) { i.SSOPost = "" }},
		{"IdP without certificate", func(_ *spid.SP, i *spid.IdP, _ *spid.RequestOptions) { i.Certificates = nil }},
		{"profile mismatch", func(_ *spid.SP, _ *spid.IdP, o *spid.RequestOptions) { o.Profile = spid.CIE }},
		{"CIE asked for email", func(_ *spid.SP, i *spid.IdP, _ *spid.RequestOptions) { i.Profile = spid.CIE }},
		{"SP without key", func(s *spid.SP, _ *spid.IdP, _ *spid.RequestOptions) { s.Key = nil }},
		{"SP certificate of another key", func(s *spid.SP, _ *spid.IdP, _ *spid.RequestOptions) { s.Certificate = testIdPCert(t) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp, idp, o := ok()
			tc.mutate(sp, idp, &o)
			out, _, err := sp.AuthnRequest(idp, o, now)
			if !apperr.Is(err, apperr.Invalid) || out != nil {
				t.Errorf("AuthnRequest = %v, %v; want an Invalid error", out, err)
			}
		})
	}
}

func indexesOf(md *etree.Element, tag string) []string {
	var out []string
	for _, e := range md.FindElements("//" + tag) {
		out = append(out, e.SelectAttrValue("index", ""))
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
