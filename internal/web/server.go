// Package web is the HTTP face of Sportello: every route (routes.go), the
// middleware, the typed pages rendered from the embedded templates, and the
// one place where error kinds become status pages.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/form"
	"github.com/sportello/sportello/internal/i18n"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/identity/spid"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/sim/mailcatcher"
	"github.com/sportello/sportello/internal/tenant"
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
	// SecretKey (32 bytes) seals the SAML keys and TOTP seeds kept in the
	// database and signs the operators' half-way login cookie.
	SecretKey []byte
	// IdPs are the identity providers of the deployment's registry file.
	IdPs []*spid.IdP
	// TestIdPs, when set, mounts the built-in test identity providers at
	// /_sim/spid and /_sim/cie and lists them on the login page (demo and
	// tests only: the configuration refuses them in production).
	TestIdPs *TestIdPs
	// Jobs queues e-mails (nil: no e-mail is sent).
	Jobs *jobs.Jobs
	// Blobs keeps documents: uploads, receipts, letters (nil: online
	// services cannot be filed).
	Blobs blob.Store
	// Calendar, if set, is every ente's calendar of working days and legal
	// terms (tests); nil gives each ente its own, with its patron days.
	Calendar *calendar.Calendar
	// Payments reaches pagoPA (nil: notices are listed but cannot be
	// numbered or paid online).
	Payments *payment.Service
	// NoticePDF renders a notice's avviso di pagamento; nil means the
	// built-in NoticePDF.
	NoticePDF func(ctx context.Context, e *tenant.Ente, p *payment.Payment) ([]byte, error)
	// PagoPASim, when set, is mounted at /_sim/pagopa (demo and tests).
	PagoPASim http.Handler
	// Station, when set, is the ente's own pagoPA station (the SOAP service
	// the Node calls, internal/pagopa/station), served at /pagopa/stazione
	// for every ente it names; nil answers 404 there.
	Station http.Handler
	// Demo shows what the demo can't deliver (one-time codes for phones)
	// on the page itself, and mounts the mail catcher at /_sim/posta.
	Demo bool
	// Certificates issues registry certificates; nil builds an issuer from
	// SecretKey and Blobs, without a stamp payer.
	Certificates *certificate.Issuer
	// Stamps collects certificates' stamp duty online (@e.bollo on pagoPA):
	// Certificates' payer, wired in main; nil refuses online requests that
	// owe the stamp.
	Stamps *payment.Stamps
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
	// catalogs are the enti's catalogues (see catalogFor).
	catalogs catalogCache
	cache    *pageCache
	handler  http.Handler
	// idKeys seals operators' TOTP seeds; nil without a secret key.
	idKeys *identity.Keys
	// forms are the online services' forms by service slug.
	forms map[string]*form.Definition
	// formArchive are their earlier versions, by service and version.
	formArchive map[string]map[int]*form.Definition
	// submits commits the submissions of pratiche in groups: concurrent
	// submissions share one durable commit (see db.Group).
	submits *db.Group
	// cal, when set by Options.Calendar, serves every ente; otherwise each
	// ente gets its own, with its patron days (see calendarFor).
	cal  *calendar.Calendar
	cals sync.Map // tenant.ID → enteCalendar
	// certs issues registry certificates; nil without a secret key or a
	// blob store.
	certs *certificate.Issuer
}

// enteCalendar is an ente's calendar and the patron days it was built from.
type enteCalendar struct {
	patron string
	cal    *calendar.Calendar
}

// calendarFor returns e's calendar of working days: national holidays and
// e's patron days. Calendars are kept, and rebuilt when the patron days
// change.
func (s *Server) calendarFor(e *tenant.Ente) (*calendar.Calendar, error) {
	if s.cal != nil {
		return s.cal, nil
	}
	key := fmt.Sprint(e.PatronDays)
	if v, ok := s.cals.Load(e.ID); ok && v.(enteCalendar).patron == key {
		return v.(enteCalendar).cal, nil
	}
	c, err := e.Calendar()
	if err != nil {
		return nil, fmt.Errorf("ente %d: calendar: %w", e.ID, err)
	}
	s.cals.Store(e.ID, enteCalendar{patron: key, cal: c})
	return c, nil
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
	defs, err := form.Shipped()
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s.forms = map[string]*form.Definition{}
	for _, d := range defs {
		s.forms[d.Service] = d
	}
	archived, err := form.Archived()
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s.formArchive = map[string]map[int]*form.Definition{}
	for _, d := range archived {
		if s.formArchive[d.Service] == nil {
			s.formArchive[d.Service] = map[int]*form.Definition{}
		}
		s.formArchive[d.Service][d.Version] = d
	}
	if s.opt.NoticePDF == nil {
		s.opt.NoticePDF = NoticePDF
	}
	s.cal = opt.Calendar
	s.submits = opt.DB.NewGroup(64)
	if len(opt.SecretKey) > 0 {
		if s.idKeys, err = identity.NewKeys(opt.SecretKey); err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
	}
	if s.certs, err = newCertificates(opt); err != nil {
		return nil, fmt.Errorf("web: %w", err)
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
	var crossSite []string
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, s.wrap(rt))
		if rt.crossSite {
			crossSite = append(crossSite, rt.pattern)
		}
	}
	if t := opt.TestIdPs; t != nil {
		// Both the folder and the bare entity ID (the IdP's metadata URL,
		// which must not redirect).
		for name, h := range map[string]http.Handler{"spid": t.handler(spid.SPID), "cie": t.handler(spid.CIE)} {
			mux.Handle(simPrefix+name+"/", http.StripPrefix(simPrefix+name, h))
			mux.Handle(simPrefix+name, http.StripPrefix(simPrefix+name, h))
		}
	}
	var sheets []string
	for _, f := range []string{"vendor/bootstrap-italia/css/bootstrap-italia.min.css", "css/fonts.css", "css/sportello.css"} {
		u, err := s.static.url(f)
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		sheets = append(sheets, u)
	}
	if opt.PagoPASim != nil {
		// The simulator's Checkout page wears the host's Bootstrap Italia.
		if st, ok := opt.PagoPASim.(interface{ SetStylesheets([]string) }); ok {
			st.SetStylesheets(sheets)
		}
		mux.Handle(simPrefix+"pagopa/", http.StripPrefix(simPrefix+"pagopa", opt.PagoPASim))
	}
	if opt.Demo {
		catcher, err := mailcatcher.New(opt.DB, func(r *http.Request) (tenant.ID, bool) {
			e, err := s.enti.get(r.Context(), s.db, r.Host)
			if err != nil {
				return 0, false
			}
			return e.ID, true
		}, mailcatcher.Options{Base: "/_sim/posta", Logger: opt.Logger,
			Stylesheets: sheets})
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		mux.Handle("GET /_sim/posta/", catcher)
	}
	s.handler = s.observe(s.secure(mux, crossSite))
	return s, nil
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}
