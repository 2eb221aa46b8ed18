package certificate

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// The signature is a CAdES detached CMS SignedData in the /Contents of the
// PDF's signature dictionary (PAdES baseline B-B, ETSI EN 319 142-1): the
// signed attributes are the content type, the message digest of the
// signed byte ranges and the signing certificate (ESS v2), plus one of our
// own listing a SHA-256 per PDF object, which lets a verifier name the
// parts of a tampered file that changed. The signing time travels in the
// dictionary's /M, as PAdES wants.

var (
	oidData               = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidContentType        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningCertificate = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidSHA256             = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidECDSAWithSHA256    = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	// oidObjectDigests is Sportello's attribute (a UUID OID, ITU-T X.667):
	// SEQUENCE OF SEQUENCE { INTEGER object, OCTET STRING sha256 }.
	oidObjectDigests = mustOID("2.25.216907839428463718350145279342171659377")
)

func mustOID(s string) asn1.ObjectIdentifier {
	n, ok := new(big.Int).SetString(s[len("2.25."):], 10)
	if !ok {
		panic("certificate: bad OID " + s)
	}
	// encoding/asn1 holds arcs in ints; a UUID arc does not fit, so the
	// OID is kept as its DER instead (see oidDER).
	oidBig = n
	return asn1.ObjectIdentifier{2, 25}
}

// oidBig is the UUID arc of oidObjectDigests.
var oidBig *big.Int

// addOID writes an OID, including one with the big UUID arc.
func addOID(b *cryptobyte.Builder, oid asn1.ObjectIdentifier) {
	if !slices.Equal(oid, oidObjectDigests) {
		b.AddASN1ObjectIdentifier(oid)
		return
	}
	b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(objectDigestsOIDBody()) })
}

// objectDigestsOIDBody is the content octets of 2.25.<uuid>: the first
// two arcs in one (2*40+25), then the big arc in base 128.
func objectDigestsOIDBody() []byte {
	var out []byte
	// X.690 8.19.4: with first arc 2 the first subidentifier is 80 + the second arc.
	n := new(big.Int).Add(oidBig, big.NewInt(80))
	var groups []byte
	for n.Sign() > 0 {
		groups = append(groups, byte(new(big.Int).And(n, big.NewInt(0x7f)).Int64()))
		n.Rsh(n, 7)
	}
	for i := len(groups) - 1; i >= 0; i-- {
		c := groups[i]
		if i > 0 {
			c |= 0x80
		}
		out = append(out, c)
	}
	return out
}

// isObjectDigestsOID reports whether an OID's content octets are ours.
func isObjectDigestsOID(body []byte) bool { return bytes.Equal(body, objectDigestsOIDBody()) }

// sign fills in the ByteRange, signs the ranges and writes the CMS into
// /Contents; it returns the signed PDF.
func (a *assembled) sign(key *ecdsa.PrivateKey, cert *x509.Certificate) ([]byte, error) {
	pdf := a.pdf
	end := a.contents + 2 + 2*a.sigRoom
	br := fmt.Sprintf("[0 %010d %010d %010d]", a.contents, end, len(pdf)-end)
	copy(pdf[a.byteRange:], br)
	h := sha256.New()
	h.Write(pdf[:a.contents])
	h.Write(pdf[end:])
	digest := h.Sum(nil)
	cms, err := buildCMS(digest, a.objectDigests(), key, cert)
	if err != nil {
		return nil, err
	}
	if len(cms) > a.sigRoom {
		return nil, fmt.Errorf("certificate: signature of %d bytes does not fit %d", len(cms), a.sigRoom)
	}
	hex.Encode(pdf[a.contents+1:], cms)
	return pdf, nil
}

// objectDigests is the SHA-256 of every object but the signature's own.
func (a *assembled) objectDigests() []objectDigest {
	out := make([]objectDigest, 0, len(a.objects))
	for n, span := range a.objects {
		if n == objSig {
			continue
		}
		sum := sha256.Sum256(a.pdf[span[0]:span[1]])
		out = append(out, objectDigest{n, sum[:]})
	}
	slices.SortFunc(out, func(x, y objectDigest) int { return x.object - y.object })
	return out
}

type objectDigest struct {
	object int
	sum    []byte
}

// buildCMS makes the SignedData.
func buildCMS(digest []byte, objs []objectDigest, key *ecdsa.PrivateKey, cert *x509.Certificate) ([]byte, error) {
	certHash := sha256.Sum256(cert.Raw)
	attr := func(oid asn1.ObjectIdentifier, value func(*cryptobyte.Builder)) []byte {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			addOID(b, oid)
			b.AddASN1(cbasn1.SET, value)
		})
		return b.BytesOrPanic()
	}
	attrs := [][]byte{
		attr(oidContentType, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) }),
		attr(oidMessageDigest, func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest) }),
		attr(oidSigningCertificate, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SigningCertificateV2
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // certs
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ESSCertIDv2, SHA-256 by default
						b.AddASN1OctetString(certHash[:])
					})
				})
			})
		}),
		attr(oidObjectDigests, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, o := range objs {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(int64(o.object))
						b.AddASN1OctetString(o.sum)
					})
				}
			})
		}),
	}
	// DER sorts a SET OF by encoding.
	slices.SortFunc(attrs, bytes.Compare)
	var set cryptobyte.Builder
	set.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
		for _, a := range attrs {
			b.AddBytes(a)
		}
	})
	signedAttrs := set.BytesOrPanic()
	sum := sha256.Sum256(signedAttrs)
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		return nil, fmt.Errorf("certificate: sign: %w", err)
	}
	algSHA256 := func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oidSHA256)
			b.AddASN1NULL()
		})
	}
	var out cryptobyte.Builder
	out.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ContentInfo
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignedData
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, algSHA256)
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) })
				b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) { b.AddBytes(cert.Raw) })
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignerInfo
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // IssuerAndSerialNumber
							b.AddBytes(cert.RawIssuer)
							b.AddASN1BigInt(cert.SerialNumber)
						})
						algSHA256(b)
						// The signed attributes again, tagged [0] IMPLICIT.
						b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
							for _, a := range attrs {
								b.AddBytes(a)
							}
						})
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidECDSAWithSHA256) })
						b.AddASN1OctetString(sig)
					})
				})
			})
		})
	})
	return out.Bytes()
}

// signedCMS is what a verifier reads from the CMS.
type signedCMS struct {
	cert          *x509.Certificate
	signedAttrs   []byte // re-tagged as a SET, the bytes that were signed
	signature     []byte
	messageDigest []byte
	certHash      []byte
	objects       map[int][]byte
}

var errCMS = errors.New("the signature is not a CMS SignedData this verifier understands")

// parseCMS reads a SignedData with one signer; trailing zero padding of
// /Contents is ignored.
func parseCMS(der []byte) (*signedCMS, error) {
	in := cryptobyte.String(der)
	var ci, sd, certs, signers, si cryptobyte.String
	var oid asn1.ObjectIdentifier
	var version int64
	if !in.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&oid) || !oid.Equal(oidSignedData) ||
		!ci.ReadASN1(&ci, cbasn1.Tag(0).ContextSpecific().Constructed()) || !ci.ReadASN1(&sd, cbasn1.SEQUENCE) ||
		!sd.ReadASN1Integer(&version) || !sd.SkipASN1(cbasn1.SET) || !sd.SkipASN1(cbasn1.SEQUENCE) ||
		!sd.ReadASN1(&certs, cbasn1.Tag(0).ContextSpecific().Constructed()) || !sd.ReadASN1(&signers, cbasn1.SET) ||
		!signers.ReadASN1(&si, cbasn1.SEQUENCE) {
		return nil, errCMS
	}
	var certDER cryptobyte.String
	if !certs.ReadASN1Element(&certDER, cbasn1.SEQUENCE) {
		return nil, errCMS
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errCMS, err)
	}
	out := &signedCMS{cert: cert, objects: map[int][]byte{}}
	var attrs cryptobyte.String
	var sigAlg cryptobyte.String
	var sig []byte
	if !si.ReadASN1Integer(&version) || !si.SkipASN1(cbasn1.SEQUENCE) || !si.SkipASN1(cbasn1.SEQUENCE) ||
		!si.ReadASN1(&attrs, cbasn1.Tag(0).ContextSpecific().Constructed()) ||
		!si.ReadASN1(&sigAlg, cbasn1.SEQUENCE) || !sigAlg.ReadASN1ObjectIdentifier(&oid) ||
		!oid.Equal(oidECDSAWithSHA256) || !si.ReadASN1Bytes(&sig, cbasn1.OCTET_STRING) {
		return nil, errCMS
	}
	out.signature = sig
	var set cryptobyte.Builder
	set.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(attrs) })
	out.signedAttrs = set.BytesOrPanic()
	for !attrs.Empty() {
		var a, values, oidBytes cryptobyte.String
		if !attrs.ReadASN1(&a, cbasn1.SEQUENCE) || !a.ReadASN1(&oidBytes, cbasn1.OBJECT_IDENTIFIER) ||
			!a.ReadASN1(&values, cbasn1.SET) {
			return nil, errCMS
		}
		switch {
		case isObjectDigestsOID(oidBytes):
			var list cryptobyte.String
			if !values.ReadASN1(&list, cbasn1.SEQUENCE) {
				return nil, errCMS
			}
			for !list.Empty() {
				var item cryptobyte.String
				var n int64
				var sum []byte
				if !list.ReadASN1(&item, cbasn1.SEQUENCE) || !item.ReadASN1Integer(&n) ||
					!item.ReadASN1Bytes(&sum, cbasn1.OCTET_STRING) {
					return nil, errCMS
				}
				out.objects[int(n)] = sum
			}
		default:
			var id asn1.ObjectIdentifier
			full := cryptobyte.String(append([]byte{0x06, byte(len(oidBytes))}, oidBytes...))
			if len(oidBytes) > 127 || !full.ReadASN1ObjectIdentifier(&id) {
				continue
			}
			switch {
			case id.Equal(oidMessageDigest):
				values.ReadASN1Bytes(&out.messageDigest, cbasn1.OCTET_STRING)
			case id.Equal(oidSigningCertificate):
				var v2, certsSeq, essID cryptobyte.String
				if values.ReadASN1(&v2, cbasn1.SEQUENCE) && v2.ReadASN1(&certsSeq, cbasn1.SEQUENCE) &&
					certsSeq.ReadASN1(&essID, cbasn1.SEQUENCE) {
					essID.SkipOptionalASN1(cbasn1.SEQUENCE)
					essID.ReadASN1Bytes(&out.certHash, cbasn1.OCTET_STRING)
				}
			}
		}
	}
	if out.messageDigest == nil {
		return nil, fmt.Errorf("%w: no message digest", errCMS)
	}
	return out, nil
}

// signatureField is what the PDF's last signature dictionary says.
type signatureField struct {
	byteRange [4]int
	contents  []byte
}

// findSignature locates the last /ByteRange and its /Contents.
func findSignature(pdf []byte) (*signatureField, error) {
	i := bytes.LastIndex(pdf, []byte("/ByteRange"))
	if i < 0 {
		return nil, errors.New("the file has no signature")
	}
	rest := pdf[i+len("/ByteRange"):]
	open, close := bytes.IndexByte(rest, '['), bytes.IndexByte(rest, ']')
	if open < 0 || close < open {
		return nil, errors.New("the signature's byte range is malformed")
	}
	f := bytes.Fields(rest[open+1 : close])
	if len(f) != 4 {
		return nil, errors.New("the signature's byte range is malformed")
	}
	s := &signatureField{}
	for k, v := range f {
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 0 || n > len(pdf) {
			return nil, errors.New("the signature's byte range is malformed")
		}
		s.byteRange[k] = n
	}
	br := s.byteRange
	if br[0] != 0 || br[1] >= br[2] || br[2]+br[3] > len(pdf) || pdf[br[1]] != '<' || pdf[br[2]-1] != '>' {
		return nil, errors.New("the signature's byte range does not frame its contents")
	}
	raw := pdf[br[1]+1 : br[2]-1]
	all := make([]byte, hex.DecodedLen(len(raw)))
	if _, err := hex.Decode(all, raw); err != nil {
		return nil, errors.New("the signature's contents are not hexadecimal")
	}
	// The hex string is padded with zeros: keep the DER element only.
	in := cryptobyte.String(all)
	var elem cryptobyte.String
	if !in.ReadASN1Element(&elem, cbasn1.SEQUENCE) {
		return nil, errCMS
	}
	s.contents = elem
	return s, nil
}
