package certificate

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/registry"
	"github.com/sportello/sportello/internal/tenant"
)

// qualifiedLikeKey is a key whose certificate looks like a qualified
// seal's: issued by a CA with a long name, with policies, distribution
// points and the other extensions a trust service provider adds, about
// 2 KB of DER against the self-issued certificate's 300 bytes.
func qualifiedLikeKey(t *testing.T) (*SigningKey, []PublicKey) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	long := func(s string) []string { return []string{s + strings.Repeat(" - Servizi fiduciari qualificati", 3)} }
	caName := pkix.Name{CommonName: "Prestatore di servizi fiduciari qualificati - CA sigilli elettronici qualificati",
		Organization: long("Prestatore Fiduciario S.p.A."), OrganizationalUnit: long("Qualified Trust Service Provider"),
		Country: []string{"IT"}, Locality: []string{"Roma"}, SerialNumber: "VATIT-01234567890"}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: caName, NotBefore: time.Unix(0, 0),
		NotAfter: time.Unix(1<<33, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var policies []x509.OID
	for i := range 8 {
		oid, _ := x509.OIDFromInts([]uint64{1, 3, 6, 1, 4, 1, 29741, 1, 1, uint64(i)})
		policies = append(policies, oid)
	}
	tmpl := &x509.Certificate{SerialNumber: new(big.Int).Lsh(big.NewInt(1), 150),
		Subject: pkix.Name{CommonName: "Comune di San Michele all'Adige e Uniti Borghi della Valle",
			Organization: long("Comune di San Michele all'Adige"), Country: []string{"IT"},
			SerialNumber: "VATIT-00123456789", ExtraNames: []pkix.AttributeTypeAndValue{
				{Type: asn1.ObjectIdentifier{2, 5, 4, 97}, Value: "VATIT-00123456789"}}},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<33, 0), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		Policies: policies, CRLDistributionPoints: []string{"http://crl.prestatore.example/sigilli/qualificati/crl1.crl",
			"ldap://ldap.prestatore.example/cn=CRL1,ou=Sigilli,o=Prestatore,c=IT?certificateRevocationList"},
		OCSPServer:            []string{"http://ocsp.prestatore.example/sigilli"},
		IssuingCertificateURL: []string{"http://www.prestatore.example/ca/sigilli-qualificati.crt"},
		EmailAddresses:        []string{"protocollo@pec.comune.sanmichele.example"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &priv.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	if len(der) < 1500 {
		t.Fatalf("the certificate is %d bytes, want a large one", len(der))
	}
	return &SigningKey{ID: 1, Private: priv, Certificate: cert}, []PublicKey{{ID: 1, Certificate: cert}}
}

// TestSigRoom checks that the room reserved for the signature holds it,
// with the small self-issued certificate and with a large qualified-like
// one, on one page and on several, and that the file verifies.
func TestSigRoom(t *testing.T) {
	self, selfKeys := testKey(t)
	big, bigKeys := qualifiedLikeKey(t)
	for _, tc := range []struct {
		name    string
		key     *SigningKey
		keys    []PublicKey
		members int
	}{
		{"self-issued, one page", self, selfKeys, 1},
		{"self-issued, several pages", self, selfKeys, 90},
		{"qualified-like, one page", big, bigKeys, 1},
		{"qualified-like, several pages", big, bigKeys, 90},
	} {
		t.Run(tc.name, func(t *testing.T) {
			holder := &registry.Person{ID: 1, FiscalCode: "TMSMRC79E03H612A", Surname: "Tomasi", Name: "Marco", Sex: "M",
				BirthDate: calendar.D(1979, 5, 3), BirthPlace: "H612", Relationship: registry.Head, Status: registry.Resident,
				CivilStatus: registry.Married, Citizenship: "ITA"}
			h := &registry.Household{ID: 1, Address: registry.Address{Street: "Via Nuova", HouseNumber: "22"},
				Members: []*registry.Person{holder}}
			for i := 1; i < tc.members; i++ {
				m := *holder
				m.ID, m.Name = registry.PersonID(i+1), fmt.Sprintf("Convivente %d", i)
				h.Members = append(h.Members, &m)
			}
			e := &tenant.Ente{Name: "Comune di Ala", IstatCode: "022001", Province: "TN"}
			a, _, err := render(&Data{Ente: e, Kinds: Kinds{Residence, Family}, Holder: holder, Household: h,
				Channel: Desk, Issued: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), ValidUntil: calendar.D(2027, 5, 26),
				Code: "7R65-HNEX-7XE9-EN85", VerifyURL: "https://ala.example/verifica"}, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			pdf, err := a.sign(tc.key.Private, tc.key.Certificate)
			if err != nil {
				t.Fatal(err)
			}
			if v := Verify(pdf, tc.keys); !v.OK() {
				t.Fatalf("does not verify: %v", v.Problems)
			}
			sig, err := findSignature(pdf)
			if err != nil {
				t.Fatal(err)
			}
			if spare := a.sigRoom - len(sig.contents); spare < 256 {
				t.Errorf("%d bytes reserved for a %d-byte signature: less than 256 to spare", a.sigRoom, len(sig.contents))
			}
			t.Logf("certificate %d bytes, signature %d bytes, room %d, file %d bytes",
				len(tc.key.Certificate.Raw), len(sig.contents), a.sigRoom, len(pdf))
		})
	}
}
