// Package webauthntest is a software security key for tests: it answers the
// options of navigator.credentials.create() and get() as a browser with a
// USB key would, with "none" attestation and ECDSA P-256 (ES256) keys, so
// that the WebAuthn ceremonies can be tested end to end without a browser
// or a device. Production code never imports it.
package webauthntest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// Flags of the authenticator data (WebAuthn §6.1).
const (
	flagUserPresent  = 0x01
	flagUserVerified = 0x04
	flagAttested     = 0x40
)

// Authenticator holds the credentials it created, like a security key.
type Authenticator struct {
	// Origin is what the "browser" reports as the page's origin.
	Origin string
	// UserVerified sets the UV flag, as after a PIN or a fingerprint.
	UserVerified bool
	// NoCounter makes the key always report a zero signature counter, as
	// passkeys that sync between devices do.
	NoCounter bool
	// AAGUID names the authenticator's model; zero means none.
	AAGUID [16]byte
	creds  []*credential
}

type credential struct {
	id, user []byte
	rpID     string
	key      *ecdsa.PrivateKey
	counter  uint32
}

// New returns an empty authenticator used from pages at origin.
func New(origin string) *Authenticator {
	return &Authenticator{Origin: origin, UserVerified: true}
}

// Clone returns a copy holding the same keys and counters: the key an
// attacker copied, which the server must recognise by its counter.
func (a *Authenticator) Clone() *Authenticator {
	b := *a
	b.creds = nil
	for _, c := range a.creds {
		cc := *c
		b.creds = append(b.creds, &cc)
	}
	return &b
}

// creationOptions is the part of PublicKeyCredentialCreationOptions a key
// reads.
type creationOptions struct {
	PublicKey struct {
		Challenge protocol.URLEncodedBase64 `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID protocol.URLEncodedBase64 `json:"id"`
		} `json:"user"`
		Params  []param      `json:"pubKeyCredParams"`
		Exclude []descriptor `json:"excludeCredentials"`
	} `json:"publicKey"`
}

// requestOptions is the part of PublicKeyCredentialRequestOptions a key
// reads.
type requestOptions struct {
	PublicKey struct {
		Challenge protocol.URLEncodedBase64 `json:"challenge"`
		RPID      string                    `json:"rpId"`
		Allow     []descriptor              `json:"allowCredentials"`
	} `json:"publicKey"`
}

type param struct {
	Alg int64 `json:"alg"`
}

type descriptor struct {
	ID protocol.URLEncodedBase64 `json:"id"`
}

// ErrExcluded is what Create returns when the key already holds a
// credential the server excluded (the browser's InvalidStateError).
var ErrExcluded = errors.New("webauthntest: a credential on this key is excluded")

// Create answers creation options (the JSON the server sent) with a new
// credential: the PublicKeyCredential JSON a browser posts back.
func (a *Authenticator) Create(options []byte) ([]byte, error) {
	var o creationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, fmt.Errorf("webauthntest: creation options: %w", err)
	}
	opt := o.PublicKey
	if !slices.Contains(opt.Params, param{Alg: int64(webauthncose.AlgES256)}) {
		return nil, errors.New("webauthntest: the server does not accept ES256")
	}
	for _, d := range opt.Exclude {
		if a.find(opt.RP.ID, d.ID) != nil {
			return nil, ErrExcluded
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	c := &credential{id: make([]byte, 16), user: opt.User.ID, rpID: opt.RP.ID, key: key}
	_, _ = rand.Read(c.id)
	point, err := key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		return nil, err
	}
	cose, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         1, // P-256
		XCoord:        point[1:33],
		YCoord:        point[33:65],
	})
	if err != nil {
		return nil, err
	}
	auth := a.authData(c.rpID, flagAttested, 0)
	auth = append(auth, a.AAGUID[:]...)
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(c.id)))
	auth = append(auth, c.id...)
	auth = append(auth, cose...)
	object, err := webauthncbor.Marshal(struct {
		Fmt      string         `cbor:"fmt"`
		AttStmt  map[string]any `cbor:"attStmt"`
		AuthData []byte         `cbor:"authData"`
	}{"none", map[string]any{}, auth})
	if err != nil {
		return nil, err
	}
	a.creds = append(a.creds, c)
	return json.Marshal(map[string]any{
		"id": b64(c.id), "rawId": b64(c.id), "type": "public-key", "authenticatorAttachment": "cross-platform",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64(a.clientData("webauthn.create", opt.Challenge)),
			"attestationObject": b64(object),
			"transports":        []string{"usb", "nfc"},
		},
	})
}

// Get answers request options with an assertion signed by the first
// credential the server allows, as the PublicKeyCredential JSON a browser
// posts back.
func (a *Authenticator) Get(options []byte) ([]byte, error) {
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, fmt.Errorf("webauthntest: request options: %w", err)
	}
	opt := o.PublicKey
	var c *credential
	for _, d := range opt.Allow {
		if c = a.find(opt.RPID, d.ID); c != nil {
			break
		}
	}
	if c == nil {
		return nil, errors.New("webauthntest: no allowed credential on this key")
	}
	if !a.NoCounter {
		c.counter++
	}
	auth := a.authData(c.rpID, 0, c.counter)
	client := a.clientData("webauthn.get", opt.Challenge)
	sum := sha256.Sum256(client)
	digest := sha256.Sum256(append(slices.Clone(auth), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64(c.id), "rawId": b64(c.id), "type": "public-key", "authenticatorAttachment": "cross-platform",
		"clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64(client),
			"authenticatorData": b64(auth),
			"signature":         b64(sig),
			"userHandle":        b64(c.user),
		},
	})
}

func (a *Authenticator) find(rpID string, id []byte) *credential {
	for _, c := range a.creds {
		if c.rpID == rpID && bytes.Equal(c.id, id) {
			return c
		}
	}
	return nil
}

// authData is the fixed part of the authenticator data: the RP ID's hash,
// the flags and the counter.
func (a *Authenticator) authData(rpID string, flags byte, counter uint32) []byte {
	h := sha256.Sum256([]byte(rpID))
	flags |= flagUserPresent
	if a.UserVerified {
		flags |= flagUserVerified
	}
	out := append(h[:], flags)
	return binary.BigEndian.AppendUint32(out, counter)
}

// clientData is the JSON the browser signs over: the ceremony, the
// challenge and the origin of the page.
func (a *Authenticator) clientData(typ string, challenge []byte) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": b64(challenge), "origin": a.Origin, "crossOrigin": false})
	return b
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
