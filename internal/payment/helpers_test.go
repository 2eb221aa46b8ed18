package payment_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/pagopa/checkout"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/pratica"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
	"github.com/sportello/sportello/internal/tenant"
)

var ctx = context.Background()

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	cfMario  = "RSSMRA80A01H501U"
	cfGiulia = "BNCGLI85M45A116H"
)

// side is one ente with two citizens and an office.
type side struct {
	ente          tenant.ID
	fiscalCode    string
	office        int64
	mario, giulia *identity.Citizen
	clerk         identity.OperatorID
}

type fixture struct {
	d         *db.DB
	ala, avio side
	cal       *calendar.Calendar
	sim       *pagopasim.Sim
	srv       *httptest.Server
	svc       *payment.Service
	now       time.Time
	keys      atomic.Int64
	// jobs, when set, queues the publication as the web layer does.
	jobs *jobs.Jobs
}

func setup(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{d: testdb.Open(t), now: t0}
	f.ala = f.newSide(t, "ala", "022001", "00299740228")
	f.avio = f.newSide(t, "avio", "022007", "00338140223")
	var err error
	if f.cal, err = calendar.New(calendar.Options{}); err != nil {
		t.Fatal(err)
	}
	f.sim = pagopasim.New(pagopasim.Options{Key: "k", Now: func() time.Time { return f.now }, Hang: time.Minute})
	f.srv = httptest.NewServer(f.sim)
	t.Cleanup(f.srv.Close)
	g, err := gpd.New(gpd.Options{PositionsURL: f.srv.URL + "/gpd/debt-positions-service/v1",
		ReceiptsURL: f.srv.URL + "/gpd/payments-receipts-service/v1", Key: "k", Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c, err := checkout.New(checkout.Options{URL: f.srv.URL + "/checkout/ec/v1"})
	if err != nil {
		t.Fatal(err)
	}
	// No Calendar: the service uses each ente's own, as in production.
	f.svc = &payment.Service{DB: f.d, GPD: g, Checkout: c, Now: func() time.Time { return f.now }}
	return f
}

func (f *fixture) newSide(t testing.TB, slug, istat, cf string) side {
	t.Helper()
	e := &tenant.Ente{Slug: slug, Name: "Comune di " + slug, IstatCode: istat, Belfiore: "A116", IPACode: "c_" + slug,
		FiscalCode: cf, Province: "TN", Hosts: []string{slug + ".example"}, Offices: []tenant.Office{{Slug: "suap", Name: "SUAP"}}}
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error { return tenant.Create(ctx, tx, e, t0) }); err != nil {
		t.Fatal(err)
	}
	s := side{ente: e.ID, fiscalCode: cf, office: e.Offices[0].ID}
	citizen := func(cf, given, family string) *identity.Citizen {
		c, _, err := identity.EnsureCitizen(ctx, f.d, e.ID, identity.CitizenInput{FiscalCode: cf, GivenName: given, FamilyName: family}, t0)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	s.mario, s.giulia = citizen(cfMario, "Mario", "Rossi"), citizen(cfGiulia, "Giulia", "Bianchi")
	o, err := identity.CreateOperator(ctx, f.d, e.ID, identity.OperatorInput{Username: "ragioneria", Name: "Ragioneria",
		Password: "correct horse battery staple", Grants: []identity.Grant{{Role: identity.RoleClerk, Office: s.office}}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	s.clerk = o.ID
	if err := payment.Configure(ctx, f.d, payment.Settings{Ente: e.ID, Segregation: 1, IBAN: "IT60X0542811101000000123456"}, t0); err != nil {
		t.Fatal(err)
	}
	for i, it := range []payment.Item{
		{Slug: "diritti-segreteria", Title: "Diritti di segreteria", Amount: 1652, Taxonomy: "9/0101108TS/", Installments: 1},
		{Slug: "mensa", Title: "Mensa scolastica", Amount: 30000, Taxonomy: "9/0101105SP/", Installments: 3},
		{Slug: "sanzioni", Title: "Sanzioni al codice della strada", Taxonomy: "9/0102100SA/", Installments: 1},
	} {
		if err := payment.SetItem(ctx, f.d, e.ID, it, i); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// submitted files a pratica of Mario's with a fee and numbers its notice in
// the same transaction, as the web layer does.
func (f *fixture) submitted(t testing.TB, s side, fee int64) (*pratica.Pratica, *payment.Payment) {
	t.Helper()
	var p *pratica.Pratica
	var pays []*payment.Payment
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		p, err = pratica.CreateDraft(ctx, tx, s.ente, pratica.DraftInput{Service: "occupazione-suolo-pubblico", ServiceVersion: 1,
			Title: "Occupazione di suolo pubblico", Citizen: s.mario.ID, FiledBy: identity.CitizenSubject(s.mario.ID),
			Office: s.office, Term: pratica.Term{Days: 30}, Fee: fee}, f.now)
		if err != nil {
			return err
		}
		if err := pratica.SaveDraft(ctx, tx, s.ente, p.ID, []byte(`{}`), nil, f.now); err != nil {
			return err
		}
		p, err = pratica.Submit(ctx, tx, s.ente, p.ID, pratica.SubmitInput{
			IdempotencyKey: fmt.Sprintf("k%d", f.keys.Add(1)), Actor: identity.CitizenSubject(s.mario.ID), Calendar: f.cal}, f.now)
		if err != nil {
			return err
		}
		pays, err = payment.ForPratica(ctx, tx, f.jobs, p, f.now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pays) != 1 {
		t.Fatalf("ForPratica made %d notices, want 1", len(pays))
	}
	return p, pays[0]
}

func (f *fixture) get(t testing.TB, s side, id payment.ID) *payment.Payment {
	t.Helper()
	p, err := payment.Get(ctx, f.d, s.ente, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) pratica(t testing.TB, s side, id pratica.ID) *pratica.Pratica {
	t.Helper()
	p, err := pratica.Get(ctx, f.d, s.ente, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// receipt fetches the simulator's receipt of a notice.
func (f *fixture) receipt(t testing.TB, s side, p *payment.Payment) ([]byte, *gpd.Receipt) {
	t.Helper()
	raw, r, err := f.svc.GPD.ReceiptXML(ctx, s.fiscalCode, p.IUV)
	if err != nil {
		t.Fatal(err)
	}
	return raw, r
}

func (f *fixture) ingest(t testing.TB, s side, raw []byte, r *gpd.Receipt) payment.Outcome {
	t.Helper()
	var out payment.Outcome
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = payment.Ingest(ctx, tx, f.cal, s.ente, raw, r, payment.SourceGPD, f.now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t testing.TB, q db.Querier, query string, args ...any) int {
	t.Helper()
	var n int
	if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// browser follows nothing: each redirect is checked by the test.
var browser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
