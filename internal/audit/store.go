package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/chain"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// Record appends e to its ente's log inside the caller's transaction, so
// that an audited change and its event are committed or rolled back
// together: a role granted without its event, or an event for a change that
// never happened, cannot exist. It validates e, truncates its IP and fills
// in Seq, At, PreviousHash and Hash.
//
// It takes a *sql.Tx, not a db.Querier, because the chain's head row stays
// locked until the transaction ends: concurrent writers of one ente queue
// behind it, so sequence numbers have no gaps and every event chains to the
// one committed before it, while different enti have different heads and
// never wait for each other. An event with no change of its own (a failed
// login) is recorded in a transaction of its own:
//
//	err := d.InTx(ctx, func(tx *sql.Tx) error { return audit.Record(ctx, tx, e, now) })
//
// The transaction must run at READ COMMITTED (the default on PostgreSQL;
// on SQLite every write transaction is serial), must be rolled back if
// Record fails, and should be short: the head is held until it ends.
func Record(ctx context.Context, tx *sql.Tx, e *Event, now time.Time) error {
	return RecordAll(ctx, tx, []*Event{e}, now)
}

// RecordAll appends events, in order, as Record would one at a time, with
// fewer statements: each ente's head hash is written once, after all its
// events. A group commit records its batch with it. On error nothing may
// be committed: the caller rolls back.
func RecordAll(ctx context.Context, tx *sql.Tx, events []*Event, now time.Time) error {
	for _, e := range events {
		if err := e.validate(); err != nil {
			return fmt.Errorf("audit: record %s: %w", e.Action, err)
		}
	}
	for _, mine := range chain.Split(events, func(e *Event) tenant.ID { return e.Ente }) {
		if err := record(ctx, tx, mine, now); err != nil {
			return fmt.Errorf("audit: record %s: %w", mine[0].Action, err)
		}
	}
	return nil
}

const (
	// advanceHead takes the next number and, by updating the row, locks
	// the head until the transaction ends.
	advanceHead = `UPDATE audit_head SET last_seq = last_seq + 1 WHERE ente_id = $1 RETURNING last_seq, last_hash`
	insertHead  = `INSERT INTO audit_head (ente_id, last_seq, last_hash) VALUES ($1, 0, $2)
		ON CONFLICT (ente_id) DO NOTHING`
	insertEvent = `INSERT INTO audit_event (ente_id, seq, at, actor_kind, actor_id, actor_name, action, subject,
		outcome, request_id, ip, detail, previous_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`
	setHeadHash = `UPDATE audit_head SET last_hash = $2 WHERE ente_id = $1`
)

// record numbers, chains and stores es, valid events of one ente: two
// statements per event and one more for the head's hash. The head is read
// from its own row, never from the event table, so appending costs the
// same at the millionth event as at the first. (The database lets the
// head move one number at a time, so each event advances it.)
func record(ctx context.Context, tx *sql.Tx, es []*Event, now time.Time) error {
	ente := es[0].Ente
	at := now.UTC().Truncate(time.Microsecond)
	var prev string
	for i, e := range es {
		var head string
		err := tx.QueryRowContext(ctx, advanceHead, ente).Scan(&e.Seq, &head)
		if errors.Is(err, sql.ErrNoRows) {
			// The ente's first event. The insert waits for a concurrent
			// first writer's key and then does nothing; the update then
			// finds and locks the committed row.
			if _, err := tx.ExecContext(ctx, insertHead, ente, Genesis); db.IsForeignKeyViolation(err) {
				return apperr.Errorf(apperr.NotFound, "ente %d: no such ente", ente)
			} else if err != nil {
				return fmt.Errorf("head: %w", err)
			}
			err = tx.QueryRowContext(ctx, advanceHead, ente).Scan(&e.Seq, &head)
		}
		if err != nil {
			return fmt.Errorf("head: %w", err)
		}
		if i == 0 {
			prev = head // later heads' hashes are set at the end
		}
		e.PreviousHash, e.At = prev, at
		e.Hash = e.computeHash()
		_, err = tx.ExecContext(ctx, insertEvent, e.Ente, e.Seq, e.At, string(e.Actor.Kind), e.Actor.ID, e.Actor.Name,
			string(e.Action), e.Subject, string(e.Outcome), e.RequestID, e.IP, e.Detail, e.PreviousHash, e.Hash)
		if err != nil {
			return fmt.Errorf("event %d: %w", e.Seq, err)
		}
		prev = e.Hash
	}
	if _, err := tx.ExecContext(ctx, setHeadHash, ente, prev); err != nil {
		return fmt.Errorf("head: %w", err)
	}
	return nil
}

const selectEvent = `SELECT ente_id, seq, at, actor_kind, actor_id, actor_name, action, subject, outcome,
	request_id, ip, detail, previous_hash, hash FROM audit_event`

type scanner interface{ Scan(dest ...any) error }

// scanEvent reads one row into e, reusing its memory, so that Verify can
// stream a chain of any length through a single Event.
func scanEvent(s scanner, e *Event) error {
	var kind, action, outcome string
	err := s.Scan(&e.Ente, &e.Seq, &e.At, &kind, &e.Actor.ID, &e.Actor.Name, &action, &e.Subject, &outcome,
		&e.RequestID, &e.IP, &e.Detail, &e.PreviousHash, &e.Hash)
	if err != nil {
		return err
	}
	e.At = e.At.UTC()
	e.Actor.Kind, e.Action, e.Outcome = ActorKind(kind), Action(action), Outcome(outcome)
	return nil
}

// Filter selects events for the administrators' page. Zero fields select
// everything; set fields must all match.
type Filter struct {
	// Actor matches on Kind when set and on ID when set; Name is ignored,
	// because names are labels, not identities.
	Actor   Actor
	Action  Action
	Subject string
	// From and To bound At to [From, To); zero means unbounded.
	From, To time.Time
	// Limit is the page size: 0 means DefaultLimit, more than MaxLimit is
	// cut to MaxLimit.
	Limit int
	// BeforeSeq continues a listing after its last page: pass the Seq of
	// the page's last (oldest) event. Zero starts from the newest event.
	BeforeSeq int64
}

// Page sizes of List: a screenful by default, and a bound on what one
// request can make the database read.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// List returns the ente's events matching f, newest first, at most
// f.Limit of them. Pagination is by sequence number (keyset), so that a
// page costs the same at the end of a long log as at its start and events
// recorded meanwhile do not shift the pages.
func List(ctx context.Context, q db.Querier, ente tenant.ID, f Filter) ([]Event, error) {
	if f.Limit < 0 || f.BeforeSeq < 0 {
		return nil, apperr.Errorf(apperr.Invalid, "audit: list: negative limit or sequence number")
	}
	limit := f.Limit
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit > MaxLimit:
		limit = MaxLimit
	}
	var where strings.Builder
	args := []any{ente}
	// cond adds "AND <column op> $n" with v as the nth argument.
	cond := func(columnOp string, v any) {
		args = append(args, v)
		where.WriteString(" AND " + columnOp + " $" + strconv.Itoa(len(args)))
	}
	if f.Actor.Kind != "" {
		cond("actor_kind =", string(f.Actor.Kind))
	}
	if f.Actor.ID != "" {
		cond("actor_id =", f.Actor.ID)
	}
	if f.Action != "" {
		cond("action =", string(f.Action))
	}
	if f.Subject != "" {
		cond("subject =", f.Subject)
	}
	if !f.From.IsZero() {
		cond("at >=", f.From.UTC())
	}
	if !f.To.IsZero() {
		cond("at <", f.To.UTC())
	}
	if f.BeforeSeq > 0 {
		cond("seq <", f.BeforeSeq)
	}
	args = append(args, limit)
	query := selectEvent + ` WHERE ente_id = $1` + where.String() + ` ORDER BY seq DESC LIMIT $` + strconv.Itoa(len(args))
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	out := make([]Event, 0, min(limit, 64))
	for rows.Next() {
		var e Event
		if err := scanEvent(rows, &e); err != nil {
			return nil, fmt.Errorf("audit: list: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	return out, nil
}
