package blob_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/blob/blobtest"
)

// TestStage checks that staged content is stored under its key, readable
// at once, and that Sync succeeds.
func TestStage(t *testing.T) {
	ctx := context.Background()
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			s, _ := newFSWith(t, o.open)
			content := []byte("certificato di residenza")
			k, staged, err := blob.StageBytes(ctx, s, content)
			if err != nil || !staged {
				t.Fatalf("StageBytes = %s, %t, %v; want staged", k, staged, err)
			}
			if got := blobtest.ReadAll(t, s, k); string(got) != string(content) {
				t.Errorf("content = %q, want %q", got, content)
			}
			if err := s.Sync(); err != nil {
				t.Fatalf("Sync: %v", err)
			}
			// Staging it again finds it stored.
			if k2, _, err := blob.StageBytes(ctx, s, content); err != nil || k2 != k {
				t.Fatalf("StageBytes again = %s, %v; want %s", k2, err, k)
			}
		})
	}
}

// TestStageSync checks that staging does not flush, that one Sync covers
// everything staged before it, and that Sync reports a failed flush.
func TestStageSync(t *testing.T) {
	ctx := context.Background()
	var flushes atomic.Int64
	fail := errors.New("device gone")
	var failing atomic.Bool
	s, err := blob.NewFSFlushing(t.TempDir(), func() error {
		flushes.Add(1)
		if failing.Load() {
			return fail
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"uno", "due", "tre"} {
		if _, _, err := blob.StageBytes(ctx, s, []byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	if n := flushes.Load(); n != 0 {
		t.Errorf("%d flushes while staging, want 0", n)
	}
	if err := s.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if n := flushes.Load(); n != 1 {
		t.Errorf("%d flushes for one Sync, want 1", n)
	}
	failing.Store(true)
	if _, _, err := blob.StageBytes(ctx, s, []byte("quattro")); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); !errors.Is(err, fail) {
		t.Errorf("Sync after a failed flush = %v, want %v", err, fail)
	}
}

// TestStageBytesPlainStore checks that a store without staging stores the
// content durably at once.
func TestStageBytesPlainStore(t *testing.T) {
	ctx := context.Background()
	fs, _ := newFS(t)
	s := plainStore{fs}
	k, staged, err := blob.StageBytes(ctx, s, []byte("tre"))
	if err != nil || staged {
		t.Fatalf("StageBytes = %t, %v; want stored durably, not staged", staged, err)
	}
	if got := blobtest.ReadAll(t, s, k); string(got) != "tre" {
		t.Errorf("content = %q", got)
	}
}

// plainStore hides FS's Stage.
type plainStore struct{ blob.Store }
