// Package web is the HTTP face of Sportello: every route (routes.go), the
// middleware, the typed pages rendered from the embedded templates, and the
// one place where error kinds become status pages.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/i18n"
	"github.com/sportello/sportello/ui"
)

// Options are the dependencies and settings of a Server.
type Options struct {
	DB     *db.DB
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// TrustProxy makes the server believe X-Forwarded-Proto and X-Request-Id.
	TrustProxy bool
	// Version is shown in /healthz.
	Version string
	// Registry receives the server's metrics and is served at /metrics; nil
	// means a new registry.
	Registry *prometheus.Registry
	// Catalog is the service catalogue; nil means the shipped one.
	Catalog *catalog.Catalog
	// JobStats reports background jobs by state for /metrics; nil means none.
	JobStats func(ctx context.Context) (map[string]int64, error)
	// PageCacheTTL bounds how stale a cached public page may be; zero means
	// 5 seconds, negative disables the cache.
	PageCacheTTL time.Duration
	// TenantCacheTTL bounds how stale the ente looked up from a Host may be;
	// zero means 5 seconds, negative disables the cache.
	TenantCacheTTL time.Duration
}

// Server serves every audience of one deployment: it finds the ente from
// the request's Host and renders that ente's site.
type Server struct {
	db      *db.DB
	log     *slog.Logger
	now     func() time.Time
	opt     Options
	pages   *pageSet
	text    *i18n.Catalog
	static  *staticFiles
	metrics *metrics
	enti    *tenantCache
	catalog *catalog.Catalog
	cache   *pageCache
	handler http.Handler
}

// New builds a Server: it parses every template and reads every locale and
// static file now, so that a broken one stops the start, not a request.
func New(opt Options) (*Server, error) {
	if opt.DB == nil {
		return nil, fmt.Errorf("web: no database")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Registry == nil {
		opt.Registry = prometheus.NewRegistry()
	}
	if opt.PageCacheTTL == 0 {
		opt.PageCacheTTL = 5 * time.Second
	}
	if opt.TenantCacheTTL == 0 {
		opt.TenantCacheTTL = 5 * time.Second
	}
	text, err := i18n.Load(ui.Locales, "locales")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if opt.Catalog == nil {
		if opt.Catalog, err = catalog.Shipped(); err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
	}
	static, err := newStaticFiles(ui.Static, "static")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s := &Server{
		db:      opt.DB,
		log:     opt.Logger,
		now:     opt.Now,
		opt:     opt,
		text:    text,
		static:  static,
		enti:    newTenantCache(opt.TenantCacheTTL, opt.Now),
		catalog: opt.Catalog,
		cache:   newPageCache(opt.PageCacheTTL, opt.Now),
	}
	s.pages, err = parsePages(ui.Templates, s.templateFuncs())
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s.metrics, err = newMetrics(opt.Registry, opt.DB, opt.JobStats)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, s.wrap(rt))
	}
	s.handler = s.observe(s.secure(mux))
	return s, nil
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}
