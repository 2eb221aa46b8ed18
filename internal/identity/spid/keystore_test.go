package spid_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/identity/spid"
	"github.com/sportello/sportello/internal/tenant"
)

var masterKey = bytes.Repeat([]byte{0x42}, 32)

func countKeys(t *testing.T, d *db.DB, ente tenant.ID) (active, all int) {
	t.Helper()
	err := d.QueryRowContext(context.Background(),
		`SELECT count(*), count(*) - count(retired_at) FROM sp_key WHERE ente_id = $1`, ente).Scan(&all, &active)
	if err != nil {
		t.Fatal(err)
	}
	return active, all
}

func TestKeyStoreCurrent(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	ks := spid.KeyStore{MasterKey: masterKey}

	key, cert, err := ks.Current(ctx, d, ente, testOrg(), spEntityID, now)
	if err != nil {
		t.Fatal(err)
	}
	if key.N.BitLen() != spid.SPKeyBits || !key.PublicKey.Equal(cert.PublicKey) {
		t.Error("Current returned a key that does not match its certificate")
	}
	key2, cert2, err := ks.Current(ctx, d, ente, testOrg(), spEntityID, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !cert2.Equal(cert) || !key2.Equal(key) {
		t.Error("second Current made a new key")
	}
	if active, all := countKeys(t, d, ente); active != 1 || all != 1 {
		t.Errorf("%d active of %d keys, want 1 of 1", active, all)
	}

	// The key is sealed: neither its DER nor its modulus' private half is
	// readable in the row.
	var sealed []byte
	if err := d.QueryRowContext(ctx, `SELECT sealed_key FROM sp_key WHERE ente_id = $1`, ente).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	plain, _ := x509.MarshalPKCS8PrivateKey(key)
	if bytes.Contains(sealed, plain[len(plain)-64:]) || bytes.Contains(sealed, key.D.Bytes()[:32]) {
		t.Error("the private key is stored in clear")
	}

	// Another ente gets its own key.
	other := newEnte(t, d, "avio", "022007")
	_, otherCert, err := ks.Current(ctx, d, other, testOrg(), "https://avio.example/spid", now)
	if err != nil {
		t.Fatal(err)
	}
	if otherCert.Equal(cert) {
		t.Error("two enti share a key")
	}
}

func TestKeyStoreWrongMasterKey(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	if _, _, err := (spid.KeyStore{MasterKey: masterKey}).Current(ctx, d, ente, testOrg(), spEntityID, now); err != nil {
		t.Fatal(err)
	}
	for name, mk := range map[string][]byte{
		"another key": bytes.Repeat([]byte{0x43}, 32),
		"short key":   masterKey[:16],
		"no key":      nil,
	} {
		t.Run(name, func(t *testing.T) {
			key, _, err := (spid.KeyStore{MasterKey: mk}).Current(ctx, d, ente, testOrg(), spEntityID, now)
			if err == nil || key != nil {
				t.Fatal("Current with the wrong master key succeeded")
			}
			if active, all := countKeys(t, d, ente); active != 1 || all != 1 {
				t.Errorf("after a wrong master key: %d active of %d keys, want the original alone", active, all)
			}
		})
	}
}

// TestKeyStoreSealedKeyBoundToEnte: a sealed key copied into another
// ente's row (say, by someone with write access to the database) does not
// open there.
func TestKeyStoreSealedKeyBoundToEnte(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	a, b := newEnte(t, d, "ala", "022001"), newEnte(t, d, "avio", "022007")
	ks := spid.KeyStore{MasterKey: masterKey}
	for _, e := range []tenant.ID{a, b} {
		if _, _, err := ks.Current(ctx, d, e, testOrg(), spEntityID, now); err != nil {
			t.Fatal(err)
		}
	}
	_, err := d.ExecContext(ctx, `UPDATE sp_key SET sealed_key = (SELECT sealed_key FROM sp_key WHERE ente_id = $1),
		certificate = (SELECT certificate FROM sp_key WHERE ente_id = $1) WHERE ente_id = $2`, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ks.Current(ctx, d, b, testOrg(), spEntityID, now); err == nil {
		t.Error("a key sealed for one ente opened for another")
	}
}

// TestKeyStoreConcurrentFirstUse starts several instances on a fresh ente
// at once: they must all end up with the same single key.
func TestKeyStoreConcurrentFirstUse(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	ks := spid.KeyStore{MasterKey: masterKey}
	const n = 4
	certs := make([]*x509.Certificate, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, certs[i], errs[i] = ks.Current(ctx, d, ente, testOrg(), spEntityID, now) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		if !certs[i].Equal(certs[0]) {
			t.Errorf("instance %d got another certificate", i)
		}
	}
	if active, all := countKeys(t, d, ente); active != 1 || all != 1 {
		t.Errorf("%d active of %d keys, want 1 of 1", active, all)
	}
}

func TestKeyStoreRotate(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	ks := spid.KeyStore{MasterKey: masterKey}
	_, first, err := ks.Current(ctx, d, ente, testOrg(), spEntityID, now)
	if err != nil {
		t.Fatal(err)
	}
	later := now.Add(400 * 24 * time.Hour)
	var newKey *rsa.PrivateKey
	var second *x509.Certificate
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		newKey, second, err = ks.Rotate(ctx, tx, ente, testOrg(), spEntityID, later)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if second.Equal(first) || !second.NotBefore.Equal(later.Truncate(time.Second)) {
		t.Error("Rotate did not issue a new certificate")
	}
	key, cur, err := ks.Current(ctx, d, ente, testOrg(), spEntityID, later)
	if err != nil {
		t.Fatal(err)
	}
	if !cur.Equal(second) || !key.Equal(newKey) {
		t.Error("Current does not return the rotated key")
	}

	keys, err := ks.Keys(ctx, d, ente, later.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Active bool
		Cert   *x509.Certificate
	}
	var got []row
	for _, k := range keys {
		got = append(got, row{k.Retired.IsZero(), k.Certificate})
	}
	want := []row{{true, second}, {false, first}}
	if diff := cmp.Diff(want, got, certComparer); diff != "" {
		t.Errorf("Keys mismatch (-want +got):\n%s", diff)
	}
	if keys, err := ks.Keys(ctx, d, ente, later.Add(time.Hour)); err != nil || len(keys) != 1 {
		t.Errorf("Keys after the grace period = %d, %v; want the active key only", len(keys), err)
	}
	if active, all := countKeys(t, d, ente); active != 1 || all != 2 {
		t.Errorf("%d active of %d keys, want 1 of 2", active, all)
	}
	if _, _, err := ks.Rotate(ctx, d, ente, spid.Organization{}, spEntityID, later); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("Rotate with an empty organization: err = %v, want Invalid", err)
	}
	if active, _ := countKeys(t, d, ente); active != 1 {
		t.Error("a failed rotation left the ente without an active key")
	}
}
