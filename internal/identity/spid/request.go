package spid

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
)

// RequestOptions is what one login asks of the IdP: the caller picks them
// per service (a payment may need SpidL2, a certificate SpidL1).
type RequestOptions struct {
	// Profile is SPID or CIE; empty means the IdP's own profile.
	Profile    Profile
	Level      Level
	Comparison Comparison
	// AttributeIndex names one of the SP's AttributeSets: the IdP releases
	// the attributes of that set and no others.
	AttributeIndex int
	Binding        Binding
	// RelayState is an opaque one-time token (SPID wants it "not
	// immediately intelligible"), such as random bytes in base64url; the
	// caller maps it to ReturnTo. It may not contain ':', '/' or '\'.
	RelayState string
	// ReturnTo is the same-origin path the citizen goes back to after the
	// login; it is stored in the Pending, never sent to the IdP.
	ReturnTo string
}

// Outgoing is a signed message ready for the browser: a redirect for
// HTTP-Redirect, an auto-submitted form for HTTP-POST.
type Outgoing struct {
	Binding Binding
	// URL is the full redirect URL (query signed) or the form's action.
	URL string
	// SAMLRequest or SAMLResponse (exactly one is set, for HTTP-POST only)
	// is the form field with the base64 message; RelayState goes beside it.
	SAMLRequest, SAMLResponse string
	RelayState                string
	// XML is the message as sent (signed for POST; unsigned for Redirect,
	// whose signature is in the URL), for the message log (checklist 28).
	XML []byte
}

// maxRelayState is the limit of SAML bindings §3.4.3 and §3.5.3: 80 bytes.
const maxRelayState = 80

// AuthnRequest builds the signed AuthnRequest of checklist item 2 for idp
// and the Pending to store, bound to the browser, until the response comes
// back. ACS is named by AssertionConsumerServiceIndex="0" rather than by URL
// plus ProtocolBinding: the IdP then takes the address from the metadata it
// trusts, so a request can never steer an assertion elsewhere, and no
// string comparison of URLs can go wrong.
func (sp *SP) AuthnRequest(idp *IdP, o RequestOptions, now time.Time) (*Outgoing, Pending, error) {
	if err := sp.checkSigner(); err != nil {
		return nil, Pending{}, err
	}
	if idp == nil {
		return nil, Pending{}, apperr.Errorf(apperr.Invalid, "spid: authn request: no IdP")
	}
	if len(idp.Certificates) == 0 {
		// Fail closed: a response from this IdP could never be verified.
		return nil, Pending{}, apperr.Errorf(apperr.Invalid, "spid: authn request: IdP %q has no signing certificate", idp.EntityID)
	}
	profile := o.Profile
	if profile == "" {
		profile = idp.Profile
	}
	if profile != SPID && profile != CIE {
		return nil, Pending{}, apperr.Errorf(apperr.Invalid, "spid: authn request: unknown profile %q", profile)
	}
	if idp.Profile != "" && idp.Profile != profile {
		return nil, Pending{}, apperr.Errorf(apperr.Invalid, "spid: authn request: IdP %q speaks %s, not %s", idp.EntityID, idp.Profile, profile)
	}
	if !o.Level.Valid() {
		return nil, Pending{}, apperr.Errorf(apperr.Invalid, "spid: authn request: invalid level %d", o.Level)
	}
	if !knownComparison(o.Comparison) {
		return nil, Pending{}, apperr.Errorf(apperr.Invalid, "spid: authn request: invalid comparison %q", o.Comparison)
	}
	set, ok := sp.findAttributeSet(o.AttributeIndex)
	if !ok {
		return nil, Pending{}, apperr.Errorf(apperr.Invalid, "spid: authn request: no attribute set %d", o.AttributeIndex)
	}
	if profile == CIE && !cieCompatible(set) {
		return nil, Pending{}, apperr.Errorf(apperr.Invalid, "spid: authn request: attribute set %d asks CIE for attributes it does not release", o.AttributeIndex)
	}
	if err := opaqueRelayState(o.RelayState, true); err != nil {
		return nil, Pending{}, err
	}
	if err := sameOriginPath(o.ReturnTo); err != nil {
		return nil, Pending{}, err
	}
	dest, err := idpEndpoint(idp.SSORedirect, idp.SSOPost, o.Binding, idp.EntityID, "SSO")
	if err != nil {
		return nil, Pending{}, err
	}
	id, err := newMessageID()
	if err != nil {
		return nil, Pending{}, err
	}
	issued := now.UTC().Truncate(time.Millisecond)

	req := sp.newProtocolMessage("AuthnRequest", id, dest, issued)
	if o.Level > L1 {
		req.CreateAttr("ForceAuthn", "true")
	}
	req.CreateAttr("AssertionConsumerServiceIndex", "0")
	req.CreateAttr("AttributeConsumingServiceIndex", strconv.Itoa(set.Index))
	// NameIDPolicy without AllowCreate: spid-sp-test rejects the attribute
	// (Avviso 5), whatever its value.
	req.CreateElement("samlp:NameIDPolicy").CreateAttr("Format", NameIDTransient)
	rac := req.CreateElement("samlp:RequestedAuthnContext")
	rac.CreateAttr("Comparison", string(o.Comparison))
	rac.CreateElement("saml:AuthnContextClassRef").SetText(o.Level.ClassRef())

	out, err := sp.send(req, o.Binding, dest, formSAMLRequest, o.RelayState)
	if err != nil {
		return nil, Pending{}, err
	}
	p := Pending{
		ID: id, IssuedAt: issued, IdP: idp.EntityID, Level: o.Level,
		Comparison: o.Comparison, Profile: profile, ReturnTo: o.ReturnTo,
	}
	return out, p, nil
}

// knownComparison reports whether c is one of the four comparisons of
// SAML core §3.3.2.2.1, all of which SPID accepts.
func knownComparison(c Comparison) bool {
	return c == Exact || c == Minimum || c == Better || c == Maximum
}

// findAttributeSet finds the SP's attribute set with the given index.
func (sp *SP) findAttributeSet(index int) (AttributeSet, bool) {
	for _, s := range sp.AttributeSets {
		if s.Index == index {
			return s, true
		}
	}
	return AttributeSet{}, false
}

// cieCompatible reports whether every attribute of s is one CIE releases.
func cieCompatible(s AttributeSet) bool {
	for _, a := range s.Attributes {
		if !slices.Contains(cieAttributeNames, a) {
			return false
		}
	}
	return len(s.Attributes) > 0
}

// idpEndpoint picks the IdP's endpoint for the binding, refusing a binding the
// IdP does not offer rather than silently switching to the other one.
func idpEndpoint(redirect, post string, b Binding, idp, what string) (string, error) {
	var u string
	switch b {
	case HTTPRedirect:
		u = redirect
	case HTTPPost:
		u = post
	default:
		return "", apperr.Errorf(apperr.Invalid, "spid: unsupported binding %q", b)
	}
	if u == "" {
		return "", apperr.Errorf(apperr.Invalid, "spid: IdP %q has no %s endpoint for %s", idp, what, b)
	}
	return u, nil
}

// opaqueRelayState keeps RelayState opaque and within the bindings' limit:
// no URL or path, which would be an open redirect waiting to happen
// (spid-laravel #65) and which spid-sp-test flags as intelligible. A URL
// always has a ':' or a '/'; a random token in base64url or hex never
// does. (spid-sp-test's own heuristic, the substring "http", would also
// refuse one random base64url token in a million, so it is not copied.)
func opaqueRelayState(rs string, required bool) error {
	switch {
	case rs == "" && required:
		return apperr.Errorf(apperr.Invalid, "spid: RelayState is required")
	case len(rs) > maxRelayState:
		return apperr.Errorf(apperr.Invalid, "spid: RelayState longer than %d bytes", maxRelayState)
	case strings.ContainsAny(rs, "/\\:"):
		return apperr.Errorf(apperr.Invalid, "spid: RelayState must be an opaque token, not a URL")
	}
	return nil
}

// sameOriginPath accepts only a same-origin absolute path ("/servizi/x?y"):
// not "//host", not "/\host" (which browsers read as "//host"), no scheme.
func sameOriginPath(p string) error {
	bad := func() error {
		return apperr.Errorf(apperr.Invalid, "spid: return path %q is not a same-origin path", p)
	}
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsAny(p, "\\\r\n\t") {
		return bad()
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return bad()
	}
	return nil
}
