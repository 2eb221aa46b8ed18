package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/tenant"
)

func list(t *testing.T, d *db.DB, ente tenant.ID, f audit.Filter) []audit.Event {
	t.Helper()
	es, err := audit.List(context.Background(), d, ente, f)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func seqs(es []audit.Event) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func upTo(n int64) []int64 {
	out := []int64{}
	for i := int64(1); i <= n; i++ {
		out = append(out, i)
	}
	return out
}

func intact(t *testing.T, d *db.DB, ente tenant.ID, events int64) {
	t.Helper()
	r, err := audit.Verify(context.Background(), d, ente)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(audit.Report{Ente: ente, Events: events, Head: events}, r); diff != "" {
		t.Errorf("Verify mismatch (-want +got):\n%s", diff)
	}
}

func TestRecordThenList(t *testing.T) {
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	first := login(ente, "42")
	record(t, d, first, now)
	second := &audit.Event{
		Ente: ente, Actor: audit.Actor{Kind: audit.Operator, ID: "7", Name: "anna.bianchi"},
		Action: audit.ActionCitizenViewed, Subject: "citizen:42", Outcome: audit.Success,
		RequestID: "req-2", IP: "2001:db8:1:2::1", Detail: "scheda anagrafica",
	}
	record(t, d, second, now.Add(time.Minute))
	want := []audit.Event{
		{
			Ente: ente, Seq: 2, At: now.Add(time.Minute).Truncate(time.Microsecond),
			Actor:  audit.Actor{Kind: audit.Operator, ID: "7", Name: "anna.bianchi"},
			Action: audit.ActionCitizenViewed, Subject: "citizen:42", Outcome: audit.Success,
			RequestID: "req-2", IP: "2001:db8:1::/48", Detail: "scheda anagrafica",
			PreviousHash: first.Hash, Hash: second.Hash,
		},
		{
			Ente: ente, Seq: 1, At: now.Truncate(time.Microsecond),
			Actor: audit.Actor{Kind: audit.Citizen, ID: "42"}, Action: audit.ActionLogin, Subject: "citizen:42",
			Outcome: audit.Success, RequestID: "req-1", IP: "192.0.2.0/24", Detail: "spid level 2",
			PreviousHash: audit.Genesis, Hash: first.Hash,
		},
	}
	if diff := cmp.Diff(want, list(t, d, ente, audit.Filter{})); diff != "" {
		t.Errorf("List mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, []audit.Event{*second, *first}); diff != "" {
		t.Errorf("Record filled in (-want +got):\n%s", diff)
	}
	intact(t, d, ente, 2)
}

// TestConcurrentRecordsAreGapless is the chain's promise under load: 64
// transactions at once take 1..64, each exactly once, each chained to the
// one committed before it.
func TestConcurrentRecordsAreGapless(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	const n = 64
	got := make([]int64, n)
	errs := make([]error, n)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			e := login(ente, fmt.Sprint(i))
			errs[i] = d.InTx(ctx, func(tx *sql.Tx) error { return audit.Record(ctx, tx, e, now) })
			got[i] = e.Seq
		})
	}
	wg.Wait()
	t.Logf("%s: %d concurrent records in %s", d.Engine, n, time.Since(start))
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if diff := cmp.Diff(upTo(n), got); diff != "" {
		t.Errorf("sequence numbers handed out mismatch (-want +got):\n%s", diff)
	}
	stored := seqs(list(t, d, ente, audit.Filter{Limit: n + 1}))
	slices.Reverse(stored)
	if diff := cmp.Diff(upTo(n), stored); diff != "" {
		t.Errorf("sequence numbers stored mismatch (-want +got):\n%s", diff)
	}
	intact(t, d, ente, n)
}

// TestRollbackLeavesNoEvent: the event belongs to the change it describes;
// when the change is rolled back, so is the event, and its number is reused.
func TestRollbackLeavesNoEvent(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	record(t, d, login(ente, "1"), now)
	errAbort := errors.New("abort")
	lost := login(ente, "2")
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		if err := audit.Record(ctx, tx, lost, now); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) || lost.Seq != 2 {
		t.Fatalf("InTx = %v with seq %d, want the abort at 2", err, lost.Seq)
	}
	if diff := cmp.Diff([]int64{1}, seqs(list(t, d, ente, audit.Filter{}))); diff != "" {
		t.Errorf("after the rollback (-want +got):\n%s", diff)
	}
	next := login(ente, "3")
	record(t, d, next, now)
	if next.Seq != 2 || next.PreviousHash == lost.Hash {
		t.Errorf("after a rollback the next event is %d chained to the lost one: %v", next.Seq, next.PreviousHash == lost.Hash)
	}
	intact(t, d, ente, 2)
}

// TestEntiAreSeparate: each ente has its own numbering and chain, and
// nothing of one is visible through another.
func TestEntiAreSeparate(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ala := newEnte(t, d, "ala", "022001")
	avio := newEnte(t, d, "avio", "022007")
	for i := range 3 {
		record(t, d, login(ala, "42"), now.Add(time.Duration(i)*time.Second))
	}
	mine := login(avio, "42")
	record(t, d, mine, now)
	if mine.Seq != 1 || mine.PreviousHash != audit.Genesis {
		t.Errorf("avio's first event is %d chained to %s, want 1 chained to genesis", mine.Seq, mine.PreviousHash)
	}
	filters := []audit.Filter{{}, {Subject: "citizen:42"}, {Actor: audit.Actor{Kind: audit.Citizen, ID: "42"}}, {Action: audit.ActionLogin}}
	for _, f := range filters {
		if diff := cmp.Diff([]audit.Event{*mine}, list(t, d, avio, f)); diff != "" {
			t.Errorf("List(avio, %+v) mismatch (-want +got):\n%s", f, diff)
		}
	}
	intact(t, d, ala, 3)
	intact(t, d, avio, 1)
	reports, err := audit.VerifyAll(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	want := []audit.Report{{Ente: ala, Events: 3, Head: 3}, {Ente: avio, Events: 1, Head: 1}}
	if diff := cmp.Diff(want, reports); diff != "" {
		t.Errorf("VerifyAll mismatch (-want +got):\n%s", diff)
	}
}

func TestListFilters(t *testing.T) {
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	other := newEnte(t, d, "avio", "022007")
	op := func(id string) audit.Actor { return audit.Actor{Kind: audit.Operator, ID: id, Name: "op" + id} }
	events := []audit.Event{
		{Actor: audit.Actor{Kind: audit.Citizen, ID: "42"}, Action: audit.ActionLogin, Subject: "citizen:42", Outcome: audit.Success},
		{Actor: audit.Actor{Kind: audit.Anonymous}, Action: audit.ActionLoginFailed, Subject: "operator:7", Outcome: audit.Failure},
		{Actor: op("7"), Action: audit.ActionCitizenViewed, Subject: "citizen:42", Outcome: audit.Success},
		{Actor: op("1"), Action: audit.ActionRoleChanged, Subject: "operator:7", Outcome: audit.Success, Detail: "+istruttore"},
		{Actor: audit.Actor{Kind: audit.Citizen, ID: "42"}, Action: audit.ActionLogout, Subject: "citizen:42", Outcome: audit.Success},
		{Actor: op("7"), Action: audit.ActionCitizenViewed, Subject: "citizen:43", Outcome: audit.Denied},
	}
	now := now.Truncate(time.Second) // so that the bounds below fall on events
	for i, e := range events {
		e.Ente = ente
		record(t, d, &e, now.Add(time.Duration(i)*time.Hour))
		e.Ente = other
		record(t, d, &e, now.Add(time.Duration(i)*time.Hour))
	}
	tests := []struct {
		name string
		f    audit.Filter
		want []int64
	}{
		{"all", audit.Filter{}, []int64{6, 5, 4, 3, 2, 1}},
		{"operators", audit.Filter{Actor: audit.Actor{Kind: audit.Operator}}, []int64{6, 4, 3}},
		{"operator 7", audit.Filter{Actor: audit.Actor{Kind: audit.Operator, ID: "7"}}, []int64{6, 3}},
		{"id 42 of any kind", audit.Filter{Actor: audit.Actor{ID: "42"}}, []int64{5, 1}},
		{"views", audit.Filter{Action: audit.ActionCitizenViewed}, []int64{6, 3}},
		{"about citizen 42", audit.Filter{Subject: "citizen:42"}, []int64{5, 3, 1}},
		{"views of citizen 42", audit.Filter{Subject: "citizen:42", Action: audit.ActionCitizenViewed}, []int64{3}},
		{"from the third hour", audit.Filter{From: now.Add(2 * time.Hour)}, []int64{6, 5, 4, 3}},
		{"before the third hour", audit.Filter{To: now.Add(2 * time.Hour)}, []int64{2, 1}},
		{"within hours 1 and 3, in Rome's time", audit.Filter{
			From: now.Add(time.Hour).In(time.FixedZone("CET", 3600)), To: now.Add(3 * time.Hour)}, []int64{3, 2}},
		{"first page", audit.Filter{Limit: 2}, []int64{6, 5}},
		{"second page", audit.Filter{Limit: 2, BeforeSeq: 5}, []int64{4, 3}},
		{"page of operators", audit.Filter{Actor: audit.Actor{Kind: audit.Operator}, BeforeSeq: 6, Limit: 1}, []int64{4}},
		{"nobody", audit.Filter{Subject: "citizen:99"}, []int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := list(t, d, ente, tc.f)
			if diff := cmp.Diff(tc.want, seqs(got)); diff != "" {
				t.Errorf("seqs mismatch (-want +got):\n%s", diff)
			}
			for _, e := range got {
				if e.Ente != ente {
					t.Errorf("event %d of ente %d listed for ente %d", e.Seq, e.Ente, ente)
				}
			}
		})
	}
	if _, err := audit.List(context.Background(), d, ente, audit.Filter{Limit: -1}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("List with a negative limit = %v, want Invalid", err)
	}
	// Walking the pages visits every event once.
	var walked []int64
	f := audit.Filter{Limit: 4}
	for {
		page := list(t, d, ente, f)
		if len(page) == 0 {
			break
		}
		walked = append(walked, seqs(page)...)
		f.BeforeSeq = page[len(page)-1].Seq
	}
	if diff := cmp.Diff([]int64{6, 5, 4, 3, 2, 1}, walked); diff != "" {
		t.Errorf("pages mismatch (-want +got):\n%s", diff)
	}
}

// TestDatabaseRefusesChanges goes around the package: the triggers must stop
// an UPDATE or DELETE that other code (or a person) attempts, and must not
// let the head be moved back or removed.
func TestDatabaseRefusesChanges(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	record(t, d, login(ente, "42"), now)
	record(t, d, login(ente, "43"), now)
	stmts := []string{
		`UPDATE audit_event SET actor_id = '99' WHERE ente_id = $1`,
		`UPDATE audit_event SET seq = seq + 10 WHERE ente_id = $1`,
		`DELETE FROM audit_event WHERE ente_id = $1 AND seq = 2`,
		`UPDATE audit_head SET last_seq = 1 WHERE ente_id = $1`,
		`UPDATE audit_head SET last_seq = 0, last_hash = '` + audit.Genesis + `' WHERE ente_id = $1`,
		`UPDATE audit_head SET last_seq = last_seq + 2 WHERE ente_id = $1`,
		`DELETE FROM audit_head WHERE ente_id = $1`,
	}
	if d.Engine == db.Postgres {
		stmts = append(stmts, `TRUNCATE audit_event`, `TRUNCATE audit_head`)
	}
	for _, stmt := range stmts {
		var args []any
		if strings.Contains(stmt, "$1") {
			args = append(args, ente)
		}
		_, err := d.ExecContext(ctx, stmt, args...)
		if err == nil || !strings.Contains(err.Error(), "immutable") {
			t.Errorf("%s: err = %v, want the immutability error", stmt, err)
		}
	}
	intact(t, d, ente, 2)
}
