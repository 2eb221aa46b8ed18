package attachment

import (
	"bytes"
	"encoding/base64"
	"errors"
)

// A p7m is a CMS ContentInfo (RFC 5652) holding a SignedData:
//
//	ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }
//	SignedData ::= SEQUENCE { version INTEGER, digestAlgorithms SET,
//	    encapContentInfo SEQUENCE { eContentType OID, eContent [0] EXPLICIT OCTET STRING OPTIONAL },
//	    certificates [0] ..., crls [1] ..., signerInfos SET }
//
// The signed document is eContent, which comes before the certificates, so
// the first bytes of a file reach it. Signing tools write DER, or BER with
// indefinite lengths and the OCTET STRING in chunks; both are read here.

// oidSignedData is 1.2.840.113549.1.7.2, DER-encoded.
var oidSignedData = []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02}

var (
	errNotP7M   = errors.New("not a CMS SignedData")
	errTrunc    = errors.New("truncated")
	errDetached = errors.New("signature without content (detached)")
)

// maxNesting bounds the recursion into nested BER values, so that hostile
// input cannot exhaust the stack.
const maxNesting = 16

// tlv is one BER value: its tag byte, whether it is constructed, and its
// content; indefinite says the content ends with an end-of-contents pair
// and runs, as far as b allowed, to the end of content.
type tlv struct {
	tag        byte
	content    []byte
	indefinite bool
	// whole says content is complete, not cut short by the end of b.
	whole bool
	// next is what follows the value in b (only known when whole).
	next []byte
}

// readTLV reads the value at the start of b. A value longer than b is
// returned cut short with whole false, because a head holds only the start
// of a file.
func readTLV(b []byte) (tlv, error) {
	if len(b) < 2 {
		return tlv{}, errTrunc
	}
	t := tlv{tag: b[0]}
	if t.tag&0x1F == 0x1F {
		return tlv{}, errNotP7M // high tag numbers: not used by CMS
	}
	n, hdr := int(b[1]), 2
	switch {
	case n == 0x80:
		if t.tag&0x20 == 0 {
			return tlv{}, errNotP7M // indefinite length is for constructed values only
		}
		t.indefinite = true
		t.content = b[2:]
		return t, nil
	case n > 0x84:
		return tlv{}, errNotP7M
	case n > 0x80:
		k := n - 0x80
		if len(b) < 2+k {
			return tlv{}, errTrunc
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		if n < 0 || n > 1<<31 {
			return tlv{}, errNotP7M
		}
		hdr += k
	}
	if rest := b[hdr:]; n > len(rest) {
		t.content = rest
		return t, nil
	}
	t.content, t.whole, t.next = b[hdr:hdr+n], true, b[hdr+n:]
	return t, nil
}

// skip returns what follows the value at the start of b, walking the
// nested values of an indefinite one to find its end.
func skip(b []byte, depth int) ([]byte, error) {
	if depth > maxNesting {
		return nil, errNotP7M
	}
	t, err := readTLV(b)
	if err != nil {
		return nil, err
	}
	if !t.indefinite {
		if !t.whole {
			return nil, errTrunc
		}
		return t.next, nil
	}
	rest := t.content
	for {
		if len(rest) >= 2 && rest[0] == 0 && rest[1] == 0 {
			return rest[2:], nil
		}
		if rest, err = skip(rest, depth+1); err != nil {
			return nil, err
		}
	}
}

// enter returns the content of the value at the start of b if it has the
// given tag: for an indefinite value, everything after its header.
func enter(b []byte, tag byte) ([]byte, error) {
	t, err := readTLV(b)
	if err != nil {
		return nil, err
	}
	if t.tag != tag {
		return nil, errNotP7M
	}
	return t.content, nil
}

// isP7M reports whether b starts a CMS ContentInfo holding SignedData: the
// type is known from there even if the envelope cannot be opened.
func isP7M(b []byte) bool {
	_, err := signedData(b)
	return err == nil
}

// signedData returns the content of the SignedData of the p7m starting at
// b, after decoding Base64 if need be.
func signedData(b []byte) ([]byte, error) {
	if len(b) > 0 && b[0] != 0x30 {
		var ok bool
		if b, ok = decodeBase64Head(b); !ok {
			return nil, errNotP7M
		}
	}
	b, err := enter(b, 0x30) // ContentInfo
	if err != nil {
		return nil, err
	}
	oid, err := readTLV(b)
	if err != nil {
		return nil, err
	}
	if oid.tag != 0x06 || !oid.whole || !bytes.Equal(oid.content, oidSignedData) {
		return nil, errNotP7M
	}
	if b, err = enter(oid.next, 0xA0); err != nil {
		return nil, err
	}
	return enter(b, 0x30)
}

// unwrapP7M returns the first bytes of the document signed in the p7m whose
// start is b (as many as b holds), for sniffing. Base64 files, with or
// without PEM armour, are decoded first.
func unwrapP7M(b []byte) ([]byte, error) {
	b, err := signedData(b)
	if err != nil {
		return nil, err
	}
	for _, tag := range []byte{0x02, 0x31} { // version, digestAlgorithms
		if len(b) == 0 {
			return nil, errTrunc
		}
		if b[0] != tag {
			return nil, errNotP7M
		}
		if b, err = skip(b, 0); err != nil {
			return nil, err
		}
	}
	encap, err := readTLV(b)
	if err != nil {
		return nil, err
	}
	if b = encap.content; encap.tag != 0x30 || len(b) == 0 || b[0] != 0x06 {
		return nil, errNotP7M
	}
	if b, err = skip(b, 0); err != nil { // eContentType
		return nil, err
	}
	if len(b) == 0 {
		if encap.whole {
			return nil, errDetached
		}
		return nil, errTrunc
	}
	if b[0] != 0xA0 {
		return nil, errDetached // end of encapContentInfo: no eContent
	}
	if b, err = enter(b, 0xA0); err != nil {
		return nil, err
	}
	return octets(b, 0)
}

// octets returns the bytes of the OCTET STRING at the start of b: its
// content if primitive, the concatenation of its chunks if constructed, as
// far as b goes.
func octets(b []byte, depth int) ([]byte, error) {
	if depth > maxNesting {
		return nil, errNotP7M
	}
	t, err := readTLV(b)
	if err != nil {
		return nil, err
	}
	switch t.tag {
	case 0x04:
		return t.content, nil
	case 0x24:
	default:
		return nil, errNotP7M
	}
	var out []byte
	rest := t.content
	for len(rest) >= 2 && !(rest[0] == 0 && rest[1] == 0) {
		c, err := readTLV(rest)
		if err != nil {
			break // cut short by the end of the head: what we have will do
		}
		chunk, err := octets(rest, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, chunk...)
		if !c.whole || c.indefinite {
			break
		}
		rest = c.next
	}
	return out, nil
}

// decodeBase64Head decodes the start of a Base64 p7m, skipping PEM armour
// and line breaks, as far as whole groups of four characters go.
func decodeBase64Head(b []byte) ([]byte, bool) {
	if bytes.HasPrefix(b, []byte("-----BEGIN")) {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil, false
		}
		b = b[i+1:]
	}
	text := make([]byte, 0, len(b))
scan:
	for _, c := range b {
		switch c {
		case '\r', '\n', ' ', '\t':
		case '-':
			break scan // the END armour line
		default:
			text = append(text, c)
		}
	}
	if !bytes.HasPrefix(text, []byte("MI")) {
		return nil, false
	}
	text = text[:len(text)/4*4]
	out := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Decode(out, text)
	if err != nil {
		return nil, false
	}
	return out[:n], true
}
