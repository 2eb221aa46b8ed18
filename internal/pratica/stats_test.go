package pratica_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/pratica"
)

func TestStats(t *testing.T) {
	f := setup(t)
	s := f.ala
	const dayLen = 24 * time.Hour
	// file submits a pratica of service (term days) on submitted and, when
	// decided is set, takes it and decides it that day.
	file := func(service string, term int, submitted, decided calendar.Date, accept bool) pratica.ID {
		in := draftInput(s)
		in.Service, in.Term = service, pratica.Term{Days: term}
		p := f.draft(t, s, in, day(submitted))
		f.submit(t, s, p.ID, day(submitted))
		if decided.IsZero() {
			return p.ID
		}
		_, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
			if _, err := pratica.TakeInCharge(ctx, tx, s.ente, p.ID, s.clerk, day(decided)); err != nil {
				return nil, err
			}
			return pratica.Decide(ctx, tx, s.ente, p.ID, s.head, f.decideInput(s, accept), day(decided))
		})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	file("a", 10, calendar.D(2026, 3, 2), calendar.D(2026, 3, 12), true)  // 10 days, on the due day
	file("a", 10, calendar.D(2026, 3, 2), calendar.D(2026, 3, 20), false) // 18 days, late
	file("a", 10, calendar.D(2026, 3, 3), calendar.D(2026, 3, 5), true)   // 2 days
	file("b", 0, calendar.D(2026, 3, 4), calendar.D(2026, 3, 6), true)    // no term
	w := file("b", 0, calendar.D(2026, 3, 5), calendar.Date{}, false)
	if _, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
		return pratica.Withdraw(ctx, tx, s.ente, w, s.mario, "", day(calendar.D(2026, 3, 6)))
	}); err != nil {
		t.Fatal(err)
	}
	file("a", 10, calendar.D(2026, 4, 2), calendar.Date{}, false)
	file("a", 10, calendar.D(2026, 2, 27), calendar.Date{}, false) // before the period

	loc, _ := time.LoadLocation("Europe/Rome")
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, loc), time.Date(2026, 5, 1, 0, 0, 0, 0, loc)
	got, err := pratica.Stats(ctx, f.d, s.ente, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := &pratica.Statistics{
		Months: []pratica.MonthStats{
			{Year: 2026, Month: time.March, Submitted: 5, Accepted: 3, Rejected: 1, Withdrawn: 1},
			{Year: 2026, Month: time.April, Submitted: 1},
		},
		Services: []pratica.ServiceStats{
			{Service: "a", Decided: 3, Average: 10 * dayLen, P90: 18 * dayLen, WithTerm: 3, WithinTerm: 2},
			{Service: "b", Decided: 1, Average: 2 * dayLen, P90: 2 * dayLen},
		},
		Overall: pratica.ServiceStats{Decided: 4, Average: 8 * dayLen, P90: 18 * dayLen, WithTerm: 3, WithinTerm: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if share := got.Services[0].WithinTermShare(); share < 0.66 || share > 0.67 {
		t.Errorf("share within term = %v, want 2/3", share)
	}
	if _, err := pratica.Stats(ctx, f.d, s.ente, to, from); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("reversed period err = %v, want Invalid", err)
	}
}
