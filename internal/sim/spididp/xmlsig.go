package spididp

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// XML namespaces of SAML 2.0 and XML-DSig.
const (
	nsSAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsSAML  = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsMD    = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDS    = "http://www.w3.org/2000/09/xmldsig#"
	nsXS    = "http://www.w3.org/2001/XMLSchema"
	nsXSI   = "http://www.w3.org/2001/XMLSchema-instance"
)

// Bindings and formats of the SPID profile.
const (
	bindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	bindingPost     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	nameIDTransient = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	nameIDEntity    = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
	attrnameBasic   = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
)

// Size caps, against DEFLATE bombs and oversized posts: SPID messages are a
// few kilobytes.
const (
	maxMessage  = 128 << 10 // decoded XML
	maxFormBody = 512 << 10 // an HTTP-POST body
	maxMetadata = 1 << 20   // an SP's metadata document
)

// The signature algorithms SPID allows: RSA with SHA-256 or stronger.
var sigAlgs = map[string]crypto.Hash{
	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": crypto.SHA256,
	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": crypto.SHA384,
	"http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": crypto.SHA512,
}

var digestAlgs = map[string]bool{
	"http://www.w3.org/2001/04/xmlenc#sha256":       true,
	"http://www.w3.org/2001/04/xmldsig-more#sha384": true,
	"http://www.w3.org/2001/04/xmlenc#sha512":       true,
}

const sigAlgRSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

// signEnveloped adds an enveloped signature (RSA-SHA256, exclusive c14n,
// Reference URI="#ID") to el, placed right after its Issuer as the SAML
// schemas require, or first when el has no Issuer (metadata).
//
// goxmldsig canonicalises the element it signs in place, dropping namespace
// declarations that exclusive c14n does not render (xmlns:xs used only in
// xsi:type values); signing a copy keeps the sent document schema-valid
// while the digest stays the same.
func signEnveloped(el *etree.Element, key *rsa.PrivateKey, cert *x509.Certificate) error {
	ctx, err := dsig.NewSigningContext(key, [][]byte{cert.Raw})
	if err != nil {
		return fmt.Errorf("signing context: %w", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.IdAttribute = "ID"
	sig, err := ctx.ConstructSignature(el.Copy(), true)
	if err != nil {
		return fmt.Errorf("sign %s: %w", el.Tag, err)
	}
	at := 0
	for i, c := range el.Child {
		if e, ok := c.(*etree.Element); ok && e.Tag == "Issuer" {
			at = i + 1
			break
		}
	}
	el.InsertChildAt(at, sig)
	return nil
}

// verifyEnveloped checks el's enveloped signature against certs (never the
// KeyInfo alone) and returns the element rebuilt from the signed bytes, the
// only tree whose values may be read. SHA-1 and unknown algorithms are
// refused anywhere in the document before goxmldsig, which would accept
// them.
func verifyEnveloped(el *etree.Element, certs []*x509.Certificate, now time.Time) (*etree.Element, error) {
	var sig *etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == nsDS {
			if sig != nil {
				return nil, errors.New("more than one Signature")
			}
			sig = c
		}
	}
	if sig == nil {
		return nil, errors.New("no Signature")
	}
	for _, m := range descendants(el, "SignatureMethod") {
		if _, ok := sigAlgs[m.SelectAttrValue("Algorithm", "")]; !ok {
			return nil, fmt.Errorf("signature algorithm %q not allowed", m.SelectAttrValue("Algorithm", ""))
		}
	}
	for _, m := range descendants(el, "DigestMethod") {
		if !digestAlgs[m.SelectAttrValue("Algorithm", "")] {
			return nil, fmt.Errorf("digest algorithm %q not allowed", m.SelectAttrValue("Algorithm", ""))
		}
	}
	if len(certs) == 0 {
		return nil, errors.New("no trusted certificate")
	}
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: certs})
	ctx.IdAttribute = "ID"
	ctx.Clock = dsig.NewFakeClockAt(now)
	verified, err := ctx.Validate(el)
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return verified, nil
}

// descendants returns every element below el with the given local name.
func descendants(el *etree.Element, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			out = append(out, c)
		}
		out = append(out, descendants(c, tag)...)
	}
	return out
}

// queryParams are the raw (still URL-encoded) parameters of a Redirect
// binding query, because the signature covers them exactly as sent.
type queryParams map[string]string

// rawQuery splits a query string without decoding it; a repeated parameter
// is an error, since it would make the signed string ambiguous.
func rawQuery(q string) (queryParams, error) {
	out := queryParams{}
	for part := range strings.SplitSeq(q, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("query parameter %q: %w", k, err)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("query parameter %s repeated", name)
		}
		out[name] = v
	}
	return out, nil
}

// value returns a parameter decoded.
func (q queryParams) value(name string) (string, error) {
	return url.QueryUnescape(q[name])
}

// verifyQuery checks the Redirect binding's signature: SigAlg names an
// allowed algorithm and Signature signs "msg=…&RelayState=…&SigAlg=…"
// built from the raw values, with one of certs.
func verifyQuery(q queryParams, msg string, certs []*x509.Certificate) error {
	alg, err := q.value("SigAlg")
	if err != nil || alg == "" {
		return errors.New("no SigAlg")
	}
	hash, ok := sigAlgs[alg]
	if !ok {
		return fmt.Errorf("signature algorithm %q not allowed", alg)
	}
	sig64, err := q.value("Signature")
	if err != nil || sig64 == "" {
		return errors.New("no Signature")
	}
	sig, err := base64.StdEncoding.DecodeString(sig64)
	if err != nil {
		return fmt.Errorf("signature encoding: %w", err)
	}
	signed := msg + "=" + q[msg]
	if _, ok := q["RelayState"]; ok {
		signed += "&RelayState=" + q["RelayState"]
	}
	signed += "&SigAlg=" + q["SigAlg"]
	h := hash.New()
	h.Write([]byte(signed))
	digest := h.Sum(nil)
	for _, c := range certs {
		if pub, ok := c.PublicKey.(*rsa.PublicKey); ok && rsa.VerifyPKCS1v15(pub, hash, digest, sig) == nil {
			return nil
		}
	}
	return errors.New("signature does not verify with the SP's certificates")
}

// signQuery builds a signed Redirect binding query for msg
// ("SAMLRequest" or "SAMLResponse").
func signQuery(msg string, xml []byte, relayState string, key *rsa.PrivateKey) (string, error) {
	deflated, err := deflate(xml)
	if err != nil {
		return "", err
	}
	q := msg + "=" + url.QueryEscape(base64.StdEncoding.EncodeToString(deflated))
	if relayState != "" {
		q += "&RelayState=" + url.QueryEscape(relayState)
	}
	q += "&SigAlg=" + url.QueryEscape(sigAlgRSASHA256)
	digest := crypto.SHA256.New()
	digest.Write([]byte(q))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest.Sum(nil))
	if err != nil {
		return "", fmt.Errorf("sign query: %w", err)
	}
	return q + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig)), nil
}

// deflate compresses a message for the Redirect binding (raw DEFLATE).
func deflate(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeRedirect undoes the Redirect binding's encoding (base64 of raw
// DEFLATE), refusing anything that inflates past maxMessage.
func decodeRedirect(v string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("base64: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), maxMessage+1))
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	if len(out) > maxMessage {
		return nil, fmt.Errorf("message inflates past %d bytes", maxMessage)
	}
	return out, nil
}

// decodePost undoes the POST binding's base64.
func decodePost(v string) ([]byte, error) {
	out, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil {
		return nil, fmt.Errorf("base64: %w", err)
	}
	if len(out) > maxMessage {
		return nil, fmt.Errorf("message longer than %d bytes", maxMessage)
	}
	return out, nil
}

// parseXML reads one XML document, refusing DTDs (no entity games) and
// anything but a single root element.
func parseXML(b []byte) (*etree.Document, error) {
	doc := etree.NewDocument()
	doc.ReadSettings.ValidateInput = true
	doc.ReadSettings.MaxDepth = 64
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, fmt.Errorf("xml: %w", err)
	}
	roots := 0
	for _, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Directive:
			return nil, errors.New("xml: DTD not allowed")
		case *etree.Element:
			roots++
		case *etree.CharData:
			if strings.TrimSpace(t.Data) != "" {
				return nil, errors.New("xml: text outside the root element")
			}
		}
	}
	if roots != 1 {
		return nil, fmt.Errorf("xml: %d root elements", roots)
	}
	return doc, nil
}

// serialize writes a copy of an element as a standalone document.
func serialize(el *etree.Element) ([]byte, error) {
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	return doc.WriteToBytes()
}
