package blob

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestGroupSync checks the promise of Sync under concurrency: when it
// returns, a flush that started after the call began has finished, so the
// caller's earlier write is covered; and concurrent callers share flushes.
func TestGroupSync(t *testing.T) {
	var writes atomic.Int64 // writes made so far
	var mu sync.Mutex
	var flushed []int64 // for each finished flush, the writes made when it started
	g := newGroupSync(func() error {
		start := writes.Load()
		mu.Lock()
		defer mu.Unlock()
		flushed = append(flushed, start)
		return nil
	})
	const callers, rounds = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, callers*rounds)
	for range callers {
		wg.Go(func() {
			for range rounds {
				mine := writes.Add(1)
				if err := g.Sync(); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				covered := len(flushed) > 0 && flushed[len(flushed)-1] >= mine
				mu.Unlock()
				if !covered {
					errs <- errors.New("Sync returned before a flush covering the write")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(flushed); n == 0 || n > callers*rounds {
		t.Errorf("%d flushes for %d syncs, want between 1 and %d", n, callers*rounds, callers*rounds)
	}
}

// TestGroupSyncFailure checks that a failed flush fails every caller it
// was meant to cover, and that a later flush that succeeds serves new
// callers.
func TestGroupSyncFailure(t *testing.T) {
	boom := errors.New("disk on fire")
	fail := true
	g := newGroupSync(func() error {
		if fail {
			return boom
		}
		return nil
	})
	if err := g.Sync(); !errors.Is(err, boom) {
		t.Errorf("Sync with a failing flush = %v, want %v", err, boom)
	}
	fail = false
	if err := g.Sync(); err != nil {
		t.Errorf("Sync after the disk recovered = %v, want nil", err)
	}
}
