package web

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sportello/sportello/internal/i18n"
	"github.com/sportello/sportello/internal/tenant"
)

// pageCache keeps the rendered bytes of public pages that are the same for
// every visitor (no session, no query string) for a few seconds, so that a
// burst of visitors costs one render, not one each. Only the body is kept:
// headers that differ per request (request id, security headers) are set
// on every response. Like tenantCache it holds nothing another instance
// needs; see docs/decisions/0004-page-cache.md.
type pageCache struct {
	ttl     time.Duration
	now     func() time.Time
	mu      sync.Mutex
	entries map[pageKey]cachedPage
}

// pageKey names one rendering of a page: the same path is a different page
// for another ente or in another language.
type pageKey struct {
	ente tenant.ID
	lang i18n.Lang
	path string
}

type cachedPage struct {
	ctype   string
	body    []byte
	expires time.Time
}

// maxCachedPages bounds the cache: made-up paths render the 404 page,
// which is never cached, so only real pages can fill it.
const maxCachedPages = 5000

func newPageCache(ttl time.Duration, now func() time.Time) *pageCache {
	if ttl < 0 {
		return nil
	}
	return &pageCache{ttl: ttl, now: now, entries: map[pageKey]cachedPage{}}
}

func (c *pageCache) get(k pageKey) (cachedPage, bool) {
	c.mu.Lock()
	p, ok := c.entries[k]
	c.mu.Unlock()
	if !ok || !c.now().Before(p.expires) {
		return cachedPage{}, false
	}
	return p, true
}

func (c *pageCache) put(k pageKey, ctype string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedPages {
		clear(c.entries)
	}
	c.entries[k] = cachedPage{ctype: ctype, body: body, expires: c.now().Add(c.ttl)}
}

// write sends a cached page.
func (p cachedPage) write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", p.ctype)
	h.Set("Content-Length", strconv.Itoa(len(p.body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p.body)
}

// recorder passes a response through while keeping a copy of its body, so
// that a successful page can be cached.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// serveCached answers from the page cache, or runs h and caches its page
// if it rendered one with status 200.
func (s *Server) serveCached(w http.ResponseWriter, r *http.Request, h handlerFunc) error {
	e := enteFrom(r.Context())
	k := pageKey{ente: e.ID, lang: langFrom(r.Context()), path: r.URL.Path}
	if p, ok := s.cache.get(k); ok {
		p.write(w)
		return nil
	}
	rec := &recorder{ResponseWriter: w}
	if err := h(rec, r); err != nil {
		return err
	}
	if rec.status == http.StatusOK {
		s.cache.put(k, rec.Header().Get("Content-Type"), rec.body.Bytes())
	}
	return nil
}
