package pratica

import (
	"testing"
	"time"

	"github.com/sportello/sportello/internal/calendar"
)

// at10 is 10:00 in Rome on the given day.
func at10(y int, m time.Month, d int) time.Time {
	loc, err := rome()
	if err != nil {
		panic(err)
	}
	return time.Date(y, m, d, 10, 0, 0, 0, loc).UTC()
}

func TestDueDate(t *testing.T) {
	ala, err := calendar.New(calendar.Options{PatronDays: []calendar.MonthDay{{Month: time.February, Day: 14}}})
	if err != nil {
		t.Fatal(err)
	}
	avio, err := calendar.New(calendar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cal30, work := Term{Days: 30}, func(n int) Term { return Term{Days: n, Working: true} }
	step := func(at time.Time, to State) Event { return Event{At: at, To: to} }
	submitted := func(at time.Time) []Event { return []Event{step(at, Submitted)} }
	tests := []struct {
		name      string
		cal       *calendar.Calendar
		term      Term
		submitted time.Time
		events    []Event // nil: just the submission
		want      calendar.Date
	}{
		{"30 calendar days", ala, cal30, at10(2026, 3, 2), nil, calendar.D(2026, 4, 1)},
		{"submitted at 00:30 in Rome counts from that day", ala, cal30,
			time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC), nil, calendar.D(2026, 4, 1)},
		{"calendar days ending on Christmas move past Santo Stefano and Sunday", ala, Term{Days: 10},
			at10(2026, 12, 15), nil, calendar.D(2026, 12, 28)},
		{"working days skip Christmas", ala, work(5), at10(2026, 12, 22), nil, calendar.D(2026, 12, 30)},
		{"calendar days ending on Easter Monday move to Tuesday", ala, Term{Days: 5},
			at10(2026, 4, 1), nil, calendar.D(2026, 4, 7)},
		{"working days skip Easter Monday", ala, work(3), at10(2026, 4, 2), nil, calendar.D(2026, 4, 8)},
		{"calendar days ending on 2 June", ala, Term{Days: 1}, at10(2026, 6, 1), nil, calendar.D(2026, 6, 3)},
		{"working days skip 2 June", ala, work(2), at10(2026, 5, 29), nil, calendar.D(2026, 6, 3)},
		{"Ala's patron day moves the expiry", ala, Term{Days: 4}, at10(2028, 2, 10), nil, calendar.D(2028, 2, 15)},
		{"Avio works on 14 February", avio, Term{Days: 4}, at10(2028, 2, 10), nil, calendar.D(2028, 2, 14)},
		{"working days skip Ala's patron day", ala, work(2), at10(2028, 2, 11), nil, calendar.D(2028, 2, 16)},
		{"working days in Avio", avio, work(2), at10(2028, 2, 11), nil, calendar.D(2028, 2, 15)},
		{"integration adds its days back", ala, cal30, at10(2026, 3, 2), []Event{
			step(at10(2026, 3, 2), Submitted), step(at10(2026, 3, 3), InReview),
			step(at10(2026, 3, 10), IntegrationRequested), step(at10(2026, 3, 20), InReview),
		}, calendar.D(2026, 4, 13)},
		{"two integrations add both", ala, cal30, at10(2026, 3, 2), []Event{
			step(at10(2026, 3, 2), Submitted), step(at10(2026, 3, 3), InReview),
			step(at10(2026, 3, 10), IntegrationRequested), step(at10(2026, 3, 12), InReview),
			step(at10(2026, 3, 16), IntegrationRequested), step(at10(2026, 3, 19), InReview),
		}, calendar.D(2026, 4, 7)},
		{"an open integration stops the deadline", ala, cal30, at10(2026, 3, 2), []Event{
			step(at10(2026, 3, 2), Submitted), step(at10(2026, 3, 10), IntegrationRequested),
		}, calendar.Date{}},
		{"working days with an integration", ala, work(10), at10(2026, 3, 2), []Event{
			step(at10(2026, 3, 2), Submitted), step(at10(2026, 3, 4), IntegrationRequested), step(at10(2026, 3, 9), InReview),
		}, calendar.D(2026, 3, 19)},
		{"a rejection ends the suspension", ala, cal30, at10(2026, 3, 2), []Event{
			step(at10(2026, 3, 2), Submitted), step(at10(2026, 3, 10), IntegrationRequested), step(at10(2026, 3, 20), Rejected),
		}, calendar.D(2026, 4, 13)},
		{"the term starts when the fee is paid", ala, cal30, at10(2026, 3, 2), []Event{
			step(at10(2026, 3, 2), AwaitingPayment), step(at10(2026, 3, 5), Submitted),
		}, calendar.D(2026, 4, 7)},
		{"no fee paid, no deadline", ala, cal30, at10(2026, 3, 2), []Event{step(at10(2026, 3, 2), AwaitingPayment)}, calendar.Date{}},
		{"no term, no deadline", ala, Term{}, at10(2026, 3, 2), nil, calendar.Date{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs := tc.events
			if evs == nil {
				evs = submitted(tc.submitted)
			}
			p := &Pratica{Term: tc.term, SubmittedAt: tc.submitted}
			if got := dueDate(tc.cal, p, evs); got != tc.want {
				t.Errorf("due = %v (%v), want %v", got, got.Weekday(), tc.want)
			}
		})
	}
}

func TestTermStatus(t *testing.T) {
	sub := at10(2026, 3, 2)
	due := calendar.D(2026, 4, 1)
	tests := []struct {
		name     string
		p        Pratica
		today    calendar.Date
		want     TermStatus
		daysLeft int
		ok       bool
		dueSoon  bool
	}{
		{"draft", Pratica{State: Draft, Term: Term{Days: 30}}, calendar.D(2026, 3, 2), TermNone, 0, false, false},
		{"no term", Pratica{State: InReview, SubmittedAt: sub}, calendar.D(2026, 3, 2), TermNone, 0, false, false},
		{"running", Pratica{State: InReview, SubmittedAt: sub, Term: Term{Days: 30}, Due: due},
			calendar.D(2026, 3, 2), TermRunning, 30, true, false},
		{"due soon", Pratica{State: Submitted, SubmittedAt: sub, Term: Term{Days: 30}, Due: due},
			calendar.D(2026, 3, 27), TermRunning, 5, true, true},
		{"due today", Pratica{State: InReview, SubmittedAt: sub, Term: Term{Days: 30}, Due: due},
			calendar.D(2026, 4, 1), TermRunning, 0, true, true},
		{"expired", Pratica{State: InReview, SubmittedAt: sub, Term: Term{Days: 30}, Due: due},
			calendar.D(2026, 4, 3), TermExpired, -2, true, false},
		{"silent assent", Pratica{State: InReview, SubmittedAt: sub, Term: Term{Days: 30, SilentAssent: true}, Due: due},
			calendar.D(2026, 4, 2), TermSilentAssent, -1, true, false},
		{"suspended", Pratica{State: IntegrationRequested, SubmittedAt: sub, Term: Term{Days: 30}},
			calendar.D(2026, 4, 20), TermSuspended, 0, false, false},
		{"decided in time", Pratica{State: Accepted, SubmittedAt: sub, DecidedAt: at10(2026, 4, 1), Term: Term{Days: 30}, Due: due},
			calendar.D(2026, 5, 1), TermMet, 0, false, false},
		{"decided late", Pratica{State: Closed, SubmittedAt: sub, DecidedAt: at10(2026, 4, 2), Term: Term{Days: 30}, Due: due},
			calendar.D(2026, 5, 1), TermLate, 0, false, false},
		{"withdrawn", Pratica{State: Withdrawn, SubmittedAt: sub, Term: Term{Days: 30}, Due: due},
			calendar.D(2026, 5, 1), TermNone, 0, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.TermStatus(tc.today); got != tc.want {
				t.Errorf("TermStatus = %s, want %s", got, tc.want)
			}
			left, ok := tc.p.DaysLeft(tc.today)
			if left != tc.daysLeft || ok != tc.ok {
				t.Errorf("DaysLeft = %d, %t; want %d, %t", left, ok, tc.daysLeft, tc.ok)
			}
			if got := tc.p.DueSoon(tc.today, 7); got != tc.dueSoon {
				t.Errorf("DueSoon(7) = %t, want %t", got, tc.dueSoon)
			}
		})
	}
}
