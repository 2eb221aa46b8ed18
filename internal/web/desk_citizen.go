package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/desk"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/pratica"
)

// viewReasons are why an operator may open a citizen's data; the one
// chosen goes to the audit log with the view.
var viewReasons = []string{"desk", "phone", "home", "delegation", "office-check"}

// deskCitizenPage is the desk's search of a citizen and, once a reason is
// given, their 360° view.
type deskCitizenPage struct {
	basePage
	Query   string
	Results []deskCitizenRow
	Problem string
	// Citizen is the one shown; Reasons the choice before showing.
	Citizen      *identity.Citizen
	Reasons      []choiceView
	Reason       string
	Pratiche     []deskPraticaRow
	Appointments []appointmentRow
	Contacts     []deskContactRow
	Payments     []deskPaymentRow

	// Docs is the Documenti section (desk_citizen_documents.go).
	Docs deskCitizenDocs
}

// deskPaymentRow is one of the citizen's notices; Notice links the avviso
// to print while the notice is payable.
type deskPaymentRow struct {
	Description, Amount, Due, State, NAV, Notice string
}

// deskCitizenRow is one search result; the fiscal code is masked.
type deskCitizenRow struct {
	Name, FiscalCode, URL string
}

// deskPraticaRow is one of the citizen's pratiche.
type deskPraticaRow struct {
	ID                              int64
	Title, State, Protocol, Updated string
}

// deskContactRow is one past contact.
type deskContactRow struct {
	When, Kind, Channel, Result string
	Minutes                     int
}

// deskCitizenSearch finds a citizen by exact fiscal code or by name.
func (s *Server) deskCitizenSearch(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	p := deskCitizenPage{basePage: s.base(r, "desk.citizen.title"), Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}, {p.T("desk.console.title"), "/sportello"}}
	if p.Query != "" {
		var found []*identity.Citizen
		if cf, err := identity.ParseFiscalCode(p.Query); err == nil {
			c, err := identity.CitizenByFiscalCode(ctx, s.db, e.ID, cf)
			if err != nil && !apperr.Is(err, apperr.NotFound) {
				return err
			}
			if c != nil {
				found = append(found, c)
			}
		} else {
			var err error
			found, err = identity.FindCitizens(ctx, s.db, e.ID, p.Query, 50)
			if apperr.Is(err, apperr.Invalid) {
				p.Problem = p.T("desk.citizen.too-short")
			} else if err != nil {
				return err
			}
		}
		for _, c := range found {
			p.Results = append(p.Results, deskCitizenRow{Name: c.GivenName + " " + c.FamilyName,
				FiscalCode: identity.MaskFiscalCode(c.FiscalCode), URL: "/sportello/cittadini/" + strconv.FormatInt(int64(c.ID), 10)})
		}
		if len(found) == 0 && p.Problem == "" {
			p.Problem = p.T("desk.citizen.none")
		}
	}
	return s.render(w, r, http.StatusOK, "desk/citizen", &p)
}

// deskCitizenShow is the citizen's 360° view: asked for a reason first,
// then shown and audited as citizen.viewed with that reason.
func (s *Server) deskCitizenShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "")
	}
	c, err := identity.GetCitizen(ctx, s.db, e.ID, identity.CitizenID(id))
	if err != nil {
		return err
	}
	p := deskCitizenPage{basePage: s.base(r, "desk.citizen.title"), Citizen: c, Reason: r.URL.Query().Get("motivo")}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}, {p.T("desk.citizen.title"), "/sportello/cittadini"}}
	if !slices.Contains(viewReasons, p.Reason) {
		p.Reason = ""
		for i, v := range viewReasons {
			p.Reasons = append(p.Reasons, choiceView{Value: v, Label: p.T("desk.reason." + v), Checked: i == 0})
		}
		return s.render(w, r, http.StatusOK, "desk/citizen", &p)
	}
	err = s.auditAlone(r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: audit.ActionCitizenViewed,
		Subject: citizenSubject(c.ID), Outcome: audit.Success, Detail: "desk view, reason " + p.Reason})
	if err != nil {
		return err
	}
	list, err := pratica.ListForCitizen(ctx, s.db, e.ID, c.ID, pratica.Filter{Limit: 50})
	if err != nil {
		return err
	}
	cat, err := s.catalogFor(ctx, e)
	if err != nil {
		return err
	}
	for _, x := range list {
		p.Pratiche = append(p.Pratiche, deskPraticaRow{ID: int64(x.ID), Title: serviceTitle(cat, x.Service, x.Title),
			State: p.T("pratica.state." + string(x.State)), Protocol: x.ProtocolDisplay(),
			Updated: x.UpdatedAt.In(rome).Format("02/01/2006")})
	}
	appts, err := booking.ForFiscalCode(ctx, s.db, e.ID, c.FiscalCode, 50)
	if err != nil {
		return err
	}
	for _, a := range appts {
		v, err := s.bookingView(r, p.basePage, a, "")
		if err != nil {
			return err
		}
		p.Appointments = append(p.Appointments, appointmentRow{Code: a.Code, Service: v.Service, When: v.When, Where: v.Where, State: v.State})
	}
	contacts, err := desk.ForCitizen(ctx, s.db, e.ID, c.ID, 50)
	if err != nil {
		return err
	}
	for _, x := range contacts {
		p.Contacts = append(p.Contacts, deskContactRow{When: x.At.In(rome).Format("02/01/2006 15:04"),
			Kind: p.T("desk.kind." + x.Kind), Channel: p.T("desk.channel." + string(x.Channel)),
			Result: p.T("desk.result." + x.Result), Minutes: x.Minutes})
	}
	if err := s.deskPayments(r, &p); err != nil {
		return err
	}
	// Documenti: receipts, outcomes, certificates, identity documents checked.
	if p.Docs, err = s.deskCitizenDocuments(r, p.basePage, c); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "desk/citizen", &p)
}

// deskPayments lists the citizen's payment notices, with the avviso of each
// payable one to print for them (deskNoticePrint).
func (s *Server) deskPayments(r *http.Request, p *deskCitizenPage) error {
	ctx := r.Context()
	pays, err := payment.ForCitizen(ctx, s.db, p.Ente.ID, p.Citizen.ID)
	if err != nil {
		return err
	}
	base := "/sportello/cittadini/" + strconv.FormatInt(int64(p.Citizen.ID), 10) + "/pagamenti/"
	for _, x := range pays {
		row := deskPaymentRow{Description: x.Description, Amount: pagopa.Cents(x.Amount).Italian(),
			Due: x.Due.In(rome).Format("02/01/2006"), State: p.T("payment.state." + string(x.State)), NAV: groupsOfFour(x.NAV)}
		if x.Payable() && s.opt.NoticePDF != nil {
			row.Notice = base + strconv.FormatInt(int64(x.ID), 10) + "/avviso?motivo=" + p.Reason
		}
		p.Payments = append(p.Payments, row)
	}
	return nil
}

// groupsOfFour prints a notice code as the avviso does: 3010 0000 …
func groupsOfFour(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// deskNoticePrint downloads the avviso of one of a citizen's payable
// notices, to print it at the desk; like the citizen view it needs a
// reason, and the audit log records the print with it.
func (s *Server) deskNoticePrint(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	cid, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "")
	}
	pid, err := strconv.ParseInt(r.PathValue("payment"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "")
	}
	reason := r.URL.Query().Get("motivo")
	if !slices.Contains(viewReasons, reason) {
		return apperr.New(apperr.Invalid, "")
	}
	pay, err := payment.GetForCitizen(ctx, s.db, e.ID, identity.CitizenID(cid), payment.ID(pid))
	if err != nil {
		return err
	}
	if !pay.Payable() || s.opt.NoticePDF == nil {
		return apperr.New(apperr.NotFound, "")
	}
	b, err := s.opt.NoticePDF(ctx, e, pay)
	if err != nil {
		return err
	}
	err = s.auditAlone(r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: audit.ActionCitizenViewed,
		Subject: citizenSubject(pay.Citizen), Outcome: audit.Success,
		Detail: "desk printed the avviso of payment " + strconv.FormatInt(pid, 10) + ", reason " + reason})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="avviso-`+pay.NAV+`.pdf"`)
	_, err = w.Write(b)
	return err
}

// AppointmentTable is the citizen's appointments for the shared template.
func (p *deskCitizenPage) AppointmentTable() appointmentTable {
	return appointmentTable{p, p.Appointments}
}
