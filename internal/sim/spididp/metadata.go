package spididp

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/sportello/sportello/internal/apperr"
)

// metadataShow serves the IdP's signed metadata, from which the host builds
// its registry entry exactly as it would from AgID's.
func (p *IdP) metadataShow(w http.ResponseWriter, r *http.Request) error {
	b, err := p.metadata(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, err = w.Write(b)
	return err
}

// metadata builds and signs the EntityDescriptor: an IDPSSODescriptor
// that wants signed requests, both bindings for SSO and SLO, transient
// NameIDs and the attributes the profile can release, like AgID's IdPs.
func (p *IdP) metadata(r *http.Request) ([]byte, error) {
	ed := etree.NewElement("md:EntityDescriptor")
	ed.CreateAttr("xmlns:md", nsMD)
	ed.CreateAttr("xmlns:ds", nsDS)
	ed.CreateAttr("xmlns:saml", nsSAML)
	ed.CreateAttr("ID", newID())
	ed.CreateAttr("entityID", p.EntityID(r))

	idp := ed.CreateElement("md:IDPSSODescriptor")
	idp.CreateAttr("protocolSupportEnumeration", nsSAMLP)
	idp.CreateAttr("WantAuthnRequestsSigned", "true")
	kd := idp.CreateElement("md:KeyDescriptor")
	kd.CreateAttr("use", "signing")
	kd.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(p.cert.Raw))
	for _, b := range []string{bindingRedirect, bindingPost} {
		s := idp.CreateElement("md:SingleLogoutService")
		s.CreateAttr("Binding", b)
		s.CreateAttr("Location", p.url(r, "/slo"))
	}
	idp.CreateElement("md:NameIDFormat").SetText(nameIDTransient)
	for _, b := range []string{bindingRedirect, bindingPost} {
		s := idp.CreateElement("md:SingleSignOnService")
		s.CreateAttr("Binding", b)
		s.CreateAttr("Location", p.url(r, "/sso"))
	}
	for _, name := range p.attributes() {
		a := idp.CreateElement("saml:Attribute")
		a.CreateAttr("Name", name)
		a.CreateAttr("NameFormat", attrnameBasic)
	}

	org := ed.CreateElement("md:Organization")
	for _, tag := range []string{"md:OrganizationName", "md:OrganizationDisplayName"} {
		e := org.CreateElement(tag)
		e.CreateAttr("xml:lang", "it")
		e.SetText(p.displayName())
	}
	u := org.CreateElement("md:OrganizationURL")
	u.CreateAttr("xml:lang", "it")
	u.SetText(p.url(r, "/sessions"))

	if err := signEnveloped(ed, p.key, p.cert); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(ed)
	return doc.WriteToBytes()
}

// attributes are those the profile can release: CIE's four, or SPID's list.
func (p *IdP) attributes() []string {
	if p.cfg.Profile == CIE {
		return cieAttributes
	}
	return spidAttributes
}

// displayName is the IdP's name on its pages and in its metadata.
func (p *IdP) displayName() string {
	if p.cfg.Profile == CIE {
		return "CIE ID di prova (simulatore)"
	}
	return "SPID di prova (simulatore)"
}

// spMetadata is what the IdP needs to know about an SP, read from the
// signed part of its metadata.
type spMetadata struct {
	EntityID string
	// Name is the Organization's display name, shown on the login page.
	Name  string
	Certs []*x509.Certificate
	ACS   []endpoint
	SLO   []endpoint
	// AttributeSets maps an AttributeConsumingService index to its
	// requested attribute names.
	AttributeSets map[int][]string
}

// endpoint is an ACS or SLO service of the SP.
type endpoint struct {
	Binding, Location, ResponseLocation string
	Index                               int
	IsDefault                           bool
}

// acsByIndex finds the AssertionConsumerService with an index.
func (m *spMetadata) acsByIndex(i int) (endpoint, bool) {
	for _, e := range m.ACS {
		if e.Index == i {
			return e, true
		}
	}
	return endpoint{}, false
}

// defaultACS is the ACS marked isDefault, or else the one with the lowest
// index, as SAML metadata says.
func (m *spMetadata) defaultACS() (endpoint, bool) {
	var best endpoint
	found := false
	for _, e := range m.ACS {
		if e.IsDefault {
			return e, true
		}
		if !found || e.Index < best.Index {
			best, found = e, true
		}
	}
	return best, found
}

// slo returns the SP's SingleLogoutService, POST preferred because the
// simulator's pages post without JavaScript.
func (m *spMetadata) slo() (endpoint, bool) {
	for _, b := range []string{bindingPost, bindingRedirect} {
		for _, e := range m.SLO {
			if e.Binding == b {
				return e, true
			}
		}
	}
	return endpoint{}, false
}

// cachedSP is SP metadata with the time it was fetched.
type cachedSP struct {
	md *spMetadata
	at time.Time
}

// Cache bounds for SP metadata: a few minutes, so that a developer who
// changes the SP sees it soon, and a few SPs.
const (
	spCacheTTL  = 5 * time.Minute
	spCacheSize = 64
)

// spByEntityID returns an SP's metadata, fetched from its entityID (SPID
// entityIDs are the metadata's URL) and cached for spCacheTTL.
func (p *IdP) spByEntityID(ctx context.Context, entityID string) (*spMetadata, error) {
	now := p.cfg.Now()
	p.mu.Lock()
	c, ok := p.spCache[entityID]
	p.mu.Unlock()
	if ok && now.Sub(c.at) < spCacheTTL {
		return c.md, nil
	}
	md, err := p.fetchSP(ctx, entityID)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.spCache) >= spCacheSize {
		for k, v := range p.spCache {
			if now.Sub(v.at) >= spCacheTTL || len(p.spCache) >= spCacheSize {
				delete(p.spCache, k)
			}
		}
	}
	p.spCache[entityID] = cachedSP{md: md, at: now}
	return md, nil
}

// fetchSP downloads and checks an SP's metadata.
func (p *IdP) fetchSP(ctx context.Context, entityID string) (*spMetadata, error) {
	u, err := url.Parse(entityID)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, apperr.Errorf(apperr.Invalid, "sp metadata: entityID %q is not an http(s) URL", entityID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, entityID, nil)
	if err != nil {
		return nil, apperr.Errorf(apperr.Invalid, "sp metadata: %w", err)
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml")
	res, err := p.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, apperr.Errorf(apperr.Unavailable, "sp metadata: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, apperr.Errorf(apperr.Unavailable, "sp metadata: %s answered %s", entityID, res.Status)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxMetadata+1))
	if err != nil {
		return nil, apperr.Errorf(apperr.Unavailable, "sp metadata: %w", err)
	}
	if len(b) > maxMetadata {
		return nil, apperr.Errorf(apperr.TooLarge, "sp metadata: longer than %d bytes", maxMetadata)
	}
	md, err := parseSPMetadata(b, p.cfg.Now())
	if err != nil {
		return nil, apperr.Errorf(apperr.Invalid, "sp metadata %s: %w", entityID, err)
	}
	if md.EntityID != entityID {
		return nil, apperr.Errorf(apperr.Invalid, "sp metadata: entityID %q served at %q", md.EntityID, entityID)
	}
	return md, nil
}

// XML shapes of the metadata elements the IdP reads.
type (
	xmlEntity struct {
		XMLName  xml.Name  `xml:"urn:oasis:names:tc:SAML:2.0:metadata EntityDescriptor"`
		EntityID string    `xml:"entityID,attr"`
		SPSSO    []xmlSPSO `xml:"urn:oasis:names:tc:SAML:2.0:metadata SPSSODescriptor"`
		OrgNames []string  `xml:"urn:oasis:names:tc:SAML:2.0:metadata Organization>OrganizationDisplayName"`
	}
	xmlSPSO struct {
		Keys []xmlKey      `xml:"urn:oasis:names:tc:SAML:2.0:metadata KeyDescriptor"`
		SLO  []xmlEndpoint `xml:"urn:oasis:names:tc:SAML:2.0:metadata SingleLogoutService"`
		ACS  []xmlEndpoint `xml:"urn:oasis:names:tc:SAML:2.0:metadata AssertionConsumerService"`
		Sets []xmlAttrSet  `xml:"urn:oasis:names:tc:SAML:2.0:metadata AttributeConsumingService"`
	}
	xmlKey struct {
		Use     string `xml:"use,attr"`
		KeyInfo struct {
			X509Data []struct {
				Certs []string `xml:"http://www.w3.org/2000/09/xmldsig# X509Certificate"`
			} `xml:"http://www.w3.org/2000/09/xmldsig# X509Data"`
		} `xml:"http://www.w3.org/2000/09/xmldsig# KeyInfo"`
	}
	xmlEndpoint struct {
		Binding          string `xml:"Binding,attr"`
		Location         string `xml:"Location,attr"`
		ResponseLocation string `xml:"ResponseLocation,attr"`
		Index            string `xml:"index,attr"`
		IsDefault        string `xml:"isDefault,attr"`
	}
	xmlAttrSet struct {
		Index     string `xml:"index,attr"`
		Requested []struct {
			Name string `xml:"Name,attr"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:metadata RequestedAttribute"`
	}
)

// parseSPMetadata reads an SP's EntityDescriptor and checks that it is
// signed by one of its own signing keys; every value returned comes from
// the signed bytes.
func parseSPMetadata(b []byte, now time.Time) (*spMetadata, error) {
	doc, err := parseXML(b)
	if err != nil {
		return nil, err
	}
	root := doc.Root()
	if root.Tag != "EntityDescriptor" || root.NamespaceURI() != nsMD {
		return nil, fmt.Errorf("root is %s, want md:EntityDescriptor", root.Tag)
	}
	var unverified xmlEntity
	if err := xml.Unmarshal(b, &unverified); err != nil {
		return nil, fmt.Errorf("xml: %w", err)
	}
	if len(unverified.SPSSO) != 1 {
		return nil, fmt.Errorf("%d SPSSODescriptors, want 1", len(unverified.SPSSO))
	}
	certs, err := signingCerts(unverified.SPSSO[0].Keys)
	if err != nil {
		return nil, err
	}
	verified, err := verifyEnveloped(root, certs, now)
	if err != nil {
		return nil, fmt.Errorf("metadata %w", err)
	}
	vb, err := serialize(verified)
	if err != nil {
		return nil, err
	}
	var e xmlEntity
	if err := xml.Unmarshal(vb, &e); err != nil {
		return nil, fmt.Errorf("xml: %w", err)
	}
	if len(e.SPSSO) != 1 {
		return nil, errors.New("signed metadata lacks its SPSSODescriptor")
	}
	sso := e.SPSSO[0]
	md := &spMetadata{EntityID: e.EntityID, Name: e.EntityID, AttributeSets: map[int][]string{}}
	if len(e.OrgNames) > 0 && strings.TrimSpace(e.OrgNames[0]) != "" {
		md.Name = strings.TrimSpace(e.OrgNames[0])
	}
	if md.Certs, err = signingCerts(sso.Keys); err != nil {
		return nil, err
	}
	for _, x := range sso.ACS {
		ep, err := x.endpoint(true)
		if err != nil {
			return nil, fmt.Errorf("AssertionConsumerService: %w", err)
		}
		md.ACS = append(md.ACS, ep)
	}
	if len(md.ACS) == 0 {
		return nil, errors.New("no AssertionConsumerService")
	}
	for _, x := range sso.SLO {
		ep, err := x.endpoint(false)
		if err != nil {
			return nil, fmt.Errorf("SingleLogoutService: %w", err)
		}
		md.SLO = append(md.SLO, ep)
	}
	for _, s := range sso.Sets {
		i, err := strconv.Atoi(s.Index)
		if err != nil || i < 0 {
			return nil, fmt.Errorf("AttributeConsumingService index %q", s.Index)
		}
		names := make([]string, 0, len(s.Requested))
		for _, a := range s.Requested {
			names = append(names, a.Name)
		}
		md.AttributeSets[i] = names
	}
	return md, nil
}

// endpoint converts and checks one service element; indexed ones (ACS)
// must carry a non-negative index.
func (x xmlEndpoint) endpoint(indexed bool) (endpoint, error) {
	ep := endpoint{Binding: x.Binding, Location: x.Location, ResponseLocation: x.ResponseLocation, IsDefault: x.IsDefault == "true"}
	if u, err := url.Parse(x.Location); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ep, fmt.Errorf("location %q is not an http(s) URL", x.Location)
	}
	if indexed {
		i, err := strconv.Atoi(x.Index)
		if err != nil || i < 0 {
			return ep, fmt.Errorf("index %q", x.Index)
		}
		ep.Index = i
	}
	return ep, nil
}

// signingCerts decodes the certificates of the signing KeyDescriptors (or
// of those without a use, which serve both purposes).
func signingCerts(keys []xmlKey) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, k := range keys {
		if k.Use != "" && k.Use != "signing" {
			continue
		}
		for _, d := range k.KeyInfo.X509Data {
			for _, c := range d.Certs {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c), ""))
				if err != nil {
					return nil, fmt.Errorf("X509Certificate: %w", err)
				}
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					return nil, fmt.Errorf("X509Certificate: %w", err)
				}
				out = append(out, cert)
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no signing certificate")
	}
	return out, nil
}
