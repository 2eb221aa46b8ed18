package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/tenant"
)

const insertMail = `INSERT INTO mail (ente_id, recipient, subject, body_text, body_html, kind, ref, status, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8) RETURNING id`

// Queue stores m in the ente's outbox and enqueues the job that sends it,
// both inside tx: the message exists, and will be sent, exactly if tx
// commits. Call it in the transaction of the change the message reports, so
// that a citizen is never told of a change that was rolled back nor left
// untold of one that was committed.
func Queue(ctx context.Context, tx *sql.Tx, j *jobs.Jobs, m Message, now time.Time) (ID, error) {
	return queue(ctx, tx, j, m, now, nil)
}

// queue is Queue with River's insert options, which tests use to shorten the
// number of attempts.
func queue(ctx context.Context, tx *sql.Tx, j *jobs.Jobs, m Message, now time.Time, opts *river.InsertOpts) (ID, error) {
	if err := m.Validate(); err != nil {
		return 0, fmt.Errorf("mail: queue %s: %w", m.Kind, err)
	}
	var id ID
	err := tx.QueryRowContext(ctx, insertMail, m.Ente, m.To, m.Subject, m.Text, m.HTML, m.Kind, m.Ref,
		now.UTC().Truncate(time.Microsecond)).Scan(&id)
	if db.IsForeignKeyViolation(err) {
		return 0, apperr.Errorf(apperr.Invalid, "mail: queue %s: ente %d does not exist", m.Kind, m.Ente)
	}
	if err != nil {
		return 0, fmt.Errorf("mail: queue %s: %w", m.Kind, err)
	}
	if _, err := j.EnqueueTx(ctx, tx, SendArgs{Ente: m.Ente, ID: id}, opts); err != nil {
		return 0, fmt.Errorf("mail: queue %s %d: %w", m.Kind, id, err)
	}
	return id, nil
}

const selectMail = `SELECT id, ente_id, recipient, subject, body_text, body_html, kind, ref, status, attempts,
	last_error, via, created_at, sent_at FROM mail`

type scanner interface{ Scan(dest ...any) error }

func scanRecord(s scanner) (*Record, error) {
	r := &Record{}
	var sent sql.NullTime
	var status string
	err := s.Scan(&r.ID, &r.Ente, &r.To, &r.Subject, &r.Text, &r.HTML, &r.Kind, &r.Ref, &status, &r.Attempts,
		&r.LastError, &r.Via, &r.Created, &sent)
	if err != nil {
		return nil, err
	}
	r.Status = Status(status)
	r.Created = r.Created.UTC()
	if sent.Valid {
		r.Sent = sent.Time.UTC()
	}
	return r, nil
}

// Get returns one message of the ente; another ente's message is NotFound,
// as is one that never existed.
func Get(ctx context.Context, q db.Querier, ente tenant.ID, id ID) (*Record, error) {
	r, err := scanRecord(q.QueryRowContext(ctx, selectMail+` WHERE ente_id = $1 AND id = $2`, ente, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Errorf(apperr.NotFound, "mail %d: no such message", id)
	}
	if err != nil {
		return nil, fmt.Errorf("mail %d: %w", id, err)
	}
	return r, nil
}

// Filter narrows List.
type Filter struct {
	// Status keeps only messages in that status; empty means any.
	Status Status
	// Via keeps only messages delivered by that Sender ("catcher" for the
	// demo's page); empty means any.
	Via string
	// Limit caps the number returned; zero or less means DefaultLimit.
	Limit int
}

// DefaultLimit is how many messages List returns when the filter says
// nothing, enough for a page and small enough to render quickly.
const DefaultLimit = 100

// maxLimit caps any Filter.Limit, so that no caller loads a whole outbox.
const maxLimit = 1000

// List returns the ente's messages, newest first, for the office's view of
// what was sent and for the demo's catcher.
func List(ctx context.Context, q db.Querier, ente tenant.ID, f Filter) ([]*Record, error) {
	if !f.Status.valid() {
		return nil, apperr.Errorf(apperr.Invalid, "mail: list: unknown status %q", f.Status)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, maxLimit)
	// Empty parameters match every row, so one query serves every filter.
	rows, err := q.QueryContext(ctx, selectMail+` WHERE ente_id = $1 AND ($2 = '' OR status = $2)
		AND ($3 = '' OR via = $3) ORDER BY created_at DESC, id DESC LIMIT $4`,
		ente, string(f.Status), f.Via, limit)
	if err != nil {
		return nil, fmt.Errorf("mail: list: %w", err)
	}
	defer rows.Close()
	var out []*Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("mail: list: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mail: list: %w", err)
	}
	return out, nil
}

// The worker's updates. Each one leaves a sent message alone, so that a job
// that runs twice (River delivers at least once) never changes the record of
// a delivery.
const (
	// loadForSend reads what the worker needs: the message and the name the
	// ente signs with.
	loadForSend = `SELECT m.recipient, m.subject, m.body_text, m.body_html, m.kind, m.ref, m.status, e.name
		FROM mail m JOIN ente e ON e.id = m.ente_id WHERE m.ente_id = $1 AND m.id = $2`
	markSent = `UPDATE mail SET status = 'sent', attempts = attempts + 1, last_error = '', via = $3, sent_at = $4
		WHERE ente_id = $1 AND id = $2 AND status <> 'sent'`
	markAttempt = `UPDATE mail SET status = $3, attempts = attempts + 1, last_error = $4
		WHERE ente_id = $1 AND id = $2 AND status <> 'sent'`
)

// pending is a message loaded for sending.
type pending struct {
	msg    Message
	status Status
	from   string
}

func load(ctx context.Context, q db.Querier, ente tenant.ID, id ID) (*pending, error) {
	p := &pending{msg: Message{Ente: ente}}
	var status string
	err := q.QueryRowContext(ctx, loadForSend, ente, id).Scan(&p.msg.To, &p.msg.Subject, &p.msg.Text, &p.msg.HTML,
		&p.msg.Kind, &p.msg.Ref, &status, &p.from)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Errorf(apperr.NotFound, "mail %d: no such message", id)
	}
	if err != nil {
		return nil, fmt.Errorf("mail %d: load: %w", id, err)
	}
	p.status = Status(status)
	return p, nil
}
