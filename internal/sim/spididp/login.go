package spididp

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"slices"
	"strconv"

	"github.com/sportello/sportello/internal/apperr"
)

// maxLoginForm bounds the login page's form, which holds a few short fields.
const maxLoginForm = 16 << 10

// levelLabels describe the SPID levels on the login page.
var levelLabels = [4]string{
	1: "Livello 1: nome utente e password",
	2: "Livello 2: password e codice temporaneo (OTP)",
	3: "Livello 3: certificato qualificato su dispositivo sicuro",
}

// renderLogin shows the identities, levels and faults for a pending login.
func (p *IdP) renderLogin(w http.ResponseWriter, r *http.Request, status int, pend *pending, problem string) error {
	page := loginPage{
		chrome:     p.chrome("Accesso"),
		PendingKey: pend.Key,
		SPName:     pend.SP.Name,
		SPEntityID: pend.SP.EntityID,
		Level:      pend.Checked.Level,
		Comparison: pend.Checked.Comparison,
		Problem:    problem,
	}
	for i, id := range p.cfg.Identities {
		page.Identities = append(page.Identities, identityOption{
			Index: i, Name: id.Name + " " + id.FamilyName, FiscalCode: id.FiscalCode,
			Email: id.Email, Phone: id.MobilePhone, Description: id.Description, Checked: i == 0,
		})
	}
	for l := 1; l <= 3; l++ {
		page.Levels = append(page.Levels, levelOption{
			Value: l, Label: levelLabels[l], Requested: l == pend.Checked.Level, Checked: l == pend.Checked.Level,
		})
	}
	for i, f := range faultLabels {
		page.Faults = append(page.Faults, faultOption{Index: i, Value: string(f.Fault), Label: f.Label, Checked: f.Fault == FaultNone})
	}
	return p.render(w, r, status, "login.html", page)
}

// loginSubmit turns the tester's choice into the Response the SP gets:
// "Annulla" is the user's cancellation (nr25), "Accedi" logs in as the
// chosen person at the chosen level, with the chosen fault.
func (p *IdP) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginForm)
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "login form: %w", err)
	}
	pend, err := p.peekPending(r.PostForm.Get("pending"))
	if err != nil {
		return err
	}
	now := p.cfg.Now()
	idp := p.EntityID(r)
	acs := pend.Checked.ACS.Location
	form := &postForm{Action: acs, Field: "SAMLResponse", RelayState: pend.RelayState, SPName: pend.SP.Name}

	fault := Fault(r.PostForm.Get("fault"))
	if r.PostForm.Get("action") == "annulla" {
		fault = FaultCancelled
	}
	if !fault.known() {
		return p.renderLogin(w, r, http.StatusBadRequest, pend, "Scegli un esito tra quelli elencati.")
	}
	if code, ok := fault.anomalyCode(); ok {
		b, err := p.anomalyResponse(now, idp, acs, pend.RequestID, code)
		if err != nil {
			return err
		}
		form.Value = base64.StdEncoding.EncodeToString(b)
		return p.answer(w, r, pend, form, fault)
	}
	if fault == FaultReplay {
		p.mu.Lock()
		form.Value = p.lastResponse[pend.SP.EntityID]
		p.mu.Unlock()
		if form.Value == "" {
			return p.renderLogin(w, r, http.StatusConflict, pend,
				"Non c'è una risposta precedente da ripetere per questo servizio: prima esegui un accesso senza errori.")
		}
		return p.answer(w, r, pend, form, fault)
	}

	i, err := strconv.Atoi(r.PostForm.Get("identity"))
	if err != nil || i < 0 || i >= len(p.cfg.Identities) {
		return p.renderLogin(w, r, http.StatusBadRequest, pend, "Scegli una delle identità di prova.")
	}
	level, err := strconv.Atoi(r.PostForm.Get("level"))
	if err != nil || level < 1 || level > 3 {
		return p.renderLogin(w, r, http.StatusBadRequest, pend, "Scegli un livello tra 1 e 3.")
	}
	g := grant{
		Now: now, IdP: idp, SP: pend.SP.EntityID, ACS: acs, RequestID: pend.RequestID,
		Identity: p.cfg.Identities[i], Level: level, NameID: newID(), SessionIndex: newID(), Fault: fault,
	}
	if pend.Checked.HasAttrs {
		g.Attributes = []string{}
		for _, a := range pend.SP.AttributeSets[pend.Checked.AttrIndex] {
			if slices.Contains(p.attributes(), a) {
				g.Attributes = append(g.Attributes, a)
			}
		}
	}
	b, err := p.successResponse(g)
	if err != nil {
		return err
	}
	form.Value = base64.StdEncoding.EncodeToString(b)
	if fault == FaultNone {
		p.mu.Lock()
		if len(p.lastResponse) >= spCacheSize {
			clear(p.lastResponse)
		}
		p.lastResponse[pend.SP.EntityID] = form.Value
		p.mu.Unlock()
		p.addSession(&session{
			Index: g.SessionIndex, SP: pend.SP, NameID: g.NameID,
			Person: g.Identity.Name + " " + g.Identity.FamilyName, Level: level, Created: now,
		})
	}
	return p.answer(w, r, pend, form, fault)
}

// answer consumes the pending login and shows the page that posts the
// Response to the SP.
func (p *IdP) answer(w http.ResponseWriter, r *http.Request, pend *pending, form *postForm, fault Fault) error {
	p.takePending(pend.Key)
	p.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "spididp: response sent",
		slog.String("sp", pend.SP.EntityID), slog.String("request", pend.RequestID), slog.String("fault", string(fault)))
	return p.render(w, r, http.StatusOK, "post.html", postPage{
		chrome: p.chrome("Ritorno al servizio"), Form: *form, Auto: true,
	})
}
