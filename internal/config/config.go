// Package config holds every setting of the sportello binary in one struct,
// loaded from flags and SPORTELLO_* environment variables, with defaults,
// validated at start, and printable with its secrets masked.
package config

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Mode says whether the binary runs for real or as the self-contained demo.
type Mode string

// The modes the binary knows.
const (
	// Production runs against real external systems; simulators are refused.
	Production Mode = "production"
	// Demo runs with the built-in simulators and a seeded demo comune.
	Demo Mode = "demo"
)

// Config is the whole configuration of one sportello process.
type Config struct {
	Mode            Mode
	Addr            string
	DataDir         string
	DatabaseURL     string
	BlobURL         string
	DatabaseTimeout time.Duration
	BaseURL         string
	LogLevel        slog.Level
	LogFormat       string
	ShutdownTimeout time.Duration
	JobWorkers      int
	TrustProxy      bool
	// SecretKey seals secrets kept in the database (SAML signing keys,
	// operators' TOTP seeds): 32 bytes, given in base64. Required in
	// production; the demo keeps a generated one in its data folder.
	SecretKey []byte
	// IdPRegistry is the file listing the SPID and CIE identity providers
	// (their SAML metadata, as AgID publishes it).
	IdPRegistry string
	// TestIdP mounts the built-in SPID/CIE test identity provider under
	// /_sim/; on by default in the demo, refused in production.
	TestIdP bool
	// SMTPURL is the mail relay (smtp://user:pass@host:587?tls=starttls&from=…);
	// empty means no e-mail in production and the mail catcher in the demo.
	SMTPURL string
	// PagoPA is how the ente reaches pagoPA: the GPD, receipts and
	// Checkout base URLs, the subscription key and the station's ids. The
	// switch from the simulator to the platform is these settings only.
	PagoPA PagoPA
}

// PagoPA configures the pagoPA clients (see docs/pagopa.md).
type PagoPA struct {
	// PositionsURL is GPD's debt-positions service up to /v1; empty with
	// Sim mounts the simulator and points every URL at it.
	PositionsURL string
	ReceiptsURL  string
	CheckoutURL  string
	// FdRURL is the reconciliation-flows API up to /v1; empty means no
	// reconciliation (the simulator's with Sim).
	FdRURL string
	// Key is the subscription key (Ocp-Apim-Subscription-Key).
	Key string
	// BrokerID and StationID are the intermediary and station the ente's
	// messages name (idBrokerPA, idStation).
	BrokerID, StationID string
	// PollInterval is how often receipts of open notices are fetched.
	PollInterval time.Duration
	// Sim mounts the built-in pagoPA simulator at /_sim/pagopa (demo and
	// tests; refused in production).
	Sim bool
	// OwnStation serves the ente's own pagoPA station (the synchronous
	// mode: paVerifyPaymentNotice, paGetPaymentV2, paSendRTV2) at
	// /pagopa/stazione, answering as BrokerID and StationID.
	OwnStation bool
}

// Enabled reports whether payments go anywhere: the platform or the simulator.
func (p PagoPA) Enabled() bool { return p.Sim || p.PositionsURL != "" }

// setting describes one configuration item: its flag, its variable, its
// default and how to read it into the struct.
type setting struct {
	flag, env, def, help string
	secret               bool
	// opaque secrets are masked whole, not just a URL's password.
	opaque bool
	set    func(c *Config, v string) error
	get    func(c *Config) string
}

func settings() []setting {
	return []setting{
		{flag: "addr", env: "SPORTELLO_ADDR", def: "127.0.0.1:8080",
			help: "address the HTTP server listens on (host:port)",
			set: func(c *Config, v string) error {
				if _, _, err := net.SplitHostPort(v); err != nil {
					return errors.New("want host:port")
				}
				c.Addr = v
				return nil
			},
			get: func(c *Config) string { return c.Addr }},
		{flag: "data", env: "SPORTELLO_DATA_DIR", def: "./data",
			help: "folder for the SQLite database and local documents",
			set: func(c *Config, v string) error {
				if strings.TrimSpace(v) == "" {
					return errors.New("must not be empty")
				}
				c.DataDir = v
				return nil
			},
			get: func(c *Config) string { return c.DataDir }},
		{flag: "database", env: "SPORTELLO_DATABASE_URL", def: "",
			help: "sqlite:///path/file.db or postgres://user:pass@host/db (default: sqlite file sportello.db in the data folder)", secret: true,
			set: func(c *Config, v string) error {
				if v != "" && !strings.HasPrefix(v, "sqlite://") && !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
					return errors.New("want sqlite://… or postgres://…")
				}
				c.DatabaseURL = v
				return nil
			},
			get: func(c *Config) string { return c.DatabaseURL }},
		{flag: "database-timeout", env: "SPORTELLO_DATABASE_TIMEOUT", def: "30s",
			help: "how long to keep retrying an unreachable PostgreSQL server at start",
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d <= 0 {
					return errors.New("want a positive duration such as 30s")
				}
				c.DatabaseTimeout = d
				return nil
			},
			get: func(c *Config) string { return c.DatabaseTimeout.String() }},
		{flag: "blobs", env: "SPORTELLO_BLOB_URL", def: "",
			help: "document store: file:///path or s3://KEY:SECRET@host:port/bucket?ssl=true&region=… (default: folder blobs in the data folder)", secret: true,
			set: func(c *Config, v string) error {
				if v != "" && !strings.HasPrefix(v, "file://") && !strings.HasPrefix(v, "s3://") {
					return errors.New("want file://… or s3://…")
				}
				c.BlobURL = v
				return nil
			},
			get: func(c *Config) string { return c.BlobURL }},
		{flag: "base-url", env: "SPORTELLO_BASE_URL", def: "",
			help: "public URL of the service, used in links and e-mails (default: http://<addr>)",
			set: func(c *Config, v string) error {
				if v == "" {
					c.BaseURL = ""
					return nil
				}
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return errors.New("want an absolute http(s) URL")
				}
				c.BaseURL = strings.TrimRight(v, "/")
				return nil
			},
			get: func(c *Config) string { return c.BaseURL }},
		{flag: "log-level", env: "SPORTELLO_LOG_LEVEL", def: "info",
			help: "debug, info, warn or error",
			set: func(c *Config, v string) error {
				return c.LogLevel.UnmarshalText([]byte(v))
			},
			get: func(c *Config) string { return strings.ToLower(c.LogLevel.String()) }},
		{flag: "log-format", env: "SPORTELLO_LOG_FORMAT", def: "text",
			help: "text or json",
			set: func(c *Config, v string) error {
				if v != "text" && v != "json" {
					return errors.New("want text or json")
				}
				c.LogFormat = v
				return nil
			},
			get: func(c *Config) string { return c.LogFormat }},
		{flag: "shutdown-timeout", env: "SPORTELLO_SHUTDOWN_TIMEOUT", def: "25s",
			help: "how long to wait for in-flight requests and jobs on SIGTERM",
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d <= 0 {
					return errors.New("want a positive duration such as 25s")
				}
				c.ShutdownTimeout = d
				return nil
			},
			get: func(c *Config) string { return c.ShutdownTimeout.String() }},
		{flag: "job-workers", env: "SPORTELLO_JOB_WORKERS", def: "4",
			help: "background jobs run at once by this instance (0 disables the worker)",
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 || n > 1000 {
					return errors.New("want a whole number from 0 to 1000")
				}
				c.JobWorkers = n
				return nil
			},
			get: func(c *Config) string { return strconv.Itoa(c.JobWorkers) }},
		{flag: "trust-proxy", env: "SPORTELLO_TRUST_PROXY", def: "false",
			help: "trust X-Forwarded-Proto and X-Forwarded-For from the load balancer",
			set: func(c *Config, v string) error {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return errors.New("want true or false")
				}
				c.TrustProxy = b
				return nil
			},
			get: func(c *Config) string { return strconv.FormatBool(c.TrustProxy) }},
		{flag: "secret-key", env: "SPORTELLO_SECRET_KEY", def: "",
			help: "32 random bytes in base64 that seal keys kept in the database (openssl rand -base64 32); required in production", secret: true, opaque: true,
			set: func(c *Config, v string) error {
				if v == "" {
					c.SecretKey = nil
					return nil
				}
				k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
				if err != nil || len(k) != 32 {
					return errors.New("want 32 bytes in base64 (openssl rand -base64 32)")
				}
				c.SecretKey = k
				return nil
			},
			get: func(c *Config) string {
				if c.SecretKey == nil {
					return ""
				}
				return base64.StdEncoding.EncodeToString(c.SecretKey)
			}},
		{flag: "idp-registry", env: "SPORTELLO_IDP_REGISTRY", def: "",
			help: "file with the SAML metadata of the SPID and CIE identity providers (AgID's list)",
			set: func(c *Config, v string) error {
				c.IdPRegistry = v
				return nil
			},
			get: func(c *Config) string { return c.IdPRegistry }},
		{flag: "smtp", env: "SPORTELLO_SMTP_URL", def: "",
			help: "mail relay: smtp://user:pass@host:587?tls=starttls&from=noreply@comune.example.it (default: none; the demo keeps mail in its catcher)", secret: true,
			set: func(c *Config, v string) error {
				if v != "" && !strings.HasPrefix(v, "smtp://") && !strings.HasPrefix(v, "smtps://") {
					return errors.New("want smtp://… or smtps://…")
				}
				c.SMTPURL = v
				return nil
			},
			get: func(c *Config) string { return c.SMTPURL }},
		{flag: "test-idp", env: "SPORTELLO_TEST_IDP", def: "",
			help: "mount the built-in SPID/CIE test identity provider at /_sim/spid and /_sim/cie (default: on in demo; refused in production)",
			set: func(c *Config, v string) error {
				if v == "" {
					c.TestIdP = c.Mode == Demo
					return nil
				}
				b, err := strconv.ParseBool(v)
				if err != nil {
					return errors.New("want true or false")
				}
				if b && c.Mode == Production {
					return errors.New("the test identity provider cannot run in production mode (use sportello demo)")
				}
				c.TestIdP = b
				return nil
			},
			get: func(c *Config) string { return strconv.FormatBool(c.TestIdP) }},
		{flag: "pagopa-gpd-url", env: "SPORTELLO_PAGOPA_GPD_URL", def: "",
			help: "pagoPA GPD debt-positions service up to /v1 (https://api.platform.pagopa.it/gpd/debt-positions-service/v1); empty: no payments, or the simulator with --pagopa-sim",
			set:  func(c *Config, v string) error { return setURL(&c.PagoPA.PositionsURL, v) },
			get:  func(c *Config) string { return c.PagoPA.PositionsURL }},
		{flag: "pagopa-receipts-url", env: "SPORTELLO_PAGOPA_RECEIPTS_URL", def: "",
			help: "pagoPA GPD receipts service up to /v1 (https://api.platform.pagopa.it/gpd/payments-receipts-service/v1)",
			set:  func(c *Config, v string) error { return setURL(&c.PagoPA.ReceiptsURL, v) },
			get:  func(c *Config) string { return c.PagoPA.ReceiptsURL }},
		{flag: "pagopa-checkout-url", env: "SPORTELLO_PAGOPA_CHECKOUT_URL", def: "",
			help: "pagoPA Checkout carts API up to /v1 (https://api.platform.pagopa.it/checkout/ec/v1)",
			set:  func(c *Config, v string) error { return setURL(&c.PagoPA.CheckoutURL, v) },
			get:  func(c *Config) string { return c.PagoPA.CheckoutURL }},
		{flag: "pagopa-fdr-url", env: "SPORTELLO_PAGOPA_FDR_URL", def: "",
			help: "pagoPA reconciliation flows (FdR) API up to /v1 (https://api.platform.pagopa.it/fdr-org/service/v1); empty: no reconciliation",
			set:  func(c *Config, v string) error { return setURL(&c.PagoPA.FdRURL, v) },
			get:  func(c *Config) string { return c.PagoPA.FdRURL }},
		{flag: "pagopa-key", env: "SPORTELLO_PAGOPA_KEY", def: "", secret: true, opaque: true,
			help: "pagoPA subscription key (Ocp-Apim-Subscription-Key) from the pagoPA back office",
			set:  func(c *Config, v string) error { c.PagoPA.Key = strings.TrimSpace(v); return nil },
			get:  func(c *Config) string { return c.PagoPA.Key }},
		{flag: "pagopa-broker", env: "SPORTELLO_PAGOPA_BROKER_ID", def: "",
			help: "pagoPA intermediary (idBrokerPA): the fiscal code of the ente or of its technological partner",
			set:  func(c *Config, v string) error { c.PagoPA.BrokerID = v; return nil },
			get:  func(c *Config) string { return c.PagoPA.BrokerID }},
		{flag: "pagopa-station", env: "SPORTELLO_PAGOPA_STATION_ID", def: "",
			help: "pagoPA station (idStation), e.g. 00299740228_01",
			set:  func(c *Config, v string) error { c.PagoPA.StationID = v; return nil },
			get:  func(c *Config) string { return c.PagoPA.StationID }},
		{flag: "pagopa-poll", env: "SPORTELLO_PAGOPA_POLL_INTERVAL", def: "1m",
			help: "how often the receipts of open payment notices are fetched",
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d < time.Second {
					return errors.New("want a duration of at least 1s, such as 1m")
				}
				c.PagoPA.PollInterval = d
				return nil
			},
			get: func(c *Config) string { return c.PagoPA.PollInterval.String() }},
		{flag: "pagopa-sim", env: "SPORTELLO_PAGOPA_SIM", def: "",
			help: "mount the built-in pagoPA simulator at /_sim/pagopa and use it when no GPD URL is given (default: on in demo; refused in production)",
			set: func(c *Config, v string) error {
				if v == "" {
					c.PagoPA.Sim = c.Mode == Demo
					return nil
				}
				b, err := strconv.ParseBool(v)
				if err != nil {
					return errors.New("want true or false")
				}
				if b && c.Mode == Production {
					return errors.New("the pagoPA simulator cannot run in production mode (use sportello demo)")
				}
				c.PagoPA.Sim = b
				return nil
			},
			get: func(c *Config) string { return strconv.FormatBool(c.PagoPA.Sim) }},
		{flag: "pagopa-own-station", env: "SPORTELLO_PAGOPA_OWN_STATION", def: "",
			help: "serve the ente's own pagoPA station (SOAP, synchronous mode) at /pagopa/stazione as --pagopa-broker/--pagopa-station (default: on in demo)",
			set: func(c *Config, v string) error {
				if v == "" {
					c.PagoPA.OwnStation = c.Mode == Demo
					return nil
				}
				b, err := strconv.ParseBool(v)
				if err != nil {
					return errors.New("want true or false")
				}
				c.PagoPA.OwnStation = b
				return nil
			},
			get: func(c *Config) string { return strconv.FormatBool(c.PagoPA.OwnStation) }},
	}
}

// setURL stores an absolute http(s) URL without its trailing slash, or "".
func setURL(dst *string, v string) error {
	if v == "" {
		*dst = ""
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an absolute http(s) URL")
	}
	*dst = strings.TrimRight(v, "/")
	return nil
}

// UsageError is a configuration mistake by whoever started the binary; the
// process exits with status 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// valueFunc adapts a setting to flag.Value.
type valueFunc struct {
	s   setting
	cfg *Config
}

func (v valueFunc) String() string {
	if v.cfg == nil {
		return ""
	}
	return v.s.get(v.cfg)
}
func (v valueFunc) Set(s string) error { return v.s.set(v.cfg, s) }

// IsBoolFlag lets boolean settings be given as a bare --flag.
func (v valueFunc) IsBoolFlag() bool {
	return v.s.def == "false" || v.s.def == "true" || v.s.flag == "test-idp" || v.s.flag == "pagopa-sim" ||
		v.s.flag == "pagopa-own-station"
}

// Load reads the configuration for the named command from defaults, then the
// environment (getenv), then the command-line args. Help goes to out.
func Load(command string, mode Mode, args []string, getenv func(string) string, out io.Writer) (*Config, error) {
	cfg := &Config{Mode: mode}
	all := settings()
	for _, s := range all {
		if err := s.set(cfg, s.def); err != nil {
			return nil, fmt.Errorf("config: default of --%s: %w", s.flag, err)
		}
	}
	for _, s := range all {
		if v := getenv(s.env); v != "" {
			if err := s.set(cfg, v); err != nil {
				return nil, &UsageError{fmt.Errorf("invalid %s %q: %w", s.env, mask(s, v), err)}
			}
		}
	}
	fs := flag.NewFlagSet("sportello "+command, flag.ContinueOnError)
	fs.SetOutput(out)
	for _, s := range all {
		fs.Var(valueFunc{s: s, cfg: cfg}, s.flag, s.help)
	}
	fs.Usage = func() { Usage(out, "sportello "+command) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &UsageError{err}
	}
	if fs.NArg() > 0 {
		return nil, &UsageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	cfg.fill()
	return cfg, nil
}

// ErrNoSecretKey is returned by RequireSecretKey: a production server needs
// the key that seals the secrets it keeps in the database.
var ErrNoSecretKey = errors.New("SPORTELLO_SECRET_KEY (--secret-key) is required in production: " +
	"generate one with openssl rand -base64 32 and keep it safe with the database backups")

// RequireSecretKey fails with a UsageError when the server would run without
// a secret key: the demo generates its own, production must be given one.
func (c *Config) RequireSecretKey() error {
	if c.SecretKey == nil {
		return &UsageError{ErrNoSecretKey}
	}
	return nil
}

// fill derives the defaults that depend on other settings.
func (c *Config) fill() {
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite://" + filepath.ToSlash(filepath.Join(c.DataDir, "sportello.db"))
	}
	if c.BlobURL == "" {
		c.BlobURL = "file://" + filepath.ToSlash(filepath.Join(c.DataDir, "blobs"))
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
}

// Usage prints every setting with its flag, variable, default and meaning.
func Usage(out io.Writer, name string) {
	fmt.Fprintf(out, "Usage: %s [flags]\n\nEvery flag can also be set by its environment variable; flags win.\n\n", name)
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "FLAG\tVARIABLE\tDEFAULT\tMEANING")
	for _, s := range settings() {
		def := s.def
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "--%s\t%s\t%s\t%s\n", s.flag, s.env, def, s.help)
	}
	tw.Flush()
}

// Print writes the effective configuration, with secrets masked.
func (c *Config) Print(out io.Writer) {
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "mode\t%s\n", c.Mode)
	for _, s := range settings() {
		fmt.Fprintf(tw, "%s\t%s\n", s.env, mask(s, s.get(c)))
	}
	tw.Flush()
}

// Attrs returns the configuration as log attributes, with secrets masked.
func (c *Config) Attrs() []any {
	attrs := []any{slog.String("mode", string(c.Mode))}
	for _, s := range settings() {
		attrs = append(attrs, slog.String(s.flag, mask(s, s.get(c))))
	}
	return attrs
}

// mask hides the password of a URL-valued secret setting.
func mask(s setting, v string) string {
	if !s.secret || v == "" {
		return v
	}
	if s.opaque {
		return "xxxxx"
	}
	return MaskURL(v)
}

// MaskURL replaces the password in a URL (user:password@…) and any
// password-like query parameter with "xxxxx".
func MaskURL(v string) string {
	u, err := url.Parse(v)
	if err != nil {
		return "xxxxx"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	changed := false
	for k := range q {
		switch strings.ToLower(k) {
		case "password", "secret", "sslpassword", "secret_key":
			q.Set(k, "xxxxx")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}
