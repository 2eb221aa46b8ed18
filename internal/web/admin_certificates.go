package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/certificate"
)

// certSettingsPage is the ente's stamp-duty and fee settings for
// certificates, edited by its administrators.
type certSettingsPage struct {
	basePage
	Flash  string
	Errors []fieldError
	// Amounts are the euro fields, as typed.
	Amounts          []inputField
	StampOnline      bool
	StampDesk        bool
	ExemptionsOnline bool
	Types            []choiceView
}

// amountFields are the settings' euro fields, by form name.
var amountFields = []struct{ id, label string }{
	{"bollo", "cert.settings.stamp"}, {"diritti_sportello", "cert.settings.fee-desk"},
	{"diritti_esenti", "cert.settings.fee-exempt"}, {"diritti_online", "cert.settings.fee-online"},
}

func (s *Server) certSettingsPage(r *http.Request, set certificate.Settings, typed map[string]string, errs map[string]string) *certSettingsPage {
	p := &certSettingsPage{basePage: s.base(r, "cert.settings.title"), StampOnline: set.StampOnline, StampDesk: set.StampDesk,
		ExemptionsOnline: set.ExemptionsOnline}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}}
	cents := map[string]int64{"bollo": set.StampCents, "diritti_sportello": set.FeeDeskCents, "diritti_esenti": set.FeeExemptCents,
		"diritti_online": set.FeeOnlineCents}
	for _, f := range amountFields {
		v, ok := typed[f.id]
		if !ok {
			v = strings.TrimPrefix(euroText(cents[f.id]), "€ ")
		}
		p.Amounts = append(p.Amounts, inputField{ID: f.id, Label: p.T(f.label), Type: "text", Value: v, Error: errs[f.id]})
		if errs[f.id] != "" {
			p.Errors = append(p.Errors, fieldError{Field: f.id, Message: p.T(f.label) + ": " + errs[f.id]})
		}
	}
	p.Types = certTypeChoices(p.basePage, certificate.Types(), set.ExemptTypes)
	return p
}

// certSettingsShow is GET /amministrazione-ente/certificati.
func (s *Server) certSettingsShow(w http.ResponseWriter, r *http.Request) error {
	set, err := certificate.GetSettings(r.Context(), s.db, enteFrom(r.Context()).ID)
	if err != nil {
		return err
	}
	p := s.certSettingsPage(r, set, nil, nil)
	if r.URL.Query().Get("ok") == "1" {
		p.Flash = p.T("cert.settings.saved")
	}
	return s.render(w, r, http.StatusOK, "admin/certificati", p)
}

// certSettingsSave is POST /amministrazione-ente/certificati: the amounts in
// euros (between 0 and 1.000,00), the channels, the exempt types; saved and
// audited, or the form again with its errors.
func (s *Server) certSettingsSave(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e, pr := enteFrom(ctx), principalFrom(ctx)
	set := certificate.Settings{StampOnline: r.PostFormValue("bollo_online") == "1", StampDesk: r.PostFormValue("bollo_sportello") == "1",
		ExemptionsOnline: r.PostFormValue("esenzioni_online") == "1"}
	for _, v := range r.PostForm["esenti"] {
		if n, err := strconv.Atoi(v); err == nil && !slices.Contains(set.ExemptTypes, certificate.Type(n)) {
			set.ExemptTypes = append(set.ExemptTypes, certificate.Type(n))
		}
	}
	slices.Sort(set.ExemptTypes)
	typed, errs := map[string]string{}, map[string]string{}
	dst := map[string]*int64{"bollo": &set.StampCents, "diritti_sportello": &set.FeeDeskCents, "diritti_esenti": &set.FeeExemptCents,
		"diritti_online": &set.FeeOnlineCents}
	base := s.base(r, "cert.settings.title")
	for _, f := range amountFields {
		typed[f.id] = strings.TrimSpace(r.PostFormValue(f.id))
		c, err := parseEuro(typed[f.id])
		if err != nil || c < 0 || c > certificate.MaxSettingCents {
			errs[f.id] = base.T("cert.settings.bad-amount")
			continue
		}
		*dst[f.id] = c
	}
	if len(errs) == 0 {
		err := certificate.SaveSettings(ctx, s.db, e.ID, set)
		var fe *certificate.FieldError
		switch {
		case errors.As(err, &fe) && fe.Field == "esenti":
			errs["esenti"] = base.T("cert.settings.bad-type")
		case errors.As(err, &fe):
			errs[fe.Field] = base.T("cert.settings.bad-amount")
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		p := s.certSettingsPage(r, set, typed, errs)
		if msg := errs["esenti"]; msg != "" {
			p.Errors = append(p.Errors, fieldError{Field: "esenti-" + strconv.Itoa(int(certificate.Types()[0])), Message: msg})
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "admin/certificati", p)
	}
	err := s.auditAlone(r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: "certificate.settings",
		Subject: "ente:" + strconv.FormatInt(int64(e.ID), 10), Outcome: audit.Success,
		Detail: "bollo " + strconv.FormatInt(set.StampCents, 10) + ", esenti " + set.ExemptTypes.String()})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/amministrazione-ente/certificati?ok=1", http.StatusSeeOther)
	return nil
}
