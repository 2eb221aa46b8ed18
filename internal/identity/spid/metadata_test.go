package spid_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity/spid"
)

// metadataCheck mirrors one group of spid-sp-test's metadata checks
// (metadata.py and metadata_public.py, profiles spid-sp-public and
// cie-sp-public); it returns the rules broken.
type metadataCheck func(ed *etree.Element, p spid.Profile) []string

var emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[a-z]{2,}$`)

var metadataChecks = map[string]metadataCheck{
	"EntityDescriptor": func(ed *etree.Element, _ spid.Profile) (bad []string) {
		if ed.Tag != "EntityDescriptor" || ed.NamespaceURI() != "urn:oasis:names:tc:SAML:2.0:metadata" {
			bad = append(bad, "root must be md:EntityDescriptor")
		}
		if ed.SelectAttrValue("entityID", "") != spEntityID {
			bad = append(bad, "entityID must be the SP's")
		}
		if _, ok := attrOf(ed, "validUntil"); ok {
			bad = append(bad, "no validUntil: registries keep a copy")
		}
		return bad
	},
	"Signature": func(ed *etree.Element, _ spid.Profile) (bad []string) {
		if c := ed.ChildElements(); len(c) == 0 || c[0].Tag != "Signature" {
			bad = append(bad, "Signature must be the first child (TR pag. 19)")
		}
		return bad
	},
	"SPSSODescriptor": func(ed *etree.Element, _ spid.Profile) (bad []string) {
		sso := children(ed, "SPSSODescriptor")
		if len(sso) != 1 {
			return []string{"exactly one SPSSODescriptor"}
		}
		for name, want := range map[string]string{
			"protocolSupportEnumeration": "urn:oasis:names:tc:SAML:2.0:protocol",
			"AuthnRequestsSigned":        "true", "WantAssertionsSigned": "true",
		} {
			if got := sso[0].SelectAttrValue(name, ""); got != want {
				bad = append(bad, name+" must be "+want+" (TR pag. 20)")
			}
		}
		if nf := children(sso[0], "NameIDFormat"); len(nf) != 1 || nf[0].Text() != spid.NameIDTransient {
			bad = append(bad, "one transient NameIDFormat")
		}
		kd := children(sso[0], "KeyDescriptor")
		if len(kd) != 1 || kd[0].SelectAttrValue("use", "") != "signing" || kd[0].FindElement("./KeyInfo/X509Data/X509Certificate") == nil {
			bad = append(bad, "one signing KeyDescriptor with an X509Certificate (TR pag. 19)")
		}
		slo := children(sso[0], "SingleLogoutService")
		bindings := map[string]bool{}
		for _, s := range slo {
			bindings[s.SelectAttrValue("Binding", "")] = s.SelectAttrValue("Location", "") != ""
		}
		if !bindings[string(spid.HTTPRedirect)] || !bindings[string(spid.HTTPPost)] || len(slo) != 2 {
			bad = append(bad, "SingleLogoutService for Redirect and POST, with Location (AV n. 3)")
		}
		acs := children(sso[0], "AssertionConsumerService")
		defaults := 0
		for _, a := range acs {
			if a.SelectAttrValue("isDefault", "") == "true" {
				defaults++
				if a.SelectAttrValue("index", "") != "0" || a.SelectAttrValue("Binding", "") != string(spid.HTTPPost) {
					bad = append(bad, "the default ACS must have index 0 and HTTP-POST (TR pag. 20)")
				}
			}
		}
		if len(acs) == 0 || defaults != 1 {
			bad = append(bad, "one default AssertionConsumerService")
		}
		return bad
	},
	"AttributeConsumingService": func(ed *etree.Element, p spid.Profile) (bad []string) {
		allowed := "address companyName companyFiscalNumber countyOfBirth dateOfBirth digitalAddress email expirationDate " +
			"familyName fiscalNumber gender idCard ivaCode mobilePhone name placeOfBirth registeredOffice spidCode " +
			"domicileStreetAddress domicilePostalCode domicileMunicipality domicileProvince domicileNation"
		if p == spid.CIE {
			allowed = "dateOfBirth familyName fiscalNumber name"
		}
		sets := ed.FindElements("./SPSSODescriptor/AttributeConsumingService")
		if len(sets) == 0 {
			bad = append(bad, "one or more AttributeConsumingService (TR pag. 20)")
		}
		for _, s := range sets {
			if !regexp.MustCompile(`^[0-9]+$`).MatchString(s.SelectAttrValue("index", "")) {
				bad = append(bad, "index >= 0")
			}
			if sn := children(s, "ServiceName"); len(sn) == 0 || sn[0].Text() == "" {
				bad = append(bad, "ServiceName with a value")
			}
			seen := map[string]bool{}
			ras := children(s, "RequestedAttribute")
			if len(ras) == 0 {
				bad = append(bad, "one or more RequestedAttribute")
			}
			for _, ra := range ras {
				n := ra.SelectAttrValue("Name", "")
				if !contains(strings.Fields(allowed), n) || seen[n] {
					bad = append(bad, "RequestedAttribute "+n+" unknown or repeated (AV n. 6)")
				}
				seen[n] = true
			}
		}
		return bad
	},
	"Organization": func(ed *etree.Element, _ spid.Profile) (bad []string) {
		orgs := children(ed, "Organization")
		if len(orgs) != 1 {
			return []string{"one Organization (TR pag. 20)"}
		}
		langs := map[string]int{}
		for _, tag := range []string{"OrganizationName", "OrganizationDisplayName", "OrganizationURL"} {
			els := children(orgs[0], tag)
			if len(els) == 0 {
				bad = append(bad, tag+" missing")
			}
			for _, e := range els {
				lang, ok := attrOf(e, "xml:lang")
				if !ok || e.Text() == "" {
					bad = append(bad, tag+" needs xml:lang and a value")
				}
				langs[lang]++
			}
		}
		for lang, n := range langs {
			if n != 3 {
				bad = append(bad, "language "+lang+" not given for all three elements")
			}
		}
		if langs["it"] == 0 {
			bad = append(bad, "Italian is required")
		}
		return bad
	},
	"ContactPerson": func(ed *etree.Element, p spid.Profile) (bad []string) {
		cps := children(ed, "ContactPerson")
		wantType, ns, must := "other", "https://spid.gov.it/saml-extensions", []string{"IPACode", "Public"}
		if p == spid.CIE {
			wantType, ns, must = "administrative", "https://www.cartaidentita.interno.gov.it/saml-extensions", []string{"Public", "IPACode", "Municipality"}
		}
		if len(cps) != 1 || cps[0].SelectAttrValue("contactType", "") != wantType {
			return []string{"one ContactPerson of type " + wantType}
		}
		cp := cps[0]
		exts := children(cp, "Extensions")
		if len(exts) != 1 {
			return []string{"one Extensions in ContactPerson"}
		}
		var got []string
		for _, e := range exts[0].ChildElements() {
			if e.NamespaceURI() != ns {
				bad = append(bad, "extension "+e.Tag+" outside "+ns)
			}
			got = append(got, e.Tag)
			if e.Tag == "Public" && (e.Text() != "" || len(e.ChildElements()) != 0) {
				bad = append(bad, "Public must be empty")
			}
			if e.Tag != "Public" && e.Text() == "" {
				bad = append(bad, e.Tag+" must have a value")
			}
		}
		if strings.Join(got, " ") != strings.Join(must, " ") {
			bad = append(bad, "extensions "+strings.Join(got, " ")+", want "+strings.Join(must, " "))
		}
		if em := children(cp, "EmailAddress"); len(em) != 1 || !emailRe.MatchString(em[0].Text()) {
			bad = append(bad, "one valid EmailAddress")
		}
		if tel := children(cp, "TelephoneNumber"); len(tel) == 1 && (strings.Contains(tel[0].Text(), " ") || !strings.HasPrefix(tel[0].Text(), "+39")) {
			bad = append(bad, "TelephoneNumber without spaces, starting +39")
		}
		if c := children(cp, "Company"); p == spid.CIE && (len(c) != 1 || c[0].Text() != ed.FindElement("./Organization/OrganizationName").Text()) {
			bad = append(bad, "Company must equal OrganizationName")
		}
		return bad
	},
}

func TestMetadata(t *testing.T) {
	sp := testSP(t)
	for _, p := range []spid.Profile{spid.SPID, spid.CIE} {
		t.Run(string(p), func(t *testing.T) {
			b, err := sp.Metadata(p, now)
			if err != nil {
				t.Fatal(err)
			}
			ed := parseDoc(t, b)
			verifyEnveloped(t, ed, sp.Certificate)
			if x := ed.FindElement("./SPSSODescriptor/KeyDescriptor/KeyInfo/X509Data/X509Certificate"); x == nil ||
				x.Text() != base64.StdEncoding.EncodeToString(sp.Certificate.Raw) {
				t.Error("KeyDescriptor does not publish the signing certificate")
			}
			for name, check := range metadataChecks {
				if bad := check(ed, p); len(bad) > 0 {
					t.Errorf("%s: %s", name, strings.Join(bad, "; "))
				}
			}
			golden(t, filepath.Join("testdata", "metadata-"+string(p)+".golden.xml"), normalizeMetadata(t, b))
		})
	}
}

func TestMetadataCIEPublishesOnlyCIESets(t *testing.T) {
	b, err := testSP(t).Metadata(spid.CIE, now)
	if err != nil {
		t.Fatal(err)
	}
	var idx []string
	for _, s := range parseDoc(t, b).FindElements("./SPSSODescriptor/AttributeConsumingService") {
		idx = append(idx, s.SelectAttrValue("index", ""))
	}
	if diff := cmp.Diff([]string{"0"}, idx); diff != "" {
		t.Errorf("CIE attribute sets (-want +got):\n%s", diff)
	}
}

func TestMetadataEnglishOnlyWhenComplete(t *testing.T) {
	for _, tc := range []struct {
		name      string
		en        [3]string
		wantLangs int
	}{
		{"none", [3]string{}, 1},
		{"partial", [3]string{"Municipality of Esempio", "Esempio", ""}, 1},
		{"complete", [3]string{"Municipality of Esempio", "Esempio", "https://comune.example/en/"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := testSP(t)
			sp.Organization.NameEN, sp.Organization.DisplayNameEN, sp.Organization.URLEN = tc.en[0], tc.en[1], tc.en[2]
			ed := parseDoc(t, must(sp.Metadata(spid.SPID, now)))
			if n := len(ed.FindElements("./Organization/OrganizationURL")); n != tc.wantLangs {
				t.Errorf("%d languages, want %d", n, tc.wantLangs)
			}
			if bad := metadataChecks["Organization"](ed, spid.SPID); len(bad) > 0 {
				t.Error(bad)
			}
		})
	}
}

func TestMetadataRefuses(t *testing.T) {
	tests := []struct {
		name    string
		profile spid.Profile
		at      time.Time
		mutate  func(*spid.SP)
	}{
		{"no IPA code", spid.SPID, now, func(s *spid.SP) { s.Organization.IPACode = "" }},
		{"no email", spid.SPID, now, func(s *spid.SP) { s.Organization.Email = "" }},
		{"phone with spaces", spid.SPID, now, func(s *spid.SP) { s.Organization.Phone = "+39 0461 000000" }},
		{"CIE without municipality", spid.CIE, now, func(s *spid.SP) { s.Organization.Municipality = "" }},
		{"relative ACS", spid.SPID, now, func(s *spid.SP) { s.ACSURL = "/acs" }},
		{"unknown profile", "eidas", now, func(*spid.SP) {}},
		{"unknown attribute", spid.SPID, now, func(s *spid.SP) { s.AttributeSets[0].Attributes = []string{"shoeSize"} }},
		{"repeated attribute", spid.SPID, now, func(s *spid.SP) {
			s.AttributeSets[0].Attributes = []string{"name", "name"}
		}},
		{"repeated index", spid.SPID, now, func(s *spid.SP) { s.AttributeSets[1].Index = 0 }},
		{"negative index", spid.SPID, now, func(s *spid.SP) { s.AttributeSets[1].Index = -1 }},
		{"set without name", spid.SPID, now, func(s *spid.SP) { s.AttributeSets[0].Name = "" }},
		{"no attribute sets", spid.SPID, now, func(s *spid.SP) { s.AttributeSets = nil }},
		{"no CIE attribute set", spid.CIE, now, func(s *spid.SP) { s.AttributeSets = s.AttributeSets[1:] }},
		{"expired certificate", spid.SPID, now.Add(3 * 365 * 24 * time.Hour), func(*spid.SP) {}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp := testSP(t)
			sp.AttributeSets = append([]spid.AttributeSet(nil), sp.AttributeSets...)
			for i := range sp.AttributeSets {
				sp.AttributeSets[i].Attributes = append([]string(nil), sp.AttributeSets[i].Attributes...)
			}
			tc.mutate(sp)
			if b, err := sp.Metadata(tc.profile, tc.at); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("Metadata = %d bytes, %v; want Invalid", len(b), err)
			}
		})
	}
}

// normalizeMetadata replaces what changes on every run (the random ID, the
// key, the signature) and indents the rest, so the golden file shows the
// structure a reviewer compares with the national examples.
func normalizeMetadata(t *testing.T, b []byte) []byte {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		t.Fatal(err)
	}
	root := doc.Root()
	root.CreateAttr("ID", "_ID")
	for path, v := range map[string]string{
		"//Reference":       "",
		"//DigestValue":     "DIGEST",
		"//SignatureValue":  "SIGNATURE",
		"//X509Certificate": "CERTIFICATE",
	} {
		for _, e := range root.FindElements(path) {
			if v == "" {
				e.CreateAttr("URI", "#_ID")
			} else {
				e.SetText(v)
			}
		}
	}
	doc.Indent(2)
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// golden compares got with a file in testdata, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if updateGolden() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}
