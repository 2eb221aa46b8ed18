package certificate_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/blob/blobtest"
	"github.com/sportello/sportello/internal/certificate"
)

// setupHeld returns the fixture with its store's Sync held until hold is
// closed, and an order of Sofia's residence certificate, exempt.
func setupHeld(t *testing.T) (*fixture, chan struct{}, certificate.Order) {
	f := setup(t)
	held := blobtest.NewHeld(f.blobs)
	f.issuer.Blobs = held
	o := f.online(cfSofia, certificate.Residence)
	o.Exemption = 7
	return f, held.Hold, o
}

// count returns how many rows table has for the fixture's ente.
func (f *fixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.d.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE ente_id = $1`, f.ala.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIssueKeepsTheFileUntilDurable checks that a certificate is
// registered without waiting for its file's flush, with a durable copy of
// the bytes; that the copy puts back a file the store lost (as a crash
// may) and is removed once settled; and that the issuer's settler removes
// the copies by itself.
func TestIssueKeepsTheFileUntilDurable(t *testing.T) {
	f, hold, o := setupHeld(t)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		issued []*certificate.Result
	)
	for range 6 {
		wg.Go(func() {
			res, err := f.issuer.Issue(ctx, o)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			issued = append(issued, res)
			mu.Unlock()
		})
	}
	wg.Wait() // while every Sync is held
	if n, k := f.count(t, "certificate"), f.count(t, "certificate_file"); n != 6 || k != 6 {
		t.Fatalf("%d certificates, %d kept files while the flushes are held; want 6 each", n, k)
	}
	// The protocol numbers leave no gap.
	numbers := map[int64]bool{}
	for _, res := range issued {
		numbers[res.Certificate.ProtocolNumber] = true
	}
	for n := int64(1); n <= 6; n++ {
		if !numbers[n] {
			t.Errorf("protocol numbers %v: %d is missing", numbers, n)
		}
	}
	// A crash loses one file before its flush (and the process's settler
	// with it).
	lost := issued[0]
	path := filepath.Join(f.root, lost.Certificate.DocumentSHA256[0:2], lost.Certificate.DocumentSHA256[2:4], lost.Certificate.DocumentSHA256)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	// After the crash, SettleFiles (the job at start) puts the files back;
	// the settler of the crashed process stays held meanwhile.
	n, err := certificate.SettleFiles(ctx, f.d, f.blobs)
	if err != nil || n != 6 {
		t.Fatalf("SettleFiles = %d, %v; want 6", n, err)
	}
	for _, res := range issued {
		got, err := certificate.Open(ctx, f.blobs, res.Certificate)
		if err != nil || !bytes.Equal(got, res.PDF) {
			t.Errorf("certificate %s after settling: %v", res.Certificate.Code, err)
		}
	}
	if k := f.count(t, "certificate_file"); k != 0 {
		t.Errorf("%d kept files after settling, want 0", k)
	}
	if n, err := certificate.SettleFiles(ctx, f.d, f.blobs); err != nil || n != 0 {
		t.Errorf("SettleFiles again = %d, %v; want 0", n, err)
	}

	// Once the hold is gone, the issuer's own settler removes the copies
	// as their files are flushed.
	close(hold)
	if _, err := f.issuer.Issue(ctx, o); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.count(t, "certificate_file") != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n, k := f.count(t, "certificate"), f.count(t, "certificate_file"); n != 7 || k != 0 {
		t.Errorf("%d certificates, %d kept files 10 s later; want 7 and 0", n, k)
	}
}

// TestSettleFilesRefusesAlteredCopy checks that a kept copy whose bytes no
// longer hash to its digest is neither stored nor removed.
func TestSettleFilesRefusesAlteredCopy(t *testing.T) {
	f, hold, o := setupHeld(t)
	if _, err := f.issuer.Issue(ctx, o); err != nil {
		t.Fatal(err)
	}
	defer close(hold) // the settler stays held until the end
	if _, err := f.d.ExecContext(ctx, `UPDATE certificate_file SET content = $1 WHERE ente_id = $2`,
		[]byte("%PDF-1.7 altered"), f.ala.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := certificate.SettleFiles(ctx, f.d, f.blobs); err == nil {
		t.Error("SettleFiles accepted an altered copy")
	}
	if k := f.count(t, "certificate_file"); k != 1 {
		t.Errorf("%d kept files, want the altered one kept", k)
	}
}

// TestSettleFilesPastRefusedCopies checks that copies SettleFiles must
// refuse do not hide the ones after them, even when they fill whole rounds.
func TestSettleFilesPastRefusedCopies(t *testing.T) {
	certificate.SetSettleBatch(t, 2)
	f, hold, o := setupHeld(t)
	defer close(hold) // the settler stays held until the end
	var ids []certificate.ID
	for range 7 {
		res, err := f.issuer.Issue(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Certificate.ID)
	}
	slices.Sort(ids)
	for _, id := range ids[:5] { // the first two rounds and half the third
		if _, err := f.d.ExecContext(ctx, `UPDATE certificate_file SET content = $1 WHERE certificate_id = $2`,
			[]byte("%PDF-1.7 altered"), id); err != nil {
			t.Fatal(err)
		}
	}
	n, err := certificate.SettleFiles(ctx, f.d, f.blobs)
	if n != 2 || err == nil || strings.Count(err.Error(), "does not hash") != 5 {
		t.Errorf("SettleFiles = %d, %v; want 2 settled and the 5 altered copies reported", n, err)
	}
	if k := f.count(t, "certificate_file"); k != 5 {
		t.Errorf("%d kept files, want the 5 altered ones", k)
	}
}

// TestRestore checks Restore's answers: a kept copy goes back to the store
// and is removed, a certificate without one is left alone, and an altered
// copy is refused and kept.
func TestRestore(t *testing.T) {
	f, hold, o := setupHeld(t)
	defer close(hold)
	first, err := f.issuer.Issue(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.issuer.Issue(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.blobs.Delete(ctx, mustKey(t, first.Certificate.DocumentSHA256)); err != nil {
		t.Fatal(err)
	}
	if ok, err := certificate.Restore(ctx, f.d, f.blobs, first.Certificate); !ok || err != nil {
		t.Fatalf("Restore = %t, %v; want true", ok, err)
	}
	if got, err := certificate.Open(ctx, f.blobs, first.Certificate); err != nil || !bytes.Equal(got, first.PDF) {
		t.Errorf("the restored file: %v", err)
	}
	if ok, err := certificate.Restore(ctx, f.d, f.blobs, first.Certificate); ok || err != nil {
		t.Errorf("Restore again = %t, %v; want false", ok, err)
	}
	if _, err := f.d.ExecContext(ctx, `UPDATE certificate_file SET content = $1 WHERE certificate_id = $2`,
		[]byte("%PDF-1.7 altered"), second.Certificate.ID); err != nil {
		t.Fatal(err)
	}
	if ok, err := certificate.Restore(ctx, f.d, f.blobs, second.Certificate); ok || err == nil {
		t.Errorf("Restore of an altered copy = %t, %v; want an error", ok, err)
	}
	if k := f.count(t, "certificate_file"); k != 1 {
		t.Errorf("%d kept files, want the altered one kept", k)
	}
}

func mustKey(t *testing.T, s string) blob.Key {
	t.Helper()
	k, err := blob.ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// failingStage is a file system store whose Stage fails, as a full or
// failing disk would.
type failingStage struct{ *blob.FS }

func (failingStage) Stage(context.Context, io.Reader) (blob.Key, int64, error) {
	return "", 0, errors.New("no space left on device")
}

// plainStore hides the file system store's staging, as a store that makes
// each Put durable (S3) is.
type plainStore struct{ blob.Store }

// TestIssueFileWrites checks the two ways a certificate's file is stored:
// with a store that flushes later, a write that fails after the
// registration leaves the certificate issued with its bytes kept, and
// SettleFiles puts the file back; with a store that makes each Put
// durable, the file is stored first and no copy is kept.
func TestIssueFileWrites(t *testing.T) {
	// issue issues Sofia's residence certificate into the fixture's file
	// system store as wrap presents it.
	issue := func(t *testing.T, wrap func(*blob.FS) blob.Store) (*fixture, *certificate.Result) {
		f := setup(t)
		f.issuer.Blobs = wrap(f.blobs)
		o := f.online(cfSofia, certificate.Residence)
		o.Exemption = 7
		res, err := f.issuer.Issue(ctx, o)
		if err != nil {
			t.Fatalf("Issue = %v; want the certificate issued", err)
		}
		return f, res
	}
	t.Run("failed write", func(t *testing.T) {
		f, res := issue(t, func(fs *blob.FS) blob.Store { return failingStage{fs} })
		if n, k := f.count(t, "certificate"), f.count(t, "certificate_file"); n != 1 || k != 1 {
			t.Fatalf("%d certificates, %d kept files; want 1 each", n, k)
		}
		if _, err := certificate.Open(ctx, f.blobs, res.Certificate); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("Open before settling = %v; want the file missing", err)
		}
		if n, err := certificate.SettleFiles(ctx, f.d, f.blobs); err != nil || n != 1 {
			t.Fatalf("SettleFiles = %d, %v; want 1", n, err)
		}
		got, err := certificate.Open(ctx, f.blobs, res.Certificate)
		if err != nil || !bytes.Equal(got, res.PDF) {
			t.Errorf("Open after settling: %v", err)
		}
	})
	t.Run("store without staging", func(t *testing.T) {
		f, res := issue(t, func(fs *blob.FS) blob.Store { return plainStore{fs} })
		if k := f.count(t, "certificate_file"); k != 0 {
			t.Errorf("%d kept files with a store that syncs each Put; want 0", k)
		}
		got, err := certificate.Open(ctx, f.blobs, res.Certificate)
		if err != nil || !bytes.Equal(got, res.PDF) {
			t.Errorf("Open: %v", err)
		}
	})
}

// storedFiles counts the files in the fixture's blob store.
func (f *fixture) storedFiles(t *testing.T) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(f.root, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFilesInDatabase checks the issuer that keeps certificates' files in
// the database (SQLite, ADR 0012): nothing is written to the store, the
// rows stay, File reads them and refuses one altered; certificates issued
// before into the store still read from there; and an issuer that stops
// keeping them (a move to PostgreSQL) has SettleFiles move them out.
func TestFilesInDatabase(t *testing.T) {
	f := setup(t)
	o := f.online(cfSofia, certificate.Residence)
	o.Exemption = 7
	before, err := f.issuer.Issue(ctx, o) // into the store, as before the change
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); f.count(t, "certificate_file") != 0; {
		if time.Now().After(deadline) {
			t.Fatal("the settler left the copy of a flushed file for 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	stored := f.storedFiles(t)
	if stored != 1 {
		t.Fatalf("%d files in the store after one issuance, want 1", stored)
	}

	f.issuer.FilesInDatabase = true
	var issued []*certificate.Result
	for _, o := range []certificate.Order{f.online(cfChiara, certificate.Residence, certificate.Family), f.desk(cfGiusi, certificate.Residence)} {
		o.Exemption = 7
		res, err := f.issuer.Issue(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		issued = append(issued, res)
	}
	time.Sleep(100 * time.Millisecond) // five times the settler's pause
	if n, k := f.storedFiles(t), f.count(t, "certificate_file"); n != stored || k != 2 {
		t.Errorf("%d files in the store and %d in the database; want %d and 2", n, k, stored)
	}
	for _, res := range append(issued, before) {
		got, err := f.issuer.File(ctx, res.Certificate)
		if err != nil || !bytes.Equal(got, res.PDF) {
			t.Errorf("File(%s): %d bytes, %v; want the %d issued", res.Certificate.Code, len(got), err, len(res.PDF))
		}
	}
	if j := certificate.SettleFilesJob(river.NewWorkers(), f.d, f.blobs, true, nil); j != nil {
		t.Error("SettleFilesJob scheduled for a database that keeps the files")
	}

	altered := issued[0].Certificate
	if _, err := f.d.ExecContext(ctx, `UPDATE certificate_file SET content = $1 WHERE certificate_id = $2`,
		[]byte("%PDF-1.7 altered"), altered.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := f.issuer.File(ctx, altered); err == nil {
		t.Errorf("File of an altered row: %d bytes, no error", len(got))
	}

	// Moving to a store: SettleFiles puts the intact file there and leaves
	// the altered one, which it reports.
	f.issuer.FilesInDatabase = false
	if n, err := certificate.SettleFiles(ctx, f.d, f.blobs); err == nil || n != 1 {
		t.Errorf("SettleFiles with an altered row: %d, %v; want 1 and an error", n, err)
	}
	if n, k := f.storedFiles(t), f.count(t, "certificate_file"); n != stored+1 || k != 1 {
		t.Errorf("after settling, %d files in the store and %d in the database; want %d and the altered one", n, k, stored+1)
	}
	moved := issued[1]
	if got, err := f.issuer.File(ctx, moved.Certificate); err != nil || !bytes.Equal(got, moved.PDF) {
		t.Errorf("File after the move: %d bytes, %v", len(got), err)
	}
}
