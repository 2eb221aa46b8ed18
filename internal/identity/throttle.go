package identity

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// maxThrottleKey bounds the keys callers build from client input.
const maxThrottleKey = 200

// Allow counts one attempt under key (e.g. "login-ip:192.0.2.1",
// "totp:op:7") and reports whether it is within limit attempts per window,
// and if not how long until one would be. Every instance shares the count,
// because it lives in the database; one upsert makes it atomic on both
// engines.
//
// The window slides: the estimate is the current fixed window's count plus
// the previous window's, weighted by how much of it still overlaps the last
// `window` of time (Cloudflare's approximation). A burst at a window's end
// therefore cannot be followed by a full fresh window at once, as it could
// with plain fixed windows. Refused attempts count too, so that a client
// that keeps hammering stays refused.
func Allow(ctx context.Context, q db.Querier, ente tenant.ID, key string, limit int, window time.Duration, now time.Time) (ok bool, retryAfter time.Duration, err error) {
	if key == "" || len(key) > maxThrottleKey || limit < 1 || window < time.Second {
		return false, 0, apperr.Errorf(apperr.Invalid, "throttle: key of 1–%d bytes, limit ≥ 1, window ≥ 1s", maxThrottleKey)
	}
	start := ts(now.Truncate(window))
	// A row whose window starts at or after ours was written by an instance
	// whose clock runs slightly ahead: count into it rather than go back.
	const upsert = `INSERT INTO throttle (ente_id, bucket, window_start, hits, prev_hits, expires_at)
		VALUES ($1, $2, $3, 1, 0, $5)
		ON CONFLICT (ente_id, bucket) DO UPDATE SET
		prev_hits = CASE WHEN throttle.window_start >= $3 THEN throttle.prev_hits
			WHEN throttle.window_start = $4 THEN throttle.hits ELSE 0 END,
		hits = CASE WHEN throttle.window_start >= $3 THEN throttle.hits + 1 ELSE 1 END,
		window_start = CASE WHEN throttle.window_start >= $3 THEN throttle.window_start ELSE $3 END,
		expires_at = CASE WHEN throttle.window_start >= $3 THEN throttle.expires_at ELSE $5 END
		RETURNING window_start, hits, prev_hits`
	var got time.Time
	var hits, prev int
	err = q.QueryRowContext(ctx, upsert, ente, key, start, ts(start.Add(-window)), ts(start.Add(2*window))).
		Scan(&got, &hits, &prev)
	if err != nil {
		return false, 0, fmt.Errorf("throttle %q: %w", key, err)
	}
	got = got.UTC()
	elapsed := max(now.Sub(got), 0)
	if estimate(prev, hits, elapsed, window) <= float64(limit) {
		return true, 0, nil
	}
	return false, retryAfterOf(prev, hits, limit, elapsed, window), nil
}

// estimate is the sliding count at elapsed into the current window.
func estimate(prev, hits int, elapsed, window time.Duration) float64 {
	overlap := 1 - min(float64(elapsed)/float64(window), 1)
	return float64(prev)*overlap + float64(hits)
}

// retryAfterOf returns how long until one more attempt would fit, if none
// were made meanwhile, rounded up to whole seconds.
func retryAfterOf(prev, hits, limit int, elapsed, window time.Duration) time.Duration {
	w := float64(window)
	var at float64 // time from the current window's start
	if hits+1 <= limit && prev > 0 {
		// Still this window: wait until the previous window weighs less.
		at = w * (1 - float64(limit-hits-1)/float64(prev))
	} else {
		// The next window: this one's hits then weigh as the previous.
		at = w + w*max(1-float64(limit-1)/float64(hits), 0)
	}
	d := time.Duration(at) - elapsed
	return max(time.Duration(math.Ceil(float64(d)/float64(time.Second)))*time.Second, time.Second)
}

// PurgeThrottle deletes the short-lived credential state no check reads
// any more, in every ente, for the daily job: throttle windows past their
// use, lockouts forgotten after a quiet day, and expired contact codes. It
// returns how many rows it deleted.
func PurgeThrottle(ctx context.Context, q db.Querier, now time.Time) (int, error) {
	stmts := []struct {
		query string
		arg   time.Time
	}{
		{`DELETE FROM throttle WHERE expires_at <= $1`, ts(now)},
		{`DELETE FROM login_lockout WHERE COALESCE(locked_until, last_failure_at) < $1`, ts(now.Add(-lockoutMemory))},
		{`DELETE FROM contact_check WHERE expires_at <= $1`, ts(now)},
	}
	total := 0
	for _, s := range stmts {
		res, err := q.ExecContext(ctx, s.query, s.arg)
		if err != nil {
			return total, fmt.Errorf("purge throttle: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("purge throttle: %w", err)
		}
		total += int(n)
	}
	return total, nil
}
