package web

import (
	"database/sql"
	"net/http"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// operatorsPage lists the ente's operators and creates new ones.
type operatorsPage struct {
	basePage
	Flash         string
	Errors        []fieldError
	Operators     []operatorRow
	Fields        []inputField
	RoleOptions   []choiceView
	OfficeOptions []choiceView
}

// fieldError is one line of a form's error summary, linked to its field.
type fieldError struct {
	Field, Message string
}

// inputField is one text input of a simple form.
type inputField struct {
	ID, Label, Type, Autocomplete, Value, Error string
}

// operatorRow is one operator in the list.
type operatorRow struct {
	ID                  int64
	Name, Username      string
	Roles               []string
	SecondFactor, State string
	CanDisable          bool
}

// operatorsList shows the operators (ente administrators only).
func (s *Server) operatorsList(w http.ResponseWriter, r *http.Request) error {
	return s.renderOperators(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderOperators(w http.ResponseWriter, r *http.Request, status int, form map[string]string, errs map[string]string) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	p := operatorsPage{basePage: s.base(r, "admin.operators")}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}}
	switch r.URL.Query().Get("ok") {
	case "creato":
		p.Flash = p.T("admin.op.created")
	case "disattivato":
		p.Flash = p.T("admin.op.disabled-done")
	}
	offices, err := tenant.Offices(ctx, s.db, e.ID)
	if err != nil {
		return err
	}
	ops, err := identity.ListOperators(ctx, s.db, e.ID)
	if err != nil {
		return err
	}
	for _, op := range ops {
		row := operatorRow{ID: int64(op.ID), Name: op.Name, Username: op.Username,
			SecondFactor: p.T("admin.op.totp-off"), State: p.T("admin.op.active"),
			CanDisable: !op.Disabled && op.ID != pr.Operator.ID}
		if op.TOTPEnabled {
			row.SecondFactor = p.T("admin.op.totp-on")
		}
		if op.Disabled {
			row.State = p.T("admin.op.disabled")
		}
		for _, g := range op.Grants {
			row.Roles = append(row.Roles, roleLabel(p.basePage, g, offices))
		}
		p.Operators = append(p.Operators, row)
	}
	for _, f := range []struct{ id, key, typ, auto string }{
		{"name", "admin.op.name", "text", "off"},
		{"username", "admin.op.username", "text", "off"},
		{"email", "admin.op.email", "email", "off"},
		{"password", "admin.op.password", "password", "new-password"},
	} {
		in := inputField{ID: f.id, Label: p.T(f.key), Type: f.typ, Autocomplete: f.auto, Error: errs[f.id]}
		if f.id != "password" {
			in.Value = form[f.id]
		}
		p.Fields = append(p.Fields, in)
		if in.Error != "" {
			p.Errors = append(p.Errors, fieldError{Field: f.id, Message: in.Label + ": " + in.Error})
		}
	}
	if msg := errs["office"]; msg != "" {
		p.Errors = append(p.Errors, fieldError{Field: "office", Message: msg})
	}
	for _, role := range []identity.Role{identity.RoleDesk, identity.RoleClerk, identity.RoleHead, identity.RoleAdmin} {
		label := roleLabel(p.basePage, identity.Grant{Role: role}, nil)
		switch role {
		case identity.RoleClerk:
			label = p.T("role.clerk.short")
		case identity.RoleHead:
			label = p.T("role.head.short")
		}
		p.RoleOptions = append(p.RoleOptions, choiceView{Value: string(role), Label: label, Selected: form["role"] == string(role)})
	}
	p.OfficeOptions = append(p.OfficeOptions, choiceView{Value: "", Label: p.T("admin.op.office.none")})
	for _, o := range offices {
		v := strconv.FormatInt(o.ID, 10)
		p.OfficeOptions = append(p.OfficeOptions, choiceView{Value: v, Label: o.Name, Selected: form["office"] == v})
	}
	return s.render(w, r, status, "admin/operators", &p)
}

// operatorCreate adds an operator with one role; they enrol their second
// factor at first login.
func (s *Server) operatorCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	now := s.now()
	lang := langFrom(ctx)
	form := map[string]string{}
	for _, k := range []string{"name", "username", "email", "role", "office"} {
		form[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	errs := map[string]string{}
	for _, k := range []string{"name", "username", "email"} {
		if form[k] == "" {
			errs[k] = s.text.T(lang, "admin.op.error.required")
		}
	}
	role := identity.Role(form["role"])
	grant := identity.Grant{Role: role}
	if role == identity.RoleClerk || role == identity.RoleHead {
		id, err := strconv.ParseInt(form["office"], 10, 64)
		if err != nil {
			errs["office"] = s.text.T(lang, "admin.op.error.office")
		}
		grant.Office = id
	}
	if role.Valid() && !pr.CanGrant(e.ID, []identity.Grant{grant}) {
		return apperr.New(apperr.Forbidden, "")
	}
	if len(errs) > 0 {
		return s.renderOperators(w, r, http.StatusUnprocessableEntity, form, errs)
	}
	var op *identity.Operator
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		op, err = identity.CreateOperator(ctx, tx, e.ID, identity.OperatorInput{
			Username: form["username"], Name: form["name"], Email: form["email"],
			Password: r.PostFormValue("password"), Grants: []identity.Grant{grant},
		}, now)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: audit.ActionRoleChanged,
			Subject: operatorSubject(op.ID), Outcome: audit.Success, Detail: "created with " + string(role)}, now)
	})
	if apperr.Is(err, apperr.Invalid) || apperr.Is(err, apperr.Conflict) {
		errs["password"] = apperr.PublicOf(err)
		if errs["password"] == "" {
			errs["password"] = s.text.T(lang, "error.text.422")
		}
		return s.renderOperators(w, r, http.StatusUnprocessableEntity, form, errs)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/amministrazione-ente/operatori?ok=creato", http.StatusSeeOther)
	return nil
}

// operatorDisable disables an operator and ends their sessions.
func (s *Server) operatorDisable(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	now := s.now()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "")
	}
	target := identity.OperatorID(id)
	if target == pr.Operator.ID {
		return apperr.New(apperr.Conflict, "")
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := identity.Disable(ctx, tx, e.ID, target, now); err != nil {
			return err
		}
		if _, err := identity.EndAllSessions(ctx, tx, e.ID, identity.OperatorSubject(target), now); err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: audit.ActionRoleChanged,
			Subject: operatorSubject(target), Outcome: audit.Success, Detail: "disabled"}, now)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/amministrazione-ente/operatori?ok=disattivato", http.StatusSeeOther)
	return nil
}
