package web

import (
	"database/sql"
	"net/http"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/identity"
)

// deskDocTypes are the identity documents an operator may check, in the
// order the form lists them.
var deskDocTypes = []struct {
	value identity.DocumentType
	key   string
}{
	{identity.DocCIE, "desk.doc.cie"},
	{identity.DocPaperID, "desk.doc.paper-id"},
	{identity.DocPassport, "desk.doc.passport"},
	{identity.DocDrivingLicence, "desk.doc.driving"},
}

// deskDelegationShow is the desk's form to record a delegation.
func (s *Server) deskDelegationShow(w http.ResponseWriter, r *http.Request) error {
	p := delegationPage{basePage: s.base(r, "desk.delegation.title")}
	if r.URL.Query().Get("ok") == "1" {
		p.Flash = p.T("delegations.created")
	}
	return s.renderDeskDelegation(w, r, http.StatusOK, &p, "")
}

func (s *Server) renderDeskDelegation(w http.ResponseWriter, r *http.Request, status int, p *delegationPage, doc string) error {
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}}
	if err := s.fillDelegationChoices(r.Context(), p); err != nil {
		return err
	}
	for _, d := range deskDocTypes {
		p.DocTypes = append(p.DocTypes, choiceView{Value: string(d.value), Label: p.T(d.key), Selected: doc == string(d.value)})
	}
	return s.render(w, r, status, "desk/delegation", p)
}

// deskDelegationCreate records a delegation at the desk: the operator saw
// the delegate's document; its type and number are recorded (no copy is
// kept), as for a filing on behalf.
func (s *Server) deskDelegationCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	now := s.now()
	p := delegationPage{basePage: s.base(r, "desk.delegation.title")}
	in, ok := s.parseDelegationForm(r, &p)
	doc := identity.DocumentType(r.PostFormValue("doc_type"))
	known := false
	for _, d := range deskDocTypes {
		known = known || d.value == doc
	}
	if !known {
		return apperr.New(apperr.Invalid, "")
	}
	var delegator *identity.Citizen
	cf, err := identity.ParseFiscalCode(p.Form.DelegatorCF)
	if err == nil {
		delegator, err = identity.CitizenByFiscalCode(ctx, s.db, e.ID, cf)
	}
	if err != nil {
		if !apperr.Is(err, apperr.NotFound) && !apperr.Is(err, apperr.Invalid) {
			return err
		}
		p.Errors = append([]fieldError{{Field: "delegator_cf", Message: p.T("delegations.error.delegator")}}, p.Errors...)
		ok = false
	}
	if err := identity.ValidateDocumentNumber(doc, strings.TrimSpace(r.PostFormValue("doc_number"))); err != nil {
		p.Errors = append(p.Errors, fieldError{Field: "doc_number", Message: p.T("delegations.error.doc-number")})
		ok = false
	}
	if r.PostFormValue("doc_checked") != "1" {
		p.Errors = append(p.Errors, fieldError{Field: "doc_checked", Message: p.T("delegations.error.doc-checked")})
		ok = false
	}
	if ok && delegator != nil && in.DelegateFiscalCode == delegator.FiscalCode {
		p.Errors = append(p.Errors, fieldError{Field: "delegate_cf", Message: p.T("delegations.error.self")})
		ok = false
	}
	if !ok {
		return s.renderDeskDelegation(w, r, http.StatusUnprocessableEntity, &p, string(doc))
	}
	in.Delegator = delegator.ID
	in.CreatedBy = identity.OperatorSubject(pr.Operator.ID)
	in.DocumentType = doc
	in.DocumentNumber = r.PostFormValue("doc_number")
	in.DocumentChecked = true
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		d, err := identity.CreateDelegation(ctx, tx, e.ID, in, now)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: audit.ActionDelegationCreated,
			Subject: "delegation:" + strconv.FormatInt(int64(d.ID), 10), Outcome: audit.Success, Detail: "desk " + string(doc)}, now)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/sportello/deleghe?ok=1", http.StatusSeeOther)
	return nil
}
