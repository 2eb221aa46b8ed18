package pratica_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/tenant"
)

var ctx = context.Background()

// t0 is Monday 2 March 2026, 10:00 in Rome: the tests' clock starts here.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// day returns 10:00 in Rome (09:00 UTC in winter, 08:00 in summer) on d.
func day(d calendar.Date) time.Time {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err)
	}
	return time.Date(d.Year, d.Month, d.Day, 10, 0, 0, 0, loc).UTC()
}

// Valid codici fiscali of made-up people.
const (
	cfMario  = "RSSMRA80A01H501U"
	cfGiulia = "BNCGLI85M45A116H"
	cfLuigi  = "VRDLGU70C12L378W"
)

// side is one ente of the fixture with its people.
type side struct {
	ente              tenant.ID
	anagrafe, tributi int64
	mario, giulia     identity.CitizenID
	clerk, head       identity.OperatorID
	cal               *calendar.Calendar
}

// fixture is a migrated database with two enti, so that every test can
// check that one ente never sees the other's rows.
type fixture struct {
	d          *db.DB
	ala, avio  side
	blobs      *blob.FS
	jobsOnce   sync.Once
	jobsClient *jobs.Jobs
	keys       atomic.Int64
}

func setup(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{d: testdb.Open(t)}
	// Ala's patron is San Valentino (14 February); Avio has none here.
	f.ala = f.newSide(t, "ala", "022001", []calendar.MonthDay{{Month: time.February, Day: 14}})
	f.avio = f.newSide(t, "avio", "022007", nil)
	var err error
	if f.blobs, err = blob.NewFS(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) newSide(t testing.TB, slug, istat string, patron []calendar.MonthDay) side {
	t.Helper()
	e := &tenant.Ente{
		Slug: slug, Name: "Comune di " + slug, IstatCode: istat, Belfiore: "A116", IPACode: "c_" + slug,
		FiscalCode: "00000000000", Province: "TN", Hosts: []string{slug + ".example"},
		Offices:    []tenant.Office{{Slug: "anagrafe", Name: "Anagrafe", Email: "anagrafe@" + slug + ".example"}, {Slug: "tributi", Name: "Tributi"}},
		PatronDays: patron,
	}
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error { return tenant.Create(ctx, tx, e, t0) }); err != nil {
		t.Fatal(err)
	}
	s := side{ente: e.ID, anagrafe: e.Offices[0].ID, tributi: e.Offices[1].ID}
	citizen := func(cf, given, family string) identity.CitizenID {
		c, _, err := identity.EnsureCitizen(ctx, f.d, e.ID, identity.CitizenInput{FiscalCode: cf, GivenName: given, FamilyName: family}, t0)
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	s.mario, s.giulia = citizen(cfMario, "Mario", "Rossi"), citizen(cfGiulia, "Giulia", "Bianchi")
	operator := func(username string, role identity.Role) identity.OperatorID {
		o, err := identity.CreateOperator(ctx, f.d, e.ID, identity.OperatorInput{
			Username: username, Name: "Operatore " + username, Email: username + "@" + slug + ".example", Password: "correct horse battery staple",
			Grants: []identity.Grant{{Role: role, Office: s.anagrafe}},
		}, t0)
		if err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	s.clerk, s.head = operator("impiegato", identity.RoleClerk), operator("responsabile", identity.RoleHead)
	cal, err := calendar.New(calendar.Options{PatronDays: patron})
	if err != nil {
		t.Fatal(err)
	}
	s.cal = cal
	return s
}

// jobs returns an insert-only jobs client, migrated on first use.
func (f *fixture) jobs(t testing.TB) *jobs.Jobs {
	t.Helper()
	f.jobsOnce.Do(func() {
		j, err := jobs.New(f.d, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := j.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		f.jobsClient = j
	})
	return f.jobsClient
}

// draftInput is a 30-calendar-day service of the anagrafe, filed by Mario
// for himself.
func draftInput(s side) pratica.DraftInput {
	return pratica.DraftInput{
		Service: "cambio-residenza", ServiceVersion: 1, Title: "Dichiarazione di residenza", Citizen: s.mario,
		FiledBy: identity.CitizenSubject(s.mario), Office: s.anagrafe, Term: pratica.Term{Days: 30},
	}
}

func (f *fixture) draft(t testing.TB, s side, in pratica.DraftInput, at time.Time) *pratica.Pratica {
	t.Helper()
	var p *pratica.Pratica
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		p, err = pratica.CreateDraft(ctx, tx, s.ente, in, at)
		if err != nil {
			return err
		}
		return pratica.SaveDraft(ctx, tx, s.ente, p.ID, []byte(`{"nome":{"text":"Mario"}}`), nil, at)
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// receipt is a trivial renderer: the text a real PDF would show.
func receipt(d pratica.ReceiptData) ([]byte, error) {
	return fmt.Appendf(nil, "%%PDF-1.7 ricevuta %s %s %s %s", d.EnteName, d.Protocol, d.FiscalCode, d.Digest), nil
}

func letter(d pratica.LetterData) ([]byte, error) {
	return fmt.Appendf(nil, "%%PDF-1.7 esito %s %t %s", d.Protocol, d.Accepted, d.Motivation), nil
}

func (f *fixture) submitInput(s side, key string) pratica.SubmitInput {
	return pratica.SubmitInput{
		IdempotencyKey: key, Actor: identity.CitizenSubject(s.mario), Calendar: s.cal,
		Summary: []pratica.ReceiptLine{{Label: "Nome", Value: "Mario"}},
	}
}

// submit submits p at now with a fresh key and issues its receipt, as the
// web flow does.
func (f *fixture) submit(t testing.TB, s side, id pratica.ID, at time.Time) *pratica.Pratica {
	t.Helper()
	var p *pratica.Pratica
	key := fmt.Sprintf("key-%d", f.keys.Add(1))
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		p, err = pratica.Submit(ctx, tx, s.ente, id, f.submitInput(s, key), at)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := pratica.IssueReceipt(ctx, f.d, f.blobs, receipt, s.ente, id, at)
	if err != nil {
		t.Fatal(err)
	}
	p.Attachments = append(p.Attachments, *a)
	return p
}

func (f *fixture) decideInput(s side, accepted bool) pratica.DecideInput {
	return pratica.DecideInput{Accepted: accepted, Motivation: "Requisiti verificati.", Letter: letter, Blobs: f.blobs, Calendar: s.cal}
}

// tx runs fn in a transaction and returns its pratica.
func (f *fixture) tx(t testing.TB, fn func(tx *sql.Tx) (*pratica.Pratica, error)) (*pratica.Pratica, error) {
	t.Helper()
	var p *pratica.Pratica
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		p, err = fn(tx)
		return err
	})
	return p, err
}

func (f *fixture) get(t testing.TB, s side, id pratica.ID) *pratica.Pratica {
	t.Helper()
	p, err := pratica.Get(ctx, f.d, s.ente, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func numbers(t testing.TB, q db.Querier, ente tenant.ID, year int) []protocol.Number {
	t.Helper()
	es, err := protocol.List(ctx, q, ente, year)
	if err != nil {
		t.Fatal(err)
	}
	var out []protocol.Number
	for _, e := range es {
		out = append(out, e.Number)
	}
	return out
}

// wantKind fails unless err has the kind.
func wantKind(t testing.TB, err error, kind apperr.Kind) {
	t.Helper()
	if err == nil || apperr.KindOf(err) != kind {
		t.Fatalf("err = %v, want kind %v", err, kind)
	}
}

var errBoom = errors.New("boom")

func kinds(evs []pratica.Event) string {
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%s:%s>%s", e.Kind, e.From, e.To))
	}
	return strings.Join(out, " ")
}
