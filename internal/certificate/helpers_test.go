package certificate_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/registry"
	"github.com/sportello/sportello/internal/tenant"
)

var (
	ctx = context.Background()
	// now is 10:00 in Rome on 26 November 2026.
	now       = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	masterKey = []byte("0123456789abcdef0123456789abcdef")
)

// The demo's people, as the registry holds them.
const (
	cfMarco  = "TMSMRC79E03H612A"
	cfChiara = "PDRCHR82P61H612E"
	cfSofia  = "TMSSFO07C70H612C"
	cfGiusi  = "ZNDGPP51B52A116D"
)

type fixture struct {
	d      *db.DB
	ala    *tenant.Ente
	avio   *tenant.Ente
	issuer *certificate.Issuer
	blobs  *blob.FS
	root   string // the blob store's directory
	// homes maps a fiscal code to the registry person.
	persons map[string]*registry.Person
	marco   identity.CitizenID
	clerk   identity.OperatorID
}

func newEnte(t testing.TB, d *db.DB, slug, istat string) *tenant.Ente {
	t.Helper()
	e := &tenant.Ente{Slug: slug, Name: "Comune di " + slug, IstatCode: istat, Belfiore: "A116",
		IPACode: "c_" + slug, FiscalCode: "00000000000", Province: "TN", Hosts: []string{slug + ".example"},
		Offices: []tenant.Office{{Slug: "anagrafe", Name: "Anagrafe"}}}
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return tenant.Create(ctx, tx, e, now) }); err != nil {
		t.Fatal(err)
	}
	return e
}

// demoHouseholds are the Tomasi family and Giuseppina Zandonai.
func demoHouseholds() []*registry.Household {
	married := calendar.D(2006, 6, 10)
	return []*registry.Household{
		{Address: registry.Address{Street: "Via Nuova", HouseNumber: "22", Postcode: "38061"}, Members: []*registry.Person{
			{Surname: "Tomasi", Name: "Marco", Sex: "M", BirthDate: calendar.D(1979, 5, 3), BirthPlace: "H612",
				Relationship: registry.Head, CivilStatus: registry.Married, MarriageDate: married, MarriagePlace: "Ala (TN)", Spouse: "Pederzolli Chiara"},
			{Surname: "Pederzolli", Name: "Chiara", Sex: "F", BirthDate: calendar.D(1982, 9, 21), BirthPlace: "H612",
				Relationship: registry.Spouse, CivilStatus: registry.Married, MarriageDate: married, MarriagePlace: "Ala (TN)", Spouse: "Tomasi Marco"},
			{Surname: "Tomasi", Name: "Sofia", Sex: "F", BirthDate: calendar.D(2007, 3, 30), BirthPlace: "H612",
				Relationship: registry.Child, CivilStatus: registry.Single},
		}},
		{Address: registry.Address{Street: "Via Santa Caterina", HouseNumber: "14", Postcode: "38061"}, Members: []*registry.Person{
			{Surname: "Zandonai", Name: "Giuseppina", Sex: "F", BirthDate: calendar.D(1951, 2, 12), BirthPlace: "A116",
				Relationship: registry.Head, CivilStatus: registry.Widowed, BirthAct: "atto n. 14, parte I, serie A, anno 1951"},
		}},
	}
}

func setup(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{d: testdb.Open(t), persons: map[string]*registry.Person{}}
	f.ala = newEnte(t, f.d, "ala", "022001")
	f.avio = newEnte(t, f.d, "avio", "022007")
	today := calendar.DateOf(now)
	hs := registry.Generate(0, demoHouseholds(), today)
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		for _, h := range hs {
			if err := registry.Save(ctx, tx, f.ala.ID, h); err != nil {
				return err
			}
			for _, m := range h.Members {
				f.persons[m.FiscalCode] = m
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var err error
	f.root = t.TempDir()
	if f.blobs, err = blob.NewFS(f.root); err != nil {
		t.Fatal(err)
	}
	keys, err := certificate.NewKeyStore(masterKey)
	if err != nil {
		t.Fatal(err)
	}
	f.issuer = &certificate.Issuer{DB: f.d, Registrar: protocol.Builtin{}, Blobs: f.blobs, Keys: keys,
		Now: func() time.Time { return now }}
	c, _, err := identity.EnsureCitizen(ctx, f.d, f.ala.ID, identity.CitizenInput{FiscalCode: cfMarco, GivenName: "Marco", FamilyName: "Tomasi"}, now)
	if err != nil {
		t.Fatal(err)
	}
	f.marco = c.ID
	o, err := identity.CreateOperator(ctx, f.d, f.ala.ID, identity.OperatorInput{Username: "sportello", Name: "Operatore",
		Password: "correct horse battery staple", Grants: []identity.Grant{{Role: identity.RoleClerk, Office: f.ala.Offices[0].ID}}}, now)
	if err != nil {
		t.Fatal(err)
	}
	f.clerk = o.ID
	return f
}

// online is an order of Marco's, logged in, for the holder's certificate.
func (f *fixture) online(holder string, kinds ...certificate.Type) certificate.Order {
	return certificate.Order{Ente: f.ala, Channel: certificate.Online, HolderCF: holder, Kinds: kinds,
		Citizen: f.marco, CitizenCF: cfMarco, VerifyURL: "https://ala.example/verifica"}
}

// desk is an order at the counter.
func (f *fixture) desk(holder string, kinds ...certificate.Type) certificate.Order {
	return certificate.Order{Ente: f.ala, Channel: certificate.Desk, HolderCF: holder, Kinds: kinds,
		Operator: f.clerk, Requester: "Mario Rossi, C.I. CA00000AA", Reason: "uso privato",
		StampID: "01234567890123", VerifyURL: "https://ala.example/verifica"}
}

// keys returns the ente Ala's published keys.
func (f *fixture) keys(t testing.TB) []certificate.PublicKey {
	t.Helper()
	keys, err := certificate.Published(ctx, f.d, f.ala.ID)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
