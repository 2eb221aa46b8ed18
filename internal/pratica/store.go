package pratica

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// noDue is what the due column holds while no deadline runs: a real date
// later than any deadline, so that such pratiche sort after every dated one
// in the queue's (due, id) order without NULLs, which the engines sort
// differently.
const noDue = "9999-12-31"

func dueColumn(d calendar.Date) string {
	if d.IsZero() {
		return noDue
	}
	return d.String()
}

func dueOf(s string) (calendar.Date, error) {
	if s == noDue {
		return calendar.Date{}, nil
	}
	return calendar.ParseDate(s)
}

const praticaColumns = `id, ente_id, service, service_version, title, citizen_id, filed_by_citizen,
	filed_by_operator, delegation_id, office_id, state, answers, term_days, term_working, silent_assent, fee,
	idempotency_key, protocol_year, protocol_number, outcome_year, outcome_number, submitted_at, decided_at, due,
	assignee_id, created_at, updated_at, draft_expires, form_version`

type scanner interface{ Scan(dest ...any) error }

func scanPratica(s scanner) (*Pratica, error) {
	p := &Pratica{}
	var filedCitizen, filedOperator, delegation, protoYear, protoNumber, outYear, outNumber, assignee sql.NullInt64
	var key sql.NullString
	var submitted, decided, expires sql.NullTime
	var state, answers, due string
	err := s.Scan(&p.ID, &p.Ente, &p.Service, &p.ServiceVersion, &p.Title, &p.Citizen, &filedCitizen,
		&filedOperator, &delegation, &p.Office, &state, &answers, &p.Term.Days, &p.Term.Working,
		&p.Term.SilentAssent, &p.Fee, &key, &protoYear, &protoNumber, &outYear, &outNumber, &submitted, &decided,
		&due, &assignee, &p.CreatedAt, &p.UpdatedAt, &expires, &p.FormVersion)
	if err != nil {
		return nil, err
	}
	p.FiledBy = identity.OperatorSubject(identity.OperatorID(filedOperator.Int64))
	if filedCitizen.Valid {
		p.FiledBy = identity.CitizenSubject(identity.CitizenID(filedCitizen.Int64))
	}
	p.Delegation = identity.DelegationID(delegation.Int64)
	p.State, p.Answers, p.idempotencyKey = State(state), []byte(answers), key.String
	p.ProtocolYear, p.ProtocolNumber = int(protoYear.Int64), protoNumber.Int64
	p.OutcomeYear, p.OutcomeNumber = int(outYear.Int64), outNumber.Int64
	p.SubmittedAt, p.DecidedAt, p.DraftExpires = timeOf(submitted), timeOf(decided), timeOf(expires)
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	p.Assignee = identity.OperatorID(assignee.Int64)
	if p.Due, err = dueOf(due); err != nil {
		return nil, fmt.Errorf("due %q: %w", due, err)
	}
	return p, nil
}

func timeOf(n sql.NullTime) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return n.Time.UTC()
}

func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: ts(t), Valid: true}
}

func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// notFound turns sql.ErrNoRows into NotFound, so that a missing pratica and
// another ente's look the same to the caller.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &apperr.Error{Kind: apperr.NotFound, Public: "Pratica non trovata.", Err: err}
	}
	return err
}

// Get returns one pratica of the ente with its attachments; another ente's
// pratica is NotFound.
func Get(ctx context.Context, q db.Querier, ente tenant.ID, id ID) (*Pratica, error) {
	p, err := scanPratica(q.QueryRowContext(ctx, `SELECT `+praticaColumns+` FROM pratica WHERE ente_id = $1 AND id = $2`, ente, id))
	if err != nil {
		return nil, fmt.Errorf("pratica %d: %w", id, notFound(err))
	}
	if p.Attachments, err = attachments(ctx, q, ente, id); err != nil {
		return nil, fmt.Errorf("pratica %d: %w", id, err)
	}
	return p, nil
}

// lock reads the pratica and holds its row until the transaction ends: an
// UPDATE that changes nothing takes the row lock on PostgreSQL (where
// SELECT … FOR UPDATE would do the same but is not SQLite syntax), and on
// SQLite the transaction already holds the database's write lock.
func lock(ctx context.Context, tx *sql.Tx, ente tenant.ID, id ID) (*Pratica, error) {
	p, err := scanPratica(tx.QueryRowContext(ctx, `UPDATE pratica SET updated_at = updated_at
		WHERE ente_id = $1 AND id = $2 RETURNING `+praticaColumns, ente, id))
	if err != nil {
		return nil, notFound(err)
	}
	return p, nil
}

const updatePratica = `UPDATE pratica SET state = $3, idempotency_key = $4, protocol_year = $5, protocol_number = $6,
	outcome_year = $7, outcome_number = $8, submitted_at = $9, decided_at = $10, due = $11, assignee_id = $12,
	updated_at = $13, draft_expires = $14, term_warned = CASE WHEN due = $11 THEN term_warned ELSE 0 END,
	form_version = $15 WHERE ente_id = $1 AND id = $2`

// save writes the fields a change may touch; p is locked. A new due date
// (a term suspended and resumed) forgets the warnings sent about the old.
func save(ctx context.Context, tx *sql.Tx, p *Pratica) error {
	_, err := tx.ExecContext(ctx, updatePratica, p.Ente, p.ID, string(p.State), nullString(p.idempotencyKey),
		nullInt(int64(p.ProtocolYear)), nullInt(p.ProtocolNumber), nullInt(int64(p.OutcomeYear)),
		nullInt(p.OutcomeNumber), nullTime(p.SubmittedAt), nullTime(p.DecidedAt), dueColumn(p.Due),
		nullInt(int64(p.Assignee)), ts(p.UpdatedAt), nullTime(p.DraftExpires), max(1, p.FormVersion))
	if db.IsForeignKeyViolation(err) {
		return apperr.Errorf(apperr.Invalid, "save: operator %d is not of ente %d", p.Assignee, p.Ente)
	}
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

const insertEvent = `INSERT INTO pratica_event (ente_id, pratica_id, seq, at, actor_kind, actor_citizen,
	actor_operator, kind, from_state, to_state, reason, assignee_id)
	VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM pratica_event WHERE ente_id = $1 AND pratica_id = $2),
	$3, $4, $5, $6, $7, $8, $9, $10, $11)`

// addEvent appends e to the pratica's history; the pratica is locked (or
// being created), so the next sequence number is this transaction's.
func addEvent(ctx context.Context, q db.Querier, ente tenant.ID, id ID, e Event) error {
	var cit, op sql.NullInt64
	switch e.Actor.Kind {
	case ActorCitizen:
		cit = nullInt(e.Actor.ID)
	case ActorOperator:
		op = nullInt(e.Actor.ID)
	}
	_, err := q.ExecContext(ctx, insertEvent, ente, id, ts(e.At), string(e.Actor.Kind), cit, op, string(e.Kind),
		string(e.From), string(e.To), e.Reason, nullInt(int64(e.Assignee)))
	if db.IsForeignKeyViolation(err) {
		return apperr.Errorf(apperr.Invalid, "event %s: %s is not a person of this ente", e.Kind, e.Actor)
	}
	if err != nil {
		return fmt.Errorf("event %s: %w", e.Kind, err)
	}
	return nil
}

// Events returns a pratica's history in order, for its timeline; another
// ente's pratica is NotFound.
func Events(ctx context.Context, q db.Querier, ente tenant.ID, id ID) ([]Event, error) {
	out, err := events(ctx, q, ente, id)
	if err != nil {
		return nil, fmt.Errorf("pratica %d: events: %w", id, err)
	}
	if len(out) == 0 {
		// Every pratica has its creation event: none means no pratica.
		return nil, fmt.Errorf("pratica %d: events: %w", id, notFound(sql.ErrNoRows))
	}
	return out, nil
}

func events(ctx context.Context, q db.Querier, ente tenant.ID, id ID) ([]Event, error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, at, actor_kind, actor_citizen, actor_operator, kind, from_state,
		to_state, reason, assignee_id FROM pratica_event WHERE ente_id = $1 AND pratica_id = $2 ORDER BY seq`, ente, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var actorKind, kind, from, to string
		var cit, op, assignee sql.NullInt64
		if err := rows.Scan(&e.Seq, &e.At, &actorKind, &cit, &op, &kind, &from, &to, &e.Reason, &assignee); err != nil {
			return nil, err
		}
		e.At, e.Kind, e.From, e.To = e.At.UTC(), EventKind(kind), State(from), State(to)
		e.Actor = Actor{Kind: ActorKind(actorKind), ID: cit.Int64 + op.Int64}
		e.Assignee = identity.OperatorID(assignee.Int64)
		out = append(out, e)
	}
	return out, rows.Err()
}

const selectAttachment = `SELECT id, field, name, mime, size, sha256, kind, message_id, created_at FROM pratica_attachment`

func scanAttachment(s scanner) (Attachment, error) {
	var a Attachment
	var kind string
	var msg sql.NullInt64
	err := s.Scan(&a.ID, &a.Field, &a.Name, &a.MIME, &a.Size, &a.SHA256, &kind, &msg, &a.CreatedAt)
	a.Kind, a.Message, a.CreatedAt = AttachmentKind(kind), msg.Int64, a.CreatedAt.UTC()
	return a, err
}

func attachments(ctx context.Context, q db.Querier, ente tenant.ID, id ID) ([]Attachment, error) {
	rows, err := q.QueryContext(ctx, selectAttachment+` WHERE ente_id = $1 AND pratica_id = $2 ORDER BY id`, ente, id)
	if err != nil {
		return nil, fmt.Errorf("attachments: %w", err)
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return nil, fmt.Errorf("attachments: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

const insertAttachment = `INSERT INTO pratica_attachment (ente_id, pratica_id, message_id, kind, field, name, mime,
	size, sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`

// addAttachment records a file already in the blob store.
func addAttachment(ctx context.Context, q db.Querier, ente tenant.ID, id ID, a *Attachment) error {
	a.CreatedAt = ts(a.CreatedAt)
	err := q.QueryRowContext(ctx, insertAttachment, ente, id, nullInt(a.Message), string(a.Kind), a.Field, a.Name,
		a.MIME, a.Size, a.SHA256, a.CreatedAt).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("attachment %q: %w", a.Name, err)
	}
	return nil
}

// addFiles validates files and records them as attachments of kind.
func addFiles(ctx context.Context, q db.Querier, ente tenant.ID, id ID, kind AttachmentKind, message int64, files []File, now time.Time) ([]Attachment, error) {
	out := make([]Attachment, 0, len(files))
	for _, f := range files {
		if err := f.validate(); err != nil {
			return nil, err
		}
		a := Attachment{Field: f.Field, Name: f.Name, MIME: f.MIME, Size: f.Size, SHA256: f.SHA256, Kind: kind,
			Message: message, CreatedAt: now}
		if err := addAttachment(ctx, q, ente, id, &a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
