package web

import (
	"context"
	"sync"
	"time"

	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/tenant"
)

// catalogCache keeps each ente's catalogue (the shipped services with the
// ente's published versions) for as long as the tenant cache keeps the
// ente, so that a page view does not read every definition. Like the tenant
// cache it holds nothing another instance needs: a publication shows at
// once on the instance that stored it (which forgets its copy) and on the
// others within the TTL. Its zero value is ready to use.
type catalogCache struct {
	mu      sync.Mutex
	entries map[tenant.ID]catalogEntry
}

type catalogEntry struct {
	catalog *catalog.Catalog
	expires time.Time
}

// catalogFor returns the catalogue the ente's site shows. A preview (see
// servicePreview) puts its unpublished definition in the context, and sees
// it in place of the published one.
func (s *Server) catalogFor(ctx context.Context, e *tenant.Ente) (*catalog.Catalog, error) {
	c, err := s.enteCatalog(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	if p, ok := ctx.Value(previewKey{}).(*catalog.Service); ok {
		return c.With(p), nil
	}
	return c, nil
}

func (s *Server) enteCatalog(ctx context.Context, ente tenant.ID) (*catalog.Catalog, error) {
	ttl := s.opt.TenantCacheTTL
	if ttl < 0 {
		return catalog.ForEnte(ctx, s.db, ente, s.catalog)
	}
	now := s.now()
	cc := &s.catalogs
	cc.mu.Lock()
	e, ok := cc.entries[ente]
	cc.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.catalog, nil
	}
	c, err := catalog.ForEnte(ctx, s.db, ente, s.catalog)
	if err != nil {
		return nil, err
	}
	cc.mu.Lock()
	if cc.entries == nil {
		cc.entries = map[tenant.ID]catalogEntry{}
	}
	cc.entries[ente] = catalogEntry{catalog: c, expires: now.Add(ttl)}
	cc.mu.Unlock()
	return c, nil
}

// forgetCatalog drops the ente's cached catalogue after a publication.
func (s *Server) forgetCatalog(ente tenant.ID) {
	s.catalogs.mu.Lock()
	delete(s.catalogs.entries, ente)
	s.catalogs.mu.Unlock()
}

// previewKey marks a request context carrying a definition to preview.
type previewKey struct{}

// withPreview returns ctx carrying svc, which catalogFor shows in place of
// the published service of the same slug.
func withPreview(ctx context.Context, svc *catalog.Service) context.Context {
	return context.WithValue(ctx, previewKey{}, svc)
}
