package web

import (
	"bytes"
	"database/sql"
	"encoding/base64"
	"errors"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"time"

	"github.com/pquerna/otp"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/identity"
)

// operatorLoginPage is every step of the operators' login: password,
// second factor, enrolment of the authenticator app, recovery codes.
type operatorLoginPage struct {
	basePage
	Step     string // password, code, enroll
	Action   string
	Next     string
	Username string
	Problem  string
	// QR is the otpauth QR code as a data: URL, which html/template would
	// otherwise replace: it is built here from a PNG, never from input.
	QR            template.URL
	Secret        string
	RecoveryCodes []string
}

// Limits on the credential endpoints, per client address: generous for an
// office behind one NAT, tight for a script.
const (
	loginAttemptsPerIP = 30
	loginWindow        = 15 * time.Minute
)

// operatorLoginShow asks for user name and password.
func (s *Server) operatorLoginShow(w http.ResponseWriter, r *http.Request) error {
	p := operatorLoginPage{basePage: s.base(r, "oplogin.title"), Step: "password", Action: "/operatori/accedi",
		Next: safeNext(r.URL.Query().Get("next"), "/ufficio")}
	return s.render(w, r, http.StatusOK, "office/login", &p)
}

// operatorLoginCreate checks the password; the second factor follows.
func (s *Server) operatorLoginCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	now := s.now()
	p := operatorLoginPage{basePage: s.base(r, "oplogin.title"), Step: "password", Action: "/operatori/accedi",
		Next: safeNext(r.PostFormValue("next"), "/ufficio"), Username: r.PostFormValue("username")}
	if problem, err := s.throttle(r, "oplogin-ip:"+s.clientIP(r), loginAttemptsPerIP, loginWindow); err != nil || problem != "" {
		if err != nil {
			return err
		}
		p.Problem = problem
		return s.render(w, r, http.StatusTooManyRequests, "office/login", &p)
	}
	op, err := identity.Authenticate(ctx, s.db, e.ID, p.Username, r.PostFormValue("password"), now)
	if err != nil {
		if p.Problem = s.credentialProblem(r, err); p.Problem == "" {
			return err
		}
		if aerr := s.auditAlone(r, audit.Event{Ente: e.ID, Actor: audit.Actor{Kind: audit.Anonymous},
			Action: audit.ActionLoginFailed, Subject: "operator-login", Outcome: audit.Failure, Detail: "password"}); aerr != nil {
			return aerr
		}
		return s.render(w, r, http.StatusUnauthorized, "office/login", &p)
	}
	s.setCookie(w, r, secondFactorCookie, s.secondFactorToken(e.ID, op.ID, now), secondFactorTTL, http.SameSiteStrictMode)
	http.Redirect(w, r, "/operatori/accedi/codice?next="+url.QueryEscape(p.Next), http.StatusSeeOther)
	return nil
}

// credentialProblem turns a refused credential into the sentence shown,
// or "" when err is not a refusal.
func (s *Server) credentialProblem(r *http.Request, err error) string {
	lang := langFrom(r.Context())
	var locked *identity.LockedError
	switch {
	case errors.As(err, &locked):
		return s.text.T(lang, "oplogin.locked", humanDuration(locked.RetryAfter, lang))
	case errors.Is(err, identity.ErrBadCredentials):
		return s.text.T(lang, "oplogin.wrong")
	case errors.Is(err, identity.ErrBadCode):
		return s.text.T(lang, "oplogin.wrong-code")
	}
	return ""
}

// throttle applies a rate limit and returns the sentence to show when the
// caller is over it.
func (s *Server) throttle(r *http.Request, key string, limit int, window time.Duration) (string, error) {
	ok, retry, err := identity.Allow(r.Context(), s.db, enteFrom(r.Context()).ID, key, limit, window, s.now())
	if err != nil || ok {
		return "", err
	}
	lang := langFrom(r.Context())
	return s.text.T(lang, "oplogin.throttled", humanDuration(retry, lang)), nil
}

// secondFactorShow asks for the TOTP code, or enrols the app when the
// operator has none yet (the second factor is never optional).
func (s *Server) secondFactorShow(w http.ResponseWriter, r *http.Request) error {
	return s.renderSecondFactor(w, r, http.StatusOK, "")
}

func (s *Server) renderSecondFactor(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	op := principalFrom(ctx).Operator
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostFormValue("next")
	}
	p := operatorLoginPage{basePage: s.base(r, "oplogin.title"), Step: "code", Action: "/operatori/accedi/codice",
		Next: safeNext(next, "/ufficio"), Problem: problem}
	if !op.TOTPEnabled {
		secret, uri, err := identity.EnrollTOTP(ctx, s.db, s.idKeys, e.ID, op.ID, s.now())
		if err != nil {
			return err
		}
		qr, err := qrDataURL(uri)
		if err != nil {
			return err
		}
		p.Step, p.Title, p.Secret, p.QR = "enroll", p.T("oplogin.enroll.title"), secret, template.URL(qr)
	}
	return s.render(w, r, status, "office/login", &p)
}

// secondFactorCreate checks the code (or confirms the enrolment) and only
// then starts the operator's session.
func (s *Server) secondFactorCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	op := principalFrom(ctx).Operator
	now := s.now()
	if problem, err := s.throttle(r, "o2fa-ip:"+s.clientIP(r), loginAttemptsPerIP, loginWindow); err != nil || problem != "" {
		if err != nil {
			return err
		}
		return s.renderSecondFactor(w, r, http.StatusTooManyRequests, problem)
	}
	code := r.PostFormValue("code")
	var recovery []string
	var err error
	if op.TOTPEnabled {
		err = identity.VerifySecondFactor(ctx, s.db, s.idKeys, e.ID, op.ID, code, now)
	} else {
		recovery, err = identity.ConfirmTOTP(ctx, s.db, s.idKeys, e.ID, op.ID, code, now)
	}
	if err != nil {
		problem := s.credentialProblem(r, err)
		if problem == "" {
			return err
		}
		if aerr := s.auditAlone(r, audit.Event{Ente: e.ID, Actor: operatorActor(op.ID), Action: audit.ActionLoginFailed,
			Subject: operatorSubject(op.ID), Outcome: audit.Failure, Detail: "second factor"}); aerr != nil {
			return aerr
		}
		return s.renderSecondFactor(w, r, http.StatusUnauthorized, problem)
	}
	detail := "totp"
	if len(recovery) > 0 {
		detail = "totp enrolled"
	}
	if err := s.startOperatorSession(w, r, op.ID, detail, now); err != nil {
		return err
	}
	if len(recovery) > 0 {
		p := operatorLoginPage{basePage: s.base(r, "oplogin.recovery.title"), RecoveryCodes: recovery}
		return s.render(w, r, http.StatusOK, "office/login", &p)
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("next"), "/ufficio"), http.StatusSeeOther)
	return nil
}

// operatorLogout ends the operator's session.
func (s *Server) operatorLogout(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	now := s.now()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := identity.EndSession(ctx, tx, e.ID, pr.Session.ID, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: audit.ActionLogout,
			Subject: operatorSubject(pr.Operator.ID), Outcome: audit.Success}, now)
	})
	if err != nil {
		return err
	}
	s.setCookie(w, r, operatorCookie, "", -1, http.SameSiteStrictMode)
	http.Redirect(w, r, "/operatori/accedi?uscito=1", http.StatusSeeOther)
	return nil
}

// qrDataURL draws the otpauth URI as a PNG QR code in a data: URL (the
// page's CSP allows data: images), so the secret never leaves the page.
func qrDataURL(uri string) (string, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", err
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
