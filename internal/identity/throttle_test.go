package identity_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity"
)

func TestAllow(t *testing.T) {
	f := setup(t)
	s := time.Second
	type call struct {
		at    time.Duration // after t0, which starts a minute
		ok    bool
		retry time.Duration // checked when the call is refused; -1 skips
	}
	tests := []struct {
		name   string
		limit  int
		window time.Duration
		calls  []call
	}{
		{"a burst, then the previous window fades", 3, time.Minute, []call{
			{0, true, 0}, {1 * s, true, 0}, {2 * s, true, 0},
			{10 * s, false, 80 * s}, // 4 hits; at 90 s they weigh 2, and one more fits
			{90 * s, true, 0},
		}},
		{"refused attempts count", 3, time.Minute, []call{
			{0, true, 0}, {1 * s, true, 0}, {2 * s, true, 0}, {10 * s, false, 80 * s},
			{89 * s, false, 16 * s}, // 4·31/60 + 1 > 3; counted, so the wait grows to 105 s
			{105 * s, true, 0},
		}},
		{"no fresh burst right after a full window", 5, time.Minute, []call{
			{59 * s, true, 0}, {59 * s, true, 0}, {59 * s, true, 0}, {59 * s, true, 0}, {59 * s, true, 0},
			{60 * s, false, 24 * s}, // a fixed window would allow it
			{84 * s, true, 0},
		}},
		{"a quiet window forgets", 1, time.Minute, []call{
			{0, true, 0}, {30 * s, false, -1}, {120 * s, true, 0},
		}},
		{"an instance whose clock runs late counts in the newer window", 1, time.Minute, []call{
			{60 * s, true, 0}, {59 * s, false, -1},
		}},
		{"hour windows", 5, time.Hour, []call{
			// Windows start on the hour: at 09:31 six hits of the 09:00 window
			// weigh 4 only at 10:20, when one more fits.
			{0, true, 0}, {0, true, 0}, {0, true, 0}, {0, true, 0}, {0, true, 0}, {time.Minute, false, 49 * time.Minute},
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := fmt.Sprintf("login-ip:192.0.2.%d", i)
			for j, c := range tc.calls {
				ok, retry, err := identity.Allow(ctx, f.d, f.ente, key, tc.limit, tc.window, t0.Add(c.at))
				if err != nil {
					t.Fatal(err)
				}
				if ok != c.ok {
					t.Fatalf("call %d at +%s: ok = %v, want %v", j, c.at, ok, c.ok)
				}
				if ok && retry != 0 {
					t.Errorf("call %d: allowed with retry %s", j, retry)
				}
				if !ok && c.retry >= 0 && retry != c.retry {
					t.Errorf("call %d at +%s: retry after %s, want %s", j, c.at, retry, c.retry)
				}
			}
		})
	}
	for _, bad := range []struct {
		key    string
		limit  int
		window time.Duration
	}{{"", 1, time.Minute}, {"k", 0, time.Minute}, {"k", 1, time.Millisecond}, {string(make([]byte, 201)), 1, time.Minute}} {
		_, _, err := identity.Allow(ctx, f.d, f.ente, bad.key, bad.limit, bad.window, t0)
		wantKind(t, fmt.Sprintf("Allow(%d-byte key, %d, %s)", len(bad.key), bad.limit, bad.window), err, apperr.Invalid)
	}
}

func TestAllowKeysAndEntiAreSeparate(t *testing.T) {
	f := setup(t)
	allow := func(ente int, key string) bool {
		e := f.ente
		if ente == 2 {
			e = f.other
		}
		ok, _, err := identity.Allow(ctx, f.d, e, key, 1, time.Minute, t0)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !allow(1, "totp:op:7") || allow(1, "totp:op:7") {
		t.Fatal("limit 1 did not refuse the second attempt")
	}
	if !allow(1, "totp:op:8") {
		t.Error("another key was refused")
	}
	if !allow(2, "totp:op:7") {
		t.Error("the same key in another ente was refused")
	}
}

// TestAllowConcurrent makes many attempts at once, as several instances
// would: exactly limit of them pass.
func TestAllowConcurrent(t *testing.T) {
	f := setup(t)
	const n, limit = 24, 7
	var passed atomic.Int32
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			ok, _, err := identity.Allow(ctx, f.d, f.ente, "login-ip:198.51.100.1", limit, time.Minute, t0.Add(time.Second))
			errs[i] = err
			if ok {
				passed.Add(1)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := passed.Load(); got != limit {
		t.Errorf("%d of %d concurrent attempts passed, want %d", got, n, limit)
	}
}

func TestPurgeThrottle(t *testing.T) {
	f := setup(t)
	c := f.login(t, f.ente, cfMario)
	if _, _, err := identity.Allow(ctx, f.d, f.ente, "k", 1, time.Minute, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := identity.StartContactCheck(ctx, f.d, f.ente, c.ID, identity.ContactEmail, "a@example.it", t0); err != nil {
		t.Fatal(err)
	}
	_, _ = identity.Authenticate(ctx, f.d, f.ente, "someone", "wrong", t0)
	tests := []struct {
		at   time.Duration
		want int
	}{
		{time.Minute, 0},        // everything still in use
		{2 * time.Minute, 1},    // the throttle window is over
		{15 * time.Minute, 1},   // the contact code expired
		{24*time.Hour - 1, 0},   // the lockout is remembered for a day
		{24*time.Hour + 1e3, 1}, // then forgotten
		{48 * time.Hour, 0},     // nothing left: purging again is harmless
	}
	for _, tc := range tests {
		n, err := identity.PurgeThrottle(ctx, f.d, t0.Add(tc.at))
		if err != nil || n != tc.want {
			t.Errorf("PurgeThrottle at +%s = %d (err %v), want %d", tc.at, n, err, tc.want)
		}
	}
}
