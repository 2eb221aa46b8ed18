package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/pquerna/otp/totp"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/identity/webauthntest"
)

// keyBrowser is a browser with a software security key, on the demo ente
// by its name (localhost): WebAuthn refuses IP addresses.
type keyBrowser struct {
	env  *loginEnv
	base string
	key  *webauthntest.Authenticator
}

func newKeyBrowser(t *testing.T) *keyBrowser {
	t.Helper()
	env := newLoginEnv(t)
	base := strings.Replace(env.srv.URL, "127.0.0.1", "localhost", 1)
	return &keyBrowser{env: env, base: base, key: webauthntest.New(base)}
}

func (b *keyBrowser) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.env.fetch(t, req)
}

// postForm submits a form as the page would, following redirects.
func (b *keyBrowser) postForm(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	return b.env.fetch(t, req)
}

// postJSON is webauthn.js's fetch: JSON in, JSON out, no redirects.
func (b *keyBrowser) postJSON(t *testing.T, path string, body any) (int, []byte) {
	t.Helper()
	in, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, b.base+path, bytes.NewReader(in))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", b.base)
	res, err := b.env.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

func reply(t *testing.T, raw []byte) ceremonyReply {
	t.Helper()
	var r ceremonyReply
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("not a JSON reply: %v\n%s", err, raw)
	}
	return r
}

// operator creates an operator with TOTP on the demo ente.
func (b *keyBrowser) operator(t *testing.T, username, name string) (identity.OperatorID, string) {
	t.Helper()
	ctx := context.Background()
	op, err := identity.CreateOperator(ctx, b.env.db, b.env.ente, identity.OperatorInput{Username: username, Name: name,
		Email: username + "@example.org", Password: "una password lunga e sicura", Grants: []identity.Grant{{Role: identity.RoleDesk}}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := identity.NewKeys([]byte("test-only-secret-key-32-bytes!!!"))
	if err != nil {
		t.Fatal(err)
	}
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DP"
	if err := identity.SeedTOTP(ctx, b.env.db, keys, b.env.ente, op.ID, secret); err != nil {
		t.Fatal(err)
	}
	return op.ID, secret
}

// password gives the password and returns the second factor's page.
func (b *keyBrowser) password(t *testing.T, username string) string {
	t.Helper()
	res, body := b.postForm(t, "/operatori/accedi", url.Values{"username": {username}, "password": {"una password lunga e sicura"}, "next": {"/ufficio"}})
	if !strings.HasSuffix(res.Request.URL.Path, "/operatori/accedi/codice") {
		t.Fatalf("after the password: %s\n%.1500s", res.Request.URL, body)
	}
	return body
}

// addKey registers b.key under name from the security page.
func (b *keyBrowser) addKey(t *testing.T, name string) {
	t.Helper()
	status, options := b.postJSON(t, "/ufficio/sicurezza/webauthn/inizio", struct{}{})
	if status != http.StatusOK {
		t.Fatalf("registration options: status %d\n%s", status, options)
	}
	credential, err := b.key.Create(options)
	if err != nil {
		t.Fatalf("the key refused the options: %v\n%s", err, options)
	}
	status, raw := b.postJSON(t, "/ufficio/sicurezza/webauthn/fine", registrationAnswer{Name: name, Credential: credential})
	if r := reply(t, raw); status != http.StatusOK || r.Redirect != "/ufficio/sicurezza?aggiunta=1" {
		t.Fatalf("finishing the registration: status %d %+v", status, r)
	}
}

// useKey answers the login's second step with key, posting next.
func (b *keyBrowser) useKey(t *testing.T, key *webauthntest.Authenticator, next string) (int, ceremonyReply) {
	t.Helper()
	status, options := b.postJSON(t, "/operatori/accedi/webauthn/inizio", struct{}{})
	if status != http.StatusOK {
		t.Fatalf("login options: status %d\n%s", status, options)
	}
	credential, err := key.Get(options)
	if err != nil {
		t.Fatalf("the key refused the options: %v\n%s", err, options)
	}
	status, raw := b.postJSON(t, "/operatori/accedi/webauthn/fine", loginAnswer{Credential: credential, Next: next})
	return status, reply(t, raw)
}

// lastEvent is the ente's newest audit event.
func (b *keyBrowser) lastEvent(t *testing.T) audit.Event {
	t.Helper()
	events, err := audit.List(context.Background(), b.env.db, b.env.ente, audit.Filter{Limit: 1})
	if err != nil || len(events) != 1 {
		t.Fatalf("audit log: %v, %v", events, err)
	}
	return events[0]
}

func TestOperatorAddsASecurityKeyAndLogsInWithIt(t *testing.T) {
	b := newKeyBrowser(t)
	_, secret := b.operator(t, "giulia", "Giulia Prova")

	// The second step carries the hidden offer and its script, no inline code.
	page := b.password(t, "giulia")
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(page))
	if doc.Find("form .js-webauthn-login.d-none .js-webauthn-start").Length() != 1 || doc.Find(`script[src^="/static/js/webauthn.js"]`).Length() != 1 {
		t.Errorf("the code step lacks the hidden key button or its script:\n%.3000s", page)
	}
	if doc.Find("script:not([src])").Length() != 0 {
		t.Error("the login page has an inline script, which the CSP forbids")
	}
	// Without keys, the script is told so and leaves the button hidden.
	status, raw := b.postJSON(t, "/operatori/accedi/webauthn/inizio", struct{}{})
	if r := reply(t, raw); status != http.StatusNotFound || !strings.Contains(r.Error, "Non hai chiavi di sicurezza") {
		t.Errorf("login options without keys: status %d %+v", status, r)
	}
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	res, office := b.postForm(t, "/operatori/accedi/codice", url.Values{"code": {code}, "next": {"/ufficio"}})
	if !strings.HasSuffix(res.Request.URL.Path, "/ufficio") || !strings.Contains(office, `href="/ufficio/sicurezza"`) {
		t.Fatalf("the office home does not link the security page: %s\n%.2000s", res.Request.URL, office)
	}

	_, page = b.get(t, "/ufficio/sicurezza")
	if !strings.Contains(page, "Non hai ancora aggiunto chiavi di sicurezza") || !strings.Contains(page, `class="js-webauthn-register d-none"`) {
		t.Fatalf("the security page of an operator without keys:\n%.3000s", page)
	}
	b.addKey(t, "Chiavetta blu")
	if e := b.lastEvent(t); e.Action != actionKeyAdded || e.Outcome != audit.Success {
		t.Errorf("audit after adding a key: %+v", e)
	}
	_, page = b.get(t, "/ufficio/sicurezza?aggiunta=1")
	doc, _ = goquery.NewDocumentFromReader(strings.NewReader(page))
	if !strings.Contains(doc.Find("tbody").Text(), "Chiavetta blu") || !strings.Contains(page, "Chiave di sicurezza aggiunta") {
		t.Errorf("the security page does not list the new key:\n%.3000s", page)
	}
	// The same key again is refused by the key itself (excluded).
	status, options := b.postJSON(t, "/ufficio/sicurezza/webauthn/inizio", struct{}{})
	if _, err := b.key.Create(options); status != http.StatusOK || err == nil {
		t.Errorf("registering the same key twice: status %d, key said %v", status, err)
	}

	b.postForm(t, "/operatori/esci", nil)
	b.password(t, "giulia")
	// A forged answer is refused, audited and counted like a wrong code.
	status, _ = b.postJSON(t, "/operatori/accedi/webauthn/inizio", struct{}{})
	forged := json.RawMessage(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA"}}`)
	status2, raw := b.postJSON(t, "/operatori/accedi/webauthn/fine", loginAnswer{Credential: forged})
	if r := reply(t, raw); status != http.StatusOK || status2 != http.StatusUnauthorized || !strings.Contains(r.Error, "non è stata riconosciuta") {
		t.Errorf("forged assertion: status %d %+v", status2, r)
	}
	if e := b.lastEvent(t); e.Action != audit.ActionLoginFailed || e.Detail != "webauthn" {
		t.Errorf("audit after a forged assertion: %+v", e)
	}
	// The key completes the login exactly as a code does.
	status, r := b.useKey(t, b.key, "/ufficio/sicurezza")
	if status != http.StatusOK || r.Redirect != "/ufficio/sicurezza" {
		t.Fatalf("login with the key: status %d %+v", status, r)
	}
	if e := b.lastEvent(t); e.Action != audit.ActionLogin || e.Outcome != audit.Success || e.Detail != "webauthn" {
		t.Errorf("audit after the key login: %+v", e)
	}
	res, page = b.get(t, r.Redirect)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "Chiavetta blu") {
		t.Fatalf("after the key login %s answered %d", r.Redirect, res.StatusCode)
	}
	if res, _ := b.get(t, "/operatori/accedi/codice"); !strings.HasSuffix(res.Request.URL.Path, "/operatori/accedi") {
		t.Errorf("the half-way state outlived the login: /operatori/accedi/codice answered at %s", res.Request.URL)
	}

	// Removing the key: the form on the page, then the list is empty.
	doc, _ = goquery.NewDocumentFromReader(strings.NewReader(page))
	action, _ := doc.Find(`form[action$="/rimuovi"]`).Attr("action")
	res, page = b.postForm(t, action, nil)
	if res.Request.URL.Query().Get("rimossa") != "1" || !strings.Contains(page, "Non hai ancora aggiunto chiavi di sicurezza") {
		t.Errorf("after removing the key: %s\n%.2000s", res.Request.URL, page)
	}
	if e := b.lastEvent(t); e.Action != actionKeyRemoved {
		t.Errorf("audit after removing the key: %+v", e)
	}
}

func TestSecurityKeyEdges(t *testing.T) {
	b := newKeyBrowser(t)
	other, _ := b.operator(t, "marco", "Marco Prova")
	_, secret := b.operator(t, "anna", "Anna Prova")
	ctx := context.Background()
	// Marco's key, registered directly.
	rp, err := identity.NewRelyingParty(b.base, "Comune")
	if err != nil {
		t.Fatal(err)
	}
	options, err := identity.BeginRegistration(ctx, b.env.db, b.env.ente, other, rp, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	credential, err := webauthntest.New(b.base).Create(options)
	if err != nil {
		t.Fatal(err)
	}
	marcos, err := identity.FinishRegistration(ctx, b.env.db, b.env.ente, other, rp, "Di Marco", credential, time.Now())
	if err != nil {
		t.Fatal(err)
	}

	b.password(t, "anna")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.postForm(t, "/operatori/accedi/codice", url.Values{"code": {code}})
	// Anna cannot remove Marco's key.
	res, _ := b.postForm(t, "/ufficio/sicurezza/webauthn/"+strconv.FormatInt(int64(marcos.ID), 10)+"/rimuovi", nil)
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("removing another operator's key: status %d, want 404", res.StatusCode)
	}
	if keys, _ := identity.ListCredentials(ctx, b.env.db, b.env.ente, other); len(keys) != 1 {
		t.Errorf("Marco has %d keys after Anna's attempt, want 1", len(keys))
	}
	// A name too long is explained; the ceremony stays usable.
	status, options := b.postJSON(t, "/ufficio/sicurezza/webauthn/inizio", struct{}{})
	credential, err = b.key.Create(options)
	if status != http.StatusOK || err != nil {
		t.Fatalf("registration options: %d, %v", status, err)
	}
	status, raw := b.postJSON(t, "/ufficio/sicurezza/webauthn/fine", registrationAnswer{Name: strings.Repeat("x", 65), Credential: credential})
	if r := reply(t, raw); status != http.StatusBadRequest || !strings.Contains(r.Error, "64 caratteri") {
		t.Errorf("a name too long: status %d %+v", status, r)
	}
	status, _ = b.postJSON(t, "/ufficio/sicurezza/webauthn/fine", registrationAnswer{Name: "Portatile", Credential: credential})
	if status != http.StatusOK {
		t.Fatalf("registration with a good name: status %d", status)
	}

	// A copied key: the original logs in, then the copy is refused and
	// the refusal says why and is audited.
	copied := b.key.Clone()
	b.postForm(t, "/operatori/esci", nil)
	b.password(t, "anna")
	if status, r := b.useKey(t, b.key, "//evil.example/"); status != http.StatusOK || r.Redirect != "/ufficio" {
		t.Fatalf("login with the key and a foreign next: status %d %+v, want /ufficio", status, r)
	}
	b.postForm(t, "/operatori/esci", nil)
	b.password(t, "anna")
	status, r := b.useKey(t, copied, "/ufficio")
	if status != http.StatusForbidden || !strings.Contains(r.Error, "copia") {
		t.Errorf("login with a copied key: status %d %+v", status, r)
	}
	if e := b.lastEvent(t); e.Action != audit.ActionLoginFailed || !strings.Contains(e.Detail, "copied") {
		t.Errorf("audit after a copied key: %+v", e)
	}
	if res, _ := b.get(t, "/ufficio"); !strings.HasSuffix(res.Request.URL.Path, "/operatori/accedi") {
		t.Errorf("a copied key reached %s", res.Request.URL)
	}
	// The key is now blocked: the login page is not offered it.
	status, raw = b.postJSON(t, "/operatori/accedi/webauthn/inizio", struct{}{})
	if status != http.StatusNotFound {
		t.Errorf("login options with only a blocked key: status %d %s", status, raw)
	}
	// After the half-way state ends, the script is sent to the login page.
	b.env.client.Jar.SetCookies(mustURL(t, b.base), []*http.Cookie{{Name: secondFactorCookie, Value: "", MaxAge: -1, Path: "/"}})
	req, _ := http.NewRequest(http.MethodPost, b.base+"/operatori/accedi/webauthn/fine", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if res, err := b.env.client.Do(req); err != nil || res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/operatori/accedi" {
		t.Errorf("finishing without the half-way cookie: %v %v", res, err)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
