package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/tenant"
)

// disableImmutability switches the event table's triggers off, as someone
// holding the database owner's password could, so that tampering can be
// shown to be detected.
func disableImmutability(t *testing.T, d *db.DB) {
	t.Helper()
	stmts := []string{`DROP TRIGGER audit_event_no_update`, `DROP TRIGGER audit_event_no_delete`}
	if d.Engine == db.Postgres {
		stmts = []string{`ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change`}
	}
	for _, s := range stmts {
		if _, err := d.ExecContext(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
}

func exec(t *testing.T, d *db.DB, query string, args ...any) {
	t.Helper()
	if _, err := d.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// event reads one stored event back.
func event(t *testing.T, d *db.DB, ente tenant.ID, seq int64) audit.Event {
	t.Helper()
	es := list(t, d, ente, audit.Filter{BeforeSeq: seq + 1, Limit: 1})
	if len(es) != 1 || es[0].Seq != seq {
		t.Fatalf("event %d not found", seq)
	}
	return es[0]
}

const insertForged = `INSERT INTO audit_event (ente_id, seq, at, actor_kind, actor_id, actor_name, action, subject,
	outcome, request_id, ip, detail, previous_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`

func forge(t *testing.T, d *db.DB, e audit.Event) {
	t.Helper()
	exec(t, d, insertForged, e.Ente, e.Seq, e.At, string(e.Actor.Kind), e.Actor.ID, e.Actor.Name, string(e.Action),
		e.Subject, string(e.Outcome), e.RequestID, e.IP, e.Detail, e.PreviousHash, e.Hash)
}

func TestVerifyFindsTampering(t *testing.T) {
	tests := []struct {
		name string
		// tamper runs after events 1..5 exist (4 is a failed login).
		tamper  func(t *testing.T, d *db.DB, ente tenant.ID)
		seq     int64
		problem audit.Problem
		events  int64
	}{
		{"actor changed", func(t *testing.T, d *db.DB, ente tenant.ID) {
			exec(t, d, `UPDATE audit_event SET actor_id = '99' WHERE ente_id = $1 AND seq = 2`, ente)
		}, 2, audit.Changed, 1},
		{"action changed", func(t *testing.T, d *db.DB, ente tenant.ID) {
			exec(t, d, `UPDATE audit_event SET action = 'logout' WHERE ente_id = $1 AND seq = 3`, ente)
		}, 3, audit.Changed, 2},
		{"outcome changed", func(t *testing.T, d *db.DB, ente tenant.ID) {
			exec(t, d, `UPDATE audit_event SET outcome = 'success' WHERE ente_id = $1 AND seq = 4`, ente)
		}, 4, audit.Changed, 3},
		{"time changed", func(t *testing.T, d *db.DB, ente tenant.ID) {
			exec(t, d, `UPDATE audit_event SET at = $2 WHERE ente_id = $1 AND seq = 2`, ente, now.Add(-time.Hour))
		}, 2, audit.Changed, 1},
		{"hash replaced", func(t *testing.T, d *db.DB, ente tenant.ID) {
			exec(t, d, `UPDATE audit_event SET hash = previous_hash WHERE ente_id = $1 AND seq = 5`, ente)
		}, 5, audit.Changed, 4},
		{"row rewritten with its hash recomputed", func(t *testing.T, d *db.DB, ente tenant.ID) {
			e := event(t, d, ente, 3)
			e.Detail = "innocuo"
			exec(t, d, `UPDATE audit_event SET detail = $3, hash = $4 WHERE ente_id = $1 AND seq = $2`,
				ente, e.Seq, e.Detail, audit.ComputeHash(&e))
		}, 4, audit.Unchained, 3},
		{"middle deleted", func(t *testing.T, d *db.DB, ente tenant.ID) {
			exec(t, d, `DELETE FROM audit_event WHERE ente_id = $1 AND seq = 3`, ente)
		}, 3, audit.Missing, 2},
		{"first deleted", func(t *testing.T, d *db.DB, ente tenant.ID) {
			exec(t, d, `DELETE FROM audit_event WHERE ente_id = $1 AND seq = 1`, ente)
		}, 1, audit.Missing, 0},
		{"last deleted", func(t *testing.T, d *db.DB, ente tenant.ID) {
			exec(t, d, `DELETE FROM audit_event WHERE ente_id = $1 AND seq = 5`, ente)
		}, 5, audit.Truncated, 4},
		{"middle deleted and the rest renumbered", func(t *testing.T, d *db.DB, ente tenant.ID) {
			exec(t, d, `DELETE FROM audit_event WHERE ente_id = $1 AND seq = 3`, ente)
			exec(t, d, `UPDATE audit_event SET seq = 3 WHERE ente_id = $1 AND seq = 4`, ente)
			exec(t, d, `UPDATE audit_event SET seq = 4 WHERE ente_id = $1 AND seq = 5`, ente)
		}, 3, audit.Unchained, 2},
		{"re-ordered", func(t *testing.T, d *db.DB, ente tenant.ID) {
			exec(t, d, `UPDATE audit_event SET seq = 1000 WHERE ente_id = $1 AND seq = 2`, ente)
			exec(t, d, `UPDATE audit_event SET seq = 2 WHERE ente_id = $1 AND seq = 3`, ente)
			exec(t, d, `UPDATE audit_event SET seq = 3 WHERE ente_id = $1 AND seq = 1000`, ente)
		}, 2, audit.Unchained, 1},
		{"forged row appended with a copied hash", func(t *testing.T, d *db.DB, ente tenant.ID) {
			e := event(t, d, ente, 5)
			e.Seq, e.PreviousHash, e.Subject = 6, e.Hash, "citizen:1"
			forge(t, d, e)
		}, 6, audit.Changed, 5},
		{"forged row appended with a right hash", func(t *testing.T, d *db.DB, ente tenant.ID) {
			e := event(t, d, ente, 5)
			e.Seq, e.PreviousHash, e.Subject = 6, e.Hash, "citizen:1"
			e.Hash = audit.ComputeHash(&e)
			forge(t, d, e)
		}, 6, audit.BeyondHead, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			d := testdb.Open(t)
			ente := newEnte(t, d, "ala", "022001")
			other := newEnte(t, d, "avio", "022007")
			for i := range 5 {
				e := login(ente, fmt.Sprint(i))
				if i == 3 {
					e.Action, e.Outcome, e.Actor = audit.ActionLoginFailed, audit.Failure, audit.Actor{Kind: audit.Anonymous}
				}
				record(t, d, e, now.Add(time.Duration(i)*time.Minute))
				record(t, d, login(other, fmt.Sprint(i)), now)
			}
			disableImmutability(t, d)
			tc.tamper(t, d, ente)
			r, err := audit.Verify(ctx, d, ente)
			if err != nil {
				t.Fatal(err)
			}
			t.Log(r.Reason)
			want := audit.Report{Ente: ente, Events: tc.events, Head: 5, Seq: tc.seq, Problem: tc.problem}
			if diff := cmp.Diff(want, r, cmpopts.IgnoreFields(audit.Report{}, "Reason")); diff != "" {
				t.Errorf("Verify mismatch (-want +got):\n%s", diff)
			}
			if r.Intact() || r.Reason == "" {
				t.Errorf("report %+v: want broken with a reason", r)
			}
			intact(t, d, other, 5)
			all, err := audit.VerifyAll(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != 2 || all[0].Intact() || !all[1].Intact() {
				t.Errorf("VerifyAll = %+v, want only ente %d broken", all, ente)
			}
		})
	}
}

// TestVerifyWhileRecording runs Verify against a chain that grows under it:
// events committed during the walk must not be taken for forgeries.
func TestVerifyWhileRecording(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	record(t, d, login(ente, "0"), now)
	const writers, each = 4, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e := login(ente, fmt.Sprint(w*each+i))
				if err := d.InTx(ctx, func(tx *sql.Tx) error { return audit.Record(ctx, tx, e, now) }); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	checks := 0
	for running := true; running; checks++ {
		select {
		case <-done:
			running = false
		default:
		}
		r, err := audit.Verify(ctx, d, ente)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Intact() {
			t.Fatalf("Verify while recording: %+v", r)
		}
	}
	t.Logf("%s: %d checks while recording", d.Engine, checks)
	intact(t, d, ente, writers*each+1)
}

func TestVerifyEmpty(t *testing.T) {
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	intact(t, d, ente, 0)
}
