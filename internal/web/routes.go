package web

import "net/http"

// handlerFunc is what every handler is: it writes a response or returns an
// error, which handleError turns into a status page.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one entry of the routing table.
type route struct {
	pattern string
	h       handlerFunc
	// global routes answer on any host and see no ente (probes, metrics).
	global bool
	// personal pages are never cached by browsers or proxies.
	personal bool
	// cached pages are the same for every visitor: their rendering is kept
	// for a few seconds (see pageCache) when asked for without a query.
	cached bool
	// maxBody overrides the default cap on the request body (1 MiB).
	maxBody int64
}

const defaultMaxBody = 1 << 20

// routes is the whole routing table of the server: every route is here.
func (s *Server) routes() []route {
	return []route{
		// Probes and metrics, for load balancers and monitoring.
		{pattern: "GET /healthz", h: s.healthzShow, global: true},
		{pattern: "GET /readyz", h: s.readyzShow, global: true},
		{pattern: "GET /metrics", h: s.metricsShow, global: true},
		{pattern: "GET /static/", h: s.staticShow, global: true},
		{pattern: "GET /favicon.ico", h: s.faviconShow, global: true},

		// The comune's public site.
		{pattern: "GET /{$}", h: s.homeShow, cached: true},
		{pattern: "GET /amministrazione", h: s.sectionShow("amministrazione"), cached: true},
		{pattern: "GET /amministrazione/uffici", h: s.officesList, cached: true},
		{pattern: "GET /novita", h: s.sectionShow("novita"), cached: true},
		{pattern: "GET /servizi", h: s.servicesList, cached: true},
		{pattern: "GET /servizi/{service}", h: s.serviceShow, cached: true},
		{pattern: "GET /servizi/categoria/{category}", h: s.categoryShow, cached: true},
		{pattern: "GET /vivere", h: s.sectionShow("vivere"), cached: true},
		{pattern: "GET /argomenti", h: s.sectionShow("argomenti"), cached: true},
		{pattern: "GET /faq", h: s.infoShow("faq"), cached: true},
		{pattern: "GET /segnalazione-disservizio", h: s.infoShow("disservizio"), cached: true},
		{pattern: "GET /privacy", h: s.infoShow("privacy"), cached: true},
		{pattern: "GET /note-legali", h: s.infoShow("note-legali"), cached: true},
		{pattern: "GET /accessibilita", h: s.infoShow("accessibilita"), cached: true},
		{pattern: "GET /cerca", h: s.searchShow},
		{pattern: "GET /lingua/{lang}", h: s.languageSet},
		{pattern: "POST /valutazione", h: s.ratingCreate},

		// The citizen's personal area.
		{pattern: "GET /area-personale", h: s.loginShow, personal: true},

		// Anything else: the ente's own "page not found".
		{pattern: "/", h: s.notFound},
	}
}
