package spid

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/beevik/etree"

	"github.com/sportello/sportello/internal/apperr"
)

// RegistryNamespace is the namespace of the one attribute Sportello adds to
// IdP metadata, profile="cie" or profile="spid" on an EntityDescriptor (or
// on an EntitiesDescriptor, for all the entities inside), because nothing
// in SAML metadata says whether an IdP speaks SPID or CIE. Without it an
// IdP is CIE when its entity ID is the Ministry's, SPID otherwise.
const RegistryNamespace = "urn:sportello:spid:registry"

// cieEntityIDs are the entity IDs of the Ministry's CIE IdP in production
// and in pre-production (CIE technical manual, "Metadata IdP").
var cieEntityIDs = []string{
	"https://idserver.servizicie.interno.gov.it/idp/profile/SAML2/POST/SSO",
	"https://preproduzione.idserver.servizicie.interno.gov.it/idp/profile/SAML2/POST/SSO",
}

// MaxRegistrySize caps the registry file: AgID's list of every SPID IdP is
// a few hundred kilobytes, so anything near this is not a registry.
const MaxRegistrySize = 16 << 20

// LoadRegistry reads the deployment's IdP registry file (AgID's list, the
// Ministry's CIE metadata, the demo IdP, or several of them concatenated).
// The file is configuration: whoever refreshes it from AgID must fetch it
// over HTTPS; this function trusts its content as it trusts the config.
func LoadRegistry(path string) ([]*IdP, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("spid: registry: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxRegistrySize+1))
	if err != nil {
		return nil, fmt.Errorf("spid: registry %s: %w", path, err)
	}
	idps, err := ParseRegistry(data)
	if err != nil {
		return nil, fmt.Errorf("spid: registry %s: %w", path, err)
	}
	return idps, nil
}

// ParseRegistry reads IdP metadata: an EntitiesDescriptor (AgID's
// aggregated list, possibly nested), or one or more EntityDescriptors.
// Entities without an IDPSSODescriptor are skipped. It fails closed: an
// IdP without a signing certificate or without an SSO endpoint, or with a
// certificate that does not parse, makes the whole registry an error
// rather than an IdP whose responses nobody could verify.
func ParseRegistry(data []byte) ([]*IdP, error) {
	if len(data) > MaxRegistrySize {
		return nil, apperr.Errorf(apperr.Invalid, "spid: registry larger than %d bytes", MaxRegistrySize)
	}
	doc := etree.NewDocument()
	doc.ReadSettings.MaxDepth = 64
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, apperr.Errorf(apperr.Invalid, "spid: registry: %w", err)
	}
	var idps []*IdP
	seen := map[string]bool{}
	var walk func(el *etree.Element, profile Profile) error
	walk = func(el *etree.Element, profile Profile) error {
		p, err := profileHint(el)
		if err != nil {
			return err
		}
		if p != "" {
			profile = p
		}
		switch {
		case isMD(el, "EntitiesDescriptor"):
			for _, c := range el.ChildElements() {
				if err := walk(c, profile); err != nil {
					return err
				}
			}
		case isMD(el, "EntityDescriptor"):
			idp, err := parseEntity(el, profile)
			if err != nil || idp == nil {
				return err
			}
			if seen[idp.EntityID] {
				return apperr.Errorf(apperr.Invalid, "spid: registry: IdP %q listed twice", idp.EntityID)
			}
			seen[idp.EntityID] = true
			idps = append(idps, idp)
		}
		return nil
	}
	for _, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Directive:
			// No DTD: it is the door to entity expansion and external fetches.
			return nil, apperr.Errorf(apperr.Invalid, "spid: registry: DTDs are not accepted")
		case *etree.Element:
			if err := walk(t, ""); err != nil {
				return nil, err
			}
		}
	}
	if len(idps) == 0 {
		return nil, apperr.Errorf(apperr.Invalid, "spid: registry lists no IdP")
	}
	return idps, nil
}

// parseEntity reads one EntityDescriptor; nil, nil when it is not an IdP.
func parseEntity(ed *etree.Element, profile Profile) (*IdP, error) {
	var sso *etree.Element
	for _, c := range ed.ChildElements() {
		if isMD(c, "IDPSSODescriptor") {
			sso = c
			break
		}
	}
	if sso == nil {
		return nil, nil
	}
	idp := &IdP{EntityID: strings.TrimSpace(ed.SelectAttrValue("entityID", ""))}
	if idp.EntityID == "" {
		return nil, apperr.Errorf(apperr.Invalid, "spid: registry: an IdP has no entityID")
	}
	fail := func(format string, args ...any) error {
		return apperr.Errorf(apperr.Invalid, "spid: registry: IdP %q: "+format, append([]any{idp.EntityID}, args...)...)
	}
	idp.Profile = profile
	if idp.Profile == "" {
		idp.Profile = SPID
		for _, id := range cieEntityIDs {
			if idp.EntityID == id {
				idp.Profile = CIE
			}
		}
	}
	for _, c := range sso.ChildElements() {
		switch {
		case isMD(c, "KeyDescriptor"):
			if use := c.SelectAttrValue("use", ""); use != "" && use != "signing" {
				continue
			}
			certs, err := keyDescriptorCertificates(c)
			if err != nil {
				return nil, fail("%w", err)
			}
			idp.Certificates = append(idp.Certificates, certs...)
		case isMD(c, "SingleSignOnService"):
			setEndpoint(c, &idp.SSORedirect, &idp.SSOPost)
		case isMD(c, "SingleLogoutService"):
			setEndpoint(c, &idp.SLORedirect, &idp.SLOPost)
		case isMD(c, "Extensions"):
			idp.LogoURL = logo(c)
		}
	}
	if len(idp.Certificates) == 0 {
		return nil, fail("no signing certificate")
	}
	if idp.SSORedirect == "" && idp.SSOPost == "" {
		return nil, fail("no SingleSignOnService for HTTP-Redirect or HTTP-POST")
	}
	idp.Name = displayName(ed, idp.EntityID)
	return idp, nil
}

// keyDescriptorCertificates parses every X509Certificate of a KeyDescriptor.
func keyDescriptorCertificates(kd *etree.Element) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, ki := range kd.ChildElements() {
		if !isNS(ki, uriDSig, "KeyInfo") {
			continue
		}
		for _, xd := range ki.ChildElements() {
			if !isNS(xd, uriDSig, "X509Data") {
				continue
			}
			for _, xc := range xd.ChildElements() {
				if !isNS(xc, uriDSig, "X509Certificate") {
					continue
				}
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(xc.Text()), ""))
				if err != nil {
					return nil, fmt.Errorf("certificate is not base64: %w", err)
				}
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					return nil, fmt.Errorf("certificate does not parse: %w", err)
				}
				out = append(out, cert)
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("KeyDescriptor without X509Certificate")
	}
	return out, nil
}

// setEndpoint records the first Location for each binding SPID uses.
func setEndpoint(el *etree.Element, redirect, post *string) {
	loc := strings.TrimSpace(el.SelectAttrValue("Location", ""))
	switch Binding(el.SelectAttrValue("Binding", "")) {
	case HTTPRedirect:
		if *redirect == "" {
			*redirect = loc
		}
	case HTTPPost:
		if *post == "" {
			*post = loc
		}
	}
}

// displayName is the Italian OrganizationDisplayName, or any display name,
// or the OrganizationName, or the entity ID: the login page must show
// something.
func displayName(ed *etree.Element, fallback string) string {
	var org *etree.Element
	for _, c := range ed.ChildElements() {
		if isMD(c, "Organization") {
			org = c
		}
	}
	if org == nil {
		return fallback
	}
	var other, name string
	for _, c := range org.ChildElements() {
		text := strings.TrimSpace(c.Text())
		switch {
		case text == "":
		case isMD(c, "OrganizationDisplayName") && c.SelectAttrValue("xml:lang", "") == "it":
			return text
		case isMD(c, "OrganizationDisplayName") && other == "":
			other = text
		case isMD(c, "OrganizationName") && name == "":
			name = text
		}
	}
	for _, s := range []string{other, name} {
		if s != "" {
			return s
		}
	}
	return fallback
}

// logo returns the mdui:Logo of an IdP's Extensions, if any.
func logo(ext *etree.Element) string {
	const mdui = "urn:oasis:names:tc:SAML:metadata:ui"
	for _, ui := range ext.ChildElements() {
		if !isNS(ui, mdui, "UIInfo") {
			continue
		}
		for _, l := range ui.ChildElements() {
			if isNS(l, mdui, "Logo") {
				return strings.TrimSpace(l.Text())
			}
		}
	}
	return ""
}

// profileHint reads Sportello's profile attribute, if present; a value
// other than spid or cie is an error rather than a silent default.
func profileHint(el *etree.Element) (Profile, error) {
	for _, a := range el.Attr {
		if a.Key == "profile" && a.Space != "" && a.NamespaceURI() == RegistryNamespace {
			switch p := Profile(strings.ToLower(strings.TrimSpace(a.Value))); p {
			case CIE, SPID:
				return p, nil
			default:
				return "", apperr.Errorf(apperr.Invalid, "spid: registry: unknown profile %q", a.Value)
			}
		}
	}
	return "", nil
}

// isMD reports whether el is the metadata element with the given name,
// whatever prefix the document binds to the namespace.
func isMD(el *etree.Element, tag string) bool { return isNS(el, uriMetadata, tag) }

// isNS matches an element by namespace URI and local name, never by
// prefix: registries use md:, ns2: or the default namespace alike.
func isNS(el *etree.Element, ns, tag string) bool {
	return el.Tag == tag && el.NamespaceURI() == ns
}
