package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// Problem names how a chain is broken, so that the command line and the
// administrators' page can explain it in their own words.
type Problem string

// The ways a chain can break; each points at a kind of tampering.
const (
	// Changed: the row's hash does not match its contents, so the row was
	// edited after it was written.
	Changed Problem = "changed"
	// Missing: a sequence number is absent, so a row was removed.
	Missing Problem = "missing"
	// Unchained: the row does not chain to the one before it, so rows were
	// removed, inserted, re-ordered or rewritten with recomputed hashes.
	Unchained Problem = "unchained"
	// Truncated: the head counts more events than are stored, so the last
	// rows were removed.
	Truncated Problem = "truncated"
	// BeyondHead: rows are stored past the head's count, so they were
	// inserted behind the application's back.
	BeyondHead Problem = "beyond-head"
)

// Report is the outcome of checking one ente's chain.
type Report struct {
	Ente tenant.ID
	// Events is how many events were found in order and intact: the whole
	// chain when it is intact, those before the break otherwise.
	Events int64
	// Head is the count the chain's head held when the check began.
	Head int64
	// Seq is the sequence number where the chain first breaks, 0 when it is
	// intact.
	Seq     int64
	Problem Problem
	// Reason explains the break in a sentence, for logs.
	Reason string
}

// Intact reports whether the chain verified from its first event to its head.
func (r Report) Intact() bool { return r.Problem == "" }

const readHead = `SELECT last_seq FROM audit_head WHERE ente_id = $1`

// Verify walks the ente's chain in order, recomputing every hash, and
// reports the first point where it breaks. It streams the rows through one
// Event, so memory stays constant however long the log is, and it may run
// while events are being recorded: events committed during the walk are
// accepted up to the head read when the walk ends. The error is for
// failures to read the log; a broken chain is a Report, not an error.
func Verify(ctx context.Context, q db.Querier, ente tenant.ID) (Report, error) {
	r := Report{Ente: ente}
	var err error
	if r.Head, err = head(ctx, q, ente); err != nil {
		return Report{}, fmt.Errorf("audit: verify ente %d: %w", ente, err)
	}
	rows, err := q.QueryContext(ctx, selectEvent+` WHERE ente_id = $1 ORDER BY seq`, ente)
	if err != nil {
		return Report{}, fmt.Errorf("audit: verify ente %d: %w", ente, err)
	}
	defer rows.Close()
	prev := Genesis
	var e Event
	for rows.Next() {
		if err := scanEvent(rows, &e); err != nil {
			return Report{}, fmt.Errorf("audit: verify ente %d: %w", ente, err)
		}
		want := r.Events + 1
		switch {
		case e.Seq != want:
			return r.broken(want, Missing, "event %d is missing (the next stored is %d)", want, e.Seq), nil
		case e.PreviousHash != prev:
			return r.broken(e.Seq, Unchained, "event %d does not chain to event %d", e.Seq, e.Seq-1), nil
		case e.computeHash() != e.Hash:
			return r.broken(e.Seq, Changed, "event %d's hash does not match its contents", e.Seq), nil
		}
		r.Events, prev = e.Seq, e.Hash
	}
	if err := rows.Err(); err != nil {
		return Report{}, fmt.Errorf("audit: verify ente %d: %w", ente, err)
	}
	rows.Close()
	if r.Events < r.Head {
		return r.broken(r.Events+1, Truncated, "the head counts %d events but the last stored is %d", r.Head, r.Events), nil
	}
	if r.Events > r.Head {
		// Events committed during the walk moved the head on; read it again
		// before calling the rows forged.
		now, err := head(ctx, q, ente)
		if err != nil {
			return Report{}, fmt.Errorf("audit: verify ente %d: %w", ente, err)
		}
		if r.Events > now {
			n := r.Events
			r.Events = now
			return r.broken(now+1, BeyondHead, "events %d to %d are stored past the head's count of %d", now+1, n, now), nil
		}
	}
	return r, nil
}

// broken fills in the break and returns the report.
func (r Report) broken(seq int64, p Problem, format string, args ...any) Report {
	r.Seq, r.Problem, r.Reason = seq, p, fmt.Sprintf(format, args...)
	return r
}

// head reads the chain's count; an ente that never recorded an event has 0.
func head(ctx context.Context, q db.Querier, ente tenant.ID) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, readHead, ente).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// VerifyAll verifies the chain of every ente of the deployment, in the
// order of their ids, for the command line and periodic checks.
func VerifyAll(ctx context.Context, q db.Querier) ([]Report, error) {
	ids, err := enti(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("audit: verify all: %w", err)
	}
	out := make([]Report, 0, len(ids))
	for _, id := range ids {
		r, err := Verify(ctx, q, id)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// enti lists the ids before any chain is walked: inside a transaction a
// connection cannot start a query while another one's rows are open.
func enti(ctx context.Context, q db.Querier) ([]tenant.ID, error) {
	rows, err := q.QueryContext(ctx, `SELECT id FROM ente ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []tenant.ID
	for rows.Next() {
		var id tenant.ID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
