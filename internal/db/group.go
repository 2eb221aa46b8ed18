package db

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// Group commits the work of concurrent callers together: one transaction,
// one durable commit (one fsync) for all of them, each caller's work in a
// savepoint of its own so that one that fails is rolled back alone. A
// caller that finds no group committing leads one itself at once (there is
// no timer: a lone caller is its own group); callers that arrive while it
// commits wait and form the next group. Only what every caller would
// otherwise pay is shared — the commit — so use it where commits dominate:
// many small transactions of the same kind (submissions of pratiche).
//
// A function run in a group must not keep tx beyond its return, must not
// commit or roll back, and must be safe to run after other callers' work
// in the same transaction (it sees their rows). If the commit itself fails,
// every caller of the group gets the error and none of their work remains.
type Group struct {
	db  *DB
	max int

	mu      sync.Mutex
	queue   []*groupCall
	leading bool
}

type groupCall struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error
}

// NewGroup returns a Group over db that puts at most max callers in one
// transaction (64 when max < 1).
func (db *DB) NewGroup(max int) *Group {
	if max < 1 {
		max = 64
	}
	return &Group{db: db, max: max}
}

// Do runs fn in a transaction shared with concurrent callers and returns
// once that transaction committed (nil) or fn or the commit failed.
func (g *Group) Do(ctx context.Context, fn func(tx *sql.Tx) error) error {
	c := &groupCall{ctx: ctx, fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	lead := !g.leading
	if lead {
		g.leading = true
	}
	g.mu.Unlock()
	if lead {
		g.lead()
	}
	return <-c.done
}

// lead commits groups until the queue is empty.
func (g *Group) lead() {
	for {
		g.mu.Lock()
		n := min(len(g.queue), g.max)
		if n == 0 {
			g.leading = false
			g.mu.Unlock()
			return
		}
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		g.mu.Unlock()
		g.commit(batch)
	}
}

// commit runs batch in one transaction, each call in its savepoint.
func (g *Group) commit(batch []*groupCall) {
	results := make([]error, len(batch))
	err := g.db.InTx(context.Background(), func(tx *sql.Tx) error {
		for i, c := range batch {
			if err := c.ctx.Err(); err != nil {
				results[i] = err
				continue
			}
			results[i] = savepoint(c.ctx, tx, c.fn)
		}
		return nil
	})
	for i, c := range batch {
		if err != nil && results[i] == nil {
			results[i] = err
		}
		c.done <- results[i]
	}
}

// savepoint runs fn inside a savepoint of tx and rolls it back if fn fails
// (or panics: the panic is returned as the caller's error, not spread to
// the others of the group).
func savepoint(ctx context.Context, tx *sql.Tx, fn func(tx *sql.Tx) error) (err error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT group_call`); err != nil {
		return fmt.Errorf("db: savepoint: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("db: panic in a grouped transaction: %v", p)
		}
		if err != nil {
			if _, rerr := tx.ExecContext(context.Background(), `ROLLBACK TO SAVEPOINT group_call`); rerr != nil {
				err = fmt.Errorf("%w (and rolling back: %v)", err, rerr)
			}
		}
		if _, rerr := tx.ExecContext(context.Background(), `RELEASE SAVEPOINT group_call`); rerr != nil && err == nil {
			err = fmt.Errorf("db: release savepoint: %w", rerr)
		}
	}()
	return fn(tx)
}
