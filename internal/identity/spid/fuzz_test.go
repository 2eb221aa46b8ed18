package spid

// Fuzz tests of the three parsers of incoming messages. Beyond "never
// panics", each checks the property that matters: nothing is accepted
// unless the IdP signed it. Seeds are signed at start with this run's keys,
// so an accepted input must carry exactly the content of a seed the IdP
// signed; every refusal must be a classified error.

import (
	"crypto"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/sportello/sportello/internal/apperr"
)

// inCheckFuzzError fails unless err is one of the kinds the parsers
// promise: Invalid with a named check, or an anomaly (Unauthorized).
func inCheckFuzzError(t *testing.T, err error) {
	t.Helper()
	switch apperr.KindOf(err) {
	case apperr.Invalid:
		if CheckOf(err) == "" {
			t.Fatalf("Invalid error without a check: %v", err)
		}
	case apperr.Unauthorized:
	default:
		t.Fatalf("unclassified error: %v", err)
	}
}

func FuzzParseResponse(f *testing.F) {
	sp, idp := inSP(), inIdP(f)
	signed := map[string]*Assertion{}
	seed := func(opts ...func(*inBuild)) {
		xml := inResponseXML(f, opts...)
		f.Add([]byte(xml))
		if a, err := sp.ParseResponse(base64.StdEncoding.EncodeToString([]byte(xml)), inPending(), idp, inNow); err == nil {
			signed[a.ID] = a
		}
	}
	seed()
	seed(inSignedResponse)
	seed(inSignedResponse, inBefore(inPoste))
	seed(inWithComments, inBefore(func(r *inResp) { inSplitText(r, "fiscalNumber", 12) }))
	seed(inAfter(func(r *inResp) { r.Response.AddChild(inEvilCopy(r.Assertion)) }))
	seed(inAfter(func(r *inResp) { inFiscal(r.Assertion, inEvilCF) }))
	seed(inAnomalyResponse("ErrorCode nr22")...)
	seed(inUnsignedAssertion)
	if len(signed) < 4 {
		f.Fatalf("only %d seeds are accepted", len(signed))
	}
	f.Fuzz(func(t *testing.T, xml []byte) {
		got, err := sp.ParseResponse(base64.StdEncoding.EncodeToString(xml), inPending(), idp, inNow)
		if err != nil {
			inCheckFuzzError(t, err)
			return
		}
		want, ok := signed[got.ID]
		if !ok {
			t.Fatalf("accepted an assertion the IdP never signed: %+v", got)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("accepted content the IdP did not sign (-signed +accepted):\n%s", diff)
		}
	})
}

// inFuzzRequest turns fuzz input into the HTTP request of a binding: a
// raw query for HTTP-Redirect, a form body for HTTP-POST.
func inFuzzRequest(get bool, data string) *http.Request {
	if get {
		r := httptest.NewRequest(http.MethodGet, inSLO, nil)
		r.URL.RawQuery = data
		return r
	}
	r := httptest.NewRequest(http.MethodPost, inSLO, strings.NewReader(data))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// inLogoutSeeds adds, for a message of kind, a signed and an unsigned
// seed in each binding, and returns the IDs of the signed ones.
func inLogoutSeeds(f *testing.F, kind, param string) map[string]bool {
	k := inKeys(f)
	ids := map[string]bool{}
	for _, s := range []*inSigner{&k.idp, nil} {
		msg := inLogoutMsg(kind, nil)
		if s != nil {
			ids[msg.SelectAttrValue("ID", "")] = true
		}
		q := inRedirectQuery(f, param, inXMLBytes(f, msg), "rs", dsig.RSASHA256SignatureMethod)
		if s != nil {
			q = inSignQuery(f, q, *s, crypto.SHA256)
		}
		f.Add(true, q)
		post := inLogoutMsg(kind, nil)
		if s != nil {
			ids[post.SelectAttrValue("ID", "")] = true
			inSign(f, post, *s, nil)
		}
		f.Add(false, url.Values{param: {base64.StdEncoding.EncodeToString(inXMLBytes(f, post))}, "RelayState": {"rs"}}.Encode())
	}
	return ids
}

func FuzzParseLogoutRequest(f *testing.F) {
	sp, idp := inSP(), inIdP(f)
	ids := inLogoutSeeds(f, "LogoutRequest", paramSAMLRequest)
	f.Fuzz(func(t *testing.T, get bool, data string) {
		got, err := sp.ParseLogoutRequest(inFuzzRequest(get, data), idp, inNow)
		if err != nil {
			inCheckFuzzError(t, err)
			return
		}
		if !ids[got.ID] || got.NameID != "_nameid42" || got.Issuer != inIdPEntity {
			t.Fatalf("accepted a LogoutRequest the IdP never signed: %+v", got)
		}
	})
}

func FuzzParseLogoutResponse(f *testing.F) {
	sp, idp := inSP(), inIdP(f)
	ids := inLogoutSeeds(f, "LogoutResponse", paramSAMLResponse)
	f.Fuzz(func(t *testing.T, get bool, data string) {
		r := inFuzzRequest(get, data)
		partial, err := sp.ParseLogoutResponse(r, idp, inLogoutRequestID, inNow)
		if err != nil {
			inCheckFuzzError(t, err)
			return
		}
		if partial {
			t.Fatal("accepted a partial logout no seed contains")
		}
		// Accepted: the message must be one of the signed seeds.
		if !inContainsSignedID(r, ids) {
			t.Fatalf("accepted a LogoutResponse the IdP never signed: %q", data)
		}
	})
}

// inContainsSignedID reports whether the message r carried has the ID of
// a signed seed (r's form or query is already parsed by the parser).
func inContainsSignedID(r *http.Request, ids map[string]bool) bool {
	var raw []byte
	if r.Method == http.MethodPost {
		raw, _ = base64.StdEncoding.DecodeString(r.PostForm.Get(paramSAMLResponse))
	} else {
		q, _ := splitQuery(r.URL.RawQuery)
		v, _ := url.QueryUnescape(q[paramSAMLResponse])
		b, _ := base64.StdEncoding.DecodeString(v)
		raw, _ = inflate(b, maxLogoutXML)
	}
	doc := etree.NewDocument()
	if doc.ReadFromBytes(raw) != nil || doc.Root() == nil {
		return false
	}
	return ids[doc.Root().SelectAttrValue("ID", "")]
}
