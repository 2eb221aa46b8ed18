package certificate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

const columns = `id, ente_id, code, person_id, types, channel, state, citizen_id, operator_id, requester, reason,
	stamp_cents, exemption, exemption_text, stamp_id, fee_cents, created_at, issued_at, valid_until, key_id,
	protocol_year, protocol_number, document_sha256, revoked_at, revoke_reason, revoked_by, revoke_protocol_year,
	revoke_protocol_number`

type scanner interface{ Scan(dest ...any) error }

func scan(s scanner) (*Certificate, error) {
	var c Certificate
	var kinds, until string
	var citizen, operator, key, pyear, pnum, rby, ryear, rnum sql.NullInt64
	var issued, revoked sql.NullTime
	err := s.Scan(&c.ID, &c.Ente, &c.Code, &c.Person, &kinds, &c.Channel, &c.State, &citizen, &operator,
		&c.Requester, &c.Reason, &c.Stamp.Cents, &c.Stamp.Exemption, &c.Stamp.ExemptionText, &c.Stamp.ID,
		&c.FeeCents, &c.Created, &issued, &until, &key, &pyear, &pnum, &c.DocumentSHA256, &revoked, &c.RevokeReason,
		&rby, &ryear, &rnum)
	if err != nil {
		return nil, err
	}
	if c.Kinds, err = ParseKinds(kinds); err != nil {
		return nil, err
	}
	if until != "" {
		if c.ValidUntil, err = calendar.ParseDate(until); err != nil {
			return nil, err
		}
	}
	c.Citizen, c.Operator = identity.CitizenID(citizen.Int64), identity.OperatorID(operator.Int64)
	c.KeyID, c.ProtocolYear, c.ProtocolNumber = key.Int64, int(pyear.Int64), pnum.Int64
	c.RevokedBy, c.RevokeProtocolYear, c.RevokeProtocolNumber = identity.OperatorID(rby.Int64), int(ryear.Int64), rnum.Int64
	c.Created = c.Created.UTC()
	if issued.Valid {
		c.Issued = issued.Time.UTC()
	}
	if revoked.Valid {
		c.RevokedAt = revoked.Time.UTC()
	}
	return &c, nil
}

func nullID(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

// insert stores a new certificate row and sets its id.
func insert(ctx context.Context, q db.Querier, c *Certificate) error {
	const ins = `INSERT INTO certificate (ente_id, code, person_id, types, channel, state, citizen_id, operator_id,
			requester, reason, stamp_cents, exemption, exemption_text, stamp_id, fee_cents, created_at, issued_at,
			valid_until, key_id, protocol_year, protocol_number, document_sha256)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
		RETURNING id`
	var issued sql.NullTime
	if !c.Issued.IsZero() {
		issued = sql.NullTime{Time: dbTime(c.Issued), Valid: true}
	}
	until := ""
	if !c.ValidUntil.IsZero() {
		until = c.ValidUntil.String()
	}
	err := q.QueryRowContext(ctx, ins, c.Ente, c.Code, c.Person, c.Kinds.String(), c.Channel, c.State,
		nullID(int64(c.Citizen)), nullID(int64(c.Operator)), c.Requester, c.Reason, c.Stamp.Cents, c.Stamp.Exemption,
		c.Stamp.ExemptionText, c.Stamp.ID, c.FeeCents, dbTime(c.Created), issued, until, nullID(c.KeyID),
		nullID(int64(c.ProtocolYear)), nullID(c.ProtocolNumber), c.DocumentSHA256).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("certificate: ente %d: store: %w", c.Ente, err)
	}
	return nil
}

// markIssued turns an awaiting certificate into an issued one.
func markIssued(ctx context.Context, q db.Querier, c *Certificate) error {
	const upd = `UPDATE certificate SET state = 'issued', issued_at = $1, valid_until = $2, key_id = $3,
			protocol_year = $4, protocol_number = $5, document_sha256 = $6, stamp_id = $7
		WHERE ente_id = $8 AND id = $9 AND state = 'awaiting_stamp'`
	until := ""
	if !c.ValidUntil.IsZero() {
		until = c.ValidUntil.String()
	}
	res, err := q.ExecContext(ctx, upd, dbTime(c.Issued), until, c.KeyID, c.ProtocolYear, c.ProtocolNumber,
		c.DocumentSHA256, c.Stamp.ID, c.Ente, c.ID)
	if err != nil {
		return fmt.Errorf("certificate %d: issue: %w", c.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return apperr.Errorf(apperr.Conflict, "certificate %d: no longer awaiting its stamp", c.ID)
	}
	return nil
}

// Get reads a certificate; one of another ente is NotFound.
func Get(ctx context.Context, q db.Querier, ente tenant.ID, id ID) (*Certificate, error) {
	const get = `SELECT ` + columns + ` FROM certificate WHERE ente_id = $1 AND id = $2`
	return one(q.QueryRowContext(ctx, get, ente, id), ente)
}

// ByCode finds a certificate by its verification code (normalized).
func ByCode(ctx context.Context, q db.Querier, ente tenant.ID, code string) (*Certificate, error) {
	const get = `SELECT ` + columns + ` FROM certificate WHERE ente_id = $1 AND code = $2`
	return one(q.QueryRowContext(ctx, get, ente, code), ente)
}

func one(row *sql.Row, ente tenant.ID) (*Certificate, error) {
	c, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Errorf(apperr.NotFound, "certificate: ente %d: no such certificate", ente)
	}
	if err != nil {
		return nil, fmt.Errorf("certificate: ente %d: read: %w", ente, err)
	}
	return c, nil
}

// ForCitizen lists the certificates a citizen asked for online, newest
// first: the citizen's documents.
func ForCitizen(ctx context.Context, q db.Querier, ente tenant.ID, citizen identity.CitizenID) ([]*Certificate, error) {
	const list = `SELECT ` + columns + ` FROM certificate WHERE ente_id = $1 AND citizen_id = $2 ORDER BY id DESC LIMIT 200`
	rows, err := q.QueryContext(ctx, list, ente, citizen)
	if err != nil {
		return nil, fmt.Errorf("certificate: ente %d: list: %w", ente, err)
	}
	defer rows.Close()
	var out []*Certificate
	for rows.Next() {
		c, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("certificate: ente %d: list: %w", ente, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
