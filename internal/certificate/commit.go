package certificate

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/protocol"
)

// This file is the group commit. Rendering and signing a certificate take
// a few tenths of a millisecond of CPU; making it durable takes a device
// flush of up to a millisecond or more, and on SQLite the commits of one
// database are serial. Requests that arrive while a commit is under way
// queue, and the request that finds no commit running becomes the leader:
// it registers the queued certificates in one transaction, then hands
// over to the next batch. A lone request is its own batch, so nothing
// waits for a timer.
//
// A request does not wait for its file's flush: with a store that flushes
// later (blob.Stager, the file system), the transaction that registers the
// certificate keeps a copy of the bytes in certificate_file, made
// durable by the same commit, so a crash cannot lose a file the citizen
// was given, and the file is written while that transaction commits. A
// request thus waits for one flush, the database's, not two. After the
// commit one flush of the store covers the files of many requests, and a
// later transaction of the group commit removes their copies (settleLater,
// in settle.go); the job certificate_settle_files puts back what a crash,
// or a failed write, left. A store without staging (S3) is written
// durably before the registration, which then keeps no copy. With
// FilesInDatabase (SQLite, ADR 0012) the file is not written to a store at
// all: the registration keeps it for good, and its commit is the only
// write.

// pending is one signed and stored certificate waiting to be registered.
type pending struct {
	c     *Certificate
	entry *protocol.Entry
	audit EventFunc
	// existing is set for a certificate that awaited its stamp: its row
	// is updated, not inserted.
	existing bool
	// pdf is the certificate's file; kept is set when the registration
	// keeps it in certificate_file: for good with FilesInDatabase, as a
	// copy when the store flushes it later.
	pdf  []byte
	kept bool
	done chan error
}

// maxBatch bounds one transaction, so that a burst does not hold the
// database's write lock for long.
const maxBatch = 128

// store writes p's file and registers p. With FilesInDatabase the
// registration keeps the file, and nothing else is written. With a Stager
// the file is written while the registration commits, and queued for the
// settler once both are done; a failed write leaves the certificate
// issued, its bytes in the kept copy, for SettleFiles (and File, if the
// file is asked for first). Any other store is written durably first.
func (is *Issuer) store(ctx context.Context, p *pending) error {
	if is.FilesInDatabase {
		p.kept = true
		return is.commit(ctx, p)
	}
	st, ok := is.Blobs.(blob.Stager)
	if !ok {
		if _, err := blob.PutBytes(ctx, is.Blobs, p.pdf); err != nil {
			return fmt.Errorf("certificate: store the file: %w", err)
		}
		return is.commit(ctx, p)
	}
	p.kept = true
	written := make(chan error, 1)
	go func() {
		// The write belongs to the issuance, whatever the client does.
		k, _, err := st.Stage(context.WithoutCancel(ctx), bytes.NewReader(p.pdf))
		if err == nil && string(k) != p.c.DocumentSHA256 {
			err = fmt.Errorf("certificate: the store named the file %s, not %s", k, p.c.DocumentSHA256)
		}
		written <- err
	}()
	err := is.commit(ctx, p)
	if werr := <-written; err == nil && werr == nil {
		is.settleLater(p)
	}
	return err
}

// commit registers p with whatever else is queued.
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
	is.mu.Unlock()
	// The leader's batches must finish even if its own client leaves.
	is.lead(context.WithoutCancel(ctx))
	return <-p.done
}

// lead commits batches, and removes the kept copies of settled files, until
// nothing is left; the caller has set committing. Every write of the
// issuer goes through here, one transaction at a time, so that none waits
// in SQLite's busy handler for another.
func (is *Issuer) lead(ctx context.Context) {
	is.mu.Lock()
	for len(is.queue) > 0 || len(is.settled) > 0 {
		n := min(len(is.queue), maxBatch)
		batch := is.queue[:n:n]
		is.queue = is.queue[n:]
		settled := is.settled
		is.settled = nil
		is.mu.Unlock()
		is.commitBatch(ctx, batch, settled)
		is.mu.Lock()
	}
	is.committing = false
	is.mu.Unlock()
}

// commitBatch registers the batch in one transaction, with the removal of
// the settled copies; if that fails, each certificate is retried alone so
// that one bad row does not fail the others. (Copies whose removal failed
// stay for SettleFiles.)
func (is *Issuer) commitBatch(ctx context.Context, batch []*pending, settled []fileRef) {
	if err := is.register(ctx, batch, settled); err == nil || len(batch) <= 1 {
		for _, p := range batch {
			p.done <- err
		}
		return
	}
	for _, p := range batch {
		p.done <- is.register(ctx, []*pending{p}, nil)
	}
}

// register numbers and records a batch in one transaction: the protocol
// entries and the audit events of the batch each go in together. The
// kept copies of settled files are removed in the same transaction.
func (is *Issuer) register(ctx context.Context, batch []*pending, settled []fileRef) error {
	now := is.now()
	entries := make([]*protocol.Entry, len(batch))
	for i, p := range batch {
		entries[i] = p.entry
	}
	return is.DB.InTx(ctx, func(tx *sql.Tx) error {
		for _, r := range settled {
			if _, err := tx.ExecContext(ctx, deletePending, r.ente, r.id); err != nil {
				return fmt.Errorf("certificate %d (ente %d): remove the kept file: %w", r.id, r.ente, err)
			}
		}
		if len(batch) == 0 {
			return nil
		}
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
			if p.kept {
				if err := keepFile(ctx, tx, p.c, p.pdf, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
