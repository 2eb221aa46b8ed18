package certificate

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"regexp"
	"slices"
	"strconv"

	"github.com/sportello/sportello/internal/calendar"
)

// Verification is what checking a file found. It names problems in words
// a citizen or an office reads (Italian, as the certificate), and the
// parts of a tampered file that changed.
type Verification struct {
	// Signed: the PAdES signature is intact and made with one of the
	// ente's keys; Sealed: the contrassegno's signature is valid too.
	Signed bool
	Sealed bool
	// Signer is the name in the signing certificate.
	Signer  string
	KeyID   int64
	Payload *Payload
	// Changed lists the parts of the file that differ from what was
	// signed: "testo della pagina 1", "metadati e contrassegno", …
	Changed []string
	// Appended is set when bytes were added after the signed revision
	// (an incremental update, as an editor saves a modified PDF).
	Appended bool
	// Problems explains, in order, why the file does not verify.
	Problems []string
}

// OK reports whether the file is exactly a certificate the ente issued.
func (v *Verification) OK() bool { return v.Signed && v.Sealed && len(v.Problems) == 0 }

// StatusOn is the offline status: valid or expired by the payload's
// dates; revocation needs the ente's database (Lookup).
func (v *Verification) StatusOn(today calendar.Date) Status {
	if !v.OK() {
		return StatusUnknown
	}
	if !v.Payload.ValidUntil.IsZero() && today.After(v.Payload.ValidUntil) {
		return StatusExpired
	}
	return StatusValid
}

// Verify checks a certificate's file against the ente's published keys,
// without any database: the PAdES signature over the whole file, each
// part's digest when the whole does not match, anything appended after
// the signature, and the sealed contrassegno.
func Verify(pdf []byte, keys []PublicKey) *Verification {
	v := &Verification{}
	problem := func(s string) { v.Problems = append(v.Problems, s) }
	sig, err := findSignature(pdf)
	if err != nil {
		problem("Il file non contiene una firma leggibile: non è un certificato originale o è stato modificato.")
		return v
	}
	cms, err := parseCMS(sig.contents)
	if err != nil {
		problem("La firma del file non è leggibile.")
		return v
	}
	v.Signer = cms.cert.Subject.CommonName
	var key *PublicKey
	for i := range keys {
		if bytes.Equal(keys[i].Certificate.Raw, cms.cert.Raw) {
			key = &keys[i]
		}
	}
	certHash := sha256.Sum256(cms.cert.Raw)
	pub, _ := cms.cert.PublicKey.(*ecdsa.PublicKey)
	attrsSum := sha256.Sum256(cms.signedAttrs)
	switch {
	case key == nil:
		problem("Il file è firmato con una chiave che non appartiene all'ente.")
	case pub == nil || !ecdsa.VerifyASN1(pub, attrsSum[:], cms.signature) || !bytes.Equal(cms.certHash, certHash[:]):
		problem("La firma del file non è valida.")
	default:
		v.KeyID = key.ID
	}
	br := sig.byteRange
	h := sha256.New()
	h.Write(pdf[br[0]:br[1]])
	h.Write(pdf[br[2] : br[2]+br[3]])
	intact := bytes.Equal(h.Sum(nil), cms.messageDigest)
	if !intact {
		v.Changed = changedParts(pdf, br, cms.objects)
		problem("Il contenuto firmato è stato modificato.")
	}
	if end := br[2] + br[3]; end < len(pdf) && len(bytes.TrimSpace(pdf[end:])) > 0 {
		v.Appended = true
		for _, n := range objectsIn(pdf[end:]) {
			v.Changed = appendOnce(v.Changed, objectPart(n))
		}
		problem("Dopo la firma sono state aggiunte modifiche al file.")
	}
	v.Signed = key != nil && v.KeyID != 0 && intact
	v.checkPayload(pdf, br, keys, problem)
	return v
}

// checkPayload reads the contrassegno from the signed Info dictionary and
// verifies its seal with the key it names.
func (v *Verification) checkPayload(pdf []byte, br [4]int, keys []PublicKey, problem func(string)) {
	signed := pdf[:br[2]+br[3]]
	m := payloadRE.FindAllSubmatch(signed, -1)
	if len(m) == 0 {
		problem("Il file non contiene il contrassegno.")
		return
	}
	p, body, sig, err := ParsePayload(string(m[len(m)-1][1]))
	if err != nil {
		problem("Il contrassegno del file non è leggibile.")
		return
	}
	v.Payload = p
	for _, k := range keys {
		pub, ok := k.Certificate.PublicKey.(*ecdsa.PublicKey)
		if k.ID == p.KeyID && ok && checkSeal(body, sig, pub) {
			v.Sealed = true
		}
	}
	if !v.Sealed {
		problem("Il sigillo del contrassegno non è valido.")
	}
	if v.Signed && v.Sealed && p.KeyID != v.KeyID {
		problem("Il contrassegno e la firma del file sono di chiavi diverse.")
	}
}

var (
	payloadRE = regexp.MustCompile(`/SportelloContrassegno \((SPC1\.[A-Za-z0-9._-]+)\)`)
	objectRE  = regexp.MustCompile(`(?m)^(\d+) 0 obj\b`)
)

// changedParts compares each object found in the signed ranges with the
// digest the signature recorded for it.
func changedParts(pdf []byte, br [4]int, want map[int][]byte) []string {
	var out []string
	seen := map[int]bool{}
	for _, r := range [][2]int{{br[0], br[1]}, {br[2], br[2] + br[3]}} {
		part := pdf[r[0]:r[1]]
		locs := objectRE.FindAllSubmatchIndex(part, -1)
		for _, loc := range locs {
			n, _ := strconv.Atoi(string(part[loc[2]:loc[3]]))
			if n == objSig {
				continue
			}
			end := bytes.Index(part[loc[0]:], []byte("\nendobj\n"))
			if end < 0 {
				continue
			}
			sum := sha256.Sum256(part[loc[0] : loc[0]+end+len("\nendobj\n")])
			seen[n] = true
			if w, ok := want[n]; !ok || !bytes.Equal(w, sum[:]) {
				out = appendOnce(out, objectPart(n))
			}
		}
	}
	missing := []int{}
	for n := range want {
		if !seen[n] {
			missing = append(missing, n)
		}
	}
	slices.Sort(missing)
	for _, n := range missing {
		out = appendOnce(out, objectPart(n))
	}
	if len(out) == 0 {
		out = append(out, "struttura del file (tabella dei riferimenti)")
	}
	return out
}

// objectsIn lists the objects an appended revision defines.
func objectsIn(b []byte) []int {
	var out []int
	for _, m := range objectRE.FindAllSubmatch(b, -1) {
		n, _ := strconv.Atoi(string(m[1]))
		out = append(out, n)
	}
	return out
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
