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
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/tenant"
)

// stepFields are the fields each data step asks for.
var stepFields = map[string][]string{
	"dettagli":    {"reason", "details"},
	"richiedente": {"name", "fiscal_code", "email", "phone", "address"},
}

// heldAppointment loads the appointment of the URL's code and token.
func (s *Server) heldAppointment(r *http.Request) (*booking.Appointment, string, error) {
	token := r.URL.Query().Get("t")
	if token == "" {
		token = r.PostFormValue("t")
	}
	a, err := booking.ByCode(r.Context(), s.db, enteFrom(r.Context()).ID, r.PathValue("code"), token)
	return a, token, err
}

// bookingView describes an appointment for the pages.
func (s *Server) bookingView(r *http.Request, p basePage, a *booking.Appointment, token string) (*bookingView, error) {
	e := enteFrom(r.Context())
	now := s.now()
	v := &bookingView{Code: a.Code, Service: a.Service, Channel: p.T("booking.channel." + string(a.Channel)),
		State: p.T("booking.state." + string(a.State)), Request: a.Request(), Active: a.State.Active(), Confirmed: a.State == booking.Confirmed,
		ICS: "/prenota-appuntamento/" + a.Code + "/calendario.ics?t=" + token}
	cat, err := s.catalogFor(r.Context(), e)
	if err != nil {
		return nil, err
	}
	if svc, err := cat.Get(a.Service); err == nil {
		v.Service, v.Needed = svc.Title, svc.Needed
	}
	for _, o := range e.Offices {
		if o.ID == a.Office {
			v.Office, v.Address = o.Name, officeAddress(o)
		}
	}
	v.When = p.T("booking.when", s.dateLabel(p, dateIn(a.Start)), a.Start.In(rome).Format("15:04"), a.End.In(rome).Format("15:04"))
	switch a.Channel {
	case booking.Phone:
		v.Where = p.T("booking.where.phone", a.Phone)
	case booking.Home:
		v.Where = p.T("booking.where.home", a.Address)
	default:
		v.Where = v.Office + ", " + v.Address
	}
	if a.State == booking.Held {
		v.HeldUntil = a.HeldUntil.In(rome).Format("15:04")
	}
	c, err := booking.GetCalendar(r.Context(), s.db, e.ID, a.Calendar)
	if err == nil {
		v.CanChange = a.State == booking.Confirmed && a.Start.Sub(now) >= time.Duration(c.ChangeMinutes)*time.Minute
	}
	return v, nil
}

// bookingStepShow shows step 3, 4 or 5 of a held appointment.
func (s *Server) bookingStepShow(w http.ResponseWriter, r *http.Request) error {
	step := r.PathValue("step")
	if _, ok := stepFields[step]; !ok && step != "riepilogo" && step != "sposta" {
		return apperr.New(apperr.NotFound, "")
	}
	a, token, err := s.heldAppointment(r)
	if err != nil {
		return err
	}
	if step == "sposta" {
		c, err := s.movable(r, a)
		if err != nil {
			return err
		}
		return s.renderBookingDays(w, r, c, http.StatusOK, "", a, token)
	}
	if a.State != booking.Held {
		http.Redirect(w, r, bookingURL(a.Code, token, ""), http.StatusSeeOther)
		return nil
	}
	if a.Lapsed(s.now()) {
		return booking.ErrLapsed
	}
	p := s.bookingBase(r, step)
	p.Form = a.Request()
	if step == "richiedente" && p.Form.FiscalCode == "" {
		s.prefillRequester(r, &p.Form)
	}
	return s.renderBookingStep(w, r, http.StatusOK, &p, a, token)
}

// prefillRequester fills the requester from the logged-in citizen, once.
func (s *Server) prefillRequester(r *http.Request, f *booking.Request) {
	e := enteFrom(r.Context())
	sess, err := s.session(r, e.ID, citizenCookie, identity.SubjectCitizen, s.now())
	if err != nil || sess == nil {
		return
	}
	c, err := identity.GetCitizen(r.Context(), s.db, e.ID, identity.CitizenID(sess.Subject.ID))
	if err != nil {
		return
	}
	f.Name, f.FiscalCode, f.Email, f.Phone = c.GivenName+" "+c.FamilyName, c.FiscalCode, c.Email, c.Phone
}

func (s *Server) renderBookingStep(w http.ResponseWriter, r *http.Request, status int, p *bookingPage, a *booking.Appointment, token string) error {
	v, err := s.bookingView(r, p.basePage, a, token)
	if err != nil {
		return err
	}
	p.Appt, p.Token, p.Channel = v, token, a.Channel
	if p.Form.Reason == "" {
		p.Form.Reason = v.Service
	}
	cur := slices.Index(bookingSteps, p.Step)
	for i := 2; i < cur; i++ {
		p.Steps.Items[i].URL = bookingURL(a.Code, token, bookingSteps[i])
	}
	return s.render(w, r, status, "public/booking", p)
}

// bookingStepSave saves step 3 or 4 and goes on; on the summary (step 5)
// it confirms the appointment and queues its e-mail; on a booked
// appointment, "annulla" cancels it.
func (s *Server) bookingStepSave(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	now := s.now()
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "booking: %w", err)
	}
	step := r.PathValue("step")
	a, token, err := s.heldAppointment(r)
	if err != nil {
		return err
	}
	switch step {
	case "riepilogo":
		return s.bookingConfirm(w, r, a, token)
	case "annulla":
		return s.bookingCancel(w, r, a, token)
	case "sposta":
		return s.bookingMove(w, r, a, token)
	}
	fields, ok := stepFields[step]
	if !ok {
		return apperr.New(apperr.NotFound, "")
	}
	req := a.Request()
	for _, f := range fields {
		v := r.PostFormValue(f)
		switch f {
		case "reason":
			req.Reason = v
		case "details":
			req.Details = v
		case "name":
			req.Name = v
		case "fiscal_code":
			req.FiscalCode = v
		case "email":
			req.Email = v
		case "phone":
			req.Phone = v
		case "address":
			req.Address = v
		}
	}
	p := s.bookingBase(r, step)
	for _, prob := range req.Check(a.Channel) {
		if slices.Contains(fields, prob.Field) {
			p.Errors = append(p.Errors, fieldError{Field: prob.Field, Message: p.T("booking.error." + prob.Field + "." + prob.Key)})
		}
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error { return booking.SetRequest(ctx, tx, e.ID, a.ID, req, now) })
	if err != nil {
		return err
	}
	if len(p.Errors) > 0 {
		p.Form = req
		return s.renderBookingStep(w, r, http.StatusUnprocessableEntity, &p, a, token)
	}
	next := bookingSteps[slices.Index(bookingSteps, step)+1]
	http.Redirect(w, r, bookingURL(a.Code, token, next), http.StatusSeeOther)
	return nil
}

// bookingConfirm confirms a held appointment and queues its e-mail in the
// same transaction.
func (s *Server) bookingConfirm(w http.ResponseWriter, r *http.Request, a *booking.Appointment, token string) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	now := s.now()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		got, err := booking.Confirm(ctx, tx, e.ID, a.ID, now)
		if err != nil {
			return err
		}
		if m, ok := s.bookingMail(r, e, got, token, "confirmed"); ok && s.opt.Jobs != nil {
			if _, err := mail.Queue(ctx, tx, s.opt.Jobs, m, now); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, booking.ErrIncomplete) {
		// Back to the first step with a mistake, which says what it is.
		req := a.Request()
		probs := req.Check(a.Channel)
		step := "dettagli"
		if len(probs) > 0 && !slices.Contains(stepFields[step], probs[0].Field) {
			step = "richiedente"
		}
		p := s.bookingBase(r, step)
		p.Form = req
		for _, prob := range probs {
			if slices.Contains(stepFields[step], prob.Field) {
				p.Errors = append(p.Errors, fieldError{Field: prob.Field, Message: p.T("booking.error." + prob.Field + "." + prob.Key)})
			}
		}
		return s.renderBookingStep(w, r, http.StatusUnprocessableEntity, &p, a, token)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, bookingURL(a.Code, token, ""), http.StatusSeeOther)
	return nil
}

// bookingCancel cancels a booked appointment, if it is not too late, and
// offers the freed slot to the first person on the waiting list.
func (s *Server) bookingCancel(w http.ResponseWriter, r *http.Request, a *booking.Appointment, token string) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	now := s.now()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		got, err := booking.Cancel(ctx, tx, e.ID, a.ID, false, now)
		if err != nil {
			return err
		}
		return s.offerFreed(r, tx, e, got, now)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, bookingURL(a.Code, token, ""), http.StatusSeeOther)
	return nil
}

// offerFreed offers a freed slot to the waiting list and e-mails the offer.
func (s *Server) offerFreed(r *http.Request, tx *sql.Tx, e *tenant.Ente, freed *booking.Appointment, now time.Time) error {
	if freed.State != booking.Cancelled && freed.State != booking.NoShow {
		return nil
	}
	offer, err := booking.OfferFreed(r.Context(), tx, e.ID, freed, now)
	if err != nil || offer == nil {
		return err
	}
	if m, ok := s.bookingMail(r, e, offer.Appointment, offer.Token, "offer"); ok && s.opt.Jobs != nil {
		_, err = mail.Queue(r.Context(), tx, s.opt.Jobs, m, now)
	}
	return err
}

// bookingShow is step 6, Conferma: the booked appointment with its code,
// where to go, what to bring, "Aggiungi al tuo calendario" and, while it
// may still be changed, the button to cancel it.
func (s *Server) bookingShow(w http.ResponseWriter, r *http.Request) error {
	a, token, err := s.heldAppointment(r)
	if err != nil {
		return err
	}
	if a.State == booking.Held && !a.Lapsed(s.now()) {
		http.Redirect(w, r, bookingURL(a.Code, token, "dettagli"), http.StatusSeeOther)
		return nil
	}
	p := s.bookingBase(r, "conferma")
	p.Rating = a.State == booking.Confirmed
	v, err := s.bookingView(r, p.basePage, a, token)
	if err != nil {
		return err
	}
	p.Appt, p.Token, p.Channel = v, token, a.Channel
	return s.render(w, r, http.StatusOK, "public/booking", &p)
}

// bookingICS downloads the appointment as an .ics file.
func (s *Server) bookingICS(w http.ResponseWriter, r *http.Request) error {
	a, token, err := s.heldAppointment(r)
	if err != nil {
		return err
	}
	if a.State == booking.Held || a.State == booking.Expired {
		return apperr.New(apperr.NotFound, "")
	}
	e := enteFrom(r.Context())
	p := s.base(r, "booking.title")
	v, err := s.bookingView(r, p, a, token)
	if err != nil {
		return err
	}
	ev := booking.Event{UID: a.Code + "@" + tenant.NormalizeHost(r.Host), Summary: p.T("booking.ics.summary", v.Service, e.Name),
		Location: v.Where, Description: p.T("booking.ics.description", a.Code, s.origin(r)+bookingURL(a.Code, token, "")),
		Start: a.Start, End: a.End, Stamp: a.UpdatedAt, Cancelled: a.State == booking.Cancelled,
		Sequence: int(a.UpdatedAt.Sub(a.CreatedAt) / time.Second)}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="appuntamento-`+a.Code+`.ics"`)
	body := booking.ICS(ev)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, err = w.Write(body)
	return err
}

// movable is the choice of a booked appointment the citizen may still move:
// its service, office and channel.
func (s *Server) movable(r *http.Request, a *booking.Appointment) (bookingChoice, error) {
	v, err := s.bookingView(r, s.base(r, ""), a, "")
	if err != nil {
		return bookingChoice{}, err
	}
	if !v.CanChange {
		return bookingChoice{}, booking.ErrTooLate
	}
	return s.parseBookingChoice(r, url.Values{"servizio": {a.Service}, "ufficio": {officeSlug(enteFrom(r.Context()), a.Office)},
		"canale": {string(a.Channel)}})
}

func officeSlug(e *tenant.Ente, id int64) string {
	for _, o := range e.Offices {
		if o.ID == id {
			return o.Slug
		}
	}
	return ""
}

// bookingMove moves a booked appointment to the chosen time, keeping its
// code, e-mails the new time, and offers the old one to the waiting list,
// all in one transaction.
func (s *Server) bookingMove(w http.ResponseWriter, r *http.Request, a *booking.Appointment, token string) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	now := s.now()
	c, err := s.movable(r, a)
	if err != nil {
		return err
	}
	start, err := time.Parse(time.RFC3339, r.PostFormValue("inizio"))
	if err != nil {
		p := s.bookingBase(r, "data")
		return s.renderBookingDays(w, r, c, http.StatusUnprocessableEntity, p.T("booking.error.time"), a, token)
	}
	hol, err := s.calendarFor(e)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		moved, _, err := booking.Move(ctx, tx, e.ID, hol, *c.office, a.ID, start, false, now)
		if err != nil {
			return err
		}
		if m, ok := s.bookingMail(r, e, moved, token, "confirmed"); ok && s.opt.Jobs != nil {
			if _, err := mail.Queue(ctx, tx, s.opt.Jobs, m, now); err != nil {
				return err
			}
		}
		freed := *a
		freed.State = booking.Cancelled
		return s.offerFreed(r, tx, e, &freed, now)
	})
	if errors.Is(err, booking.ErrTaken) {
		p := s.bookingBase(r, "data")
		return s.renderBookingDays(w, r, c, http.StatusConflict, p.T("booking.error.taken"), a, token)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, bookingURL(a.Code, token, ""), http.StatusSeeOther)
	return nil
}
