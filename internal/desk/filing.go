package desk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// Filing records that an operator started a service for a citizen.
type Filing struct {
	ID       int64
	Pratica  int64
	Citizen  identity.CitizenID
	Operator identity.OperatorID
	// Mode is "desk" (the citizen is present and showed a document),
	// "phone" (the draft waits for the citizen to check and send it) or
	// "home" (the mobile operator, with the document seen at home).
	Mode string
	// DocType and DocNumber are the identity document checked, recorded
	// so that the identification can be traced; no copy is kept.
	DocType   identity.DocumentType
	DocNumber string
	// Consent is the citizen's consent to the operator filing for them.
	Consent   bool
	CreatedAt time.Time
}

// RecordFiling stores a filing on behalf in the transaction that created
// the draft. At the desk and at home a checked document is required; by
// phone none can be; consent always.
func RecordFiling(ctx context.Context, tx *sql.Tx, ente tenant.ID, f *Filing) error {
	f.DocNumber = identity.NormalizeDocumentNumber(f.DocNumber)
	switch {
	case !f.Consent:
		return apperr.Errorf(apperr.Invalid, "desk: filing: no consent")
	case f.Mode == "phone":
		f.DocType, f.DocNumber = "", ""
	case f.Mode == "desk" || f.Mode == "home":
		if err := identity.ValidateDocumentNumber(f.DocType, f.DocNumber); err != nil {
			return fmt.Errorf("desk: filing: %w", err)
		}
	default:
		return apperr.Errorf(apperr.Invalid, "desk: filing: mode %q", f.Mode)
	}
	f.CreatedAt = ts(f.CreatedAt)
	err := tx.QueryRowContext(ctx, `INSERT INTO desk_filing (ente_id, pratica_id, citizen_id, operator_id, mode, doc_type,
		doc_number, consent, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, ente, f.Pratica,
		f.Citizen, f.Operator, f.Mode, string(f.DocType), f.DocNumber, f.Consent, f.CreatedAt).Scan(&f.ID)
	if db.IsForeignKeyViolation(err) {
		return apperr.Errorf(apperr.Invalid, "desk: filing: pratica, citizen or operator is not of ente %d", ente)
	}
	if err != nil {
		return fmt.Errorf("desk: filing: %w", err)
	}
	return nil
}

// FilingOf returns the filing record of a pratica, NotFound when the
// citizen filed it themselves.
func FilingOf(ctx context.Context, q db.Querier, ente tenant.ID, pratica int64) (*Filing, error) {
	f := &Filing{Pratica: pratica}
	var doc string
	err := q.QueryRowContext(ctx, `SELECT id, citizen_id, operator_id, mode, doc_type, doc_number, consent, created_at
		FROM desk_filing WHERE ente_id = $1 AND pratica_id = $2`, ente, pratica).Scan(&f.ID, &f.Citizen, &f.Operator,
		&f.Mode, &doc, &f.DocNumber, &f.Consent, &f.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &apperr.Error{Kind: apperr.NotFound, Err: fmt.Errorf("desk: filing of pratica %d: %w", pratica, err)}
	}
	if err != nil {
		return nil, fmt.Errorf("desk: filing of pratica %d: %w", pratica, err)
	}
	f.DocType, f.CreatedAt = identity.DocumentType(doc), f.CreatedAt.UTC()
	return f, nil
}

// SendableBy reports whether op may fill in and send the filed draft for
// the citizen at now: op filed it, identified the citizen in person (at
// the desk or at home, with a document checked), and it is still the day
// of the identification. By phone, or on a later day, the draft is the
// citizen's to check and send.
func (f *Filing) SendableBy(op identity.OperatorID, now time.Time) bool {
	return f.Operator == op && (f.Mode == "desk" || f.Mode == "home") &&
		calendarDay(f.CreatedAt) == calendarDay(now)
}

// calendarDay is t's day in Rome, as the desk counts days.
func calendarDay(t time.Time) string { return t.In(rome).Format(time.DateOnly) }

// FilingsOf returns the filings on behalf of a citizen, newest first, at
// most limit: the identity documents the desk checked for them.
func FilingsOf(ctx context.Context, q db.Querier, ente tenant.ID, citizen identity.CitizenID, limit int) ([]*Filing, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, pratica_id, operator_id, mode, doc_type, doc_number, consent, created_at
		FROM desk_filing WHERE ente_id = $1 AND citizen_id = $2 ORDER BY id DESC LIMIT $3`, ente, citizen, limit)
	if err != nil {
		return nil, fmt.Errorf("desk: filings of citizen %d: %w", citizen, err)
	}
	defer rows.Close()
	var out []*Filing
	for rows.Next() {
		f := &Filing{Citizen: citizen}
		var doc string
		if err := rows.Scan(&f.ID, &f.Pratica, &f.Operator, &f.Mode, &doc, &f.DocNumber, &f.Consent, &f.CreatedAt); err != nil {
			return nil, fmt.Errorf("desk: filings of citizen %d: %w", citizen, err)
		}
		f.DocType, f.CreatedAt = identity.DocumentType(doc), f.CreatedAt.UTC()
		out = append(out, f)
	}
	return out, rows.Err()
}
