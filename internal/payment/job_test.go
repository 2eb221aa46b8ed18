package payment_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/pratica"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
)

// patience bounds how long a test waits for River to work a job.
const patience = 30 * time.Second

// TestJobsPublishAndPoll runs the real workers on River: the publish job
// queued by the submission puts the position on the platform; after a
// payment at a counter the periodic poll moves the pratica on.
func TestJobsPublishAndPoll(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	reg := river.NewWorkers()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
	f.svc.Log = log
	poll := payment.Jobs(reg, f.svc, 200*time.Millisecond)
	j, err := jobs.New(f.d, jobs.Options{Workers: 2, Registry: reg, PollInterval: 50 * time.Millisecond, Logger: log,
		Periodic: []*river.PeriodicJob{poll}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f.jobs, f.svc.Jobs = j, j
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
	pr, p := f.submitted(t, f.ala, 1600)
	wait(t, "the position published", func() bool { return f.get(t, f.ala, p.ID).State == payment.Open })
	if _, err := f.sim.Pay(f.ala.fiscalCode, p.NAV, pagopasim.Tobacconist); err != nil {
		t.Fatal(err)
	}
	wait(t, "the pratica moved on", func() bool { return f.pratica(t, f.ala, pr.ID).State == pratica.Submitted })
	if got := f.get(t, f.ala, p.ID).State; got != payment.Paid {
		t.Errorf("notice %s", got)
	}
}

func wait(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, patience)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
