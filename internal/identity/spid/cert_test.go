package spid_test

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity/spid"
)

// TestNewKeyPair parses the certificate back and checks every rule that
// italia/spid-compliant-certificates validates for a public SP: key type
// and size, digest, subject DN (mandatory and forbidden attributes, the
// organizationIdentifier pattern), basicConstraints, keyUsage and
// certificatePolicies with their notices.
func TestNewKeyPair(t *testing.T) {
	org := testOrg()
	issued := time.Date(2026, 5, 4, 10, 11, 12, 0, time.UTC)
	key, c, err := spid.NewKeyPair(org, spEntityID, issued)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(c.Raw)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() != 3072 || !pub.Equal(&key.PublicKey) {
		t.Errorf("want the generated RSA 3072 public key in the certificate")
	}
	if cert.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("signature algorithm %v, want SHA256-RSA", cert.SignatureAlgorithm)
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if !cert.NotBefore.Equal(issued) || !cert.NotAfter.Equal(issued.Add(730*24*time.Hour)) {
		t.Errorf("validity %v – %v, want two years from %v", cert.NotBefore, cert.NotAfter, issued)
	}

	// Subject: every attribute by OID, as the validator reads them.
	got := map[string]string{}
	for _, atv := range cert.Subject.Names {
		got[atv.Type.String()] = fmt.Sprint(atv.Value)
	}
	want := map[string]string{
		"2.5.4.3":  org.Name,               // commonName
		"2.5.4.10": org.Name,               // organizationName = OrganizationName
		"2.5.4.6":  "IT",                   // countryName
		"2.5.4.7":  org.Locality,           // localityName
		"2.5.4.97": "PA:IT-" + org.IPACode, // organizationIdentifier
		"2.5.4.83": spEntityID,             // uri = entityID
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("subject mismatch (-want +got):\n%s", diff)
	}
	if cmp.Diff(cert.Subject.String(), cert.Issuer.String()) != "" {
		t.Error("issuer differs from subject")
	}

	exts := map[string]struct {
		critical bool
		value    []byte
	}{}
	for _, e := range cert.Extensions {
		exts[e.Id.String()] = struct {
			critical bool
			value    []byte
		}{e.Critical, e.Value}
	}

	bc, ok := exts["2.5.29.19"]
	var bcv struct {
		CA bool `asn1:"optional"`
	}
	if !ok || bc.critical {
		t.Error("basicConstraints must be present and not critical")
	} else if _, err := asn1.Unmarshal(bc.value, &bcv); err != nil || bcv.CA {
		t.Errorf("basicConstraints CA must be false (err %v)", err)
	}

	if ku, ok := exts["2.5.29.15"]; !ok || !ku.critical {
		t.Error("keyUsage must be present and critical")
	}
	if cert.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment {
		t.Errorf("keyUsage %b, want digitalSignature and nonRepudiation only", cert.KeyUsage)
	}

	cp, ok := exts["2.5.29.32"]
	if !ok || cp.critical {
		t.Fatal("certificatePolicies must be present and not critical")
	}
	var policies []struct {
		Policy     asn1.ObjectIdentifier
		Qualifiers []struct {
			ID     asn1.ObjectIdentifier
			Notice struct {
				Text string `asn1:"utf8"`
			}
		}
	}
	if _, err := asn1.Unmarshal(cp.value, &policies); err != nil {
		t.Fatalf("certificatePolicies: %v", err)
	}
	notices := map[string]string{}
	for _, p := range policies {
		for _, q := range p.Qualifiers {
			if q.ID.String() == "1.3.6.1.5.5.7.2.2" {
				notices[p.Policy.String()] = q.Notice.Text
			}
		}
	}
	wantNotices := map[string]string{"1.3.76.16": "AgIDroot", "1.3.76.16.6": "agIDcert", "1.3.76.16.4.2.1": "cert_SP_Pub"}
	if diff := cmp.Diff(wantNotices, notices); diff != "" {
		t.Errorf("policies and notices (-want +got):\n%s", diff)
	}
	if len(cert.SubjectKeyId) != 20 {
		t.Errorf("subjectKeyIdentifier has %d bytes", len(cert.SubjectKeyId))
	}
}

func TestNewKeyPairRefuses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mutate   func(*spid.Organization)
		entityID string
	}{
		{"no name", func(o *spid.Organization) { o.Name = "" }, spEntityID},
		{"no IPA code", func(o *spid.Organization) { o.IPACode = "" }, spEntityID},
		{"no locality", func(o *spid.Organization) { o.Locality = "" }, spEntityID},
		{"no entity id", func(*spid.Organization) {}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOrg()
			tc.mutate(&o)
			if _, _, err := spid.NewKeyPair(o, tc.entityID, now); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("err = %v, want Invalid", err)
			}
		})
	}
}
