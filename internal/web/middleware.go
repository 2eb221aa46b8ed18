package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/i18n"
	"github.com/sportello/sportello/internal/logging"
	"github.com/sportello/sportello/internal/tenant"
)

type ctxKey int

const (
	enteKey ctxKey = iota
	langKey
)

// enteFrom returns the ente the request is for; routes that are not global
// always have one.
func enteFrom(ctx context.Context) *tenant.Ente {
	e, _ := ctx.Value(enteKey).(*tenant.Ente)
	return e
}

// langFrom returns the language the request is served in.
func langFrom(ctx context.Context) i18n.Lang {
	if l, ok := ctx.Value(langKey).(i18n.Lang); ok {
		return l
	}
	return i18n.IT
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	size   int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.size += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// observe is the outermost middleware: it gives the request an id, recovers
// from panics, logs one line per request and records the metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !s.opt.TrustProxy || !requestIDRe.MatchString(id) {
			id = newRequestID()
		}
		ctx := logging.WithRequestID(r.Context(), id)
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(ctx, "panic serving request", "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.handleError(sw, r, errors.New("panic"))
				}
			}
			elapsed := time.Since(start)
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			s.metrics.observe(route, sw.status, elapsed)
			level := slog.LevelInfo
			if sw.status >= 500 {
				level = slog.LevelError
			}
			s.log.Log(ctx, level, "request",
				"method", r.Method, "route", route, "status", sw.status,
				"bytes", sw.size, "duration_ms", float64(elapsed.Microseconds())/1000)
		}()
		next.ServeHTTP(sw, r)
	})
}

// contentSecurityPolicy allows only our own scripts, styles, fonts and
// images: no inline code, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// secure sets the security headers on every response and refuses
// cross-origin unsafe requests (CSRF).
func (s *Server) secure(next http.Handler, crossSite []string) http.Handler {
	cop := http.NewCrossOriginProtection()
	for _, pattern := range crossSite {
		cop.AddInsecureBypassPattern(pattern)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.handleError(w, r, apperr.New(apperr.Forbidden, ""))
	}))
	protected := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if s.isHTTPS(r) {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		protected.ServeHTTP(w, r)
	})
}

// isHTTPS reports whether the browser reached us over TLS, directly or
// through a trusted load balancer.
func (s *Server) isHTTPS(r *http.Request) bool { return requestIsHTTPS(r, s.opt.TrustProxy) }

// requestIsHTTPS is isHTTPS for code that has no Server (the test IdPs'
// base URL).
func requestIsHTTPS(r *http.Request, trustProxy bool) bool {
	return r.TLS != nil || trustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// wrap adapts one route's handler: it finds the ente (unless the route is
// global), picks the language, caps the body, sets caching and maps errors.
func (s *Server) wrap(rt route) http.Handler {
	limit := rt.maxBody
	if limit == 0 {
		limit = defaultMaxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			s.handleError(w, r, apperr.New(apperr.TooLarge, ""))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if !rt.global {
			e, err := s.enti.get(r.Context(), s.db, r.Host)
			if err != nil {
				if apperr.Is(err, apperr.NotFound) {
					s.unknownHost(w, r)
					return
				}
				s.handleError(w, r, err)
				return
			}
			ctx := context.WithValue(r.Context(), enteKey, e)
			ctx = context.WithValue(ctx, langKey, requestLang(r))
			r = r.WithContext(ctx)
			w.Header().Add("Vary", "Accept-Language, Cookie")
			if rt.personal {
				w.Header().Set("Cache-Control", "private, no-store")
			} else {
				w.Header().Set("Cache-Control", "no-cache")
			}
			var ok bool
			if r, ok, err = s.authorize(w, r, rt); err != nil || !ok {
				if err != nil {
					s.handleError(w, r, err)
				}
				return
			}
		}
		h := rt.h
		if rt.cached && s.cache != nil && r.Method == http.MethodGet && r.URL.RawQuery == "" {
			h = func(w http.ResponseWriter, r *http.Request) error { return s.serveCached(w, r, rt.h) }
		}
		if err := h(w, r); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				err = apperr.Errorf(apperr.TooLarge, "body over %d bytes: %w", mbe.Limit, err)
			}
			s.handleError(w, r, err)
		}
	})
}

// langCookie remembers the language chosen with the switcher.
const langCookie = "lang"

// requestLang picks the language: the switcher's cookie, else the browser's.
func requestLang(r *http.Request) i18n.Lang {
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := i18n.Parse(c.Value); ok {
			return l
		}
	}
	return i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// unknownHost answers a Host that no ente owns with a plain page that
// names no comune.
func (s *Server) unknownHost(w http.ResponseWriter, r *http.Request) {
	s.log.InfoContext(r.Context(), "unknown host", "host", tenant.NormalizeHost(r.Host))
	w.Header().Set("Cache-Control", "no-store")
	p := errorPage{basePage: s.base(r, "error.title.404"), Status: http.StatusNotFound}
	p.Message = s.text.T(p.Lang, "error.text.unknown-host")
	s.plainPage(w, http.StatusNotFound, &p)
}
