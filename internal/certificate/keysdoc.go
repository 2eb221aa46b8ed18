package certificate

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// KeysPath is where an ente publishes its sealing keys, on its own host.
const KeysPath = "/.well-known/sportello-certificati.json"

// KeysDocument is the published form of an ente's keys: what `sportello
// verify` and any other verifier read to check certificates offline.
type KeysDocument struct {
	Ente  string         `json:"ente"`
	Istat string         `json:"istat"`
	Keys  []PublishedKey `json:"keys"`
}

// PublishedKey is one key: its id (the payload names it), the algorithm
// (ES256: ECDSA P-256 with SHA-256), the X.509 certificate in base64 DER.
type PublishedKey struct {
	ID          int64      `json:"id"`
	Algorithm   string     `json:"alg"`
	Certificate string     `json:"certificate"`
	Created     time.Time  `json:"created"`
	Retired     *time.Time `json:"retired,omitempty"`
}

// NewKeysDocument publishes keys.
func NewKeysDocument(e *tenant.Ente, keys []PublicKey) KeysDocument {
	doc := KeysDocument{Ente: e.Name, Istat: e.IstatCode, Keys: []PublishedKey{}}
	for _, k := range keys {
		pk := PublishedKey{ID: k.ID, Algorithm: "ES256", Certificate: base64.StdEncoding.EncodeToString(k.Certificate.Raw),
			Created: k.Created}
		if !k.Retired.IsZero() {
			r := k.Retired
			pk.Retired = &r
		}
		doc.Keys = append(doc.Keys, pk)
	}
	return doc
}

// ParseKeysDocument reads a published document back into keys.
func ParseKeysDocument(b []byte) (*KeysDocument, []PublicKey, error) {
	var doc KeysDocument
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, nil, fmt.Errorf("certificate: keys document: %w", err)
	}
	var out []PublicKey
	for _, k := range doc.Keys {
		der, err := base64.StdEncoding.DecodeString(k.Certificate)
		if err != nil {
			return nil, nil, fmt.Errorf("certificate: keys document: key %d: %w", k.ID, err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, nil, fmt.Errorf("certificate: keys document: key %d: %w", k.ID, err)
		}
		if _, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || k.Algorithm != "ES256" {
			return nil, nil, fmt.Errorf("certificate: keys document: key %d is not ES256", k.ID)
		}
		pk := PublicKey{ID: k.ID, Created: k.Created, Certificate: cert}
		if k.Retired != nil {
			pk.Retired = *k.Retired
		}
		out = append(out, pk)
	}
	return &doc, out, nil
}

// CheckPayload verifies a scanned contrassegno against the ente's keys:
// Invalid when it is not a payload, names another ente, or its seal does
// not verify.
func CheckPayload(ctx context.Context, q db.Querier, e *tenant.Ente, text string) (*Payload, error) {
	p, body, sig, err := ParsePayload(text)
	if err != nil || p.Istat != e.IstatCode {
		return nil, apperr.Errorf(apperr.Invalid, "certificate: not a contrassegno of ente %d", e.ID)
	}
	keys, err := Published(ctx, q, e.ID)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if pub, ok := k.Certificate.PublicKey.(*ecdsa.PublicKey); ok && k.ID == p.KeyID && checkSeal(body, sig, pub) {
			return p, nil
		}
	}
	return nil, apperr.Errorf(apperr.Invalid, "certificate: the contrassegno's seal does not verify")
}
