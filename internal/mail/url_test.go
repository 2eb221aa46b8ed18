package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/mail"
)

func TestParseSMTPURL(t *testing.T) {
	const from = "&from=noreply@comune.example.it"
	tests := []struct {
		name    string
		raw     string
		want    mail.SMTPConfig
		wantErr string
	}{
		{
			name: "submission with STARTTLS",
			raw:  "smtp://user:pass@smtp.example.it:587?tls=starttls" + from,
			want: mail.SMTPConfig{Host: "smtp.example.it", Port: 587, Username: "user", Password: "pass",
				TLS: mail.StartTLS, From: "noreply@comune.example.it", Timeout: mail.DefaultTimeout},
		},
		{
			name: "STARTTLS and port 587 by default",
			raw:  "smtp://user:pass@smtp.example.it?from=noreply@comune.example.it",
			want: mail.SMTPConfig{Host: "smtp.example.it", Port: 587, Username: "user", Password: "pass",
				TLS: mail.StartTLS, From: "noreply@comune.example.it", Timeout: mail.DefaultTimeout},
		},
		{
			name: "smtps means implicit TLS on 465",
			raw:  "smtps://user:p%40ss%3Aw0rd@smtp.example.it?timeout=10s" + from,
			want: mail.SMTPConfig{Host: "smtp.example.it", Port: 465, Username: "user", Password: "p@ss:w0rd",
				TLS: mail.ImplicitTLS, From: "noreply@comune.example.it", Timeout: 10 * time.Second},
		},
		{
			name: "local relay without TLS",
			raw:  "smtp://localhost?tls=none&helo=sportello.comune.example.it" + from,
			want: mail.SMTPConfig{Host: "localhost", Port: 25, TLS: mail.NoTLS, From: "noreply@comune.example.it",
				HELO: "sportello.comune.example.it", Timeout: mail.DefaultTimeout},
		},
		{
			name: "IPv6 relay",
			raw:  "smtp://[::1]:2525/?tls=none" + from,
			want: mail.SMTPConfig{Host: "::1", Port: 2525, TLS: mail.NoTLS, From: "noreply@comune.example.it",
				Timeout: mail.DefaultTimeout},
		},
		{name: "other scheme", raw: "http://smtp.example.it?from=a@b.it", wantErr: "scheme"},
		{name: "no host", raw: "smtp://?from=a@b.it", wantErr: "no host"},
		{name: "empty label", raw: "smtp://smtp..example.it?from=a@b.it", wantErr: "no valid host"},
		{name: "dash at edge", raw: "smtp://-smtp.example.it?from=a@b.it", wantErr: "no valid host"},
		{name: "opaque", raw: "smtp:smtp.example.it", wantErr: "no host"},
		{name: "path", raw: "smtp://smtp.example.it/x?from=a@b.it", wantErr: "path"},
		{name: "no from", raw: "smtp://smtp.example.it", wantErr: "from= is required"},
		{name: "bad from", raw: "smtp://smtp.example.it?from=Comune%20<a@b.it>", wantErr: "not one plain address"},
		{name: "bad tls", raw: "smtp://smtp.example.it?tls=opportunistic" + from, wantErr: "want starttls, tls or none"},
		{name: "smtps without tls", raw: "smtps://smtp.example.it?tls=none" + from, wantErr: "smtps://"},
		{name: "password in clear", raw: "smtp://user:secret@localhost?tls=none" + from, wantErr: "in clear"},
		{name: "user alone", raw: "smtp://user@smtp.example.it?tls=starttls" + from, wantErr: "go together"},
		{name: "unknown parameter", raw: "smtp://smtp.example.it?form=a@b.it", wantErr: `unknown parameter "form"`},
		{name: "twice", raw: "smtp://smtp.example.it?tls=tls&tls=none" + from, wantErr: "2 times"},
		{name: "bad timeout", raw: "smtp://smtp.example.it?timeout=soon" + from, wantErr: "timeout"},
		{name: "timeout too long", raw: "smtp://smtp.example.it?timeout=1h" + from, wantErr: "between 1s and 10m"},
		{name: "port zero", raw: "smtp://smtp.example.it:0?tls=none" + from, wantErr: "out of range"},
		{name: "port out of range", raw: "smtp://smtp.example.it:70000?tls=none" + from, wantErr: "out of range"},
		{name: "unparsable", raw: "smtp://user:secret%zz@smtp.example.it", wantErr: "cannot parse"},
		{name: "password as port", raw: "smtp://user:secret", wantErr: "cannot parse"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mail.ParseSMTPURL(tc.raw)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				if !apperr.Is(err, apperr.Invalid) {
					t.Errorf("err kind = %v, want Invalid", apperr.KindOf(err))
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if got.Password != "" && strings.Contains(got.String(), got.Password) {
				t.Errorf("String() = %q shows the password", got.String())
			}
		})
	}
}

func TestSMTPConfigString(t *testing.T) {
	c, err := mail.ParseSMTPURL("smtps://user:secret@smtp.example.it?from=noreply@comune.example.it")
	if err != nil {
		t.Fatal(err)
	}
	want := "smtp://user:xxxxx@smtp.example.it:465?from=noreply%40comune.example.it&timeout=30s&tls=tls"
	if got := c.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// FuzzParseSMTPURL checks that the parser never panics, never quotes a
// password in an error, and that what it accepts it reads back the same
// from its own rendering.
func FuzzParseSMTPURL(f *testing.F) {
	for _, s := range []string{
		"smtp://user:pass@smtp.example.it:587?tls=starttls&from=noreply@comune.example.it",
		"smtps://u:p@h.example.it?from=a@b.it&timeout=5s",
		"smtp://localhost?tls=none&from=a@b.it&helo=x",
		"smtp://[::1]:25/?tls=none&from=a@b.it",
		"smtp://user:secret",
		"smtp://%zz",
		"smtp:opaque",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := mail.ParseSMTPURL(raw)
		if err != nil {
			return
		}
		masked := ""
		if c.Password != "" {
			masked = "xxxxx"
		}
		if shown, err := mail.ParseSMTPURL(c.String()); err != nil || shown.Password != masked {
			t.Fatalf("String() %q does not mask the password (err %v)", c.String(), err)
		}
		again, err := mail.ParseSMTPURL(mail.URLWithPassword(c))
		if err != nil {
			t.Fatalf("%q parsed, but its rendering %q does not: %v", raw, c.String(), err)
		}
		if diff := cmp.Diff(c, again); diff != "" {
			t.Fatalf("round trip of %q mismatch (-first +again):\n%s", raw, diff)
		}
	})
}
