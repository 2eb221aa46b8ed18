package web

import (
	"database/sql"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/identity"
)

// dashboardPage is the Scrivania of the personal area.
type dashboardPage struct {
	basePage
	Citizen    *identity.Citizen
	FiscalCode string
	// NewIdP names the identity provider used for the first time, right
	// after such a login.
	NewIdP    string
	ActingFor string
	Tabs      []tab
}

// tab is one section of the personal area's menu.
type tab struct {
	Label, URL string
	Current    bool
}

// areaTabs are the sections of the personal area (Modello Comuni) that
// exist so far; Messaggi and Pagamenti join when their services do,
// rather than as links that lead nowhere. Documenti holds the registry
// certificates.
func areaTabs(p basePage, current string) []tab {
	items := []struct{ key, url string }{
		{"area.tab.desk", "/area-personale"},
		{"area.tab.pratiche", "/area-personale/pratiche"},
		{"area.tab.payments", "/area-personale/pagamenti"},
		{"area.tab.appointments", "/area-personale/appuntamenti"},
		{"area.tab.documenti", "/area-personale/certificati"},
	}
	out := make([]tab, 0, len(items))
	for _, it := range items {
		out = append(out, tab{Label: p.T(it.key), URL: it.url, Current: it.url == current})
	}
	return out
}

// dashboardShow is the citizen's Scrivania.
func (s *Server) dashboardShow(w http.ResponseWriter, r *http.Request) error {
	pr := principalFrom(r.Context())
	p := dashboardPage{basePage: s.base(r, "area.title"), Citizen: pr.Citizen, FiscalCode: pr.Citizen.FiscalCode}
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}}
	p.Tabs = areaTabs(p.basePage, "/area-personale")
	if name := r.URL.Query().Get("nuovo-gestore"); name != "" {
		// Only a name we list is echoed: the parameter can't be used to
		// put arbitrary text on the page.
		for _, idp := range s.identityProviders(r) {
			if idp.Name == name && idp.EntityID == pr.Session.IdP {
				p.NewIdP = name
			}
		}
	}
	return s.render(w, r, http.StatusOK, "citizen/dashboard", &p)
}

// profilePage shows contacts, channels, identity providers and sessions.
type profilePage struct {
	basePage
	Citizen  *identity.Citizen
	Flash    string
	Problem  string
	Contacts []contactView
	Channels []choiceView
	IdPs     []idpUseView
	Sessions []sessionView
}

// contactView is one confirmable contact on the profile page.
type contactView struct {
	Kind, Label, InputType, Autocomplete, Value, State string
	// Pending shows the code field: a code was just sent.
	Pending bool
}

// choiceView is one checkbox or option.
type choiceView struct {
	Value, Label      string
	Checked, Disabled bool
	Selected          bool
}

// idpUseView is one identity provider the citizen logged in with.
type idpUseView struct {
	Name, First, Last string
}

// sessionView is one open session.
type sessionView struct {
	ID                 int64
	Who, Started, Seen string
	Device             string
	Current            bool
}

// profileFlashes are the only messages the profile page shows from its
// query string.
var profileFlashes = map[string]string{
	"inviato":    "profile.contacts.sent",
	"confermato": "profile.contacts.confirmed",
	"canali":     "profile.channels.saved",
}

// demoCodeRe is the shape of a code the demo may echo.
var demoCodeRe = regexp.MustCompile(`^[0-9]{6}$`)

// profileShow is the citizen's profile.
func (s *Server) profileShow(w http.ResponseWriter, r *http.Request) error {
	return s.renderProfile(w, r, http.StatusOK, "", "")
}

func (s *Server) renderProfile(w http.ResponseWriter, r *http.Request, status int, pendingKind, problem string) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	c := pr.Citizen
	p := profilePage{basePage: s.base(r, "profile.title"), Citizen: c, Problem: problem}
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}, {p.T("area.title"), "/area-personale"}}
	if key, ok := profileFlashes[r.URL.Query().Get("ok")]; ok {
		p.Flash = p.T(key)
	}
	if pendingKind == "" {
		pendingKind = r.URL.Query().Get("codice")
	}
	if code := r.URL.Query().Get("demo"); s.opt.Demo && demoCodeRe.MatchString(code) {
		p.Flash = p.T("profile.contacts.demo-code", code)
	}
	state := func(value string, verified bool) string {
		switch {
		case value == "":
			return p.T("profile.contacts.missing")
		case verified:
			return p.T("profile.contacts.verified")
		}
		return p.T("profile.contacts.unverified")
	}
	p.Contacts = []contactView{
		{Kind: string(identity.ContactEmail), Label: p.T("profile.contacts.email"), InputType: "email", Autocomplete: "email",
			Value: c.Email, State: state(c.Email, c.EmailVerified), Pending: pendingKind == string(identity.ContactEmail)},
		{Kind: string(identity.ContactPhone), Label: p.T("profile.contacts.phone"), InputType: "tel", Autocomplete: "tel",
			Value: c.Phone, State: state(c.Phone, c.PhoneVerified), Pending: pendingKind == string(identity.ContactPhone)},
	}
	for _, ch := range identity.Channels {
		disabled := (ch == identity.ChannelEmail && !c.EmailVerified) || (ch == identity.ChannelSMS && !c.PhoneVerified)
		p.Channels = append(p.Channels, choiceView{Value: string(ch), Label: p.T("profile.channels." + string(ch)),
			Checked: slices.Contains(c.Channels, ch), Disabled: disabled})
	}
	uses, err := identity.CitizenIdPs(ctx, s.db, e.ID, c.ID)
	if err != nil {
		return err
	}
	for _, u := range uses {
		name := u.IdP
		if idp, ok := s.identityProvider(r, u.IdP); ok {
			name = idp.Name
		}
		p.IdPs = append(p.IdPs, idpUseView{Name: name, First: formatTime(u.FirstUsed), Last: formatTime(u.LastUsed)})
	}
	sessions, err := identity.ListSessions(ctx, s.db, e.ID, identity.CitizenSubject(c.ID), s.now())
	if err != nil {
		return err
	}
	for _, sess := range sessions {
		p.Sessions = append(p.Sessions, sessionView{ID: int64(sess.ID), Started: formatTime(sess.CreatedAt), Seen: formatTime(sess.LastSeenAt),
			Device: sess.UserAgent, Current: sess.ID == pr.Session.ID})
	}
	return s.render(w, r, status, "citizen/profile", &p)
}

// contactUpdate stores a new e-mail or phone (unverified) and sends the
// code that confirms it.
func (s *Server) contactUpdate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	now := s.now()
	kind := identity.ContactKind(r.PostFormValue("kind"))
	if kind != identity.ContactEmail && kind != identity.ContactPhone {
		return apperr.New(apperr.Invalid, "")
	}
	// Every code sends a message: five an hour per citizen.
	ok, retry, err := identity.Allow(ctx, s.db, e.ID, "contact-code:"+strconv.FormatInt(int64(pr.Citizen.ID), 10), 5, time.Hour, now)
	if err != nil {
		return err
	}
	if !ok {
		lang := langFrom(ctx)
		return apperr.New(apperr.TooMany, s.text.T(lang, "profile.contacts.throttled", humanDuration(retry, lang)))
	}
	var code string
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		code, err = identity.StartContactCheck(ctx, tx, e.ID, pr.Citizen.ID, kind, r.PostFormValue("value"), now)
		if err != nil {
			return err
		}
		return s.sendContactCode(ctx, tx, r, pr.Citizen, kind, r.PostFormValue("value"), code)
	})
	if apperr.Is(err, apperr.Invalid) {
		return s.renderProfile(w, r, http.StatusUnprocessableEntity, "", apperr.PublicOf(err))
	}
	if err != nil {
		return err
	}
	target := "/area-personale/profilo?ok=inviato&codice=" + string(kind)
	if s.opt.Demo && kind == identity.ContactPhone {
		target += "&demo=" + code
	}
	http.Redirect(w, r, target+"#contatti", http.StatusSeeOther)
	return nil
}

// contactConfirm checks the code and marks the contact confirmed.
func (s *Server) contactConfirm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	kind := identity.ContactKind(r.PostFormValue("kind"))
	err := identity.ConfirmContact(ctx, s.db, e.ID, pr.Citizen.ID, kind, r.PostFormValue("code"), s.now())
	if apperr.Is(err, apperr.Invalid) || apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Forbidden) {
		return s.renderProfile(w, r, http.StatusUnprocessableEntity, string(kind), s.text.T(langFrom(ctx), "oplogin.wrong-code"))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/area-personale/profilo?ok=confermato#contatti", http.StatusSeeOther)
	return nil
}

// channelsUpdate saves the notification channels; a channel whose contact
// is not confirmed is not accepted.
func (s *Server) channelsUpdate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "channels: %w", err)
	}
	var chosen []identity.Channel
	for _, v := range r.PostForm["channel"] {
		ch := identity.Channel(v)
		if !slices.Contains(identity.Channels, ch) {
			return apperr.New(apperr.Invalid, "")
		}
		chosen = append(chosen, ch)
	}
	if err := identity.UpdateChannels(ctx, s.db, e.ID, pr.Citizen.ID, chosen); err != nil {
		return err
	}
	http.Redirect(w, r, "/area-personale/profilo?ok=canali#canali", http.StatusSeeOther)
	return nil
}

// sessionsEndAll logs the citizen out everywhere, this browser included.
func (s *Server) sessionsEndAll(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	now := s.now()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := identity.EndAllSessions(ctx, tx, e.ID, identity.CitizenSubject(pr.Citizen.ID), now); err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: citizenActor(pr.Citizen.ID), Action: audit.ActionLogout,
			Subject: citizenSubject(pr.Citizen.ID), Outcome: audit.Success, Detail: "tutti i dispositivi"}, now)
	})
	if err != nil {
		return err
	}
	s.setCookie(w, r, citizenCookie, "", -1, http.SameSiteLaxMode)
	http.Redirect(w, r, "/?uscito=1", http.StatusSeeOther)
	return nil
}
