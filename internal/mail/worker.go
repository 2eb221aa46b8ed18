package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// MaxAttempts is how many times a message is tried before it is marked
// failed. With River's backoff (attempt⁴ seconds) the last try comes about
// six days after the first: a relay down over a long weekend still delivers,
// while a receipt is not sent weeks after the fact.
const MaxAttempts = 20

// SendArgs is the job that sends one queued message. It carries only the
// message's key: the content stays in the mail table, where it is the record
// of what was sent, and out of River's job table, which is purged.
type SendArgs struct {
	Ente tenant.ID `json:"ente"`
	ID   ID        `json:"id"`
}

// Kind names the job in River's table.
func (SendArgs) Kind() string { return "mail_send" }

// InsertOpts sets the number of attempts, which the worker also reads to
// know when a failure is the last one.
func (SendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MaxAttempts}
}

// worker sends queued messages through a Sender.
type worker struct {
	river.WorkerDefaults[SendArgs]
	db     *db.DB
	sender Sender
	via    string
	log    *slog.Logger
	now    func() time.Time
	// retry, when set, replaces River's backoff (tests).
	retry func(attempt int) time.Duration
}

// NewWorker returns the worker main adds to the job registry
// (river.AddWorker): it sends each queued message with s and records the
// outcome on the message's row.
func NewWorker(d *db.DB, s Sender, log *slog.Logger) river.Worker[SendArgs] {
	return newWorker(d, s, log)
}

func newWorker(d *db.DB, s Sender, log *slog.Logger) *worker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &worker{db: d, sender: s, via: via(s), log: log, now: time.Now}
}

// NextRetry keeps River's backoff unless a test shortened it.
func (w *worker) NextRetry(job *river.Job[SendArgs]) time.Time {
	if w.retry == nil {
		return time.Time{}
	}
	return time.Now().Add(w.retry(job.Attempt))
}

// Work sends the message unless it is already sent, so a job delivered twice
// sends once. The row is read and updated outside any transaction: holding
// one across the network would block every writer on SQLite. A job that
// crashes between the relay's acceptance and the update sends again on
// retry — e-mail is at-least-once by nature.
func (w *worker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	a := job.Args
	log := w.log.With("ente", a.Ente, "mail", a.ID, "attempt", job.Attempt)
	p, err := load(ctx, w.db, a.Ente, a.ID)
	if apperr.Is(err, apperr.NotFound) {
		// The ente was deleted with its outbox: nothing is left to send.
		log.Warn("mail vanished before sending")
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if p.status != Queued {
		log.Debug("mail already handled", "status", p.status)
		return nil
	}
	log = log.With("kind", p.msg.Kind)
	sendErr := w.sender.Send(ctx, p.from, p.msg)
	// Whatever happened is recorded even if the job's time ran out meanwhile,
	// on a context of its own: a sent message above all.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if sendErr == nil {
		if _, err := w.db.ExecContext(rctx, markSent, a.Ente, a.ID, w.via, w.now().UTC().Truncate(time.Microsecond)); err != nil {
			// Sent but not recorded: the retry will send again (at least once).
			return fmt.Errorf("mail %d: record sent: %w", a.ID, err)
		}
		log.Info("mail sent", "via", w.via)
		return nil
	}
	// The relay's answer may quote the address, which goes neither to our
	// log nor, through the returned error, to River's.
	masked := errors.New(strings.ReplaceAll(sendErr.Error(), p.msg.To, "<recipient>"))
	if errors.Is(ctx.Err(), context.Canceled) {
		// Shutdown: River puts the job back without spending the attempt,
		// so the row records nothing either.
		return masked
	}
	final := errors.Is(sendErr, ErrRejected) || job.Attempt >= job.MaxAttempts
	status := Queued
	if final {
		status = Failed
	}
	if _, err := w.db.ExecContext(rctx, markAttempt, a.Ente, a.ID, string(status), truncate(sendErr.Error(), maxErrorText)); err != nil {
		return fmt.Errorf("mail %d: record failure: %w", a.ID, err)
	}
	if !final {
		log.Warn("mail not sent, will retry", "err", masked)
		return masked
	}
	log.Error("mail failed for good", "err", masked)
	if errors.Is(sendErr, ErrRejected) {
		return river.JobCancel(masked)
	}
	return masked
}

// recordTimeout bounds the update that records a failed attempt.
const recordTimeout = 5 * time.Second

// maxErrorText caps mail.last_error; a relay's answer is a few lines.
const maxErrorText = 2000

// truncate shortens s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
