package mail

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
)

// TLSMode is how the connection to the relay is protected.
type TLSMode string

// The TLS modes. There is no opportunistic mode: a relay that silently drops
// STARTTLS would otherwise receive credentials and citizens' data in clear.
const (
	// StartTLS connects in clear and upgrades with STARTTLS, refusing a
	// relay that does not offer it (port 587, "submission").
	StartTLS TLSMode = "starttls"
	// ImplicitTLS speaks TLS from the first byte (port 465, "submissions").
	ImplicitTLS TLSMode = "tls"
	// NoTLS is for a relay on the same host or private network (port 25);
	// it refuses credentials, which would travel in clear.
	NoTLS TLSMode = "none"
)

// hostRe matches a DNS host name.
var hostRe = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// defaultPort is the port each mode uses when the URL names none.
var defaultPort = map[TLSMode]int{StartTLS: 587, ImplicitTLS: 465, NoTLS: 25}

// DefaultTimeout bounds connecting and each SMTP command when the URL says
// nothing; it stays below River's one-minute job timeout.
const DefaultTimeout = 30 * time.Second

// SMTPConfig is the relay that SMTP sends through.
type SMTPConfig struct {
	Host string
	Port int
	// Username and Password authenticate with the relay; both empty means
	// no authentication.
	Username string
	Password string
	TLS      TLSMode
	// From is the bare address every message is sent from, one the relay
	// is authorised to send for (SPF, DKIM); the ente's name is its display
	// name.
	From string
	// HELO is the name given in EHLO; empty means the machine's host name.
	HELO string
	// Timeout bounds connecting and each command.
	Timeout time.Duration
}

// ParseSMTPURL reads the relay's settings from one URL, the form of the
// --smtp flag and SPORTELLO_SMTP_URL:
//
//	smtp://user:pass@smtp.example.it:587?tls=starttls&from=noreply@comune.example.it
//	smtps://user:pass@smtp.example.it?from=noreply@comune.example.it
//	smtp://localhost:25?tls=none&from=noreply@comune.example.it
//
// tls is starttls (the default for smtp://), tls (implied by smtps://) or
// none; from is required; timeout (e.g. 20s) and helo are optional. The
// port defaults to 587, 465 or 25 by mode; user name and password must be
// percent-encoded. Errors never repeat the password.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	c, err := parseSMTPURL(raw)
	if err != nil {
		return SMTPConfig{}, apperr.Errorf(apperr.Invalid, "mail: SMTP URL: %w", err)
	}
	return c, nil
}

func parseSMTPURL(raw string) (SMTPConfig, error) {
	var c SMTPConfig
	u, err := url.Parse(raw)
	if err != nil {
		// The parser's message quotes the URL, or a piece of it that may be
		// the password (smtp://user:secret without @host reads as a port).
		return c, errors.New("cannot parse (are user name and password percent-encoded?)")
	}
	switch u.Scheme {
	case "smtp":
		c.TLS = StartTLS
	case "smtps":
		c.TLS = ImplicitTLS
	default:
		return c, errors.New("scheme must be smtp:// or smtps://")
	}
	if u.Opaque != "" || u.Host == "" {
		return c, errors.New("no host (want smtp://host:port?from=…)")
	}
	if u.Path != "" && u.Path != "/" || u.Fragment != "" {
		return c, errors.New("a path or fragment has no meaning here")
	}
	c.Host = u.Hostname()
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, errors.New("malformed query")
	}
	for k, v := range q {
		if len(v) != 1 {
			return c, fmt.Errorf("parameter %q given %d times", k, len(v))
		}
		switch val := v[0]; k {
		case "tls":
			mode := TLSMode(val)
			if _, ok := defaultPort[mode]; !ok {
				return c, fmt.Errorf("tls=%q: want starttls, tls or none", val)
			}
			if u.Scheme == "smtps" && mode != ImplicitTLS {
				return c, fmt.Errorf("smtps:// means tls=tls, not tls=%s", val)
			}
			c.TLS = mode
		case "from":
			c.From = val
		case "helo":
			c.HELO = val
		case "timeout":
			d, err := time.ParseDuration(val)
			if err != nil {
				return c, fmt.Errorf("timeout=%q: want a duration such as 30s", val)
			}
			c.Timeout = d
		default:
			return c, fmt.Errorf("unknown parameter %q (want tls, from, timeout, helo)", k)
		}
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return c, fmt.Errorf("port %q is not a number", p)
		}
		c.Port = n
	} else {
		c.Port = defaultPort[c.TLS]
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c, c.validate()
}

// validate checks a configuration however it was built.
func (c SMTPConfig) validate() error {
	if net.ParseIP(c.Host) == nil && !hostRe.MatchString(c.Host) {
		return errors.New("no valid host name or IP address")
	}
	if c.Port < 1 || c.Port > 65535 {
		return fmt.Errorf("port %d out of range", c.Port)
	}
	if _, ok := defaultPort[c.TLS]; !ok {
		return fmt.Errorf("tls mode %q: want starttls, tls or none", c.TLS)
	}
	if (c.Username == "") != (c.Password == "") {
		return errors.New("user name and password go together")
	}
	if c.Username != "" && c.TLS == NoTLS {
		return errors.New("tls=none would send the password in clear; use starttls or tls")
	}
	if c.From == "" {
		return errors.New("from= is required (the sender address)")
	}
	if err := ValidateAddress(c.From); err != nil {
		return fmt.Errorf("from=%q is not one plain address", c.From)
	}
	if c.HELO != "" && (strings.ContainsAny(c.HELO, " \t\r\n") || len(c.HELO) > 255) {
		return errors.New("helo is not a host name")
	}
	if c.Timeout < time.Second || c.Timeout > 10*time.Minute {
		return fmt.Errorf("timeout %s: want between 1s and 10m", c.Timeout)
	}
	return nil
}

// String returns the configuration as a URL with the password masked, for
// printing the effective configuration and for logs.
func (c SMTPConfig) String() string { return c.url("xxxxx") }

// url renders the configuration as a URL that ParseSMTPURL reads back, with
// password in place of the real one.
func (c SMTPConfig) url(password string) string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	if c.Username != "" {
		u.User = url.UserPassword(c.Username, password)
	}
	q := url.Values{}
	q.Set("tls", string(c.TLS))
	q.Set("from", c.From)
	if c.HELO != "" {
		q.Set("helo", c.HELO)
	}
	q.Set("timeout", c.Timeout.String())
	u.RawQuery = q.Encode()
	return u.String()
}
