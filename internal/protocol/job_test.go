package protocol_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/blob/blobtest"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/tenant"
)

// fakePDF stands in for internal/pdf: a small text naming the day, so that
// the test can check what was stored.
func fakePDF(rd protocol.RegisterDay) ([]byte, error) {
	return fmt.Appendf(nil, "%%PDF-fake ente %d day %s entries %d head %s", rd.Ente, rd.Day, len(rd.Entries), rd.HeadHash), nil
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// romeAt is an instant given by the clock in Rome.
func romeAt(t *testing.T, year int, month time.Month, day, hour, min int) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(year, month, day, hour, min, 0, 0, loc)
}

func records(t *testing.T, d *db.DB, ente tenant.ID) []protocol.DailyRecord {
	t.Helper()
	recs, err := protocol.DailyRecords(context.Background(), d, ente, calendar.D(2000, 1, 1), calendar.D(2100, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func days(recs []protocol.DailyRecord) []string {
	var out []string
	for _, r := range recs {
		out = append(out, fmt.Sprintf("%s:%d", r.Day, r.Entries))
	}
	return out
}

func produce(t *testing.T, d *db.DB, blobs blob.Store, pdf protocol.PDFRenderer, now time.Time) (int, error) {
	t.Helper()
	return protocol.ProduceDailyRegisters(context.Background(), d, blobs, pdf, discard(), now)
}

func newBlobs(t *testing.T) blob.Store {
	t.Helper()
	s, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestProduceDailyRegisters runs the job's body by hand: one register per
// ente per closed day from its first entry, empty days included; nothing
// twice; missed days caught up; enti without entries untouched.
func TestProduceDailyRegisters(t *testing.T) {
	d := testdb.Open(t)
	blobs := newBlobs(t)
	ala := newEnte(t, d, "ala", "022001")
	avio := newEnte(t, d, "avio", "022007")
	mori := newEnte(t, d, "mori", "022124")
	register(t, d, incoming(ala, "2 marzo"), romeAt(t, 2026, 3, 2, 9, 0))
	register(t, d, incoming(ala, "2 marzo, sera"), romeAt(t, 2026, 3, 2, 23, 59))
	register(t, d, incoming(avio, "3 marzo"), romeAt(t, 2026, 3, 3, 0, 1))
	register(t, d, incoming(ala, "4 marzo"), romeAt(t, 2026, 3, 4, 12, 0))

	// At 00:03 on 5 March, 4 March is not yet settled.
	n, err := produce(t, d, blobs, fakePDF, romeAt(t, 2026, 3, 5, 0, 3))
	if err != nil || n != 3 {
		t.Fatalf("first run: %d registers, %v; want 3", n, err)
	}
	n, err = produce(t, d, blobs, fakePDF, romeAt(t, 2026, 3, 5, 0, 15))
	if err != nil || n != 2 {
		t.Fatalf("second run: %d registers, %v; want 2", n, err)
	}
	n, err = produce(t, d, blobs, fakePDF, romeAt(t, 2026, 3, 5, 9, 0))
	if err != nil || n != 0 {
		t.Fatalf("re-run: %d registers, %v; want none", n, err)
	}
	want := map[tenant.ID][]string{
		ala:  {"2026-03-02:2", "2026-03-03:0", "2026-03-04:1"},
		avio: {"2026-03-03:1", "2026-03-04:0"},
		mori: nil,
	}
	for ente, w := range want {
		if diff := cmp.Diff(w, days(records(t, d, ente))); diff != "" {
			t.Errorf("ente %d: registers mismatch (-want +got):\n%s", ente, diff)
		}
	}

	// What was stored is what DailyRegister and the renderer give, and the
	// records chain day to day.
	recs := records(t, d, ala)
	for i, r := range recs {
		rd := dailyRegister(t, d, ala, r.Day)
		js, err := rd.JSON()
		if err != nil {
			t.Fatal(err)
		}
		pdf, _ := fakePDF(rd)
		if string(blobtest.ReadAll(t, blobs, r.JSON)) != string(js) || string(blobtest.ReadAll(t, blobs, r.PDF)) != string(pdf) {
			t.Errorf("%s: stored documents differ from the day's", r.Day)
		}
		if r.HeadHash != rd.HeadHash || r.PreviousHash != rd.PreviousHash {
			t.Errorf("%s: recorded hashes differ from the day's", r.Day)
		}
		if i > 0 && r.PreviousHash != recs[i-1].HeadHash {
			t.Errorf("%s does not chain to %s", r.Day, recs[i-1].Day)
		}
	}
	if r := recs[0]; r.FirstNumber != 1 || r.LastNumber != 2 || r.Year != 2026 {
		t.Errorf("2 March: numbers %s–%s of %d, want 1–2 of 2026", r.FirstNumber, r.LastNumber, r.Year)
	}

	// Days missed while the service was down are produced by the next run.
	n, err = produce(t, d, blobs, fakePDF, romeAt(t, 2026, 3, 8, 0, 15))
	if err != nil || n != 6 {
		t.Fatalf("catch-up: %d registers, %v; want 6", n, err)
	}
	if diff := cmp.Diff([]string{"2026-03-02:2", "2026-03-03:0", "2026-03-04:1", "2026-03-05:0", "2026-03-06:0", "2026-03-07:0"},
		days(records(t, d, ala))); diff != "" {
		t.Errorf("after catch-up mismatch (-want +got):\n%s", diff)
	}
}

// TestProduceDailyRegistersFailure: a failing day stops its ente's
// catch-up there, so no day is skipped, while other enti proceed; the next
// run resumes from the failed day.
func TestProduceDailyRegistersFailure(t *testing.T) {
	d := testdb.Open(t)
	blobs := newBlobs(t)
	ala := newEnte(t, d, "ala", "022001")
	avio := newEnte(t, d, "avio", "022007")
	register(t, d, incoming(ala, "ala"), romeAt(t, 2026, 3, 2, 9, 0))
	register(t, d, incoming(avio, "avio"), romeAt(t, 2026, 3, 2, 9, 0))
	errBroken := errors.New("renderer broken")
	failing := func(rd protocol.RegisterDay) ([]byte, error) {
		if rd.Ente == ala && rd.Day == calendar.D(2026, 3, 3) {
			return nil, errBroken
		}
		return fakePDF(rd)
	}
	n, err := produce(t, d, blobs, failing, romeAt(t, 2026, 3, 5, 1, 0))
	if !errors.Is(err, errBroken) || !strings.Contains(err.Error(), "day 2026-03-03") || n != 4 {
		t.Fatalf("run with a failing day: %d registers, %v; want 4 and the renderer's error for 2026-03-03", n, err)
	}
	if diff := cmp.Diff([]string{"2026-03-02:1"}, days(records(t, d, ala))); diff != "" {
		t.Errorf("ala mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"2026-03-02:1", "2026-03-03:0", "2026-03-04:0"}, days(records(t, d, avio))); diff != "" {
		t.Errorf("avio mismatch (-want +got):\n%s", diff)
	}
	n, err = produce(t, d, blobs, fakePDF, romeAt(t, 2026, 3, 5, 2, 0))
	if err != nil || n != 2 {
		t.Fatalf("next run: %d registers, %v; want 2", n, err)
	}
}

// TestDailyRecordsAreImmutable: the database itself refuses to change or
// delete a produced day.
func TestDailyRecordsAreImmutable(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	blobs := newBlobs(t)
	ala := newEnte(t, d, "ala", "022001")
	register(t, d, incoming(ala, "ala"), romeAt(t, 2026, 3, 2, 9, 0))
	if _, err := produce(t, d, blobs, fakePDF, romeAt(t, 2026, 3, 3, 1, 0)); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE protocol_daily_register SET head_hash = 'x' WHERE ente_id = $1`,
		`DELETE FROM protocol_daily_register WHERE ente_id = $1`,
	} {
		if _, err := d.ExecContext(ctx, stmt, ala); err == nil || !strings.Contains(err.Error(), "immutable") {
			t.Errorf("%s: err = %v, want the immutability error", stmt, err)
		}
	}
}

// TestDailyRegisterJobRunsOnStart runs the periodic job through River on
// the test's engine: started, it produces the registers of the days since
// the first entry without waiting for its 00:15 schedule.
func TestDailyRegisterJobRunsOnStart(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	blobs := newBlobs(t)
	ala := newEnte(t, d, "ala", "022001")
	register(t, d, incoming(ala, "tre giorni fa"), time.Now().Add(-72*time.Hour))
	var rendered atomic.Int32
	pdf := func(rd protocol.RegisterDay) ([]byte, error) {
		rendered.Add(1)
		return fakePDF(rd)
	}
	reg := river.NewWorkers()
	periodic := protocol.DailyRegisterJob(reg, d, blobs, pdf, discard())
	q, err := jobs.New(d, jobs.Options{Workers: 1, Registry: reg, PollInterval: 50 * time.Millisecond,
		Periodic: []*river.PeriodicJob{periodic}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := q.Stop(ctx); err != nil {
			t.Error(err)
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for len(records(t, d, ala)) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("after 20s: %v registers, want at least 3", days(records(t, d, ala)))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := records(t, d, ala)[0]; got.Entries != 1 {
		t.Errorf("the first day has %d entries, want 1", got.Entries)
	}
	if rendered.Load() < 3 {
		t.Errorf("rendered %d PDFs, want at least 3", rendered.Load())
	}
}
