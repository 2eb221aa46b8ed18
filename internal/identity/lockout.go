package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// Lockout policy: LockoutThreshold consecutive failures (passwords and
// second factors alike) lock the username for LockoutBase; once the lock
// has run out, every further failure locks it again for twice as long, up
// to LockoutMax. A success resets the count; so does a quiet day
// (lockoutMemory after the last failure or the end of the last lock).
const (
	LockoutThreshold = 5
	LockoutBase      = 15 * time.Minute
	LockoutMax       = 24 * time.Hour
	lockoutMemory    = 24 * time.Hour
)

// lockDuration is how long the failures-th consecutive failure locks.
func lockDuration(failures int) time.Duration {
	if failures < LockoutThreshold {
		return 0
	}
	d := LockoutBase
	for i := LockoutThreshold; i < failures && d < LockoutMax; i++ {
		d *= 2
	}
	return min(d, LockoutMax)
}

// lockedErr is the Forbidden error shown while a username is locked.
func lockedErr(until, now time.Time) error {
	return &apperr.Error{
		Kind:   apperr.Forbidden,
		Public: "Troppi tentativi: riprova più tardi",
		Err:    &LockedError{Until: until.UTC(), RetryAfter: until.Sub(now)},
	}
}

// checkLock refuses an attempt while the username is locked. Lockouts are
// keyed by the username typed, so an unknown username locks exactly like a
// real one and its existence cannot be probed by counting attempts.
func checkLock(ctx context.Context, q db.Querier, ente tenant.ID, username string, now time.Time) error {
	var until sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT locked_until FROM login_lockout WHERE ente_id = $1 AND username = $2`,
		ente, username).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("lockout: %w", err)
	}
	if until.Valid && until.Time.After(now) {
		return lockedErr(until.Time, now)
	}
	return nil
}

// recordFailure counts one failure atomically (concurrent failures all
// count) and locks the username when the count reaches the threshold. It
// returns the locked error when this failure locked it, nil otherwise.
func recordFailure(ctx context.Context, q db.Querier, ente tenant.ID, username string, now time.Time) error {
	const count = `INSERT INTO login_lockout (ente_id, username, failures, last_failure_at) VALUES ($1, $2, 1, $3)
		ON CONFLICT (ente_id, username) DO UPDATE SET
		failures = CASE WHEN COALESCE(login_lockout.locked_until, login_lockout.last_failure_at) < $4
			THEN 1 ELSE login_lockout.failures + 1 END,
		last_failure_at = excluded.last_failure_at
		RETURNING failures`
	var n int
	if err := q.QueryRowContext(ctx, count, ente, username, ts(now), ts(now.Add(-lockoutMemory))).Scan(&n); err != nil {
		return fmt.Errorf("lockout: count failure: %w", err)
	}
	d := lockDuration(n)
	if d == 0 {
		return nil
	}
	until := ts(now.Add(d))
	// Only the failure that set this count sets the lock: a concurrent one
	// that counted further sets its own, longer lock.
	_, err := q.ExecContext(ctx, `UPDATE login_lockout SET locked_until = $3 WHERE ente_id = $1 AND username = $2 AND failures = $4`,
		ente, username, until, n)
	if err != nil {
		return fmt.Errorf("lockout: lock: %w", err)
	}
	return lockedErr(until, now)
}

// clearFailures forgets the failures after a complete login.
func clearFailures(ctx context.Context, q db.Querier, ente tenant.ID, username string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM login_lockout WHERE ente_id = $1 AND username = $2`, ente, username)
	if err != nil {
		return fmt.Errorf("lockout: clear: %w", err)
	}
	return nil
}

// Unlock lifts the lock on a username and forgets its failures, for an
// administrator who has verified the operator by other means.
func Unlock(ctx context.Context, q db.Querier, ente tenant.ID, username string) error {
	return clearFailures(ctx, q, ente, normalizeUsername(username))
}
