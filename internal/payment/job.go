package payment

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/tenant"
)

// PublishArgs is the job that puts a debt position on the platform.
type PublishArgs struct {
	Ente tenant.ID `json:"ente"`
	IUPD string    `json:"iupd"`
}

// Kind names the job in River's table.
func (PublishArgs) Kind() string { return "payment_publish" }

// InsertOpts: the platform may be down for a while; River's backoff spreads
// 25 attempts over about three weeks.
func (PublishArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 25} }

type publishWorker struct {
	river.WorkerDefaults[PublishArgs]
	svc *Service
}

func (w *publishWorker) Work(ctx context.Context, job *river.Job[PublishArgs]) error {
	return w.svc.Publish(ctx, job.Args.Ente, job.Args.IUPD)
}

// PollArgs is the periodic job that fetches receipts.
type PollArgs struct{}

// Kind names the job in River's table.
func (PollArgs) Kind() string { return "payment_poll" }

type pollWorker struct {
	river.WorkerDefaults[PollArgs]
	svc   *Service
	batch int
}

func (w *pollWorker) Work(ctx context.Context, _ *river.Job[PollArgs]) error {
	st, err := w.svc.Poll(ctx, w.batch)
	if st.Checked > 0 {
		w.svc.log().Info("payments polled", "checked", st.Checked, "paid", st.Paid, "duplicates", st.Duplicates, "failed", st.Failed)
	}
	return err
}

// PollBatch is how many notices one poll checks.
const PollBatch = 200

// Jobs adds the publish and poll workers to reg and returns the poll's
// schedule, for jobs.Options.Periodic.
func Jobs(reg *river.Workers, svc *Service, every time.Duration) *river.PeriodicJob {
	river.AddWorker(reg, &publishWorker{svc: svc})
	river.AddWorker(reg, &pollWorker{svc: svc, batch: PollBatch})
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return PollArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// ReconcileArgs is the periodic job that fetches reconciliation flows and
// matches them with the receipts.
type ReconcileArgs struct{}

// Kind names the job in River's table.
func (ReconcileArgs) Kind() string { return "payment_reconcile" }

type reconcileWorker struct {
	river.WorkerDefaults[ReconcileArgs]
	svc *Service
}

func (w *reconcileWorker) Work(ctx context.Context, _ *river.Job[ReconcileArgs]) error {
	st, err := w.svc.Reconcile(ctx)
	if st.Flows > 0 || st.Failed > 0 {
		w.svc.log().Info("payment flows reconciled", "flows", st.Flows, "lines", st.Lines, "failed", st.Failed)
	}
	return err
}

// ReconcileJob adds the reconcile worker to reg and returns its schedule:
// flows come by D+2, so every hour is plenty in production.
func ReconcileJob(reg *river.Workers, svc *Service, every time.Duration) *river.PeriodicJob {
	river.AddWorker(reg, &reconcileWorker{svc: svc})
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return ReconcileArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
