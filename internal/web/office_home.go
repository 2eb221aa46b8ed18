package web

import (
	"net/http"

	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// officeHomePage is the operator's start page: roles and the tools they
// may use.
type officeHomePage struct {
	basePage
	Operator *identity.Operator
	Roles    []string
	Links    []crumb
}

// officeHome greets the operator and lists only the tools their roles
// allow (the same checks the routes make).
func (s *Server) officeHome(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	p := officeHomePage{basePage: s.base(r, "office.title"), Operator: pr.Operator}
	offices, err := tenant.Offices(ctx, s.db, e.ID)
	if err != nil {
		return err
	}
	for _, g := range pr.Operator.Grants {
		p.Roles = append(p.Roles, roleLabel(p.basePage, g, offices))
	}
	res := identity.Resource{Ente: e.ID}
	tools := []struct {
		action identity.Action
		key    string
		url    string
	}{
		{identity.FileOnBehalf, "desk.console.title", "/sportello"},
		{identity.ManageDelegations, "desk.delegation.title", "/sportello/deleghe"},
		{identity.FileOnBehalf, "cert.desk.title", "/sportello/certificati"},
		{identity.ManageOperators, "admin.operators", "/amministrazione-ente/operatori"},
		{identity.EndAnySession, "admin.sessions", "/amministrazione-ente/sessioni"},
		{identity.ViewAudit, "admin.audit", "/amministrazione-ente/registro"},
		{identity.ManageEnte, "catadmin.title", "/amministrazione-ente/servizi"},
		{identity.ManageEnte, "calendars.title", "/amministrazione-ente/calendari"},
	}
	// The queue is per office, which the ente-wide check above cannot see.
	if len(queueOffices(pr, e)) > 0 {
		p.Links = append(p.Links, crumb{Label: p.T("bo.queue.title"), URL: "/ufficio/pratiche"},
			crumb{Label: p.T("office.appointments.title"), URL: "/ufficio/appuntamenti"})
	}
	// Reconciliation is the finance office's, again per office.
	if s.requireFinance(r) == nil {
		p.Links = append(p.Links, crumb{Label: p.T("rec.title"), URL: "/ufficio/riconciliazione"})
	}
	for _, t := range tools {
		if pr.Can(t.action, res) {
			p.Links = append(p.Links, crumb{Label: p.T(t.key), URL: t.url})
		}
	}
	return s.render(w, r, http.StatusOK, "office/home", &p)
}

// roleLabel names a grant in words, with its office.
func roleLabel(p basePage, g identity.Grant, offices []tenant.Office) string {
	office := ""
	for _, o := range offices {
		if o.ID == g.Office {
			office = o.Name
		}
	}
	switch g.Role {
	case identity.RoleDesk:
		return p.T("role.desk")
	case identity.RoleClerk:
		return p.T("role.clerk", office)
	case identity.RoleHead:
		return p.T("role.head", office)
	case identity.RoleAdmin:
		return p.T("role.admin")
	case identity.RoleConsortium:
		return p.T("role.consortium")
	}
	return string(g.Role)
}
