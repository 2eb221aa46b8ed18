package blob_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
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
			k, n, err := s.Stage(ctx, bytes.NewReader(content))
			if err != nil || k != blob.KeyOf(content) || n != int64(len(content)) {
				t.Fatalf("Stage = %s, %d, %v; want %s, %d", k, n, err, blob.KeyOf(content), len(content))
			}
			if got := blobtest.ReadAll(t, s, k); string(got) != string(content) {
				t.Errorf("content = %q, want %q", got, content)
			}
			if err := s.Sync(); err != nil {
				t.Fatalf("Sync: %v", err)
			}
			// Staging it again finds it stored.
			if k2, _, err := s.Stage(ctx, bytes.NewReader(content)); err != nil || k2 != k {
				t.Fatalf("Stage again = %s, %v; want %s", k2, err, k)
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
		if _, _, err := s.Stage(ctx, strings.NewReader(c)); err != nil {
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
	if _, _, err := s.Stage(ctx, strings.NewReader("quattro")); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); !errors.Is(err, fail) {
		t.Errorf("Sync after a failed flush = %v, want %v", err, fail)
	}
}

// TestKeyOf checks that KeyOf names content as the stores do.
func TestKeyOf(t *testing.T) {
	ctx := context.Background()
	s, _ := newFS(t)
	for _, c := range []string{"", "tre", "certificato di residenza"} {
		k, err := blob.PutBytes(ctx, s, []byte(c))
		if err != nil {
			t.Fatal(err)
		}
		if got := blob.KeyOf([]byte(c)); got != k {
			t.Errorf("KeyOf(%q) = %s, the store says %s", c, got, k)
		}
	}
}
