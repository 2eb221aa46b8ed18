package spid

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Size limits of a posted SAMLResponse. A real SPID response is 8–15 KiB;
// the limits only stop a crafted one from costing memory or CPU.
const (
	maxResponseBase64 = 256 << 10
	maxResponseXML    = 192 << 10
)

// classRefLevels maps the only AuthnContextClassRef values SPID and CIE's
// SAML profile accept to their level; anything else (say the
// urn:oasis:…:SpidL1 of the old specification, case 97) is refused.
var classRefLevels = map[string]Level{
	L1.ClassRef(): L1,
	L2.ClassRef(): L2,
	L3.ClassRef(): L3,
}

// fiscalNumberRe is the SPID fiscalNumber attribute: "TINIT-" and a
// 16-character codice fiscale (omocodia letters included).
var fiscalNumberRe = regexp.MustCompile(`^TINIT-[A-Z0-9]{16}$`)

// ParseResponse validates the base64 SAMLResponse posted (HTTP-POST) to the
// ACS against the SPID rules (checklist §6 items 4–22) and returns what the
// signed Assertion proves. pending is the request the response must answer,
// already taken (once) by the caller from the browser-bound store; idp is
// the IdP that request went to. The caller must then record Assertion.ID
// until Assertion.NotOnOrAfter to refuse a replay.
//
// A non-Success status comes back as an error wrapping *Anomaly (kind
// Unauthorized), so that the citizen sees why the login did not happen;
// every other failure is apperr.Invalid wrapping a *CheckError naming the
// rule broken, for the logs only.
//
// Every value returned is read from the Assertion element as verified by
// its own signature, never from the posted tree (see verifyEnveloped). The
// Response's own fields are read from its verified form when it is signed;
// when it is not (the rules allow that), they are checked but only the
// Assertion's signed twins (Recipient, InResponseTo) are relied upon.
func (sp *SP) ParseResponse(encoded string, pending Pending, idp *IdP, now time.Time) (*Assertion, error) {
	if sp.EntityID == "" || sp.ACSURL == "" {
		return nil, misconfigured("the SP has no entity ID or ACS URL")
	}
	if err := checkPending(pending, idp); err != nil {
		return nil, err
	}
	if len(encoded) > maxResponseBase64 {
		return nil, fail("response.size", "%d bytes of base64, at most %d", len(encoded), maxResponseBase64)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fail("response.base64", "%v", err)
	}
	if len(raw) > maxResponseXML {
		return nil, fail("response.size", "%d bytes of XML, at most %d", len(raw), maxResponseXML)
	}
	root, err := parseXML(raw)
	if err != nil {
		return nil, fail("xml", "%v", err)
	}
	if !is(root, samlpNS, "Response") {
		return nil, fail("response.root", "root element is %s, not samlp:Response", root.Tag)
	}
	assertion, err := checkStructure(root)
	if err != nil {
		return nil, err
	}

	resp := root
	if len(childrenOf(root, dsigNS, "Signature")) > 0 {
		if root.SelectAttrValue("ID", "") == "" {
			return nil, fail("response.id", "missing or empty")
		}
		if resp, err = verifyEnveloped(root, idp.Certificates, now); err != nil {
			return nil, fail("response.signature", "%v", err)
		}
	}
	if err := sp.checkResponse(resp, pending, idp, now); err != nil {
		return nil, err
	}
	if err := checkStatus(resp); err != nil {
		return nil, err
	}

	if assertion == nil {
		return nil, fail("response.assertion", "status Success without an Assertion")
	}
	if assertion.SelectAttrValue("ID", "") == "" {
		return nil, fail("assertion.id", "missing or empty")
	}
	signed, err := verifyEnveloped(assertion, idp.Certificates, now)
	if errors.Is(err, errUnsigned) {
		return nil, fail("assertion.signature", "the Assertion is not signed (a signed Response is not enough)")
	}
	if err != nil {
		return nil, fail("assertion.signature", "%v", err)
	}
	return sp.readAssertion(signed, pending, idp, now)
}

// checkPending refuses to validate against a request that cannot have
// produced a login response from this IdP: the caller's bookkeeping is
// checked too, since a mix-up there would be a way in.
func checkPending(p Pending, idp *IdP) error {
	switch {
	case idp == nil || idp.EntityID == "":
		return fail("pending.idp", "no identity provider")
	case p.ID == "":
		return fail("pending.id", "no request id")
	case p.Logout:
		return fail("pending.logout", "the pending request is a LogoutRequest")
	case p.IdP != idp.EntityID:
		return fail("pending.idp", "request went to %q, not %q", p.IdP, idp.EntityID)
	case p.Profile != "" && idp.Profile != "" && p.Profile != idp.Profile:
		return fail("pending.profile", "request profile %s, IdP profile %s", p.Profile, idp.Profile)
	case !p.Level.Valid():
		return fail("pending.level", "level %d", p.Level)
	}
	switch p.Comparison {
	case "", Exact, Minimum, Better, Maximum:
	default:
		return fail("pending.comparison", "comparison %q", p.Comparison)
	}
	return nil
}

// checkStructure enforces the shape that leaves no room for signature
// wrapping, before any signature is looked at: at most one Assertion in the
// whole document, and it is a direct child of the Response; no
// EncryptedAssertion (SPID IdPs never encrypt); no Advice (assertions
// inside assertions); Signatures only as direct children of the Response
// or of the Assertion. Elements are matched by local name, whatever their
// namespace, so a look-alike in a made-up namespace is refused too. It
// returns the Assertion, or nil when there is none.
func checkStructure(root *etree.Element) (*etree.Element, error) {
	var assertions, signatures []*etree.Element
	var walk func(el *etree.Element) error
	walk = func(el *etree.Element) error {
		for _, c := range el.ChildElements() {
			switch c.Tag {
			case "Assertion":
				assertions = append(assertions, c)
			case "EncryptedAssertion", "EncryptedID", "EncryptedAttribute":
				return fail("response.encrypted", "%s is not accepted: SPID IdPs do not encrypt", c.Tag)
			case "Advice":
				return fail("assertion.advice", "Advice is not accepted")
			case "Signature":
				signatures = append(signatures, c)
			}
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	var assertion *etree.Element
	switch len(assertions) {
	case 0:
	case 1:
		assertion = assertions[0]
		if assertion.Parent() != root || !is(assertion, samlNS, "Assertion") {
			return nil, fail("response.assertions", "the Assertion is not a saml:Assertion child of the Response")
		}
	default:
		return nil, fail("response.assertions", "%d Assertions, at most 1", len(assertions))
	}
	for _, s := range signatures {
		if p := s.Parent(); (p != root && p != assertion) || !is(s, dsigNS, "Signature") {
			return nil, fail("response.signatures", "Signature inside %s", p.Tag)
		}
	}
	return assertion, nil
}

// checkResponse checks the Response element's attributes and Issuer.
func (sp *SP) checkResponse(resp *etree.Element, p Pending, idp *IdP, now time.Time) error {
	if v := resp.SelectAttrValue("Version", ""); v != "2.0" {
		return fail("response.version", "Version %q, want 2.0", clip(v, 20))
	}
	if resp.SelectAttrValue("ID", "") == "" {
		return fail("response.id", "missing or empty")
	}
	if _, err := sp.instant(resp, "IssueInstant", p.IssuedAt, now, "response.issueinstant"); err != nil {
		return err
	}
	if v := resp.SelectAttrValue("InResponseTo", ""); v != p.ID {
		return fail("response.inresponseto", "InResponseTo %q, want the request id %q", clip(v, 80), p.ID)
	}
	if v := resp.SelectAttrValue("Destination", ""); v != sp.ACSURL {
		return fail("response.destination", "Destination %q, want %q", clip(v, 200), sp.ACSURL)
	}
	return checkIssuer(resp, idp, false, "response.issuer")
}

// checkIssuer checks el's one saml:Issuer: the IdP's entity ID, with Format
// entity (required on the Assertion, optional on protocol messages).
func checkIssuer(el *etree.Element, idp *IdP, formatRequired bool, check string) error {
	issuers := childrenOf(el, samlNS, "Issuer")
	if len(issuers) != 1 {
		return fail(check, "%d Issuer elements, want 1", len(issuers))
	}
	v, err := textOf(issuers[0])
	if err != nil || v != idp.EntityID {
		return fail(check, "Issuer %q is not the IdP %q", clip(v, 200), idp.EntityID)
	}
	format, ok := attr(issuers[0], "Format")
	if (ok || formatRequired) && format != NameIDEntity {
		return fail(check+".format", "Issuer Format %q, want %s", clip(format, 100), NameIDEntity)
	}
	return nil
}

// readAssertion checks the verified Assertion a and returns what it says.
func (sp *SP) readAssertion(a *etree.Element, p Pending, idp *IdP, now time.Time) (*Assertion, error) {
	for _, c := range a.ChildElements() {
		switch {
		case c.NamespaceURI() != samlNS:
			return nil, fail("assertion.schema", "unexpected element %s", c.Tag)
		case c.Tag == "Issuer", c.Tag == "Subject", c.Tag == "Conditions",
			c.Tag == "AuthnStatement", c.Tag == "AttributeStatement":
		default:
			return nil, fail("assertion.schema", "unexpected element %s", c.Tag)
		}
	}
	out := &Assertion{IdP: idp.EntityID}
	if v := a.SelectAttrValue("Version", ""); v != "2.0" {
		return nil, fail("assertion.version", "Version %q, want 2.0", clip(v, 20))
	}
	if out.ID = a.SelectAttrValue("ID", ""); out.ID == "" {
		return nil, fail("assertion.id", "missing or empty")
	}
	var err error
	if out.IssuedAt, err = sp.instant(a, "IssueInstant", p.IssuedAt, now, "assertion.issueinstant"); err != nil {
		return nil, err
	}
	if err := checkIssuer(a, idp, true, "assertion.issuer"); err != nil {
		return nil, err
	}
	if err := sp.readSubject(a, p, now, out); err != nil {
		return nil, err
	}
	if err := sp.readConditions(a, now, out); err != nil {
		return nil, err
	}
	if err := readAuthn(a, p, out); err != nil {
		return nil, err
	}
	if err := readAttributes(a, out); err != nil {
		return nil, err
	}
	return out, nil
}

// readSubject checks the transient NameID and the one bearer
// SubjectConfirmation, whose Recipient and InResponseTo bind the signed
// assertion to our ACS and our request.
func (sp *SP) readSubject(a *etree.Element, p Pending, now time.Time, out *Assertion) error {
	subjects := childrenOf(a, samlNS, "Subject")
	if len(subjects) != 1 {
		return fail("assertion.subject", "%d Subject elements, want 1", len(subjects))
	}
	s := subjects[0]
	for _, c := range s.ChildElements() {
		if !is(c, samlNS, "NameID") && !is(c, samlNS, "SubjectConfirmation") {
			return fail("assertion.subject", "unexpected element %s in Subject", c.Tag)
		}
	}
	ids := childrenOf(s, samlNS, "NameID")
	if len(ids) != 1 {
		return fail("assertion.nameid", "%d NameID elements, want 1", len(ids))
	}
	var err error
	if out.NameID, err = textOf(ids[0]); err != nil || out.NameID == "" {
		return fail("assertion.nameid", "NameID is empty")
	}
	if f := ids[0].SelectAttrValue("Format", ""); f != NameIDTransient {
		return fail("assertion.nameid.format", "NameID Format %q, want %s", clip(f, 100), NameIDTransient)
	}
	if out.NameQualifier = ids[0].SelectAttrValue("NameQualifier", ""); out.NameQualifier == "" {
		return fail("assertion.nameid.namequalifier", "NameID has no NameQualifier")
	}

	confs := childrenOf(s, samlNS, "SubjectConfirmation")
	if len(confs) != 1 {
		return fail("assertion.subjectconfirmation", "%d SubjectConfirmation elements, want 1", len(confs))
	}
	if m := confs[0].SelectAttrValue("Method", ""); m != BearerMethod {
		return fail("assertion.subjectconfirmation.method", "Method %q, want %s", clip(m, 100), BearerMethod)
	}
	data := childrenOf(confs[0], samlNS, "SubjectConfirmationData")
	if len(data) != 1 {
		return fail("assertion.subjectconfirmationdata", "%d SubjectConfirmationData elements, want 1", len(data))
	}
	d := data[0]
	if v := d.SelectAttrValue("Recipient", ""); v != sp.ACSURL {
		return fail("assertion.subjectconfirmationdata.recipient", "Recipient %q, want %q", clip(v, 200), sp.ACSURL)
	}
	if v := d.SelectAttrValue("InResponseTo", ""); v != p.ID {
		return fail("assertion.subjectconfirmationdata.inresponseto", "InResponseTo %q, want %q", clip(v, 80), p.ID)
	}
	const noa = "assertion.subjectconfirmationdata.notonorafter"
	if out.NotOnOrAfter, err = parseAttrInstant(d, "NotOnOrAfter", noa); err != nil {
		return err
	}
	if !now.Before(out.NotOnOrAfter.Add(sp.skew())) {
		return fail(noa, "expired at %s", out.NotOnOrAfter.Format(time.RFC3339))
	}
	if _, ok := attr(d, "NotBefore"); ok {
		nb, err := parseAttrInstant(d, "NotBefore", "assertion.subjectconfirmationdata.notbefore")
		if err != nil {
			return err
		}
		if nb.After(now.Add(sp.skew())) {
			return fail("assertion.subjectconfirmationdata.notbefore", "not valid before %s", nb.Format(time.RFC3339))
		}
	}
	return nil
}

// readConditions checks the validity window and that the assertion is
// meant for us: every AudienceRestriction must name our entity ID (SAML
// core §2.5.1.4), and no condition we do not understand may be present.
func (sp *SP) readConditions(a *etree.Element, now time.Time, out *Assertion) error {
	conds := childrenOf(a, samlNS, "Conditions")
	if len(conds) != 1 {
		return fail("assertion.conditions", "%d Conditions elements, want 1", len(conds))
	}
	c := conds[0]
	nb, err := parseAttrInstant(c, "NotBefore", "assertion.conditions.notbefore")
	if err != nil {
		return err
	}
	if nb.After(now.Add(sp.skew())) {
		return fail("assertion.conditions.notbefore", "not valid before %s", nb.Format(time.RFC3339))
	}
	noa, err := parseAttrInstant(c, "NotOnOrAfter", "assertion.conditions.notonorafter")
	if err != nil {
		return err
	}
	if !now.Before(noa.Add(sp.skew())) {
		return fail("assertion.conditions.notonorafter", "expired at %s", noa.Format(time.RFC3339))
	}
	if noa.Before(out.NotOnOrAfter) {
		out.NotOnOrAfter = noa
	}
	restrictions := 0
	for _, r := range c.ChildElements() {
		switch {
		case is(r, samlNS, "AudienceRestriction"):
			restrictions++
			ours := false
			for _, au := range childrenOf(r, samlNS, "Audience") {
				if v, err := textOf(au); err == nil && v == sp.EntityID {
					ours = true
				}
			}
			if !ours {
				return fail("assertion.audience", "no Audience is our entity ID %q", sp.EntityID)
			}
		case is(r, samlNS, "OneTimeUse"), is(r, samlNS, "ProxyRestriction"):
		default:
			return fail("assertion.conditions", "unknown condition %s", r.Tag)
		}
	}
	if restrictions == 0 {
		return fail("assertion.audiencerestriction", "no AudienceRestriction")
	}
	return nil
}

// readAuthn checks the one AuthnStatement: exactly one SpidL class
// reference, at a level the request allows.
func readAuthn(a *etree.Element, p Pending, out *Assertion) error {
	stmts := childrenOf(a, samlNS, "AuthnStatement")
	if len(stmts) != 1 {
		return fail("assertion.authnstatement", "%d AuthnStatement elements, want 1", len(stmts))
	}
	out.SessionIndex = stmts[0].SelectAttrValue("SessionIndex", "")
	ctxs := childrenOf(stmts[0], samlNS, "AuthnContext")
	if len(ctxs) != 1 {
		return fail("assertion.authncontext", "%d AuthnContext elements, want 1", len(ctxs))
	}
	refs := childrenOf(ctxs[0], samlNS, "AuthnContextClassRef")
	if len(refs) != 1 {
		return fail("assertion.acr", "%d AuthnContextClassRef elements, want 1", len(refs))
	}
	v, err := textOf(refs[0])
	level, ok := classRefLevels[v]
	if err != nil || !ok {
		return fail("assertion.acr", "AuthnContextClassRef %q is not a SPID level", clip(v, 100))
	}
	if !levelAccepted(p.Level, p.Comparison, level) {
		return fail("assertion.acr.level", "level %d does not satisfy %s %d", level, p.Comparison, p.Level)
	}
	out.Level = level
	return nil
}

// levelAccepted applies the ACR rule of spid-cie.md §1.2 (cases 94–96)
// literally, row by row:
//
//	same level, Comparison ≠ better → OK
//	higher level                    → OK, whatever the Comparison
//	lower level                     → OK only with maximum
//	anything else (same + better)   → KO
//
// Our reading of the "higher" row: it applies to exact and maximum too,
// although SAML core would refuse a stronger context for those. That is
// what spid-sp-test and the AgID validator expect (response_mods.py accepts
// any returned level ≥ the requested one), and a stronger authentication
// never weakens the SP; the level obtained is returned in Assertion.Level
// for services that need to know. An empty Comparison is SAML's default,
// exact.
func levelAccepted(requested Level, cmp Comparison, got Level) bool {
	switch {
	case got == requested:
		return cmp != Better
	case got > requested:
		return true
	default:
		return cmp == Maximum
	}
}

// readAttributes reads the AttributeStatement, if any: not empty, every
// Attribute named once with one simple value (SPID attributes are single
// valued; two values or two fiscalNumbers would leave us guessing which one
// the IdP meant). A missing NameFormat is accepted (case 109).
func readAttributes(a *etree.Element, out *Assertion) error {
	out.Attributes = map[string]string{}
	stmts := childrenOf(a, samlNS, "AttributeStatement")
	switch len(stmts) {
	case 0:
		// No AttributeConsumingServiceIndex was asked for: no attributes.
		return nil
	case 1:
	default:
		return fail("assertion.attributestatement", "%d AttributeStatement elements, want at most 1", len(stmts))
	}
	attrs := stmts[0].ChildElements()
	if len(attrs) == 0 {
		return fail("assertion.attributestatement", "AttributeStatement is empty")
	}
	for _, at := range attrs {
		if !is(at, samlNS, "Attribute") {
			return fail("assertion.attributestatement", "unexpected element %s", at.Tag)
		}
		name := at.SelectAttrValue("Name", "")
		if name == "" {
			return fail("assertion.attribute", "Attribute without a Name")
		}
		if _, dup := out.Attributes[name]; dup {
			return fail("assertion.attribute", "Attribute %q repeated", clip(name, 60))
		}
		values := at.ChildElements()
		if len(values) != 1 || !is(values[0], samlNS, "AttributeValue") {
			return fail("assertion.attribute", "Attribute %q has %d children, want one AttributeValue", clip(name, 60), len(values))
		}
		v, err := textOf(values[0])
		if err != nil {
			return fail("assertion.attribute", "Attribute %q: %v", clip(name, 60), err)
		}
		out.Attributes[name] = v
	}
	if fn, ok := out.Attributes["fiscalNumber"]; ok {
		if !fiscalNumberRe.MatchString(fn) {
			// The value is personal data: it stays out of the log.
			return fail("assertion.fiscalnumber", "fiscalNumber is not TINIT- and 16 characters")
		}
		out.FiscalCode = strings.TrimPrefix(fn, "TINIT-")
	}
	return nil
}

// instant reads el's time attribute name and checks it lies between the
// request's IssueInstant and now, both widened by the clock skew.
func (sp *SP) instant(el *etree.Element, name string, issued, now time.Time, check string) (time.Time, error) {
	t, err := parseAttrInstant(el, name, check)
	if err != nil {
		return time.Time{}, err
	}
	if t.Before(issued.Add(-sp.skew())) {
		return time.Time{}, fail(check, "%s is too old (before %s less the clock skew)", t.Format(time.RFC3339), issued.Format(time.RFC3339))
	}
	if t.After(now.Add(sp.skew())) {
		return time.Time{}, fail(check, "%s is in the future", t.Format(time.RFC3339))
	}
	return t, nil
}

// parseAttrInstant parses el's xs:dateTime attribute name, which SAML wants
// in UTC ("Z"); fractional seconds are accepted (case 110).
func parseAttrInstant(el *etree.Element, name, check string) (time.Time, error) {
	v, ok := attr(el, name)
	if !ok || v == "" {
		return time.Time{}, fail(check, "%s missing or empty", name)
	}
	t, err := parseInstant(v)
	if err != nil {
		return time.Time{}, fail(check, "%s %q is not a UTC xs:dateTime", name, clip(v, 40))
	}
	return t, nil
}

// parseInstant parses a SAML instant: RFC 3339 in UTC with a "Z".
func parseInstant(v string) (time.Time, error) {
	if len(v) > 40 || !strings.HasSuffix(v, "Z") {
		return time.Time{}, errors.New("not a UTC instant")
	}
	return time.Parse(time.RFC3339Nano, v)
}
