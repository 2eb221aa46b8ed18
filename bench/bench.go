// Package bench measures Sportello against the performance targets of the
// foundation issue: the home page under load (bench/homeload), the start
// and the idle memory of the binary (bench/startup), and the cost of one
// home page in allocations (the Go benchmarks here). docs/benchmarks.md
// records the figures and how to rerun them.
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/web"
)

// DemoHost is a Host the demo comune answers on.
const DemoHost = "127.0.0.1"

// Site is the real server on a fresh SQLite database seeded with the demo
// comune, built the way `sportello demo` builds it minus the job worker.
type Site struct {
	Server *web.Server
	DB     *db.DB
}

// NewSite creates the database in dir, migrates and seeds it, and builds the
// server with web's default options (tenant cache on). log nil means web's
// default, a logger that drops everything.
func NewSite(ctx context.Context, dir string, log *slog.Logger) (*Site, error) {
	d, err := db.Open(ctx, "sqlite://"+filepath.ToSlash(filepath.Join(dir, "bench.db")), db.Options{})
	if err != nil {
		return nil, err
	}
	if _, err := d.Migrate(ctx, time.Now); err != nil {
		d.Close()
		return nil, err
	}
	if _, err := demo.Seed(ctx, d, time.Now()); err != nil {
		d.Close()
		return nil, err
	}
	srv, err := web.New(web.Options{DB: d, Logger: log, Version: "bench"})
	if err != nil {
		d.Close()
		return nil, err
	}
	return &Site{Server: srv, DB: d}, nil
}

// Close closes the database.
func (s *Site) Close() error { return s.DB.Close() }

// Snapshot is one response of the real server, for a bare handler to
// replay.
type Snapshot struct {
	ContentType string
	Body        []byte
}

// Take serves one GET of path on the demo host and returns its body and
// Content-Type; anything but 200 is an error.
func Take(h http.Handler, path string) (Snapshot, error) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = DemoHost
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return Snapshot{}, fmt.Errorf("GET %s: status %d", path, res.StatusCode)
	}
	return Snapshot{ContentType: res.Header.Get("Content-Type"), Body: body}, nil
}

// Bare returns the baseline: a handler that writes the snapshot's bytes and
// does nothing else, the most net/http can do for that response.
func Bare(s Snapshot) http.Handler {
	length := strconv.Itoa(len(s.Body))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{s.ContentType}
		h["Content-Length"] = []string{length}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(s.Body)
	})
}
