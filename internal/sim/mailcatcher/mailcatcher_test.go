package mailcatcher_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/sim/mailcatcher"
	"github.com/sportello/sportello/internal/tenant"
)

var now = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func newEnte(t *testing.T, d *db.DB, slug, istat string) tenant.ID {
	t.Helper()
	e := &tenant.Ente{
		Slug: slug, Name: "Comune di " + slug, IstatCode: istat, Belfiore: "A116", IPACode: "c_" + slug,
		FiscalCode: "00000000000", Province: "TN", Hosts: []string{slug + ".example"},
	}
	err := d.InTx(context.Background(), func(tx *sql.Tx) error { return tenant.Create(context.Background(), tx, e, now) })
	if err != nil {
		t.Fatal(err)
	}
	return e.ID
}

// otherSender stands for a real relay: what it sends is not the catcher's.
type otherSender struct{}

func (otherSender) Send(context.Context, string, mail.Message) error { return nil }
func (otherSender) Via() string                                      { return "smtp" }

// fixture holds two enti with mail in various states.
type fixture struct {
	d         *db.DB
	h         http.Handler
	ala, avio tenant.ID
	ids       map[string]mail.ID // by subject
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	d := testdb.Open(t)
	j, err := jobs.New(d, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{d: d, ala: newEnte(t, d, "ala", "022001"), avio: newEnte(t, d, "avio", "022007"), ids: map[string]mail.ID{}}
	catcher := mail.NewWorker(d, mail.Catcher{}, nil)
	relay := mail.NewWorker(d, otherSender{}, nil)
	add := func(ente tenant.ID, subject, html string, minute int, w river.Worker[mail.SendArgs]) {
		m := mail.Message{Ente: ente, To: "mario.rossi@example.it", Subject: subject,
			Text: "Gentile cittadino,\nil suo codice è 123456.\n\nCordiali saluti", HTML: html, Kind: "contact-code", Ref: "contact:7"}
		var id mail.ID
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			id, err = mail.Queue(ctx, tx, j, m, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		f.ids[subject] = id
		if w == nil {
			return
		}
		job := &river.Job[mail.SendArgs]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: 1}, Args: mail.SendArgs{Ente: ente, ID: id}}
		if err := w.Work(ctx, job); err != nil {
			t.Fatal(err)
		}
		// A fixed sending time, to check the time shown.
		if _, err := d.ExecContext(ctx, `UPDATE mail SET sent_at = $1 WHERE id = $2`, now.Add(time.Duration(minute)*time.Minute), id); err != nil {
			t.Fatal(err)
		}
	}
	add(f.ala, "Codice di verifica", `<p onclick="x()">Il codice è <b>123456</b></p><script>alert(1)</script>`, 0, catcher)
	add(f.ala, "Pratica ricevuta", "", 5, catcher)
	add(f.ala, "In attesa", "", 0, nil)
	add(f.ala, "Spedita davvero", "", 1, relay)
	add(f.avio, "Messaggio di Avio", "", 2, catcher)

	hosts := map[string]tenant.ID{"ala.example": f.ala, "avio.example": f.avio}
	h, err := mailcatcher.New(d, func(r *http.Request) (tenant.ID, bool) {
		id, ok := hosts[r.Host]
		return id, ok
	}, mailcatcher.Options{Base: "/_sim/posta", Stylesheets: []string{"/static/css/sportello.css"}})
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	return f
}

func (f *fixture) get(t *testing.T, host, path string) (int, http.Header, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://"+host+path, nil)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

var linkRe = regexp.MustCompile(`<a href="/_sim/posta/(\d+)">([^<]*)</a>`)

func TestListShowsOnlyThisEntesCaughtMail(t *testing.T) {
	f := setup(t)
	tests := []struct {
		host string
		want []string
	}{
		{"ala.example", []string{"Pratica ricevuta", "Codice di verifica"}},
		{"avio.example", []string{"Messaggio di Avio"}},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			status, h, body := f.get(t, tc.host, "/_sim/posta/")
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			var got []string
			for _, m := range linkRe.FindAllStringSubmatch(body, -1) {
				got = append(got, m[2])
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("listed subjects mismatch (-want +got):\n%s", diff)
			}
			checkPage(t, h, body)
		})
	}
	_, _, body := f.get(t, "ala.example", "/_sim/posta/")
	// 09:35 UTC on 2 March is 10:35 in Rome.
	if !strings.Contains(body, `<time datetime="2026-03-02T09:35:00Z">02/03/2026 10:35</time>`) {
		t.Errorf("list does not show the time in Europe/Rome:\n%s", body)
	}
}

func TestShowMessage(t *testing.T) {
	f := setup(t)
	status, h, body := f.get(t, "ala.example", fmt.Sprintf("/_sim/posta/%d", f.ids["Codice di verifica"]))
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	checkPage(t, h, body)
	for _, want := range []string{
		"<h1>Codice di verifica</h1>",
		"<p>Gentile cittadino,<br>\nil suo codice è 123456.</p>",
		"<p>Cordiali saluti</p>",
		"<dd>Comune di ala</dd>",
		"<dd>mario.rossi@example.it</dd>",
		"<dd>contact:7</dd>",
		"<details",
		"&lt;script&gt;alert(1)&lt;/script&gt;",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
}

func TestOnlyCaughtMailOfTheEnteIsShown(t *testing.T) {
	f := setup(t)
	tests := []struct {
		name, host, path string
		want             int
	}{
		{"another ente's message", "avio.example", fmt.Sprintf("/_sim/posta/%d", f.ids["Codice di verifica"]), http.StatusNotFound},
		{"queued message", "ala.example", fmt.Sprintf("/_sim/posta/%d", f.ids["In attesa"]), http.StatusNotFound},
		{"sent through a relay", "ala.example", fmt.Sprintf("/_sim/posta/%d", f.ids["Spedita davvero"]), http.StatusNotFound},
		{"no such message", "ala.example", "/_sim/posta/999999", http.StatusNotFound},
		{"not a number", "ala.example", "/_sim/posta/abc", http.StatusNotFound},
		{"unknown host", "nowhere.example", "/_sim/posta/", http.StatusNotFound},
		{"outside the base", "ala.example", "/_sim/altro/", http.StatusNotFound},
		{"own message", "avio.example", fmt.Sprintf("/_sim/posta/%d", f.ids["Messaggio di Avio"]), http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := f.get(t, tc.host, tc.path)
			if status != tc.want {
				t.Errorf("status %d, want %d", status, tc.want)
			}
			checkPage(t, h, body)
			if tc.want == http.StatusNotFound && strings.Contains(body, "Codice di verifica") {
				t.Error("the error page shows another message's subject")
			}
		})
	}
}

// checkPage checks what every page must be: Italian, private, and free of
// anything a strict Content-Security-Policy would block.
func checkPage(t *testing.T, h http.Header, body string) {
	t.Helper()
	if !strings.HasPrefix(body, "<!doctype html>\n<html lang=\"it\">") {
		t.Errorf("page does not start with an Italian html element: %.60q", body)
	}
	for _, banned := range []string{"<script", "<style", " style=", ` onclick="`, "<iframe"} {
		if strings.Contains(body, banned) {
			t.Errorf("page contains %q", banned)
		}
	}
	if got := h.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if got := h.Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", got)
	}
	if !strings.Contains(body, `<link rel="stylesheet" href="/static/css/sportello.css">`) || !strings.Contains(body, "<main") {
		t.Error("page lacks the host's stylesheet or its main landmark")
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	d := testdb.Open(t)
	enteOf := func(*http.Request) (tenant.ID, bool) { return 0, false }
	for _, base := range []string{"", "_sim/posta", "/_sim/posta/", "/{x}"} {
		if _, err := mailcatcher.New(d, enteOf, mailcatcher.Options{Base: base}); err == nil {
			t.Errorf("New with Base %q succeeded", base)
		}
	}
}
