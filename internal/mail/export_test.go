package mail

import (
	"context"
	"crypto/x509"
	"database/sql"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/jobs"
)

// QueueWithOpts is Queue with River's insert options, to shorten attempts.
func QueueWithOpts(ctx context.Context, tx *sql.Tx, j *jobs.Jobs, m Message, now time.Time, opts *river.InsertOpts) (ID, error) {
	return queue(ctx, tx, j, m, now, opts)
}

// NewFastWorker is NewWorker with a fixed retry delay instead of River's
// backoff, so that retries happen within a test.
func NewFastWorker(d *db.DB, s Sender, log *slog.Logger, delay time.Duration) river.Worker[SendArgs] {
	w := newWorker(d, s, log)
	w.retry = func(int) time.Duration { return delay }
	return w
}

// Compose exposes the MIME composition to the SMTP tests.
var Compose = compose

// URLWithPassword renders c as a URL with its real password, to check that
// ParseSMTPURL reads back what String shows.
func URLWithPassword(c SMTPConfig) string { return c.url(c.Password) }

// TrustRoots makes s trust the test relay's certificate.
func TrustRoots(s *SMTP, roots *x509.CertPool) { s.roots = roots }
