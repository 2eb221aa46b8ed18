package tenant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
)

// Create stores a new ente with its hosts, offices and hours, setting the
// IDs. Call it inside a transaction so that a failure stores nothing.
func Create(ctx context.Context, q db.Querier, e *Ente, now time.Time) error {
	if err := e.Validate(); err != nil {
		return err
	}
	const insertEnte = `INSERT INTO ente (slug, name, istat_code, belfiore, ipa_code, fiscal_code, province, email, pec, phone, logo_svg, patron_days, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`
	e.Created = now.UTC()
	err := q.QueryRowContext(ctx, insertEnte, e.Slug, e.Name, e.IstatCode, e.Belfiore, e.IPACode, e.FiscalCode,
		e.Province, e.Email, e.PEC, e.Phone, e.LogoSVG, formatPatronDays(e.PatronDays), e.Created).Scan(&e.ID)
	if db.IsUniqueViolation(err) {
		return apperr.Errorf(apperr.Conflict, "ente %q: slug or ISTAT code already used: %w", e.Slug, err)
	}
	if err != nil {
		return fmt.Errorf("ente %q: create: %w", e.Slug, err)
	}
	for _, h := range e.Hosts {
		_, err := q.ExecContext(ctx, `INSERT INTO ente_host (ente_id, host) VALUES ($1, $2)`, e.ID, h)
		if db.IsUniqueViolation(err) {
			return apperr.Errorf(apperr.Conflict, "ente %q: host %q already belongs to another ente: %w", e.Slug, h, err)
		}
		if err != nil {
			return fmt.Errorf("ente %q: add host: %w", e.Slug, err)
		}
	}
	for i := range e.Offices {
		if err := createOffice(ctx, q, e.ID, &e.Offices[i]); err != nil {
			return fmt.Errorf("ente %q: %w", e.Slug, err)
		}
	}
	return nil
}

func createOffice(ctx context.Context, q db.Querier, ente ID, o *Office) error {
	const insertOffice = `INSERT INTO office (ente_id, slug, name, description, is_desk, street, postal_code, city, phone, email)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`
	err := q.QueryRowContext(ctx, insertOffice, ente, o.Slug, o.Name, o.Description, o.IsDesk,
		o.Street, o.PostalCode, o.City, o.Phone, o.Email).Scan(&o.ID)
	if err != nil {
		return fmt.Errorf("office %q: create: %w", o.Slug, err)
	}
	for _, h := range o.Hours {
		_, err := q.ExecContext(ctx, `INSERT INTO office_hours (ente_id, office_id, weekday, opens, closes) VALUES ($1, $2, $3, $4, $5)`,
			ente, o.ID, int(h.Weekday), h.Opens, h.Closes)
		if err != nil {
			return fmt.Errorf("office %q: add hours: %w", o.Slug, err)
		}
	}
	return nil
}

const selectEnte = `SELECT id, slug, name, istat_code, belfiore, ipa_code, fiscal_code, province, email, pec, phone, logo_svg, patron_days, created_at FROM ente`

// ByHost finds the ente that answers on host (a Host header; case and port
// are ignored). An unknown host is a NotFound error.
func ByHost(ctx context.Context, q db.Querier, host string) (*Ente, error) {
	e, err := findEnte(ctx, q, selectEnte+` WHERE id = (SELECT ente_id FROM ente_host WHERE host = $1)`, NormalizeHost(host))
	if err != nil {
		return nil, fmt.Errorf("host %q: %w", NormalizeHost(host), err)
	}
	return e, nil
}

// Get finds an ente by ID.
func Get(ctx context.Context, q db.Querier, id ID) (*Ente, error) {
	e, err := findEnte(ctx, q, selectEnte+` WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("ente %d: %w", id, err)
	}
	return e, nil
}

// BySlug finds an ente by its slug, as given on the command line.
func BySlug(ctx context.Context, q db.Querier, slug string) (*Ente, error) {
	e, err := findEnte(ctx, q, selectEnte+` WHERE slug = $1`, slug)
	if err != nil {
		return nil, fmt.Errorf("ente %q: %w", slug, err)
	}
	return e, nil
}

// ByFiscalCode finds the ente with a fiscal code, as pagoPA's messages
// name it (idPA, the receipt's fiscalCode); the lowest id wins should two
// enti share one.
func ByFiscalCode(ctx context.Context, q db.Querier, cf string) (*Ente, error) {
	e, err := findEnte(ctx, q, selectEnte+` WHERE fiscal_code = $1 ORDER BY id LIMIT 1`, cf)
	if err != nil {
		return nil, fmt.Errorf("ente with fiscal code %q: %w", cf, err)
	}
	return e, nil
}

// HasFiscalCode says whether an ente of the deployment has the fiscal code
// cf: one cheap query, for the pagoPA station's check of every request.
func HasFiscalCode(ctx context.Context, q db.Querier, cf string) (bool, error) {
	var ok bool
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ente WHERE fiscal_code = $1)`, cf).Scan(&ok); err != nil {
		return false, fmt.Errorf("ente with fiscal code %q: %w", cf, err)
	}
	return ok, nil
}

// List returns every ente of the deployment, for the consortium's operators.
func List(ctx context.Context, q db.Querier) ([]*Ente, error) {
	rows, err := q.QueryContext(ctx, selectEnte+` ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list enti: %w", err)
	}
	defer rows.Close()
	var out []*Ente
	for rows.Next() {
		e, err := scanEnte(rows)
		if err != nil {
			return nil, fmt.Errorf("list enti: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list enti: %w", err)
	}
	for _, e := range out {
		if err := loadParts(ctx, q, e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanEnte(s scanner) (*Ente, error) {
	e := &Ente{}
	var patron string
	err := s.Scan(&e.ID, &e.Slug, &e.Name, &e.IstatCode, &e.Belfiore, &e.IPACode, &e.FiscalCode,
		&e.Province, &e.Email, &e.PEC, &e.Phone, &e.LogoSVG, &patron, &e.Created)
	if err != nil {
		return nil, err
	}
	e.Created = e.Created.UTC()
	if e.PatronDays, err = parsePatronDays(patron); err != nil {
		return nil, fmt.Errorf("ente %d: %w", e.ID, err)
	}
	return e, nil
}

func findEnte(ctx context.Context, q db.Querier, query string, arg any) (*Ente, error) {
	e, err := scanEnte(q.QueryRowContext(ctx, query, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Errorf(apperr.NotFound, "no such ente")
	}
	if err != nil {
		return nil, err
	}
	if err := loadParts(ctx, q, e); err != nil {
		return nil, err
	}
	return e, nil
}

func loadParts(ctx context.Context, q db.Querier, e *Ente) error {
	hosts, err := q.QueryContext(ctx, `SELECT host FROM ente_host WHERE ente_id = $1 ORDER BY host`, e.ID)
	if err != nil {
		return fmt.Errorf("ente %d: hosts: %w", e.ID, err)
	}
	defer hosts.Close()
	for hosts.Next() {
		var h string
		if err := hosts.Scan(&h); err != nil {
			return fmt.Errorf("ente %d: hosts: %w", e.ID, err)
		}
		e.Hosts = append(e.Hosts, h)
	}
	if err := hosts.Err(); err != nil {
		return fmt.Errorf("ente %d: hosts: %w", e.ID, err)
	}
	e.Offices, err = Offices(ctx, q, e.ID)
	return err
}

const selectOffice = `SELECT id, slug, name, description, is_desk, street, postal_code, city, phone, email FROM office`

// Offices returns the offices of one ente, the desk first, with their hours.
func Offices(ctx context.Context, q db.Querier, ente ID) ([]Office, error) {
	rows, err := q.QueryContext(ctx, selectOffice+` WHERE ente_id = $1 ORDER BY is_desk DESC, name`, ente)
	if err != nil {
		return nil, fmt.Errorf("ente %d: offices: %w", ente, err)
	}
	var out []Office
	byID := map[int64]int{}
	for rows.Next() {
		var o Office
		if err := rows.Scan(&o.ID, &o.Slug, &o.Name, &o.Description, &o.IsDesk, &o.Street, &o.PostalCode, &o.City, &o.Phone, &o.Email); err != nil {
			rows.Close()
			return nil, fmt.Errorf("ente %d: offices: %w", ente, err)
		}
		byID[o.ID] = len(out)
		out = append(out, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ente %d: offices: %w", ente, err)
	}
	hours, err := q.QueryContext(ctx, `SELECT office_id, weekday, opens, closes FROM office_hours
		WHERE ente_id = $1 ORDER BY office_id, weekday, opens`, ente)
	if err != nil {
		return nil, fmt.Errorf("ente %d: office hours: %w", ente, err)
	}
	defer hours.Close()
	for hours.Next() {
		var id int64
		var h Hours
		var wd int
		if err := hours.Scan(&id, &wd, &h.Opens, &h.Closes); err != nil {
			return nil, fmt.Errorf("ente %d: office hours: %w", ente, err)
		}
		h.Weekday = time.Weekday(wd)
		if i, ok := byID[id]; ok {
			out[i].Hours = append(out[i].Hours, h)
		}
	}
	return out, hours.Err()
}

// GetOffice returns one office of the ente; another ente's office is NotFound.
func GetOffice(ctx context.Context, q db.Querier, ente ID, slug string) (Office, error) {
	offices, err := Offices(ctx, q, ente)
	if err != nil {
		return Office{}, err
	}
	for _, o := range offices {
		if o.Slug == slug {
			return o, nil
		}
	}
	return Office{}, apperr.Errorf(apperr.NotFound, "ente %d: office %q: no such office", ente, slug)
}
