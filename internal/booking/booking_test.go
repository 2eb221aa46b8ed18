package booking_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/mail"
)

func TestAvailability(t *testing.T) {
	f := setup(t)
	s := f.ala
	// Tuesday 3 March, 9:00: an identity card confirmed; 9:30: a hold.
	f.book(t, s, "carta-identita", booking.Desk, at(calendar.D(2026, 3, 3), 9, 0), t0)
	if _, _, err := booking.Hold(ctx, f.d, s.ente, f.hol, booking.HoldInput{Office: s.office, Service: "carta-identita",
		Channel: booking.Desk, Start: at(calendar.D(2026, 3, 3), 9, 30)}, t0); err != nil {
		t.Fatal(err)
	}
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		return booking.AddClosure(ctx, tx, s.ente, booking.Closure{Office: s.office.ID, First: calendar.D(2026, 3, 10),
			Last: calendar.D(2026, 3, 10), Reason: "Elezioni"})
	}); err != nil {
		t.Fatal(err)
	}
	mornings := []string{"09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "12:00"}
	afternoons := []string{"14:30", "15:00", "15:30", "16:00", "16:30"}
	tests := []struct {
		name    string
		service string
		day     calendar.Date
		now     time.Time
		want    []string
	}{
		{"today, an hour's notice", "carta-identita", calendar.D(2026, 3, 2), t0, []string{"11:00", "11:30", "12:00"}},
		{"booked and held slots are taken", "carta-identita", calendar.D(2026, 3, 3), t0,
			append(mornings[2:], afternoons...)},
		{"a lapsed hold frees its slot by itself", "carta-identita", calendar.D(2026, 3, 3), t0.Add(booking.HoldFor),
			append(mornings[1:], afternoons...)},
		{"a shorter service sees the same cells", "certificati", calendar.D(2026, 3, 3), t0,
			[]string{"10:00", "10:15", "10:30", "10:45", "11:00", "11:15", "11:30", "11:45", "12:00", "12:15",
				"14:30", "14:45", "15:00", "15:15", "15:30", "15:45", "16:00", "16:15", "16:30", "16:45"}},
		{"Wednesday, mornings only", "carta-identita", calendar.D(2026, 3, 4), t0, mornings},
		{"Saturday, closed", "carta-identita", calendar.D(2026, 3, 7), t0, nil},
		{"closure", "carta-identita", calendar.D(2026, 3, 10), t0, nil},
		{"local holiday", "carta-identita", calendar.D(2026, 3, 19), t0, nil},
		{"last day of the window", "carta-identita", calendar.D(2026, 4, 1), t0, mornings},
		{"beyond the window", "carta-identita", calendar.D(2026, 4, 2), t0, nil},
		{"a service the office does not book", "passaporto", calendar.D(2026, 3, 4), t0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			days, err := booking.Availability(ctx, f.d, s.ente, f.hol, booking.Query{Office: s.office, Service: tc.service,
				From: tc.day, Days: 1}, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, starts(days, tc.day)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// The other ente's identical calendar is untouched by Ala's bookings.
	days, err := booking.Availability(ctx, f.d, f.avio.ente, f.hol, booking.Query{Office: f.avio.office,
		Service: "carta-identita", From: calendar.D(2026, 3, 3), Days: 1}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(append(mornings, afternoons...), starts(days, calendar.D(2026, 3, 3))); diff != "" {
		t.Errorf("avio mismatch (-want +got):\n%s", diff)
	}
	if _, err := booking.Availability(ctx, f.d, s.ente, f.hol, booking.Query{Office: s.office, Service: "x",
		From: calendar.D(2026, 3, 3), Days: booking.MaxDays + 1}, t0); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("too many days: %v, want Invalid", err)
	}
}

// TestNoDoubleBooking has 64 bookers race for the last seat of a slot: one
// gets it, every other is told it is taken, and the seat has one owner.
func TestNoDoubleBooking(t *testing.T) {
	f := setup(t)
	s := f.ala
	// A second seat on the desk, one already booked: one seat left.
	room := f.calendar(t, s, "Sala", booking.Desk, 2)
	start := at(calendar.D(2026, 3, 4), 10, 0)
	// Fill Sportello 1 at that time so that only the room is left.
	f.book(t, s, "carta-identita", booking.Desk, start, t0)
	f.book(t, s, "carta-identita", booking.Desk, start, t0)
	const n = 64
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, taken := 0, 0
	var other []error
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := booking.Hold(ctx, f.d, s.ente, f.hol, booking.HoldInput{Office: s.office,
				Service: "carta-identita", Channel: booking.Desk, Start: start}, t0)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, booking.ErrTaken):
				taken++
			default:
				other = append(other, err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || taken != n-1 || len(other) > 0 {
		t.Fatalf("won %d, taken %d, other errors %v; want 1, %d, none", won, taken, other, n-1)
	}
	var owners, seats int
	if err := f.d.QueryRowContext(ctx, `SELECT COUNT(DISTINCT appointment_id), COUNT(*) FROM booking_cell
		WHERE ente_id = $1 AND calendar_id = $2`, s.ente, room.ID).Scan(&owners, &seats); err != nil {
		t.Fatal(err)
	}
	// Three appointments of two cells each on a two-seat room: the room's
	// four seat-cells, each with one owner.
	if owners != 2 || seats != 4 {
		t.Errorf("room: %d owners of %d seat-cells, want 2 of 4", owners, seats)
	}
	var appts int
	if err := f.d.QueryRowContext(ctx, `SELECT COUNT(*) FROM booking_appointment WHERE ente_id = $1`, s.ente).Scan(&appts); err != nil {
		t.Fatal(err)
	}
	if appts != 3 {
		t.Errorf("%d appointments stored, want 3 (the losers' rows rolled back)", appts)
	}
	t.Logf("engine %s", testdb.Engine())
}

func TestHoldSpreadsOverCalendars(t *testing.T) {
	f := setup(t)
	s := f.ala
	second := f.calendar(t, s, "Sportello 2", booking.Desk, 1)
	d := calendar.D(2026, 3, 4)
	var got []booking.CalendarID
	for _, m := range []int{0, 30, 60, 90} {
		a := f.book(t, s, "carta-identita", booking.Desk, at(d, 9, 0).Add(time.Duration(m)*time.Minute), t0)
		got = append(got, a.Calendar)
	}
	want := []booking.CalendarID{s.desk.ID, second.ID, s.desk.ID, second.ID}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calendars (-want +got):\n%s", diff)
	}
}

func TestConfirm(t *testing.T) {
	f := setup(t)
	s := f.ala
	start := at(calendar.D(2026, 3, 4), 9, 0)
	hold := func(now time.Time) (*booking.Appointment, string) {
		a, token, err := booking.Hold(ctx, f.d, s.ente, f.hol, booking.HoldInput{Office: s.office, Service: "carta-identita",
			Channel: booking.Desk, Start: start}, now)
		if err != nil {
			t.Fatal(err)
		}
		return a, token
	}
	confirm := func(id booking.ID, r booking.Request, now time.Time) error {
		return f.d.InTx(ctx, func(tx *sql.Tx) error {
			if err := booking.SetRequest(ctx, tx, s.ente, id, r, now); err != nil {
				return err
			}
			_, err := booking.Confirm(ctx, tx, s.ente, id, now)
			return err
		})
	}
	a, token := hold(t0)
	incomplete := request()
	incomplete.FiscalCode = "RSSMRA80A01H501X" // wrong check character
	if err := confirm(a.ID, incomplete, t0); !errors.Is(err, booking.ErrIncomplete) {
		t.Fatalf("bad fiscal code: %v, want ErrIncomplete", err)
	}
	// The hold lapses; another booker takes the slot over; the first can
	// no longer confirm.
	later := t0.Add(booking.HoldFor + time.Second)
	b, _ := hold(later)
	if err := confirm(a.ID, request(), later); !errors.Is(err, booking.ErrLapsed) {
		t.Fatalf("lapsed hold: %v, want ErrLapsed", err)
	}
	if err := confirm(b.ID, request(), later); err != nil {
		t.Fatal(err)
	}
	got, err := booking.ByCode(ctx, f.d, s.ente, b.Code, "wrong")
	if apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("wrong token: %v, %v; want NotFound", got, err)
	}
	if _, err := booking.ByCode(ctx, f.d, s.ente, a.Code, token); err != nil {
		t.Errorf("right token: %v", err)
	}
	if _, err := booking.Get(ctx, f.d, f.avio.ente, b.ID); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("other ente's appointment: %v, want NotFound", err)
	}
	// Sweep marks the lapsed hold expired and leaves the confirmed one.
	if n, err := booking.Sweep(ctx, f.d, later); err != nil || n != 1 {
		t.Errorf("sweep: %d, %v; want 1", n, err)
	}
	mine, err := booking.ForCitizen(ctx, f.d, s.ente, int64(s.mario), cfMario, later)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 1 || mine[0].ID != b.ID || mine[0].State != booking.Confirmed {
		t.Errorf("Mario's appointments: %+v, want the confirmed one booked under his fiscal code", mine)
	}
	other, err := booking.ForCitizen(ctx, f.d, f.avio.ente, int64(f.avio.mario), cfMario, later)
	if err != nil || len(other) != 0 {
		t.Errorf("Avio's Mario sees %d appointments, %v; want none", len(other), err)
	}
}

func TestRequestCheck(t *testing.T) {
	tests := []struct {
		name string
		ch   booking.Channel
		edit func(*booking.Request)
		want []booking.Problem
	}{
		{"complete", booking.Desk, func(*booking.Request) {}, nil},
		{"lowercase fiscal code with spaces", booking.Desk, func(r *booking.Request) { r.FiscalCode = " rssmra80a01h501u " }, nil},
		{"made-up identifier", booking.Desk, func(r *booking.Request) { r.FiscalCode = "5f2b8c1e-anon" },
			[]booking.Problem{{Field: "fiscal_code", Key: "invalid"}}},
		{"no contact", booking.Desk, func(r *booking.Request) { r.Email, r.Phone = "", "" },
			[]booking.Problem{{Field: "email", Key: "required"}}},
		{"call-back needs a phone", booking.Phone, func(r *booking.Request) { r.Phone = "" },
			[]booking.Problem{{Field: "phone", Key: "required"}}},
		{"home visit needs an address", booking.Home, func(r *booking.Request) { r.Address = " " },
			[]booking.Problem{{Field: "address", Key: "required"}}},
		{"details over 200 characters", booking.Desk, func(r *booking.Request) { r.Details = string(make([]byte, 201)) + "x" },
			[]booking.Problem{{Field: "details", Key: "too-long"}}},
		{"bad e-mail and phone", booking.Desk, func(r *booking.Request) { r.Email, r.Phone = "mario@", "12ab" },
			[]booking.Problem{{Field: "email", Key: "invalid"}, {Field: "phone", Key: "invalid"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := request()
			tc.edit(&r)
			if diff := cmp.Diff(tc.want, r.Check(tc.ch)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCancelMoveAndWaitlist(t *testing.T) {
	f := setup(t)
	s := f.ala
	d := calendar.D(2026, 3, 5)
	a := f.book(t, s, "carta-identita", booking.Desk, at(d, 9, 0), t0)
	// Giulia waits for an identity card that week.
	w := &booking.Wait{Office: s.office.ID, Service: "carta-identita", Channel: booking.Desk, First: calendar.D(2026, 3, 2),
		Last: calendar.D(2026, 3, 6), Name: "Giulia Bianchi", Email: "giulia@example.org"}
	if err := booking.JoinWaitlist(ctx, f.d, s.ente, w, t0); err != nil {
		t.Fatal(err)
	}
	// Mario moves his appointment to 10:00; the freed 9:00 goes to Giulia.
	var offer *booking.Offer
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		moved, old, err := booking.Move(ctx, tx, s.ente, f.hol, s.office, a.ID, at(d, 10, 0), false, t0)
		if err != nil {
			return err
		}
		if !moved.Start.Equal(at(d, 10, 0)) || moved.Code != a.Code || !old.Equal(at(d, 9, 0)) {
			return fmt.Errorf("moved to %v from %v with code %s", moved.Start, old, moved.Code)
		}
		freed := *a
		offer, err = booking.OfferFreed(ctx, tx, s.ente, &freed, t0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if offer == nil || offer.Wait.ID != w.ID || !offer.Appointment.Start.Equal(at(d, 9, 0)) {
		t.Fatalf("offer %+v, want 9:00 held for Giulia", offer)
	}
	days, err := booking.Availability(ctx, f.d, s.ente, f.hol, booking.Query{Office: s.office, Service: "carta-identita", From: d, Days: 1}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"09:30", "10:30", "11:00", "11:30", "12:00", "14:30", "15:00", "15:30", "16:00", "16:30"}, starts(days, d)); diff != "" {
		t.Errorf("after the move (-want +got):\n%s", diff)
	}
	// Giulia accepts through her link: fills in and confirms.
	got, err := booking.ByCode(ctx, f.d, s.ente, offer.Appointment.Code, offer.Token)
	if err != nil {
		t.Fatal(err)
	}
	r := request()
	r.Name, r.FiscalCode, r.Email = got.Name, cfGiulia, got.Email
	err = f.d.InTx(ctx, func(tx *sql.Tx) error {
		if err := booking.SetRequest(ctx, tx, s.ente, got.ID, r, t0); err != nil {
			return err
		}
		_, err := booking.Confirm(ctx, tx, s.ente, got.ID, t0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var state string
	if err := f.d.QueryRowContext(ctx, `SELECT state FROM booking_waitlist WHERE id = $1`, w.ID).Scan(&state); err != nil || state != "booked" {
		t.Errorf("waitlist state %q, %v; want booked", state, err)
	}
	// Cancelling within the day's notice is refused to the citizen, allowed
	// to the office.
	late := at(d, 9, 0).Add(-time.Hour)
	err = f.d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := booking.Cancel(ctx, tx, s.ente, a.ID, false, late)
		return err
	})
	if !errors.Is(err, booking.ErrTooLate) {
		t.Errorf("late cancel by citizen: %v, want ErrTooLate", err)
	}
	err = f.d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := booking.Cancel(ctx, tx, s.ente, a.ID, true, late)
		return err
	})
	if err != nil {
		t.Errorf("cancel by office: %v", err)
	}
	if _, err := booking.Cancel(ctx, mustTx(t, f), f.avio.ente, a.ID, true, late); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("cancel from another ente: %v, want NotFound", err)
	}
}

// mustTx begins a transaction rolled back when the test ends.
func mustTx(t *testing.T, f *fixture) *sql.Tx {
	t.Helper()
	tx, err := f.d.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	return tx
}

func TestHomeVisitTravel(t *testing.T) {
	f := setup(t)
	s := f.ala
	home := f.calendar(t, s, "Operatore mobile", booking.Home, 1)
	d := calendar.D(2026, 3, 4)
	f.book(t, s, "carta-identita", booking.Home, at(d, 9, 0), t0)
	days, err := booking.Availability(ctx, f.d, s.ente, f.hol, booking.Query{Office: s.office, Service: "carta-identita",
		Channel: booking.Home, From: d, Days: 1}, t0)
	if err != nil {
		t.Fatal(err)
	}
	// 9:00–9:30 plus 30 minutes' travel: the next visit at 10:00 at the
	// earliest, and the one at 12:00 cannot fit its travel before closing is
	// no matter: travel may run past closing.
	if diff := cmp.Diff([]string{"10:00", "10:30", "11:00", "11:30", "12:00"}, starts(days, d)); diff != "" {
		t.Errorf("home visits on %d (-want +got):\n%s", home.ID, diff)
	}
}

// TestWaitlistOfferPassesOn: a freed 9:00 is offered to Giulia, who lets
// the offer lapse; the job passes it on to Luca, next in the list, by
// e-mail, and closes Giulia's entry. Running it again changes nothing;
// when Luca's offer lapses too and nobody else waits, the time is free.
func TestWaitlistOfferPassesOn(t *testing.T) {
	f := setup(t)
	s := f.ala
	d := calendar.D(2026, 3, 5)
	a := f.book(t, s, "carta-identita", booking.Desk, at(d, 9, 0), t0)
	join := func(name, email string) *booking.Wait {
		w := &booking.Wait{Office: s.office.ID, Service: "carta-identita", Channel: booking.Desk, First: calendar.D(2026, 3, 2),
			Last: calendar.D(2026, 3, 6), Name: name, Email: email}
		if err := booking.JoinWaitlist(ctx, f.d, s.ente, w, t0); err != nil {
			t.Fatal(err)
		}
		return w
	}
	giulia, luca := join("Giulia Bianchi", "giulia@example.org"), join("Luca Neri", "luca@example.org")
	// Avio's list for the same service is another ente's: never offered.
	other := &booking.Wait{Office: f.avio.office.ID, Service: "carta-identita", Channel: booking.Desk, First: calendar.D(2026, 3, 2),
		Last: calendar.D(2026, 3, 6), Name: "Altro Ente", Email: "altro@example.org"}
	if err := booking.JoinWaitlist(ctx, f.d, f.avio.ente, other, t0); err != nil {
		t.Fatal(err)
	}
	var first *booking.Offer
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		freed, err := booking.Cancel(ctx, tx, s.ente, a.ID, true, t0)
		if err != nil {
			return err
		}
		first, err = booking.OfferFreed(ctx, tx, s.ente, freed, t0)
		return err
	})
	if err != nil || first == nil || first.Wait.ID != giulia.ID {
		t.Fatalf("first offer %+v, %v; want Giulia's", first, err)
	}
	var offered []string
	compose := func(_ context.Context, _ db.Querier, o *booking.Offer) (mail.Message, error) {
		offered = append(offered, o.Appointment.Name)
		return mail.Message{Ente: o.Appointment.Ente, To: o.Appointment.Email, Subject: "Posto libero", Text: o.Token,
			Kind: "booking-offer"}, nil
	}
	states := func() []string {
		var out []string
		for _, w := range []*booking.Wait{giulia, luca, other} {
			var st string
			if err := f.d.QueryRowContext(ctx, `SELECT state FROM booking_waitlist WHERE id = $1`, w.ID).Scan(&st); err != nil {
				t.Fatal(err)
			}
			out = append(out, w.Name+": "+st)
		}
		return out
	}
	// Before the offer lapses, nothing moves.
	if n, err := booking.PassOn(ctx, f.d, f.jobsClient(t), compose, t0.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("pass on before the lapse: %d, %v", n, err)
	}
	lapsed := first.Appointment.HeldUntil.Add(time.Minute)
	for range 2 {
		if n, err := booking.PassOn(ctx, f.d, f.jobsClient(t), compose, lapsed); err != nil || n > 1 {
			t.Fatalf("pass on: %d, %v", n, err)
		}
	}
	if diff := cmp.Diff([]string{"Luca Neri"}, offered); diff != "" {
		t.Errorf("offers mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Giulia Bianchi: withdrawn", "Luca Neri: offered", "Altro Ente: waiting"}, states()); diff != "" {
		t.Errorf("waitlist mismatch (-want +got):\n%s", diff)
	}
	msgs, err := mail.List(ctx, f.d, s.ente, mail.Filter{})
	if err != nil || len(msgs) != 1 || msgs[0].To != "luca@example.org" {
		t.Errorf("outbox %+v, %v", msgs, err)
	}
	// 9:00 is Luca's while his offer holds: nobody else is offered it.
	days, err := booking.Availability(ctx, f.d, s.ente, f.hol, booking.Query{Office: s.office, Service: "carta-identita", From: d, Days: 1}, lapsed)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(starts(days, d), "09:00") {
		t.Errorf("9:00 is offered to the public while held for Luca: %v", starts(days, d))
	}
	// Luca lets it lapse too: nobody is left, the time is free again.
	var lucas booking.ID
	if err := f.d.QueryRowContext(ctx, `SELECT id FROM booking_appointment WHERE ente_id = $1 AND waitlist_id = $2`,
		s.ente, luca.ID).Scan(&lucas); err != nil {
		t.Fatal(err)
	}
	held, err := booking.Get(ctx, f.d, s.ente, lucas)
	if err != nil {
		t.Fatal(err)
	}
	later := held.HeldUntil.Add(time.Minute)
	if n, err := booking.PassOn(ctx, f.d, f.jobsClient(t), compose, later); err != nil || n != 0 {
		t.Errorf("pass on with nobody left: %d, %v", n, err)
	}
	if diff := cmp.Diff([]string{"Giulia Bianchi: withdrawn", "Luca Neri: withdrawn", "Altro Ente: waiting"}, states()); diff != "" {
		t.Errorf("waitlist mismatch (-want +got):\n%s", diff)
	}
	days, err = booking.Availability(ctx, f.d, s.ente, f.hol, booking.Query{Office: s.office, Service: "carta-identita", From: d, Days: 1}, later)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(starts(days, d), "09:00") {
		t.Errorf("9:00 is not free after the last offer lapsed: %v", starts(days, d))
	}
}

// TestUpdateCalendarKeepsTheGrid: a calendar's step and travel time cannot
// change while appointments are booked on it from now on (the new slots
// would not line up with their cells, so a booking could overlap one);
// any other change can, and so can the step once they are past.
func TestUpdateCalendarKeepsTheGrid(t *testing.T) {
	f := setup(t)
	s := f.ala
	d := calendar.D(2026, 3, 5)
	f.book(t, s, "carta-identita", booking.Desk, at(d, 9, 0), t0)
	update := func(change func(c *booking.Calendar), now time.Time) error {
		c := *s.desk
		change(&c)
		return f.d.InTx(ctx, func(tx *sql.Tx) error { return booking.UpdateCalendar(ctx, tx, &c, now) })
	}
	tests := []struct {
		name   string
		change func(c *booking.Calendar)
		now    time.Time
		want   *booking.GridBookedError
	}{
		{"step", func(c *booking.Calendar) { c.Step = 5 }, t0, &booking.GridBookedError{Field: "step", Appointments: 1}},
		{"travel", func(c *booking.Calendar) { c.TravelMinutes = 15 }, t0, &booking.GridBookedError{Field: "travel", Appointments: 1}},
		{"seats and name", func(c *booking.Calendar) { c.Seats, c.Name = 2, "Sportello A" }, t0, nil},
		{"step once the appointment is past", func(c *booking.Calendar) { c.Step = 5 }, at(d, 12, 0), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := update(tc.change, tc.now)
			var got *booking.GridBookedError
			if !errors.As(err, &got) && err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("UpdateCalendar (-want +got):\n%s", diff)
			}
		})
	}
}
