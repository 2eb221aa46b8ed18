package pratica

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// MessageInput is one message to add to a pratica's conversation.
type MessageInput struct {
	From identity.Subject
	// Internal makes a note that only operators see; only operators write
	// them.
	Internal bool
	Text     string
	// Attachments are files already in the blob store.
	Attachments []File
}

// AddMessage adds a message to a submitted pratica: from the citizen (the
// holder or the delegate who filed it) or an operator, or an internal note
// of an operator. A draft has no conversation yet (Conflict). Call it in a
// transaction, so that the message and its files are stored together.
func AddMessage(ctx context.Context, q db.Querier, ente tenant.ID, id ID, in MessageInput, now time.Time) (*Message, error) {
	var citizen int64
	var filer sql.NullInt64
	var state string
	err := q.QueryRowContext(ctx, `SELECT state, citizen_id, filed_by_citizen FROM pratica WHERE ente_id = $1 AND id = $2`,
		ente, id).Scan(&state, &citizen, &filer)
	if err != nil {
		return nil, fmt.Errorf("pratica %d: add message: %w", id, notFound(err))
	}
	p := &Pratica{ID: id, Ente: ente, State: State(state), Citizen: identity.CitizenID(citizen)}
	if filer.Valid {
		p.FiledBy = identity.CitizenSubject(identity.CitizenID(filer.Int64))
	}
	m, err := addMessage(ctx, q, p, in, MessageFile, now)
	if err != nil {
		return nil, fmt.Errorf("pratica %d: add message: %w", id, err)
	}
	return m, nil
}

// addMessage checks and stores a message of p, its files as attachments of
// kind.
func addMessage(ctx context.Context, q db.Querier, p *Pratica, in MessageInput, kind AttachmentKind, now time.Time) (*Message, error) {
	if p.State == Draft {
		return nil, apperr.Errorf(apperr.Conflict, "a draft has no messages")
	}
	var cit, op sql.NullInt64
	switch in.From.Kind {
	case identity.SubjectCitizen:
		if in.Internal {
			return nil, apperr.Errorf(apperr.Forbidden, "only operators write internal notes")
		}
		if err := checkCitizen(p, identity.CitizenID(in.From.ID)); err != nil {
			return nil, err
		}
		cit = nullInt(in.From.ID)
	case identity.SubjectOperator:
		op = nullInt(in.From.ID)
	default:
		return nil, apperr.Errorf(apperr.Invalid, "message from an unknown kind of subject %q", in.From.Kind)
	}
	if err := checkText("the message", in.Text, len(in.Attachments) == 0); err != nil {
		return nil, err
	}
	m := &Message{Pratica: p.ID, From: in.From, Internal: in.Internal, Text: strings.TrimSpace(in.Text), At: ts(now)}
	err := q.QueryRowContext(ctx, `INSERT INTO pratica_message (ente_id, pratica_id, from_citizen, from_operator,
		internal, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		p.Ente, p.ID, cit, op, in.Internal, m.Text, m.At).Scan(&m.ID)
	if db.IsForeignKeyViolation(err) {
		return nil, apperr.Errorf(apperr.Invalid, "message from a person not of ente %d", p.Ente)
	}
	if err != nil {
		return nil, err
	}
	if m.Attachments, err = addFiles(ctx, q, p.Ente, p.ID, kind, m.ID, in.Attachments, now); err != nil {
		return nil, err
	}
	return m, nil
}

// Messages returns the conversation of a pratica in order, with each
// message's files; includeInternal adds the operators' internal notes, for
// the back office only.
func Messages(ctx context.Context, q db.Querier, ente tenant.ID, id ID, includeInternal bool) ([]Message, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM pratica WHERE ente_id = $1 AND id = $2`, ente, id).Scan(&one)
	if err != nil {
		return nil, fmt.Errorf("pratica %d: messages: %w", id, notFound(err))
	}
	out, err := messages(ctx, q, ente, id, includeInternal)
	if err != nil {
		return nil, fmt.Errorf("pratica %d: messages: %w", id, err)
	}
	files, err := attachments(ctx, q, ente, id)
	if err != nil {
		return nil, fmt.Errorf("pratica %d: messages: %w", id, err)
	}
	byID := make(map[int64]*Message, len(out))
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	for _, a := range files {
		if m := byID[a.Message]; m != nil {
			m.Attachments = append(m.Attachments, a)
		}
	}
	return out, nil
}

func messages(ctx context.Context, q db.Querier, ente tenant.ID, id ID, includeInternal bool) ([]Message, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, from_citizen, from_operator, internal, body, created_at
		FROM pratica_message WHERE ente_id = $1 AND pratica_id = $2 AND (NOT internal OR $3) ORDER BY id`,
		ente, id, includeInternal)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m := Message{Pratica: id}
		var cit, op sql.NullInt64
		if err := rows.Scan(&m.ID, &cit, &op, &m.Internal, &m.Text, &m.At); err != nil {
			return nil, err
		}
		m.At = m.At.UTC()
		m.From = identity.OperatorSubject(identity.OperatorID(op.Int64))
		if cit.Valid {
			m.From = identity.CitizenSubject(identity.CitizenID(cit.Int64))
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
