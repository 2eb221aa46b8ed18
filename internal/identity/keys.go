package identity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// MinMasterKey is the shortest master key NewKeys accepts: 256 bits.
const MinMasterKey = 32

// Keys seals the secrets the database must not reveal on its own (TOTP
// secrets): a stolen backup without the master key, which lives in the
// configuration, cannot generate an operator's codes.
type Keys struct {
	totp cipher.AEAD
}

// NewKeys derives the sealing keys from the deployment's master key (at
// least MinMasterKey random bytes), one per purpose, so that the same
// master can serve other packages without key reuse.
func NewKeys(master []byte) (*Keys, error) {
	if len(master) < MinMasterKey {
		return nil, fmt.Errorf("identity: master key has %d bytes, want at least %d", len(master), MinMasterKey)
	}
	k, err := hkdf.Key(sha256.New, master, nil, "sportello identity totp v1", 32)
	if err != nil {
		return nil, fmt.Errorf("identity: derive key: %w", err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	return &Keys{totp: aead}, nil
}

// errNoKeys is the error of a deployment started without a master key: it
// cannot enroll or check second factors, and says so instead of crashing.
var errNoKeys = errors.New("identity: no master key configured")

// sealPrefix versions the sealed format, so that a key rotation can tell
// old values from new ones.
const sealPrefix = "v1."

// seal encrypts plaintext with AES-256-GCM under a random nonce; ad binds
// the result to its row (ente and operator), so that a sealed value copied
// onto another row does not open.
func (k *Keys) seal(plaintext, ad string) (string, error) {
	if k == nil {
		return "", errNoKeys
	}
	nonce := make([]byte, k.totp.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	out := k.totp.Seal(nonce, nonce, []byte(plaintext), []byte(ad))
	return sealPrefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// open is the inverse of seal.
func (k *Keys) open(sealed, ad string) (string, error) {
	if k == nil {
		return "", errNoKeys
	}
	body, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", fmt.Errorf("open: unknown sealed format")
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < k.totp.NonceSize() {
		return "", fmt.Errorf("open: malformed sealed value")
	}
	n := k.totp.NonceSize()
	pt, err := k.totp.Open(nil, raw[:n], raw[n:], []byte(ad))
	if err != nil {
		return "", fmt.Errorf("open: wrong key or tampered value: %w", err)
	}
	return string(pt), nil
}
