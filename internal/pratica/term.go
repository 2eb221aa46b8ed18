package pratica

import (
	"fmt"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
)

// Term is the legal term of the pratica's procedure, copied from the service
// at creation so that a later change of the card does not move the deadline
// of a pratica already filed.
type Term struct {
	// Days is the length of the term; zero means the service has no term
	// to count (an immediate service), and no deadline is shown.
	Days int
	// Working counts working days (giorni lavorativi) instead of calendar
	// days (the default of L. 241/1990).
	Working bool
	// SilentAssent means that silence at expiry is acceptance (L.
	// 241/1990 art. 20).
	SilentAssent bool
}

func (t Term) calendar() calendar.Term {
	k := calendar.CalendarDays
	if t.Working {
		k = calendar.WorkingDays
	}
	return calendar.Term{Days: t.Days, Kind: k, SilentAssent: t.SilentAssent}
}

func (t Term) validate() error {
	if err := t.calendar().Validate(); err != nil {
		return apperr.Errorf(apperr.Invalid, "term: %w", err)
	}
	return nil
}

// suspensions turns a pratica's history into the intervals in which its
// term stood still: every stay in a suspending state (an integration
// requested, the fee awaited), from the day it began to the day it ended,
// the last one open while the pratica is still there. calendar.Deadline
// counts the days after From up to To as not elapsed, as the law counts an
// integration request.
func suspensions(events []Event) []calendar.Interval {
	var out []calendar.Interval
	open := false
	for _, e := range events {
		switch {
		case e.To.suspends() && !open:
			out = append(out, calendar.Interval{From: romeDate(e.At)})
			open = true
		case !e.To.suspends() && open:
			out[len(out)-1].To = romeDate(e.At)
			open = false
		}
	}
	return out
}

// dueDate computes the deadline of a submitted pratica from its submission
// day, its term and its history, with the ente's calendar (national and
// patron holidays, Saturdays). It is the zero Date when no deadline runs:
// no term, not submitted, or a suspension still open.
func dueDate(cal *calendar.Calendar, p *Pratica, events []Event) calendar.Date {
	if p.Term.Days == 0 || p.SubmittedAt.IsZero() {
		return calendar.Date{}
	}
	return cal.Deadline(romeDate(p.SubmittedAt), p.Term.calendar(), suspensions(events))
}

// TermStatus is the word a page shows beside a pratica's deadline.
type TermStatus string

// The statuses of a legal term.
const (
	// TermNone: no deadline applies (a draft, a service without a term, a
	// pratica withdrawn or closed without a decision).
	TermNone TermStatus = "none"
	// TermRunning: the deadline is Due and has not passed.
	TermRunning TermStatus = "running"
	// TermSuspended: the clock stands still until the citizen answers or
	// pays.
	TermSuspended TermStatus = "suspended"
	// TermExpired: Due has passed without a decision.
	TermExpired TermStatus = "expired"
	// TermSilentAssent: Due has passed without a decision and the service
	// has silenzio assenso: the request is granted by law.
	TermSilentAssent TermStatus = "silent_assent"
	// TermMet: decided on or before Due.
	TermMet TermStatus = "met"
	// TermLate: decided after Due.
	TermLate TermStatus = "late"
)

// TermStatus says where the legal term stands on today (a date in
// Europe/Rome), for the citizen's and the office's pages.
func (p *Pratica) TermStatus(today calendar.Date) TermStatus {
	if p.Term.Days == 0 || p.SubmittedAt.IsZero() {
		return TermNone
	}
	if p.State.Decided() || !p.DecidedAt.IsZero() {
		if p.Due.IsZero() || !romeDate(p.DecidedAt).After(p.Due) {
			return TermMet
		}
		return TermLate
	}
	if !p.State.Open() {
		return TermNone
	}
	if p.Due.IsZero() {
		return TermSuspended
	}
	if today.After(p.Due) {
		if p.Term.SilentAssent {
			return TermSilentAssent
		}
		return TermExpired
	}
	return TermRunning
}

// DaysLeft returns the calendar days from today to the deadline — what a
// page says as "scade tra 9 giorni", whatever the term's kind — negative
// once it has passed; ok is false when no deadline runs (see TermStatus).
func (p *Pratica) DaysLeft(today calendar.Date) (days int, ok bool) {
	switch p.TermStatus(today) {
	case TermRunning, TermExpired, TermSilentAssent:
		return p.Due.Sub(today), true
	}
	return 0, false
}

// DueSoon reports whether the deadline is still running and falls within
// days calendar days of today, the "in scadenza" flag of the queue.
func (p *Pratica) DueSoon(today calendar.Date, days int) bool {
	left, ok := p.DaysLeft(today)
	return ok && left >= 0 && left <= days
}

// String is for logs.
func (t Term) String() string {
	kind := "calendar"
	if t.Working {
		kind = "working"
	}
	s := fmt.Sprintf("%d %s days", t.Days, kind)
	if t.SilentAssent {
		s += ", silent assent"
	}
	return s
}
