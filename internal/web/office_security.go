package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/logging"
	"github.com/sportello/sportello/internal/tenant"
)

// webauthnMaxBody caps the JSON of a ceremony: an answer is a few KiB.
const webauthnMaxBody = 64 << 10

// The audit actions of the security page.
const (
	actionKeyAdded   audit.Action = "webauthn.added"
	actionKeyRemoved audit.Action = "webauthn.removed"
)

// securityPage is the operator's "account security" page: the security
// keys they added beside the TOTP app.
type securityPage struct {
	basePage
	Keys []securityKey
	// Available is false where keys cannot work: a site reached by IP
	// address, which browsers refuse as a relying party.
	Available bool
	// Full is true when the operator has identity.MaxCredentials keys.
	Full   bool
	Max    int
	Notice string
}

// securityKey is one row of the list of keys.
type securityKey struct {
	ID       int64
	Name     string
	Added    string
	LastUsed string
	// Elsewhere names the host the key works on, when it is not this one.
	Elsewhere string
	Suspected bool
}

// securityShow lists the operator's security keys and offers to add one.
func (s *Server) securityShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	op := principalFrom(ctx).Operator
	p := securityPage{basePage: s.base(r, "webauthn.security.title"), Max: identity.MaxCredentials}
	p.Breadcrumb = []crumb{{Label: p.T("office.title"), URL: "/ufficio"}}
	rp, err := identity.NewRelyingParty(s.origin(r), e.Name)
	p.Available = err == nil
	keys, err := identity.ListCredentials(ctx, s.db, e.ID, op.ID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		row := securityKey{ID: int64(k.ID), Name: k.Name, Added: formatTime(k.CreatedAt), LastUsed: formatTime(k.LastUsedAt),
			Suspected: !k.CloneSuspectedAt.IsZero()}
		if k.RPID != rp.ID {
			row.Elsewhere = k.RPID
		}
		p.Keys = append(p.Keys, row)
	}
	p.Full = len(keys) >= identity.MaxCredentials
	switch {
	case r.URL.Query().Get("aggiunta") == "1":
		p.Notice = p.T("webauthn.security.notice.added")
	case r.URL.Query().Get("rimossa") == "1":
		p.Notice = p.T("webauthn.security.notice.removed")
	}
	return s.render(w, r, http.StatusOK, "office/security", &p)
}

// webauthnRegistrationBegin answers the security page's script with the
// options for navigator.credentials.create().
func (s *Server) webauthnRegistrationBegin(w http.ResponseWriter, r *http.Request) error {
	return s.ceremonyBegin(w, r, identity.BeginRegistration)
}

// ceremonyBegin answers the script with the options begin returns for the
// operator on the site the browser is on.
func (s *Server) ceremonyBegin(w http.ResponseWriter, r *http.Request,
	begin func(context.Context, db.Querier, tenant.ID, identity.OperatorID, identity.RelyingParty, time.Time) (json.RawMessage, error)) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	op := principalFrom(ctx).Operator
	rp, err := identity.NewRelyingParty(s.origin(r), e.Name)
	if err != nil {
		return s.ceremonyError(w, r, err)
	}
	options, err := begin(ctx, s.db, e.ID, op.ID, rp, s.now())
	if err != nil {
		return s.ceremonyError(w, r, err)
	}
	return writeJSON(w, http.StatusOK, options)
}

// registrationAnswer is what the script posts to finish adding a key.
type registrationAnswer struct {
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

// ceremonyReply is what the script gets back: where to go, or why not.
type ceremonyReply struct {
	Redirect string `json:"redirect,omitempty"`
	Error    string `json:"error,omitempty"`
}

// webauthnRegistrationFinish stores the key the browser created and
// records it in the audit log.
func (s *Server) webauthnRegistrationFinish(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	op := principalFrom(ctx).Operator
	now := s.now()
	var in registrationAnswer
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return s.ceremonyError(w, r, apperr.Errorf(apperr.Invalid, "registration answer: %w: %w", identity.ErrWebAuthnRefused, err))
	}
	rp, err := identity.NewRelyingParty(s.origin(r), e.Name)
	if err != nil {
		return s.ceremonyError(w, r, err)
	}
	// The ceremony is used up even if the key is refused, so the check
	// runs on its own, and the audit records only a key actually added.
	key, err := identity.FinishRegistration(ctx, s.db, e.ID, op.ID, rp, in.Name, in.Credential, now)
	if err != nil {
		return s.ceremonyError(w, r, err)
	}
	err = s.auditAlone(r, audit.Event{Ente: e.ID, Actor: operatorActor(op.ID), Action: actionKeyAdded,
		Subject: operatorSubject(op.ID), Outcome: audit.Success, Detail: "key " + strconv.FormatInt(int64(key.ID), 10)})
	if err != nil {
		return s.ceremonyError(w, r, err)
	}
	return writeJSON(w, http.StatusOK, ceremonyReply{Redirect: "/ufficio/sicurezza?aggiunta=1"})
}

// webauthnCredentialRemove deletes one of the operator's own keys.
func (s *Server) webauthnCredentialRemove(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	op := principalFrom(ctx).Operator
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return apperr.Errorf(apperr.NotFound, "security key %q: not a number", r.PathValue("id"))
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := identity.RemoveCredential(ctx, tx, e.ID, op.ID, identity.WebAuthnCredentialID(id)); err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: operatorActor(op.ID), Action: actionKeyRemoved,
			Subject: operatorSubject(op.ID), Outcome: audit.Success, Detail: "key " + strconv.FormatInt(id, 10)}, now)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/ufficio/sicurezza?rimossa=1", http.StatusSeeOther)
	return nil
}

// webauthnLoginBegin answers the login page's script, after the password,
// with the options for navigator.credentials.get(); an operator without
// keys for this site gets 404 and the page offers only the TOTP code.
func (s *Server) webauthnLoginBegin(w http.ResponseWriter, r *http.Request) error {
	return s.ceremonyBegin(w, r, identity.BeginLogin)
}

// loginAnswer is what the script posts to finish the second factor.
type loginAnswer struct {
	Credential json.RawMessage `json:"credential"`
	Next       string          `json:"next"`
}

// webauthnLoginFinish checks the assertion and, like a right TOTP code,
// starts the operator's session. Refusals count towards the same throttle
// and lockout as codes and are audited alike, with detail "webauthn".
func (s *Server) webauthnLoginFinish(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	op := principalFrom(ctx).Operator
	now := s.now()
	if problem, err := s.throttle(r, "o2fa-ip:"+s.clientIP(r), loginAttemptsPerIP, loginWindow); err != nil || problem != "" {
		if err != nil {
			return s.ceremonyError(w, r, err)
		}
		return writeJSON(w, http.StatusTooManyRequests, ceremonyReply{Error: problem})
	}
	var in loginAnswer
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return s.ceremonyError(w, r, apperr.Errorf(apperr.Invalid, "login answer: %w: %w", identity.ErrWebAuthnRefused, err))
	}
	rp, err := identity.NewRelyingParty(s.origin(r), e.Name)
	if err != nil {
		return s.ceremonyError(w, r, err)
	}
	if _, err := identity.FinishLogin(ctx, s.db, e.ID, op.ID, rp, in.Credential, now); err != nil {
		var locked *identity.LockedError
		if errors.Is(err, identity.ErrWebAuthnRefused) || errors.Is(err, identity.ErrCloneSuspected) || errors.As(err, &locked) {
			detail := "webauthn"
			if errors.Is(err, identity.ErrCloneSuspected) {
				detail = "webauthn: signature counter went back, key may be copied"
			}
			if aerr := s.auditAlone(r, audit.Event{Ente: e.ID, Actor: operatorActor(op.ID), Action: audit.ActionLoginFailed,
				Subject: operatorSubject(op.ID), Outcome: audit.Failure, Detail: detail}); aerr != nil {
				return s.ceremonyError(w, r, aerr)
			}
		}
		return s.ceremonyError(w, r, err)
	}
	if err := s.startOperatorSession(w, r, op.ID, "webauthn", now); err != nil {
		return s.ceremonyError(w, r, err)
	}
	return writeJSON(w, http.StatusOK, ceremonyReply{Redirect: safeNext(in.Next, "/ufficio")})
}

// startOperatorSession completes a login whose second factor was proven:
// it starts the session and audits the login in one transaction, then
// swaps the half-way cookie for the session's.
func (s *Server) startOperatorSession(w http.ResponseWriter, r *http.Request, op identity.OperatorID, detail string, now time.Time) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	var token string
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		token, _, err = identity.StartSession(ctx, tx, e.ID, identity.OperatorSubject(op),
			identity.SessionInput{UserAgent: r.UserAgent(), IP: s.clientIP(r)}, now)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: operatorActor(op), Action: audit.ActionLogin,
			Subject: operatorSubject(op), Outcome: audit.Success, Detail: detail}, now)
	})
	if err != nil {
		return err
	}
	s.setCookie(w, r, secondFactorCookie, "", -1, http.SameSiteStrictMode)
	s.setCookie(w, r, operatorCookie, token, 0, http.SameSiteStrictMode)
	return nil
}

// ceremonyError answers the script in JSON, never with an HTML page: the
// sentence for a refusal it can explain, a generic one (and a log line)
// for anything else.
func (s *Server) ceremonyError(w http.ResponseWriter, r *http.Request, err error) error {
	ctx := r.Context()
	lang := langFrom(ctx)
	status := statusOf(apperr.KindOf(err))
	var locked *identity.LockedError
	key := ""
	switch {
	case errors.As(err, &locked):
		s.log.InfoContext(ctx, "webauthn refused", "err", err)
		return writeJSON(w, http.StatusUnauthorized, ceremonyReply{Error: s.text.T(lang, "oplogin.locked", humanDuration(locked.RetryAfter, lang))})
	case errors.Is(err, identity.ErrCloneSuspected):
		key = "webauthn.error.clone"
	case errors.Is(err, identity.ErrCeremonyExpired):
		key = "webauthn.error.expired"
	case errors.Is(err, identity.ErrWebAuthnRefused):
		key, status = "webauthn.error.refused", http.StatusUnauthorized
	case errors.Is(err, identity.ErrNoCredential):
		key = "webauthn.error.none"
	case errors.Is(err, identity.ErrCredentialExists):
		key = "webauthn.error.exists"
	case errors.Is(err, identity.ErrTooManyCredentials):
		return writeJSON(w, status, ceremonyReply{Error: s.text.T(lang, "webauthn.error.too-many", identity.MaxCredentials)})
	case errors.Is(err, identity.ErrCredentialName):
		key = "webauthn.error.name"
	case errors.Is(err, identity.ErrDisabled), errors.Is(err, identity.ErrTOTPRequired):
		key = "webauthn.error.session"
	case apperr.Is(err, apperr.Invalid):
		// The only other Invalid is a site reached by IP address.
		key = "webauthn.error.unavailable"
	}
	if key == "" || status >= 500 {
		s.log.ErrorContext(ctx, "webauthn failed", "err", err)
		return writeJSON(w, http.StatusInternalServerError, ceremonyReply{
			Error: s.text.T(lang, "webauthn.error.generic", logging.RequestID(ctx))})
	}
	s.log.InfoContext(ctx, "webauthn refused", "kind", apperr.KindOf(err).String(), "err", err)
	return writeJSON(w, status, ceremonyReply{Error: s.text.T(lang, key)})
}

// writeJSON writes v (or raw JSON) with the status, uncached. A failed
// write is the client's going away, past any error page.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return err
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}
