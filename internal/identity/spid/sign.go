package spid

// This file signs what the SP sends. SPID accepts two ways (Regole tecniche,
// "Single sign-on"): an XML signature enveloped in the message for
// HTTP-POST, and a signature over the query string for HTTP-Redirect, where
// the XML itself travels unsigned (SAML bindings §3.4.4.1). Incoming
// signatures are verified in verify.go, never here.

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/sportello/sportello/internal/apperr"
)

// XML namespaces of the messages the SP writes.
const (
	uriProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	uriAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	uriMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	uriDSig      = "http://www.w3.org/2000/09/xmldsig#"
)

// SigAlgRSASHA256 is the only signature algorithm the SP uses: SPID forbids
// SHA-1 and requires RSA keys of at least 2048 bits.
const SigAlgRSASHA256 = dsig.RSASHA256SignatureMethod

// minSPKeyBits is the smallest RSA key SPID accepts (Avviso 29).
const minSPKeyBits = 2048

// samlInstant formats a time the way spid-sp-test expects: UTC, "Z", and at
// most three fraction digits (its UTC_STRING pattern rejects more).
func samlInstant(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z")
}

// newMessageID returns a fresh xs:ID: 128 random bits, after an underscore
// because an xs:ID may not start with a digit. Being unguessable, the id
// also binds an answer to the request that caused it.
func newMessageID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("spid: random id: %w", err)
	}
	return "_" + hex.EncodeToString(b), nil
}

// checkSigner refuses to sign with a missing, short or mismatched key: a
// message the IdP cannot verify would only fail later, on the IdP's page.
func (sp *SP) checkSigner() error {
	if sp.Key == nil || sp.Certificate == nil {
		return apperr.Errorf(apperr.Invalid, "spid: sp %q has no signing key or certificate", sp.EntityID)
	}
	if sp.Key.N.BitLen() < minSPKeyBits {
		return apperr.Errorf(apperr.Invalid, "spid: sp key has %d bits, at least %d are required", sp.Key.N.BitLen(), minSPKeyBits)
	}
	pub, ok := sp.Certificate.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(&sp.Key.PublicKey) {
		return apperr.Errorf(apperr.Invalid, "spid: sp certificate does not match its key")
	}
	if sp.EntityID == "" {
		return apperr.Errorf(apperr.Invalid, "spid: sp has no entity id")
	}
	return nil
}

// signEnveloped adds an enveloped XML signature to el (RSA-SHA256, SHA-256
// digest, exclusive c14n, Reference URI="#"+ID, KeyInfo with cert). The
// Signature goes where the SAML schemas want it: right after the leading
// Issuer if el has one (protocol messages), else first (EntityDescriptor).
func signEnveloped(el *etree.Element, key *rsa.PrivateKey, cert *x509.Certificate) error {
	if el.SelectAttrValue("ID", "") == "" {
		return errors.New("spid: sign: element has no ID")
	}
	ctx, err := dsig.NewSigningContext(key, [][]byte{cert.Raw})
	if err != nil {
		return fmt.Errorf("spid: sign: %w", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(SigAlgRSASHA256); err != nil {
		return fmt.Errorf("spid: sign: %w", err)
	}
	// Sign a copy: goxmldsig's canonicalizer rewrites the element it is
	// given (sorting attributes, moving namespace declarations), and the
	// canonical form, hence the digest, is the same either way.
	sig, err := ctx.ConstructSignature(el.Copy(), true)
	if err != nil {
		return fmt.Errorf("spid: sign: %w", err)
	}
	at := 0
	if first := leadingElement(el); first != nil && first.Tag == "Issuer" {
		at = first.Index() + 1
	}
	el.InsertChildAt(at, sig)
	return nil
}

// leadingElement returns el's first child element, or nil.
func leadingElement(el *etree.Element) *etree.Element {
	for _, c := range el.Child {
		if e, ok := c.(*etree.Element); ok {
			return e
		}
	}
	return nil
}

// signRedirect encodes an unsigned message for the HTTP-Redirect binding
// and signs it: raw DEFLATE (RFC 1951), base64, URL-encoding, then the
// signature over the exact string "param=…&RelayState=…&SigAlg=…"
// (RelayState only when present), as SAML bindings §3.4.4.1 prescribe. It
// returns the query string to append to the IdP's endpoint.
func signRedirect(param string, msg []byte, relayState string, key *rsa.PrivateKey) (string, error) {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return "", fmt.Errorf("spid: deflate: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return "", fmt.Errorf("spid: deflate: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("spid: deflate: %w", err)
	}
	var q strings.Builder
	q.WriteString(param + "=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes())))
	if relayState != "" {
		q.WriteString("&RelayState=" + url.QueryEscape(relayState))
	}
	q.WriteString("&SigAlg=" + url.QueryEscape(SigAlgRSASHA256))
	sum := sha256.Sum256([]byte(q.String()))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("spid: sign redirect: %w", err)
	}
	q.WriteString("&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig)))
	return q.String(), nil
}

// Param names of the two kinds of protocol message in both bindings.
const (
	formSAMLRequest  = "SAMLRequest"
	formSAMLResponse = "SAMLResponse"
)

// send signs msg for the binding and packs it for the browser. For
// HTTP-POST the XML carries an enveloped signature and goes in a form; for
// HTTP-Redirect the XML stays unsigned and the query string is signed.
func (sp *SP) send(msg *etree.Element, binding Binding, dest, param, relayState string) (*Outgoing, error) {
	out := &Outgoing{Binding: binding, RelayState: relayState}
	switch binding {
	case HTTPPost:
		if err := signEnveloped(msg, sp.Key, sp.Certificate); err != nil {
			return nil, err
		}
		xml, err := writeMessage(msg)
		if err != nil {
			return nil, err
		}
		out.URL, out.XML = dest, xml
		enc := base64.StdEncoding.EncodeToString(xml)
		if param == formSAMLRequest {
			out.SAMLRequest = enc
		} else {
			out.SAMLResponse = enc
		}
	case HTTPRedirect:
		xml, err := writeMessage(msg)
		if err != nil {
			return nil, err
		}
		q, err := signRedirect(param, xml, relayState, sp.Key)
		if err != nil {
			return nil, err
		}
		sep := "?"
		if strings.Contains(dest, "?") {
			sep = "&"
		}
		out.URL, out.XML = dest+sep+q, xml
	default:
		return nil, apperr.Errorf(apperr.Invalid, "spid: unsupported binding %q", binding)
	}
	return out, nil
}

// writeMessage writes el as a standalone document, without indentation: the
// bytes must canonicalize exactly as they did when they were signed.
func writeMessage(el *etree.Element) ([]byte, error) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(el)
	b, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("spid: write xml: %w", err)
	}
	return b, nil
}

// newProtocolMessage starts a samlp message with the attributes every
// request and response shares, and the SP's Issuer as first child (entity
// format and NameQualifier, as SPID requires of every SP message).
func (sp *SP) newProtocolMessage(tag, id, dest string, now time.Time) *etree.Element {
	el := etree.NewElement("samlp:" + tag)
	el.CreateAttr("xmlns:samlp", uriProtocol)
	el.CreateAttr("xmlns:saml", uriAssertion)
	el.CreateAttr("ID", id)
	el.CreateAttr("Version", "2.0")
	el.CreateAttr("IssueInstant", samlInstant(now))
	el.CreateAttr("Destination", dest)
	iss := el.CreateElement("saml:Issuer")
	iss.CreateAttr("Format", NameIDEntity)
	iss.CreateAttr("NameQualifier", sp.EntityID)
	iss.SetText(sp.EntityID)
	return el
}
