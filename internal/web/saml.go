package web

import (
	"crypto/x509"
	"net/http"

	"github.com/sportello/sportello/internal/identity/spid"
	"github.com/sportello/sportello/internal/sim/spididp"
)

// simPrefix is where the built-in test identity providers are mounted
// (demo and tests only).
const simPrefix = "/_sim/"

// TestIdPs are the built-in SPID and CIE test identity providers, mounted
// at /_sim/spid and /_sim/cie when the configuration allows them.
type TestIdPs struct {
	SPID, CIE *spididp.IdP
}

// NewTestIdPs makes both simulators; each takes its entity ID from the
// request's origin, as the service provider does, so that the demo works on
// whatever host and port it is reached.
func NewTestIdPs(origin func(*http.Request) string) (*TestIdPs, error) {
	s, err := spididp.New(spididp.Config{Profile: spididp.SPID,
		BaseURL: func(r *http.Request) string { return origin(r) + simPrefix + "spid" }})
	if err != nil {
		return nil, err
	}
	c, err := spididp.New(spididp.Config{Profile: spididp.CIE,
		BaseURL: func(r *http.Request) string { return origin(r) + simPrefix + "cie" }})
	if err != nil {
		return nil, err
	}
	return &TestIdPs{SPID: s, CIE: c}, nil
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
		out = append(out, testIdPEntry(r, t.SPID, "Sportello Test IdP (SPID demo)", spid.SPID))
		out = append(out, testIdPEntry(r, t.CIE, "Sportello Test IdP (CIE demo)", spid.CIE))
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
