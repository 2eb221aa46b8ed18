package blob

import "sync"

// groupSync shares one flush among the callers that ask for it at the same
// time, as a database's group commit shares one fsync: a caller's Sync
// returns once a flush that started after the call has finished, so every
// write the caller made before calling is covered, and concurrent callers
// pay for one flush instead of one each.
type groupSync struct {
	flush func() error

	mu      sync.Mutex
	cond    *sync.Cond
	running bool
	started uint64 // flushes started so far; the running one is number started
	done    uint64 // flushes finished so far
	// failed is the number of the last flush that failed. A later flush
	// that succeeds does not make up for it: after a failed fsync the
	// kernel may have dropped the dirty pages, so every caller the failed
	// flush was meant to cover gets its error.
	failed    uint64
	failedErr error
}

func newGroupSync(flush func() error) *groupSync {
	g := &groupSync{flush: flush}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// Sync returns when a flush started after the call has finished, with that
// flush's error or the error of any flush since then.
func (g *groupSync) Sync() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	// A flush running now may have started before the caller's writes: the
	// caller needs the next one.
	want := g.started + 1
	for g.done < want {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.started++
		n := g.started
		g.mu.Unlock()
		err := g.flush()
		g.mu.Lock()
		g.running = false
		g.done = n
		if err != nil {
			g.failed, g.failedErr = n, err
		}
		g.cond.Broadcast()
	}
	if g.failed >= want {
		return g.failedErr
	}
	return nil
}
