package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/sportello/sportello/internal/apperr"
)

// SMTP sends messages through a relay with go-mail, one connection per
// message: messages are few (one per event of a pratica), and a fresh
// connection leaves no state to share between concurrent jobs.
type SMTP struct {
	cfg SMTPConfig
	now func() time.Time
	// roots are the trusted CAs; nil means the system's (tests set their own).
	roots *x509.CertPool
}

// NewSMTP returns the production Sender for the relay cfg describes,
// checking cfg as ParseSMTPURL does. It does not connect: a relay that is
// down when the server starts delays e-mail, it does not stop the service.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if err := cfg.validate(); err != nil {
		return nil, apperr.Errorf(apperr.Invalid, "mail: SMTP: %w", err)
	}
	return &SMTP{cfg: cfg, now: time.Now}, nil
}

// Via names this Sender in the mail.via column.
func (*SMTP) Via() string { return "smtp" }

// Send delivers m to the relay. A recipient the relay refuses with a
// permanent (5xx) answer is reported as ErrRejected; any other failure is
// worth retrying.
func (s *SMTP) Send(ctx context.Context, from string, m Message) error {
	msg, err := compose(from, s.cfg.From, m, s.now())
	if err != nil {
		return err
	}
	tlsConfig := &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12, RootCAs: s.roots}
	d := &closingDialer{ctx: ctx, tls: tlsConfig, implicit: s.cfg.TLS == ImplicitTLS}
	defer d.close()
	client, err := gomail.NewClient(s.cfg.Host, s.options(tlsConfig, d.dial)...)
	if err != nil {
		return fmt.Errorf("mail: SMTP client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && se.Reason == gomail.ErrSMTPRcptTo && !se.IsTemp() {
			return fmt.Errorf("mail: SMTP %s: %w: %w", s.cfg.Host, ErrRejected, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("mail: SMTP %s: %w", s.cfg.Host, errors.Join(ctx.Err(), err))
		}
		return apperr.Errorf(apperr.Unavailable, "mail: SMTP %s: %w", s.cfg.Host, err)
	}
	return nil
}

// options translates the configuration into go-mail's.
func (s *SMTP) options(tlsConfig *tls.Config, dial gomail.DialContextFunc) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithTLSConfig(tlsConfig),
		gomail.WithDialContextFunc(dial),
		gomail.WithoutNoop(),
	}
	switch s.cfg.TLS {
	case StartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case ImplicitTLS:
		// The dialer already speaks TLS, which go-mail sees on the
		// connection (and so allows AUTH); "opportunistic" here only means
		// it will not ask for STARTTLS, which a TLS relay does not offer.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		// The strongest mechanism the relay offers; the connection is
		// encrypted, as validate insists.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	if s.cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.cfg.HELO))
	}
	return opts
}

// closingDialer opens the one connection of a Send and closes it whatever
// happens (go-mail leaves it open when the greeting, STARTTLS or AUTH
// fails) and as soon as ctx ends (go-mail heeds its context only while
// dialling).
type closingDialer struct {
	ctx      context.Context
	tls      *tls.Config
	implicit bool
	conn     net.Conn
	stop     func() bool
}

func (d *closingDialer) dial(dctx context.Context, network, addr string) (net.Conn, error) {
	var (
		c   net.Conn
		err error
	)
	nd := &net.Dialer{}
	if d.implicit {
		c, err = (&tls.Dialer{NetDialer: nd, Config: d.tls}).DialContext(dctx, network, addr)
	} else {
		c, err = nd.DialContext(dctx, network, addr)
	}
	if err != nil {
		return nil, err
	}
	d.conn, d.stop = c, context.AfterFunc(d.ctx, func() { _ = c.Close() })
	return c, nil
}

func (d *closingDialer) close() {
	if d.conn != nil {
		d.stop()
		_ = d.conn.Close()
	}
}

// autoHeaders mark every message as sent by a machine (RFC 3834), so that
// vacation responders and mailing lists do not answer it.
var autoHeaders = map[gomail.Header]string{
	"Auto-Submitted":                   "auto-generated",
	gomail.HeaderXAutoResponseSuppress: "All",
}

// compose builds the MIME message: UTF-8 throughout (subject and display
// name encoded as RFC 2047 words, bodies quoted-printable), the text part
// alone or with the HTML part as multipart/alternative, and a Message-ID in
// the sender's domain. fromName is the ente's name, fromAddr the relay's
// authorised address.
func compose(fromName, fromAddr string, m Message, now time.Time) (*gomail.Msg, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("mail: compose: %w", err)
	}
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP),
		gomail.WithNoDefaultUserAgent())
	var err error
	if fromName = strings.TrimSpace(fromName); fromName != "" {
		err = msg.FromFormat(fromName, fromAddr)
	} else {
		err = msg.From(fromAddr)
	}
	if err != nil {
		return nil, apperr.Errorf(apperr.Invalid, "mail: compose: sender: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, apperr.Errorf(apperr.Invalid, "mail: compose: recipient: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(now)
	_, domain, _ := strings.Cut(fromAddr, "@")
	msg.SetMessageIDWithValue(rand.Text() + "@" + domain)
	for h, v := range autoHeaders {
		msg.SetGenHeader(h, v)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}
