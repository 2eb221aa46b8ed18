package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/tenant"
)

// TestRecordAll records interleaved events of two enti in one call, after
// one recorded alone, and checks that the result is what recording them
// one at a time gives: the same numbers, the same chain, the same hashes,
// and logs that verify.
func TestRecordAll(t *testing.T) {
	ctx := context.Background()
	batch := func(a, b tenant.ID) []*audit.Event {
		var out []*audit.Event
		for i, ente := range []tenant.ID{a, b, a, a, b, a} {
			out = append(out, login(ente, fmt.Sprint(100+i)))
		}
		return out
	}
	type result struct{ a, b []audit.Event }
	run := func(all bool) result {
		d := testdb.Open(t)
		a, b := newEnte(t, d, "ala", "022001"), newEnte(t, d, "avio", "022007")
		record(t, d, login(a, "1"), now)
		es := batch(a, b)
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			if all {
				return audit.RecordAll(ctx, tx, es, now)
			}
			for _, e := range es {
				if err := audit.Record(ctx, tx, e, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		intact(t, d, a, 5)
		intact(t, d, b, 2)
		if diff := cmp.Diff([]int64{2, 1, 3, 4, 2, 5}, []int64{es[0].Seq, es[1].Seq, es[2].Seq, es[3].Seq, es[4].Seq, es[5].Seq}); diff != "" {
			t.Errorf("numbers given to the events (-want +got):\n%s", diff)
		}
		return result{list(t, d, a, audit.Filter{}), list(t, d, b, audit.Filter{})}
	}
	one, all := run(false), run(true)
	if diff := cmp.Diff(one, all, cmp.AllowUnexported(result{})); diff != "" {
		t.Errorf("RecordAll differs from Record one at a time (-one +all):\n%s", diff)
	}
}

// TestRecordAllRejectsInvalid records nothing when one event is invalid.
func TestRecordAllRejectsInvalid(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	a := newEnte(t, d, "ala", "022001")
	bad := login(a, "2")
	bad.Action = ""
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		return audit.RecordAll(ctx, tx, []*audit.Event{login(a, "1"), bad}, now)
	})
	if err == nil {
		t.Fatal("RecordAll took an event without an action")
	}
	intact(t, d, a, 0)
}
