package spid

// This file holds the primitives every incoming message goes through: a
// hardened XML parser, the enveloped-signature check and the HTTP-Redirect
// query-signature check. They trust only the certificates of the IdP's
// metadata, never a key the message carries, and accept only the
// algorithms the SPID rules allow. What a message must say is checked in
// response.go and logout_in.go, on the element these functions return.

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	_ "crypto/sha512" // SHA-384 and SHA-512 for the signature methods below.
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
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// XML namespaces of the messages an IdP sends.
const (
	samlpNS = "urn:oasis:names:tc:SAML:2.0:protocol"
	samlNS  = "urn:oasis:names:tc:SAML:2.0:assertion"
	dsigNS  = "http://www.w3.org/2000/09/xmldsig#"
)

// Limits of the parser: far above any real SPID message (a response with
// every attribute is about 10 KiB, 80 elements, depth 8), far below what
// would let a crafted one cost real memory or time.
const (
	maxXMLDepth    = 32
	maxXMLElements = 2000
	// maxXMLAttrs bounds the attributes of one element (SPID's have at
	// most 8), which keeps the duplicate check below linear in practice.
	maxXMLAttrs = 32
)

// Algorithms allowed in an incoming signature. SHA-1 is refused everywhere
// (SPID requires SHA-256 or stronger), and only exclusive canonicalization
// is accepted: it is what SPID signers use, and any other transform (XSLT,
// XPath, inclusive c14n) only widens what an attacker can play with.
var (
	allowedSignatureMethods = map[string]bool{
		dsig.RSASHA256SignatureMethod:   true,
		dsig.RSASHA384SignatureMethod:   true,
		dsig.RSASHA512SignatureMethod:   true,
		dsig.ECDSASHA256SignatureMethod: true,
		dsig.ECDSASHA384SignatureMethod: true,
		dsig.ECDSASHA512SignatureMethod: true,
	}
	allowedDigests = map[string]bool{
		"http://www.w3.org/2001/04/xmlenc#sha256":       true,
		"http://www.w3.org/2001/04/xmldsig-more#sha384": true,
		"http://www.w3.org/2001/04/xmlenc#sha512":       true,
	}
	allowedC14N = map[string]bool{
		string(dsig.CanonicalXML10ExclusiveAlgorithmId):             true,
		string(dsig.CanonicalXML10ExclusiveWithCommentsAlgorithmId): true,
	}
	// redirectSigAlgs maps the SigAlg of an HTTP-Redirect message to the
	// hash it signs with; the key type must match the URI's.
	redirectSigAlgs = map[string]crypto.Hash{
		dsig.RSASHA256SignatureMethod:   crypto.SHA256,
		dsig.RSASHA384SignatureMethod:   crypto.SHA384,
		dsig.RSASHA512SignatureMethod:   crypto.SHA512,
		dsig.ECDSASHA256SignatureMethod: crypto.SHA256,
		dsig.ECDSASHA384SignatureMethod: crypto.SHA384,
		dsig.ECDSASHA512SignatureMethod: crypto.SHA512,
	}
)

// minIdPKeyBits is the smallest RSA key whose signature is believed: a
// weaker IdP certificate is treated as absent, not as a lesser trust.
const minIdPKeyBits = 2048

// errUnsigned reports a message or element without a signature, which the
// callers turn into the check that required one.
var errUnsigned = errors.New("not signed")

// parseXML reads one XML message and refuses what no IdP sends but attacks
// use: a DTD or entity declarations (XXE, billion laughs), processing
// instructions, duplicate attributes (two parsers reading two values),
// duplicate ID values (two elements one Reference could mean), more than
// one root, excessive depth or size. It returns the root element.
func parseXML(b []byte) (*etree.Element, error) {
	if bytes.Contains(b, []byte("<!DOCTYPE")) || bytes.Contains(b, []byte("<!ENTITY")) {
		return nil, errors.New("DTDs and entity declarations are not accepted")
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{PreserveDuplicateAttrs: true, MaxDepth: maxXMLDepth}
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, fmt.Errorf("malformed xml: %w", err)
	}
	var root *etree.Element
	for _, tok := range doc.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if root != nil {
				return nil, errors.New("more than one root element")
			}
			root = t
		case *etree.ProcInst:
			if t.Target != "xml" {
				return nil, fmt.Errorf("processing instruction %q is not accepted", t.Target)
			}
		case *etree.Directive:
			return nil, errors.New("DTDs and directives are not accepted")
		case *etree.CharData:
			if strings.TrimSpace(t.Data) != "" {
				return nil, errors.New("text outside the root element")
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	count := 0
	ids := map[string]bool{}
	if err := checkTree(root, &count, ids); err != nil {
		return nil, err
	}
	return root, nil
}

// checkTree walks el's subtree applying parseXML's rules.
func checkTree(el *etree.Element, count *int, ids map[string]bool) error {
	*count++
	if *count > maxXMLElements {
		return fmt.Errorf("more than %d elements", maxXMLElements)
	}
	if len(el.Attr) > maxXMLAttrs {
		return fmt.Errorf("element %s has more than %d attributes", el.Tag, maxXMLAttrs)
	}
	for i, a := range el.Attr {
		for _, b := range el.Attr[:i] {
			if a.Space == b.Space && a.Key == b.Key {
				return fmt.Errorf("element %s repeats attribute %s", el.Tag, a.FullKey())
			}
		}
		if a.Space == "" && a.Key == "ID" {
			if ids[a.Value] {
				return fmt.Errorf("ID %q appears twice", a.Value)
			}
			ids[a.Value] = true
		}
	}
	for _, tok := range el.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if err := checkTree(t, count, ids); err != nil {
				return err
			}
		case *etree.ProcInst:
			return fmt.Errorf("processing instruction %q is not accepted", t.Target)
		case *etree.Directive:
			return errors.New("directives are not accepted")
		}
	}
	return nil
}

// is reports whether el is the element local in namespace ns, resolving
// prefixes as declared (IdPs differ: Poste declares them inline on every
// element, others once on the root).
func is(el *etree.Element, ns, local string) bool {
	return el.Tag == local && el.NamespaceURI() == ns
}

// childrenOf returns el's child elements named local in namespace ns.
func childrenOf(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// attr returns el's unprefixed attribute name and whether it is present.
func attr(el *etree.Element, name string) (string, bool) {
	a := el.SelectAttr(name)
	if a == nil || a.Space != "" {
		return "", false
	}
	return a.Value, true
}

// textOf returns el's character data, trimmed, joining the pieces a comment
// splits: "abc<!---->def" is "abcdef". Reading only the first piece is the
// comment-truncation bug of 2018 (CVE-2017-11427 and relatives). An element
// inside the value is refused: no SPID value has one.
func textOf(el *etree.Element) (string, error) {
	var b strings.Builder
	for _, tok := range el.Child {
		switch t := tok.(type) {
		case *etree.CharData:
			b.WriteString(t.Data)
		case *etree.Comment:
		default:
			return "", errors.New("element content where text was expected")
		}
	}
	return strings.TrimSpace(b.String()), nil
}

// verifyEnveloped checks el's enveloped signature against certs and returns
// the verified element: what the signature covers, re-parsed from the
// canonical bytes that were digested, without the Signature. Everything the
// caller reads must come from that element, never from el, or an attacker
// could move signed content around unsigned one (XML signature wrapping).
//
// The Signature must be el's direct child, with exactly one Reference to
// "#"+el's ID and only allowed algorithms and transforms. Its KeyInfo is
// dropped before verification: a certificate in the message proves nothing,
// only one of certs does. A certificate outside its validity at now, or with
// an RSA key under 2048 bits, is not used. It returns errUnsigned when el
// has no Signature child.
func verifyEnveloped(el *etree.Element, certs []*x509.Certificate, now time.Time) (*etree.Element, error) {
	sigs := childrenOf(el, dsigNS, "Signature")
	switch {
	case len(sigs) == 0:
		return nil, errUnsigned
	case len(sigs) > 1:
		return nil, errors.New("more than one Signature")
	}
	id := el.SelectAttrValue("ID", "")
	if id == "" {
		return nil, errors.New("signed element has no ID")
	}
	if err := checkSignature(sigs[0], id); err != nil {
		return nil, err
	}
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, fmt.Errorf("namespaces: %w", err)
	}
	detached, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		return nil, fmt.Errorf("namespaces: %w", err)
	}
	for _, sig := range childrenOf(detached, dsigNS, "Signature") {
		for _, ki := range childrenOf(sig, dsigNS, "KeyInfo") {
			sig.RemoveChild(ki)
		}
	}
	if err := noNestedReference(detached, id); err != nil {
		return nil, err
	}
	err = errors.New("no usable IdP certificate (fail closed)")
	for _, cert := range certs {
		if !usableCert(cert) {
			continue
		}
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
		vc.IdAttribute = "ID"
		vc.Clock = dsig.NewFakeClockAt(now)
		verified, verr := vc.Validate(detached)
		if verr == nil {
			if verified.SelectAttrValue("ID", "") != id || verified.Tag != el.Tag {
				return nil, errors.New("verified element is not the signed one")
			}
			return verified, nil
		}
		err = verr
	}
	return nil, fmt.Errorf("signature does not verify with the IdP's certificates: %w", err)
}

// noNestedReference refuses a Signature below el's own that also points to
// el (by its ID, or by "" for the whole document): goxmldsig verifies the
// first Signature in document order that points to el, and that must be
// the one whose algorithms checkSignature has just approved.
func noNestedReference(el *etree.Element, id string) error {
	for _, child := range el.ChildElements() {
		for _, sig := range child.FindElements(".//Signature") {
			for _, ref := range sig.FindElements("./SignedInfo/Reference") {
				if uri := ref.SelectAttrValue("URI", ""); uri == "" || uri == "#"+id {
					return errors.New("a nested Signature also references the signed element")
				}
			}
		}
	}
	return nil
}

// usableCert reports whether cert may verify a signature: an RSA key of at
// least minIdPKeyBits or an ECDSA key.
func usableCert(cert *x509.Certificate) bool {
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		return pub.N.BitLen() >= minIdPKeyBits
	case *ecdsa.PublicKey:
		return true
	}
	return false
}

// checkSignature applies the algorithm rules to a Signature element before
// any cryptography: shape (SignedInfo, SignatureValue, at most one KeyInfo,
// no Object to hide content in), exclusive c14n, an allowed signature
// method, exactly one Reference whose URI is "#"+id, the enveloped transform
// plus one exclusive c14n and nothing else, an allowed digest.
func checkSignature(sig *etree.Element, id string) error {
	var signedInfo *etree.Element
	seen := map[string]int{}
	for _, c := range sig.ChildElements() {
		if c.NamespaceURI() != dsigNS {
			return fmt.Errorf("unexpected element %s in Signature", c.Tag)
		}
		seen[c.Tag]++
		switch c.Tag {
		case "SignedInfo":
			signedInfo = c
		case "SignatureValue", "KeyInfo":
		default:
			return fmt.Errorf("unexpected element %s in Signature", c.Tag)
		}
	}
	if seen["SignedInfo"] != 1 || seen["SignatureValue"] != 1 || seen["KeyInfo"] > 1 {
		return errors.New("malformed Signature")
	}
	c14n := childrenOf(signedInfo, dsigNS, "CanonicalizationMethod")
	if len(c14n) != 1 || !allowedC14N[c14n[0].SelectAttrValue("Algorithm", "")] {
		return errors.New("canonicalization method is not exclusive c14n")
	}
	method := childrenOf(signedInfo, dsigNS, "SignatureMethod")
	if len(method) != 1 || !allowedSignatureMethods[method[0].SelectAttrValue("Algorithm", "")] {
		return errors.New("signature method not allowed (SHA-1 is refused)")
	}
	refs := childrenOf(signedInfo, dsigNS, "Reference")
	if len(refs) != 1 {
		return fmt.Errorf("%d References, want exactly 1", len(refs))
	}
	ref := refs[0]
	if uri := ref.SelectAttrValue("URI", ""); uri != "#"+id {
		return fmt.Errorf("the Reference URI %q does not point to the signed element", uri)
	}
	digest := childrenOf(ref, dsigNS, "DigestMethod")
	if len(digest) != 1 || !allowedDigests[digest[0].SelectAttrValue("Algorithm", "")] {
		return errors.New("digest method not allowed (SHA-1 is refused)")
	}
	transforms := childrenOf(ref, dsigNS, "Transforms")
	if len(transforms) != 1 {
		return errors.New("the Reference has no Transforms")
	}
	enveloped, exc := 0, 0
	for _, t := range transforms[0].ChildElements() {
		alg := t.SelectAttrValue("Algorithm", "")
		if !is(t, dsigNS, "Transform") {
			return errors.New("malformed Transforms")
		}
		switch {
		case alg == string(dsig.EnvelopedSignatureAltorithmId) && len(t.ChildElements()) == 0:
			enveloped++
		case allowedC14N[alg] && onlyInclusiveNamespaces(t):
			exc++
		default:
			return fmt.Errorf("transform %q not allowed", clip(alg, 80))
		}
	}
	if enveloped != 1 || exc != 1 {
		return errors.New("transforms must be enveloped-signature and one exclusive c14n")
	}
	return nil
}

// onlyInclusiveNamespaces reports whether an exclusive c14n Transform has
// no child but, optionally, its one InclusiveNamespaces PrefixList.
func onlyInclusiveNamespaces(t *etree.Element) bool {
	kids := t.ChildElements()
	return len(kids) == 0 ||
		len(kids) == 1 && is(kids[0], string(dsig.CanonicalXML10ExclusiveAlgorithmId), "InclusiveNamespaces")
}

// maxQuery bounds the raw query string of an HTTP-Redirect message.
const maxQuery = 64 << 10

// splitQuery splits a raw query string into its still-encoded values, by
// decoded key. A repeated key is an error, so that the value whose
// signature is checked is the value that is used; a known SAML parameter
// must not be spelt with escapes, for the same reason.
func splitQuery(rawQuery string) (map[string]string, error) {
	if len(rawQuery) > maxQuery {
		return nil, fmt.Errorf("query longer than %d bytes", maxQuery)
	}
	out := map[string]string{}
	for part := range strings.SplitSeq(rawQuery, "&") {
		if part == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, fmt.Errorf("query key: %w", err)
		}
		switch key {
		case paramSAMLRequest, paramSAMLResponse, "RelayState", "SigAlg", "Signature":
			if rawKey != key {
				return nil, fmt.Errorf("query parameter %s is escaped", key)
			}
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("query parameter %q repeated", clip(key, 40))
		}
		out[key] = rawValue
	}
	return out, nil
}

// The two message parameters of the SAML bindings.
const (
	paramSAMLRequest  = "SAMLRequest"
	paramSAMLResponse = "SAMLResponse"
)

// verifyRedirect checks the signature of an HTTP-Redirect message (SAML
// bindings §3.4.4.1): over the bytes "param=v&RelayState=v&SigAlg=v" exactly
// as they appear in rawQuery, still URL-encoded (re-encoding could differ
// from the signer's), RelayState only when present. param is SAMLRequest or
// SAMLResponse. A missing Signature or SigAlg returns errUnsigned.
func verifyRedirect(rawQuery, param string, certs []*x509.Certificate) error {
	q, err := splitQuery(rawQuery)
	if err != nil {
		return err
	}
	msg, ok := q[param]
	if !ok || msg == "" {
		return fmt.Errorf("no %s in the query", param)
	}
	rawAlg, okAlg := q["SigAlg"]
	rawSig, okSig := q["Signature"]
	if !okAlg || !okSig || rawSig == "" {
		return errUnsigned
	}
	alg, err := url.QueryUnescape(rawAlg)
	if err != nil {
		return fmt.Errorf("query SigAlg: %w", err)
	}
	hash, ok := redirectSigAlgs[alg]
	if !ok {
		return fmt.Errorf("SigAlg %q not allowed (SHA-1 is refused)", clip(alg, 80))
	}
	sig64, err := url.QueryUnescape(rawSig)
	if err != nil {
		return fmt.Errorf("query Signature: %w", err)
	}
	sig, err := base64.StdEncoding.DecodeString(sig64)
	if err != nil {
		return fmt.Errorf("query Signature: %w", err)
	}
	signed := param + "=" + msg
	if rs, ok := q["RelayState"]; ok {
		signed += "&RelayState=" + rs
	}
	signed += "&SigAlg=" + rawAlg
	h := hash.New()
	h.Write([]byte(signed))
	digest := h.Sum(nil)
	ecdsaAlg := strings.Contains(alg, "ecdsa")
	for _, cert := range certs {
		if !usableCert(cert) {
			continue
		}
		switch pub := cert.PublicKey.(type) {
		case *rsa.PublicKey:
			if !ecdsaAlg && rsa.VerifyPKCS1v15(pub, hash, digest, sig) == nil {
				return nil
			}
		case *ecdsa.PublicKey:
			if ecdsaAlg && ecdsa.VerifyASN1(pub, digest, sig) {
				return nil
			}
		}
	}
	return errors.New("query signature does not verify with the IdP's certificates")
}

// inflate decompresses a raw DEFLATE (RFC 1951) stream, the HTTP-Redirect
// encoding, refusing output longer than max: a few hundred bytes of query
// can otherwise inflate to gigabytes (CVE-2023-28119 in crewjam/saml).
func inflate(b []byte, max int) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(b))
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	if len(out) > max {
		return nil, fmt.Errorf("inflated message longer than %d bytes", max)
	}
	return out, nil
}
