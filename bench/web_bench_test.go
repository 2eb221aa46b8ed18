package bench

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sportello/sportello/internal/logging"
)

// newSite builds the real server for a benchmark; log nil drops the logs.
func newSite(b *testing.B, log *slog.Logger) *Site {
	b.Helper()
	s, err := NewSite(context.Background(), b.TempDir(), log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// serve runs GET / on h b.N times and fails on anything but 200.
func serve(b *testing.B, h http.Handler) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Host = DemoHost
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkHome is the home page through the whole middleware chain, with
// web's default options (tenant cache on, logs dropped).
func BenchmarkHome(b *testing.B) {
	serve(b, newSite(b, nil).Server)
}

// BenchmarkHomeLogged adds the cost of the one log line per request that
// the binary writes (text format, to io.Discard).
func BenchmarkHomeLogged(b *testing.B) {
	serve(b, newSite(b, logging.New(io.Discard, slog.LevelInfo, "text")).Server)
}

// BenchmarkHomeBare is the baseline: the same bytes from a handler that only
// writes them.
func BenchmarkHomeBare(b *testing.B) {
	s := newSite(b, nil)
	snap, err := Take(s.Server, "/")
	if err != nil {
		b.Fatal(err)
	}
	serve(b, Bare(snap))
}

// BenchmarkHomeParallel is BenchmarkHome on every core at once, to show
// contention (locks, the database pool) that one goroutine cannot.
func BenchmarkHomeParallel(b *testing.B) {
	h := newSite(b, nil).Server
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Host = DemoHost
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d", rec.Code)
				return
			}
		}
	})
}
