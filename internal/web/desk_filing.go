package web

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/desk"
	"github.com/sportello/sportello/internal/form"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// filingPage is the form with which an operator starts an online service
// for a citizen, and the page that confirms it.
type filingPage struct {
	basePage
	Services []choiceView
	Modes    []choiceView
	DocTypes []choiceView
	Form     filingForm
	Errors   []fieldError
	// Done is set once the draft exists.
	Done *filingDone
}

// filingForm is what the operator typed.
type filingForm struct {
	FiscalCode, GivenName, FamilyName, DocNumber string
}

// filingDone is the confirmation.
type filingDone struct {
	Service, Citizen, Mode string
	ID                     int64
	Mailed                 bool
}

// HasError reports whether a field has a mistake.
func (p *filingPage) HasError(field string) bool { return p.ErrorOf(field) != "" }

// ErrorOf returns a field's mistake, or "".
func (p *filingPage) ErrorOf(field string) string {
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

var filingModes = []string{"desk", "phone", "home"}

func (s *Server) filingChoices(r *http.Request, p *filingPage, service, mode, doc string) error {
	cat, err := s.catalogFor(r.Context(), enteFrom(r.Context()))
	if err != nil {
		return err
	}
	for _, svc := range cat.All() {
		if _, ok := s.forms[svc.Slug]; ok && svc.Online() {
			p.Services = append(p.Services, choiceView{Value: svc.Slug, Label: svc.Title, Selected: svc.Slug == service})
		}
	}
	for i, m := range filingModes {
		p.Modes = append(p.Modes, choiceView{Value: m, Label: p.T("desk.filing.mode." + m), Checked: m == mode || (mode == "" && i == 0)})
	}
	for _, d := range deskDocTypes {
		p.DocTypes = append(p.DocTypes, choiceView{Value: string(d.value), Label: p.T(d.key), Selected: string(d.value) == doc})
	}
	return nil
}

// deskFilingShow is the form to start a service for a citizen.
func (s *Server) deskFilingShow(w http.ResponseWriter, r *http.Request) error {
	p := filingPage{basePage: s.base(r, "desk.filing.title"), Form: filingForm{FiscalCode: r.URL.Query().Get("cittadino")}}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}, {p.T("desk.console.title"), "/sportello"}}
	if err := s.filingChoices(r, &p, r.URL.Query().Get("servizio"), "", ""); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "desk/filing", &p)
}

// deskFilingCreate identifies the citizen (at the desk or at home with a
// document checked, or by phone), records their consent, and starts the
// service as a draft in their name, prefilled from their profile. In
// person, the operator goes on to fill in the form with the citizen and
// send it (desk_filing_form.go). By phone the draft waits for the
// citizen: it shows in their personal area after a SPID or CIE login,
// where they check and send it; they are told by e-mail when they have an
// address.
func (s *Server) deskFilingCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	now := s.now()
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "desk: filing: %w", err)
	}
	p := filingPage{basePage: s.base(r, "desk.filing.title"), Form: filingForm{FiscalCode: strings.TrimSpace(r.PostFormValue("fiscal_code")),
		GivenName: strings.TrimSpace(r.PostFormValue("given_name")), FamilyName: strings.TrimSpace(r.PostFormValue("family_name"))}}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}, {p.T("desk.console.title"), "/sportello"}}
	mode, doc := r.PostFormValue("mode"), r.PostFormValue("doc_type")
	if err := s.filingChoices(r, &p, r.PostFormValue("service"), mode, doc); err != nil {
		return err
	}
	add := func(field, key string) { p.Errors = append(p.Errors, fieldError{Field: field, Message: p.T(key)}) }
	cf, err := identity.ParseFiscalCode(p.Form.FiscalCode)
	if err != nil {
		add("fiscal_code", "desk.filing.error.cf")
	}
	var citizen *identity.Citizen
	if err == nil {
		citizen, err = identity.CitizenByFiscalCode(ctx, s.db, e.ID, cf)
		if apperr.Is(err, apperr.NotFound) && (p.Form.GivenName == "" || p.Form.FamilyName == "") {
			add("given_name", "desk.filing.error.name")
		} else if err != nil && !apperr.Is(err, apperr.NotFound) {
			return err
		}
	}
	svc, def, err := s.enteDefinition(r, r.PostFormValue("service"))
	if err != nil {
		add("service", "desk.filing.error.service")
	}
	if !slices.Contains(filingModes, mode) {
		add("mode-desk", "desk.filing.error.mode")
	}
	if mode != "phone" {
		if err := identity.ValidateDocumentNumber(identity.DocumentType(doc), r.PostFormValue("doc_number")); err != nil {
			add("doc_number", "delegations.error.doc-number")
		}
		if r.PostFormValue("doc_checked") != "1" {
			add("doc_checked", "delegations.error.doc-checked")
		}
	}
	if r.PostFormValue("consent") != "1" {
		add("consent", "desk.filing.error.consent")
	}
	if len(p.Errors) > 0 {
		return s.render(w, r, http.StatusUnprocessableEntity, "desk/filing", &p)
	}
	office, err := tenant.GetOffice(ctx, s.db, e.ID, svc.Office)
	if err != nil {
		return fmt.Errorf("service %s: office %q: %w", svc.Slug, svc.Office, err)
	}
	var draft *pratica.Pratica
	mailed := false
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if citizen == nil {
			if citizen, _, err = identity.EnsureCitizen(ctx, tx, e.ID, identity.CitizenInput{FiscalCode: cf,
				GivenName: p.Form.GivenName, FamilyName: p.Form.FamilyName}, now); err != nil {
				return err
			}
		}
		raw, err := json.Marshal(def.Prefill(form.Profile{GivenName: citizen.GivenName, FamilyName: citizen.FamilyName,
			FiscalCode: citizen.FiscalCode, Email: citizen.Email, Phone: citizen.Phone}))
		if err != nil {
			return err
		}
		draft, err = pratica.CreateDraft(ctx, tx, e.ID, pratica.DraftInput{Service: svc.Slug, ServiceVersion: svc.Version,
			FormVersion: def.Version, Title: svc.Title, Citizen: citizen.ID, FiledBy: identity.OperatorSubject(pr.Operator.ID), Office: office.ID,
			Fee: svc.FeeCents, Term: pratica.Term{Days: svc.TermDays, Working: svc.TermWorkingDays, SilentAssent: svc.SilentAssent}}, now)
		if err != nil {
			return err
		}
		if err := pratica.SaveDraft(ctx, tx, e.ID, draft.ID, raw, nil, now); err != nil {
			return err
		}
		if err := desk.RecordFiling(ctx, tx, e.ID, &desk.Filing{Pratica: int64(draft.ID), Citizen: citizen.ID,
			Operator: pr.Operator.ID, Mode: mode, DocType: identity.DocumentType(doc), DocNumber: r.PostFormValue("doc_number"),
			Consent: true, CreatedAt: now}); err != nil {
			return err
		}
		if mode == "phone" && citizen.Email != "" && s.opt.Jobs != nil {
			if _, err := mail.Queue(ctx, tx, s.opt.Jobs, mail.Message{Ente: e.ID, To: citizen.Email, Kind: "desk-filing",
				Ref: praticaSubject(draft.ID), Subject: s.mailText("mail.desk.filing.subject", svc.Title),
				Text: s.mailText("mail.desk.filing.text", citizen.GivenName, svc.Title, s.origin(r)+"/area-personale/pratiche",
					e.Name)}, now); err != nil {
				return err
			}
			mailed = true
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: "pratica.filed_on_behalf",
			Subject: praticaSubject(draft.ID), Outcome: audit.Success, Detail: "mode " + mode + ", service " + svc.Slug}, now)
	})
	if err != nil {
		return err
	}
	if mode != "phone" {
		http.Redirect(w, r, s.deskFiler(r).stepURL(draft.ID, def.Steps()[1]), http.StatusSeeOther)
		return nil
	}
	p.Done = &filingDone{Service: svc.Title, Citizen: citizen.GivenName + " " + citizen.FamilyName,
		Mode: p.T("desk.filing.mode." + mode), ID: int64(draft.ID), Mailed: mailed}
	return s.render(w, r, http.StatusOK, "desk/filing", &p)
}
