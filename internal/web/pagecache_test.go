package web

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/demo"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestPageCache(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	if _, err := demo.Seed(ctx, d, testNow); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: testNow}
	s, err := New(Options{DB: d, Now: clock.now, TenantCacheTTL: -1, PageCacheTTL: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rename := func(name string) {
		t.Helper()
		if _, err := d.ExecContext(ctx, `UPDATE office SET name = $1 WHERE slug = 'parla'`, name); err != nil {
			t.Fatal(err)
		}
	}
	has := func(path, lang, want string) bool {
		t.Helper()
		req := httptest.NewRequest("GET", path, nil)
		req.Host = "localhost"
		req.Header.Set("Accept-Language", lang)
		res, body := do(t, s, req)
		if res.StatusCode != 200 {
			t.Fatalf("%s: status %d", path, res.StatusCode)
		}
		if res.Header.Get("X-Request-Id") == "" || res.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: a cached page lost its per-request headers", path)
		}
		return strings.Contains(body, want)
	}

	if !has("/", "it", "pArLA") {
		t.Fatal("home lacks the desk")
	}
	rename("Sportello nuovo")
	if !has("/", "it", "pArLA") {
		t.Error("the home page was rendered again within the cache's lifetime")
	}
	if !has("/", "en", "Sportello nuovo") {
		t.Error("the English page shares the Italian one's cache entry")
	}
	if !has("/cerca?q=sportello", "it", "Sportello nuovo") {
		t.Error("a page with a query string came from the cache")
	}
	if !has("/accedi", "it", "Sportello nuovo") {
		t.Error("the login page (personal) came from the cache")
	}
	clock.add(5 * time.Second)
	if !has("/", "it", "Sportello nuovo") {
		t.Error("the cached page outlived its lifetime")
	}
}
