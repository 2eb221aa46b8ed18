package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/identity/spid"
	"github.com/sportello/sportello/internal/pratica"
)

// PurgeArgs is the daily clean-up of short-lived identity state: ended and
// expired sessions, throttle windows, unfinished WebAuthn ceremonies,
// answered or expired SAML requests and
// used assertion ids past their expiry, and SAML messages older than the
// 24 months the SPID rules ask to keep.
type PurgeArgs struct{}

// Kind names the job in River's table.
func (PurgeArgs) Kind() string { return "identity_purge" }

// InsertOpts keeps at most one purge waiting at a time.
func (PurgeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
}

type purgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	db  *db.DB
	log *slog.Logger
}

func (w *purgeWorker) Work(ctx context.Context, _ *river.Job[PurgeArgs]) error {
	now := time.Now()
	sessions, err := identity.PurgeSessions(ctx, w.db, now)
	if err != nil {
		return fmt.Errorf("purge sessions: %w", err)
	}
	throttle, err := identity.PurgeThrottle(ctx, w.db, now)
	if err != nil {
		return fmt.Errorf("purge throttle: %w", err)
	}
	ceremonies, err := identity.PurgeCeremonies(ctx, w.db, now)
	if err != nil {
		return fmt.Errorf("purge webauthn ceremonies: %w", err)
	}
	drafts, err := pratica.PurgeExpiredDrafts(ctx, w.db, now)
	if err != nil {
		return fmt.Errorf("purge expired drafts: %w", err)
	}
	saml, err := spid.PurgeExpired(ctx, w.db, now)
	if err != nil {
		return fmt.Errorf("purge saml state: %w", err)
	}
	messages, err := spid.PurgeMessages(ctx, w.db, spid.MessageCutoff(now))
	if err != nil {
		return fmt.Errorf("purge saml messages: %w", err)
	}
	w.log.InfoContext(ctx, "identity purge", "sessions", sessions, "throttle", throttle, "webauthn_ceremonies", ceremonies, "drafts", drafts, "saml_state", saml, "saml_messages", messages)
	return nil
}

// purgeJob adds the purge worker to reg and returns its daily schedule.
func purgeJob(reg *river.Workers, d *db.DB, log *slog.Logger) *river.PeriodicJob {
	river.AddWorker(reg, &purgeWorker{db: d, log: log})
	return river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return PurgeArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
