package spididp_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"testing"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/sim/spididp"
)

// xmlIdPMetadata is what a host reads from the IdP's metadata.
type xmlIdPMetadata struct {
	EntityID string `xml:"entityID,attr"`
	IDP      struct {
		Protocol   string `xml:"protocolSupportEnumeration,attr"`
		WantSigned string `xml:"WantAuthnRequestsSigned,attr"`
		Keys       []struct {
			Use  string `xml:"use,attr"`
			Cert string `xml:"http://www.w3.org/2000/09/xmldsig# KeyInfo>X509Data>X509Certificate"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:metadata KeyDescriptor"`
		SLO        []xmlService `xml:"urn:oasis:names:tc:SAML:2.0:metadata SingleLogoutService"`
		NameIDFmt  []string     `xml:"urn:oasis:names:tc:SAML:2.0:metadata NameIDFormat"`
		SSO        []xmlService `xml:"urn:oasis:names:tc:SAML:2.0:metadata SingleSignOnService"`
		Attributes []struct {
			Name string `xml:"Name,attr"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Attribute"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:metadata IDPSSODescriptor"`
}

type xmlService struct {
	Binding  string `xml:"Binding,attr"`
	Location string `xml:"Location,attr"`
}

func TestMetadata(t *testing.T) {
	spidAttrs := []string{
		"spidCode", "name", "familyName", "placeOfBirth", "countyOfBirth", "dateOfBirth",
		"gender", "companyName", "registeredOffice", "fiscalNumber", "ivaCode", "idCard",
		"expirationDate", "mobilePhone", "email", "address", "digitalAddress",
		"domicileStreetAddress", "domicilePostalCode", "domicileMunicipality",
		"domicileProvince", "domicileNation", "companyFiscalNumber",
	}
	for _, tc := range []struct {
		profile spididp.Profile
		attrs   []string
	}{
		{spididp.SPID, spidAttrs},
		{spididp.CIE, []string{"name", "familyName", "fiscalNumber", "dateOfBirth"}},
	} {
		t.Run(string(tc.profile), func(t *testing.T) {
			ti := newTestIdP(t, spididp.Config{Profile: tc.profile})
			for _, path := range []string{"", "/", "/metadata"} {
				p := fetch(t, http.MethodGet, ti.Base+path, nil)
				if p.Status != http.StatusOK || p.Header.Get("Content-Type") != "application/samlmetadata+xml" {
					t.Fatalf("GET %q: status %d, type %q", path, p.Status, p.Header.Get("Content-Type"))
				}
				doc := etree.NewDocument()
				if err := doc.ReadFromString(p.Body); err != nil {
					t.Fatal(err)
				}
				if s := sigState(t, doc.Root(), ti.Certificate()); s != "idp" {
					t.Errorf("metadata signature: %s", s)
				}
				var md xmlIdPMetadata
				if err := xml.Unmarshal([]byte(p.Body), &md); err != nil {
					t.Fatal(err)
				}
				if md.EntityID != ti.Base {
					t.Errorf("entityID %q, want %q", md.EntityID, ti.Base)
				}
				if md.IDP.WantSigned != "true" || md.IDP.Protocol != nsSAMLP {
					t.Errorf("WantAuthnRequestsSigned %q, protocol %q", md.IDP.WantSigned, md.IDP.Protocol)
				}
				if len(md.IDP.Keys) != 1 || md.IDP.Keys[0].Use != "signing" {
					t.Fatalf("key descriptors: %+v", md.IDP.Keys)
				}
				der, _ := base64.StdEncoding.DecodeString(md.IDP.Keys[0].Cert)
				if cert, err := x509.ParseCertificate(der); err != nil || !cert.Equal(ti.Certificate()) {
					t.Errorf("the metadata's certificate is not Certificate(): %v", err)
				}
				wantSvc := func(path string) []xmlService {
					return []xmlService{{bindingRedir, ti.Base + path}, {bindingPOST, ti.Base + path}}
				}
				if diff := cmp.Diff(wantSvc("/sso"), md.IDP.SSO); diff != "" {
					t.Errorf("SSO mismatch (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(wantSvc("/slo"), md.IDP.SLO); diff != "" {
					t.Errorf("SLO mismatch (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff([]string{fmtTransient}, md.IDP.NameIDFmt); diff != "" {
					t.Errorf("NameIDFormat mismatch (-want +got):\n%s", diff)
				}
				var names []string
				for _, a := range md.IDP.Attributes {
					names = append(names, a.Name)
				}
				if diff := cmp.Diff(tc.attrs, names); diff != "" {
					t.Errorf("attributes mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestNewChecksItsConfig(t *testing.T) {
	key, cert := keyPair(t, "given")
	base := spididp.FixedURL("http://localhost:8080/_sim/spid/")
	tests := []struct {
		name string
		cfg  spididp.Config
		ok   bool
	}{
		{"defaults", spididp.Config{BaseURL: base}, true},
		{"given key", spididp.Config{BaseURL: base, Key: key, Cert: cert}, true},
		{"no base URL", spididp.Config{}, false},
		{"key without certificate", spididp.Config{BaseURL: base, Key: key}, false},
		{"unknown profile", spididp.Config{BaseURL: base, Profile: "eidas"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			idp, err := spididp.New(tc.cfg)
			if (err == nil) != tc.ok {
				t.Fatalf("New: %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				return
			}
			if tc.cfg.Cert != nil && !idp.Certificate().Equal(tc.cfg.Cert) {
				t.Errorf("Certificate() is not the given one")
			}
			if got := idp.EntityID(&http.Request{}); got != "http://localhost:8080/_sim/spid" {
				t.Errorf("EntityID %q", got)
			}
		})
	}
}
