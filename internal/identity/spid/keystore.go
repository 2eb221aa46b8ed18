package spid

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// KeyStore keeps each ente's SP key in the database, sealed with
// AES-256-GCM under MasterKey, so that every instance signs with the same
// key and a leaked database (or backup) does not leak the key. The master
// key comes from the configuration and never touches the database.
type KeyStore struct {
	// MasterKey is 32 bytes. Changing it makes every stored key unreadable:
	// Current then fails loudly instead of quietly making a new key, which
	// would break the certificate registered with AgID.
	MasterKey []byte
}

// sealVersion prefixes every sealed key, so that the format can change.
const sealVersion = 1

// Key is a stored SP key's public side, for the administration pages and
// for publishing both certificates during a rotation.
type Key struct {
	ID          int64
	Created     time.Time
	Retired     time.Time // zero while active
	Certificate *x509.Certificate
}

// Current returns the ente's active key, generating and storing the first
// one on the first call. Two instances racing on a fresh ente both generate
// a key, but the unique index on the active key lets only one insert win;
// the loser reads the winner's key, so the ente never ends up with two.
func (ks KeyStore) Current(ctx context.Context, q db.Querier, ente tenant.ID, org Organization, entityID string, now time.Time) (*rsa.PrivateKey, *x509.Certificate, error) {
	key, cert, err := ks.active(ctx, q, ente)
	if err == nil || !apperr.Is(err, apperr.NotFound) {
		return key, cert, err
	}
	key, cert, err = NewKeyPair(org, entityID, now)
	if err != nil {
		return nil, nil, err
	}
	inserted, err := ks.insert(ctx, q, ente, key, cert, now)
	if err != nil {
		return nil, nil, err
	}
	if !inserted {
		return ks.active(ctx, q, ente)
	}
	return key, cert, nil
}

// Rotate retires the active key and makes a new one, for a key about to
// expire or suspected to be compromised. Run it in a transaction: the new
// certificate must then be registered with AgID (and the Ministry for CIE)
// through new metadata, since IdPs verify requests only against it.
func (ks KeyStore) Rotate(ctx context.Context, q db.Querier, ente tenant.ID, org Organization, entityID string, now time.Time) (*rsa.PrivateKey, *x509.Certificate, error) {
	if err := ks.checkMasterKey(); err != nil {
		return nil, nil, err
	}
	key, cert, err := NewKeyPair(org, entityID, now)
	if err != nil {
		return nil, nil, err
	}
	const retire = `UPDATE sp_key SET retired_at = $1 WHERE ente_id = $2 AND retired_at IS NULL`
	if _, err := q.ExecContext(ctx, retire, dbTime(now), ente); err != nil {
		return nil, nil, fmt.Errorf("spid: ente %d: retire key: %w", ente, err)
	}
	inserted, err := ks.insert(ctx, q, ente, key, cert, now)
	if err != nil {
		return nil, nil, err
	}
	if !inserted {
		return nil, nil, apperr.Errorf(apperr.Conflict, "spid: ente %d: another key became active during the rotation", ente)
	}
	return key, cert, nil
}

// Keys lists the ente's active key and those retired at or after since,
// newest first: the certificates an operator may still need to see or to
// publish while the registries catch up with a rotation.
func (ks KeyStore) Keys(ctx context.Context, q db.Querier, ente tenant.ID, since time.Time) ([]Key, error) {
	const list = `SELECT id, created_at, retired_at, certificate FROM sp_key
		WHERE ente_id = $1 AND (retired_at IS NULL OR retired_at >= $2) ORDER BY id DESC`
	rows, err := q.QueryContext(ctx, list, ente, dbTime(since))
	if err != nil {
		return nil, fmt.Errorf("spid: ente %d: list keys: %w", ente, err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		var k Key
		var retired sql.NullTime
		var der []byte
		if err := rows.Scan(&k.ID, &k.Created, &retired, &der); err != nil {
			return nil, fmt.Errorf("spid: ente %d: list keys: %w", ente, err)
		}
		if k.Certificate, err = x509.ParseCertificate(der); err != nil {
			return nil, fmt.Errorf("spid: ente %d: key %d: certificate: %w", ente, k.ID, err)
		}
		k.Created = k.Created.UTC()
		if retired.Valid {
			k.Retired = retired.Time.UTC()
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("spid: ente %d: list keys: %w", ente, err)
	}
	return out, nil
}

// active reads and unseals the active key; NotFound when there is none.
func (ks KeyStore) active(ctx context.Context, q db.Querier, ente tenant.ID) (*rsa.PrivateKey, *x509.Certificate, error) {
	if err := ks.checkMasterKey(); err != nil {
		return nil, nil, err
	}
	const get = `SELECT id, certificate, sealed_key FROM sp_key WHERE ente_id = $1 AND retired_at IS NULL`
	var id int64
	var der, sealed []byte
	err := q.QueryRowContext(ctx, get, ente).Scan(&id, &der, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, apperr.Errorf(apperr.NotFound, "spid: ente %d has no SP key", ente)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("spid: ente %d: read key: %w", ente, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("spid: ente %d: key %d: certificate: %w", ente, id, err)
	}
	plain, err := ks.open(ente, der, sealed)
	if err != nil {
		return nil, nil, fmt.Errorf("spid: ente %d: key %d: %w", ente, id, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(plain)
	if err != nil {
		return nil, nil, fmt.Errorf("spid: ente %d: key %d: %w", ente, id, err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok || !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, fmt.Errorf("spid: ente %d: key %d does not match its certificate", ente, id)
	}
	return key, cert, nil
}

// insert stores a new active key unless the ente already has one; it
// reports whether it did. ON CONFLICT DO NOTHING keeps a PostgreSQL
// transaction usable when another instance won the race.
func (ks KeyStore) insert(ctx context.Context, q db.Querier, ente tenant.ID, key *rsa.PrivateKey, cert *x509.Certificate, now time.Time) (bool, error) {
	plain, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return false, fmt.Errorf("spid: ente %d: marshal key: %w", ente, err)
	}
	sealed, err := ks.seal(ente, cert.Raw, plain)
	if err != nil {
		return false, err
	}
	const ins = `INSERT INTO sp_key (ente_id, created_at, certificate, sealed_key) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`
	res, err := q.ExecContext(ctx, ins, ente, dbTime(now), cert.Raw, sealed)
	if err != nil {
		return false, fmt.Errorf("spid: ente %d: store key: %w", ente, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("spid: ente %d: store key: %w", ente, err)
	}
	return n == 1, nil
}

func (ks KeyStore) checkMasterKey() error {
	if len(ks.MasterKey) != 32 {
		return fmt.Errorf("spid: the SP key master key must be 32 bytes, not %d", len(ks.MasterKey))
	}
	return nil
}

// aead returns AES-256-GCM under the master key.
func (ks KeyStore) aead() (cipher.AEAD, error) {
	if err := ks.checkMasterKey(); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(ks.MasterKey)
	if err != nil {
		return nil, fmt.Errorf("spid: master key: %w", err)
	}
	return cipher.NewGCM(block)
}

// additionalData binds a sealed key to its ente and certificate: a sealed
// key copied into another ente's row, or next to another certificate, no
// longer opens.
func additionalData(ente tenant.ID, certDER []byte) []byte {
	sum := sha256.Sum256(certDER)
	return append([]byte("sportello sp_key v1 ente "+strconv.FormatInt(int64(ente), 10)+" cert "), sum[:]...)
}

// seal encrypts a private key: version byte, nonce, ciphertext.
func (ks KeyStore) seal(ente tenant.ID, certDER, plain []byte) ([]byte, error) {
	g, err := ks.aead()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("spid: seal key: %w", err)
	}
	out := append([]byte{sealVersion}, nonce...)
	return g.Seal(out, nonce, plain, additionalData(ente, certDER)), nil
}

// open decrypts what seal wrote; a wrong master key is reported as such.
func (ks KeyStore) open(ente tenant.ID, certDER, sealed []byte) ([]byte, error) {
	g, err := ks.aead()
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+g.NonceSize() || sealed[0] != sealVersion {
		return nil, errors.New("sealed key has an unknown format")
	}
	nonce, box := sealed[1:1+g.NonceSize()], sealed[1+g.NonceSize():]
	plain, err := g.Open(nil, nonce, box, additionalData(ente, certDER))
	if err != nil {
		return nil, errors.New("cannot unseal the SP key: wrong master key, or the row was tampered with")
	}
	return plain, nil
}

// dbTime is the form every time takes in this package's tables: UTC, to
// the microsecond both engines keep, so that what is read back compares
// equal to what was written, and SQLite's text timestamps sort correctly.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
