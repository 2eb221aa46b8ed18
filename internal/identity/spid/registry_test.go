package spid_test

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity/spid"
)

const registryPath = "testdata/registry.xml"

// idpXML writes one IdP's metadata in the shape of AgID's registry, with
// the namespace prefix p ("md:" or "" for the default namespace). extra
// goes inside the IDPSSODescriptor, attrs on the EntityDescriptor.
func idpXML(p, entityID, attrs, extra string, cert *x509.Certificate) string {
	b64 := base64.StdEncoding.EncodeToString(cert.Raw)
	// Line-wrapped, as many registries publish certificates.
	var wrapped strings.Builder
	for i := 0; i < len(b64); i += 64 {
		wrapped.WriteString("\n        " + b64[i:min(i+64, len(b64))])
	}
	return fmt.Sprintf(`
  <%[1]sEntityDescriptor entityID="%[2]s" %[3]s>
    <%[1]sIDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
      <%[1]sKeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>%[4]s
      </ds:X509Certificate></ds:X509Data></ds:KeyInfo></%[1]sKeyDescriptor>
      <%[1]sSingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="%[2]s/slo/post"/>
      <%[1]sSingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="%[2]s/slo/redirect"/>
      <%[1]sNameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</%[1]sNameIDFormat>
      <%[1]sSingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="%[2]s/sso/post"/>
      <%[1]sSingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="%[2]s/sso/redirect"/>%[5]s
    </%[1]sIDPSSODescriptor>
    <%[1]sOrganization>
      <%[1]sOrganizationName xml:lang="it">%[2]s S.p.A.</%[1]sOrganizationName>
      <%[1]sOrganizationDisplayName xml:lang="en">%[2]s (en)</%[1]sOrganizationDisplayName>
      <%[1]sOrganizationDisplayName xml:lang="it">%[2]s ID</%[1]sOrganizationDisplayName>
      <%[1]sOrganizationURL xml:lang="it">%[2]s</%[1]sOrganizationURL>
    </%[1]sOrganization>
  </%[1]sEntityDescriptor>`, p, entityID, attrs, wrapped.String(), extra)
}

// sampleRegistry is the committed sample: AgID's aggregated format, with a
// SPID IdP, the Ministry's CIE IdP (recognised by its entity ID), an IdP
// flagged CIE by Sportello's attribute in the default namespace with an
// encryption key to ignore and a logo, and an SP entity to skip.
func sampleRegistry(cert *x509.Certificate) string {
	logo := `
      <md:Extensions xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"><mdui:UIInfo xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui"><mdui:Logo height="16" width="16">https://idp3.example/logo.svg</mdui:Logo></mdui:UIInfo></md:Extensions>
      <KeyDescriptor use="encryption"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>bm90IGEgY2VydGlmaWNhdGU=</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>`
	return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:sportello="` + spid.RegistryNamespace + `" Name="https://registry.spid.gov.it">` +
		idpXML("md:", "https://idp1.example", "", "", cert) +
		idpXML("md:", "https://idserver.servizicie.interno.gov.it/idp/profile/SAML2/POST/SSO", "", "", cert) +
		`
  <md:EntitiesDescriptor>` +
		strings.ReplaceAll(idpXML("", "https://idp3.example", `xmlns="urn:oasis:names:tc:SAML:2.0:metadata" sportello:profile="cie"`, logo, cert), "\n", "\n  ") + `
  </md:EntitiesDescriptor>
  <md:EntityDescriptor entityID="https://sp.example"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>
</md:EntitiesDescriptor>
`
}

func wantIdP(entityID, name string, profile spid.Profile, cert *x509.Certificate) *spid.IdP {
	return &spid.IdP{
		EntityID: entityID, Name: name, Profile: profile,
		SSORedirect: entityID + "/sso/redirect", SSOPost: entityID + "/sso/post",
		SLORedirect: entityID + "/slo/redirect", SLOPost: entityID + "/slo/post",
		Certificates: []*x509.Certificate{cert},
	}
}

var certComparer = cmp.Comparer(func(a, b *x509.Certificate) bool { return a.Equal(b) })

func TestParseRegistry(t *testing.T) {
	cert := testIdPCert(t)
	if updateGolden() {
		if err := os.WriteFile(registryPath, []byte(sampleRegistry(cert)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The committed sample carries the certificate of the run that wrote
	// it; take it from the file to build the expectation.
	data, err := os.ReadFile(registryPath)
	if err != nil {
		t.Fatal(err)
	}
	got, err := spid.LoadRegistry(registryPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || len(got[0].Certificates) == 0 {
		t.Fatalf("LoadRegistry = %v", got)
	}
	fileCert := got[0].Certificates[0]
	cie := "https://idserver.servizicie.interno.gov.it/idp/profile/SAML2/POST/SSO"
	idp3 := wantIdP("https://idp3.example", "https://idp3.example ID", spid.CIE, fileCert)
	idp3.LogoURL = "https://idp3.example/logo.svg"
	want := []*spid.IdP{
		wantIdP("https://idp1.example", "https://idp1.example ID", spid.SPID, fileCert),
		wantIdP(cie, cie+" ID", spid.CIE, fileCert),
		idp3,
	}
	if diff := cmp.Diff(want, got, certComparer); diff != "" {
		t.Errorf("LoadRegistry mismatch (-want +got):\n%s", diff)
	}
	if again, err := spid.ParseRegistry(data); err != nil || len(again) != 3 {
		t.Errorf("ParseRegistry of the same bytes = %d IdPs, %v", len(again), err)
	}
}

func TestParseRegistryForms(t *testing.T) {
	cert := testIdPCert(t)
	one := idpXML("md:", "https://idp1.example", `xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"`, "", cert)
	two := idpXML("ns2:", "https://idp2.example", `xmlns:ns2="urn:oasis:names:tc:SAML:2.0:metadata"`, "", cert)
	tests := []struct {
		name string
		xml  string
		want []string
	}{
		{"one EntityDescriptor", one, []string{"https://idp1.example"}},
		{"concatenated EntityDescriptors", one + two, []string{"https://idp1.example", "https://idp2.example"}},
		{"another prefix", `<?xml version="1.0"?>` + two, []string{"https://idp2.example"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			idps, err := spid.ParseRegistry([]byte(tc.xml))
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, i := range idps {
				ids = append(ids, i.EntityID)
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("entity IDs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseRegistryFailsClosed: every defect that would leave an IdP
// unverifiable, or the registry ambiguous, refuses the whole registry.
func TestParseRegistryFailsClosed(t *testing.T) {
	cert := testIdPCert(t)
	ns := `xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"`
	good := idpXML("md:", "https://idp1.example", ns, "", cert)
	b64 := base64.StdEncoding.EncodeToString(cert.Raw)
	tests := []struct {
		name string
		xml  string
	}{
		{"not XML", "not xml"},
		{"empty", ""},
		{"no IdP", `<md:EntitiesDescriptor ` + ns + `/>`},
		{"no signing certificate", strings.Replace(good, `use="signing"`, `use="encryption"`, 1)},
		{"no certificate in KeyDescriptor", cutBetween(good, "<ds:X509Data>", "</ds:X509Data>")},
		{"certificate not base64", strings.Replace(good, b64[:64], "!!!!", 1)},
		{"certificate not DER", strings.Replace(good, b64[:64], base64.StdEncoding.EncodeToString([]byte("not a certificate at all, no")), 1)},
		{"no SSO", strings.ReplaceAll(good, "SingleSignOnService", "ArtifactResolutionService")},
		{"SSO with other bindings only", strings.ReplaceAll(good, `SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-`,
			`SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP-`)},
		{"no entityID", strings.Replace(good, `entityID="https://idp1.example"`, "", 1)},
		{"listed twice", `<md:EntitiesDescriptor ` + ns + `>` + good + good + `</md:EntitiesDescriptor>`},
		{"unknown profile", strings.Replace(good, ns, ns+` xmlns:s="`+spid.RegistryNamespace+`" s:profile="eidas"`, 1)},
		{"DTD", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>` + good},
		{"too large", strings.Repeat(" ", spid.MaxRegistrySize+1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			idps, err := spid.ParseRegistry([]byte(tc.xml))
			if !apperr.Is(err, apperr.Invalid) || idps != nil {
				t.Errorf("ParseRegistry = %d IdPs, %v; want Invalid", len(idps), err)
			}
		})
	}
}

func TestLoadRegistryMissingFile(t *testing.T) {
	if _, err := spid.LoadRegistry(filepath.Join(t.TempDir(), "none.xml")); err == nil {
		t.Error("LoadRegistry of a missing file succeeded")
	}
}

// FuzzParseRegistry: never panic, and never return an IdP that could not
// be used safely (no entity ID, no SSO endpoint, no certificate).
func FuzzParseRegistry(f *testing.F) {
	if data, err := os.ReadFile(registryPath); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:IDPSSODescriptor/></md:EntityDescriptor>`))
	f.Add([]byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><EntitiesDescriptor/></EntitiesDescriptor>`))
	f.Add([]byte(`<!DOCTYPE x><x/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		idps, err := spid.ParseRegistry(data)
		if err != nil {
			return
		}
		for _, i := range idps {
			if i.EntityID == "" || len(i.Certificates) == 0 || (i.SSORedirect == "" && i.SSOPost == "") ||
				(i.Profile != spid.SPID && i.Profile != spid.CIE) {
				t.Fatalf("unusable IdP accepted: %+v", i)
			}
		}
	})
}

// cutBetween removes what lies between from and to, inclusive.
func cutBetween(s, from, to string) string {
	i, j := strings.Index(s, from), strings.Index(s, to)
	return s[:i] + s[j+len(to):]
}
