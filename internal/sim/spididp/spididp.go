// Package spididp is a SPID (or CIE) SAML identity provider for tests and
// the demo: a real IdP that speaks SAML 2.0 over HTTP to any service
// provider, so that Sportello's SP is exercised exactly as AgID's IdPs will
// exercise it, through its real client code and without a network.
//
// It publishes signed metadata, checks AuthnRequests as strictly as a SPID
// IdP does (answering with the AgID anomaly codes, "ErrorCode nr…"), shows a
// page of demo identities where the tester picks a person, a SPID level and
// a fault to inject (user anomalies, wrong audience, expired or unsigned
// assertion, replay, unknown key, wrong InResponseTo), and posts a signed
// SPID-shaped Response to the SP. It also handles single logout in both
// directions. It knows SPs only through their metadata, fetched from their
// entityID, and imports nothing of Sportello's SP.
//
// Forbidden in production: the simulator logs in anyone as anyone. The host
// mounts it only in demo mode and in tests; the package itself does not
// check the mode.
//
// Mount it under a prefix with http.StripPrefix, and tell it the public URL
// of that prefix through Config.BaseURL:
//
//	idp, err := spididp.New(spididp.Config{BaseURL: spididp.FixedURL("http://localhost:8080/_sim/spid")})
//	h := http.StripPrefix("/_sim/spid", idp)
//	mux.Handle("/_sim/spid/", h)
//	mux.Handle("/_sim/spid", h) // the entityID itself, without a redirect
//
// The entityID is the base URL itself, which serves the metadata (as does
// /metadata); SSO is at /sso, SLO at /slo, and the open sessions are
// listed at /sessions, with a button each for an IdP-initiated logout.
package spididp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sportello/sportello/internal/apperr"
)

// Profile chooses between SPID and CIE's SAML profile: they differ in the
// IdP's name and in the attributes it may release.
type Profile string

// The two profiles the simulator can play.
const (
	SPID Profile = "spid"
	CIE  Profile = "cie"
)

// Config is what the host gives the simulator; only BaseURL is required.
type Config struct {
	// BaseURL returns the public URL of the mount point, without a
	// trailing slash, for a request: it is the IdP's entityID and the root
	// of its endpoints. FixedURL makes one from a constant.
	BaseURL func(r *http.Request) string
	// Profile is SPID (the default) or CIE.
	Profile Profile
	// Key and Cert sign everything the IdP sends. When both are nil, New
	// generates an RSA-2048 key and a self-signed certificate, kept in
	// memory only: the host trusts it through the metadata or Certificate.
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
	// HTTPClient fetches SP metadata; nil means a client with a 10 s
	// timeout.
	HTTPClient *http.Client
	// Identities are the people offered on the login page; nil means
	// DemoIdentities().
	Identities []Identity
	// Now is the clock; nil means time.Now. Tests fix it.
	Now func() time.Time
	// StylesheetURL, when set, is linked from every page (the host's
	// Bootstrap Italia), before the simulator's own small stylesheet.
	StylesheetURL string
	// Logger receives one line per message exchanged; nil discards.
	Logger *slog.Logger
}

// FixedURL returns a Config.BaseURL for a simulator that always lives at
// the same address, as in the demo and in tests.
func FixedURL(u string) func(*http.Request) string {
	u = strings.TrimSuffix(u, "/")
	return func(*http.Request) string { return u }
}

// IdP is the simulated identity provider, an http.Handler. Its state
// (pending logins, sessions, cached SP metadata) lives in memory and is lost
// on restart, which a simulator can afford.
//
// Forbidden in production: it signs whatever identity the visitor picks.
// The host mounts it only in demo mode and in tests.
type IdP struct {
	cfg   Config
	key   *rsa.PrivateKey
	cert  *x509.Certificate
	mux   *http.ServeMux
	pages pages

	mu       sync.Mutex
	pending  map[string]*pending
	sessions map[string]*session
	// lastResponse is the last successful Response sent to each SP
	// (by entityID), base64-encoded as posted, for the replay fault.
	lastResponse map[string]string
	spCache      map[string]cachedSP
	// logouts are the IdP-initiated LogoutRequests awaiting an answer.
	logouts map[string]sentLogout

	// foreign is a second key pair, made on first use, that signs the
	// "unknown key" fault: a valid signature the SP must not trust.
	foreignOnce sync.Once
	foreignKey  *rsa.PrivateKey
	foreignCert *x509.Certificate
	foreignErr  error
}

// New checks the configuration, fills in defaults and generates a key pair
// when none is given.
func New(cfg Config) (*IdP, error) {
	if cfg.BaseURL == nil {
		return nil, apperr.Errorf(apperr.Invalid, "spididp: Config.BaseURL is required")
	}
	switch cfg.Profile {
	case "":
		cfg.Profile = SPID
	case SPID, CIE:
	default:
		return nil, apperr.Errorf(apperr.Invalid, "spididp: unknown profile %q", cfg.Profile)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Identities == nil {
		cfg.Identities = DemoIdentities()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if (cfg.Key == nil) != (cfg.Cert == nil) {
		return nil, apperr.Errorf(apperr.Invalid, "spididp: Key and Cert go together")
	}
	p := &IdP{
		cfg:          cfg,
		key:          cfg.Key,
		cert:         cfg.Cert,
		pending:      map[string]*pending{},
		sessions:     map[string]*session{},
		lastResponse: map[string]string{},
		spCache:      map[string]cachedSP{},
		logouts:      map[string]sentLogout{},
	}
	if p.key == nil {
		var err error
		if p.key, p.cert, err = newKeyPair("Sportello SPID test IdP", cfg.Now()); err != nil {
			return nil, fmt.Errorf("spididp: %w", err)
		}
	}
	var err error
	if p.pages, err = parsePages(); err != nil {
		return nil, fmt.Errorf("spididp: %w", err)
	}
	p.routes()
	return p, nil
}

// Certificate returns the signing certificate, so that the host can trust
// the simulator without fetching its metadata.
func (p *IdP) Certificate() *x509.Certificate { return p.cert }

// EntityID returns the IdP's entityID as seen by a request: the base URL,
// which is also where its metadata is served.
func (p *IdP) EntityID(r *http.Request) string { return strings.TrimSuffix(p.cfg.BaseURL(r), "/") }

// url returns the public URL of one of the IdP's endpoints.
func (p *IdP) url(r *http.Request, path string) string { return p.EntityID(r) + path }

// routes lists every endpoint in one table.
func (p *IdP) routes() {
	m := http.NewServeMux()
	m.Handle("GET /{$}", p.handle(p.metadataShow))
	m.Handle("GET /metadata", p.handle(p.metadataShow))
	m.Handle("GET /sso", p.handle(p.ssoRedirect))
	m.Handle("POST /sso", p.handle(p.ssoPost))
	m.Handle("POST /login", p.handle(p.loginSubmit))
	m.Handle("GET /slo", p.handle(p.sloRedirect))
	m.Handle("POST /slo", p.handle(p.sloPost))
	m.Handle("GET /sessions", p.handle(p.sessionsList))
	m.Handle("POST /logout", p.handle(p.sessionsLogout))
	m.Handle("GET /static/{file}", p.handle(p.staticFile))
	p.mux = m
}

// ServeHTTP serves the IdP's endpoints. It expects the mount prefix to be
// stripped already (http.StripPrefix); an empty path is the root.
func (p *IdP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "" {
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/"
		r = r2
	}
	p.mux.ServeHTTP(w, r)
}

// handle adapts a handler that returns an error, which the single error
// page renders.
func (p *IdP) handle(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			p.fail(w, r, err)
		}
	})
}

// fail renders the error page: a broken SAML rule names its AgID anomaly
// code, as a real IdP's courtesy page does; other errors map by kind.
func (p *IdP) fail(w http.ResponseWriter, r *http.Request, err error) {
	data := errorPage{chrome: p.chrome("Errore"), Message: apperr.PublicOf(err)}
	status := http.StatusInternalServerError
	var re *ruleError
	switch {
	case errors.As(err, &re):
		a := anomalies[re.Code]
		status = re.httpStatus()
		data.Title = "Richiesta non valida"
		data.Message = "La richiesta del servizio non rispetta le regole SAML e SPID: il gestore del servizio deve correggerla."
		data.Code = re.code()
		data.Rule = a.Scenario
		data.Detail = re.Detail
		data.Reply = re.reply
	case apperr.Is(err, apperr.NotFound):
		status = http.StatusNotFound
	case apperr.Is(err, apperr.Invalid):
		status = http.StatusBadRequest
	case apperr.Is(err, apperr.Conflict):
		status = http.StatusConflict
	case apperr.Is(err, apperr.TooLarge):
		status = http.StatusRequestEntityTooLarge
	case apperr.Is(err, apperr.Unavailable):
		status = http.StatusBadGateway
	}
	if data.Message == "" {
		data.Message = statusMessages[status]
	}
	p.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, "spididp: request refused",
		slog.String("path", r.URL.Path), slog.Int("status", status), slog.String("error", err.Error()))
	_ = p.render(w, r, status, "error.html", data) // the client has gone if this fails
}

// statusMessages are the error page's default texts, for errors that carry
// no message of their own.
var statusMessages = map[int]string{
	http.StatusBadRequest:            "La richiesta non è valida.",
	http.StatusNotFound:              "La pagina o la richiesta cercata non esiste.",
	http.StatusConflict:              "La richiesta è in conflitto con lo stato del simulatore.",
	http.StatusRequestEntityTooLarge: "La richiesta è troppo grande.",
	http.StatusBadGateway:            "Il servizio non risponde: riprova più tardi.",
	http.StatusInternalServerError:   "Errore interno del simulatore.",
}

// newKeyPair makes an RSA-2048 key and a self-signed signing certificate
// valid from an hour before now for ten years.
func newKeyPair(cn string, now time.Time) (*rsa.PrivateKey, *x509.Certificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, fmt.Errorf("serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName: cn, Organization: []string{"Sportello (simulatore)"},
			Country: []string{"IT"}, Locality: []string{"Ala"},
		},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("self-sign: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parse certificate: %w", err)
	}
	return key, cert, nil
}

// foreignPair returns the key pair of the "unknown key" fault.
func (p *IdP) foreignPair() (*rsa.PrivateKey, *x509.Certificate, error) {
	p.foreignOnce.Do(func() {
		p.foreignKey, p.foreignCert, p.foreignErr = newKeyPair("Unknown IdP", p.cfg.Now())
	})
	return p.foreignKey, p.foreignCert, p.foreignErr
}

// newID returns an unguessable identifier that is also a valid xs:ID
// (it starts with a letter): 128 random bits in hex.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails.
	return fmt.Sprintf("_%x", b)
}

// samlTime formats a time as SAML wants it: UTC, seconds, "Z".
func samlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
