package spid

// XML signature wrapping and other attacks on the signature: the eight
// classic XSW variants (Somorovsky et al., "On Breaking SAML", 2012, as
// spid-sp-test's response_wraps.py builds them), two-assertion responses,
// the re-signed Response crewjam/saml accepts, foreign and embedded keys,
// forbidden algorithms and transforms, and the 2018 comment-truncation
// attack. Each attack starts from a response the IdP really signed and
// rearranges it afterwards; the "evil" content always carries another
// fiscal code, and no row may ever yield it.

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"
	dsig "github.com/russellhaering/goxmldsig"
)

const inEvilCF = "RSSMRA80A01H501U"

// inFiscal sets the fiscalNumber value inside assertion a.
func inFiscal(a *etree.Element, cf string) {
	for _, at := range a.FindElements(".//Attribute") {
		if at.SelectAttrValue("Name", "") == "fiscalNumber" {
			at.ChildElements()[0].SetText("TINIT-" + cf)
		}
	}
}

// inEvilCopy returns a copy of assertion a without its Signature, with a
// new ID and the attacker's fiscal code.
func inEvilCopy(a *etree.Element) *etree.Element {
	evil := a.Copy()
	if s := inSignature(evil); s != nil {
		evil.RemoveChild(s)
	}
	evil.CreateAttr("ID", inNewID("evil"))
	inFiscal(evil, inEvilCF)
	return evil
}

// inAt inserts el into parent right after the child named tag (Issuer,
// usually), or first.
func inAt(parent *etree.Element, tag string, el *etree.Element) {
	at := 0
	for _, c := range parent.ChildElements() {
		if c.Tag == tag {
			at = c.Index() + 1
			break
		}
	}
	parent.InsertChildAt(at, el)
}

func TestSignatureWrapping(t *testing.T) {
	k := inKeys(t)
	type row struct {
		name string
		opts []func(*inBuild)
		want inVerdict
		// fiscal is the fiscal code an accepted response must carry.
		fiscal, nameID string
	}
	rows := []row{
		{name: "XSW1: signed Response moved into its own Signature, evil Response outside", want: inKO("response.assertions"),
			opts: mOne(inSignedResponse, inAfter(func(r *inResp) {
				orig := r.Response.Copy()
				orig.RemoveChild(inSignature(orig))
				inSignature(r.Response).AddChild(orig)
				r.Response.CreateAttr("ID", inNewID("evilresp"))
				r.Assertion.RemoveChild(inSignature(r.Assertion))
				r.Assertion.CreateAttr("ID", inNewID("evil"))
				inFiscal(r.Assertion, inEvilCF)
			}))},
		{name: "XSW2: signed Response as a sibling before the Signature, evil Response outside", want: inKO("response.assertions"),
			opts: mOne(inSignedResponse, inAfter(func(r *inResp) {
				orig := r.Response.Copy()
				orig.RemoveChild(inSignature(orig))
				inAt(r.Response, "Issuer", orig)
				r.Response.CreateAttr("ID", inNewID("evilresp"))
				r.Assertion.RemoveChild(inSignature(r.Assertion))
				r.Assertion.CreateAttr("ID", inNewID("evil"))
				inFiscal(r.Assertion, inEvilCF)
			}))},
		{name: "XSW3: evil Assertion before the signed one", want: inKO("response.assertions"),
			opts: mOne(inAfter(func(r *inResp) {
				r.Response.InsertChildAt(r.Assertion.Index(), inEvilCopy(r.Assertion))
			}))},
		{name: "XSW4: evil Assertion wrapping the signed one", want: inKO("response.assertions"),
			opts: mOne(inAfter(func(r *inResp) {
				evil := inEvilCopy(r.Assertion)
				r.Response.InsertChildAt(r.Assertion.Index(), evil)
				r.Response.RemoveChild(r.Assertion)
				evil.AddChild(r.Assertion)
			}))},
		{name: "XSW5: evil Assertion keeps the Signature, signed content moved to the end", want: inKO("response.assertions"),
			opts: mOne(inAfter(func(r *inResp) {
				orig := r.Assertion.Copy()
				orig.RemoveChild(inSignature(orig))
				r.Assertion.CreateAttr("ID", inNewID("evil"))
				inFiscal(r.Assertion, inEvilCF)
				r.Response.AddChild(orig)
			}))},
		{name: "XSW6: evil Assertion keeps the Signature, signed content inside it", want: inKO("response.assertions"),
			opts: mOne(inAfter(func(r *inResp) {
				orig := r.Assertion.Copy()
				orig.RemoveChild(inSignature(orig))
				r.Assertion.CreateAttr("ID", inNewID("evil"))
				inFiscal(r.Assertion, inEvilCF)
				inSignature(r.Assertion).AddChild(orig)
			}))},
		{name: "XSW7: evil Assertion in the Response's Extensions", want: inKO("response.assertions"),
			opts: mOne(inAfter(func(r *inResp) {
				ext := etree.NewElement("samlp:Extensions")
				ext.AddChild(inEvilCopy(r.Assertion))
				inAt(r.Response, "Issuer", ext)
			}))},
		{name: "XSW8: signed content in a ds:Object of the evil Assertion's Signature", want: inKO("response.assertions"),
			opts: mOne(inAfter(func(r *inResp) {
				orig := r.Assertion.Copy()
				orig.RemoveChild(inSignature(orig))
				r.Assertion.CreateAttr("ID", inNewID("evil"))
				inFiscal(r.Assertion, inEvilCF)
				obj := inSignature(r.Assertion).CreateElement("ds:Object")
				obj.AddChild(orig)
			}))},
		{name: "evil Assertion reusing the signed one's ID", want: inKO("xml"),
			opts: mOne(inAfter(func(r *inResp) {
				evil := inEvilCopy(r.Assertion)
				evil.CreateAttr("ID", r.Assertion.SelectAttrValue("ID", ""))
				r.Response.InsertChildAt(r.Assertion.Index(), evil)
			}))},
		{name: "one Assertion carrying the Signature of another (Reference to the old ID)", want: inKO("assertion.signature"),
			opts: mOne(inAfter(func(r *inResp) {
				r.Assertion.CreateAttr("ID", inNewID("evil"))
				inFiscal(r.Assertion, inEvilCF)
			}))},
		{name: "signed Assertion altered in place", want: inKO("assertion.signature"),
			opts: mOne(inAfter(func(r *inResp) { inFiscal(r.Assertion, inEvilCF) }))},
		{name: "look-alike Assertion in a made-up namespace", want: inKO("response.assertions"),
			opts: mOne(inAfter(func(r *inResp) {
				evil := inEvilCopy(r.Assertion)
				evil.Space = "evil"
				evil.CreateAttr("xmlns:evil", "urn:evil")
				r.Response.InsertChildAt(r.Assertion.Index(), evil)
			}))},
		{name: "two Assertions, signed first", want: inKO("response.assertions"),
			opts: mOne(inAfter(func(r *inResp) { r.Response.AddChild(inEvilCopy(r.Assertion)) }))},
		{name: "two Assertions, unsigned first", want: inKO("response.assertions"),
			opts: mOne(inAfter(func(r *inResp) {
				r.Response.InsertChildAt(r.Assertion.Index(), inEvilCopy(r.Assertion))
			}))},
		{name: "two Assertions, both signed", want: inKO("response.assertions"),
			opts: mOne(inAfter(func(r *inResp) {
				other := inNewResp(&inBuild{level: L2, attrs: inDefaultAttrs}).Assertion
				inSign(t, other, k.idp, nil)
				r.Response.AddChild(other)
			}))},
		{name: "Response re-signed after stripping the Assertion's Signature (crewjam accepts it)",
			want: inKO("assertion.signature"),
			opts: mOne(inAfter(func(r *inResp) {
				r.Assertion.RemoveChild(inSignature(r.Assertion))
				inFiscal(r.Assertion, inEvilCF)
				inSign(t, r.Response, k.idp, nil)
			}))},
		{name: "validly signed Response around an altered signed Assertion (validator 113, CVE-2025-24894)",
			want: inKO("assertion.signature"),
			opts: mOne(inAfter(func(r *inResp) {
				inFiscal(r.Assertion, inEvilCF)
				inSign(t, r.Response, k.idp, nil)
			}))},
		{name: "Response Signature referencing the Assertion", want: inKO("response.signature"),
			opts: mOne(inSignedResponse, inAfter(func(r *inResp) {
				ref := inSignature(r.Response).FindElement(".//Reference")
				ref.CreateAttr("URI", "#"+r.Assertion.SelectAttrValue("ID", ""))
			}))},
		{name: "Assertion's Signature pointing to the Response (a nested reference)", want: inKO("response.signature"),
			opts: mOne(inSignedResponse, inAfter(func(r *inResp) {
				ref := inSignature(r.Assertion).FindElement(".//Reference")
				ref.CreateAttr("URI", "#"+r.Response.SelectAttrValue("ID", ""))
			}))},
		{name: "Assertion's Signature pointing to the whole document", want: inKO("response.signature"),
			opts: mOne(inSignedResponse, inAfter(func(r *inResp) {
				inSignature(r.Assertion).FindElement(".//Reference").CreateAttr("URI", "")
			}))},
		{name: "Signature placed in the Subject", want: inKO("response.signatures"),
			opts: mOne(inAfter(func(r *inResp) {
				s := inSignature(r.Assertion)
				r.Assertion.RemoveChild(s)
				r.Subject.AddChild(s)
			}))},
		{name: "two Signatures on the Assertion", want: inKO("assertion.signature"),
			opts: mOne(inAfter(func(r *inResp) { inAt(r.Assertion, "Issuer", inSignature(r.Assertion).Copy()) }))},
		{name: "signed by an attacker's key, KeyInfo with the attacker's certificate", want: inKO("assertion.signature"),
			opts: mOne(inAssertionSigner(k.evil))},
		{name: "signed by the IdP, KeyInfo swapped for the attacker's certificate (KeyInfo is ignored)", want: inOK,
			opts: mOne(inAfter(func(r *inResp) {
				c := inSignature(r.Assertion).FindElement(".//X509Certificate")
				c.SetText(base64.StdEncoding.EncodeToString(k.evil.cert.Raw))
			}))},
		{name: "signed by the IdP, no KeyInfo", want: inOK,
			opts: mOne(inAfter(func(r *inResp) {
				s := inSignature(r.Assertion)
				s.RemoveChild(s.SelectElement("KeyInfo"))
			}))},
		{name: "signed with the IdP's second certificate (rotation)", want: inOK,
			opts: mOne(inAssertionSigner(k.idpNext))},
		{name: "RSA-SHA1 signature and SHA-1 digest", want: inKO("assertion.signature"),
			opts: mOne(func(b *inBuild) { b.sha1 = true })},
		{name: "SHA-1 digest under an RSA-SHA256 signature", want: inKO("assertion.signature"),
			opts: mOne(inAfter(func(r *inResp) {
				inSignature(r.Assertion).FindElement(".//DigestMethod").CreateAttr("Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1")
			}))},
		{name: "XSLT transform (spid-sp-test xslt)", want: inKO("assertion.signature"),
			opts: mOne(inAfter(func(r *inResp) {
				tr := inSignature(r.Assertion).FindElement(".//Transforms")
				x := etree.NewElement("ds:Transform")
				x.CreateAttr("Algorithm", "http://www.w3.org/TR/1999/REC-xslt-19991116")
				ss := x.CreateElement("xsl:stylesheet")
				ss.CreateAttr("xmlns:xsl", "http://www.w3.org/1999/XSL/Transform")
				tr.InsertChildAt(0, x)
			}))},
		{name: "XPath transform", want: inKO("assertion.signature"),
			opts: mOne(inAfter(func(r *inResp) {
				tr := inSignature(r.Assertion).FindElement(".//Transforms")
				x := tr.CreateElement("ds:Transform")
				x.CreateAttr("Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116")
				x.CreateElement("ds:XPath").SetText("not(ancestor-or-self::saml:AttributeStatement)")
			}))},
		{name: "inclusive c14n instead of exclusive", want: inKO("assertion.signature"),
			opts: mOne(inAfter(func(r *inResp) {
				for _, tr := range inSignature(r.Assertion).FindElements(".//Transform") {
					if tr.SelectAttrValue("Algorithm", "") == string(dsig.CanonicalXML10ExclusiveAlgorithmId) {
						tr.CreateAttr("Algorithm", string(dsig.CanonicalXML11AlgorithmId))
					}
				}
			}))},
		{name: "ds:Object in the Signature", want: inKO("assertion.signature"),
			opts: mOne(inAfter(func(r *inResp) { inSignature(r.Assertion).CreateElement("ds:Object").SetText("x") }))},
		{name: "comment inside the signed fiscalNumber (exclusive c14n drops it)", want: inOK, fiscal: inCF,
			opts: mOne(inAfter(func(r *inResp) { inSplitText(r, "fiscalNumber", 12) }))},
		{name: "comment inside the signed NameID (read whole, not truncated)", want: inOK, nameID: "_victim.evil.example",
			opts: mOne(inBefore(func(r *inResp) { r.NameID.SetText("_victim.evil.example") }),
				inAfter(func(r *inResp) { inSplit(r.NameID, 7) }))},
		{name: "comment added after signing with c14n WithComments", want: inKO("assertion.signature"),
			opts: mOne(inWithComments, inAfter(func(r *inResp) { inSplitText(r, "fiscalNumber", 12) }))},
		{name: "comment signed with c14n WithComments (value read whole)", want: inOK, fiscal: inCF,
			opts: mOne(inWithComments, inBefore(func(r *inResp) { inSplitText(r, "fiscalNumber", 12) }))},
	}
	sp, idp := inSP(), inIdP(t)
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sp.ParseResponse(inResponse(t, tc.opts...), inPending(), idp, inNow)
			if diff := cmp.Diff(tc.want, inVerdictOf(err)); diff != "" {
				t.Fatalf("verdict mismatch (-want +got):\n%s\nerror: %v", diff, err)
			}
			if err != nil {
				return
			}
			if got.FiscalCode == inEvilCF || strings.Contains(got.Attributes["fiscalNumber"], inEvilCF) {
				t.Fatalf("accepted the attacker's fiscal code: %+v", got)
			}
			if tc.fiscal != "" && got.FiscalCode != tc.fiscal {
				t.Errorf("FiscalCode = %q, want %q", got.FiscalCode, tc.fiscal)
			}
			if tc.nameID != "" && got.NameID != tc.nameID {
				t.Errorf("NameID = %q, want %q", got.NameID, tc.nameID)
			}
		})
	}
}

// inSplitText puts an empty comment at offset at inside attribute name's
// value: "TINIT-GDASDV<!---->00A01H501J".
func inSplitText(r *inResp, name string, at int) {
	for _, a := range r.AttributeStatement.ChildElements() {
		if a.SelectAttrValue("Name", "") == name {
			inSplit(a.ChildElements()[0], at)
		}
	}
}

// inSplit replaces el's text with two pieces around a comment.
func inSplit(el *etree.Element, at int) {
	v := el.Text()
	inEmpty(el)
	el.CreateText(v[:at])
	el.CreateComment("")
	el.CreateText(v[at:])
}
