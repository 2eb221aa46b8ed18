package spid

import (
	"crypto"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"
	dsig "github.com/russellhaering/goxmldsig"
)

const inLogoutRequestID = "_logout0123456789abcdef0123456789"

// inLogoutMsg builds an IdP's LogoutRequest (kind "LogoutRequest") or
// LogoutResponse to our request inLogoutRequestID, then applies mutate.
func inLogoutMsg(kind string, mutate func(el *etree.Element)) *etree.Element {
	el := etree.NewElement("samlp:" + kind)
	el.CreateAttr("xmlns:samlp", samlpNS)
	el.CreateAttr("xmlns:saml", samlNS)
	el.CreateAttr("ID", inNewID("idpmsg"))
	el.CreateAttr("Version", "2.0")
	el.CreateAttr("IssueInstant", inInstant(inNow.Add(-3*time.Second)))
	el.CreateAttr("Destination", inSLO)
	iss := el.CreateElement("saml:Issuer")
	iss.CreateAttr("Format", NameIDEntity)
	iss.CreateAttr("NameQualifier", inIdPEntity)
	iss.SetText(inIdPEntity)
	if kind == "LogoutRequest" {
		id := el.CreateElement("saml:NameID")
		id.CreateAttr("Format", NameIDTransient)
		id.CreateAttr("NameQualifier", inIdPEntity)
		id.SetText("_nameid42")
		el.CreateElement("samlp:SessionIndex").SetText("_session42")
	} else {
		el.CreateAttr("InResponseTo", inLogoutRequestID)
		st := el.CreateElement("samlp:Status").CreateElement("samlp:StatusCode")
		st.CreateAttr("Value", StatusSuccess)
	}
	if mutate != nil {
		mutate(el)
	}
	return el
}

func inXMLBytes(tb testing.TB, el *etree.Element) []byte {
	tb.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el)
	b, err := doc.WriteToBytes()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// inGet is msg sent by HTTP-Redirect, signed by s (unsigned if s is nil).
func inGet(tb testing.TB, param string, msg *etree.Element, relay string, s *inSigner) *http.Request {
	tb.Helper()
	q := inRedirectQuery(tb, param, inXMLBytes(tb, msg), relay, dsig.RSASHA256SignatureMethod)
	if s != nil {
		q = inSignQuery(tb, q, *s, crypto.SHA256)
	}
	return httptest.NewRequest(http.MethodGet, inSLO+"?"+q, nil)
}

// inPost is msg sent by HTTP-POST with an enveloped signature by s
// (unsigned if s is nil); after runs once it is signed.
func inPost(tb testing.TB, param string, msg *etree.Element, relay string, s *inSigner, after func(*etree.Element)) *http.Request {
	tb.Helper()
	if s != nil {
		inSign(tb, msg, *s, nil)
	}
	if after != nil {
		after(msg)
	}
	form := url.Values{param: {base64.StdEncoding.EncodeToString(inXMLBytes(tb, msg))}}
	if relay != "" {
		form.Set("RelayState", relay)
	}
	r := httptest.NewRequest(http.MethodPost, inSLO, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func TestParseLogoutRequestGood(t *testing.T) {
	k := inKeys(t)
	want := &LogoutRequest{
		Issuer: inIdPEntity, NameID: "_nameid42", NameQualifier: inIdPEntity,
		SessionIndexes: []string{"_session42"}, RelayState: "rs-123",
	}
	for _, binding := range []Binding{HTTPRedirect, HTTPPost} {
		t.Run(string(binding), func(t *testing.T) {
			msg := inLogoutMsg("LogoutRequest", nil)
			w := *want
			w.ID, w.Binding = msg.SelectAttrValue("ID", ""), binding
			r := inGet(t, paramSAMLRequest, msg, "rs-123", &k.idp)
			if binding == HTTPPost {
				r = inPost(t, paramSAMLRequest, msg, "rs-123", &k.idp, nil)
			}
			got, err := inSP().ParseLogoutRequest(r, inIdP(t), inNow)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&w, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLogoutRequestChecks(t *testing.T) {
	k := inKeys(t)
	mut := func(f func(el *etree.Element)) *etree.Element { return inLogoutMsg("LogoutRequest", f) }
	good := func() *etree.Element { return mut(nil) }
	signedQuery := func(q string) *http.Request {
		return httptest.NewRequest(http.MethodGet, inSLO+"?"+inSignQuery(t, q, k.idp, crypto.SHA256), nil)
	}
	goodQuery := func() string {
		return inRedirectQuery(t, paramSAMLRequest, inXMLBytes(t, good()), "rs", dsig.RSASHA256SignatureMethod)
	}
	lowerEscapes := regexp.MustCompile(`%[0-9A-F]{2}`)
	for _, tc := range []struct {
		name  string
		req   func() *http.Request
		check string
	}{
		{"redirect, escapes in lower case as the IdP signed them", func() *http.Request {
			return signedQuery(lowerEscapes.ReplaceAllStringFunc(goodQuery(), strings.ToLower))
		}, ""},
		{"redirect, unsigned", func() *http.Request { return inGet(t, paramSAMLRequest, good(), "rs", nil) }, "logoutrequest.signature"},
		{"post, unsigned", func() *http.Request { return inPost(t, paramSAMLRequest, good(), "", nil, nil) }, "logoutrequest.signature"},
		{"redirect, signed by a foreign key", func() *http.Request { return inGet(t, paramSAMLRequest, good(), "", &k.evil) }, "logoutrequest.signature"},
		{"post, signed by a foreign key", func() *http.Request { return inPost(t, paramSAMLRequest, good(), "", &k.evil, nil) }, "logoutrequest.signature"},
		{"redirect, signed with the IdP's second key", func() *http.Request { return inGet(t, paramSAMLRequest, good(), "", &k.idpNext) }, ""},
		{"redirect, RSA-SHA1", func() *http.Request {
			q := inRedirectQuery(t, paramSAMLRequest, inXMLBytes(t, good()), "", dsig.RSASHA1SignatureMethod)
			return httptest.NewRequest(http.MethodGet, inSLO+"?"+inSignQuery(t, q, k.idp, crypto.SHA1), nil)
		}, "logoutrequest.signature"},
		{"redirect, RelayState changed after signing", func() *http.Request {
			r := inGet(t, paramSAMLRequest, good(), "rs", &k.idp)
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "RelayState=rs", "RelayState=evil", 1)
			return r
		}, "logoutrequest.signature"},
		{"redirect, RelayState added after signing", func() *http.Request {
			r := inGet(t, paramSAMLRequest, good(), "", &k.idp)
			r.URL.RawQuery += "&RelayState=evil"
			return r
		}, "logoutrequest.signature"},
		{"redirect, escapes re-encoded after signing", func() *http.Request {
			r := signedQuery(goodQuery())
			r.URL.RawQuery = lowerEscapes.ReplaceAllStringFunc(r.URL.RawQuery, strings.ToLower)
			return r
		}, "logoutrequest.signature"},
		{"redirect, SAMLRequest repeated", func() *http.Request {
			r := inGet(t, paramSAMLRequest, good(), "", &k.idp)
			r.URL.RawQuery += "&SAMLRequest=x"
			return r
		}, "logoutrequest.query"},
		{"redirect, escaped parameter name", func() *http.Request {
			r := inGet(t, paramSAMLRequest, good(), "", &k.idp)
			r.URL.RawQuery += "&SAML%52equest=x"
			return r
		}, "logoutrequest.query"},
		{"redirect, DEFLATE bomb", func() *http.Request {
			big := inLogoutMsg("LogoutRequest", func(el *etree.Element) {
				el.CreateElement("samlp:Extensions").SetText(strings.Repeat(" ", 10<<20))
			})
			return inGet(t, paramSAMLRequest, big, "", &k.idp)
		}, "logoutrequest.deflate"},
		{"redirect, RelayState too long", func() *http.Request {
			return inGet(t, paramSAMLRequest, good(), strings.Repeat("r", maxInRelayState+1), &k.idp)
		}, "logoutrequest.relaystate"},
		{"post, NameID changed after signing", func() *http.Request {
			return inPost(t, paramSAMLRequest, good(), "", &k.idp, func(el *etree.Element) {
				el.SelectElement("NameID").SetText("_other")
			})
		}, "logoutrequest.signature"},
		{"post, Signature moved into NameID", func() *http.Request {
			return inPost(t, paramSAMLRequest, good(), "", &k.idp, func(el *etree.Element) {
				s := el.SelectElement("Signature")
				el.RemoveChild(s)
				el.SelectElement("NameID").AddChild(s)
			})
		}, "logoutrequest.signature"},
		{"put", func() *http.Request { return httptest.NewRequest(http.MethodPut, inSLO, nil) }, "logoutrequest.binding"},
		{"not a LogoutRequest", func() *http.Request {
			return inGet(t, paramSAMLRequest, inLogoutMsg("LogoutResponse", nil), "", &k.idp)
		}, "logoutrequest.root"},
		{"Version 1.0", func() *http.Request {
			return inGet(t, paramSAMLRequest, mut(func(el *etree.Element) { el.CreateAttr("Version", "1.0") }), "", &k.idp)
		}, "logoutrequest.version"},
		{"ID missing", func() *http.Request {
			return inGet(t, paramSAMLRequest, mut(func(el *etree.Element) { el.RemoveAttr("ID") }), "", &k.idp)
		}, "logoutrequest.id"},
		{"IssueInstant ten minutes old", func() *http.Request {
			return inGet(t, paramSAMLRequest, mut(func(el *etree.Element) {
				el.CreateAttr("IssueInstant", inInstant(inNow.Add(-10*time.Minute)))
			}), "", &k.idp)
		}, "logoutrequest.issueinstant"},
		{"IssueInstant in the future", func() *http.Request {
			return inGet(t, paramSAMLRequest, mut(func(el *etree.Element) {
				el.CreateAttr("IssueInstant", inInstant(inNow.Add(10*time.Minute)))
			}), "", &k.idp)
		}, "logoutrequest.issueinstant"},
		{"NotOnOrAfter past", func() *http.Request {
			return inGet(t, paramSAMLRequest, mut(func(el *etree.Element) {
				el.CreateAttr("NotOnOrAfter", inInstant(inNow.Add(-10*time.Minute)))
			}), "", &k.idp)
		}, "logoutrequest.notonorafter"},
		{"Destination another SP", func() *http.Request {
			return inGet(t, paramSAMLRequest, mut(func(el *etree.Element) { el.CreateAttr("Destination", "https://other.example.it/slo") }), "", &k.idp)
		}, "logoutrequest.destination"},
		{"Destination missing", func() *http.Request {
			return inGet(t, paramSAMLRequest, mut(func(el *etree.Element) { el.RemoveAttr("Destination") }), "", &k.idp)
		}, "logoutrequest.destination"},
		{"Issuer another IdP", func() *http.Request {
			return inGet(t, paramSAMLRequest, mut(func(el *etree.Element) { el.SelectElement("Issuer").SetText("https://other.example.it") }), "", &k.idp)
		}, "logoutrequest.issuer"},
		{"Issuer Format not entity", func() *http.Request {
			return inGet(t, paramSAMLRequest, mut(func(el *etree.Element) { el.SelectElement("Issuer").CreateAttr("Format", NameIDTransient) }), "", &k.idp)
		}, "logoutrequest.issuer.format"},
		{"NameID missing", func() *http.Request {
			return inGet(t, paramSAMLRequest, mut(func(el *etree.Element) { el.RemoveChild(el.SelectElement("NameID")) }), "", &k.idp)
		}, "logoutrequest.nameid"},
		{"NameID empty", func() *http.Request {
			return inGet(t, paramSAMLRequest, mut(func(el *etree.Element) { el.SelectElement("NameID").SetText(" ") }), "", &k.idp)
		}, "logoutrequest.nameid"},
		{"EncryptedID instead of NameID", func() *http.Request {
			return inGet(t, paramSAMLRequest, mut(func(el *etree.Element) {
				el.RemoveChild(el.SelectElement("NameID"))
				el.CreateElement("saml:EncryptedID")
			}), "", &k.idp)
		}, "logoutrequest.schema"},
		{"DOCTYPE", func() *http.Request {
			q := inRedirectQuery(t, paramSAMLRequest, append([]byte(`<!DOCTYPE x [<!ENTITY e "e">]>`), inXMLBytes(t, good())...), "", dsig.RSASHA256SignatureMethod)
			return signedQuery(q)
		}, "xml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := inSP().ParseLogoutRequest(tc.req(), inIdP(t), inNow)
			if got := CheckOf(err); got != tc.check {
				t.Errorf("check = %q, want %q (error %v)", got, tc.check, err)
			}
		})
	}
}

func TestParseLogoutResponse(t *testing.T) {
	k := inKeys(t)
	status := func(top, sub string) *etree.Element {
		return inLogoutMsg("LogoutResponse", func(el *etree.Element) {
			code := el.FindElement(".//StatusCode")
			code.CreateAttr("Value", top)
			if sub != "" {
				code.CreateElement("samlp:StatusCode").CreateAttr("Value", sub)
			}
		})
	}
	type verdict struct {
		Partial bool
		Check   string
	}
	for _, tc := range []struct {
		name      string
		req       func() *http.Request
		requestID string
		want      verdict
	}{
		{"success by redirect", func() *http.Request {
			return inGet(t, paramSAMLResponse, status(StatusSuccess, ""), "rs", &k.idp)
		}, inLogoutRequestID, verdict{}},
		{"success by post", func() *http.Request {
			return inPost(t, paramSAMLResponse, status(StatusSuccess, ""), "rs", &k.idp, nil)
		}, inLogoutRequestID, verdict{}},
		{"partial logout (Requester + PartialLogout)", func() *http.Request {
			return inGet(t, paramSAMLResponse, status(statusRequester, StatusPartialLogout), "", &k.idp)
		}, inLogoutRequestID, verdict{Partial: true}},
		{"partial logout (Success + PartialLogout)", func() *http.Request {
			return inPost(t, paramSAMLResponse, status(StatusSuccess, StatusPartialLogout), "", &k.idp, nil)
		}, inLogoutRequestID, verdict{Partial: true}},
		{"Requester without PartialLogout", func() *http.Request {
			return inGet(t, paramSAMLResponse, status(statusRequester, ""), "", &k.idp)
		}, inLogoutRequestID, verdict{Check: "logoutresponse.status"}},
		{"Responder", func() *http.Request {
			return inGet(t, paramSAMLResponse, status("urn:oasis:names:tc:SAML:2.0:status:Responder", ""), "", &k.idp)
		}, inLogoutRequestID, verdict{Check: "logoutresponse.status"}},
		{"no Status", func() *http.Request {
			return inGet(t, paramSAMLResponse, inLogoutMsg("LogoutResponse", func(el *etree.Element) {
				el.RemoveChild(el.SelectElement("Status"))
			}), "", &k.idp)
		}, inLogoutRequestID, verdict{Check: "logoutresponse.status"}},
		{"answer to another request", func() *http.Request {
			return inGet(t, paramSAMLResponse, status(StatusSuccess, ""), "", &k.idp)
		}, "_another", verdict{Check: "logoutresponse.inresponseto"}},
		{"no request to answer", func() *http.Request {
			return inGet(t, paramSAMLResponse, status(StatusSuccess, ""), "", &k.idp)
		}, "", verdict{Check: "logoutresponse.inresponseto"}},
		{"unsigned redirect", func() *http.Request {
			return inGet(t, paramSAMLResponse, status(StatusSuccess, ""), "", nil)
		}, inLogoutRequestID, verdict{Check: "logoutresponse.signature"}},
		{"unsigned post", func() *http.Request {
			return inPost(t, paramSAMLResponse, status(StatusSuccess, ""), "", nil, nil)
		}, inLogoutRequestID, verdict{Check: "logoutresponse.signature"}},
		{"SAMLRequest where a SAMLResponse is expected", func() *http.Request {
			return inGet(t, paramSAMLRequest, status(StatusSuccess, ""), "", &k.idp)
		}, inLogoutRequestID, verdict{Check: "logoutresponse.signature"}},
		{"Destination another SP", func() *http.Request {
			return inGet(t, paramSAMLResponse, inLogoutMsg("LogoutResponse", func(el *etree.Element) {
				el.CreateAttr("Destination", "https://other.example.it/slo")
			}), "", &k.idp)
		}, inLogoutRequestID, verdict{Check: "logoutresponse.destination"}},
		{"Issuer another IdP", func() *http.Request {
			return inPost(t, paramSAMLResponse, inLogoutMsg("LogoutResponse", func(el *etree.Element) {
				el.SelectElement("Issuer").SetText("https://other.example.it")
			}), "", &k.idp, nil)
		}, inLogoutRequestID, verdict{Check: "logoutresponse.issuer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			partial, err := inSP().ParseLogoutResponse(tc.req(), inIdP(t), tc.requestID, inNow)
			if diff := cmp.Diff(tc.want, verdict{Partial: partial, Check: CheckOf(err)}); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s\nerror: %v", diff, err)
			}
		})
	}
}

func TestInflateCap(t *testing.T) {
	q := inRedirectQuery(t, "x", []byte(strings.Repeat("a", 1000)), "", "")
	v, _ := url.QueryUnescape(strings.TrimSuffix(strings.TrimPrefix(q, "x="), "&SigAlg="))
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := inflate(b, 1000); err != nil || len(out) != 1000 {
		t.Errorf("inflate at the cap: %d bytes, %v", len(out), err)
	}
	if _, err := inflate(b, 999); err == nil {
		t.Error("inflate over the cap succeeded")
	}
	if _, err := inflate([]byte("not deflate"), 1000); err == nil {
		t.Error("inflate of garbage succeeded")
	}
}
