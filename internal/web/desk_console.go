package web

import (
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/desk"
	"github.com/sportello/sportello/internal/tenant"
)

// deskPage is the desk console: today's appointments per calendar, the
// waiting room's queue, the called tickets with their outcome buttons, the
// day's figures.
type deskPage struct {
	basePage
	Office    tenant.Office
	Offices   []choiceView
	Calendars []deskCalendarView
	Waiting   []deskTicketView
	Called    []deskTicketView
	Stats     desk.DayStats
	AvgWait   string
	DeskName  string
	Flash     string
	Screen    string
	// HomeOnly is the phone-friendly list of today's home visits.
	HomeOnly bool
}

// deskCalendarView is one calendar's appointments of the day.
type deskCalendarView struct {
	Name, Channel string
	Rows          []deskApptView
}

// deskApptView is one appointment in the console.
type deskApptView struct {
	ID                                      int64
	Time, Code, Service, Name, Where, State string
	Phone, Address, MapURL                  string
	CanCheckIn                              bool
}

// deskTicketView is one ticket in the queue.
type deskTicketView struct {
	ID     int64
	Number int
	Label  string
	Desk   string
	Since  string
}

// deskOffice picks the office of the console: the one asked for, else the
// punto risposte, else the first.
func deskOffice(r *http.Request, e *tenant.Ente) (tenant.Office, error) {
	slug := r.URL.Query().Get("ufficio")
	if slug == "" {
		slug = r.PostFormValue("ufficio")
	}
	for _, o := range e.Offices {
		if o.Slug == slug {
			return o, nil
		}
	}
	if o, ok := e.Desk(); ok {
		return o, nil
	}
	if len(e.Offices) > 0 {
		return e.Offices[0], nil
	}
	return tenant.Office{}, apperr.New(apperr.NotFound, "")
}

// deskShow is the console (or, with homeOnly, the mobile operator's view).
func (s *Server) deskShow(homeOnly bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		e := enteFrom(ctx)
		now := s.now()
		o, err := deskOffice(r, e)
		if err != nil {
			return err
		}
		title := "desk.console.title"
		if homeOnly {
			title = "desk.home.title"
		}
		p := deskPage{basePage: s.base(r, title), Office: o, HomeOnly: homeOnly, DeskName: r.URL.Query().Get("sportello")}
		p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}}
		p.Screen = "/coda/" + o.Slug
		if msg := r.URL.Query().Get("esito"); msg != "" && s.text.Has(p.Lang, "desk.flash."+msg) {
			p.Flash = p.T("desk.flash." + msg)
		}
		for _, x := range e.Offices {
			p.Offices = append(p.Offices, choiceView{Value: x.Slug, Label: x.Name, Selected: x.ID == o.ID})
		}
		today := dateIn(now)
		cals, err := booking.Calendars(ctx, s.db, e.ID, booking.CalendarFilter{Office: o.ID})
		if err != nil {
			return err
		}
		appts, err := booking.ForDay(ctx, s.db, e.ID, o.ID, 0, today)
		if err != nil {
			return err
		}
		cat, err := s.catalogFor(ctx, e)
		if err != nil {
			return err
		}
		for _, c := range cals {
			if homeOnly && c.Channel != booking.Home {
				continue
			}
			cv := deskCalendarView{Name: c.Name, Channel: p.T("booking.channel." + string(c.Channel))}
			for _, a := range appts {
				if a.Calendar != c.ID {
					continue
				}
				v := deskApptView{ID: int64(a.ID), Time: a.Start.In(rome).Format("15:04"), Code: a.Code, Service: a.Service,
					Name: a.Name, State: p.T("booking.state." + string(a.State)), Phone: a.Phone, Address: a.Address,
					CanCheckIn: a.State == booking.Confirmed && c.Channel == booking.Desk}
				if svc, err := cat.Get(a.Service); err == nil {
					v.Service = svc.Title
				}
				if a.Address != "" {
					v.MapURL = "https://www.openstreetmap.org/search?query=" + url.QueryEscape(a.Address)
				}
				cv.Rows = append(cv.Rows, v)
			}
			p.Calendars = append(p.Calendars, cv)
		}
		if !homeOnly {
			tickets, err := desk.Tickets(ctx, s.db, e.ID, o.ID, today)
			if err != nil {
				return err
			}
			for _, t := range tickets {
				v := deskTicketView{ID: int64(t.ID), Number: t.Number, Label: t.Label, Desk: t.Desk,
					Since: t.CreatedAt.In(rome).Format("15:04")}
				switch t.State {
				case desk.Waiting:
					p.Waiting = append(p.Waiting, v)
				case desk.Called:
					p.Called = append(p.Called, v)
				}
			}
			if p.Stats, err = desk.Stats(ctx, s.db, e.ID, o.ID, today, today); err != nil {
				return err
			}
			p.AvgWait = p.T("desk.minutes", int(p.Stats.AvgWait.Minutes()))
		}
		return s.render(w, r, http.StatusOK, "desk/console", &p)
	}
}

// deskBack returns to the console of the office, keeping the desk's name.
func deskBack(w http.ResponseWriter, r *http.Request, o tenant.Office, flash string) {
	q := url.Values{"ufficio": {o.Slug}}
	if d := strings.TrimSpace(r.PostFormValue("sportello")); d != "" {
		q.Set("sportello", d)
	}
	if flash != "" {
		q.Set("esito", flash)
	}
	http.Redirect(w, r, "/sportello?"+q.Encode(), http.StatusSeeOther)
}

// deskCheckIn gives a queue number to someone arriving: with an
// appointment (its id) or without (a short label typed by the operator).
func (s *Server) deskCheckIn(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	now := s.now()
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "desk: check in: %w", err)
	}
	o, err := deskOffice(r, e)
	if err != nil {
		return err
	}
	label := strings.TrimSpace(r.PostFormValue("label"))
	var appt booking.ID
	if v := r.PostFormValue("appointment"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return apperr.Errorf(apperr.Invalid, "desk: check in: appointment %q", v)
		}
		appt = booking.ID(id)
		a, err := booking.Get(ctx, s.db, e.ID, appt)
		if err != nil {
			return err
		}
		label = a.Start.In(rome).Format("15:04") + " " + a.Name
	}
	if label == "" {
		label = "—"
	}
	label = cutRunes(label, 80)
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := desk.CheckIn(ctx, tx, e.ID, o.ID, appt, label, now)
		return err
	})
	if err != nil {
		return err
	}
	deskBack(w, r, o, "checked-in")
	return nil
}

func cutRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// deskCallNext calls the next person to the operator's desk.
func (s *Server) deskCallNext(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "desk: call: %w", err)
	}
	o, err := deskOffice(r, e)
	if err != nil {
		return err
	}
	name := cutRunes(strings.TrimSpace(r.PostFormValue("sportello")), 40)
	if name == "" {
		name = pr.Operator.Name
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := desk.CallNext(ctx, tx, e.ID, o.ID, name, pr.Operator.ID, s.now())
		return err
	})
	if errors.Is(err, desk.ErrEmpty) {
		deskBack(w, r, o, "empty")
		return nil
	}
	if err != nil {
		return err
	}
	deskBack(w, r, o, "called")
	return nil
}

// deskOutcome closes a called ticket with its outcome.
func (s *Server) deskOutcome(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	now := s.now()
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "desk: outcome: %w", err)
	}
	o, err := deskOffice(r, e)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "")
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		t, err := desk.Close(ctx, tx, e.ID, desk.TicketID(id), desk.State(r.PostFormValue("esito")), now)
		if err != nil {
			return err
		}
		if t.State == desk.NoShow && t.Appointment != 0 {
			a, err := booking.Get(ctx, tx, e.ID, t.Appointment)
			if err != nil {
				return err
			}
			return s.offerFreed(r, tx, e, a, now)
		}
		return nil
	})
	if err != nil {
		return err
	}
	deskBack(w, r, o, "closed")
	return nil
}

// queueScreenPage is the waiting room's screen.
type queueScreenPage struct {
	basePage
	Office  tenant.Office
	Called  []deskTicketView
	Waiting int
	Updated string
}

// queueScreen is the public page for the waiting room's screen: the last
// numbers called and to which desk, how many wait; it refreshes itself
// every ten seconds without JavaScript, and shows no names.
func (s *Server) queueScreen(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	now := s.now()
	o, err := tenant.GetOffice(ctx, s.db, e.ID, r.PathValue("office"))
	if err != nil {
		return err
	}
	p := queueScreenPage{basePage: s.base(r, "desk.screen.title"), Office: o, Updated: now.In(rome).Format("15:04")}
	tickets, err := desk.Tickets(ctx, s.db, e.ID, o.ID, calendar.DateOf(now.In(rome)))
	if err != nil {
		return err
	}
	var called []*desk.Ticket
	for _, t := range tickets {
		switch {
		case t.State == desk.Waiting:
			p.Waiting++
		case !t.CalledAt.IsZero():
			called = append(called, t)
		}
	}
	// The most recent call first, six at most.
	slices.SortFunc(called, func(a, b *desk.Ticket) int { return b.CalledAt.Compare(a.CalledAt) })
	for _, t := range called[:min(6, len(called))] {
		p.Called = append(p.Called, deskTicketView{Number: t.Number, Desk: t.Desk, Since: t.CalledAt.In(rome).Format("15:04")})
	}
	w.Header().Set("Refresh", "10")
	return s.render(w, r, http.StatusOK, "desk/screen", &p)
}
