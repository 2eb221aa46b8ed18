package spididp

import (
	"encoding/xml"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Request freshness: how far in the future an SP's clock may run, and how
// old a request may be when it arrives.
const (
	requestSkew   = 90 * time.Second
	requestMaxAge = 5 * time.Minute
)

// authnRequest is the AuthnRequest as SPID uses it. Optional attributes
// are pointers, because absent and empty are different faults.
type authnRequest struct {
	XMLName               xml.Name `xml:"urn:oasis:names:tc:SAML:2.0:protocol AuthnRequest"`
	ID                    string   `xml:"ID,attr"`
	Version               string   `xml:"Version,attr"`
	IssueInstant          string   `xml:"IssueInstant,attr"`
	Destination           string   `xml:"Destination,attr"`
	ForceAuthn            string   `xml:"ForceAuthn,attr"`
	IsPassive             string   `xml:"IsPassive,attr"`
	ACSIndex              *string  `xml:"AssertionConsumerServiceIndex,attr"`
	ACSURL                *string  `xml:"AssertionConsumerServiceURL,attr"`
	ProtocolBinding       string   `xml:"ProtocolBinding,attr"`
	AttributeServiceIndex *string  `xml:"AttributeConsumingServiceIndex,attr"`
	Issuer                []struct {
		Value         string `xml:",chardata"`
		Format        string `xml:"Format,attr"`
		NameQualifier string `xml:"NameQualifier,attr"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	NameIDPolicy []struct {
		Format      string  `xml:"Format,attr"`
		AllowCreate *string `xml:"AllowCreate,attr"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:protocol NameIDPolicy"`
	RequestedAuthnContext []struct {
		Comparison string   `xml:"Comparison,attr"`
		ClassRefs  []string `xml:"urn:oasis:names:tc:SAML:2.0:assertion AuthnContextClassRef"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:protocol RequestedAuthnContext"`
}

// issuer returns the trimmed Issuer value, "" when there is not exactly one.
func (a *authnRequest) issuer() string {
	if len(a.Issuer) != 1 {
		return ""
	}
	return strings.TrimSpace(a.Issuer[0].Value)
}

// parseAuthnRequest reads a decoded AuthnRequest. Its values are trusted
// only once the signature has been checked: the Redirect binding signs the
// query, the POST binding the document (see verifyEnveloped).
func parseAuthnRequest(b []byte) (*etree.Document, *authnRequest, error) {
	doc, err := parseXML(b)
	if err != nil {
		return nil, nil, broken(8, "%v", err)
	}
	if root := doc.Root(); root.Tag != "AuthnRequest" || root.NamespaceURI() != nsSAMLP {
		return nil, nil, broken(8, "root element %s is not samlp:AuthnRequest", root.Tag)
	}
	var req authnRequest
	if err := xml.Unmarshal(b, &req); err != nil {
		return nil, nil, broken(8, "xml: %v", err)
	}
	return doc, &req, nil
}

// checked is a valid request, reduced to what the login needs.
type checked struct {
	Level      int
	Comparison string
	ACS        endpoint
	// AttrIndex is the AttributeConsumingService asked for; HasAttrs is
	// false when the request names none (then no attributes are released).
	AttrIndex int
	HasAttrs  bool
}

var (
	xsID     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
	spidLRef = regexp.MustCompile(`^https://www\.spid\.gov\.it/SpidL([123])$`)
)

// check applies the rules a strict SPID IdP applies to a signed request, in
// the order of AgID's anomaly table, and returns the first broken one.
func (p *IdP) check(r *http.Request, req *authnRequest, sp *spMetadata) (*checked, *ruleError) {
	now := p.cfg.Now()
	if req.Version != "2.0" {
		return nil, broken(9, "Version is %q, want 2.0", req.Version)
	}
	if req.Issuer[0].Format != nameIDEntity {
		return nil, broken(10, "Issuer Format is %q, want %s", req.Issuer[0].Format, nameIDEntity)
	}
	if req.Issuer[0].NameQualifier != sp.EntityID {
		return nil, broken(10, "Issuer NameQualifier is %q, want the entityID %q", req.Issuer[0].NameQualifier, sp.EntityID)
	}
	if !xsID.MatchString(req.ID) {
		return nil, broken(11, "ID %q is not an xs:ID", req.ID)
	}
	issued, err := time.Parse(time.RFC3339Nano, req.IssueInstant)
	switch {
	case err != nil || !strings.HasSuffix(req.IssueInstant, "Z"):
		return nil, broken(13, "IssueInstant %q is not a UTC xs:dateTime", req.IssueInstant)
	case issued.After(now.Add(requestSkew)):
		return nil, broken(13, "IssueInstant %s is in the future (now %s)", req.IssueInstant, samlTime(now))
	case issued.Before(now.Add(-requestMaxAge)):
		return nil, broken(13, "IssueInstant %s is older than %s", req.IssueInstant, requestMaxAge)
	}
	if d := req.Destination; d != p.url(r, "/sso") && d != p.EntityID(r) {
		return nil, broken(14, "Destination is %q, want %q", d, p.url(r, "/sso"))
	}
	if req.IsPassive == "true" || req.IsPassive == "1" {
		return nil, broken(15, "IsPassive is true")
	}
	c := &checked{}
	if len(req.RequestedAuthnContext) != 1 {
		return nil, broken(12, "%d RequestedAuthnContext elements, want 1", len(req.RequestedAuthnContext))
	}
	rac := req.RequestedAuthnContext[0]
	if len(rac.ClassRefs) != 1 {
		return nil, broken(12, "%d AuthnContextClassRef, want exactly 1", len(rac.ClassRefs))
	}
	m := spidLRef.FindStringSubmatch(strings.TrimSpace(rac.ClassRefs[0]))
	if m == nil {
		return nil, broken(12, "AuthnContextClassRef %q is not a SPID level", rac.ClassRefs[0])
	}
	c.Level = int(m[1][0] - '0')
	switch rac.Comparison {
	case "", "exact", "minimum", "better", "maximum":
		c.Comparison = rac.Comparison
	default:
		return nil, broken(12, "Comparison %q is not exact, minimum, better or maximum", rac.Comparison)
	}
	if c.Level > 1 && req.ForceAuthn != "true" && req.ForceAuthn != "1" {
		return nil, broken(8, "ForceAuthn must be true for SpidL%d", c.Level)
	}
	var bad *ruleError
	if c.ACS, bad = checkACS(req, sp); bad != nil {
		return nil, bad
	}
	if len(req.NameIDPolicy) != 1 || req.NameIDPolicy[0].Format != nameIDTransient {
		return nil, broken(17, "NameIDPolicy must be one element with Format %s", nameIDTransient)
	}
	if req.NameIDPolicy[0].AllowCreate != nil {
		return nil, broken(17, "NameIDPolicy carries AllowCreate, which SPID forbids")
	}
	if s := req.AttributeServiceIndex; s != nil {
		i, err := strconv.Atoi(*s)
		if err != nil || i < 0 {
			return nil, broken(18, "AttributeConsumingServiceIndex %q is not a non-negative integer", *s)
		}
		if _, ok := sp.AttributeSets[i]; !ok {
			return nil, broken(18, "AttributeConsumingServiceIndex %d is not in the SP metadata", i)
		}
		c.AttrIndex, c.HasAttrs = i, true
	}
	return c, nil
}

// checkACS resolves where the response goes: exactly one of the ACS index
// and the ACS URL (with ProtocolBinding HTTP-POST), and it must be an
// HTTP-POST service of the SP metadata.
func checkACS(req *authnRequest, sp *spMetadata) (endpoint, *ruleError) {
	switch {
	case req.ACSIndex != nil && req.ACSURL != nil:
		return endpoint{}, broken(16, "both AssertionConsumerServiceIndex and AssertionConsumerServiceURL are set")
	case req.ACSIndex == nil && req.ACSURL == nil:
		return endpoint{}, broken(16, "neither AssertionConsumerServiceIndex nor AssertionConsumerServiceURL is set")
	case req.ProtocolBinding != "" && req.ProtocolBinding != bindingPost:
		return endpoint{}, broken(16, "ProtocolBinding is %q, want %s", req.ProtocolBinding, bindingPost)
	case req.ACSIndex != nil:
		i, err := strconv.Atoi(*req.ACSIndex)
		if err != nil || i < 0 {
			return endpoint{}, broken(16, "AssertionConsumerServiceIndex %q is not a non-negative integer", *req.ACSIndex)
		}
		ep, ok := sp.acsByIndex(i)
		if !ok {
			return endpoint{}, broken(16, "AssertionConsumerServiceIndex %d is not in the SP metadata", i)
		}
		if ep.Binding != bindingPost {
			return endpoint{}, broken(16, "AssertionConsumerService %d is bound to %s, not HTTP-POST", i, ep.Binding)
		}
		return ep, nil
	}
	if req.ProtocolBinding != bindingPost {
		return endpoint{}, broken(16, "AssertionConsumerServiceURL needs ProtocolBinding %s", bindingPost)
	}
	for _, ep := range sp.ACS {
		if ep.Location == *req.ACSURL && ep.Binding == bindingPost {
			return ep, nil
		}
	}
	return endpoint{}, broken(16, "AssertionConsumerServiceURL %q is not an HTTP-POST service in the SP metadata", *req.ACSURL)
}
