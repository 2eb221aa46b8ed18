package web

import (
	"crypto/x509"
	"net/http"
	"sync"

	"github.com/sportello/sportello/internal/identity/spid"
	"github.com/sportello/sportello/internal/sim/spididp"
)

// simPrefix is where the built-in test identity providers are mounted
// (demo and tests only).
const simPrefix = "/_sim/"

// TestIdPs are the built-in SPID and CIE test identity providers, mounted
// at /_sim/spid and /_sim/cie when the configuration allows them. They are
// made at their first use: each generates an RSA key pair, which would
// otherwise add a few hundred milliseconds to every start of the demo.
type TestIdPs struct {
	origin    func(*http.Request) string
	once      sync.Once
	spid, cie *spididp.IdP
	err       error
}

// NewTestIdPs prepares both simulators; each takes its entity ID from the
// request's origin, as the service provider does, so that the demo works on
// whatever host and port it is reached.
func NewTestIdPs(origin func(*http.Request) string) *TestIdPs {
	return &TestIdPs{origin: origin}
}

// get makes the simulators once and returns them.
func (t *TestIdPs) get() (spidIdP, cieIdP *spididp.IdP, err error) {
	t.once.Do(func() {
		if t.spid, t.err = spididp.New(spididp.Config{Profile: spididp.SPID,
			BaseURL: func(r *http.Request) string { return t.origin(r) + simPrefix + "spid" }}); t.err != nil {
			return
		}
		t.cie, t.err = spididp.New(spididp.Config{Profile: spididp.CIE,
			BaseURL: func(r *http.Request) string { return t.origin(r) + simPrefix + "cie" }})
	})
	return t.spid, t.cie, t.err
}

// handler serves one simulator, made on the first request.
func (t *TestIdPs) handler(profile spid.Profile) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, c, err := t.get()
		if err != nil {
			http.Error(w, "test identity provider unavailable", http.StatusServiceUnavailable)
			return
		}
		if profile == spid.CIE {
			c.ServeHTTP(w, r)
			return
		}
		s.ServeHTTP(w, r)
	})
}

// testIdPEntry describes a simulator the way the registry file describes a
// real identity provider.
func testIdPEntry(r *http.Request, sim *spididp.IdP, name string, p spid.Profile) *spid.IdP {
	base := sim.EntityID(r)
	return &spid.IdP{
		EntityID: base, Name: name, Profile: p,
		SSORedirect: base + "/sso", SSOPost: base + "/sso",
		SLORedirect: base + "/slo", SLOPost: base + "/slo",
		Certificates: []*x509.Certificate{sim.Certificate()},
	}
}

// identityProviders lists the identity providers offered on this request's
// login page: the deployment's registry, then the test IdPs when mounted.
func (s *Server) identityProviders(r *http.Request) []*spid.IdP {
	out := make([]*spid.IdP, 0, len(s.opt.IdPs)+2)
	out = append(out, s.opt.IdPs...)
	if t := s.opt.TestIdPs; t != nil {
		if sp, cie, err := t.get(); err == nil {
			out = append(out, testIdPEntry(r, sp, "Sportello Test IdP (SPID demo)", spid.SPID))
			out = append(out, testIdPEntry(r, cie, "Sportello Test IdP (CIE demo)", spid.CIE))
		} else {
			s.log.ErrorContext(r.Context(), "test identity providers", "err", err)
		}
	}
	return out
}

// identityProvider finds a listed identity provider by entity ID; an IdP
// that is not listed is never trusted (fail closed).
func (s *Server) identityProvider(r *http.Request, entityID string) (*spid.IdP, bool) {
	for _, idp := range s.identityProviders(r) {
		if idp.EntityID == entityID {
			return idp, true
		}
	}
	return nil, false
}
