package protocol_test

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
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/tenant"
)

var now = time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC)

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

func incoming(ente tenant.ID, subject string) *protocol.Entry {
	return &protocol.Entry{
		Ente: ente, Direction: protocol.In, Subject: subject, Correspondent: "Mario Rossi",
		DocumentSHA256: strings.Repeat("ab", 32), CreatedBy: "user:1",
	}
}

func register(t *testing.T, d *db.DB, e *protocol.Entry, at time.Time) {
	t.Helper()
	err := d.InTx(context.Background(), func(tx *sql.Tx) error { return protocol.Register(context.Background(), tx, e, at) })
	if err != nil {
		t.Fatal(err)
	}
}

func numbers(t *testing.T, d *db.DB, ente tenant.ID, year int) []protocol.Number {
	t.Helper()
	es, err := protocol.List(context.Background(), d, ente, year)
	if err != nil {
		t.Fatal(err)
	}
	var out []protocol.Number
	for _, e := range es {
		out = append(out, e.Number)
	}
	return out
}

func seq(n int) []protocol.Number {
	var out []protocol.Number
	for i := 1; i <= n; i++ {
		out = append(out, protocol.Number(i))
	}
	return out
}

func TestNumberFormat(t *testing.T) {
	tests := []struct {
		n          protocol.Number
		year       int
		want, disp string
	}{
		{1, 2026, "0000001", "2026/0000001"},
		{42, 2026, "0000042", "2026/0000042"},
		{9999999, 2027, "9999999", "2027/9999999"},
		{12345678, 2027, "12345678", "2027/12345678"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.n.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			e := protocol.Entry{Year: tc.year, Number: tc.n}
			if got := e.Display(); got != tc.disp {
				t.Errorf("Display() = %q, want %q", got, tc.disp)
			}
		})
	}
}

// TestConcurrentRegistrationsAreGapless is the register's promise under
// load: 64 transactions at once take 1..64, each exactly once.
func TestConcurrentRegistrationsAreGapless(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	const n = 64
	got := make([]protocol.Number, n)
	errs := make([]error, n)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			e := incoming(ente, fmt.Sprintf("domanda %d", i))
			errs[i] = d.InTx(ctx, func(tx *sql.Tx) error { return protocol.Register(ctx, tx, e, now) })
			got[i] = e.Number
		})
	}
	wg.Wait()
	t.Logf("%s: %d concurrent registrations in %s", d.Engine, n, time.Since(start))
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if diff := cmp.Diff(seq(n), got); diff != "" {
		t.Errorf("numbers handed out mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(seq(n), numbers(t, d, ente, 2026)); diff != "" {
		t.Errorf("numbers stored mismatch (-want +got):\n%s", diff)
	}
	if err := protocol.Verify(ctx, d, ente, 2026); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestRollbackLeavesNoGap(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	register(t, d, incoming(ente, "prima"), now)
	errAbort := errors.New("abort")
	lost := incoming(ente, "annullata dal rollback")
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		if err := protocol.Register(ctx, tx, lost, now); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want the abort", err)
	}
	if lost.Number != 2 {
		t.Errorf("rolled-back registration took %s, want 0000002", lost.Number)
	}
	next := incoming(ente, "seconda")
	register(t, d, next, now)
	if next.Number != 2 {
		t.Errorf("after a rollback the next number is %s, want 0000002", next.Number)
	}
	if diff := cmp.Diff(seq(2), numbers(t, d, ente, 2026)); diff != "" {
		t.Errorf("numbers mismatch (-want +got):\n%s", diff)
	}
	if err := protocol.Verify(ctx, d, ente, 2026); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestEntiAreSeparate(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ala := newEnte(t, d, "ala", "022001")
	avio := newEnte(t, d, "avio", "022007")
	for i := range 3 {
		register(t, d, incoming(ala, fmt.Sprintf("ala %d", i)), now)
	}
	register(t, d, incoming(avio, "avio 0"), now)
	if diff := cmp.Diff(seq(3), numbers(t, d, ala, 2026)); diff != "" {
		t.Errorf("ala mismatch (-want +got):\n%s", diff)
	}
	es, err := protocol.List(ctx, d, avio, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Number != 1 || es[0].Subject != "avio 0" {
		t.Errorf("avio's register = %+v, want only its own entry 1", es)
	}
	if _, err := protocol.Get(ctx, d, avio, 2026, 2); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("Get(avio, 2) = %v, want NotFound (2 is ala's)", err)
	}
	for _, ente := range []tenant.ID{ala, avio} {
		if err := protocol.Verify(ctx, d, ente, 2026); err != nil {
			t.Errorf("Verify(%d): %v", ente, err)
		}
	}
}

// TestNewYearRestarts checks that the year is Italy's: 23:30 UTC on 31
// December is already the new year in Rome.
func TestNewYearRestarts(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	late := time.Date(2026, 12, 31, 22, 30, 0, 0, time.UTC) // 23:30 in Rome
	register(t, d, incoming(ente, "a"), late)
	register(t, d, incoming(ente, "b"), late)
	e := incoming(ente, "c")
	register(t, d, e, late.Add(time.Hour)) // 00:30 on 1 January in Rome
	if e.Year != 2027 || e.Number != 1 || e.PreviousHash != protocol.Genesis {
		t.Errorf("first entry of the year = %s (previous %s), want 2027/0000001 chained to genesis", e.Display(), e.PreviousHash)
	}
	if diff := cmp.Diff(seq(2), numbers(t, d, ente, 2026)); diff != "" {
		t.Errorf("2026 mismatch (-want +got):\n%s", diff)
	}
	for _, y := range []int{2026, 2027} {
		if err := protocol.Verify(ctx, d, ente, y); err != nil {
			t.Errorf("Verify(%d): %v", y, err)
		}
	}
}

func TestGetReturnsWhatRegisterWrote(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	first := incoming(ente, "prima")
	register(t, d, first, now)
	want := &protocol.Entry{Ente: ente, Direction: protocol.Out, Subject: "esito", Correspondent: "Anna Bianchi", CreatedBy: "user:2"}
	register(t, d, want, now.Add(time.Minute))
	got, err := protocol.Get(ctx, d, ente, 2026, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get mismatch (-want +got):\n%s", diff)
	}
	if got.PreviousHash != first.Hash || got.RegisteredAt != now.Add(time.Minute).Truncate(time.Microsecond) {
		t.Errorf("entry 2 chains to %s at %s, want %s at %s", got.PreviousHash, got.RegisteredAt, first.Hash, now.Add(time.Minute))
	}
}

func TestRegisterRejectsInvalid(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	tests := []struct {
		name string
		edit func(*protocol.Entry)
	}{
		{"no direction", func(e *protocol.Entry) { e.Direction = "" }},
		{"no subject", func(e *protocol.Entry) { e.Subject = " " }},
		{"no correspondent", func(e *protocol.Entry) { e.Correspondent = "" }},
		{"bad hash", func(e *protocol.Entry) { e.DocumentSHA256 = "ABC" }},
		{"nobody", func(e *protocol.Entry) { e.CreatedBy = "" }},
		{"annulment", func(e *protocol.Entry) { e.AnnulsYear, e.AnnulsNumber = 2026, 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := incoming(ente, "x")
			tc.edit(e)
			err := d.InTx(ctx, func(tx *sql.Tx) error { return protocol.Register(ctx, tx, e, now) })
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("Register = %v, want Invalid", err)
			}
		})
	}
	if got := numbers(t, d, ente, 2026); len(got) != 0 {
		t.Errorf("rejected entries were numbered: %v", got)
	}
}

// TestDatabaseRefusesChanges goes around the package: the triggers must
// stop an UPDATE or DELETE that some other code (or a person) attempts.
func TestDatabaseRefusesChanges(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	register(t, d, incoming(ente, "immutabile"), now)
	stmts := []string{
		`UPDATE protocol_entry SET subject = 'cambiato' WHERE ente_id = $1`,
		`UPDATE protocol_entry SET number = 7 WHERE ente_id = $1`,
		`DELETE FROM protocol_entry WHERE ente_id = $1`,
	}
	if d.Engine == db.Postgres {
		stmts = append(stmts, `TRUNCATE protocol_entry`)
	}
	for _, stmt := range stmts {
		var args []any
		if strings.Contains(stmt, "$1") {
			args = append(args, ente)
		}
		_, err := d.ExecContext(ctx, stmt, args...)
		// TRUNCATE may also be stopped first by the tables that reference
		// the register (pratiche): either refusal keeps the rows.
		refused := err != nil && (strings.Contains(err.Error(), "immutable") ||
			strings.HasPrefix(stmt, "TRUNCATE") && strings.Contains(err.Error(), "foreign key"))
		if !refused {
			t.Errorf("%s: err = %v, want the immutability error", stmt, err)
		}
	}
	got, err := protocol.Get(ctx, d, ente, 2026, 1)
	if err != nil || got.Subject != "immutabile" {
		t.Errorf("entry 1 = %+v, %v; want it unchanged", got, err)
	}
	if err := protocol.Verify(ctx, d, ente, 2026); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

// dropImmutability removes the triggers, as an attacker with the database
// password could, so that tampering can be detected.
func dropImmutability(t *testing.T, d *db.DB) {
	t.Helper()
	stmts := []string{`DROP TRIGGER protocol_entry_no_update`, `DROP TRIGGER protocol_entry_no_delete`}
	if d.Engine == db.Postgres {
		stmts = []string{`DROP TRIGGER protocol_entry_no_change ON protocol_entry`}
	}
	for _, s := range stmts {
		if _, err := d.ExecContext(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper string // run with $1 = ente, after entries 1..5 exist
		drop   bool
		want   protocol.Number
	}{
		{"subject changed", `UPDATE protocol_entry SET subject = 'falso' WHERE ente_id = $1 AND number = 3`, true, 3},
		{"author changed", `UPDATE protocol_entry SET created_by = 'altri' WHERE ente_id = $1 AND number = 2`, true, 2},
		{"hash recomputed badly", `UPDATE protocol_entry SET hash = previous_hash WHERE ente_id = $1 AND number = 4`, true, 4},
		{"middle deleted", `DELETE FROM protocol_entry WHERE ente_id = $1 AND number = 3`, true, 3},
		{"last deleted", `DELETE FROM protocol_entry WHERE ente_id = $1 AND number = 5`, true, 5},
		{"forged row", `INSERT INTO protocol_entry (ente_id, year, number, direction, registered_at, subject,
			correspondent, previous_hash, hash, created_by)
			SELECT ente_id, year, 6, direction, registered_at, 'falso', correspondent, hash, hash, created_by
			FROM protocol_entry WHERE ente_id = $1 AND number = 5`, false, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			d := testdb.Open(t)
			ente := newEnte(t, d, "ala", "022001")
			other := newEnte(t, d, "avio", "022007")
			for i := range 5 {
				register(t, d, incoming(ente, fmt.Sprintf("domanda %d", i)), now)
				register(t, d, incoming(other, fmt.Sprintf("domanda %d", i)), now)
			}
			if tc.drop {
				dropImmutability(t, d)
			}
			if _, err := d.ExecContext(ctx, tc.tamper, ente); err != nil {
				t.Fatal(err)
			}
			err := protocol.Verify(ctx, d, ente, 2026)
			var ce *protocol.ChainError
			if !errors.As(err, &ce) || ce.Number != tc.want || ce.Ente != ente {
				t.Fatalf("Verify = %v, want a break at %s", err, tc.want)
			}
			t.Log(err)
			if err := protocol.Verify(ctx, d, other, 2026); err != nil {
				t.Errorf("Verify(other ente) = %v, want its register intact", err)
			}
		})
	}
}

func TestAnnul(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	old := incoming(ente, "domanda errata")
	register(t, d, old, now)
	register(t, d, incoming(ente, "altra"), now)

	var ann *protocol.Entry
	err := d.InTx(ctx, func(tx *sql.Tx) (err error) {
		ann, err = protocol.Annul(ctx, tx, ente, 2026, 1, "registrata due volte", "Determina n. 12/2026", "user:9", now.Add(time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if ann.Number != 3 || ann.AnnulsYear != 2026 || ann.AnnulsNumber != 1 || !ann.Annuls() {
		t.Errorf("annulment = %s annulling %d/%s, want 2026/0000003 annulling 2026/0000001", ann.Display(), ann.AnnulsYear, ann.AnnulsNumber)
	}
	got, err := protocol.Get(ctx, d, ente, 2026, 3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ann, got); diff != "" {
		t.Errorf("stored annulment mismatch (-want +got):\n%s", diff)
	}
	still, err := protocol.Get(ctx, d, ente, 2026, 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(old, still); diff != "" {
		t.Errorf("annulled entry changed (-want +got):\n%s", diff)
	}
	if err := protocol.Verify(ctx, d, ente, 2026); err != nil {
		t.Errorf("Verify: %v", err)
	}

	tests := []struct {
		name        string
		year        int
		number      protocol.Number
		reason, act string
		kind        apperr.Kind
	}{
		{"twice", 2026, 1, "di nuovo", "Determina 13/2026", apperr.Conflict},
		{"an annulment", 2026, 3, "errore", "Determina 14/2026", apperr.Conflict},
		{"missing", 2026, 99, "errore", "Determina 15/2026", apperr.NotFound},
		{"no act", 2026, 2, "errore", " ", apperr.Invalid},
		{"no reason", 2026, 2, "", "Determina 16/2026", apperr.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := d.InTx(ctx, func(tx *sql.Tx) error {
				_, err := protocol.Annul(ctx, tx, ente, tc.year, tc.number, tc.reason, tc.act, "user:9", now)
				return err
			})
			if !apperr.Is(err, tc.kind) {
				t.Errorf("Annul = %v, want %s", err, tc.kind)
			}
		})
	}
	if diff := cmp.Diff(seq(3), numbers(t, d, ente, 2026)); diff != "" {
		t.Errorf("refused annulments took numbers (-want +got):\n%s", diff)
	}
}

// TestConcurrentAnnulmentsOneWins checks the database's guarantee that an
// entry is annulled once even when two officers press the button together.
func TestConcurrentAnnulmentsOneWins(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	register(t, d, incoming(ente, "domanda"), now)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = d.InTx(ctx, func(tx *sql.Tx) error {
				_, err := protocol.Annul(ctx, tx, ente, 2026, 1, "doppia", fmt.Sprintf("Determina %d", i), "user:1", now)
				return err
			})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !apperr.Is(err, apperr.Conflict):
			t.Errorf("Annul = %v, want success or Conflict", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d annulments succeeded, want 1", ok)
	}
	if diff := cmp.Diff(seq(2), numbers(t, d, ente, 2026)); diff != "" {
		t.Errorf("numbers mismatch (-want +got):\n%s", diff)
	}
	if err := protocol.Verify(ctx, d, ente, 2026); err != nil {
		t.Errorf("Verify: %v", err)
	}
}
