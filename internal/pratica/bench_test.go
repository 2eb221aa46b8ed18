package pratica_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// memStore is an in-memory blob.Store, so that BenchmarkSubmit measures
// the database and not the disk under the blobs.
type memStore struct {
	mu sync.Mutex
	m  map[blob.Key][]byte
}

func (s *memStore) Put(_ context.Context, r io.Reader) (blob.Key, int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", 0, err
	}
	sum := sha256.Sum256(b)
	k := blob.Key(hex.EncodeToString(sum[:]))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[blob.Key][]byte{}
	}
	s.m[k] = b
	return k, int64(len(b)), nil
}

func (s *memStore) Open(_ context.Context, k blob.Key) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[k]
	if !ok {
		return nil, blob.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (s *memStore) Stat(_ context.Context, k blob.Key) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[k]
	if !ok {
		return 0, blob.ErrNotFound
	}
	return int64(len(b)), nil
}

func (s *memStore) Delete(_ context.Context, k blob.Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, k)
	return nil
}

// BenchmarkSubmit measures the submission — the transaction (lock,
// protocol entry, receipt content, event, commit) and then,
// outside it, the receipt issued as the web flow does (rendered, stored in
// the document store, recorded in a second small transaction) — on drafts
// made beforehand, one submitter at a time and with 8 at once. Commits are
// durable on both engines (SQLite: WAL with synchronous=FULL). The
// "commit-only" cases stop at the commit, the moment the submission is
// acknowledged (the sweep would issue the receipt). The "1MB" cases also
// hash and store a 1 MB upload per submission and attach it to the draft
// before submitting. The renderer is trivial: the real PDF's cost is
// BenchmarkReceipt's in internal/pdf, paid outside the database's lock. The
// "group" cases submit through db.Group, as the web flow does: concurrent
// submissions share one durable commit, each in its own savepoint.
func BenchmarkSubmit(b *testing.B) {
	for _, bc := range []struct {
		name       string
		fsBlobs    bool
		upload     int
		parallel   bool
		commitOnly bool
		group      bool
	}{
		{"serial/mem", false, 0, false, false, false},
		{"parallel8/mem", false, 0, true, false, false},
		{"serial/fs", true, 0, false, false, false},
		{"parallel8/fs", true, 0, true, false, false},
		{"serial/commit-only", true, 0, false, true, false},
		{"parallel8/commit-only", true, 0, true, true, false},
		{"parallel8/group-commit-only", true, 0, true, true, true},
		{"parallel32/group-commit-only", true, 0, true, true, true},
		{"parallel8/group+fs", true, 0, true, false, true},
		{"serial/mem+1MB", false, 1 << 20, false, false, false},
		{"parallel8/fs+1MB", true, 1 << 20, true, false, false},
		{"parallel8/group+fs+1MB", true, 1 << 20, true, false, true},
		{"parallel32/group+fs+1MB", true, 1 << 20, true, false, true},
		{"parallel64/group+fs+1MB", true, 1 << 20, true, false, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := setup(b)
			s := f.ala
			var store blob.Store = &memStore{}
			if bc.fsBlobs {
				store = f.blobs
			}
			drafts := make([]pratica.ID, b.N)
			err := f.d.InTx(ctx, func(tx *sql.Tx) error {
				for i := range drafts {
					p, err := pratica.CreateDraft(ctx, tx, s.ente, draftInput(s), t0)
					if err != nil {
						return err
					}
					if err := pratica.SaveDraft(ctx, tx, s.ente, p.ID, []byte(`{"nome":{"text":"Mario"},"via":{"text":"Via Roma 1"}}`), nil, t0); err != nil {
						return err
					}
					drafts[i] = p.ID
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			group := f.d.NewGroup(0)
			payload := make([]byte, bc.upload)
			var next atomic.Int64
			one := func() error {
				i := next.Add(1) - 1
				id := drafts[i]
				var files []pratica.File
				if bc.upload > 0 {
					// A distinct file each time, streamed as a request's
					// body would be, without a 1 MB copy per upload.
					var head [8]byte
					binary.LittleEndian.PutUint64(head[:], uint64(i))
					key, n, err := store.Put(ctx, io.MultiReader(bytes.NewReader(head[:]), bytes.NewReader(payload[8:])))
					if err != nil {
						return err
					}
					files = []pratica.File{{Field: "doc", Name: "doc.pdf", MIME: "application/pdf", Size: n, SHA256: string(key)}}
				}
				in := f.submitInput(s, fmt.Sprintf("bench-%d", i))
				in.EnteName = "Comune di ala" // the web layer has the ente at hand
				inTx := f.d.InTx
				if bc.group {
					inTx = group.Do
				}
				err := inTx(ctx, func(tx *sql.Tx) error {
					if files != nil {
						if err := pratica.SaveDraft(ctx, tx, s.ente, id, []byte(`{"nome":{"text":"Mario"}}`), files, t0); err != nil {
							return err
						}
					}
					_, err := pratica.Submit(ctx, tx, s.ente, id, in, t0)
					return err
				})
				if err != nil || bc.commitOnly {
					return err
				}
				if bc.group {
					_, err = pratica.IssueReceiptGrouped(ctx, f.d, group, store, receipt, s.ente, id, t0)
				} else {
					_, err = pratica.IssueReceipt(ctx, f.d, store, receipt, s.ente, id, t0)
				}
				return err
			}
			b.ResetTimer()
			if bc.parallel {
				n, _ := strconv.Atoi(strings.TrimPrefix(bc.name[:strings.Index(bc.name, "/")], "parallel"))
				b.SetParallelism(max(1, n/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := one(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				for range b.N {
					if err := one(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submits/s")
		})
	}
}

// BenchmarkQueue measures back-office queue pages over a table of
// SPORTELLO_BENCH_PRATICHE pratiche (default 1,000,000) of one ente with 10
// offices, 40 services, 20 operators and 10,000 citizens, 7% of them open:
// each iteration runs 200 page queries with a mix of filters and reports
// their p50, p95 and worst latency. The table is generated in a few
// statements, which still takes a minute, so the benchmark runs only with
// SPORTELLO_BENCH_BIG=1.
func BenchmarkQueue(b *testing.B) {
	if os.Getenv("SPORTELLO_BENCH_BIG") == "" {
		b.Skip("set SPORTELLO_BENCH_BIG=1 to generate a million pratiche")
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("SPORTELLO_BENCH_PRATICHE")); err == nil && v > 0 {
		n = v
	}
	d := testdb.Open(b)
	g := generate(b, d, n)
	queries := g.queries()
	byKind := make([][]time.Duration, 8)
	run := func() []time.Duration {
		lat := make([]time.Duration, 0, len(queries))
		for i, q := range queries {
			f := q
			if q.Limit < 0 { // page two: read page one first, untimed
				f.Limit = 50
				_, next, err := pratica.Queue(ctx, d, g.ente, f)
				if err != nil || next == "" {
					b.Fatalf("page one: %v (next %q)", err, next)
				}
				f.After = next
			}
			start := time.Now()
			rows, _, err := pratica.Queue(ctx, d, g.ente, f)
			lat = append(lat, time.Since(start))
			byKind[i%8] = append(byKind[i%8], lat[len(lat)-1])
			if err != nil {
				b.Fatal(err)
			}
			if len(rows) == 0 {
				b.Fatalf("filter %+v found nothing", f)
			}
		}
		slices.Sort(lat)
		return lat
	}
	logKinds := func(when string) {
		var parts []string
		for k, ls := range byKind {
			slices.Sort(ls)
			parts = append(parts, fmt.Sprintf("%d:%s", k, ls[len(ls)*95/100].Round(10*time.Microsecond)))
		}
		b.Logf("%s p95 by filter %s", when, strings.Join(parts, " "))
		byKind = make([][]time.Duration, 8)
	}
	if d.Engine == db.SQLite {
		lat := run()
		b.Logf("sqlite without ANALYZE: p50 %s p95 %s max %s", lat[len(lat)/2], lat[len(lat)*95/100], lat[len(lat)-1])
		logKinds("sqlite without ANALYZE:")
		g.explain(b, d, queries[1])
	}
	if _, err := d.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	g.explain(b, d, queries[1])
	var all []time.Duration
	for b.Loop() {
		all = append(all, run()...)
	}
	logKinds(string(d.Engine) + ":")
	slices.Sort(all)
	pct := func(p int) float64 { return float64(all[len(all)*p/100].Microseconds()) / 1000 }
	b.ReportMetric(pct(50), "p50-ms")
	b.ReportMetric(pct(95), "p95-ms")
	b.ReportMetric(float64(all[len(all)-1].Microseconds())/1000, "max-ms")
}

// bench is the generated ente.
type bench struct {
	ente                tenant.ID
	office, op, citizen int64 // first ids
	engine              db.Engine
}

// generate fills d with one ente and n pratiche with their protocol
// entries, in set-based statements.
func generate(b *testing.B, d *db.DB, n int) *bench {
	b.Helper()
	start := time.Now()
	e := &tenant.Ente{Slug: "ala", Name: "Comune di Ala", IstatCode: "022001", Belfiore: "A116", IPACode: "c_a116",
		FiscalCode: "00000000000", Province: "TN", Hosts: []string{"ala.example"}}
	for i := range 10 {
		e.Offices = append(e.Offices, tenant.Office{Slug: fmt.Sprintf("ufficio-%d", i), Name: fmt.Sprintf("Ufficio %d", i)})
	}
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return tenant.Create(ctx, tx, e, t0) }); err != nil {
		b.Fatal(err)
	}
	g := &bench{ente: e.ID, office: e.Offices[0].ID, engine: d.Engine}
	series := fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) `, n)
	at, due := `$2`, `date('2025-01-01', '+' || ((i / 7) % 500) || ' days')`
	if d.Engine == db.Postgres {
		series = fmt.Sprintf(`WITH n(i) AS (SELECT generate_series(1, %d)) `, n)
		at, due = `CAST($2 AS TIMESTAMPTZ)`, `to_char(DATE '2025-01-01' + ((i / 7) % 500), 'YYYY-MM-DD')`
	}
	limit := func(k int) string { return strings.Replace(series, strconv.Itoa(n), strconv.Itoa(k), 1) }
	exec := func(what, query string, args ...any) {
		b.Helper()
		s := time.Now()
		if _, err := d.ExecContext(ctx, query, args...); err != nil {
			b.Fatalf("%s: %v", what, err)
		}
		b.Logf("%s: %s", what, time.Since(s).Round(time.Millisecond))
	}
	exec("citizens", limit(10000)+`INSERT INTO citizen (ente_id, fiscal_code, given_name, family_name, created_at)
		SELECT $1, 'CF' || i, 'Nome' || i, 'Cognome' || i, `+at+` FROM n`, g.ente, t0)
	exec("operators", limit(20)+`INSERT INTO operator (ente_id, username, name, password_hash, created_at)
		SELECT $1, 'op' || i, 'Operatore ' || i, 'x', `+at+` FROM n`, g.ente, t0)
	for _, q := range []struct {
		col  string
		dest *int64
	}{{"citizen", &g.citizen}, {"operator", &g.op}} {
		if err := d.QueryRowContext(ctx, `SELECT MIN(id) FROM `+q.col+` WHERE ente_id = $1`, g.ente).Scan(q.dest); err != nil {
			b.Fatal(err)
		}
	}
	exec("protocol entries", series+`INSERT INTO protocol_entry (ente_id, year, number, direction, registered_at, subject,
		correspondent, previous_hash, hash, created_by) SELECT $1, 2025, i, 'in', `+at+`, 'Istanza', 'Bench', 'x', 'x', 'bench' FROM n`,
		g.ente, t0)
	state := `CASE WHEN i % 100 < 2 THEN 'submitted' WHEN i % 100 < 5 THEN 'in_review'
		WHEN i % 100 = 5 THEN 'integration_requested' WHEN i % 100 = 6 THEN 'awaiting_payment'
		WHEN i % 100 < 70 THEN 'accepted' WHEN i % 100 < 80 THEN 'rejected' WHEN i % 100 < 82 THEN 'withdrawn' ELSE 'closed' END`
	exec("pratiche", series+fmt.Sprintf(`INSERT INTO pratica (ente_id, service, service_version, title, citizen_id,
		filed_by_citizen, office_id, state, answers, term_days, term_working, silent_assent, fee, idempotency_key,
		protocol_year, protocol_number, submitted_at, decided_at, due, assignee_id, created_at, updated_at)
		SELECT $1, 'servizio-' || ((i / 100) %% 10 + 10 * (i %% 4)), 1, 'Servizio', %[1]d + i %% 10000, %[1]d + i %% 10000,
		%[2]d + (i / 100) %% 10,
		%[3]s, '{}', 30, FALSE, FALSE, 0, 'k' || i, 2025, i, %[4]s, CASE WHEN i %% 100 >= 7 THEN %[4]s END,
		CASE WHEN i %% 100 IN (5, 6) THEN '9999-12-31' ELSE %[5]s END,
		CASE WHEN i %% 100 >= 2 AND i %% 100 <> 6 THEN %[6]d + (i / 100) %% 20 END, %[4]s, %[4]s FROM n`,
		g.citizen, g.office, state, at, due, g.op), g.ente, t0)
	b.Logf("%s: %d pratiche generated in %s", d.Engine, n, time.Since(start).Round(time.Millisecond))
	return g
}

// queries is the mix of 200 queue pages; Limit -1 marks a second page.
func (g *bench) queries() []pratica.QueueFilter {
	open := []pratica.State{pratica.Submitted, pratica.AwaitingPayment, pratica.InReview, pratica.IntegrationRequested}
	var out []pratica.QueueFilter
	for i := range 200 {
		office := g.office + int64(i%10)
		f := pratica.QueueFilter{Office: office, Limit: 50}
		switch i % 8 {
		case 0: // every state but drafts
		case 1:
			f.States = open
		case 2:
			f.States = []pratica.State{pratica.InReview}
		case 3:
			f.Service = fmt.Sprintf("servizio-%d", (i%4)*10+i%10)
		case 4:
			f.States, f.Assignee = open, identity.OperatorID(g.op+int64(i%20))
			f.Office = 0
		case 5:
			f.States, f.DueBefore = open, calendar.D(2025, 4, 1)
		case 6:
			f.States, f.Office = open, 0
		case 7:
			f.States, f.Limit = open, -1
		}
		out = append(out, f)
	}
	return out
}

// explain logs the plan of a queue query, to show which index each
// state's range uses and that the page drives the joins.
func (g *bench) explain(b *testing.B, d *db.DB, f pratica.QueueFilter) {
	query, args, err := pratica.QueueQueryForTest(g.ente, f)
	if err != nil {
		b.Fatal(err)
	}
	prefix := "EXPLAIN QUERY PLAN "
	if d.Engine == db.Postgres {
		prefix = "EXPLAIN "
	}
	rows, err := d.QueryContext(ctx, prefix+query, args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var plan []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			b.Fatal(err)
		}
		plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
	}
	b.Logf("%s plan:\n%s", d.Engine, strings.Join(plan, "\n"))
}
