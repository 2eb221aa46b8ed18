package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/tenant"
)

// citizenServer is a demo server that queues e-mail, and a logged-in
// citizen's cookie.
func citizenServer(t *testing.T) (*Server, *db.DB, tenant.ID, identity.CitizenID, *http.Cookie) {
	t.Helper()
	ctx := context.Background()
	d := testdb.Open(t)
	if _, err := demo.Seed(ctx, d, testNow); err != nil {
		t.Fatal(err)
	}
	j, err := jobs.New(d, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{DB: d, Now: func() time.Time { return testNow }, TenantCacheTTL: -1, Version: "test",
		SecretKey: []byte("test-only-secret-key-32-bytes!!!"), Jobs: j, Demo: true})
	if err != nil {
		t.Fatal(err)
	}
	e, err := tenant.BySlug(ctx, d, demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	res, err := identity.LoginCitizen(ctx, d, e.ID, identity.LoginInput{FiscalCode: "RSSMRA80A01A116Q", GivenName: "Mario",
		FamilyName: "Rossi", IdP: "https://idp.example", Level: 2}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	var token string
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		token, _, err = identity.StartSession(ctx, tx, e.ID, identity.CitizenSubject(res.Citizen.ID),
			identity.SessionInput{IdP: "https://idp.example", Level: 2}, testNow)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, d, e.ID, res.Citizen.ID, &http.Cookie{Name: citizenCookie, Value: token}
}

func postForm(t *testing.T, h http.Handler, path string, form url.Values, c *http.Cookie) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Host = "localhost"
	req.AddCookie(c)
	return do(t, h, req)
}

func TestConfirmEmailWithACodeSentByMail(t *testing.T) {
	s, d, ente, id, cookie := citizenServer(t)
	ctx := context.Background()

	res, body := postForm(t, s, "/area-personale/profilo/recapiti", url.Values{"kind": {"email"}, "value": {"non è una mail"}}, cookie)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a bad address: status %d, want 422\n%.500s", res.StatusCode, body)
	}
	res, _ = postForm(t, s, "/area-personale/profilo/recapiti", url.Values{"kind": {"email"}, "value": {"Mario.Rossi@Example.org"}}, cookie)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start the check: status %d", res.StatusCode)
	}
	msgs, err := mail.List(ctx, d, ente, mail.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].To != "Mario.Rossi@example.org" || msgs[0].Kind != "contact-code" {
		t.Fatalf("queued mail: %+v, want one contact code to the address", msgs)
	}
	code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(msgs[0].Text)
	if code == "" {
		t.Fatalf("the e-mail has no code:\n%s", msgs[0].Text)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if res, _ := postForm(t, s, "/area-personale/profilo/conferma", url.Values{"kind": {"email"}, "code": {wrong}}, cookie); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a wrong code: status %d, want 422", res.StatusCode)
	}
	if res, _ := postForm(t, s, "/area-personale/profilo/conferma", url.Values{"kind": {"email"}, "code": {code}}, cookie); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the right code: status %d, want 303", res.StatusCode)
	}
	c, err := identity.GetCitizen(ctx, d, ente, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Email != "Mario.Rossi@example.org" || !c.EmailVerified {
		t.Errorf("after confirming: e-mail %q verified %v", c.Email, c.EmailVerified)
	}
	// Now the e-mail channel can be chosen.
	if res, _ := postForm(t, s, "/area-personale/profilo/canali", url.Values{"channel": {"email", "appio"}}, cookie); res.StatusCode != http.StatusSeeOther {
		t.Errorf("save channels: status %d", res.StatusCode)
	}
	if res, _ := postForm(t, s, "/area-personale/profilo/canali", url.Values{"channel": {"fax"}}, cookie); res.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown channel: status %d, want 400", res.StatusCode)
	}
}

func TestLogOutEverywhere(t *testing.T) {
	s, d, ente, id, cookie := citizenServer(t)
	ctx := context.Background()
	var other string
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		other, _, err = identity.StartSession(ctx, tx, ente, identity.CitizenSubject(id), identity.SessionInput{IdP: "https://idp.example", Level: 2}, testNow)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := postForm(t, s, "/area-personale/sessioni/termina", nil, cookie); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("end all sessions: status %d", res.StatusCode)
	}
	for _, token := range []string{cookie.Value, other} {
		req := httptest.NewRequest(http.MethodGet, "/area-personale", nil)
		req.Host = "localhost"
		req.AddCookie(&http.Cookie{Name: citizenCookie, Value: token})
		if res, _ := do(t, s, req); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/accedi") {
			t.Errorf("a session after \"log out everywhere\": status %d to %s", res.StatusCode, res.Header.Get("Location"))
		}
	}
}
