package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// Revision is one published version of a service in an ente's table: who
// published it and when, for the administrator's list.
type Revision struct {
	Slug    string
	Version int
	// By is the operator who published it.
	By int64
	At time.Time
}

// Publish stores svc as the ente's new published version of the service,
// numbered after both the shipped version and the ente's stored ones, and
// returns that number. The whole definition is kept, so that a pratica
// filed under it can be shown as it was (see Version). svc is not changed.
// Two administrators publishing the same service at once get Conflict for
// the second.
func Publish(ctx context.Context, q db.Querier, ente tenant.ID, shipped *Catalog, svc *Service, by int64, now time.Time) (int, error) {
	const (
		maxQ    = `SELECT COALESCE(MAX(version), 0) FROM service_definition WHERE ente_id = $1 AND slug = $2`
		insertQ = `INSERT INTO service_definition (ente_id, slug, version, definition, created_at, created_by, published, published_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $5)
			ON CONFLICT DO NOTHING
			RETURNING version`
	)
	var stored int
	if err := q.QueryRowContext(ctx, maxQ, ente, svc.Slug).Scan(&stored); err != nil {
		return 0, fmt.Errorf("service %s: publish: %w", svc.Slug, err)
	}
	v := stored
	if s, err := shipped.Get(svc.Slug); err == nil {
		v = max(v, s.Version)
	}
	cp := *svc
	cp.Version = v + 1
	if err := cp.Validate(); err != nil {
		return 0, apperr.Errorf(apperr.Invalid, "publish: %w", err)
	}
	b, err := json.Marshal(&cp)
	if err != nil {
		return 0, fmt.Errorf("service %s: publish: %w", svc.Slug, err)
	}
	now = now.UTC().Truncate(time.Microsecond)
	var got int
	err = q.QueryRowContext(ctx, insertQ, ente, cp.Slug, cp.Version, string(b), now, by, true).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperr.Errorf(apperr.Conflict, "service %s: version %d was published meanwhile", cp.Slug, cp.Version)
	}
	if err != nil {
		return 0, fmt.Errorf("service %s: publish: %w", cp.Slug, err)
	}
	return got, nil
}

// ForEnte returns the catalogue the ente's site shows: the shipped one with
// each service the ente has published replaced by (or, for a new slug,
// added as) its latest published version. shipped itself is not changed,
// so that every ente starts from the same files.
func ForEnte(ctx context.Context, q db.Querier, ente tenant.ID, shipped *Catalog) (*Catalog, error) {
	const query = `SELECT d.definition FROM service_definition d
		WHERE d.ente_id = $1 AND d.published
		AND d.version = (SELECT MAX(m.version) FROM service_definition m
			WHERE m.ente_id = d.ente_id AND m.slug = d.slug AND m.published)`
	rows, err := q.QueryContext(ctx, query, ente)
	if err != nil {
		return nil, fmt.Errorf("catalog of ente %d: %w", ente, err)
	}
	defer rows.Close()
	own := map[string]*Service{}
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("catalog of ente %d: %w", ente, err)
		}
		s, err := Parse([]byte(raw))
		if err != nil {
			return nil, fmt.Errorf("catalog of ente %d: stored definition: %w", ente, err)
		}
		own[s.Slug] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog of ente %d: %w", ente, err)
	}
	if len(own) == 0 {
		return shipped, nil
	}
	return shipped.with(own), nil
}

// With returns a copy of the catalogue with svc in place of the service of
// the same slug (or added): the catalogue a preview renders, without
// touching the one the site shows.
func (c *Catalog) With(svc *Service) *Catalog {
	return c.with(map[string]*Service{svc.Slug: svc})
}

// with returns a copy of c where own's services replace or join c's.
func (c *Catalog) with(own map[string]*Service) *Catalog {
	out := &Catalog{bySlug: make(map[string]*Service, len(c.services)+len(own))}
	add := func(s *Service) {
		out.services = append(out.services, s)
		out.bySlug[s.Slug] = s
	}
	for _, s := range c.services {
		if o, ok := own[s.Slug]; ok {
			s = o
		}
		add(s)
	}
	for slug, s := range own {
		if _, ok := c.bySlug[slug]; !ok {
			add(s)
		}
	}
	sort.Slice(out.services, func(i, j int) bool {
		a, b := out.services[i], out.services[j]
		return a.Title < b.Title || a.Title == b.Title && a.Slug < b.Slug
	})
	return out
}

// Version returns the exact definition of a service at one version, as a
// pratica filed under it needs: the ente's stored versions first, then the
// shipped file's. NotFound when neither has it.
func Version(ctx context.Context, q db.Querier, ente tenant.ID, shipped *Catalog, slug string, version int) (*Service, error) {
	const query = `SELECT definition FROM service_definition WHERE ente_id = $1 AND slug = $2 AND version = $3`
	var raw string
	err := q.QueryRowContext(ctx, query, ente, slug, version).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		if s, err := shipped.Get(slug); err == nil && s.Version == version {
			return s, nil
		}
		return nil, apperr.Errorf(apperr.NotFound, "service %s: no version %d", slug, version)
	}
	if err != nil {
		return nil, fmt.Errorf("service %s version %d: %w", slug, version, err)
	}
	s, err := Parse([]byte(raw))
	if err != nil {
		return nil, fmt.Errorf("service %s version %d: %w", slug, version, err)
	}
	return s, nil
}

// Published returns, by slug, the latest published revision of every
// service the ente has changed: what the administrator's list shows beside
// each service.
func Published(ctx context.Context, q db.Querier, ente tenant.ID) (map[string]Revision, error) {
	const query = `SELECT d.slug, d.version, d.created_by, d.published_at FROM service_definition d
		WHERE d.ente_id = $1 AND d.published
		AND d.version = (SELECT MAX(m.version) FROM service_definition m
			WHERE m.ente_id = d.ente_id AND m.slug = d.slug AND m.published)`
	rows, err := q.QueryContext(ctx, query, ente)
	if err != nil {
		return nil, fmt.Errorf("catalog revisions of ente %d: %w", ente, err)
	}
	defer rows.Close()
	out := map[string]Revision{}
	for rows.Next() {
		var r Revision
		if err := rows.Scan(&r.Slug, &r.Version, &r.By, &r.At); err != nil {
			return nil, fmt.Errorf("catalog revisions of ente %d: %w", ente, err)
		}
		r.At = r.At.UTC()
		out[r.Slug] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog revisions of ente %d: %w", ente, err)
	}
	return out, nil
}
