package spid

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/beevik/etree"
)

// Limits of incoming logout messages: they are small (about 3 KiB), and a
// Redirect one must be inflated, so the cap on the inflated size is what
// stops a DEFLATE bomb.
const (
	maxLogoutBase64 = 64 << 10
	maxLogoutXML    = 64 << 10
	maxLogoutForm   = 128 << 10
	// maxInRelayState is above the 80 bytes SAML bindings §3.4.3 allow, for
	// IdPs that exceed them, but bounded: it is echoed back.
	maxInRelayState = 256
	// logoutMaxAge is how old an IdP's logout message may be: it travels
	// through the browser right after it is made, and nothing else (no
	// pending request of ours, for a LogoutRequest) bounds its age.
	logoutMaxAge = 5 * time.Minute
	// StatusPartialLogout is the second-level status an IdP sends when
	// some session of the global SPID session could not be closed.
	StatusPartialLogout = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"
	statusRequester     = "urn:oasis:names:tc:SAML:2.0:status:Requester"
)

// LogoutRequest is a verified IdP-initiated logout: which session to end,
// and what the LogoutResponse must answer (its ID as InResponseTo, the
// RelayState, the same binding).
type LogoutRequest struct {
	ID     string
	Issuer string
	// NameID and NameQualifier are the transient NameID of the assertion
	// whose session ends; SessionIndexes its AuthnStatement's SessionIndex.
	NameID         string
	NameQualifier  string
	SessionIndexes []string
	RelayState     string
	Binding        Binding
}

// ParseLogoutRequest verifies a LogoutRequest the IdP sent to our SLO
// endpoint through the browser, in either binding: HTTP-Redirect (GET, the
// query signed) or HTTP-POST (an enveloped signature). An unsigned message
// is refused, whatever it asks: anyone could otherwise log a citizen out,
// or learn which sessions exist (GHSA-pcgw-qcv5-h8ch in gosaml2).
func (sp *SP) ParseLogoutRequest(r *http.Request, idp *IdP, now time.Time) (*LogoutRequest, error) {
	el, binding, relay, err := sp.readLogout(r, paramSAMLRequest, idp, now, "logoutrequest")
	if err != nil {
		return nil, err
	}
	if err := sp.checkLogout(el, "LogoutRequest", idp, now, "logoutrequest"); err != nil {
		return nil, err
	}
	out := &LogoutRequest{ID: el.SelectAttrValue("ID", ""), Issuer: idp.EntityID, RelayState: relay, Binding: binding}
	if _, ok := attr(el, "NotOnOrAfter"); ok {
		noa, err := parseAttrInstant(el, "NotOnOrAfter", "logoutrequest.notonorafter")
		if err != nil {
			return nil, err
		}
		if !now.Before(noa.Add(sp.skew())) {
			return nil, fail("logoutrequest.notonorafter", "expired at %s", noa.Format(time.RFC3339))
		}
	}
	for _, c := range el.ChildElements() {
		switch {
		case is(c, samlNS, "Issuer"), is(c, samlpNS, "Extensions"), is(c, dsigNS, "Signature"):
		case is(c, samlNS, "NameID"):
			if out.NameID != "" {
				return nil, fail("logoutrequest.nameid", "more than one NameID")
			}
			if out.NameID, err = textOf(c); err != nil || out.NameID == "" {
				return nil, fail("logoutrequest.nameid", "NameID is empty")
			}
			out.NameQualifier = c.SelectAttrValue("NameQualifier", "")
		case is(c, samlpNS, "SessionIndex"):
			v, err := textOf(c)
			if err != nil || v == "" {
				return nil, fail("logoutrequest.sessionindex", "SessionIndex is empty")
			}
			out.SessionIndexes = append(out.SessionIndexes, v)
		default:
			// BaseID and EncryptedID included: SPID names the subject
			// with a plain NameID only.
			return nil, fail("logoutrequest.schema", "unexpected element %s", c.Tag)
		}
	}
	if out.NameID == "" {
		return nil, fail("logoutrequest.nameid", "no NameID")
	}
	return out, nil
}

// ParseLogoutResponse verifies the IdP's answer to our LogoutRequest
// requestID, in either binding. It reports partial when the IdP could not
// close every session of the global SPID session (StatusCode Requester with
// PartialLogout, per the SPID single-logout rules; Success with
// PartialLogout is read the same way); our own session is ended either
// way, before the request was sent. Any other status is an error.
func (sp *SP) ParseLogoutResponse(r *http.Request, idp *IdP, requestID string, now time.Time) (partial bool, err error) {
	if requestID == "" {
		return false, fail("logoutresponse.inresponseto", "no request id to match")
	}
	el, _, _, err := sp.readLogout(r, paramSAMLResponse, idp, now, "logoutresponse")
	if err != nil {
		return false, err
	}
	if err := sp.checkLogout(el, "LogoutResponse", idp, now, "logoutresponse"); err != nil {
		return false, err
	}
	if v := el.SelectAttrValue("InResponseTo", ""); v != requestID {
		return false, fail("logoutresponse.inresponseto", "InResponseTo %q, want %q", clip(v, 80), requestID)
	}
	statuses := childrenOf(el, samlpNS, "Status")
	if len(statuses) != 1 {
		return false, fail("logoutresponse.status", "%d Status elements, want 1", len(statuses))
	}
	codes := childrenOf(statuses[0], samlpNS, "StatusCode")
	if len(codes) != 1 {
		return false, fail("logoutresponse.status", "%d StatusCode elements, want 1", len(codes))
	}
	top, sub := codes[0].SelectAttrValue("Value", ""), ""
	if subs := childrenOf(codes[0], samlpNS, "StatusCode"); len(subs) > 0 {
		sub = subs[0].SelectAttrValue("Value", "")
	}
	switch {
	case (top == StatusSuccess || top == statusRequester) && sub == StatusPartialLogout:
		return true, nil
	case top == StatusSuccess:
		return false, nil
	}
	return false, fail("logoutresponse.status", "status %q %q", clip(top, 100), clip(sub, 100))
}

// readLogout extracts, verifies and parses the message param of r in the
// binding its method implies, and returns the element to read it from: the
// parsed XML for HTTP-Redirect (the query signature covers all of it), the
// verified element for HTTP-POST.
func (sp *SP) readLogout(r *http.Request, param string, idp *IdP, now time.Time, check string) (*etree.Element, Binding, string, error) {
	if sp.EntityID == "" || sp.SLOURL == "" {
		return nil, "", "", misconfigured("the SP has no entity ID or SLO URL")
	}
	if idp == nil || idp.EntityID == "" {
		return nil, "", "", fail(check+".idp", "no identity provider")
	}
	switch r.Method {
	case http.MethodGet:
		q, err := splitQuery(r.URL.RawQuery)
		if err != nil {
			return nil, "", "", fail(check+".query", "%v", err)
		}
		err = verifyRedirect(r.URL.RawQuery, param, idp.Certificates)
		if errors.Is(err, errUnsigned) {
			return nil, "", "", fail(check+".signature", "the query is not signed")
		}
		if err != nil {
			return nil, "", "", fail(check+".signature", "%v", err)
		}
		relay, err := url.QueryUnescape(q["RelayState"])
		if err != nil || len(relay) > maxInRelayState {
			return nil, "", "", fail(check+".relaystate", "RelayState malformed or longer than %d bytes", maxInRelayState)
		}
		enc, err := url.QueryUnescape(q[param])
		if err != nil || len(enc) > maxLogoutBase64 {
			return nil, "", "", fail(check+".size", "%s malformed or too long", param)
		}
		deflated, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return nil, "", "", fail(check+".base64", "%v", err)
		}
		raw, err := inflate(deflated, maxLogoutXML)
		if err != nil {
			return nil, "", "", fail(check+".deflate", "%v", err)
		}
		root, err := parseXML(raw)
		if err != nil {
			return nil, "", "", fail("xml", "%v", err)
		}
		return root, HTTPRedirect, relay, nil

	case http.MethodPost:
		if r.PostForm == nil {
			r.Body = http.MaxBytesReader(nil, r.Body, maxLogoutForm)
			if err := r.ParseForm(); err != nil {
				return nil, "", "", fail(check+".form", "%v", err)
			}
		}
		values, relays := r.PostForm[param], r.PostForm["RelayState"]
		if len(values) != 1 || len(relays) > 1 {
			return nil, "", "", fail(check+".form", "want one %s and at most one RelayState", param)
		}
		relay := ""
		if len(relays) == 1 {
			relay = relays[0]
		}
		if len(relay) > maxInRelayState {
			return nil, "", "", fail(check+".relaystate", "RelayState longer than %d bytes", maxInRelayState)
		}
		if len(values[0]) > maxLogoutBase64 {
			return nil, "", "", fail(check+".size", "%s longer than %d bytes", param, maxLogoutBase64)
		}
		raw, err := base64.StdEncoding.DecodeString(values[0])
		if err != nil {
			return nil, "", "", fail(check+".base64", "%v", err)
		}
		root, err := parseXML(raw)
		if err != nil {
			return nil, "", "", fail("xml", "%v", err)
		}
		if err := checkLogoutSignatures(root); err != nil {
			return nil, "", "", fail(check+".signature", "%v", err)
		}
		verified, err := verifyEnveloped(root, idp.Certificates, now)
		if errors.Is(err, errUnsigned) {
			return nil, "", "", fail(check+".signature", "the message is not signed")
		}
		if err != nil {
			return nil, "", "", fail(check+".signature", "%v", err)
		}
		return verified, HTTPPost, relay, nil
	}
	return nil, "", "", fail(check+".binding", "method %s is neither HTTP-Redirect (GET) nor HTTP-POST", r.Method)
}

// checkLogoutSignatures allows a Signature only as the root's direct child,
// so that the one verified is the only one there is.
func checkLogoutSignatures(root *etree.Element) error {
	var walk func(el *etree.Element) error
	walk = func(el *etree.Element) error {
		for _, c := range el.ChildElements() {
			if c.Tag == "Signature" && el != root {
				return errors.New("Signature inside " + el.Tag)
			}
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root)
}

// checkLogout checks what LogoutRequest and LogoutResponse share: the root
// element, Version, ID, an IssueInstant no older than logoutMaxAge nor in
// the future, Destination our SLO endpoint, Issuer the IdP (Format, when
// given, entity).
func (sp *SP) checkLogout(el *etree.Element, tag string, idp *IdP, now time.Time, check string) error {
	if !is(el, samlpNS, tag) {
		return fail(check+".root", "root element is %s, not samlp:%s", el.Tag, tag)
	}
	if v := el.SelectAttrValue("Version", ""); v != "2.0" {
		return fail(check+".version", "Version %q, want 2.0", clip(v, 20))
	}
	if el.SelectAttrValue("ID", "") == "" {
		return fail(check+".id", "missing or empty")
	}
	if _, err := sp.instant(el, "IssueInstant", now.Add(-logoutMaxAge), now, check+".issueinstant"); err != nil {
		return err
	}
	if v := el.SelectAttrValue("Destination", ""); v != sp.SLOURL {
		return fail(check+".destination", "Destination %q, want %q", clip(v, 200), sp.SLOURL)
	}
	return checkIssuer(el, idp, false, check+".issuer")
}
