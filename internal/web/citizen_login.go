package web

import (
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/identity/spid"
	"github.com/sportello/sportello/internal/logging"
	"github.com/sportello/sportello/internal/tenant"
)

// loginPage is the entry to the personal area: SPID and CIE.
type loginPage struct {
	basePage
	SPID []idpLink
	CIE  *idpLink
}

// idpLink is one identity provider on the login page.
type idpLink struct {
	Name, URL string
}

// pendingTTL bounds how long a citizen may take at the identity provider.
const pendingTTL = 15 * time.Minute

// loginShow lists the identity providers: SPID's in a menu, CIE's as one
// button. Without any (no registry, no test IdP) it says login is not
// active and points to the desk.
func (s *Server) loginShow(w http.ResponseWriter, r *http.Request) error {
	p := loginPage{basePage: s.base(r, "login.title")}
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}}
	next := safeNext(r.URL.Query().Get("next"), "/area-personale")
	for _, idp := range s.identityProviders(r) {
		link := idpLink{Name: idp.Name, URL: "/spid/login?" + url.Values{"idp": {idp.EntityID}, "next": {next}}.Encode()}
		if idp.Profile == spid.CIE {
			if p.CIE == nil {
				p.CIE = &link
			}
			continue
		}
		p.SPID = append(p.SPID, link)
	}
	return s.render(w, r, http.StatusOK, "citizen/login", &p)
}

// spidLogin sends the browser to the chosen identity provider with a signed
// AuthnRequest, after storing it as pending and binding it to this browser
// with a cookie that only our ACS reads.
func (s *Server) spidLogin(w http.ResponseWriter, r *http.Request) error {
	e := enteFrom(r.Context())
	q := r.URL.Query()
	idp, ok := s.identityProvider(r, q.Get("idp"))
	if !ok {
		return apperr.New(apperr.Invalid, s.text.T(langFrom(r.Context()), "login.error.unknown-idp"))
	}
	level := spid.L2
	if l, err := strconv.Atoi(q.Get("livello")); err == nil && spid.Level(l).Valid() {
		level = spid.Level(l)
	}
	now := s.now()
	sp, err := s.serviceProvider(r, e, idp.Profile, now)
	if err != nil {
		return err
	}
	relay := randomToken(16)
	out, pending, err := sp.AuthnRequest(idp, spid.RequestOptions{
		Profile: idp.Profile, Level: level, Comparison: spid.Minimum, AttributeIndex: 0,
		Binding: spid.HTTPRedirect, RelayState: relay, ReturnTo: safeNext(q.Get("next"), "/area-personale"),
	}, now)
	if err != nil {
		return err
	}
	browser := randomToken(32)
	err = s.db.InTx(r.Context(), func(tx *sql.Tx) error {
		if err := spid.SavePending(r.Context(), tx, e.ID, pending, browser, now.Add(pendingTTL)); err != nil {
			return err
		}
		return spid.LogMessage(r.Context(), tx, e.ID, spid.Sent, "AuthnRequest", pending.ID, "", out.XML, now)
	})
	if err != nil {
		return err
	}
	// The response comes back as a cross-site POST from the IdP: the cookie
	// must be SameSite=None, which browsers accept only when Secure. On
	// plain HTTP (the demo) the IdP is on our own origin and Lax suffices.
	site := http.SameSiteLaxMode
	if s.isHTTPS(r) {
		site = http.SameSiteNoneMode
	}
	s.setCookie(w, r, samlCookie, pending.ID+"."+browser, pendingTTL, site)
	http.Redirect(w, r, out.URL, http.StatusSeeOther)
	return nil
}

// spidACS receives the identity provider's Response (HTTP-POST only): it
// takes the pending request this browser started (once), validates the
// response against it, refuses a replayed assertion on every instance, and
// starts the citizen's session.
func (s *Server) spidACS(w http.ResponseWriter, r *http.Request) error {
	e := enteFrom(r.Context())
	ctx := r.Context()
	now := s.now()
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "acs: %w", err)
	}
	s.setCookie(w, r, samlCookie, "", -1, http.SameSiteLaxMode)
	id, browser, _ := strings.Cut(s.cookie(r, samlCookie), ".")
	if id == "" || browser == "" {
		// No request of ours in this browser: an IdP-initiated login, or a
		// response replayed from elsewhere. Both are refused.
		return s.loginFailed(w, r, e, nil, apperr.Errorf(apperr.Invalid, "acs: no pending request bound to this browser"))
	}
	pending, err := spid.TakePending(ctx, s.db, e.ID, id, browser, now)
	if err != nil {
		return s.loginFailed(w, r, e, nil, err)
	}
	idp, ok := s.identityProvider(r, pending.IdP)
	if !ok {
		return s.loginFailed(w, r, e, nil, apperr.Errorf(apperr.Invalid, "acs: identity provider %q no longer listed", pending.IdP))
	}
	sp, err := s.serviceProvider(r, e, pending.Profile, now)
	if err != nil {
		return err
	}
	encoded := r.PostForm.Get("SAMLResponse")
	if raw, derr := base64.StdEncoding.DecodeString(encoded); derr == nil {
		if lerr := spid.LogMessage(ctx, s.db, e.ID, spid.Received, "Response", "", pending.ID, raw, now); lerr != nil {
			s.log.WarnContext(ctx, "saml message log", "err", lerr)
		}
	}
	a, err := sp.ParseResponse(encoded, pending, idp, now)
	if err != nil {
		return s.loginFailed(w, r, e, idp, err)
	}
	var (
		token  string
		result identity.LoginResult
	)
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := spid.MarkUsed(ctx, tx, e.ID, idp.EntityID, a.ID, a.NotOnOrAfter); err != nil {
			return err
		}
		var err error
		result, err = identity.LoginCitizen(ctx, tx, e.ID, identity.LoginInput{
			FiscalCode: a.FiscalCode, GivenName: a.Attributes["name"], FamilyName: a.Attributes["familyName"],
			Email: a.Attributes["email"], Phone: a.Attributes["mobilePhone"], IdP: idp.EntityID, Level: int(a.Level),
		}, now)
		if err != nil {
			return err
		}
		token, _, err = identity.StartSession(ctx, tx, e.ID, identity.CitizenSubject(result.Citizen.ID), identity.SessionInput{
			IdP: idp.EntityID, NameID: a.NameID, NameQualifier: a.NameQualifier, SessionIndex: a.SessionIndex,
			Level: int(a.Level), UserAgent: r.UserAgent(), IP: s.clientIP(r),
		}, now)
		if err != nil {
			return err
		}
		detail := idp.Name + ", livello " + strconv.Itoa(int(a.Level))
		if result.NewIdP {
			// The account-takeover signal: a gestore this person never used.
			detail += ", nuovo gestore"
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: citizenActor(result.Citizen.ID),
			Action: audit.ActionLogin, Subject: citizenSubject(result.Citizen.ID), Outcome: audit.Success, Detail: detail}, now)
	})
	if err != nil {
		return s.loginFailed(w, r, e, idp, err)
	}
	// A new token at every login: a session id planted before login is
	// worth nothing after it.
	s.setCookie(w, r, citizenCookie, token, 0, http.SameSiteLaxMode)
	target := pending.ReturnTo
	if result.NewIdP {
		target = "/area-personale?nuovo-gestore=" + url.QueryEscape(idp.Name)
	}
	http.Redirect(w, r, safeNext(target, "/area-personale"), http.StatusSeeOther)
	return nil
}

// loginErrorPage explains a failed login in words a citizen understands.
type loginErrorPage struct {
	basePage
	Heading, Text, Advice string
	RequestID             string
}

// loginFailed records the failure and shows the anomaly page: the SPID
// user anomalies (nr19–nr25) by their own text, everything else as one
// "we cannot accept this answer" page with the request id to quote.
func (s *Server) loginFailed(w http.ResponseWriter, r *http.Request, e *tenant.Ente, idp *spid.IdP, cause error) error {
	ctx := r.Context()
	now := s.now()
	key := "invalid"
	status := http.StatusBadRequest
	var anomaly *spid.Anomaly
	switch {
	case errors.As(cause, &anomaly):
		key = "other"
		switch anomaly.Code {
		case "nr19", "nr20", "nr21", "nr22", "nr23", "nr25":
			key = anomaly.Code
		}
		status = http.StatusUnauthorized
	case apperr.KindOf(cause) == apperr.Internal || apperr.KindOf(cause) == apperr.Unavailable:
		return cause
	}
	detail := key
	if idp != nil {
		detail = idp.Name + ": " + key
	}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: audit.Actor{Kind: audit.Anonymous},
			Action: audit.ActionLoginFailed, Subject: "spid", Outcome: audit.Failure, Detail: detail}, now)
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "citizen login refused", "reason", key, "err", cause)
	p := loginErrorPage{basePage: s.base(r, "login.error.title"), RequestID: logging.RequestID(ctx)}
	p.Heading = p.T("login.error." + key + ".heading")
	p.Text = p.T("login.error." + key + ".text")
	p.Advice = p.T("login.error." + key + ".advice")
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "citizen/login-error", &p)
}

// randomToken returns n random bytes in URL-safe base64.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
