package certificate

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"sync"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// KeyStore keeps each ente's sealing key — ECDSA P-256 with a self-issued
// X.509 certificate naming the ente — in the database, sealed with
// AES-256-GCM under MasterKey (SPORTELLO_SECRET_KEY), as the SPID keys are:
// every instance signs with the same key and a copy of the database alone
// cannot sign. The certificate is what a PDF reader shows as the signer;
// an ente with a qualified seal from a trust service provider replaces it
// (docs/certificates.md). Unsealed keys are cached in memory per key id,
// since unsealing on every certificate would cost more than signing.
type KeyStore struct {
	MasterKey []byte

	mu    sync.Mutex
	cache map[int64]*SigningKey
}

// SigningKey is an ente's unsealed key.
type SigningKey struct {
	ID          int64
	Ente        tenant.ID
	Private     *ecdsa.PrivateKey
	Certificate *x509.Certificate
}

// PublicKey is one published key: the verifier's input.
type PublicKey struct {
	ID          int64
	Created     time.Time
	Retired     time.Time // zero while active
	Certificate *x509.Certificate
}

// NewKeyStore returns a key store sealing under masterKey (32 bytes).
func NewKeyStore(masterKey []byte) (*KeyStore, error) {
	if len(masterKey) != 32 {
		return nil, fmt.Errorf("certificate: the master key must be 32 bytes, not %d", len(masterKey))
	}
	return &KeyStore{MasterKey: masterKey, cache: map[int64]*SigningKey{}}, nil
}

// Current returns the ente's active key, creating the first one. Two
// instances racing on a fresh ente both generate one; the unique index
// lets one insert win and the other reads it.
func (ks *KeyStore) Current(ctx context.Context, q db.Querier, e *tenant.Ente, now time.Time) (*SigningKey, error) {
	k, err := ks.active(ctx, q, e.ID)
	if err == nil || !apperr.Is(err, apperr.NotFound) {
		return k, err
	}
	if _, err := ks.insert(ctx, q, e, now); err != nil {
		return nil, err
	}
	return ks.active(ctx, q, e.ID)
}

// Rotate retires the active key and makes a new one; certificates signed
// with the old key keep verifying, since retired keys stay published.
func (ks *KeyStore) Rotate(ctx context.Context, q db.Querier, e *tenant.Ente, now time.Time) (*SigningKey, error) {
	const retire = `UPDATE cert_key SET retired_at = $1 WHERE ente_id = $2 AND retired_at IS NULL`
	if _, err := q.ExecContext(ctx, retire, dbTime(now), e.ID); err != nil {
		return nil, fmt.Errorf("certificate: ente %d: retire key: %w", e.ID, err)
	}
	ok, err := ks.insert(ctx, q, e, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, apperr.Errorf(apperr.Conflict, "certificate: ente %d: another key became active during the rotation", e.ID)
	}
	return ks.active(ctx, q, e.ID)
}

// Published lists every key of the ente, active and retired, newest
// first: a certificate stays verifiable for as long as it is valid.
func Published(ctx context.Context, q db.Querier, ente tenant.ID) ([]PublicKey, error) {
	const list = `SELECT id, created_at, retired_at, certificate FROM cert_key WHERE ente_id = $1 ORDER BY id DESC`
	rows, err := q.QueryContext(ctx, list, ente)
	if err != nil {
		return nil, fmt.Errorf("certificate: ente %d: keys: %w", ente, err)
	}
	defer rows.Close()
	var out []PublicKey
	for rows.Next() {
		var k PublicKey
		var retired sql.NullTime
		var der []byte
		if err := rows.Scan(&k.ID, &k.Created, &retired, &der); err != nil {
			return nil, fmt.Errorf("certificate: ente %d: keys: %w", ente, err)
		}
		if k.Certificate, err = x509.ParseCertificate(der); err != nil {
			return nil, fmt.Errorf("certificate: ente %d: key %d: %w", ente, k.ID, err)
		}
		k.Created = k.Created.UTC()
		if retired.Valid {
			k.Retired = retired.Time.UTC()
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (ks *KeyStore) active(ctx context.Context, q db.Querier, ente tenant.ID) (*SigningKey, error) {
	// The id alone first: the key is almost always unsealed already.
	const getID = `SELECT id FROM cert_key WHERE ente_id = $1 AND retired_at IS NULL`
	var id int64
	err := q.QueryRowContext(ctx, getID, ente).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Errorf(apperr.NotFound, "certificate: ente %d has no sealing key", ente)
	}
	if err != nil {
		return nil, fmt.Errorf("certificate: ente %d: read key: %w", ente, err)
	}
	ks.mu.Lock()
	k, ok := ks.cache[id]
	ks.mu.Unlock()
	if ok && k.Ente == ente {
		return k, nil
	}
	const get = `SELECT certificate, sealed_key FROM cert_key WHERE ente_id = $1 AND id = $2`
	var der, sealed []byte
	if err := q.QueryRowContext(ctx, get, ente, id).Scan(&der, &sealed); err != nil {
		return nil, fmt.Errorf("certificate: ente %d: read key %d: %w", ente, id, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certificate: ente %d: key %d: %w", ente, id, err)
	}
	plain, err := ks.open(ente, der, sealed)
	if err != nil {
		return nil, fmt.Errorf("certificate: ente %d: key %d: %w", ente, id, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(plain)
	if err != nil {
		return nil, fmt.Errorf("certificate: ente %d: key %d: %w", ente, id, err)
	}
	priv, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || !priv.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("certificate: ente %d: key %d does not match its certificate", ente, id)
	}
	k = &SigningKey{ID: id, Ente: ente, Private: priv, Certificate: cert}
	ks.mu.Lock()
	ks.cache[id] = k
	ks.mu.Unlock()
	return k, nil
}

// insert stores a new active key unless one exists; it reports whether
// it did.
func (ks *KeyStore) insert(ctx context.Context, q db.Querier, e *tenant.Ente, now time.Time) (bool, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return false, fmt.Errorf("certificate: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return false, err
	}
	name := pkix.Name{CommonName: e.Name + " - sigillo dei certificati anagrafici", Organization: []string{e.Name},
		OrganizationalUnit: []string{"Ufficio anagrafe"}, Country: []string{"IT"}, Locality: []string{e.ShortName()},
		SerialNumber: "IT-" + e.FiscalCode}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: name, Issuer: name,
		NotBefore: now.Add(-time.Hour).UTC(), NotAfter: now.AddDate(10, 0, 0).UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return false, fmt.Errorf("certificate: self-issue the sealing certificate: %w", err)
	}
	plain, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return false, err
	}
	sealed, err := ks.seal(e.ID, der, plain)
	if err != nil {
		return false, err
	}
	const ins = `INSERT INTO cert_key (ente_id, created_at, certificate, sealed_key) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`
	res, err := q.ExecContext(ctx, ins, e.ID, dbTime(now), der, sealed)
	if err != nil {
		return false, fmt.Errorf("certificate: ente %d: store key: %w", e.ID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (ks *KeyStore) aead() (cipher.AEAD, error) {
	if len(ks.MasterKey) != 32 {
		return nil, fmt.Errorf("certificate: the master key must be 32 bytes, not %d", len(ks.MasterKey))
	}
	block, err := aes.NewCipher(ks.MasterKey)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// additionalData binds a sealed key to its ente and certificate.
func additionalData(ente tenant.ID, certDER []byte) []byte {
	sum := sha256.Sum256(certDER)
	return append([]byte("sportello cert_key v1 ente "+strconv.FormatInt(int64(ente), 10)+" cert "), sum[:]...)
}

func (ks *KeyStore) seal(ente tenant.ID, certDER, plain []byte) ([]byte, error) {
	g, err := ks.aead()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return g.Seal(append([]byte{1}, nonce...), nonce, plain, additionalData(ente, certDER)), nil
}

func (ks *KeyStore) open(ente tenant.ID, certDER, sealed []byte) ([]byte, error) {
	g, err := ks.aead()
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+g.NonceSize() || sealed[0] != 1 {
		return nil, errors.New("sealed key has an unknown format")
	}
	plain, err := g.Open(nil, sealed[1:1+g.NonceSize()], sealed[1+g.NonceSize():], additionalData(ente, certDER))
	if err != nil {
		return nil, errors.New("cannot unseal the sealing key: wrong master key, or the row was tampered with")
	}
	return plain, nil
}

// dbTime is UTC to the microsecond both engines keep.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
