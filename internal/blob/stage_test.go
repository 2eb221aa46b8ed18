package blob_test

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"

	"github.com/sportello/sportello/internal/blob"
)

// TestStage checks that staged content is stored under its key and that
// durable reports the flush that covers it, once per stage however often
// it is asked.
func TestStage(t *testing.T) {
	ctx := context.Background()
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			s, _ := newFSWith(t, o.open)
			content := []byte("certificato di residenza")
			k, durable, err := blob.StageBytes(ctx, s, content)
			if err != nil {
				t.Fatal(err)
			}
			if err := durable(); err != nil {
				t.Fatalf("durable: %v", err)
			}
			if err := durable(); err != nil {
				t.Fatalf("durable, asked again: %v", err)
			}
			if got := readAll(t, s, k); string(got) != string(content) {
				t.Errorf("content = %q, want %q", got, content)
			}
			// Staging it again finds it stored.
			k2, durable, err := blob.StageBytes(ctx, s, content)
			if err != nil || k2 != k {
				t.Fatalf("StageBytes again = %s, %v; want %s", k2, err, k)
			}
			if err := durable(); err != nil {
				t.Fatalf("durable again: %v", err)
			}
		})
	}
}

// TestStageFlush checks that durable waits for a flush that started after
// the content was written, and returns that flush's error.
func TestStageFlush(t *testing.T) {
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
	_, durable, err := blob.StageBytes(ctx, s, []byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	if err := durable(); err != nil {
		t.Fatalf("durable: %v", err)
	}
	if n := flushes.Load(); n != 1 {
		t.Errorf("%d flushes after one stage, want 1", n)
	}
	failing.Store(true)
	_, durable, err = blob.StageBytes(ctx, s, []byte("two"))
	if err != nil {
		t.Fatal(err)
	}
	if err := durable(); !errors.Is(err, fail) {
		t.Errorf("durable after a failed flush = %v, want %v", err, fail)
	}
}

// TestStageBytesPlainStore checks that a store without staging stores the
// content at once.
func TestStageBytesPlainStore(t *testing.T) {
	ctx := context.Background()
	fs, _ := newFS(t)
	s := plainStore{fs}
	k, durable, err := blob.StageBytes(ctx, s, []byte("tre"))
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s, k); string(got) != "tre" {
		t.Errorf("content = %q before durable", got)
	}
	if err := durable(); err != nil {
		t.Errorf("durable: %v", err)
	}
}

// plainStore hides FS's Stage.
type plainStore struct{ blob.Store }

func readAll(t *testing.T, s blob.Store, k blob.Key) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
