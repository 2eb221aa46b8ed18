package web

import (
	"context"
	"database/sql"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/identity"
)

// delegationForm is what the delegation forms submit, kept to re-show it.
type delegationForm struct {
	DelegatorCF, DelegateCF, DelegateName, Scope, Until string
	Services                                            []string
}

// delegationPage is the citizen's delegations and the desk's form.
type delegationPage struct {
	basePage
	Flash    string
	Errors   []fieldError
	Form     delegationForm
	Services []choiceView
	DocTypes []choiceView
	Given    []delegationRow
	Received []delegationRow
}

// HasError reports whether the field has an error, for the templates.
func (p *delegationPage) HasError(field string) bool { return p.ErrorOf(field) != "" }

// ErrorOf returns the field's error message.
func (p *delegationPage) ErrorOf(field string) string {
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// delegationRow is one delegation as listed.
type delegationRow struct {
	ID                                int64
	Delegate, Delegator, Scope, Until string
	State                             string
	Active                            bool
}

// maxDelegation bounds how long a delegation may last.
const maxDelegation = 366 * 24 * time.Hour

// parseDelegationForm reads and checks the shared fields; problems are
// returned in form order for the error summary.
func (s *Server) parseDelegationForm(r *http.Request, p *delegationPage) (identity.DelegationInput, bool) {
	lang := langFrom(r.Context())
	f := delegationForm{
		DelegatorCF:  strings.ToUpper(strings.TrimSpace(r.PostFormValue("delegator_cf"))),
		DelegateCF:   strings.ToUpper(strings.TrimSpace(r.PostFormValue("delegate_cf"))),
		DelegateName: strings.TrimSpace(r.PostFormValue("delegate_name")),
		Scope:        r.PostFormValue("scope"),
		Until:        r.PostFormValue("until"),
		Services:     r.PostForm["service"],
	}
	p.Form = f
	in := identity.DelegationInput{DelegateName: f.DelegateName}
	add := func(field, key string) {
		p.Errors = append(p.Errors, fieldError{Field: field, Message: s.text.T(lang, key)})
	}
	cf, err := identity.ParseFiscalCode(f.DelegateCF)
	if err != nil {
		add("delegate_cf", "delegations.error.cf")
	}
	in.DelegateFiscalCode = cf
	if f.DelegateName == "" {
		add("delegate_name", "delegations.error.name")
	}
	if f.Scope == "some" {
		cat, err := s.catalogFor(r.Context(), enteFrom(r.Context()))
		if err != nil {
			return in, false
		}
		for _, svc := range f.Services {
			if _, err := cat.Get(svc); err != nil {
				return in, false
			}
		}
		if len(f.Services) == 0 {
			add("services", "delegations.error.services")
		}
		in.Services = f.Services
	}
	today := calendar.DateOf(s.now().In(rome))
	until, err := calendar.ParseDate(f.Until)
	if err != nil || !until.After(today) || until.After(calendar.DateOf(s.now().In(rome).Add(maxDelegation))) {
		add("until", "delegations.error.until")
	}
	in.ValidUntil = until
	return in, len(p.Errors) == 0
}

// fillDelegationChoices fills the service checkboxes.
func (s *Server) fillDelegationChoices(ctx context.Context, p *delegationPage) error {
	cat, err := s.catalogFor(ctx, p.Ente)
	if err != nil {
		return err
	}
	for _, svc := range cat.All() {
		p.Services = append(p.Services, choiceView{Value: svc.Slug, Label: svc.Title, Checked: slices.Contains(p.Form.Services, svc.Slug)})
	}
	return nil
}

// delegationsList shows the delegations the citizen gave and received.
func (s *Server) delegationsList(w http.ResponseWriter, r *http.Request) error {
	p := delegationPage{basePage: s.base(r, "delegations.title")}
	switch r.URL.Query().Get("ok") {
	case "creata":
		p.Flash = p.T("delegations.created")
	case "revocata":
		p.Flash = p.T("delegations.revoked")
	}
	return s.renderDelegations(w, r, http.StatusOK, &p)
}

func (s *Server) renderDelegations(w http.ResponseWriter, r *http.Request, status int, p *delegationPage) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}, {p.T("area.title"), "/area-personale"}}
	if err := s.fillDelegationChoices(ctx, p); err != nil {
		return err
	}
	cat, err := s.catalogFor(ctx, e)
	if err != nil {
		return err
	}
	today := calendar.DateOf(s.now().In(rome))
	given, err := identity.ListDelegations(ctx, s.db, e.ID, identity.DelegationFilter{Delegator: pr.Citizen.ID})
	if err != nil {
		return err
	}
	for _, d := range given {
		p.Given = append(p.Given, s.delegationRow(p.basePage, cat, d, today, d.DelegateName))
	}
	received, err := identity.ListDelegations(ctx, s.db, e.ID, identity.DelegationFilter{DelegateFiscalCode: pr.Citizen.FiscalCode})
	if err != nil {
		return err
	}
	for _, d := range received {
		row := s.delegationRow(p.basePage, cat, d, today, "")
		if c, err := identity.GetCitizen(ctx, s.db, e.ID, d.Delegator); err == nil {
			row.Delegator = c.GivenName + " " + c.FamilyName
		}
		if row.Active {
			p.Received = append(p.Received, row)
		}
	}
	return s.render(w, r, status, "citizen/delegations", p)
}

func (s *Server) delegationRow(p basePage, cat *catalog.Catalog, d *identity.Delegation, today calendar.Date, delegate string) delegationRow {
	row := delegationRow{ID: int64(d.ID), Delegate: delegate, Until: d.ValidUntil.In(rome).Format("02/01/2006"),
		Scope: p.T("delegations.scope.all-short"), Active: d.RevokedAt.IsZero() && !d.ValidUntil.Before(today)}
	if len(d.Services) > 0 {
		var names []string
		for _, slug := range d.Services {
			if svc, err := cat.Get(slug); err == nil {
				names = append(names, svc.Title)
			}
		}
		row.Scope = strings.Join(names, ", ")
	}
	switch {
	case !d.RevokedAt.IsZero():
		row.State = p.T("delegations.state.revoked")
	case !row.Active:
		row.State = p.T("delegations.state.expired")
	}
	return row
}

// delegationCreate records a delegation the citizen gives online.
func (s *Server) delegationCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	now := s.now()
	p := delegationPage{basePage: s.base(r, "delegations.title")}
	in, ok := s.parseDelegationForm(r, &p)
	if ok && in.DelegateFiscalCode == pr.Citizen.FiscalCode {
		p.Errors = append(p.Errors, fieldError{Field: "delegate_cf", Message: p.T("delegations.error.self")})
		ok = false
	}
	if !ok {
		return s.renderDelegations(w, r, http.StatusUnprocessableEntity, &p)
	}
	in.Delegator = pr.Citizen.ID
	in.CreatedBy = identity.CitizenSubject(pr.Citizen.ID)
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		d, err := identity.CreateDelegation(ctx, tx, e.ID, in, now)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: citizenActor(pr.Citizen.ID), Action: audit.ActionDelegationCreated,
			Subject: "delegation:" + strconv.FormatInt(int64(d.ID), 10), Outcome: audit.Success}, now)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/area-personale/deleghe?ok=creata", http.StatusSeeOther)
	return nil
}

// delegationRevoke revokes one of the citizen's own delegations.
func (s *Server) delegationRevoke(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	now := s.now()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "")
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := identity.RevokeDelegation(ctx, tx, e.ID, pr.Citizen.ID, identity.DelegationID(id), now); err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: citizenActor(pr.Citizen.ID), Action: audit.ActionDelegationRevoked,
			Subject: "delegation:" + strconv.FormatInt(id, 10), Outcome: audit.Success}, now)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/area-personale/deleghe?ok=revocata", http.StatusSeeOther)
	return nil
}
