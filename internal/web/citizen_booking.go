package web

import (
	"net/http"

	"github.com/sportello/sportello/internal/booking"
)

// appointmentsPage is the Appuntamenti tab of the personal area.
type appointmentsPage struct {
	basePage
	Tabs     []tab
	Upcoming []appointmentRow
	Past     []appointmentRow
}

// appointmentRow is one appointment in the citizen's list.
type appointmentRow struct {
	Code, Service, When, Where, State string
}

// appointmentsList lists the citizen's appointments: booked logged in, or
// without login under their fiscal code. The page gives no manage link:
// that needs the token of the confirmation e-mail, which only whoever
// booked holds; the office changes the others.
func (s *Server) appointmentsList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	now := s.now()
	p := appointmentsPage{basePage: s.base(r, "booking.area.title")}
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}, {p.T("area.title"), "/area-personale"}}
	p.Tabs = areaTabs(p.basePage, "/area-personale/appuntamenti")
	list, err := booking.ForCitizen(ctx, s.db, e.ID, int64(pr.Citizen.ID), pr.Citizen.FiscalCode, now)
	if err != nil {
		return err
	}
	for _, a := range list {
		v, err := s.bookingView(r, p.basePage, a, "")
		if err != nil {
			return err
		}
		row := appointmentRow{Code: a.Code, Service: v.Service, When: v.When, Where: v.Where, State: v.State}
		if a.Start.After(now) && a.State.Active() {
			p.Upcoming = append([]appointmentRow{row}, p.Upcoming...)
		} else {
			p.Past = append(p.Past, row)
		}
	}
	return s.render(w, r, http.StatusOK, "citizen/appointments", &p)
}

// appointmentTable is what the "appointment-table" template takes.
type appointmentTable struct {
	Page texter
	Rows []appointmentRow
}

// UpcomingTable is the table of appointments to come.
func (p *appointmentsPage) UpcomingTable() appointmentTable { return appointmentTable{p, p.Upcoming} }

// PastTable is the table of past, cancelled and closed appointments.
func (p *appointmentsPage) PastTable() appointmentTable { return appointmentTable{p, p.Past} }
