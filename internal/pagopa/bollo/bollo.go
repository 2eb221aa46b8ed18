// Package bollo handles the @e.bollo, the digital stamp duty (marca da
// bollo) a citizen buys through pagoPA for a document: the request that goes
// with a debt position (a stamp transfer bound to the SHA-256 of the
// document) and the MarcaDaBollo XML that the PSP issues and the receipt
// carries (MBDAttachment), signed with XML-DSig, whose IUBD the ente links to
// the document it issues.
//
// Verify is what the certificates work calls before issuing a stamped
// document: the stamp must be well formed, signed, and bound to that very
// document. Seller makes stamps the way a PSP does, for the simulator.
package bollo

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pagopa"
)

// Namespaces and algorithm of the MarcaDaBollo (Agenzia delle Entrate,
// MarcaDaBollo.xsd).
const (
	NS        = "http://www.agenziaentrate.gov.it/2014/MarcaDaBollo"
	nsDSig    = "http://www.w3.org/2000/09/xmldsig#"
	algSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	// TypeOne is TipoBollo 01, the only stamp type there is.
	TypeOne = "01"
)

var (
	// ErrInvalid is wrapped when the XML is not a MarcaDaBollo.
	ErrInvalid = errors.New("bollo: not a valid marca da bollo")
	// ErrDocument is wrapped when the stamp is bound to another document.
	ErrDocument = errors.New("bollo: the stamp is for another document")
	// ErrSignature is wrapped when the signature does not verify.
	ErrSignature = errors.New("bollo: signature does not verify")
)

// Stamp is a verified marca da bollo.
type Stamp struct {
	// IUBD is the stamp's unique identifier (Identificativo Univoco del
	// Bollo Digitale), which the issued document records.
	IUBD string
	// PSPFiscalCode and PSPName are the seller.
	PSPFiscalCode, PSPName string
	PurchasedAt            time.Time
	Amount                 pagopa.Cents
	Type                   string
	// DocumentHash is the SHA-256 the stamp is bound to.
	DocumentHash []byte
	// Certificate signed the stamp; trusting it is the caller's decision.
	Certificate *x509.Certificate
}

// Transfer is the stamp part of a GPD debt position (transfer.stamp): it
// replaces the IBAN of a transfer and binds the stamp to a document.
type Transfer struct {
	HashDocument        string `json:"hashDocument"`
	StampType           string `json:"stampType"`
	ProvincialResidence string `json:"provincialResidence"`
}

var province = regexp.MustCompile(`^[A-Z]{2}$`)

// NewTransfer describes the stamp for a document whose SHA-256 is
// docHash, bought by a payer resident in province (two letters).
func NewTransfer(docHash []byte, prov string) (Transfer, error) {
	if len(docHash) != sha256.Size {
		return Transfer{}, apperr.Errorf(apperr.Invalid, "bollo: document hash of %d bytes, want a SHA-256", len(docHash))
	}
	if !province.MatchString(prov) {
		return Transfer{}, apperr.Errorf(apperr.Invalid, "bollo: province %q is not two capital letters", prov)
	}
	return Transfer{HashDocument: base64.StdEncoding.EncodeToString(docHash), StampType: TypeOne, ProvincialResidence: prov}, nil
}

// Verify checks a MarcaDaBollo: its structure (MarcaDaBollo.xsd), that it
// is bound to the document whose SHA-256 is docHash, and its XML-DSig
// signature with the certificate it carries, as valid when the stamp was
// bought. It returns the stamp, whose IUBD the caller records with the
// document.
func Verify(doc []byte, docHash []byte) (Stamp, error) {
	s, root, err := parse(doc)
	if err != nil {
		return Stamp{}, err
	}
	if !bytes.Equal(s.DocumentHash, docHash) {
		return s, apperr.Errorf(apperr.Invalid, "bollo: IUBD %s: %w", s.IUBD, ErrDocument)
	}
	cert, err := signer(root)
	if err != nil {
		return s, err
	}
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	ctx.Clock = dsig.NewFakeClockAt(s.PurchasedAt)
	if _, err := ctx.Validate(root); err != nil {
		return s, apperr.Errorf(apperr.Invalid, "bollo: IUBD %s: %w: %w", s.IUBD, ErrSignature, err)
	}
	s.Certificate = cert
	return s, nil
}

// parse reads the fields of a MarcaDaBollo in the schema's order.
func parse(doc []byte) (Stamp, *etree.Element, error) {
	bad := func(format string, args ...any) (Stamp, *etree.Element, error) {
		return Stamp{}, nil, apperr.Errorf(apperr.Invalid, "bollo: %w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return bad("%v", err)
	}
	root := d.Root()
	if root == nil || root.Tag != "marcaDaBollo" || root.NamespaceURI() != NS {
		return bad("root is not {%s}marcaDaBollo", NS)
	}
	want := []string{"PSP", "IUBD", "OraAcquisto", "Importo", "TipoBollo", "ImprontaDocumento", "Signature"}
	kids := root.ChildElements()
	if len(kids) != len(want) {
		return bad("%d elements, want %s", len(kids), strings.Join(want, ", "))
	}
	for i, k := range kids {
		ns := NS
		if k.Tag == "Signature" {
			ns = nsDSig
		}
		if k.Tag != want[i] || k.NamespaceURI() != ns {
			return bad("element %d is %s, want %s", i+1, k.Tag, want[i])
		}
	}
	var s Stamp
	psp := kids[0].ChildElements()
	if len(psp) != 2 || psp[0].Tag != "CodiceFiscale" || psp[1].Tag != "Denominazione" || psp[0].Text() == "" || psp[1].Text() == "" {
		return bad("PSP wants CodiceFiscale and Denominazione")
	}
	s.PSPFiscalCode, s.PSPName = psp[0].Text(), psp[1].Text()
	if s.IUBD = strings.TrimSpace(kids[1].Text()); s.IUBD == "" {
		return bad("empty IUBD")
	}
	t, err := pagopa.ParseDateTime(strings.TrimSpace(kids[2].Text()))
	if err != nil {
		return bad("OraAcquisto: %v", err)
	}
	s.PurchasedAt = t
	imp := strings.TrimSpace(kids[3].Text())
	if !regexp.MustCompile(`^\d+(\.\d{1,2})?$`).MatchString(imp) {
		return bad("Importo %q", imp)
	}
	if s.Amount, err = pagopa.ParseEuro(imp); err != nil {
		return bad("Importo: %v", err)
	}
	if s.Type = kids[4].Text(); s.Type != TypeOne {
		return bad("TipoBollo %q, want 01", s.Type)
	}
	hash := kids[5].ChildElements()
	if len(hash) != 2 || hash[0].Tag != "DigestMethod" || hash[0].NamespaceURI() != NS ||
		hash[0].SelectAttrValue("Algorithm", "") != algSHA256 || hash[1].Tag != "DigestValue" || hash[1].NamespaceURI() != nsDSig {
		return bad("ImprontaDocumento wants DigestMethod (SHA-256) and ds:DigestValue")
	}
	if s.DocumentHash, err = base64.StdEncoding.DecodeString(strings.TrimSpace(hash[1].Text())); err != nil || len(s.DocumentHash) != sha256.Size {
		return bad("DigestValue is not a base64 SHA-256")
	}
	return s, root, nil
}

// signer returns the certificate in the signature's KeyInfo.
func signer(root *etree.Element) (*x509.Certificate, error) {
	var el *etree.Element
	for _, k := range root.ChildElements() {
		if k.Tag == "Signature" {
			el = k.FindElement("./KeyInfo/X509Data/X509Certificate")
		}
	}
	if el == nil {
		return nil, apperr.Errorf(apperr.Invalid, "bollo: %w: no X509Certificate in the signature", ErrSignature)
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(el.Text()), ""))
	if err != nil {
		return nil, apperr.Errorf(apperr.Invalid, "bollo: %w: certificate: %w", ErrSignature, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, apperr.Errorf(apperr.Invalid, "bollo: %w: certificate: %w", ErrSignature, err)
	}
	return cert, nil
}

// Seller issues marche da bollo as a PSP does, for the pagoPA simulator:
// the XML is signed with the seller's key like a real one, so that Verify
// runs the same code on simulated and real stamps.
type Seller struct {
	FiscalCode, Name string
	Key              crypto.Signer
	Certificate      *x509.Certificate
	// NewIUBD mints identifiers; the simulator numbers them.
	NewIUBD func() string
}

// Sell issues a stamp of amount for the document whose SHA-256 is docHash,
// bought at at.
func (s *Seller) Sell(docHash []byte, amount pagopa.Cents, at time.Time) ([]byte, error) {
	if len(docHash) != sha256.Size {
		return nil, apperr.Errorf(apperr.Invalid, "bollo: sell: document hash of %d bytes, want a SHA-256", len(docHash))
	}
	imp, err := amount.SOAP()
	if err != nil || amount <= 0 {
		return nil, apperr.Errorf(apperr.Invalid, "bollo: sell: amount %d", amount)
	}
	d := etree.NewDocument()
	d.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := d.CreateElement("marcaDaBollo")
	root.CreateAttr("xmlns", NS)
	root.CreateAttr("xmlns:ds", nsDSig)
	psp := root.CreateElement("PSP")
	psp.CreateElement("CodiceFiscale").SetText(s.FiscalCode)
	psp.CreateElement("Denominazione").SetText(s.Name)
	root.CreateElement("IUBD").SetText(s.NewIUBD())
	root.CreateElement("OraAcquisto").SetText(at.Format("2006-01-02T15:04:05Z07:00"))
	root.CreateElement("Importo").SetText(imp)
	root.CreateElement("TipoBollo").SetText(TypeOne)
	h := root.CreateElement("ImprontaDocumento")
	h.CreateElement("DigestMethod").CreateAttr("Algorithm", algSHA256)
	h.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(docHash))
	ctx, err := dsig.NewSigningContext(s.Key, [][]byte{s.Certificate.Raw})
	if err != nil {
		return nil, fmt.Errorf("bollo: sell: %w", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	signed, err := ctx.SignEnveloped(root)
	if err != nil {
		return nil, fmt.Errorf("bollo: sell: %w", err)
	}
	d.SetRoot(signed)
	return d.WriteToBytes()
}

// NewSimulatorSeller makes a Seller with a fresh RSA key and a self-signed
// certificate valid from an hour before now for ten years: the simulator's
// stand-in for a PSP's signing certificate. IUBDs are numbered from 1.
func NewSimulatorSeller(fiscalCode, name string, now time.Time) (*Seller, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("bollo: simulator key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.Unix()),
		Subject:      pkix.Name{CommonName: name + " (simulatore @e.bollo)", Organization: []string{name}, Country: []string{"IT"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("bollo: simulator certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("bollo: simulator certificate: %w", err)
	}
	var mu sync.Mutex
	n := int64(0)
	return &Seller{FiscalCode: fiscalCode, Name: name, Key: key, Certificate: cert, NewIUBD: func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("%014d", n)
	}}, nil
}
