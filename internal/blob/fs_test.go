package blob_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/blob/blobtest"
)

func newFS(t testing.TB) (*blob.FS, string) {
	return newFSWith(t, blob.NewFS)
}

func newFSWith(t testing.TB, open func(string) (*blob.FS, error)) (*blob.FS, string) {
	t.Helper()
	root := t.TempDir()
	s, err := open(root)
	if err != nil {
		t.Fatalf("NewFS: %v", err)
	}
	return s, root
}

// openers are the two ways an FS makes a Put durable: one shared flush
// (Linux) or an fsync of each file and directory (elsewhere).
var openers = []struct {
	name string
	open func(string) (*blob.FS, error)
}{
	{"group flush", blob.NewFS},
	{"each synced", blob.NewFSEachSynced},
}

func TestFS(t *testing.T) {
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			blobtest.RunSuite(t, func(t *testing.T) blob.Store {
				s, _ := newFSWith(t, o.open)
				return s
			})
		})
	}
}

// TestFSLayout pins the layout on disk, which backups and operators rely on,
// and checks that Put leaves no temporary file behind, failed or not.
func TestFSLayout(t *testing.T) {
	s, root := newFS(t)
	k, err := blob.PutBytes(t.Context(), s, []byte("hello"))
	if err != nil {
		t.Fatalf("PutBytes: %v", err)
	}
	const hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	if k != hello {
		t.Fatalf("PutBytes(hello) = %s, want %s", k, hello)
	}
	if _, err := os.Stat(filepath.Join(root, "2c", "f2", hello)); err != nil {
		t.Errorf("content not at <root>/2c/f2/<key>: %v", err)
	}
	if _, _, err := s.Put(t.Context(), iotest.ErrReader(errors.New("connection reset"))); err == nil {
		t.Errorf("Put(failing reader) succeeded")
	}
	var left []string
	entries, err := os.ReadDir(filepath.Join(root, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if diff := cmp.Diff([]string(nil), left); diff != "" {
		t.Errorf("temporary files mismatch (-want +got):\n%s", diff)
	}
}

// TestFSCorrupt checks that a file damaged on disk is not served as the
// document: the reader fails with ErrCorrupt at the end.
func TestFSCorrupt(t *testing.T) {
	s, root := newFS(t)
	k, err := blob.PutBytes(t.Context(), s, []byte("certificato di residenza"))
	if err != nil {
		t.Fatalf("PutBytes: %v", err)
	}
	path := filepath.Join(root, string(k[0:2]), string(k[2:4]), string(k))
	if err := os.WriteFile(path, []byte("certificato di residenzA"), 0o600); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Open(t.Context(), k)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); !errors.Is(err, blob.ErrCorrupt) {
		t.Errorf("reading a damaged file = %v, want an error wrapping ErrCorrupt", err)
	}
}

// TestFSPutRepairs checks that putting a content again replaces a damaged
// copy, so a re-upload heals the store: one of another size, and one of
// the same size (a crash before the flush can leave one under the final
// name), since Put compares the bytes, not only the size.
func TestFSPutRepairs(t *testing.T) {
	content := []byte("verbale di consegna")
	for _, tc := range []struct {
		name    string
		damaged []byte
	}{
		{"shorter", content[:5]},
		{"same size", make([]byte, len(content))},
	} {
		for _, o := range openers {
			t.Run(tc.name+"/"+o.name, func(t *testing.T) {
				testFSPutRepairs(t, o.open, content, tc.damaged)
			})
		}
	}
}

func testFSPutRepairs(t *testing.T, open func(string) (*blob.FS, error), content, damaged []byte) {
	s, root := newFSWith(t, open)
	k, err := blob.PutBytes(t.Context(), s, content)
	if err != nil {
		t.Fatalf("PutBytes: %v", err)
	}
	path := filepath.Join(root, string(k[0:2]), string(k[2:4]), string(k))
	if err := os.WriteFile(path, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := blob.PutBytes(t.Context(), s, content); err != nil {
		t.Fatalf("PutBytes again: %v", err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(content, got); diff != "" {
		t.Errorf("file after second Put mismatch (-want +got):\n%s", diff)
	}
}

func TestNewFSEmptyRoot(t *testing.T) {
	if _, err := blob.NewFS(""); err == nil {
		t.Errorf("NewFS(\"\") succeeded, want an error")
	}
}

// BenchmarkFSPut1MB stores distinct 1 MB documents, one at a time and from
// 8 goroutines at once (where the shared flush pays off), durably.
func BenchmarkFSPut1MB(b *testing.B) {
	payload := make([]byte, 1<<20)
	for _, par := range []int{1, 8} {
		b.Run(fmt.Sprintf("writers=%d", par), func(b *testing.B) {
			s, _ := newFS(b)
			var next atomic.Uint64
			put := func() error {
				var head [8]byte
				binary.LittleEndian.PutUint64(head[:], next.Add(1))
				_, _, err := s.Put(b.Context(), io.MultiReader(bytes.NewReader(head[:]), bytes.NewReader(payload[8:])))
				return err
			}
			b.SetBytes(int64(len(payload)))
			if par == 1 {
				for b.Loop() {
					if err := put(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
				return
			}
			b.SetParallelism(max(1, par/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := put(); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
		})
	}
}
