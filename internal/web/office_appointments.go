package web

import (
	"net/http"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/tenant"
)

// officeAppointmentDays is how many days, today included, the clerks'
// list of appointments shows.
const officeAppointmentDays = 7

// officeAppointmentsPage is an office's appointments for today and the
// days ahead, for its clerks and head.
type officeAppointmentsPage struct {
	basePage
	Offices []choiceView
	Office  string
	Days    []officeAppointmentDay
}

// officeAppointmentDay is one day of the list.
type officeAppointmentDay struct {
	Label string
	Rows  []officeAppointmentRow
}

// officeAppointmentRow is one appointment.
type officeAppointmentRow struct {
	Time, Name, Service, Channel, Calendar, State string
}

// officeAppointments lists the appointments of an office the signed-in
// clerk or head works in (the first when none is asked for), day by day;
// another office's is NotFound, and operators of no office are refused.
func (s *Server) officeAppointments(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	offices, err := requireQueue(r)
	if err != nil {
		return err
	}
	office := offices[0]
	if slug := r.URL.Query().Get("ufficio"); slug != "" {
		i := -1
		for j, o := range offices {
			if o.Slug == slug {
				i = j
			}
		}
		if i < 0 {
			return apperr.Errorf(apperr.NotFound, "office %q is not among the operator's", slug)
		}
		office = offices[i]
	}
	p := officeAppointmentsPage{basePage: s.base(r, "office.appointments.title"), Office: office.Slug}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}}
	for _, o := range offices {
		p.Offices = append(p.Offices, choiceView{Value: o.Slug, Label: o.Name, Selected: o.Slug == office.Slug})
	}
	today := calendar.DateOf(s.now().In(rome))
	list, err := booking.ForDays(ctx, s.db, e.ID, office.ID, today, officeAppointmentDays)
	if err != nil {
		return err
	}
	names, err := s.calendarNames(r, e, office)
	if err != nil {
		return err
	}
	cat, err := s.catalogFor(ctx, e)
	if err != nil {
		return err
	}
	for i := range officeAppointmentDays {
		day := today.AddDays(i)
		d := officeAppointmentDay{Label: day.In(rome).Format("02/01/2006")}
		for _, a := range list {
			if calendar.DateOf(a.Start.In(rome)) != day {
				continue
			}
			d.Rows = append(d.Rows, officeAppointmentRow{Time: a.Start.In(rome).Format("15:04"), Name: a.Name,
				Service: serviceTitle(cat, a.Service, a.Service), Channel: p.T("booking.channel." + string(a.Channel)),
				Calendar: names[a.Calendar], State: p.T("booking.state." + string(a.State))})
		}
		p.Days = append(p.Days, d)
	}
	return s.render(w, r, http.StatusOK, "office/appointments", &p)
}

// calendarNames names an office's calendars by id.
func (s *Server) calendarNames(r *http.Request, e *tenant.Ente, office tenant.Office) (map[booking.CalendarID]string, error) {
	cals, err := booking.Calendars(r.Context(), s.db, e.ID, booking.CalendarFilter{Office: office.ID})
	if err != nil {
		return nil, err
	}
	out := map[booking.CalendarID]string{}
	for _, c := range cals {
		out[c.ID] = c.Name
	}
	return out, nil
}
