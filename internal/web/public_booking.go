package web

import (
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/form"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/tenant"
)

// The booking flow of the Modello Comuni: Luogo/Ufficio → Data e orario →
// Dettagli → Richiedente → Riepilogo → Conferma. The first two steps are
// GET forms that carry the choices in the query; choosing a time holds the
// slot, and the held appointment (its code and secret token in the URL)
// carries the rest. Every step works without JavaScript.

// bookingSteps are the flow's steps, by the path segment of each.
var bookingSteps = []string{"luogo", "data", "dettagli", "richiedente", "riepilogo", "conferma"}

// bookingPage is every step of the booking flow.
type bookingPage struct {
	basePage
	Step  string
	Steps form.StepsView
	// Service is the chosen service; Services the choice when none is.
	Service  *catalog.Service
	Services []choiceView
	Channels []choiceView
	Offices  []bookingOfficeView
	Office   *tenant.Office
	Channel  booking.Channel
	// Days with free slots, Day the one shown, Times its slots.
	Days  []bookingDayView
	Day   string
	Times []choiceView
	// Query is the choices so far, for the hidden fields and links.
	Query url.Values
	// Appt is the held or booked appointment (steps 3 to 6).
	Appt   *bookingView
	Token  string
	Form   booking.Request
	Errors []fieldError
	Flash  string
	// Waitlist offers the waiting list when no slot is free.
	Waitlist bool
	// Action is where step 2's form goes: a new hold, or moving a booked
	// appointment (Moving).
	Action string
	Moving bool
}

// HasError reports whether a field has a mistake.
func (p *bookingPage) HasError(field string) bool { return p.ErrorOf(field) != "" }

// ErrorOf returns a field's mistake, or "".
func (p *bookingPage) ErrorOf(field string) string {
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// bookingOfficeView is an office that takes bookings for the service.
type bookingOfficeView struct {
	Slug, Name, Address string
	Checked             bool
}

// bookingDayView is a day with free slots.
type bookingDayView struct {
	Value, Label, URL string
	Current           bool
}

// bookingView is what the pages show of an appointment.
type bookingView struct {
	Code, Service, When, Office, Address, Channel, State string
	// Where says where it happens: the office, "we call you", the address.
	Where     string
	HeldUntil string
	ICS       string
	// CanChange is true while the citizen may still cancel it online.
	CanChange bool
	Active    bool
	Confirmed bool
	Needed    []string
	Request   booking.Request
}

// bookingField is what the "booking-input" template takes.
type bookingField struct {
	Name, Label, Value, Kind, Help, Error, Autocomplete, RequiredText string
	Required                                                          bool
	Max                                                               int
}

// Field describes one input of the details and requester steps.
func (p *bookingPage) Field(name, value, kind string) bookingField {
	f := bookingField{Name: name, Label: p.T("booking.field." + name), Value: value, Kind: kind,
		Help: p.T("booking.help." + name), Error: p.ErrorOf(name), RequiredText: p.T("booking.required"), Max: booking.MaxName}
	switch name {
	case "reason", "details", "name", "fiscal_code":
		f.Required = true
	case "address":
		f.Required, f.Max = true, booking.MaxAddress
	}
	switch name {
	case "details":
		f.Max = booking.MaxDetails
	case "fiscal_code":
		f.Max = 16
	case "name":
		f.Autocomplete = "name"
	case "email":
		f.Autocomplete, f.Max = "email", 254
	case "phone":
		f.Autocomplete, f.Max = "tel", 32
	case "address":
		f.Autocomplete = "street-address"
	}
	return f
}

// bookingFacts is what the "booking-facts" template takes.
type bookingFacts struct {
	Page texter
	Appt *bookingView
}

// Facts are the appointment's details for the summary and the confirmation.
func (p *bookingPage) Facts() bookingFacts { return bookingFacts{p, p.Appt} }

// bookingURL is the address of a step of a held or booked appointment.
func bookingURL(code, token, step string) string {
	u := "/prenota-appuntamento/" + url.PathEscape(code)
	if step != "" {
		u += "/" + step
	}
	return u + "?t=" + url.QueryEscape(token)
}

// bookingBase starts a page of the flow at step.
func (s *Server) bookingBase(r *http.Request, step string) bookingPage {
	p := bookingPage{basePage: s.base(r, "booking.title"), Step: step}
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}, {p.T("nav.services"), "/servizi"}}
	cur := slices.Index(bookingSteps, step)
	p.Steps = form.StepsView{Label: p.T("booking.steps.label"), Progress: p.T("form.steps.progress", cur+1, len(bookingSteps))}
	for i, st := range bookingSteps {
		it := form.StepItem{Number: i + 1, Label: p.T("booking.step." + st), Current: i == cur, Done: i < cur}
		switch {
		case it.Current:
			it.State = p.T("form.steps.current")
		case it.Done:
			it.State = p.T("form.steps.done")
		}
		p.Steps.Items = append(p.Steps.Items, it)
	}
	return p
}

// bookingChoice is what the first two steps carry in the query.
type bookingChoice struct {
	service *catalog.Service
	office  *tenant.Office
	channel booking.Channel
}

// parseBookingChoice reads servizio, ufficio and canale; unknown values are
// dropped, so that a stale link lands on the step that asks again.
func (s *Server) parseBookingChoice(r *http.Request, v url.Values) (bookingChoice, error) {
	var c bookingChoice
	e := enteFrom(r.Context())
	cat, err := s.catalogFor(r.Context(), e)
	if err != nil {
		return c, err
	}
	if svc, err := cat.Get(v.Get("servizio")); err == nil {
		c.service = svc
	}
	for i := range e.Offices {
		if e.Offices[i].Slug == v.Get("ufficio") {
			c.office = &e.Offices[i]
		}
	}
	if ch := booking.Channel(v.Get("canale")); ch.Valid() {
		c.channel = ch
	}
	return c, nil
}

func (c bookingChoice) query() url.Values {
	v := url.Values{}
	if c.service != nil {
		v.Set("servizio", c.service.Slug)
	}
	if c.office != nil {
		v.Set("ufficio", c.office.Slug)
	}
	if c.channel != "" {
		v.Set("canale", string(c.channel))
	}
	return v
}

// bookingStart is step 1, Luogo/Ufficio: the service (preselected when
// coming from its scheda), the office among those that take bookings for
// it, and the channel.
func (s *Server) bookingStart(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	c, err := s.parseBookingChoice(r, r.URL.Query())
	if err != nil {
		return err
	}
	p := s.bookingBase(r, "luogo")
	p.Service, p.Channel, p.Query = c.service, c.channel, c.query()
	cals, err := booking.Calendars(ctx, s.db, e.ID, booking.CalendarFilter{})
	if err != nil {
		return err
	}
	cat, err := s.catalogFor(ctx, e)
	if err != nil {
		return err
	}
	bookable := map[string]bool{}
	offices := map[int64]bool{}
	channels := map[booking.Channel]bool{}
	for _, cal := range cals {
		for svc := range cal.Services {
			bookable[svc] = true
			if c.service != nil && svc == c.service.Slug {
				offices[cal.Office] = true
				channels[cal.Channel] = true
			}
		}
	}
	for _, svc := range cat.All() {
		if bookable[svc.Slug] {
			p.Services = append(p.Services, choiceView{Value: svc.Slug, Label: svc.Title,
				Selected: c.service != nil && svc.Slug == c.service.Slug})
		}
	}
	for _, o := range e.Offices {
		if offices[o.ID] {
			p.Offices = append(p.Offices, bookingOfficeView{Slug: o.Slug, Name: o.Name, Address: officeAddress(o),
				Checked: (c.office != nil && c.office.ID == o.ID) || (c.office == nil && len(p.Offices) == 0)})
		}
	}
	for _, ch := range booking.Channels {
		if channels[ch] {
			p.Channels = append(p.Channels, choiceView{Value: string(ch), Label: p.T("booking.channel." + string(ch)),
				Checked: ch == c.channel || (c.channel == "" && ch == booking.Desk)})
		}
	}
	return s.render(w, r, http.StatusOK, "public/booking", &p)
}

func officeAddress(o tenant.Office) string {
	out := o.Street
	if o.PostalCode != "" || o.City != "" {
		out += ", " + o.PostalCode + " " + o.City
	}
	return out
}

// bookingDays is step 2, Data e orario: the days with free slots in the
// booking window, and the times of the chosen day.
func (s *Server) bookingDays(w http.ResponseWriter, r *http.Request) error {
	c, err := s.parseBookingChoice(r, r.URL.Query())
	if err != nil {
		return err
	}
	if c.service == nil || c.office == nil || c.channel == "" {
		http.Redirect(w, r, "/prenota-appuntamento?"+c.query().Encode(), http.StatusSeeOther)
		return nil
	}
	return s.renderBookingDays(w, r, c, http.StatusOK, "", nil, "")
}

// renderBookingDays renders step 2 with an optional flash (a slot lost);
// with moving set, it offers the times to move that booked appointment to.
func (s *Server) renderBookingDays(w http.ResponseWriter, r *http.Request, c bookingChoice, status int, flash string, moving *booking.Appointment, token string) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	now := s.now()
	p := s.bookingBase(r, "data")
	p.Service, p.Office, p.Channel, p.Query, p.Flash = c.service, c.office, c.channel, c.query(), flash
	p.Action = "/prenota-appuntamento"
	dayURL := "/prenota-appuntamento/data?"
	if moving != nil {
		p.Moving, p.Query = true, url.Values{}
		p.Action = bookingURL(moving.Code, token, "sposta")
		dayURL = p.Action + "&"
	}
	hol, err := s.calendarFor(e)
	if err != nil {
		return err
	}
	days, err := booking.Availability(ctx, s.db, e.ID, hol, booking.Query{Office: *c.office, Service: c.service.Slug,
		Channel: c.channel, From: calendar.DateOf(now.In(rome)), Days: 62}, now)
	if err != nil {
		return err
	}
	want := r.URL.Query().Get("giorno")
	var shown *booking.Day
	for i, d := range days {
		q := url.Values{}
		for k, vs := range p.Query {
			q[k] = vs
		}
		q.Set("giorno", d.Date.String())
		cur := d.Date.String() == want || (want == "" && i == 0)
		if cur {
			shown = &days[i]
		}
		p.Days = append(p.Days, bookingDayView{Value: d.Date.String(), Label: s.dateLabel(p.basePage, d.Date),
			URL: dayURL + q.Encode(), Current: cur})
	}
	if shown == nil && len(days) > 0 {
		shown = &days[0]
		p.Days[0].Current = true
	}
	if shown != nil {
		p.Day = s.dateLabel(p.basePage, shown.Date)
		for _, sl := range shown.Slots {
			p.Times = append(p.Times, choiceView{Value: sl.Start.Format(time.RFC3339),
				Label: sl.Start.In(rome).Format("15:04") + "–" + sl.End.In(rome).Format("15:04")})
		}
	}
	p.Waitlist = len(days) == 0 && moving == nil
	return s.render(w, r, status, "public/booking", &p)
}

// dateIn is the civil date of t in Rome.
func dateIn(t time.Time) calendar.Date { return calendar.DateOf(t.In(rome)) }

// dateLabel writes a day as Italians say it: "mercoledì 4 marzo 2026".
func (s *Server) dateLabel(p basePage, d calendar.Date) string {
	return p.T("booking.date", p.T("booking.weekday."+strconv.Itoa(int(d.Weekday()))), d.Day,
		p.T("booking.month."+strconv.Itoa(int(d.Month))), d.Year)
}

// bookingHold takes the chosen time: the slot is held for a few minutes
// while the citizen completes the flow.
func (s *Server) bookingHold(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	now := s.now()
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "booking: hold: %w", err)
	}
	c, err := s.parseBookingChoice(r, r.PostForm)
	if err != nil {
		return err
	}
	if c.service == nil || c.office == nil || c.channel == "" {
		http.Redirect(w, r, "/prenota-appuntamento?"+c.query().Encode(), http.StatusSeeOther)
		return nil
	}
	start, err := time.Parse(time.RFC3339, r.PostFormValue("inizio"))
	if err != nil {
		p := s.bookingBase(r, "data")
		return s.renderBookingDays(w, r, c, http.StatusUnprocessableEntity, p.T("booking.error.time"), nil, "")
	}
	var citizen int64
	if sess, err := s.session(r, e.ID, citizenCookie, identity.SubjectCitizen, now); err == nil && sess != nil {
		citizen = sess.Subject.ID
	}
	hol, err := s.calendarFor(e)
	if err != nil {
		return err
	}
	a, token, err := booking.Hold(ctx, s.db, e.ID, hol, booking.HoldInput{Office: *c.office, Service: c.service.Slug,
		Channel: c.channel, Start: start, Citizen: citizen}, now)
	if errors.Is(err, booking.ErrTaken) {
		p := s.bookingBase(r, "data")
		return s.renderBookingDays(w, r, c, http.StatusConflict, p.T("booking.error.taken"), nil, "")
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, bookingURL(a.Code, token, "dettagli"), http.StatusSeeOther)
	return nil
}

// bookingWaitlist puts the citizen on the waiting list of the service at
// the office, when no slot is free; a freed slot is offered by e-mail.
func (s *Server) bookingWaitlist(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	now := s.now()
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "booking: waitlist: %w", err)
	}
	c, err := s.parseBookingChoice(r, r.PostForm)
	if err != nil {
		return err
	}
	if c.service == nil || c.office == nil || c.channel == "" {
		http.Redirect(w, r, "/prenota-appuntamento?"+c.query().Encode(), http.StatusSeeOther)
		return nil
	}
	today := calendar.DateOf(now.In(rome))
	wait := &booking.Wait{Office: c.office.ID, Service: c.service.Slug, Channel: c.channel, First: today,
		Last: today.AddDays(60), Name: r.PostFormValue("name"), Email: r.PostFormValue("email")}
	if sess, err := s.session(r, e.ID, citizenCookie, identity.SubjectCitizen, now); err == nil && sess != nil {
		wait.Citizen = sess.Subject.ID
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error { return booking.JoinWaitlist(ctx, tx, e.ID, wait, now) })
	p := s.bookingBase(r, "data")
	if apperr.Is(err, apperr.Invalid) {
		p.Errors = []fieldError{{Field: "wait-email", Message: p.T("booking.error.waitlist")}}
		p.Service, p.Office, p.Channel, p.Query, p.Waitlist = c.service, c.office, c.channel, c.query(), true
		return s.render(w, r, http.StatusUnprocessableEntity, "public/booking", &p)
	}
	if err != nil {
		return err
	}
	p.Service, p.Office, p.Channel, p.Query = c.service, c.office, c.channel, c.query()
	p.Flash = p.T("booking.waitlist.joined")
	return s.render(w, r, http.StatusOK, "public/booking", &p)
}

// bookingMail is the e-mail that confirms, offers or cancels an
// appointment; it links to the appointment's page.
func (s *Server) bookingMail(r *http.Request, e *tenant.Ente, a *booking.Appointment, token, kind string) (mail.Message, bool) {
	if a.Email == "" {
		return mail.Message{}, false
	}
	cat, err := s.catalogFor(r.Context(), e)
	title := a.Service
	if err == nil {
		if svc, err := cat.Get(a.Service); err == nil {
			title = svc.Title
		}
	}
	var office tenant.Office
	for _, o := range e.Offices {
		if o.ID == a.Office {
			office = o
		}
	}
	when := a.Start.In(rome).Format("02/01/2006 15:04")
	link := s.origin(r) + bookingURL(a.Code, token, "")
	return mail.Message{Ente: e.ID, To: a.Email, Kind: "booking-" + kind, Ref: "appointment:" + a.Code,
		Subject: s.mailText("mail.booking."+kind+".subject", a.Code, e.Name),
		Text: s.mailText("mail.booking."+kind+".text", a.Name, title, when, office.Name, officeAddress(office),
			a.Code, link, e.Name)}, true
}
