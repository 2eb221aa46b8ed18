package db

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// On SQLite every committed transaction is appended to the write-ahead log,
// and the log's pages must be copied back into the database file now and
// then (a checkpoint). Left to SQLite, the commit that crosses 1,000 pages
// of log does it before returning, writing and fsyncing megabytes while
// every transaction queued behind it waits: under load a stall of tens of
// milliseconds every few hundred commits. So connections are opened with
// automatic checkpoints off, and a goroutine of the DB runs a PASSIVE
// checkpoint every checkpointEvery instead: PASSIVE waits for nobody, and
// copies what no reader still needs while writers go on appending.

// checkpointEvery bounds the log to what is written in that time (a few
// megabytes at a thousand certificates a second).
const checkpointEvery = 200 * time.Millisecond

// checkpointer runs the checkpoints of one SQLite database.
type checkpointer struct {
	stop    chan struct{}
	stopped sync.Once
	done    sync.WaitGroup
}

// startCheckpointer checkpoints sqldb until stopped.
func startCheckpointer(sqldb *sql.DB) *checkpointer {
	c := &checkpointer{stop: make(chan struct{})}
	c.done.Add(1)
	go func() {
		defer c.done.Done()
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				// A failure (the file is busy, or closing) is retried
				// at the next tick; the log only grows meanwhile.
				_ = checkpoint(context.Background(), sqldb)
			}
		}
	}()
	return c
}

// close stops the checkpoints and waits for the one under way.
func (c *checkpointer) close() {
	c.stopped.Do(func() { close(c.stop) })
	c.done.Wait()
}

// checkpoint runs one PASSIVE checkpoint. (Its row says whether it was
// blocked and how many pages it copied; nothing here needs them.)
func checkpoint(ctx context.Context, q Querier) error {
	_, err := q.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
	return err
}
