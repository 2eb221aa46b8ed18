package spid

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/beevik/etree"

	"github.com/sportello/sportello/internal/apperr"
)

// Namespaces of the national metadata extensions carried in ContactPerson.
const (
	uriSPIDExtensions = "https://spid.gov.it/saml-extensions"
	uriCIEExtensions  = "https://www.cartaidentita.interno.gov.it/saml-extensions"
)

// attrNameBasic is the NameFormat of SPID's attribute names.
const attrNameBasic = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"

// metadataCacheDuration tells whoever fetches the metadata from the portal
// to fetch it again within a day, so a new key is seen soon. There is no
// validUntil: AgID and the Ministry keep a copy of the metadata, and an
// expiry date written into that copy would one day stop every login.
const metadataCacheDuration = "P1D"

// spidAttributeNames are the attributes a SPID IdP can release (Regole
// tecniche, "Tabella attributi"; spid-sp-test's SPID_ATTRIBUTES).
var spidAttributeNames = []string{
	"spidCode", "name", "familyName", "placeOfBirth", "countyOfBirth",
	"dateOfBirth", "gender", "companyName", "registeredOffice", "fiscalNumber",
	"ivaCode", "idCard", "expirationDate", "mobilePhone", "email", "address",
	"digitalAddress", "companyFiscalNumber", "domicileStreetAddress",
	"domicilePostalCode", "domicileMunicipality", "domicileProvince", "domicileNation",
}

// cieAttributeNames are the only attributes CIE's IdP releases: the eIDAS
// minimum dataset (CIE technical manual, "Attribute Consuming Service").
var cieAttributeNames = []string{"name", "familyName", "fiscalNumber", "dateOfBirth"}

// phoneRe is an international number without spaces, as both the SPID and
// the CIE metadata rules want it.
var phoneRe = regexp.MustCompile(`^\+[0-9]{6,15}$`)

// Metadata returns the SP's signed metadata for the SPID or the CIE
// profile: the document the ente registers with AgID or with the Ministry.
// It is built and signed here rather than by crewjam/saml because the
// national extensions live in ContactPerson/Extensions, which crewjam's
// types cannot carry. now only guards against publishing an expired
// certificate.
func (sp *SP) Metadata(p Profile, now time.Time) ([]byte, error) {
	if err := sp.checkSigner(); err != nil {
		return nil, err
	}
	if now.Before(sp.Certificate.NotBefore) || now.After(sp.Certificate.NotAfter) {
		return nil, apperr.Errorf(apperr.Invalid, "spid: metadata: the sp certificate is not valid at %s", now.UTC().Format(time.RFC3339))
	}
	sets, err := sp.metadataAttributeSets(p)
	if err != nil {
		return nil, err
	}
	if err := sp.checkMetadataFields(p); err != nil {
		return nil, err
	}
	id, err := newMessageID()
	if err != nil {
		return nil, err
	}

	ed := etree.NewElement("md:EntityDescriptor")
	ed.CreateAttr("xmlns:md", uriMetadata)
	ed.CreateAttr("xmlns:ds", uriDSig)
	ed.CreateAttr("ID", id)
	ed.CreateAttr("entityID", sp.EntityID)
	ed.CreateAttr("cacheDuration", metadataCacheDuration)
	sp.writeSPSSODescriptor(ed, p, sets)
	sp.writeOrganization(ed)
	if p == CIE {
		sp.writeCIEContact(ed)
	} else {
		sp.writeSPIDContact(ed)
	}
	if err := signEnveloped(ed, sp.Key, sp.Certificate); err != nil {
		return nil, fmt.Errorf("spid: metadata: %w", err)
	}
	return writeMessage(ed)
}

// writeSPSSODescriptor writes the one SPSSODescriptor SPID allows.
func (sp *SP) writeSPSSODescriptor(ed *etree.Element, p Profile, sets []AttributeSet) {
	sso := ed.CreateElement("md:SPSSODescriptor")
	sso.CreateAttr("protocolSupportEnumeration", uriProtocol)
	sso.CreateAttr("AuthnRequestsSigned", "true")
	sso.CreateAttr("WantAssertionsSigned", "true")

	kd := sso.CreateElement("md:KeyDescriptor")
	kd.CreateAttr("use", "signing")
	kd.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(sp.Certificate.Raw))

	// Both bindings on one endpoint: IdPs differ in which they use, and CIE
	// requires at least the Redirect one.
	for _, b := range []Binding{HTTPRedirect, HTTPPost} {
		slo := sso.CreateElement("md:SingleLogoutService")
		slo.CreateAttr("Binding", string(b))
		slo.CreateAttr("Location", sp.SLOURL)
	}
	sso.CreateElement("md:NameIDFormat").SetText(NameIDTransient)

	acs := sso.CreateElement("md:AssertionConsumerService")
	acs.CreateAttr("index", "0")
	acs.CreateAttr("isDefault", "true")
	acs.CreateAttr("Binding", string(HTTPPost))
	acs.CreateAttr("Location", sp.ACSURL)

	for _, s := range sets {
		cs := sso.CreateElement("md:AttributeConsumingService")
		cs.CreateAttr("index", strconv.Itoa(s.Index))
		sn := cs.CreateElement("md:ServiceName")
		// The CIE manual shows ServiceName with an empty xml:lang, since it
		// holds an identifier of the set rather than prose.
		if p == CIE {
			sn.CreateAttr("xml:lang", "")
		} else {
			sn.CreateAttr("xml:lang", "it")
		}
		sn.SetText(s.Name)
		for _, a := range s.Attributes {
			ra := cs.CreateElement("md:RequestedAttribute")
			ra.CreateAttr("Name", a)
			ra.CreateAttr("NameFormat", attrNameBasic)
		}
	}
}

// writeOrganization writes Name, DisplayName and URL in Italian, and in
// English only when all three exist in English: spid-sp-test wants the
// same number of languages for each.
func (sp *SP) writeOrganization(ed *etree.Element) {
	o := sp.Organization
	org := ed.CreateElement("md:Organization")
	en := o.NameEN != "" && o.DisplayNameEN != "" && o.URLEN != ""
	for _, f := range []struct{ tag, it, en string }{
		{"md:OrganizationName", o.Name, o.NameEN},
		{"md:OrganizationDisplayName", o.DisplayName, o.DisplayNameEN},
		{"md:OrganizationURL", o.URL, o.URLEN},
	} {
		e := org.CreateElement(f.tag)
		e.CreateAttr("xml:lang", "it")
		e.SetText(f.it)
		if en {
			e := org.CreateElement(f.tag)
			e.CreateAttr("xml:lang", "en")
			e.SetText(f.en)
		}
	}
}

// writeSPIDContact writes the ContactPerson of a public SPID SP (Avviso 29
// v3): contactType "other", spid:IPACode and an empty spid:Public.
func (sp *SP) writeSPIDContact(ed *etree.Element) {
	o := sp.Organization
	cp := ed.CreateElement("md:ContactPerson")
	cp.CreateAttr("contactType", "other")
	ext := cp.CreateElement("md:Extensions")
	ext.CreateAttr("xmlns:spid", uriSPIDExtensions)
	ext.CreateElement("spid:IPACode").SetText(o.IPACode)
	ext.CreateElement("spid:Public")
	cp.CreateElement("md:EmailAddress").SetText(o.Email)
	if o.Phone != "" {
		cp.CreateElement("md:TelephoneNumber").SetText(o.Phone)
	}
}

// writeCIEContact writes the ContactPerson of a public CIE SP (CIE
// technical manual, "Informazioni di censimento"): contactType
// "administrative", cie:Public, cie:IPACode and cie:Municipality in the
// order of the CIE schema, and Company equal to OrganizationName.
func (sp *SP) writeCIEContact(ed *etree.Element) {
	o := sp.Organization
	cp := ed.CreateElement("md:ContactPerson")
	cp.CreateAttr("contactType", "administrative")
	ext := cp.CreateElement("md:Extensions")
	ext.CreateAttr("xmlns:cie", uriCIEExtensions)
	ext.CreateElement("cie:Public")
	ext.CreateElement("cie:IPACode").SetText(o.IPACode)
	ext.CreateElement("cie:Municipality").SetText(o.Municipality)
	cp.CreateElement("md:Company").SetText(o.Name)
	cp.CreateElement("md:EmailAddress").SetText(o.Email)
	if o.Phone != "" {
		cp.CreateElement("md:TelephoneNumber").SetText(o.Phone)
	}
}

// checkMetadataFields checks what the national validators check of the
// SP's endpoints and organization, so that onboarding does not fail on a
// missing field.
func (sp *SP) checkMetadataFields(p Profile) error {
	bad := func(format string, args ...any) error {
		return apperr.Errorf(apperr.Invalid, "spid: metadata: "+format, args...)
	}
	for _, u := range []struct{ name, v string }{
		{"entity id", sp.EntityID}, {"ACS URL", sp.ACSURL}, {"SLO URL", sp.SLOURL},
		{"organization URL", sp.Organization.URL},
	} {
		pu, err := url.Parse(u.v)
		if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			return bad("%s %q is not an http(s) URL", u.name, u.v)
		}
	}
	o := sp.Organization
	switch {
	case o.Name == "" || o.DisplayName == "":
		return bad("organization name and display name are required")
	case o.IPACode == "":
		return bad("the IPA code is required of a public SP")
	case o.Email == "":
		return bad("a contact email address is required")
	case o.Phone != "" && !phoneRe.MatchString(o.Phone):
		return bad("telephone %q must be +<digits> without spaces", o.Phone)
	case p == CIE && o.Municipality == "":
		return bad("CIE requires the municipality code")
	}
	return nil
}

// metadataAttributeSets returns the attribute sets to publish for the
// profile, after checking them as spid-sp-test does: index in range and
// unique, a ServiceName, known attribute names without duplicates. For CIE
// only the sets made entirely of the four attributes CIE releases are
// published; SPID-only sets are left out rather than refused, so one SP can
// ask SPID for more than CIE gives.
func (sp *SP) metadataAttributeSets(p Profile) ([]AttributeSet, error) {
	if p != SPID && p != CIE {
		return nil, apperr.Errorf(apperr.Invalid, "spid: metadata: unknown profile %q", p)
	}
	seen := map[int]bool{}
	var out []AttributeSet
	for _, s := range sp.AttributeSets {
		if s.Index < 0 || s.Index > 65535 || seen[s.Index] {
			return nil, apperr.Errorf(apperr.Invalid, "spid: metadata: attribute set index %d is out of range or repeated", s.Index)
		}
		seen[s.Index] = true
		if s.Name == "" || len(s.Attributes) == 0 {
			return nil, apperr.Errorf(apperr.Invalid, "spid: metadata: attribute set %d needs a name and attributes", s.Index)
		}
		names := map[string]bool{}
		for _, a := range s.Attributes {
			if !slices.Contains(spidAttributeNames, a) || names[a] {
				return nil, apperr.Errorf(apperr.Invalid, "spid: metadata: attribute set %d: attribute %q is unknown or repeated", s.Index, a)
			}
			names[a] = true
		}
		if p == CIE && !cieCompatible(s) {
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, apperr.Errorf(apperr.Invalid, "spid: metadata: no attribute set for profile %s", p)
	}
	return out, nil
}
