package identity

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// Delegation (delega) lets a delegate act for a citizen, the delegator, on
// some services until a date. The delegate is named by codice fiscale and
// need not have logged in yet; they act through their own SPID login.
type Delegation struct {
	ID   DelegationID
	Ente tenant.ID
	// Delegator is the citizen represented.
	Delegator          CitizenID
	DelegateFiscalCode string
	DelegateName       string
	// Services are catalogue service slugs; empty means every service.
	Services []string
	// ValidUntil is the last day (in Europe/Rome) the delegation works.
	ValidUntil calendar.Date
	// CreatedBy is the delegator online, or the operator at the desk.
	CreatedBy Subject
	// DocumentType and DocumentNumber are the document the operator
	// checked at the desk, recorded so that the identification can be
	// traced (no copy is kept); the number is personal data, shown only
	// masked (MaskDocumentNumber) to the ente's operators.
	DocumentType    DocumentType
	DocumentNumber  string
	DocumentChecked bool
	RevokedAt       time.Time
	CreatedAt       time.Time
}

// Covers reports whether the delegation reaches service; "" (data not tied
// to a service) is covered only by a delegation for every service.
func (d *Delegation) Covers(service string) bool {
	if len(d.Services) == 0 {
		return true
	}
	return service != "" && slices.Contains(d.Services, service)
}

// ActiveOn reports whether the delegation works on day today.
func (d *Delegation) ActiveOn(today calendar.Date) bool {
	return d.RevokedAt.IsZero() && !today.After(d.ValidUntil)
}

// DelegationInput is what the delegator fills in online, or the operator at
// the desk.
type DelegationInput struct {
	Delegator          CitizenID
	DelegateFiscalCode string
	DelegateName       string
	Services           []string
	ValidUntil         calendar.Date
	CreatedBy          Subject
	// DocumentType, DocumentNumber and DocumentChecked are required when
	// an operator records the delegation at the desk, and refused online.
	DocumentType    DocumentType
	DocumentNumber  string
	DocumentChecked bool
}

var serviceSlugRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// CreateDelegation records a delegation. Online only the delegator may
// create one; at the desk the operator must name the document type and
// confirm they checked it. A citizen cannot delegate themselves, and
// ValidUntil must not be before today in Europe/Rome.
func CreateDelegation(ctx context.Context, q db.Querier, ente tenant.ID, in DelegationInput, now time.Time) (*Delegation, error) {
	today, err := romeToday(now)
	if err != nil {
		return nil, fmt.Errorf("create delegation: %w", err)
	}
	d, err := newDelegation(ctx, q, ente, in, today)
	if err != nil {
		return nil, fmt.Errorf("create delegation: %w", err)
	}
	d.CreatedAt = ts(now)
	byCitizen, byOperator, _ := d.CreatedBy.columns()
	const insert = `INSERT INTO delegation (ente_id, delegator_id, delegate_fiscal_code, delegate_name, all_services,
		valid_until, created_by_citizen, created_by_operator, document_type, document_number, document_checked, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`
	err = q.QueryRowContext(ctx, insert, ente, d.Delegator, d.DelegateFiscalCode, d.DelegateName, len(d.Services) == 0,
		d.ValidUntil.String(), byCitizen, byOperator, string(d.DocumentType), d.DocumentNumber, d.DocumentChecked,
		d.CreatedAt).Scan(&d.ID)
	if db.IsForeignKeyViolation(err) {
		return nil, apperr.Errorf(apperr.NotFound, "create delegation: no such citizen or operator")
	}
	if err != nil {
		return nil, fmt.Errorf("create delegation: %w", err)
	}
	for _, s := range d.Services {
		_, err := q.ExecContext(ctx, `INSERT INTO delegation_service (ente_id, delegation_id, service) VALUES ($1, $2, $3)`,
			ente, d.ID, s)
		if err != nil {
			return nil, fmt.Errorf("create delegation %d: service %q: %w", d.ID, s, err)
		}
	}
	return d, nil
}

// newDelegation validates in and returns the delegation to store.
func newDelegation(ctx context.Context, q db.Querier, ente tenant.ID, in DelegationInput, today calendar.Date) (*Delegation, error) {
	cf, err := ParseFiscalCode(in.DelegateFiscalCode)
	if err != nil {
		return nil, fmt.Errorf("delegate: %w", err)
	}
	name := strings.TrimSpace(in.DelegateName)
	if name == "" {
		return nil, apperr.Errorf(apperr.Invalid, "the delegate's name is required")
	}
	if !in.ValidUntil.Valid() || in.ValidUntil.Before(today) {
		return nil, apperr.Errorf(apperr.Invalid, "valid until %s: not a date from today on", in.ValidUntil)
	}
	var services []string
	for _, s := range in.Services {
		s = strings.TrimSpace(s)
		if !serviceSlugRe.MatchString(s) {
			return nil, apperr.Errorf(apperr.Invalid, "service %q: not a catalogue slug", s)
		}
		if !slices.Contains(services, s) {
			services = append(services, s)
		}
	}
	slices.Sort(services)
	d := &Delegation{
		Ente: ente, Delegator: in.Delegator, DelegateFiscalCode: cf, DelegateName: name, Services: services,
		ValidUntil: in.ValidUntil, CreatedBy: in.CreatedBy,
	}
	switch in.CreatedBy.Kind {
	case SubjectCitizen:
		if CitizenID(in.CreatedBy.ID) != in.Delegator {
			return nil, apperr.Errorf(apperr.Forbidden, "only the delegator may delegate online")
		}
		if in.DocumentType != "" || in.DocumentNumber != "" || in.DocumentChecked {
			return nil, apperr.Errorf(apperr.Invalid, "a document is checked only at the desk")
		}
	case SubjectOperator:
		if !in.DocumentType.Valid() {
			return nil, apperr.Errorf(apperr.Invalid, "document type %q: not an accepted document", in.DocumentType)
		}
		if err := ValidateDocumentNumber(in.DocumentType, in.DocumentNumber); err != nil {
			return nil, err
		}
		if !in.DocumentChecked {
			return nil, apperr.Errorf(apperr.Invalid, "the operator must check the delegate's document")
		}
		d.DocumentType, d.DocumentNumber, d.DocumentChecked = in.DocumentType, NormalizeDocumentNumber(in.DocumentNumber), true
	default:
		return nil, apperr.Errorf(apperr.Invalid, "created by: unknown subject kind %q", in.CreatedBy.Kind)
	}
	delegator, err := GetCitizen(ctx, q, ente, in.Delegator)
	if err != nil {
		return nil, err
	}
	if delegator.FiscalCode == cf {
		return nil, apperr.Errorf(apperr.Invalid, "a citizen cannot delegate themselves")
	}
	return d, nil
}

// RevokeDelegation ends a delegation at once; revoking it again does
// nothing. delegator is the citizen revoking their own delegation: another
// citizen's delegation is NotFound to them, as is another ente's. An
// operator revoking at the desk or as administrator (ManageDelegations,
// checked by the caller) passes 0.
func RevokeDelegation(ctx context.Context, q db.Querier, ente tenant.ID, delegator CitizenID, id DelegationID, now time.Time) error {
	d, err := GetDelegation(ctx, q, ente, id)
	if err != nil {
		return err
	}
	if delegator != 0 && d.Delegator != delegator {
		return apperr.Errorf(apperr.NotFound, "delegation %d: not a delegation of citizen %d", id, delegator)
	}
	_, err = q.ExecContext(ctx, `UPDATE delegation SET revoked_at = $3 WHERE ente_id = $1 AND id = $2 AND revoked_at IS NULL`,
		ente, id, ts(now))
	if err != nil {
		return fmt.Errorf("delegation %d: revoke: %w", id, err)
	}
	return nil
}

// romeToday is the civil date of now in Rome, where a delegation's last
// day is decided.
func romeToday(now time.Time) (calendar.Date, error) {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return calendar.Date{}, fmt.Errorf("load Europe/Rome (import time/tzdata in main): %w", err)
	}
	return calendar.DateOf(now.In(loc)), nil
}

const selectDelegation = `SELECT id, ente_id, delegator_id, delegate_fiscal_code, delegate_name, valid_until,
	created_by_citizen, created_by_operator, document_type, document_number, document_checked, created_at, revoked_at
	FROM delegation`

func scanDelegation(s scanner) (*Delegation, error) {
	d := &Delegation{}
	var until, doc string
	var byCitizen, byOperator sql.NullInt64
	var revoked sql.NullTime
	err := s.Scan(&d.ID, &d.Ente, &d.Delegator, &d.DelegateFiscalCode, &d.DelegateName, &until, &byCitizen,
		&byOperator, &doc, &d.DocumentNumber, &d.DocumentChecked, &d.CreatedAt, &revoked)
	if err != nil {
		return nil, err
	}
	if d.ValidUntil, err = calendar.ParseDate(until); err != nil {
		return nil, fmt.Errorf("delegation %d: %w", d.ID, err)
	}
	d.CreatedBy, d.DocumentType = subjectOf(byCitizen, byOperator), DocumentType(doc)
	d.CreatedAt, d.RevokedAt = d.CreatedAt.UTC(), timeOf(revoked)
	return d, nil
}

// GetDelegation returns one delegation of the ente.
func GetDelegation(ctx context.Context, q db.Querier, ente tenant.ID, id DelegationID) (*Delegation, error) {
	d, err := scanDelegation(q.QueryRowContext(ctx, selectDelegation+` WHERE ente_id = $1 AND id = $2`, ente, id))
	if err != nil {
		return nil, fmt.Errorf("delegation %d: %w", id, notFound(err, "no such delegation"))
	}
	if err := loadServices(ctx, q, ente, []*Delegation{d}); err != nil {
		return nil, err
	}
	return d, nil
}

// DelegationFilter picks delegations by who gives them or who receives
// them; exactly one field is set.
type DelegationFilter struct {
	Delegator          CitizenID
	DelegateFiscalCode string
}

// ListDelegations returns the delegations a citizen gave, or those given to
// a codice fiscale, newest first, revoked and expired ones included so that
// the page can show the history.
func ListDelegations(ctx context.Context, q db.Querier, ente tenant.ID, f DelegationFilter) ([]*Delegation, error) {
	var where string
	var arg any
	switch {
	case f.Delegator != 0 && f.DelegateFiscalCode == "":
		where, arg = ` AND delegator_id = $2`, f.Delegator
	case f.Delegator == 0 && f.DelegateFiscalCode != "":
		cf, err := ParseFiscalCode(f.DelegateFiscalCode)
		if err != nil {
			return nil, fmt.Errorf("list delegations: %w", err)
		}
		where, arg = ` AND delegate_fiscal_code = $2`, cf
	default:
		return nil, apperr.Errorf(apperr.Invalid, "list delegations: give the delegator or the delegate, not both")
	}
	rows, err := q.QueryContext(ctx, selectDelegation+` WHERE ente_id = $1`+where+` ORDER BY created_at DESC, id DESC`, ente, arg)
	if err != nil {
		return nil, fmt.Errorf("list delegations: %w", err)
	}
	defer rows.Close()
	var out []*Delegation
	for rows.Next() {
		d, err := scanDelegation(rows)
		if err != nil {
			return nil, fmt.Errorf("list delegations: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list delegations: %w", err)
	}
	rows.Close()
	return out, loadServices(ctx, q, ente, out)
}

// ActiveDelegation returns a delegation by which delegateCF may act for
// delegator on service today, preferring one for every service, then the
// longest-lasting; NotFound if there is none. Call it on every request
// that acts for someone, so that a revocation takes effect at once.
func ActiveDelegation(ctx context.Context, q db.Querier, ente tenant.ID, delegateCF string, delegator CitizenID, service string, today calendar.Date) (*Delegation, error) {
	cf, err := ParseFiscalCode(delegateCF)
	if err != nil {
		return nil, fmt.Errorf("active delegation: %w", err)
	}
	query := selectDelegation + ` WHERE ente_id = $1 AND delegate_fiscal_code = $2 AND delegator_id = $3
		AND revoked_at IS NULL AND valid_until >= $4
		AND (all_services OR EXISTS (SELECT 1 FROM delegation_service s
			WHERE s.ente_id = delegation.ente_id AND s.delegation_id = delegation.id AND s.service = $5))
		ORDER BY all_services DESC, valid_until DESC, id LIMIT 1`
	d, err := scanDelegation(q.QueryRowContext(ctx, query, ente, cf, delegator, today.String(), service))
	if err != nil {
		return nil, fmt.Errorf("active delegation: %w", notFound(err, "no active delegation"))
	}
	if err := loadServices(ctx, q, ente, []*Delegation{d}); err != nil {
		return nil, err
	}
	return d, nil
}

// loadServices fills the Services of ds from delegation_service.
func loadServices(ctx context.Context, q db.Querier, ente tenant.ID, ds []*Delegation) error {
	if len(ds) == 0 {
		return nil
	}
	byID := map[DelegationID]*Delegation{}
	ids := make([]string, len(ds))
	for i, d := range ds {
		byID[d.ID] = d
		ids[i] = fmt.Sprint(int64(d.ID))
	}
	// The ids are integers read from the database, so inlining them is safe.
	rows, err := q.QueryContext(ctx, `SELECT delegation_id, service FROM delegation_service
		WHERE ente_id = $1 AND delegation_id IN (`+strings.Join(ids, ",")+`) ORDER BY delegation_id, service`, ente)
	if err != nil {
		return fmt.Errorf("delegation services: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id DelegationID
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			return fmt.Errorf("delegation services: %w", err)
		}
		if d := byID[id]; d != nil {
			d.Services = append(d.Services, s)
		}
	}
	return rows.Err()
}
