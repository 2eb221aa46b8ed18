package spid

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"

	"github.com/sportello/sportello/internal/apperr"
)

// SPKeyBits is the size of the SP keys the portal generates: 3072 bits, as
// italia/spid-compliant-certificates does, above SPID's 2048 minimum.
const SPKeyBits = 3072

// CertificateValidity is how long a generated SP certificate lasts; the
// key store rotates keys before that (spid-compliant-certificates defaults
// to two years as well).
const CertificateValidity = 730 * 24 * time.Hour

// Object identifiers of Avviso SPID 29 v3, as italia/spid-compliant-
// certificates writes and validates them.
var (
	oidOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}
	oidURI                    = asn1.ObjectIdentifier{2, 5, 4, 83}
	oidCertificatePolicies    = asn1.ObjectIdentifier{2, 5, 29, 32}
	oidBasicConstraints       = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidUserNotice             = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 2, 2}
	// The AgID arc, agIDcert, and spid-publicsector-SP.
	oidAgID          = asn1.ObjectIdentifier{1, 3, 76, 16}
	oidAgIDCert      = asn1.ObjectIdentifier{1, 3, 76, 16, 6}
	oidSPIDPublicSP  = asn1.ObjectIdentifier{1, 3, 76, 16, 4, 2, 1}
	spPolicyNotices  = []policyNotice{{oidAgID, "AgIDroot"}, {oidAgIDCert, "agIDcert"}, {oidSPIDPublicSP, "cert_SP_Pub"}}
	emptySequenceDER = []byte{0x30, 0x00}
)

// policyNotice is a certificate policy with the explicit text of its
// UserNotice qualifier, which the SPID validator compares.
type policyNotice struct {
	oid  asn1.ObjectIdentifier
	text string
}

// ASN.1 shapes of RFC 5280 §4.2.1.4 that crypto/x509 cannot write: its
// Policies field has no qualifiers.
type (
	policyInformation struct {
		Policy     asn1.ObjectIdentifier
		Qualifiers []policyQualifier
	}
	policyQualifier struct {
		ID     asn1.ObjectIdentifier
		Notice userNotice
	}
	userNotice struct {
		ExplicitText string `asn1:"utf8"`
	}
)

// NewKeyPair generates the SP's key and a self-signed certificate shaped
// as Avviso SPID 29 v3 requires of a public SP (which may self-sign):
// subject commonName and organizationName, organizationIdentifier
// "PA:IT-<IPA code>", uri = entityID, countryName IT, localityName; key
// usage digitalSignature and nonRepudiation (critical); basicConstraints
// CA:FALSE (not critical, unlike crypto/x509's default); certificate
// policies AgIDroot, agIDcert and spid-publicsector-SP with their notices;
// RSA 3072 signed with SHA-256.
func NewKeyPair(org Organization, entityID string, now time.Time) (*rsa.PrivateKey, *x509.Certificate, error) {
	if org.Name == "" || org.IPACode == "" || org.Locality == "" || entityID == "" {
		return nil, nil, apperr.Errorf(apperr.Invalid, "spid: certificate: organization name, IPA code, locality and entity id are required")
	}
	key, err := rsa.GenerateKey(rand.Reader, SPKeyBits)
	if err != nil {
		return nil, nil, fmt.Errorf("spid: generate key: %w", err)
	}
	cert, err := selfSign(key, org, entityID, now)
	if err != nil {
		return nil, nil, err
	}
	return key, cert, nil
}

// selfSign issues the SPID certificate for an existing key.
func selfSign(key *rsa.PrivateKey, org Organization, entityID string, now time.Time) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("spid: certificate serial: %w", err)
	}
	policies, err := certificatePolicies()
	if err != nil {
		return nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("spid: certificate: %w", err)
	}
	// A key identifier from SHA-256 rather than SHA-1 (RFC 7093 §2), cut to
	// the customary 160 bits.
	skid := sha256.Sum256(spki)
	subject := pkix.Name{
		CommonName:   org.Name,
		Organization: []string{org.Name},
		Country:      []string{"IT"},
		Locality:     []string{org.Locality},
		ExtraNames: []pkix.AttributeTypeAndValue{
			{Type: oidOrganizationIdentifier, Value: "PA:IT-" + org.IPACode},
			{Type: oidURI, Value: entityID},
		},
	}
	notBefore := now.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:       serial,
		Subject:            subject,
		Issuer:             subject,
		NotBefore:          notBefore,
		NotAfter:           notBefore.Add(CertificateValidity),
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		SignatureAlgorithm: x509.SHA256WithRSA,
		SubjectKeyId:       skid[:20],
		ExtraExtensions: []pkix.Extension{
			{Id: oidBasicConstraints, Critical: false, Value: emptySequenceDER},
			{Id: oidCertificatePolicies, Critical: false, Value: policies},
		},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("spid: create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("spid: parse new certificate: %w", err)
	}
	return cert, nil
}

// certificatePolicies encodes the certificatePolicies extension value.
func certificatePolicies() ([]byte, error) {
	var infos []policyInformation
	for _, p := range spPolicyNotices {
		infos = append(infos, policyInformation{
			Policy:     p.oid,
			Qualifiers: []policyQualifier{{ID: oidUserNotice, Notice: userNotice{ExplicitText: p.text}}},
		})
	}
	b, err := asn1.Marshal(infos)
	if err != nil {
		return nil, fmt.Errorf("spid: certificate policies: %w", err)
	}
	return b, nil
}
