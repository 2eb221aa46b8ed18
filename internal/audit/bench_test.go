package audit_test

import (
	"context"
	"database/sql"
	"strconv"
	"testing"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/db/testdb"
)

// BenchmarkRecord measures a login as the web layer will record it: one
// event in a transaction of its own, committed to disk.
func BenchmarkRecord(b *testing.B) {
	ctx := context.Background()
	d := testdb.Open(b)
	ente := newEnte(b, d, "ala", "022001")
	i := 0
	for b.Loop() {
		i++
		e := login(ente, strconv.Itoa(i%1000))
		if err := d.InTx(ctx, func(tx *sql.Tx) error { return audit.Record(ctx, tx, e, now) }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRecordParallel is many requests logging in at once to one ente,
// all queueing on its chain's head.
func BenchmarkRecordParallel(b *testing.B) {
	ctx := context.Background()
	d := testdb.Open(b)
	ente := newEnte(b, d, "ala", "022001")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := login(ente, "42")
			if err := d.InTx(ctx, func(tx *sql.Tx) error { return audit.Record(ctx, tx, e, now) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkVerify walks a chain of 100,000 events, the log of a busy
// comune's month or so.
func BenchmarkVerify(b *testing.B) {
	const n, batch = 100_000, 1000
	ctx := context.Background()
	d := testdb.Open(b)
	ente := newEnte(b, d, "ala", "022001")
	for i := 0; i < n; i += batch {
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			for j := range batch {
				if err := audit.Record(ctx, tx, login(ente, strconv.Itoa(i+j)), now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		r, err := audit.Verify(ctx, d, ente)
		if err != nil || !r.Intact() || r.Events != n {
			b.Fatalf("Verify = %+v, %v", r, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
