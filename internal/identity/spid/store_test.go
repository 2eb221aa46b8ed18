package spid_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/identity/spid"
	"github.com/sportello/sportello/internal/tenant"
)

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

func pending(id string) spid.Pending {
	return spid.Pending{
		ID: id, IssuedAt: now.Truncate(time.Millisecond), IdP: "https://idp.example", Level: spid.L2,
		Comparison: spid.Minimum, Profile: spid.SPID, ReturnTo: "/servizi/x?y=1",
	}
}

const browser = "cookie-secret-of-the-browser"

func TestPendingRoundTrip(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	logout := spid.Pending{ID: "_logout1", IssuedAt: now, IdP: "https://idp.example", Logout: true}
	for _, p := range []spid.Pending{pending("_authn1"), logout} {
		t.Run(p.ID, func(t *testing.T) {
			if err := spid.SavePending(ctx, d, ente, p, browser, now.Add(10*time.Minute)); err != nil {
				t.Fatal(err)
			}
			got, err := spid.TakePending(ctx, d, ente, p.ID, browser, now.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			p.IssuedAt = p.IssuedAt.Truncate(time.Microsecond)
			if diff := cmp.Diff(p, got); diff != "" {
				t.Errorf("TakePending mismatch (-want +got):\n%s", diff)
			}
			if _, err := spid.TakePending(ctx, d, ente, p.ID, browser, now.Add(time.Minute)); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("second TakePending err = %v, want NotFound (single use)", err)
			}
		})
	}
	var hash string
	if err := spid.SavePending(ctx, d, ente, pending("_h"), browser, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := d.QueryRowContext(ctx, `SELECT browser_hash FROM saml_request WHERE id = '_h'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if hash == browser || len(hash) != 64 {
		t.Errorf("browser stored as %q, want its SHA-256", hash)
	}
}

func TestTakePendingRefuses(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	other := newEnte(t, d, "avio", "022007")
	expires := now.Add(10 * time.Minute)
	tests := []struct {
		name     string
		ente     tenant.ID
		browser  string
		at       time.Time
		consumed bool // whether the real browser is locked out afterwards
	}{
		{"wrong browser", ente, "another-browser", now, true},
		{"expired", ente, browser, expires, true},
		{"other ente", other, browser, now, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprintf("_r%d", i)
			if err := spid.SavePending(ctx, d, ente, pending(id), browser, expires); err != nil {
				t.Fatal(err)
			}
			if _, err := spid.TakePending(ctx, d, tc.ente, id, tc.browser, tc.at); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("TakePending err = %v, want NotFound", err)
			}
			_, err := spid.TakePending(ctx, d, ente, id, browser, now)
			if tc.consumed != apperr.Is(err, apperr.NotFound) {
				t.Errorf("real browser afterwards: err = %v, want consumed = %v", err, tc.consumed)
			}
		})
	}
	if err := spid.SavePending(ctx, d, ente, pending("_dup"), browser, expires); err != nil {
		t.Fatal(err)
	}
	if err := spid.SavePending(ctx, d, ente, pending("_dup"), browser, expires); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("duplicate SavePending err = %v, want Conflict", err)
	}
	if err := spid.SavePending(ctx, d, ente, pending("_nob"), "", expires); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("SavePending without browser err = %v, want Invalid", err)
	}
}

// TestTakePendingOnce races several instances for one answer: exactly one
// may take it, on either engine.
func TestTakePendingOnce(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	for round := range 5 {
		id := fmt.Sprintf("_race%d", round)
		if err := spid.SavePending(ctx, d, ente, pending(id), browser, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { _, errs[i] = spid.TakePending(ctx, d, ente, id, browser, now) })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !apperr.Is(err, apperr.NotFound):
				t.Errorf("loser err = %v, want NotFound", err)
			}
		}
		if won != 1 {
			t.Errorf("round %d: %d winners, want exactly 1", round, won)
		}
	}
}

func TestMarkUsed(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	other := newEnte(t, d, "avio", "022007")
	until := now.Add(5 * time.Minute)
	if err := spid.MarkUsed(ctx, d, ente, "https://idp.example", "_a1", until); err != nil {
		t.Fatal(err)
	}
	if err := spid.MarkUsed(ctx, d, ente, "https://idp.example", "_a1", until); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("replay err = %v, want Conflict", err)
	}
	// Ids are unique per issuer and per ente (whose audience differs).
	if err := spid.MarkUsed(ctx, d, ente, "https://other-idp.example", "_a1", until); err != nil {
		t.Errorf("same id from another IdP: %v", err)
	}
	if err := spid.MarkUsed(ctx, d, other, "https://idp.example", "_a1", until); err != nil {
		t.Errorf("same id at another ente: %v", err)
	}
	if err := spid.MarkUsed(ctx, d, ente, "", "_a2", until); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("no IdP: err = %v, want Invalid", err)
	}

	// A replay inside a transaction leaves the transaction usable
	// (PostgreSQL aborts a transaction on a unique violation).
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		if err := spid.MarkUsed(ctx, tx, ente, "https://idp.example", "_a1", until); !apperr.Is(err, apperr.Conflict) {
			return fmt.Errorf("in tx: err = %v, want Conflict", err)
		}
		return spid.MarkUsed(ctx, tx, ente, "https://idp.example", "_a3", until)
	})
	if err != nil {
		t.Error(err)
	}

	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = spid.MarkUsed(ctx, d, ente, "https://idp.example", "_race", until) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !apperr.Is(err, apperr.Conflict):
			t.Errorf("concurrent MarkUsed err = %v, want Conflict", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent MarkUsed succeeded, want 1", ok)
	}
}

func TestPurgeExpired(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	for i, exp := range []time.Duration{-time.Hour, -time.Microsecond, 0, time.Minute} {
		if err := spid.MarkUsed(ctx, d, ente, "https://idp.example", fmt.Sprint("_a", i), now.Add(exp)); err != nil {
			t.Fatal(err)
		}
		if err := spid.SavePending(ctx, d, ente, pending(fmt.Sprint("_p", i)), browser, now.Add(exp)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := spid.PurgeExpired(ctx, d, now)
	if err != nil || n != 4 {
		t.Errorf("PurgeExpired = %d, %v; want 4 (two of each)", n, err)
	}
	// What is left is still there: a replay of a live assertion is refused.
	if err := spid.MarkUsed(ctx, d, ente, "https://idp.example", "_a3", now); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("live assertion purged: err = %v", err)
	}
	if _, err := spid.TakePending(ctx, d, ente, "_p3", browser, now); err != nil {
		t.Errorf("live request purged: %v", err)
	}
}

func TestMessageLog(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	old := now.AddDate(-2, 0, -1)
	for _, m := range []struct {
		dir  spid.Direction
		kind string
		at   time.Time
	}{
		{spid.Sent, "AuthnRequest", old}, {spid.Received, "Response", old},
		{spid.Sent, "AuthnRequest", now}, {spid.Received, "Response", now},
	} {
		if err := spid.LogMessage(ctx, d, ente, m.dir, m.kind, "_m", "_r", []byte("<x/>"), m.at); err != nil {
			t.Fatal(err)
		}
	}
	if err := spid.LogMessage(ctx, d, ente, "sideways", "Response", "_m", "", nil, now); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("unknown direction err = %v, want Invalid", err)
	}
	cutoff := spid.MessageCutoff(now)
	if !cutoff.Equal(now.AddDate(0, -24, 0)) {
		t.Errorf("MessageCutoff = %v", cutoff)
	}
	n, err := spid.PurgeMessages(ctx, d, cutoff)
	if err != nil || n != 2 {
		t.Errorf("PurgeMessages = %d, %v; want 2", n, err)
	}
	var left int
	var xml []byte
	if err := d.QueryRowContext(ctx, `SELECT count(*) FROM saml_message WHERE ente_id = $1`, ente).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if err := d.QueryRowContext(ctx, `SELECT xml FROM saml_message WHERE ente_id = $1 LIMIT 1`, ente).Scan(&xml); err != nil {
		t.Fatal(err)
	}
	if left != 2 || string(xml) != "<x/>" {
		t.Errorf("%d messages left with %q, want 2 with <x/>", left, xml)
	}
}
