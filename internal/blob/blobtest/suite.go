// Package blobtest holds the one suite that every blob.Store passes, so the
// file system and S3 stores cannot drift apart.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sportello/sportello/internal/blob"
)

// RunSuite runs the shared tests against the stores that newStore makes; it
// is called once per subtest and must return a fresh, empty store.
func RunSuite(t *testing.T, newStore func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s blob.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"SameContentTwice", testSameContentTwice},
		{"Empty", testEmpty},
		{"Large", testLarge},
		{"Missing", testMissing},
		{"DeleteThenOpen", testDeleteThenOpen},
		{"InvalidKey", testInvalidKey},
		{"ConcurrentPut", testConcurrentPut},
		{"FailingReader", testFailingReader},
		{"CanceledPut", testCanceledPut},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

// keyOf computes the key of b independently of the stores.
func keyOf(b []byte) blob.Key {
	sum := sha256.Sum256(b)
	return blob.Key(hex.EncodeToString(sum[:]))
}

// stored is what a Put returns, compared as one value.
type stored struct {
	Key  blob.Key
	Size int64
}

// ReadAll opens k in s and reads it to the end, failing t on any error.
func ReadAll(t testing.TB, s blob.Store, k blob.Key) []byte {
	t.Helper()
	rc, err := s.Open(t.Context(), k)
	if err != nil {
		t.Fatalf("Open(%s): %v", k, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", k, err)
	}
	return got
}

// checkStored fails unless s holds exactly want under k, by Stat and by Open.
func checkStored(t *testing.T, s blob.Store, k blob.Key, want []byte) {
	t.Helper()
	size, err := s.Stat(t.Context(), k)
	if err != nil {
		t.Fatalf("Stat(%s): %v", k, err)
	}
	if size != int64(len(want)) {
		t.Errorf("Stat(%s) = %d, want %d", k, size, len(want))
	}
	got := ReadAll(t, s, k)
	if len(want) > 4096 {
		// A diff of megabytes helps no one: compare what identifies them.
		if diff := cmp.Diff(stored{keyOf(want), int64(len(want))}, stored{keyOf(got), int64(len(got))}); diff != "" {
			t.Errorf("content of %s mismatch (-want +got):\n%s", k, diff)
		}
		return
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("content of %s mismatch (-want +got):\n%s", k, diff)
	}
}

func testRoundTrip(t *testing.T, s blob.Store) {
	tests := []struct {
		name    string
		content []byte
	}{
		{"text", []byte("Domanda di iscrizione al servizio di refezione scolastica\n")},
		{"binary", []byte{0, 1, 2, 0xfe, 0xff, 0, '\n', '\r'}},
		{"one byte", []byte{'x'}},
		{"empty", nil},
		{"past one copy buffer", bytes.Repeat([]byte("0123456789abcdef"), 64<<10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, n, err := s.Put(t.Context(), bytes.NewReader(tc.content))
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			want := stored{Key: keyOf(tc.content), Size: int64(len(tc.content))}
			if diff := cmp.Diff(want, stored{k, n}); diff != "" {
				t.Errorf("Put mismatch (-want +got):\n%s", diff)
			}
			checkStored(t, s, want.Key, tc.content)
		})
	}
}

func testSameContentTwice(t *testing.T, s blob.Store) {
	content := []byte("ricevuta di pagamento n. 42")
	first, err := blob.PutBytes(t.Context(), s, content)
	if err != nil {
		t.Fatalf("first PutBytes: %v", err)
	}
	// The second copy arrives one byte per Read, as a slow upload would.
	second, n, err := s.Put(t.Context(), iotest.OneByteReader(bytes.NewReader(content)))
	if err != nil {
		t.Fatalf("second Put: %v", err)
	}
	if diff := cmp.Diff(stored{first, int64(len(content))}, stored{second, n}); diff != "" {
		t.Errorf("second Put mismatch (-want +got):\n%s", diff)
	}
	checkStored(t, s, first, content)
}

func testEmpty(t *testing.T, s blob.Store) {
	k, n, err := s.Put(t.Context(), bytes.NewReader(nil))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	// The SHA-256 of no bytes, as every implementation of SHA-256 has it.
	want := stored{Key: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Size: 0}
	if diff := cmp.Diff(want, stored{k, n}); diff != "" {
		t.Errorf("Put mismatch (-want +got):\n%s", diff)
	}
	checkStored(t, s, k, nil)
}

// pseudoRandom returns n reproducible bytes that do not compress, as a
// stream, so that large content is never built in memory by the test.
func pseudoRandom(seed uint64, n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{byte(seed)}), n)
}

func testLarge(t *testing.T, s blob.Store) {
	const size = 5 << 20
	h := sha256.New()
	if _, err := io.Copy(h, pseudoRandom(1, size)); err != nil {
		t.Fatal(err)
	}
	want := stored{Key: blob.Key(hex.EncodeToString(h.Sum(nil))), Size: size}

	k, n, err := s.Put(t.Context(), pseudoRandom(1, size))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if diff := cmp.Diff(want, stored{k, n}); diff != "" {
		t.Errorf("Put mismatch (-want +got):\n%s", diff)
	}

	rc, err := s.Open(t.Context(), k)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	h.Reset()
	read, err := io.Copy(h, rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	got := stored{Key: blob.Key(hex.EncodeToString(h.Sum(nil))), Size: read}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read back mismatch (-want +got):\n%s", diff)
	}
}

// ops calls each keyed method of a Store, for tests that expect all of them
// to fail the same way.
var ops = []struct {
	name string
	call func(ctx context.Context, s blob.Store, k blob.Key) error
}{
	{"Open", func(ctx context.Context, s blob.Store, k blob.Key) error {
		rc, err := s.Open(ctx, k)
		if err == nil {
			rc.Close()
		}
		return err
	}},
	{"Stat", func(ctx context.Context, s blob.Store, k blob.Key) error {
		_, err := s.Stat(ctx, k)
		return err
	}},
	{"Delete", func(ctx context.Context, s blob.Store, k blob.Key) error {
		return s.Delete(ctx, k)
	}},
}

func testMissing(t *testing.T, s blob.Store) {
	// Something else is stored, so the store is not merely empty.
	if _, err := blob.PutBytes(t.Context(), s, []byte("present")); err != nil {
		t.Fatalf("PutBytes: %v", err)
	}
	missing := keyOf([]byte("never stored"))
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			err := op.call(t.Context(), s, missing)
			if !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("%s(missing) = %v, want an error wrapping ErrNotFound", op.name, err)
			}
		})
	}
}

func testDeleteThenOpen(t *testing.T, s blob.Store) {
	content := []byte("documento revocato")
	k, err := blob.PutBytes(t.Context(), s, content)
	if err != nil {
		t.Fatalf("PutBytes: %v", err)
	}
	if err := s.Delete(t.Context(), k); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	// Delete comes last, so the second Delete also finds nothing.
	for _, op := range ops {
		if err := op.call(t.Context(), s, k); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("%s after Delete = %v, want an error wrapping ErrNotFound", op.name, err)
		}
	}
	// The same content can be stored again.
	if _, err := blob.PutBytes(t.Context(), s, content); err != nil {
		t.Fatalf("PutBytes after Delete: %v", err)
	}
	checkStored(t, s, k, content)
}

func testInvalidKey(t *testing.T, s blob.Store) {
	valid := keyOf([]byte("x"))
	keys := []struct {
		name string
		key  blob.Key
	}{
		{"empty", ""},
		{"short", valid[:63]},
		{"long", valid + "0"},
		{"uppercase", blob.Key("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")},
		{"path traversal", blob.Key("../../../../../../../../../../../../../../../../../../etc/passwd")[:64]},
		{"slash", valid[:2] + "/" + valid[3:]},
	}
	for _, tc := range keys {
		for _, op := range ops {
			t.Run(tc.name+"/"+op.name, func(t *testing.T) {
				err := op.call(t.Context(), s, tc.key)
				if !errors.Is(err, blob.ErrInvalidKey) {
					t.Errorf("%s(%q) = %v, want an error wrapping ErrInvalidKey", op.name, tc.key, err)
				}
			})
		}
	}
}

func testConcurrentPut(t *testing.T, s blob.Store) {
	const writers = 8
	content, err := io.ReadAll(pseudoRandom(2, 256<<10))
	if err != nil {
		t.Fatal(err)
	}
	want := stored{Key: keyOf(content), Size: int64(len(content))}

	var wg sync.WaitGroup
	got := make([]stored, writers)
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			k, n, err := s.Put(t.Context(), bytes.NewReader(content))
			got[i], errs[i] = stored{k, n}, err
		})
	}
	wg.Wait()
	for i := range writers {
		if errs[i] != nil {
			t.Errorf("Put %d: %v", i, errs[i])
			continue
		}
		if diff := cmp.Diff(want, got[i]); diff != "" {
			t.Errorf("Put %d mismatch (-want +got):\n%s", i, diff)
		}
	}
	checkStored(t, s, want.Key, content)
}

func testFailingReader(t *testing.T, s blob.Store) {
	errUpload := errors.New("upload interrupted")
	partial := []byte("metà di un documento")
	r := io.MultiReader(bytes.NewReader(partial), iotest.ErrReader(errUpload))
	if _, _, err := s.Put(t.Context(), r); !errors.Is(err, errUpload) {
		t.Fatalf("Put = %v, want an error wrapping %v", err, errUpload)
	}
	// Nothing of the failed upload may be left under the key of its prefix.
	if _, err := s.Stat(t.Context(), keyOf(partial)); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat(partial) = %v, want an error wrapping ErrNotFound", err)
	}
}

func testCanceledPut(t *testing.T, s blob.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	content := []byte("too late")
	if _, _, err := s.Put(ctx, bytes.NewReader(content)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put = %v, want an error wrapping context.Canceled", err)
	}
	if _, err := s.Stat(t.Context(), keyOf(content)); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat after canceled Put = %v, want an error wrapping ErrNotFound", err)
	}
}
