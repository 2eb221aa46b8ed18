package certificate

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/protocol"
)

// This file is the group commit. Rendering and signing a certificate take
// a few tenths of a millisecond of CPU; making it durable takes flushes —
// the file in the blob store, the protocol entry and the certificate row
// in the database — of up to a millisecond or more each, and on SQLite the
// commits of one database are serial. Each request writes its own file
// first and starts its flush (the blob store shares one flush among the
// files waiting at the same time), so the files of the next batch are
// flushed while the database commits the last one. Then requests that
// arrive while a commit is under way queue, and the request that finds no
// commit running becomes the leader: it registers the queued certificates
// in one transaction, then hands over to the next batch. A lone request is
// its own batch, so nothing waits for a timer.
//
// The transaction's statements run while the files are still being
// flushed; it commits only once every file of the batch is durable, so a
// registered certificate always has its file, even after a crash. A batch
// whose file failed to flush rolls back, and its other certificates are
// retried alone.

// pending is one signed and stored certificate waiting to be registered.
type pending struct {
	c     *Certificate
	entry *protocol.Entry
	audit EventFunc
	// existing is set for a certificate that awaited its stamp: its row
	// is updated, not inserted.
	existing bool
	// durable returns once the certificate's file is durable (see
	// blob.Stager); it may be called more than once.
	durable func() error
	done    chan error
}

// maxBatch bounds one transaction, so that a burst does not hold the
// database's write lock for long.
const maxBatch = 128

// commit registers p, whose file is already stored, with whatever else is
// queued.
func (is *Issuer) commit(ctx context.Context, p *pending) error {
	p.done = make(chan error, 1)
	p.existing = p.c.ID != 0
	is.mu.Lock()
	is.queue = append(is.queue, p)
	if is.committing {
		is.mu.Unlock()
		select {
		case err := <-p.done:
			return err
		case <-ctx.Done():
			// The batch goes on; the certificate may still be issued,
			// as with any request the client gives up on.
			return ctx.Err()
		}
	}
	is.committing = true
	// The leader's batches must finish even if its own client leaves.
	bctx := context.WithoutCancel(ctx)
	for len(is.queue) > 0 {
		n := min(len(is.queue), maxBatch)
		batch := is.queue[:n:n]
		is.queue = is.queue[n:]
		is.mu.Unlock()
		is.commitBatch(bctx, batch)
		is.mu.Lock()
	}
	is.committing = false
	is.mu.Unlock()
	return <-p.done
}

// commitBatch registers the batch in one transaction; if that fails, each
// certificate is retried alone so that one bad row does not fail the
// others.
func (is *Issuer) commitBatch(ctx context.Context, batch []*pending) {
	if err := is.register(ctx, batch); err == nil || len(batch) == 1 {
		for _, p := range batch {
			p.done <- err
		}
		return
	}
	for _, p := range batch {
		p.done <- is.register(ctx, []*pending{p})
	}
}

// register numbers and records a batch in one transaction: the protocol
// entries and the audit events of the batch each go in together.
func (is *Issuer) register(ctx context.Context, batch []*pending) error {
	now := is.now()
	entries := make([]*protocol.Entry, len(batch))
	for i, p := range batch {
		entries[i] = p.entry
	}
	return is.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := protocol.RegisterEach(ctx, is.Registrar, tx, entries, now); err != nil {
			return err
		}
		var events []*audit.Event
		for _, p := range batch {
			c := p.c
			c.ProtocolYear, c.ProtocolNumber = p.entry.Year, int64(p.entry.Number)
			var err error
			if p.existing {
				err = markIssued(ctx, tx, c)
			} else {
				err = insert(ctx, tx, c)
			}
			if err != nil {
				return err
			}
			if p.audit != nil {
				ev := p.audit(c)
				events = append(events, &ev)
			}
		}
		if err := audit.RecordAll(ctx, tx, events, now); err != nil {
			return err
		}
		for _, p := range batch {
			if err := p.durable(); err != nil {
				return fmt.Errorf("certificate %s: store the file: %w", p.c.Code, err)
			}
		}
		return nil
	})
}
