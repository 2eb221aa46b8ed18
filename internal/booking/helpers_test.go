package booking_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/tenant"
)

var ctx = context.Background()

var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err)
	}
	return loc
}()

// t0 is Monday 2 March 2026, 10:00 in Rome: the tests' clock starts here.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// at is h:m in Rome on d, in UTC as stored.
func at(d calendar.Date, h, m int) time.Time {
	return time.Date(d.Year, d.Month, d.Day, h, m, 0, 0, rome).UTC()
}

// Valid codici fiscali of made-up people.
const (
	cfMario  = "RSSMRA80A01H501U"
	cfGiulia = "BNCGLI85M45A116H"
)

// side is one ente of the fixture.
type side struct {
	ente   tenant.ID
	office tenant.Office
	mario  identity.CitizenID
	desk   *booking.Calendar
}

type fixture struct {
	d         *db.DB
	ala, avio side
	hol       *calendar.Calendar
	jobsOnce  sync.Once
	jobs      *jobs.Jobs
}

// anagrafeHours are the office's: mornings Monday to Friday, Tuesday and
// Thursday afternoons.
var anagrafeHours = []tenant.Hours{
	{Weekday: time.Monday, Opens: "09:00", Closes: "12:30"},
	{Weekday: time.Tuesday, Opens: "09:00", Closes: "12:30"},
	{Weekday: time.Tuesday, Opens: "14:30", Closes: "17:00"},
	{Weekday: time.Wednesday, Opens: "09:00", Closes: "12:30"},
	{Weekday: time.Thursday, Opens: "09:00", Closes: "12:30"},
	{Weekday: time.Thursday, Opens: "14:30", Closes: "17:00"},
	{Weekday: time.Friday, Opens: "09:00", Closes: "12:30"},
}

func setup(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{d: testdb.Open(t)}
	var err error
	// Ala's patron is San Valentino; 19 March is made a local holiday here.
	if f.hol, err = calendar.New(calendar.Options{PatronDays: []calendar.MonthDay{{Month: time.March, Day: 19}}}); err != nil {
		t.Fatal(err)
	}
	f.ala = f.newSide(t, "ala", "022001")
	f.avio = f.newSide(t, "avio", "022007")
	return f
}

func (f *fixture) newSide(t testing.TB, slug, istat string) side {
	t.Helper()
	e := &tenant.Ente{
		Slug: slug, Name: "Comune di " + slug, IstatCode: istat, Belfiore: "A116", IPACode: "c_" + slug,
		FiscalCode: "00000000000", Province: "TN", Hosts: []string{slug + ".example"},
		Offices: []tenant.Office{{Slug: "anagrafe", Name: "Anagrafe", Street: "Piazza Municipio 1", City: "Ala",
			Hours: anagrafeHours}},
	}
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error { return tenant.Create(ctx, tx, e, t0) }); err != nil {
		t.Fatal(err)
	}
	s := side{ente: e.ID, office: e.Offices[0]}
	c, _, err := identity.EnsureCitizen(ctx, f.d, e.ID, identity.CitizenInput{FiscalCode: cfMario, GivenName: "Mario", FamilyName: "Rossi"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	s.mario = c.ID
	s.desk = f.calendar(t, s, "Sportello 1", booking.Desk, 1)
	return s
}

// calendar adds a calendar to the side's office: identity cards in 30
// minutes, certificates in 15, a 30-day window, an hour's notice, changes
// until a day before.
func (f *fixture) calendar(t testing.TB, s side, name string, ch booking.Channel, seats int) *booking.Calendar {
	t.Helper()
	c := &booking.Calendar{Ente: s.ente, Office: s.office.ID, Name: name, Channel: ch, Seats: seats, Step: 15,
		WindowDays: 30, NoticeMinutes: 60, ChangeMinutes: 24 * 60, Active: true,
		Services: map[string]int{"carta-identita": 30, "certificati": 15}}
	if ch == booking.Home {
		c.TravelMinutes = 30
	}
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error { return booking.CreateCalendar(ctx, tx, c) }); err != nil {
		t.Fatal(err)
	}
	return c
}

// jobsClient returns an insert-only jobs client, migrated on first use.
func (f *fixture) jobsClient(t testing.TB) *jobs.Jobs {
	t.Helper()
	f.jobsOnce.Do(func() {
		j, err := jobs.New(f.d, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := j.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		f.jobs = j
	})
	return f.jobs
}

// request is a complete "Dettagli" and "Richiedente".
func request() booking.Request {
	return booking.Request{Reason: "Carta d'identità", Details: "Rinnovo per scadenza", Name: "Mario Rossi",
		FiscalCode: cfMario, Email: "mario@example.org", Phone: "+39 0464 123456", Address: "Via Roma 1, Ala"}
}

// book holds, fills and confirms a slot, failing the test on any error.
func (f *fixture) book(t testing.TB, s side, service string, ch booking.Channel, start, now time.Time) *booking.Appointment {
	t.Helper()
	a, _, err := booking.Hold(ctx, f.d, s.ente, f.hol, booking.HoldInput{Office: s.office, Service: service, Channel: ch, Start: start}, now)
	if err != nil {
		t.Fatalf("hold %s: %v", start, err)
	}
	err = f.d.InTx(ctx, func(tx *sql.Tx) error {
		if err := booking.SetRequest(ctx, tx, s.ente, a.ID, request(), now); err != nil {
			return err
		}
		a, err = booking.Confirm(ctx, tx, s.ente, a.ID, now)
		return err
	})
	if err != nil {
		t.Fatalf("confirm %s: %v", start, err)
	}
	return a
}

// starts lists the slot starts of one day, as "HH:MM" in Rome.
func starts(days []booking.Day, d calendar.Date) []string {
	var out []string
	for _, day := range days {
		if day.Date != d {
			continue
		}
		for _, s := range day.Slots {
			out = append(out, s.Start.In(rome).Format("15:04"))
		}
	}
	return out
}
