package identity_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// t0 is the tests' clock; every test moves it explicitly.
var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// Valid codici fiscali of made-up people.
const (
	cfMario     = "RSSMRA80A01H501U"
	cfGiulia    = "BNCGLI85M45A116H"
	cfLuigi     = "VRDLGU70C12L378W"
	cfFrancesca = "NREFNC92T55H501S"
	cfCarlo     = "CLMCRS60E20A116B"
)

const (
	idpPoste = "https://posteid.poste.it"
	idpAruba = "https://loginspid.aruba.it"
	password = "correct horse battery staple"
)

var ctx = context.Background()

// fixture is a migrated database with two enti, so that every test can
// check that one ente never sees the other's rows.
type fixture struct {
	d            *db.DB
	ente, other  tenant.ID
	anagrafe     int64 // an office of ente
	tributi      int64 // another office of ente
	otherOffice  int64 // an office of other
	keys         *identity.Keys
	nextOperator int
}

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{d: testdb.Open(t)}
	var offices map[string]int64
	f.ente, offices = newEnte(t, f.d, "ala", "022001")
	f.anagrafe, f.tributi = offices["anagrafe"], offices["tributi"]
	f.other, offices = newEnte(t, f.d, "avio", "022007")
	f.otherOffice = offices["anagrafe"]
	keys, err := identity.NewKeys([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	f.keys = keys
	return f
}

func newEnte(t *testing.T, d *db.DB, slug, istat string) (tenant.ID, map[string]int64) {
	t.Helper()
	e := &tenant.Ente{
		Slug: slug, Name: "Comune di " + slug, IstatCode: istat, Belfiore: "A116", IPACode: "c_" + slug,
		FiscalCode: "00000000000", Province: "TN", Hosts: []string{slug + ".example"},
		Offices: []tenant.Office{
			{Slug: "punto-risposte", Name: "Punto risposte", IsDesk: true},
			{Slug: "anagrafe", Name: "Anagrafe"},
			{Slug: "tributi", Name: "Tributi"},
		},
	}
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return tenant.Create(ctx, tx, e, t0) }); err != nil {
		t.Fatal(err)
	}
	offices := map[string]int64{}
	for _, o := range e.Offices {
		offices[o.Slug] = o.ID
	}
	return e.ID, offices
}

// login logs a citizen in through Poste at t0 and returns them.
func (f *fixture) login(t *testing.T, ente tenant.ID, cf string) *identity.Citizen {
	t.Helper()
	res, err := identity.LoginCitizen(ctx, f.d, ente, identity.LoginInput{
		FiscalCode: cf, GivenName: "Nome " + cf[:3], FamilyName: "Cognome " + cf[3:6], IdP: idpPoste, Level: 2,
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return res.Citizen
}

// operator creates an operator with the given grants and, unless noTOTP, a
// seeded second factor; it returns the operator and their TOTP secret.
func (f *fixture) operator(t *testing.T, ente tenant.ID, grants ...identity.Grant) (*identity.Operator, string) {
	t.Helper()
	f.nextOperator++
	o, err := identity.CreateOperator(ctx, f.d, ente, identity.OperatorInput{
		Username: "op" + string(rune('a'+f.nextOperator)) + "x", Name: "Operatore", Password: password, Grants: grants,
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	if err := identity.SeedTOTP(ctx, f.d, f.keys, ente, o.ID, secret); err != nil {
		t.Fatal(err)
	}
	o.TOTPEnabled = true
	return o, secret
}

// wantKind fails the test unless err has the given kind (nil for success).
func wantKind(t *testing.T, what string, err error, kind apperr.Kind, is ...error) {
	t.Helper()
	if kind == 0 && len(is) == 0 {
		// Internal is 0; a test never expects an internal error.
		if err != nil {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		return
	}
	if err == nil {
		t.Fatalf("%s: succeeded, want a %v error", what, kind)
	}
	if got := apperr.KindOf(err); got != kind {
		t.Fatalf("%s: error kind %v (%v), want %v", what, got, err, kind)
	}
	for _, target := range is {
		if !errors.Is(err, target) {
			t.Fatalf("%s: error %v is not %v", what, err, target)
		}
	}
}

// ok is the kind meaning "no error" in wantKind.
const ok = apperr.Internal
