package mail_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	sportellomail "github.com/sportello/sportello/internal/mail"
)

// newSMTP returns a Sender for r in mode, trusting roots (if any), as user
// (if any).
func newSMTP(t *testing.T, r *relay, mode sportellomail.TLSMode, roots *x509.CertPool, user, password string) *sportellomail.SMTP {
	t.Helper()
	s, err := sportellomail.NewSMTP(sportellomail.SMTPConfig{Host: "127.0.0.1", Port: r.port(), TLS: mode,
		Username: user, Password: password, From: "noreply@comune.example.it", HELO: "sportello.test", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if roots != nil {
		sportellomail.TrustRoots(s, roots)
	}
	return s
}

func TestSMTPSendsBothParts(t *testing.T) {
	r := newRelay(t, nil)
	s := newSMTP(t, r, sportellomail.NoTLS, nil, "", "")
	m := sportellomail.Message{
		Ente: 1, To: "mario.rossi@example.it", Subject: "Città di Ala: la sua pratica è stata ricevuta",
		Text: "Gentile cittadino,\nla pratica n. 42 è stata protocollata.\n", HTML: "<p>La pratica n. 42 è stata <b>protocollata</b>.</p>",
		Kind: "pratica-received", Ref: "pratica:42",
	}
	if err := s.Send(context.Background(), "Comune di Ala", m); err != nil {
		t.Fatal(err)
	}
	got, _ := r.got()
	if len(got) != 1 {
		t.Fatalf("relay received %d messages, want 1", len(got))
	}
	env := got[0]
	if diff := cmp.Diff(envelope{From: "noreply@comune.example.it", To: []string{"mario.rossi@example.it"}}, env,
		cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Data" }, cmp.Ignore())); diff != "" {
		t.Errorf("envelope mismatch (-want +got):\n%s", diff)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(env.Data))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("Subject decodes to %q (err %v), want %q", subject, err, m.Subject)
	}
	if raw := h.Get("Subject"); !strings.Contains(strings.ToUpper(raw), "=?UTF-8?") {
		t.Errorf("Subject %q is not RFC 2047-encoded", raw)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Comune di Ala" || from[0].Address != "noreply@comune.example.it" {
		t.Errorf("From = %v (err %v)", from, err)
	}
	if to := h.Get("To"); to != "<mario.rossi@example.it>" && to != "mario.rossi@example.it" {
		t.Errorf("To = %q", to)
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	if id := h.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@comune.example.it>") {
		t.Errorf("Message-ID = %q, want one in the sender's domain", id)
	}
	for k, want := range map[string]string{"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All", "MIME-Version": "1.0"} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (err %v), want multipart/alternative", h.Get("Content-Type"), err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, cp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if !strings.EqualFold(cp["charset"], "utf-8") {
			t.Errorf("part %s charset %q, want UTF-8", ct, cp["charset"])
		}
		var body io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		parts[ct] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	want := map[string]string{"text/plain": m.Text, "text/html": m.HTML}
	if diff := cmp.Diff(want, parts); diff != "" {
		t.Errorf("parts mismatch (-want +got):\n%s", diff)
	}
}

func TestSMTPTextOnly(t *testing.T) {
	r := newRelay(t, nil)
	s := newSMTP(t, r, sportellomail.NoTLS, nil, "", "")
	m := sportellomail.Message{Ente: 1, To: "mario.rossi@example.it", Subject: "Codice", Text: "Il suo codice è 123456.", Kind: "contact-code"}
	if err := s.Send(context.Background(), "", m); err != nil {
		t.Fatal(err)
	}
	got, _ := r.got()
	if len(got) != 1 {
		t.Fatalf("relay received %d messages, want 1", len(got))
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if mt, _, _ := mime.ParseMediaType(msg.Header.Get("Content-Type")); mt != "text/plain" {
		t.Errorf("Content-Type = %q, want text/plain alone", msg.Header.Get("Content-Type"))
	}
	if from := msg.Header.Get("From"); from != "<noreply@comune.example.it>" && from != "noreply@comune.example.it" {
		t.Errorf("From = %q, want the bare address", from)
	}
}

func TestSMTPFailures(t *testing.T) {
	r := newRelay(t, nil)
	r.reject["nobody@example.it"] = true
	r.busy["busy@example.it"] = true
	m := sportellomail.Message{Ente: 1, Subject: "Codice", Text: "123456", Kind: "contact-code"}

	m.To = "nobody@example.it"
	err := newSMTP(t, r, sportellomail.NoTLS, nil, "", "").Send(context.Background(), "Comune", m)
	if !errors.Is(err, sportellomail.ErrRejected) {
		t.Errorf("550 on RCPT: err = %v, want ErrRejected", err)
	}
	m.To = "busy@example.it"
	err = newSMTP(t, r, sportellomail.NoTLS, nil, "", "").Send(context.Background(), "Comune", m)
	if errors.Is(err, sportellomail.ErrRejected) || !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("451 on RCPT: err = %v, want Unavailable, not ErrRejected", err)
	}
	// A relay that offers no STARTTLS gets nothing when TLS is mandatory,
	// and the connection is closed at once.
	m.To = "mario.rossi@example.it"
	plain := newRelay(t, nil)
	err = newSMTP(t, plain, sportellomail.StartTLS, nil, "", "").Send(context.Background(), "Comune", m)
	if err == nil || !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("mandatory STARTTLS to a relay without it: err = %v, want Unavailable", err)
	}
	if _, cmds := plain.got(); cmp.Diff([]string{"EHLO"}, cmds) != "" {
		t.Errorf("commands sent without TLS: %v, want only EHLO", cmds)
	}
	// A relay that never answers is left when the job's context ends, long
	// before the 5-second command timeout.
	stalled := newRelay(t, func(r *relay) { r.stall = true })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	begun := time.Now()
	err = newSMTP(t, stalled, sportellomail.NoTLS, nil, "", "").Send(ctx, "Comune", m)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stalled relay: err = %v, want the context's deadline", err)
	}
	if took := time.Since(begun); took > 2*time.Second {
		t.Errorf("stalled relay: Send took %s", took)
	}
	// A closed port is a failure worth retrying.
	closed := newRelay(t, nil)
	s := newSMTP(t, closed, sportellomail.NoTLS, nil, "", "")
	closed.ln.Close()
	if err := s.Send(context.Background(), "Comune", m); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("closed port: err = %v, want Unavailable", err)
	}
}

func TestNewSMTPRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  sportellomail.SMTPConfig
	}{
		{"no host", sportellomail.SMTPConfig{Port: 25, TLS: sportellomail.NoTLS, From: "a@b.it"}},
		{"no mode", sportellomail.SMTPConfig{Host: "h.example.it", Port: 25, From: "a@b.it"}},
		{"no from", sportellomail.SMTPConfig{Host: "h.example.it", Port: 25, TLS: sportellomail.NoTLS}},
		{"password in clear", sportellomail.SMTPConfig{Host: "h.example.it", Port: 25, TLS: sportellomail.NoTLS,
			From: "a@b.it", Username: "u", Password: "p"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := sportellomail.NewSMTP(tc.cfg); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("NewSMTP = %v, want Invalid", err)
			}
		})
	}
}

func TestCatcherComposesAndSendsNothing(t *testing.T) {
	var c sportellomail.Catcher
	m := sportellomail.Message{Ente: 1, To: "mario.rossi@example.it", Subject: "Città", Text: "testo", HTML: "<p>testo</p>", Kind: "contact-code"}
	if err := c.Send(context.Background(), "Comune di Ala", m); err != nil {
		t.Errorf("Send: %v", err)
	}
	m.To = "not an address"
	if err := c.Send(context.Background(), "Comune di Ala", m); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("Send of a bad message = %v, want Invalid", err)
	}
}

// TestSMTPOverTLS sends with authentication through STARTTLS and through
// implicit TLS, and checks that a wrong password or an untrusted
// certificate sends nothing.
func TestSMTPOverTLS(t *testing.T) {
	serverTLS, roots := selfSigned(t)
	m := sportellomail.Message{Ente: 1, To: "mario.rossi@example.it", Subject: "Codice", Text: "123456", Kind: "contact-code"}
	for _, mode := range []sportellomail.TLSMode{sportellomail.StartTLS, sportellomail.ImplicitTLS} {
		t.Run(string(mode), func(t *testing.T) {
			r := newRelay(t, func(r *relay) {
				r.tls, r.implicit, r.users = serverTLS, mode == sportellomail.ImplicitTLS, map[string]string{"comune": "s3cret"}
			})
			if err := newSMTP(t, r, mode, roots, "comune", "s3cret").Send(context.Background(), "Comune", m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if err := newSMTP(t, r, mode, roots, "comune", "wrong").Send(context.Background(), "Comune", m); !apperr.Is(err, apperr.Unavailable) {
				t.Errorf("wrong password: err = %v, want Unavailable", err)
			}
			if err := newSMTP(t, r, mode, nil, "comune", "s3cret").Send(context.Background(), "Comune", m); !apperr.Is(err, apperr.Unavailable) {
				t.Errorf("untrusted certificate: err = %v, want Unavailable", err)
			}
			got, _ := r.got()
			if len(got) != 1 || got[0].User != "comune" || cmp.Diff([]string{"mario.rossi@example.it"}, got[0].To) != "" {
				t.Errorf("relay received %+v, want one message from user comune", got)
			}
		})
	}
}
