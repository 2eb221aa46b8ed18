package calendar

import (
	"fmt"
	"slices"
)

// Kind says which days a term counts, because the law states terms either in
// calendar days or in working days and the two expire on different dates.
type Kind int

const (
	// CalendarDays counts every day (giorni naturali e consecutivi), the
	// default of L. 241/1990 and the zero value.
	CalendarDays Kind = iota
	// WorkingDays counts only the ente's working days (giorni lavorativi),
	// used where the law says so, e.g. the 2 days of a change of residence.
	WorkingDays
)

// String names the kind for logs and configuration files.
func (k Kind) String() string {
	switch k {
	case CalendarDays:
		return "calendar"
	case WorkingDays:
		return "working"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// MaxTermDays bounds a term's length (ten years) so that a wrong row cannot
// make a deadline sweep loop for minutes; no procedure of a comune is longer.
const MaxTermDays = 3660

// Term is the legal term of a procedure as a service declares it, so that the
// catalogue, the pratica and this package share one description.
type Term struct {
	Days int
	Kind Kind
	// SilentAssent records that silence at expiry means acceptance (L.
	// 241/1990 art. 20): the pratica acts on it, the date is the same.
	SilentAssent bool
}

// Validate reports a term that Deadline would have to clamp, so that the
// catalogue rejects it when a service is defined rather than at run time.
func (t Term) Validate() error {
	if t.Days < 0 || t.Days > MaxTermDays {
		return fmt.Errorf("%w: term of %d days (allowed 0–%d)", ErrOptions, t.Days, MaxTermDays)
	}
	if t.Kind != CalendarDays && t.Kind != WorkingDays {
		return fmt.Errorf("%w: term kind %v", ErrOptions, t.Kind)
	}
	return nil
}

// Interval is a suspension of a term: From is the day of the act that stops
// the clock (an integration request, a notice of refusal), To the day the
// clock restarts (the integration received). Days after From up to and
// including To are not counted; a zero To is a suspension still open.
type Interval struct {
	From, To Date
}

// openEnd stands for the To of an open suspension: later than any real date.
const openEnd = 1 << 40

type span struct{ from, to int } // ordinals; days in (from, to] are suspended

// spans turns suspensions into sorted, merged ordinal spans clipped to start;
// an open one ends at openEnd, or at now when now is given.
func spans(start int, susp []Interval, now *Date) []span {
	out := make([]span, 0, len(susp))
	for _, iv := range susp {
		if iv.From.IsZero() {
			continue
		}
		s := span{max(iv.From.ord(), start), openEnd}
		switch {
		case !iv.To.IsZero():
			s.to = iv.To.ord()
		case now != nil:
			s.to = now.ord()
		}
		if s.to > s.from {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b span) int { return a.from - b.from })
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 && s.from <= merged[n-1].to {
			merged[n-1].to = max(merged[n-1].to, s.to)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// Deadline returns the last day on which the term started on start can be
// met, applying the rules in the package doc: start not counted, calendar or
// working days, suspensions, expiry moved off a non-working day. It returns
// the zero Date while an open suspension (zero To) holds the clock, because
// no deadline is running then; use Remaining for "as of today". Days are
// clamped to 0–MaxTermDays; a term of 0 days expires on start, or on the next
// working day.
func (c *Calendar) Deadline(start Date, term Term, suspensions []Interval) Date {
	o := c.deadline(start.ord(), term, spans(start.ord(), suspensions, nil))
	if o >= openEnd {
		return Date{}
	}
	return fromOrd(o)
}

func (c *Calendar) deadline(o int, term Term, sp []span) int {
	left := min(max(term.Days, 0), MaxTermDays)
	if term.Kind == WorkingDays {
		i := 0
		for left > 0 {
			o++
			for i < len(sp) && sp[i].to < o {
				i++
			}
			if i < len(sp) && sp[i].from < o {
				if sp[i].to >= openEnd {
					return openEnd
				}
				o = sp[i].to // resume counting the day after To
				continue
			}
			if c.IsWorkingDay(fromOrd(o)) {
				left--
			}
		}
		return c.nextWorkingDay(o)
	}
	for _, s := range sp {
		if left == 0 || s.from >= o+left {
			break // the term expired on or before the day the clock stopped
		}
		if s.to >= openEnd {
			return openEnd
		}
		left -= s.from - o
		o = s.to
	}
	return c.nextWorkingDay(o + left)
}

// Countdown is where a term stands on a given day, what the citizen's and the
// office's pages show next to a pratica.
type Countdown struct {
	// Deadline is the expiry computed as if every open suspension ended
	// today; it moves forward each day while Suspended.
	Deadline Date
	// Left is the number of days still available after today, in the
	// term's kind: 0 means the term expires today, a negative value how
	// many days ago it expired.
	Left int
	// Suspended is true while an open suspension holds the clock.
	Suspended bool
}

// Remaining tells how much of a term is left on now, closing every open
// suspension at now so that the count stays still while the clock is
// stopped, rather than showing no deadline at all.
func (c *Calendar) Remaining(now, start Date, term Term, suspensions []Interval) Countdown {
	var cd Countdown
	for _, iv := range suspensions {
		if !iv.From.IsZero() && iv.To.IsZero() && !now.Before(iv.From) {
			// Open and begun: it holds the clock unless the term had
			// already expired when it began.
			cd.Suspended = c.deadline(start.ord(), term, spans(start.ord(), suspensions, nil)) >= openEnd
			break
		}
	}
	dl := c.deadline(start.ord(), term, spans(start.ord(), suspensions, &now))
	cd.Deadline = fromOrd(dl)
	if term.Kind == WorkingDays {
		cd.Left = c.WorkingDaysBetween(now, cd.Deadline)
	} else {
		cd.Left = dl - now.ord()
	}
	return cd
}

// Warn decides whether to warn on now about a deadline, given the threshold
// already warned about (last, 0 for none), so that a daily sweep sends each
// warning once even across weekends and missed runs. level is the tightest
// threshold reached, in working days left (7, 3, 1 by default); due is true
// when it is tighter than last. An expired deadline gets no warning: expiry
// is an event of its own.
func (c *Calendar) Warn(now, deadline Date, last int) (level int, due bool) {
	left := c.WorkingDaysBetween(now, deadline)
	if left < 0 {
		return 0, false
	}
	for _, w := range c.warnAt {
		if left <= w {
			return w, last == 0 || w < last
		}
	}
	return 0, false
}
