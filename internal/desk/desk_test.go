package desk_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/desk"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

var ctx = context.Background()

// t0 is Monday 2 March 2026, 10:00 in Rome.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type side struct {
	ente     tenant.ID
	office   tenant.Office
	operator identity.OperatorID
	citizen  identity.CitizenID
}

func newSide(t testing.TB, d *db.DB, slug, istat string) side {
	t.Helper()
	e := &tenant.Ente{Slug: slug, Name: "Comune di " + slug, IstatCode: istat, Belfiore: "A116", IPACode: "c_" + slug,
		FiscalCode: "00000000000", Hosts: []string{slug + ".example"},
		Offices: []tenant.Office{{Slug: "parla", Name: "Punto risposte", IsDesk: true,
			Hours: []tenant.Hours{{Weekday: time.Monday, Opens: "08:30", Closes: "12:30"}}}}}
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return tenant.Create(ctx, tx, e, t0) }); err != nil {
		t.Fatal(err)
	}
	op, err := identity.CreateOperator(ctx, d, e.ID, identity.OperatorInput{Username: "sportello", Name: "Anna",
		Password: "correct horse battery staple", Grants: []identity.Grant{{Role: identity.RoleDesk}}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := identity.EnsureCitizen(ctx, d, e.ID, identity.CitizenInput{FiscalCode: "RSSMRA80A01H501U", GivenName: "Mario", FamilyName: "Rossi"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	cal := &booking.Calendar{Ente: e.ID, Office: e.Offices[0].ID, Name: "Sportello 1", Channel: booking.Desk, Seats: 1,
		Step: 15, WindowDays: 30, Active: true, Services: map[string]int{"certificati": 15}}
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return booking.CreateCalendar(ctx, tx, cal) }); err != nil {
		t.Fatal(err)
	}
	return side{ente: e.ID, office: e.Offices[0], operator: op.ID, citizen: c.ID}
}

func TestQueue(t *testing.T) {
	d := testdb.Open(t)
	ala, avio := newSide(t, d, "ala", "022001"), newSide(t, d, "avio", "022007")
	// Mario booked 11:00 and arrives at 10:50.
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	a, _, err := booking.Hold(ctx, d, ala.ente, nil, booking.HoldInput{Office: ala.office, Service: "certificati", Channel: booking.Desk, Start: start}, t0)
	if err != nil {
		t.Fatal(err)
	}
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		if err := booking.SetRequest(ctx, tx, ala.ente, a.ID, booking.Request{Reason: "Certificato", Details: "Residenza",
			Name: "Mario Rossi", FiscalCode: "RSSMRA80A01H501U", Phone: "0464 123456"}, t0); err != nil {
			return err
		}
		_, err := booking.Confirm(ctx, tx, ala.ente, a.ID, t0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Sixteen walk-ins check in together, then Mario: numbers 1 to 17.
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.InTx(ctx, func(tx *sql.Tx) error {
				_, err := desk.CheckIn(ctx, tx, ala.ente, ala.office.ID, 0, "Senza appuntamento", t0)
				return err
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var mario *desk.Ticket
	at := t0.Add(110 * time.Minute)
	if err := d.InTx(ctx, func(tx *sql.Tx) error {
		mario, err = desk.CheckIn(ctx, tx, ala.ente, ala.office.ID, a.ID, "Mario R. – certificati", at)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if mario.Number != 17 {
		t.Errorf("Mario's number %d, want 17", mario.Number)
	}
	got, err := booking.Get(ctx, d, ala.ente, a.ID)
	if err != nil || got.State != booking.CheckedIn {
		t.Errorf("appointment after check-in: %v, %v", got.State, err)
	}
	// Avio's first check-in is its own number 1.
	if err := d.InTx(ctx, func(tx *sql.Tx) error {
		tk, err := desk.CheckIn(ctx, tx, avio.ente, avio.office.ID, 0, "x", t0)
		if err == nil && tk.Number != 1 {
			t.Errorf("Avio's first number %d", tk.Number)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Ala's appointment cannot be checked in at Avio.
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := desk.CheckIn(ctx, tx, avio.ente, avio.office.ID, a.ID, "x", t0)
		return err
	})
	if apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("another ente's appointment: %v, want NotFound", err)
	}
	// Two desks call: numbers 1 and 2, then the outcomes.
	var called []int
	for _, name := range []string{"Sportello 1", "Sportello 2"} {
		if err := d.InTx(ctx, func(tx *sql.Tx) error {
			tk, err := desk.CallNext(ctx, tx, ala.ente, ala.office.ID, name, ala.operator, at.Add(time.Minute))
			if err == nil {
				called = append(called, tk.Number)
				_, err = desk.Close(ctx, tx, ala.ente, tk.ID, desk.Served, at.Add(10*time.Minute))
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]int{1, 2}, called); diff != "" {
		t.Errorf("called (-want +got):\n%s", diff)
	}
	// Close Mario's ticket as a no-show: the appointment follows.
	if err := d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := desk.Close(ctx, tx, ala.ente, mario.ID, desk.NoShow, at.Add(time.Hour))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := booking.Get(ctx, d, ala.ente, a.ID); got.State != booking.NoShow {
		t.Errorf("appointment after no-show: %s", got.State)
	}
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := desk.Close(ctx, tx, ala.ente, mario.ID, desk.Served, at.Add(time.Hour))
		return err
	})
	if apperr.KindOf(err) != apperr.Conflict {
		t.Errorf("closing twice: %v, want Conflict", err)
	}
	day := calendar.D(2026, 3, 2)
	st, err := desk.Stats(ctx, d, ala.ente, ala.office.ID, day, day)
	if err != nil {
		t.Fatal(err)
	}
	want := desk.DayStats{Tickets: 17, Served: 2, NoShow: 1, Waiting: 14, AvgWait: 111 * time.Minute}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestInteractionLog(t *testing.T) {
	d := testdb.Open(t)
	ala, avio := newSide(t, d, "ala", "022001"), newSide(t, d, "avio", "022007")
	log := func(s side, kind string, ch booking.Channel, minutes int, at time.Time, c identity.CitizenID) error {
		return desk.Log(ctx, d, s.ente, &desk.Interaction{Office: s.office.ID, Operator: s.operator, Kind: kind,
			Channel: ch, Minutes: minutes, Result: "resolved", Citizen: c, At: at})
	}
	march := []struct {
		kind string
		ch   booking.Channel
		at   time.Time
	}{
		{"spid", booking.Desk, t0},
		{"spid", booking.Phone, t0.AddDate(0, 0, 1)},
		{"payments", booking.Home, t0.AddDate(0, 0, 1)},
		// 31 March 23:30 in Rome is still March; 1 April 00:30 is not.
		{"other", booking.Desk, time.Date(2026, 3, 31, 21, 30, 0, 0, time.UTC)},
		{"other", booking.Desk, time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC)},
	}
	for _, m := range march {
		if err := log(ala, m.kind, m.ch, 15, m.at, ala.citizen); err != nil {
			t.Fatal(err)
		}
	}
	if err := log(avio, "spid", booking.Desk, 20, t0, 0); err != nil {
		t.Fatal(err)
	}
	if err := log(ala, "spid", booking.Desk, 20, t0, avio.citizen); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("another ente's citizen: %v, want Invalid", err)
	}
	if err := log(ala, "gossip", booking.Desk, 20, t0, 0); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("unknown kind: %v, want Invalid", err)
	}
	m, err := desk.Monthly(ctx, d, ala.ente, 2026, time.March)
	if err != nil {
		t.Fatal(err)
	}
	if m.Total != 4 || m.Minutes != 60 || len(m.ByDay) != 31 || m.ByDay[1] != 1 || m.ByDay[2] != 2 || m.ByDay[30] != 1 {
		t.Errorf("March: %+v", m)
	}
	if diff := cmp.Diff(map[string]int{"spid": 2, "payments": 1, "other": 1}, m.ByKind); diff != "" {
		t.Errorf("by kind (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[booking.Channel]int{booking.Desk: 2, booking.Phone: 1, booking.Home: 1}, m.ByChannel); diff != "" {
		t.Errorf("by channel (-want +got):\n%s", diff)
	}
	past, err := desk.ForCitizen(ctx, d, ala.ente, ala.citizen, 10)
	if err != nil || len(past) != 5 || past[0].Kind != "other" {
		t.Errorf("Mario's contacts: %d, %v", len(past), err)
	}
}

func TestFindCitizens(t *testing.T) {
	d := testdb.Open(t)
	// Avio's Mario must not be found from Ala.
	ala, _ := newSide(t, d, "ala", "022001"), newSide(t, d, "avio", "022007")
	for _, c := range []identity.CitizenInput{
		{FiscalCode: "BNCGLI85M45A116H", GivenName: "Giulia", FamilyName: "Bianchi"},
		{FiscalCode: "VRDLGU70C12L378W", GivenName: "Luigi", FamilyName: "Rossini"},
	} {
		if _, _, err := identity.EnsureCitizen(ctx, d, ala.ente, c, t0); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		q    string
		want []string
	}{
		{"ross", []string{"RSS•••••••••••1U", "VRD•••••••••••8W"}},
		{"Mario Rossi", []string{"RSS•••••••••••1U"}},
		{"  rossi   mario ", []string{"RSS•••••••••••1U"}},
		{"bianchi", []string{"BNC•••••••••••6H"}},
		{"%", nil},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			got, err := identity.FindCitizens(ctx, d, ala.ente, tc.q, 10)
			if tc.q == "%" {
				if err == nil && len(got) != 0 {
					t.Errorf("%q found %d", tc.q, len(got))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var masked []string
			for _, c := range got {
				masked = append(masked, identity.MaskFiscalCode(c.FiscalCode))
			}
			if diff := cmp.Diff(tc.want, masked); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
