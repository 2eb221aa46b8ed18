package web

import (
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/identity/spid"
	"github.com/sportello/sportello/internal/tenant"
)

// serviceProvider builds the ente's SAML service provider for a profile,
// with the ente's current key pair (made at first use, sealed in the
// database under the secret key).
func (s *Server) serviceProvider(r *http.Request, e *tenant.Ente, p spid.Profile, now time.Time) (*spid.SP, error) {
	if len(s.opt.SecretKey) != 32 {
		return nil, errNoSecretKey
	}
	origin := s.origin(r)
	entityID := origin + "/spid/metadata"
	attrs := []string{"fiscalNumber", "name", "familyName", "email", "mobilePhone"}
	if p == spid.CIE {
		entityID = origin + "/cie/metadata"
		attrs = []string{"fiscalNumber", "name", "familyName", "dateOfBirth"}
	}
	org := spid.OrganizationOf(e, origin)
	keys := spid.KeyStore{MasterKey: s.opt.SecretKey}
	key, cert, err := keys.Current(r.Context(), s.db, e.ID, org, entityID, now)
	if err != nil {
		return nil, err
	}
	return &spid.SP{
		EntityID: entityID, ACSURL: origin + "/spid/acs", SLOURL: origin + "/spid/slo",
		Key: key, Certificate: cert, Organization: org,
		AttributeSets: []spid.AttributeSet{{Index: 0, Name: e.Name + " – area personale", Attributes: attrs}},
	}, nil
}

// spidMetadata serves the ente's signed SPID metadata.
func (s *Server) spidMetadata(w http.ResponseWriter, r *http.Request) error {
	return s.metadata(w, r, spid.SPID)
}

// cieMetadata serves the ente's signed metadata in CIE's SAML profile.
func (s *Server) cieMetadata(w http.ResponseWriter, r *http.Request) error {
	return s.metadata(w, r, spid.CIE)
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request, p spid.Profile) error {
	now := s.now()
	sp, err := s.serviceProvider(r, enteFrom(r.Context()), p, now)
	if err != nil {
		return err
	}
	b, err := sp.Metadata(p, now)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err = w.Write(b)
	return err
}

// logout ends the citizen's session here first, whatever the identity
// provider then says, and asks the identity provider to end its own
// session with a signed LogoutRequest.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	p := principalFrom(ctx)
	now := s.now()
	sess := p.Session
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := identity.EndSession(ctx, tx, e.ID, sess.ID, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: citizenActor(p.Citizen.ID),
			Action: audit.ActionLogout, Subject: citizenSubject(p.Citizen.ID), Outcome: audit.Success}, now)
	})
	if err != nil {
		return err
	}
	s.setCookie(w, r, citizenCookie, "", -1, http.SameSiteLaxMode)
	idp, ok := s.identityProvider(r, sess.IdP)
	if !ok || sess.NameID == "" {
		http.Redirect(w, r, "/?uscito=1", http.StatusSeeOther)
		return nil
	}
	sp, err := s.serviceProvider(r, e, idp.Profile, now)
	if err != nil {
		return err
	}
	out, id, err := sp.LogoutRequest(idp, spid.SessionRef{NameID: sess.NameID, NameQualifier: sess.NameQualifier, SessionIndex: sess.SessionIndex},
		spid.HTTPRedirect, randomToken(16), now)
	if err != nil {
		return err
	}
	browser := randomToken(32)
	pend := spid.Pending{ID: id, IssuedAt: now, IdP: idp.EntityID, Profile: idp.Profile, Logout: true, ReturnTo: "/?uscito=1"}
	if err := spid.SavePending(ctx, s.db, e.ID, pend, browser, now.Add(pendingTTL)); err != nil {
		return err
	}
	site := http.SameSiteLaxMode
	if s.isHTTPS(r) {
		site = http.SameSiteNoneMode
	}
	s.setCookie(w, r, samlCookie, id+"."+browser, pendingTTL, site)
	http.Redirect(w, r, out.URL, http.StatusSeeOther)
	return nil
}

// spidSLO is the single logout endpoint: the identity provider's answer to
// our LogoutRequest, or its own LogoutRequest when the citizen logged out
// there (IdP-initiated). Both must be signed by a listed identity provider.
func (s *Server) spidSLO(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	now := s.now()
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "slo: %w", err)
	}
	if r.Form.Get("SAMLResponse") != "" {
		id, browser, _ := strings.Cut(s.cookie(r, samlCookie), ".")
		s.setCookie(w, r, samlCookie, "", -1, http.SameSiteLaxMode)
		pend, err := spid.TakePending(ctx, s.db, e.ID, id, browser, now)
		if err != nil || !pend.Logout {
			// Our session is already gone; a stray answer changes nothing.
			http.Redirect(w, r, "/?uscito=1", http.StatusSeeOther)
			return nil
		}
		if idp, ok := s.identityProvider(r, pend.IdP); ok {
			sp, err := s.serviceProvider(r, e, idp.Profile, now)
			if err != nil {
				return err
			}
			if _, err := sp.ParseLogoutResponse(r, idp, pend.ID, now); err != nil {
				s.log.InfoContext(ctx, "logout response refused", "err", err)
			}
		}
		http.Redirect(w, r, safeNext(pend.ReturnTo, "/?uscito=1"), http.StatusSeeOther)
		return nil
	}
	if r.Form.Get("SAMLRequest") == "" {
		return apperr.New(apperr.Invalid, "")
	}
	// IdP-initiated: try the listed identity providers; only the one whose
	// signature verifies is believed.
	var (
		req *spid.LogoutRequest
		idp *spid.IdP
		sp  *spid.SP
	)
	// One service provider per profile: building one reads and unseals the
	// ente's key, which need not happen once per listed IdP.
	sps := map[spid.Profile]*spid.SP{}
	for _, cand := range s.identityProviders(r) {
		csp, ok := sps[cand.Profile]
		if !ok {
			var err error
			if csp, err = s.serviceProvider(r, e, cand.Profile, now); err != nil {
				return err
			}
			sps[cand.Profile] = csp
		}
		if lr, err := csp.ParseLogoutRequest(r, cand, now); err == nil {
			req, idp, sp = lr, cand, csp
			break
		}
	}
	if req == nil {
		return apperr.Errorf(apperr.Invalid, "slo: logout request not signed by a listed identity provider")
	}
	partial := false
	for _, idx := range append(req.SessionIndexes, "") {
		sess, err := identity.SessionByNameID(ctx, s.db, e.ID, idp.EntityID, req.NameID, idx)
		if apperr.Is(err, apperr.NotFound) {
			if idx == "" {
				break
			}
			continue
		}
		if err != nil {
			return err
		}
		err = s.db.InTx(ctx, func(tx *sql.Tx) error {
			if err := identity.EndSession(ctx, tx, e.ID, sess.ID, now); err != nil {
				return err
			}
			return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: audit.Actor{Kind: audit.System, ID: "idp"},
				Action: audit.ActionLogout, Subject: "citizen:" + strconv.FormatInt(sess.Subject.ID, 10), Outcome: audit.Success, Detail: "idp-initiated"}, now)
		})
		if err != nil {
			// The local session could not be ended: say so to the IdP.
			s.log.ErrorContext(ctx, "idp-initiated logout", "err", err)
			partial = true
		}
		break
	}
	out, err := sp.LogoutResponse(idp, req.ID, partial, spid.HTTPRedirect, req.RelayState, now)
	if err != nil {
		return err
	}
	http.Redirect(w, r, out.URL, http.StatusSeeOther)
	return nil
}
