package certificate

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/calendar"
)

// Payload is what the QR contrassegno carries, signed by the ente: enough
// to check a paper copy against its original without the database (AgID
// Circ. 62/2013) — who issued it, which certificate, for whom, when, until
// when, and a digest of the data it prints.
type Payload struct {
	Istat  string // the ente's ISTAT code
	Code   string // the verification code
	Issued calendar.Date
	// ValidUntil is zero for unlimited validity.
	ValidUntil calendar.Date
	Kinds      Kinds
	FiscalCode string
	// DataDigest is the first 16 bytes of the SHA-256 of the printed data
	// (the certificate's text, see dataText).
	DataDigest [16]byte
	KeyID      int64
}

// payloadVersion heads every payload, so that the format can change.
const payloadVersion = "SPC1"

// body is the signed part: fields separated by dots, all URL-safe.
func (p *Payload) body() string {
	until := "0"
	if !p.ValidUntil.IsZero() {
		until = compactDate(p.ValidUntil)
	}
	return strings.Join([]string{payloadVersion, p.Istat, strings.ReplaceAll(p.Code, "-", ""), compactDate(p.Issued),
		until, strings.ReplaceAll(p.Kinds.String(), "+", "-"), p.FiscalCode,
		base64.RawURLEncoding.EncodeToString(p.DataDigest[:]), strconv.FormatInt(p.KeyID, 10)}, ".")
}

func compactDate(d calendar.Date) string { return fmt.Sprintf("%04d%02d%02d", d.Year, d.Month, d.Day) }

// Seal signs the payload and returns its text: body.signature, the
// signature being P-256 r‖s in base64url (64 bytes, 86 characters).
func (p *Payload) Seal(key *ecdsa.PrivateKey) (string, error) {
	body := p.body()
	sum := sha256.Sum256([]byte(body))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		return "", fmt.Errorf("certificate: seal the payload: %w", err)
	}
	var raw [64]byte
	r.FillBytes(raw[:32])
	s.FillBytes(raw[32:])
	return body + "." + base64.RawURLEncoding.EncodeToString(raw[:]), nil
}

// ErrPayload is returned for text that is not a payload at all.
var ErrPayload = errors.New("certificate: not a contrassegno")

// ParsePayload reads a payload without checking its signature; Check does.
func ParsePayload(s string) (*Payload, string, []byte, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 10 || parts[0] != payloadVersion {
		return nil, "", nil, ErrPayload
	}
	p := &Payload{Istat: parts[1], FiscalCode: parts[6]}
	if len(parts[2]) != codeLen {
		return nil, "", nil, ErrPayload
	}
	p.Code = FormatCode(parts[2])
	var err error
	if p.Issued, err = parseCompactDate(parts[3]); err != nil {
		return nil, "", nil, ErrPayload
	}
	if parts[4] != "0" {
		if p.ValidUntil, err = parseCompactDate(parts[4]); err != nil {
			return nil, "", nil, ErrPayload
		}
	}
	if p.Kinds, err = ParseKinds(strings.ReplaceAll(parts[5], "-", "+")); err != nil {
		return nil, "", nil, ErrPayload
	}
	d, err := base64.RawURLEncoding.DecodeString(parts[7])
	if err != nil || len(d) != 16 {
		return nil, "", nil, ErrPayload
	}
	copy(p.DataDigest[:], d)
	if p.KeyID, err = strconv.ParseInt(parts[8], 10, 64); err != nil {
		return nil, "", nil, ErrPayload
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[9])
	if err != nil || len(sig) != 64 {
		return nil, "", nil, ErrPayload
	}
	return p, strings.Join(parts[:9], "."), sig, nil
}

// checkSeal verifies a payload's signature with a public key.
func checkSeal(body string, sig []byte, pub *ecdsa.PublicKey) bool {
	sum := sha256.Sum256([]byte(body))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	return ecdsa.Verify(pub, sum[:], r, s)
}

func parseCompactDate(s string) (calendar.Date, error) {
	if len(s) != 8 {
		return calendar.Date{}, ErrPayload
	}
	return calendar.ParseDate(s[:4] + "-" + s[4:6] + "-" + s[6:])
}

// Verification codes: 16 characters of Crockford's base32 (80 random
// bits), printed in groups of four.
const (
	codeLen      = 16
	codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

// newCode draws a verification code.
func newCode() (string, error) {
	var b [codeLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = codeAlphabet[b[i]&31]
	}
	return FormatCode(string(b[:])), nil
}

// FormatCode groups a code as XXXX-XXXX-XXXX-XXXX.
func FormatCode(s string) string {
	if len(s) != codeLen {
		return s
	}
	return s[:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:]
}

// NormalizeCode reads a code as typed: case, spaces and dashes ignored,
// and the letters Crockford's alphabet confuses (I, L → 1; O → 0)
// mapped; ok is false when it cannot be a code.
func NormalizeCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '-':
			continue
		case r == 'I' || r == 'L':
			r = '1'
		case r == 'O':
			r = '0'
		}
		if !strings.ContainsRune(codeAlphabet, r) {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != codeLen {
		return "", false
	}
	return FormatCode(b.String()), true
}
