package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// audience says who may call a route; wrap enforces it before the handler
// runs, and the handlers check the finer permissions (which office, which
// citizen) with identity.Principal.Can.
type audience int

const (
	// anyone, signed in or not.
	public audience = iota
	// citizens signed in with SPID or CIE.
	citizens
	// operators signed in with password and second factor.
	operators
	// operators who gave their password and still owe the second factor
	// (or have not enrolled one yet).
	halfOperators
)

// Cookie base names; on HTTPS they carry the __Host- prefix (see cookieName).
const (
	citizenCookie  = "sid"
	operatorCookie = "osid"
	// secondFactorCookie carries the signed proof that an operator gave the
	// right password, for the few minutes the second factor may take.
	secondFactorCookie = "o2fa"
	// samlCookie binds a pending AuthnRequest to the browser that started it.
	samlCookie = "saml"
)

// cookieName gives the __Host- prefix where the browser will honour it (a
// Secure cookie over HTTPS, path /, no domain): such a cookie can't be set
// by a sibling subdomain. Plain HTTP (the demo on localhost) uses the bare
// name.
func (s *Server) cookieName(r *http.Request, base string) string {
	if s.isHTTPS(r) {
		return "__Host-" + base
	}
	return base
}

// setCookie writes an HttpOnly cookie scoped to the whole host; maxAge 0
// makes it a browser-session cookie, negative deletes it.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, base, value string, maxAge time.Duration, site http.SameSite) {
	c := &http.Cookie{
		Name:     s.cookieName(r, base),
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   s.isHTTPS(r),
		SameSite: site,
	}
	switch {
	case maxAge < 0:
		c.MaxAge = -1
	case maxAge > 0:
		c.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, c)
}

// cookie returns the value of the named cookie, "" when absent.
func (s *Server) cookie(r *http.Request, base string) string {
	c, err := r.Cookie(s.cookieName(r, base))
	if err != nil {
		return ""
	}
	return c.Value
}

// principalKey keeps the signed-in principal of the route's audience.
const principalKey ctxKey = 100

// principalFrom returns who is making the request (anonymous when nobody
// is signed in for the route's audience).
func principalFrom(ctx context.Context) identity.Principal {
	p, _ := ctx.Value(principalKey).(identity.Principal)
	return p
}

// authorize loads the session the route's audience needs and puts the
// principal in the request context; it answers itself (a redirect to the
// right login page) and returns ok=false when the visitor must sign in.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, rt route) (*http.Request, bool, error) {
	e := enteFrom(r.Context())
	now := s.now()
	p := identity.Principal{Ente: e.ID}
	switch rt.audience {
	case public:
		return r, true, nil
	case citizens:
		sess, err := s.session(r, e.ID, citizenCookie, identity.SubjectCitizen, now)
		if err != nil {
			return r, false, err
		}
		if sess == nil {
			s.toLogin(w, r, "/accedi")
			return r, false, nil
		}
		c, err := identity.GetCitizen(r.Context(), s.db, e.ID, identity.CitizenID(sess.Subject.ID))
		if err != nil {
			return r, false, err
		}
		p.Citizen, p.Session = c, sess
	case operators, halfOperators:
		if rt.audience == halfOperators {
			id, ok := s.secondFactorPending(r, e.ID, now)
			if !ok {
				s.toLogin(w, r, "/operatori/accedi")
				return r, false, nil
			}
			op, err := identity.GetOperator(r.Context(), s.db, e.ID, id)
			if err != nil {
				return r, false, err
			}
			p.Operator = op
			break
		}
		sess, err := s.session(r, e.ID, operatorCookie, identity.SubjectOperator, now)
		if err != nil {
			return r, false, err
		}
		if sess == nil {
			s.toLogin(w, r, "/operatori/accedi")
			return r, false, nil
		}
		op, err := identity.GetOperator(r.Context(), s.db, e.ID, identity.OperatorID(sess.Subject.ID))
		if err != nil {
			return r, false, err
		}
		if op.Disabled {
			return r, false, apperr.New(apperr.Forbidden, "")
		}
		p.Operator, p.Session = op, sess
		if rt.perm != 0 && !p.Can(rt.perm, identity.Resource{Ente: e.ID}) {
			return r, false, apperr.Errorf(apperr.Forbidden, "operator %d lacks %s", op.ID, rt.perm)
		}
	}
	return r.WithContext(context.WithValue(r.Context(), principalKey, p)), true, nil
}

// session looks up the session named by the audience's cookie; a missing,
// ended or expired session is nil without error.
func (s *Server) session(r *http.Request, ente tenant.ID, cookie string, kind identity.SubjectKind, now time.Time) (*identity.Session, error) {
	token := s.cookie(r, cookie)
	if token == "" {
		return nil, nil
	}
	sess, err := identity.LookupSession(r.Context(), s.db, ente, token, now)
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if sess.Subject.Kind != kind {
		return nil, nil
	}
	return sess, nil
}

// toLogin sends a visitor who must sign in to the login page, remembering
// where they were going when that is a page (GET); a form post is not
// replayed after login.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request, login string) {
	target := login
	if r.Method == http.MethodGet {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// safeNext returns a same-origin path to go to after login, or fallback:
// never another host (open redirect), never a protocol-relative URL.
func safeNext(next, fallback string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return fallback
	}
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" {
		return fallback
	}
	return next
}

// secondFactorTTL is how long an operator has, after the password, to give
// the second factor.
const secondFactorTTL = 5 * time.Minute

// secondFactorToken signs "operator id, ente, expiry" with a key derived
// from the server's secret key, so that the half-way state needs no table.
func (s *Server) secondFactorToken(ente tenant.ID, op identity.OperatorID, now time.Time) string {
	var msg [24]byte
	binary.BigEndian.PutUint64(msg[0:], uint64(ente))
	binary.BigEndian.PutUint64(msg[8:], uint64(op))
	binary.BigEndian.PutUint64(msg[16:], uint64(now.Add(secondFactorTTL).Unix()))
	mac := hmac.New(sha256.New, s.derivedKey("operator second factor"))
	mac.Write(msg[:])
	return base64.RawURLEncoding.EncodeToString(append(msg[:], mac.Sum(nil)...))
}

// secondFactorPending checks the half-way cookie and returns the operator.
func (s *Server) secondFactorPending(r *http.Request, ente tenant.ID, now time.Time) (identity.OperatorID, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s.cookie(r, secondFactorCookie))
	if err != nil || len(b) != 24+sha256.Size {
		return 0, false
	}
	mac := hmac.New(sha256.New, s.derivedKey("operator second factor"))
	mac.Write(b[:24])
	if !hmac.Equal(mac.Sum(nil), b[24:]) {
		return 0, false
	}
	if tenant.ID(binary.BigEndian.Uint64(b[0:])) != ente || now.Unix() > int64(binary.BigEndian.Uint64(b[16:])) {
		return 0, false
	}
	return identity.OperatorID(binary.BigEndian.Uint64(b[8:])), true
}

// derivedKey gives each use of the secret key its own key.
func (s *Server) derivedKey(purpose string) []byte {
	mac := hmac.New(sha256.New, s.opt.SecretKey)
	mac.Write([]byte(purpose))
	return mac.Sum(nil)
}

// clientIP is the address the request came from: the load balancer's
// X-Forwarded-For when trusted, else the connection's.
func (s *Server) clientIP(r *http.Request) string {
	if s.opt.TrustProxy {
		if fwd := r.Header.Get("X-Forwarded-For"); fwd != "" {
			first, _, _ := strings.Cut(fwd, ",")
			if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// origin is the scheme and host the browser used, the base of the SAML
// entity IDs and endpoints.
func (s *Server) origin(r *http.Request) string {
	return RequestOrigin(s.opt.TrustProxy)(r)
}

// RequestOrigin returns the function that tells a request's origin
// (scheme://host), believing X-Forwarded-Proto only behind a trusted load
// balancer; the test IdPs use it to name themselves as the server does.
func RequestOrigin(trustProxy bool) func(*http.Request) string {
	return func(r *http.Request) string {
		scheme := "http"
		if requestIsHTTPS(r, trustProxy) {
			scheme = "https"
		}
		return scheme + "://" + r.Host
	}
}

// errNoSecretKey stops a server without a secret key from signing anything.
var errNoSecretKey = errors.New("web: no secret key")
