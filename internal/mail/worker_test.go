package mail_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/tenant"
)

// patience is how long a test waits for something that should happen.
const patience = 15 * time.Second

var now = time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC)

func newEnte(t *testing.T, d *db.DB, slug, istat string) tenant.ID {
	t.Helper()
	e := &tenant.Ente{
		Slug: slug, Name: "Comune di " + slug, IstatCode: istat, Belfiore: "A116", IPACode: "c_" + slug,
		FiscalCode: "00000000000", Province: "TN", Hosts: []string{slug + ".example"},
	}
	err := d.InTx(context.Background(), func(tx *sql.Tx) error { return tenant.Create(context.Background(), tx, e, now) })
	if err != nil {
		t.Fatal(err)
	}
	return e.ID
}

func message(ente tenant.ID, to string) mail.Message {
	return mail.Message{
		Ente: ente, To: to, Subject: "Pratica ricevuta – n. 42", Text: "Gentile cittadino, abbiamo ricevuto la sua pratica.",
		Kind: "pratica-received", Ref: "pratica:42",
	}
}

// sent is one call to a recordingSender.
type sent struct {
	From string
	Msg  mail.Message
}

// recordingSender records every message; its first failures calls fail
// with failWith.
type recordingSender struct {
	mu       sync.Mutex
	sent     []sent
	calls    int
	failures int
	failWith error
}

func (s *recordingSender) Send(ctx context.Context, from string, m mail.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.calls <= s.failures {
		return fmt.Errorf("attempt %d: %w", s.calls, s.failWith)
	}
	s.sent = append(s.sent, sent{From: from, Msg: m})
	return nil
}

func (s *recordingSender) Via() string { return "test" }

func (s *recordingSender) snapshot() (calls int, out []sent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls, append([]sent(nil), s.sent...)
}

// start returns a database with one ente and working Jobs whose only
// worker is mail's, with sender and quick retries; it stops with the test.
func start(t *testing.T, sender mail.Sender) (*db.DB, *jobs.Jobs, tenant.ID) {
	t.Helper()
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	reg := river.NewWorkers()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
	river.AddWorker(reg, mail.NewFastWorker(d, sender, log, 20*time.Millisecond))
	j, err := jobs.New(d, jobs.Options{Workers: 2, Registry: reg, PollInterval: 50 * time.Millisecond, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		if err := j.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return d, j, ente
}

// queue queues m in a transaction that commits, or rolls back when commit
// is false; opts may be nil.
func queue(t *testing.T, d *db.DB, j *jobs.Jobs, m mail.Message, commit bool, opts *river.InsertOpts) mail.ID {
	t.Helper()
	ctx := context.Background()
	errRollback := errors.New("roll back")
	var id mail.ID
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if id, err = mail.QueueWithOpts(ctx, tx, j, m, now, opts); err != nil {
			return err
		}
		if !commit {
			return errRollback
		}
		return nil
	})
	switch {
	case commit && err != nil:
		t.Fatalf("queue: %v", err)
	case !commit && !errors.Is(err, errRollback):
		t.Fatalf("queue = %v, want the rollback", err)
	}
	return id
}

// waitFor polls the message until ok says it is done, and returns it.
func waitFor(t *testing.T, d *db.DB, ente tenant.ID, id mail.ID, ok func(*mail.Record) bool) *mail.Record {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		r, err := mail.Get(context.Background(), d, ente, id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %d still %s after %s (attempts %d, last error %q)", id, r.Status, patience, r.Attempts, r.LastError)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func hasStatus(s mail.Status) func(*mail.Record) bool {
	return func(r *mail.Record) bool { return r.Status == s }
}

// jobStates lists the states of River's mail jobs.
func jobStates(t *testing.T, d *db.DB) []string {
	t.Helper()
	rows, err := d.QueryContext(context.Background(), `SELECT state FROM river_job WHERE kind = 'mail_send' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestRolledBackMessageLeavesNothing(t *testing.T) {
	t.Parallel()
	s := &recordingSender{}
	d, j, ente := start(t, s)
	queue(t, d, j, message(ente, "rolled.back@example.it"), false, nil)
	sentinel := queue(t, d, j, message(ente, "sentinel@example.it"), true, nil)
	waitFor(t, d, ente, sentinel, hasStatus(mail.Sent))

	all, err := mail.List(context.Background(), d, ente, mail.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].ID != sentinel {
		t.Errorf("List = %d messages, want only the sentinel", len(all))
	}
	waitJobs(t, d, []string{"completed"})
	if _, got := s.snapshot(); len(got) != 1 || got[0].Msg.To != "sentinel@example.it" {
		t.Errorf("sent %+v, want the sentinel only", got)
	}
}

func TestCommittedMessageIsSent(t *testing.T) {
	t.Parallel()
	s := &recordingSender{}
	d, j, ente := start(t, s)
	m := message(ente, "mario.rossi@example.it")
	m.HTML = "<p>Gentile cittadino</p>"
	id := queue(t, d, j, m, true, nil)

	got := waitFor(t, d, ente, id, hasStatus(mail.Sent))
	want := &mail.Record{ID: id, Message: m, Status: mail.Sent, Attempts: 1, Via: "test", Created: now.Truncate(time.Microsecond)}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(mail.Record{}, "Sent")); diff != "" {
		t.Errorf("record mismatch (-want +got):\n%s", diff)
	}
	if got.Sent.IsZero() {
		t.Error("Sent is zero")
	}
	if diff := cmp.Diff([]sent{{From: "Comune di ala", Msg: m}}, second(s.snapshot())); diff != "" {
		t.Errorf("sent mismatch (-want +got):\n%s", diff)
	}
}

func second[A, B any](_ A, b B) B { return b }

func TestFailingSenderIsRetried(t *testing.T) {
	t.Parallel()
	s := &recordingSender{failures: 2, failWith: apperr.Errorf(apperr.Unavailable, "relay down")}
	d, j, ente := start(t, s)
	id := queue(t, d, j, message(ente, "mario.rossi@example.it"), true, nil)

	got := waitFor(t, d, ente, id, hasStatus(mail.Sent))
	if got.Attempts != 3 || got.LastError != "" {
		t.Errorf("attempts %d, last error %q; want 3 and none", got.Attempts, got.LastError)
	}
	if calls, out := s.snapshot(); calls != 3 || len(out) != 1 {
		t.Errorf("sender called %d times, sent %d; want 3 and 1", calls, len(out))
	}
}

func TestLastAttemptMarksFailed(t *testing.T) {
	t.Parallel()
	s := &recordingSender{failures: 1000, failWith: errors.New("451 try later, mario.rossi@example.it")}
	d, j, ente := start(t, s)
	id := queue(t, d, j, message(ente, "mario.rossi@example.it"), true, &river.InsertOpts{MaxAttempts: 3})

	got := waitFor(t, d, ente, id, hasStatus(mail.Failed))
	if got.Attempts != 3 || got.LastError != "attempt 3: 451 try later, mario.rossi@example.it" {
		t.Errorf("attempts %d, last error %q", got.Attempts, got.LastError)
	}
	waitJobs(t, d, []string{"discarded"})
}

func TestRejectedMessageFailsAtOnce(t *testing.T) {
	t.Parallel()
	s := &recordingSender{failures: 1000, failWith: mail.ErrRejected}
	d, j, ente := start(t, s)
	id := queue(t, d, j, message(ente, "nobody@example.it"), true, nil)

	got := waitFor(t, d, ente, id, hasStatus(mail.Failed))
	if got.Attempts != 1 {
		t.Errorf("attempts %d, want 1", got.Attempts)
	}
	waitJobs(t, d, []string{"cancelled"})
}

// waitJobs polls River's mail jobs until their states are want.
func waitJobs(t *testing.T, d *db.DB, want []string) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		diff := cmp.Diff(want, jobStates(t, d))
		if diff == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mail jobs mismatch (-want +got):\n%s", diff)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestJobTwiceSendsOnce runs the job of one message twice, through River
// (a duplicate job) and directly: the message goes out once.
func TestJobTwiceSendsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := &recordingSender{}
	d, j, ente := start(t, s)
	id := queue(t, d, j, message(ente, "mario.rossi@example.it"), true, nil)
	first := waitFor(t, d, ente, id, hasStatus(mail.Sent))

	err := d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := j.EnqueueTx(ctx, tx, mail.SendArgs{Ente: ente, ID: id}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	waitJobs(t, d, []string{"completed", "completed"})

	w := mail.NewWorker(d, s, nil)
	job := &river.Job[mail.SendArgs]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: mail.MaxAttempts}, Args: mail.SendArgs{Ente: ente, ID: id}}
	if err := w.Work(ctx, job); err != nil {
		t.Fatalf("Work again: %v", err)
	}
	if calls, out := s.snapshot(); calls != 1 || len(out) != 1 {
		t.Errorf("sender called %d times, sent %d; want 1 and 1", calls, len(out))
	}
	again, err := mail.Get(ctx, d, ente, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("the record changed (-first +again):\n%s", diff)
	}
}

// TestWorkOnAnotherEnteFindsNothing checks that a job naming the wrong ente
// for a message sends nothing: the key is (ente, id), never id alone.
func TestWorkOnAnotherEnteFindsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := &recordingSender{}
	d, j, ente := start(t, s)
	other := newEnte(t, d, "avio", "022007")
	id := queue(t, d, j, message(ente, "mario.rossi@example.it"), true, nil)
	waitFor(t, d, ente, id, hasStatus(mail.Sent))

	w := mail.NewWorker(d, s, nil)
	job := &river.Job[mail.SendArgs]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: 1}, Args: mail.SendArgs{Ente: other, ID: id}}
	var cancel *river.JobCancelError
	if err := w.Work(ctx, job); !errors.As(err, &cancel) {
		t.Errorf("Work for another ente = %v, want a cancelled job", err)
	}
	if calls, _ := s.snapshot(); calls != 1 {
		t.Errorf("sender called %d times, want 1", calls)
	}
}
