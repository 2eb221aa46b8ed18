package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
	"time"
)

// On SQLite every committed transaction is appended to the write-ahead log,
// and the log's pages must be copied back into the database file now and
// then (a checkpoint). Left to SQLite, the commit that crosses 1,000 pages
// of log does it before returning, writing and fsyncing megabytes while
// every transaction queued behind it waits: under load a stall of tens of
// milliseconds every few hundred commits. So connections are opened with
// automatic checkpoints off, and a goroutine of the DB checkpoints every
// checkpointEvery instead, in two steps. A PASSIVE checkpoint waits for
// nobody, and copies what no reader still needs while writers go on
// appending. It is not enough on its own: the log starts over from its
// beginning only when a writer finds every frame copied and no reader in
// the log, which under a steady load never happens, so the file would grow
// by every byte written (tens of megabytes a second) and each commit would
// extend it. A RESTART checkpoint then copies the few frames appended
// meanwhile and waits for the readers of the log to finish, so that the
// next writer starts it over. It holds writers back while it waits, so it
// waits at most restartWait: a long reader (an export) makes it give up
// until the next round rather than stall every write.

// checkpointEvery bounds the log to what is written in that time (a few
// megabytes at a thousand certificates a second).
const checkpointEvery = 200 * time.Millisecond

// restartWait bounds how long a RESTART checkpoint waits for the write
// lock and for the log's readers, holding writers back meanwhile.
const restartWait = 25 * time.Millisecond

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
		seen := 0
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				// A failure (the file is busy, or closing) is retried
				// at the next tick; the log only grows meanwhile.
				seen, _ = checkpoint(context.Background(), sqldb, seen)
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

// checkpoint runs one PASSIVE checkpoint and, if the log has frames and
// grew since the last round (seen frames then), a RESTART one; it returns
// the log's size in frames. The RESTART runs on a connection of its own
// with a busy timeout of restartWait, restored before the connection goes
// back to the pool.
func checkpoint(ctx context.Context, sqldb *sql.DB, seen int) (int, error) {
	conn, err := sqldb.Conn(ctx)
	if err != nil {
		return seen, err
	}
	defer conn.Close()
	var busy, logged, copied int
	if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logged, &copied); err != nil {
		return seen, err
	}
	if logged == 0 || logged == seen {
		return logged, nil
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, restartWait.Milliseconds())); err != nil {
		return logged, err
	}
	// SQLITE_BUSY (busy = 1) is no error here: the next round tries again.
	err = conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &logged, &copied)
	if _, rerr := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, busyTimeout.Milliseconds())); rerr != nil {
		// The pool must not keep a connection that gives up so soon.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		return logged, rerr
	}
	return logged, err
}
