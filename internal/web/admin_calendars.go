package web

import (
	"cmp"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/tenant"
)

// calendarsPage is the administrators' list of the offices' calendars and
// closures, with the form that adds a closure.
type calendarsPage struct {
	basePage
	Flash     string
	Calendars []calendarRow
	Closures  []closureRow
	// The closure form: its choices, what was typed, its mistakes.
	Offices      []choiceView
	CalendarsOpt []choiceView
	Closure      closureForm
	Errors       []fieldError
	HasCalendars bool
}

// calendarRow is one calendar in the list.
type calendarRow struct {
	ID                                                int64
	Office, Name, Channel, Seats, Step, Window, Hours string
	Services                                          int
	Active                                            bool
}

// closureRow is one closure in the list.
type closureRow struct {
	ID                                    int64
	Office, Calendar, First, Last, Reason string
}

// closureForm is what the administrator typed for a closure.
type closureForm struct {
	First, Last, Reason string
}

// HasError reports whether a field has a mistake.
func (p *calendarsPage) HasError(field string) bool { return errorOf(p.Errors, field) != "" }

// calendarEditPage is the form of a new or existing calendar.
type calendarEditPage struct {
	basePage
	// ID is zero for a new calendar.
	ID       int64
	Action   string
	Form     calendarForm
	Offices  []choiceView
	Channels []choiceView
	Services []calendarServiceRow
	Hours    []calendarHoursRow
	Errors   []fieldError
}

// calendarForm is a calendar's settings as typed.
type calendarForm struct {
	Name, Seats, Step, Window, Notice, Change, Travel string
	Active                                            bool
}

// calendarServiceRow is one catalogue service: taken by the calendar or
// not, with its duration.
type calendarServiceRow struct {
	Slug, Title, Duration string
	Taken                 bool
}

// calendarHoursRow is one weekday's opening hours: up to two ranges.
type calendarHoursRow struct {
	Day, Label                       string
	Opens1, Closes1, Opens2, Closes2 string
}

// HasError reports whether a field has a mistake.
func (p *calendarEditPage) HasError(field string) bool { return errorOf(p.Errors, field) != "" }

// ErrorOf returns a field's mistake, or "".
func (p *calendarEditPage) ErrorOf(field string) string { return errorOf(p.Errors, field) }

func errorOf(errs []fieldError, field string) string {
	for _, e := range errs {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// calendarWeekdays are the days the hours form lists, Monday first.
var calendarWeekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// calendarsList lists the ente's calendars, active or not, and the
// closures to come.
func (s *Server) calendarsList(w http.ResponseWriter, r *http.Request) error {
	p := calendarsPage{basePage: s.base(r, "calendars.title")}
	switch r.URL.Query().Get("ok") {
	case "calendario":
		p.Flash = p.T("calendars.flash.saved")
	case "chiusura":
		p.Flash = p.T("calendars.flash.closure")
	case "chiusura-eliminata":
		p.Flash = p.T("calendars.flash.closure-removed")
	}
	return s.renderCalendars(w, r, http.StatusOK, &p, "", "")
}

func (s *Server) renderCalendars(w http.ResponseWriter, r *http.Request, status int, p *calendarsPage, office, cal string) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}}
	cals, err := booking.Calendars(ctx, s.db, e.ID, booking.CalendarFilter{Inactive: true})
	if err != nil {
		return err
	}
	offices := officeNames(e)
	names := map[booking.CalendarID]string{}
	for _, c := range cals {
		names[c.ID] = c.Name
		hours := p.T("calendars.hours.office")
		if len(c.Hours) > 0 {
			hours = p.T("calendars.hours.own")
		}
		p.Calendars = append(p.Calendars, calendarRow{ID: int64(c.ID), Office: offices[c.Office], Name: c.Name,
			Channel: p.T("calendars.channel." + string(c.Channel)), Seats: strconv.Itoa(c.Seats), Step: strconv.Itoa(c.Step),
			Window: strconv.Itoa(c.WindowDays), Hours: hours, Services: len(c.Services), Active: c.Active})
		p.CalendarsOpt = append(p.CalendarsOpt, choiceView{Value: strconv.FormatInt(int64(c.ID), 10),
			Label: offices[c.Office] + " – " + c.Name, Selected: strconv.FormatInt(int64(c.ID), 10) == cal})
	}
	p.HasCalendars = len(cals) > 0
	closures, err := booking.Closures(ctx, s.db, e.ID, calendar.DateOf(s.now().In(rome)))
	if err != nil {
		return err
	}
	for _, c := range closures {
		p.Closures = append(p.Closures, closureRow{ID: c.ID, Office: offices[c.Office], Calendar: cmp.Or(names[c.Calendar], p.T("calendars.closure.whole")),
			First: c.First.In(rome).Format("02/01/2006"), Last: c.Last.In(rome).Format("02/01/2006"), Reason: c.Reason})
	}
	for _, o := range e.Offices {
		p.Offices = append(p.Offices, choiceView{Value: o.Slug, Label: o.Name, Selected: o.Slug == office})
	}
	return s.render(w, r, status, "admin/calendars", p)
}

// officeNames names the ente's offices by id.
func officeNames(e *tenant.Ente) map[int64]string {
	out := map[int64]string{}
	for _, o := range e.Offices {
		out[o.ID] = o.Name
	}
	return out
}

// calendarNew is the form of a new calendar, with the usual defaults.
func (s *Server) calendarNew(w http.ResponseWriter, r *http.Request) error {
	p := calendarEditPage{basePage: s.base(r, "calendars.new"), Action: "/amministrazione-ente/calendari",
		Form: calendarForm{Seats: "1", Step: "15", Window: "30", Notice: "60", Change: "1440", Travel: "0", Active: true}}
	return s.renderCalendarEdit(w, r, http.StatusOK, &p, nil, "", "desk")
}

// calendarEdit is the form of an existing calendar.
func (s *Server) calendarEdit(w http.ResponseWriter, r *http.Request) error {
	c, err := s.pathCalendar(r)
	if err != nil {
		return err
	}
	p := calendarEditPage{basePage: s.base(r, ""), ID: int64(c.ID), Action: "/amministrazione-ente/calendari/" + strconv.FormatInt(int64(c.ID), 10),
		Form: calendarForm{Name: c.Name, Seats: strconv.Itoa(c.Seats), Step: strconv.Itoa(c.Step), Window: strconv.Itoa(c.WindowDays),
			Notice: strconv.Itoa(c.NoticeMinutes), Change: strconv.Itoa(c.ChangeMinutes), Travel: strconv.Itoa(c.TravelMinutes), Active: c.Active}}
	p.Title = p.T("calendars.edit", c.Name)
	services := map[string]string{}
	for slug, d := range c.Services {
		services[slug] = strconv.Itoa(d)
	}
	office := ""
	for _, o := range enteFrom(r.Context()).Offices {
		if o.ID == c.Office {
			office = o.Slug
		}
	}
	p.Hours = hoursRows(p.basePage, c.Hours)
	return s.renderCalendarEdit(w, r, http.StatusOK, &p, services, office, string(c.Channel))
}

// pathCalendar loads the calendar named in the path; another ente's is
// NotFound.
func (s *Server) pathCalendar(r *http.Request) (*booking.Calendar, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, apperr.New(apperr.NotFound, "")
	}
	return booking.GetCalendar(r.Context(), s.db, enteFrom(r.Context()).ID, booking.CalendarID(id))
}

// hoursRows lays a calendar's hours out by weekday, two ranges each.
func hoursRows(p basePage, hours []tenant.Hours) []calendarHoursRow {
	var out []calendarHoursRow
	for _, wd := range calendarWeekdays {
		row := calendarHoursRow{Day: strconv.Itoa(int(wd)), Label: p.T("calendars.day." + strconv.Itoa(int(wd)))}
		n := 0
		for _, h := range hours {
			if h.Weekday != wd {
				continue
			}
			if n == 0 {
				row.Opens1, row.Closes1 = h.Opens, h.Closes
			} else {
				row.Opens2, row.Closes2 = h.Opens, h.Closes
			}
			n++
		}
		out = append(out, row)
	}
	return out
}

func (s *Server) renderCalendarEdit(w http.ResponseWriter, r *http.Request, status int, p *calendarEditPage,
	services map[string]string, office, channel string) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}, {p.T("calendars.title"), "/amministrazione-ente/calendari"}}
	for i, o := range e.Offices {
		p.Offices = append(p.Offices, choiceView{Value: o.Slug, Label: o.Name, Selected: o.Slug == office || (office == "" && i == 0)})
	}
	for _, ch := range []booking.Channel{booking.Desk, booking.Phone, booking.Home} {
		p.Channels = append(p.Channels, choiceView{Value: string(ch), Label: p.T("calendars.channel." + string(ch)), Checked: string(ch) == channel})
	}
	cat, err := s.catalogFor(ctx, e)
	if err != nil {
		return err
	}
	for _, svc := range cat.All() {
		d, taken := services[svc.Slug]
		p.Services = append(p.Services, calendarServiceRow{Slug: svc.Slug, Title: svc.Title, Duration: d, Taken: taken})
	}
	if p.Hours == nil {
		p.Hours = hoursRows(p.basePage, nil)
	}
	return s.render(w, r, status, "admin/calendar", p)
}

// calendarCreate stores a new calendar.
func (s *Server) calendarCreate(w http.ResponseWriter, r *http.Request) error {
	p := calendarEditPage{basePage: s.base(r, "calendars.new"), Action: "/amministrazione-ente/calendari"}
	return s.saveCalendar(w, r, &p, nil)
}

// calendarUpdate stores the changes to a calendar.
func (s *Server) calendarUpdate(w http.ResponseWriter, r *http.Request) error {
	c, err := s.pathCalendar(r)
	if err != nil {
		return err
	}
	p := calendarEditPage{basePage: s.base(r, ""), ID: int64(c.ID), Action: "/amministrazione-ente/calendari/" + strconv.FormatInt(int64(c.ID), 10)}
	p.Title = p.T("calendars.edit", c.Name)
	return s.saveCalendar(w, r, &p, c)
}

// saveCalendar checks the calendar form field by field, with a message
// next to each mistake, and stores it (audited); existing is nil for a new
// calendar.
func (s *Server) saveCalendar(w http.ResponseWriter, r *http.Request, p *calendarEditPage, existing *booking.Calendar) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "calendar: %w", err)
	}
	f := r.PostForm
	p.Form = calendarForm{Name: strings.TrimSpace(f.Get("name")), Seats: f.Get("seats"), Step: f.Get("step"), Window: f.Get("window"),
		Notice: f.Get("notice"), Change: f.Get("change"), Travel: f.Get("travel"), Active: f.Get("active") == "1"}
	c, services, errs := parseCalendarForm(p.basePage, e, f)
	p.Errors = errs
	p.Hours = hoursFromForm(p.basePage, f)
	if len(errs) > 0 {
		return s.renderCalendarEdit(w, r, http.StatusUnprocessableEntity, p, services, f.Get("office"), f.Get("channel"))
	}
	c.Ente = e.ID
	action := audit.Action("calendar.created")
	if existing != nil {
		c.ID, action = existing.ID, "calendar.updated"
	}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if existing == nil {
			err = booking.CreateCalendar(ctx, tx, c)
		} else {
			err = booking.UpdateCalendar(ctx, tx, c, s.now())
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: action,
			Subject: "calendar:" + strconv.FormatInt(int64(c.ID), 10), Outcome: audit.Success, Detail: c.Name}, s.now())
	})
	if gb := (*booking.GridBookedError)(nil); errors.As(err, &gb) {
		p.Errors = append(p.Errors, fieldError{Field: gb.Field, Message: p.T("calendars.error.grid-booked", gb.Appointments)})
		return s.renderCalendarEdit(w, r, http.StatusConflict, p, services, f.Get("office"), f.Get("channel"))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/amministrazione-ente/calendari?ok=calendario", http.StatusSeeOther)
	return nil
}

// parseCalendarForm reads a calendar from the form with the same limits
// booking checks, each mistake in Italian next to its field. It returns
// the services as typed, to show them again.
func parseCalendarForm(p basePage, e *tenant.Ente, f url.Values) (*booking.Calendar, map[string]string, []fieldError) {
	var errs []fieldError
	add := func(field, key string, args ...any) {
		errs = append(errs, fieldError{Field: field, Message: p.T(key, args...)})
	}
	num := func(field string, lo, hi int) int {
		n, err := strconv.Atoi(strings.TrimSpace(f.Get(field)))
		if err != nil || n < lo || n > hi {
			add(field, "calendars.error.range", lo, hi)
		}
		return n
	}
	c := &booking.Calendar{Name: strings.TrimSpace(f.Get("name")), Channel: booking.Channel(f.Get("channel")),
		Active: f.Get("active") == "1", Services: map[string]int{}}
	office := false
	for _, o := range e.Offices {
		if o.Slug == f.Get("office") {
			c.Office, office = o.ID, true
		}
	}
	if !office {
		add("office", "calendars.error.office")
	}
	if c.Name == "" || len(c.Name) > 100 {
		add("name", "calendars.error.name")
	}
	if !c.Channel.Valid() {
		add("channel-desk", "calendars.error.channel")
	}
	c.Seats = num("seats", 1, 50)
	c.Step = num("step", 5, 240)
	c.WindowDays = num("window", 1, 366)
	c.NoticeMinutes = num("notice", 0, 60*24*30)
	c.ChangeMinutes = num("change", 0, 60*24*30)
	c.TravelMinutes = num("travel", 0, 240)
	if c.Step > 0 && c.TravelMinutes > 0 && c.TravelMinutes%c.Step != 0 && errorOf(errs, "travel") == "" {
		add("travel", "calendars.error.multiple", c.Step)
	}
	services := map[string]string{}
	for _, slug := range f["service"] {
		d := strings.TrimSpace(f.Get("duration." + slug))
		services[slug] = d
		n, err := strconv.Atoi(d)
		if err != nil || n < 5 || n > 480 || (c.Step > 0 && n%c.Step != 0) {
			add("duration."+slug, "calendars.error.duration", c.Step)
			continue
		}
		c.Services[slug] = n
	}
	if len(f["service"]) == 0 {
		add("services", "calendars.error.services")
	}
	for _, wd := range calendarWeekdays {
		day := strconv.Itoa(int(wd))
		for _, n := range []string{"1", "2"} {
			opens, closes := f.Get("opens"+n+"."+day), f.Get("closes"+n+"."+day)
			if opens == "" && closes == "" {
				continue
			}
			if !hhmm.MatchString(opens) || !hhmm.MatchString(closes) || opens >= closes {
				add("opens"+n+"."+day, "calendars.error.hours", p.T("calendars.day."+day))
				continue
			}
			c.Hours = append(c.Hours, tenant.Hours{Weekday: wd, Opens: opens, Closes: closes})
		}
	}
	return c, services, errs
}

var hhmm = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// hoursFromForm shows the hours again as typed.
func hoursFromForm(p basePage, f url.Values) []calendarHoursRow {
	rows := hoursRows(p, nil)
	for i := range rows {
		d := rows[i].Day
		rows[i].Opens1, rows[i].Closes1 = f.Get("opens1."+d), f.Get("closes1."+d)
		rows[i].Opens2, rows[i].Closes2 = f.Get("opens2."+d), f.Get("closes2."+d)
	}
	return rows
}

// closureCreate adds a closure of an office or of one of its calendars.
func (s *Server) closureCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	p := calendarsPage{basePage: s.base(r, "calendars.title")}
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "closure: %w", err)
	}
	p.Closure = closureForm{First: r.PostFormValue("first"), Last: r.PostFormValue("last"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	add := func(field, key string) { p.Errors = append(p.Errors, fieldError{Field: field, Message: p.T(key)}) }
	c := booking.Closure{Reason: p.Closure.Reason}
	for _, o := range e.Offices {
		if o.Slug == r.PostFormValue("office") {
			c.Office = o.ID
		}
	}
	if c.Office == 0 {
		add("closure-office", "calendars.error.office")
	}
	if id := r.PostFormValue("calendar"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		cal, gerr := booking.GetCalendar(ctx, s.db, e.ID, booking.CalendarID(n))
		if err != nil || gerr != nil || cal.Office != c.Office {
			add("closure-calendar", "calendars.error.closure-calendar")
		} else {
			c.Calendar = cal.ID
		}
	}
	var err error
	if c.First, err = calendar.ParseDate(p.Closure.First); err != nil {
		add("first", "calendars.error.date")
	}
	if c.Last, err = calendar.ParseDate(p.Closure.Last); err != nil {
		add("last", "calendars.error.date")
	} else if c.First.Valid() && c.Last.Before(c.First) {
		add("last", "calendars.error.last")
	}
	if c.Reason == "" || len(c.Reason) > 200 {
		add("reason", "calendars.error.reason")
	}
	if len(p.Errors) > 0 {
		return s.renderCalendars(w, r, http.StatusUnprocessableEntity, &p, r.PostFormValue("office"), r.PostFormValue("calendar"))
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := booking.AddClosure(ctx, tx, e.ID, c); err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: "calendar.closure_added",
			Subject: fmt.Sprintf("office:%d", c.Office), Outcome: audit.Success,
			Detail: closureDetail(c)}, s.now())
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/amministrazione-ente/calendari?ok=chiusura", http.StatusSeeOther)
	return nil
}

// closureDetail names a closure's calendar, or the whole office, and its
// days, for the audit log.
func closureDetail(c booking.Closure) string {
	where := "all calendars"
	if c.Calendar != 0 {
		where = fmt.Sprintf("calendar %d", c.Calendar)
	}
	return fmt.Sprintf("%s, %s–%s", where, c.First, c.Last)
}

// closureDelete removes a closure: its days take appointments again.
func (s *Server) closureDelete(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.Errorf(apperr.NotFound, "closure %q", r.PathValue("id"))
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		c, err := booking.RemoveClosure(ctx, tx, e.ID, id)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: "calendar.closure_removed",
			Subject: fmt.Sprintf("office:%d", c.Office), Outcome: audit.Success,
			Detail: closureDetail(c) + ": " + c.Reason}, s.now())
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/amministrazione-ente/calendari?ok=chiusura-eliminata", http.StatusSeeOther)
	return nil
}

// calendarNumber is one number field of the calendar form, for the
// template that draws it.
type calendarNumber struct {
	Page                     *calendarEditPage
	Name, Value, Label, Help string
}

// Number describes a number field to the template.
func (p *calendarEditPage) Number(name, value, label, help string) calendarNumber {
	return calendarNumber{Page: p, Name: name, Value: value, Label: label, Help: help}
}
