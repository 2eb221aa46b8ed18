package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/pquerna/otp/totp"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/sim/spididp"
	"github.com/sportello/sportello/internal/tenant"
)

// loginEnv is a real HTTP server with the test IdPs mounted, and a browser
// (cookie jar, no automatic redirects) to walk the SAML journey.
type loginEnv struct {
	srv    *httptest.Server
	client *http.Client
	db     *db.DB
	ente   tenant.ID
}

func newLoginEnv(t *testing.T) *loginEnv {
	t.Helper()
	d := testdb.Open(t)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, d, time.Now()); err != nil {
		t.Fatal(err)
	}
	e, err := tenant.BySlug(ctx, d, demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	var s *Server
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	idps := NewTestIdPs(func(*http.Request) string { return ts.URL })
	s, err = New(Options{DB: d, TenantCacheTTL: -1, Version: "test", TestIdPs: idps,
		SecretKey: []byte("test-only-secret-key-32-bytes!!!")})
	if err != nil {
		t.Fatal(err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &loginEnv{srv: ts, client: client, db: d, ente: e.ID}
}

// fetch follows redirects by hand (so that each hop can be checked) and
// returns the final response with its body.
func (env *loginEnv) fetch(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	for hops := 0; hops < 10; hops++ {
		res, err := env.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusFound {
			return res, string(b)
		}
		next, err := req.URL.Parse(res.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		req, _ = http.NewRequest(http.MethodGet, next.String(), nil)
	}
	t.Fatal("too many redirects")
	return nil, ""
}

func (env *loginEnv) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, env.srv.URL+path, nil)
	return env.fetch(t, req)
}

// submit posts the form matched by sel on the page at base, with the
// form's own fields overridden by set.
func (env *loginEnv) submit(t *testing.T, base, body, sel string, set url.Values) (*http.Response, string) {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	form := doc.Find(sel).First()
	if form.Length() == 0 {
		t.Fatalf("no form %q in:\n%.2000s", sel, body)
	}
	vals := url.Values{}
	form.Find("input").Each(func(_ int, in *goquery.Selection) {
		name, _ := in.Attr("name")
		typ, _ := in.Attr("type")
		if name == "" || ((typ == "radio" || typ == "checkbox") && in.AttrOr("checked", "x") == "x") {
			return
		}
		vals.Set(name, in.AttrOr("value", ""))
	})
	for k, v := range set {
		vals[k] = v
	}
	action, _ := form.Attr("action")
	baseURL, _ := url.Parse(base)
	target, err := baseURL.Parse(action)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, target.String(), strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", env.srv.URL)
	return env.fetch(t, req)
}

// login goes from the login page to the test IdP's page.
func (env *loginEnv) toIdP(t *testing.T) (pageURL, body string) {
	t.Helper()
	_, login := env.get(t, "/accedi")
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(login))
	href := ""
	doc.Find(".spid-idp-list a").Each(func(_ int, a *goquery.Selection) {
		if strings.Contains(a.Text(), "Test IdP") {
			href, _ = a.Attr("href")
		}
	})
	if href == "" {
		t.Fatalf("the login page lists no test IdP:\n%s", login)
	}
	req, _ := http.NewRequest(http.MethodGet, env.srv.URL+href, nil)
	res, body := env.fetch(t, req)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("IdP page: status %d\n%s", res.StatusCode, body)
	}
	return res.Request.URL.String(), body
}

func TestLoginThroughTheTestIdP(t *testing.T) {
	env := newLoginEnv(t)
	idpURL, page := env.toIdP(t)
	who := spididp.DemoIdentities()[0]
	res, post := env.submit(t, idpURL, page, "form", url.Values{"identity": {"0"}, "action": {"accedi"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("IdP login: status %d\n%s", res.StatusCode, post)
	}
	res, area := env.submit(t, res.Request.URL.String(), post, "form", nil)
	if res.StatusCode != http.StatusOK || !strings.HasSuffix(res.Request.URL.Path, "/area-personale") {
		t.Fatalf("after the ACS: status %d at %s\n%s", res.StatusCode, res.Request.URL, area)
	}
	if !strings.Contains(area, who.Name) {
		t.Errorf("the personal area does not greet %s:\n%.3000s", who.Name, area)
	}
	events, err := audit.List(context.Background(), env.db, env.ente, audit.Filter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 || events[0].Action != audit.ActionLogin || events[0].Outcome != audit.Success {
		t.Errorf("audit log after login: %+v, want a successful login first", events)
	}

	// Replaying the same response (the IdP's "replay" fault) is refused.
	idpURL, page = env.toIdP(t)
	res, post = env.submit(t, idpURL, page, "form", url.Values{"identity": {"0"}, "fault": {"replay"}, "action": {"accedi"}})
	res, body := env.submit(t, res.Request.URL.String(), post, "form", nil)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Non possiamo accettare questa risposta") {
		t.Errorf("replayed response: status %d\n%.2000s", res.StatusCode, body)
	}

	// Logging out ends the session here and at the IdP.
	_, area = env.get(t, "/area-personale")
	res, body = env.submit(t, env.srv.URL+"/area-personale", area, `form[action="/esci"]`, nil)
	if strings.Contains(res.Request.URL.Path, "/_sim/spid/slo") {
		// The IdP answers with a signed LogoutResponse posted back to us.
		res, body = env.submit(t, res.Request.URL.String(), body, "form", nil)
	}
	if res.StatusCode != http.StatusOK || res.Request.URL.Query().Get("uscito") != "1" {
		t.Errorf("logout ended at %s with status %d\n%.1500s", res.Request.URL, res.StatusCode, body)
	}
	res, _ = env.get(t, "/area-personale")
	if !strings.HasSuffix(res.Request.URL.Path, "/accedi") {
		t.Errorf("after logout /area-personale went to %s, want the login page", res.Request.URL)
	}
}

func TestLoginFaults(t *testing.T) {
	tests := []struct {
		fault, action string
		status        int
		want          string
	}{
		{"", "annulla", http.StatusUnauthorized, "Accesso annullato"},
		{"nr19", "accedi", http.StatusUnauthorized, "Credenziali sbagliate troppe volte"},
		{"nr22", "accedi", http.StatusUnauthorized, "Consenso negato"},
		{"audience", "accedi", http.StatusBadRequest, "Non possiamo accettare questa risposta"},
		{"expired", "accedi", http.StatusBadRequest, "Non possiamo accettare questa risposta"},
		{"confirmation-expired", "accedi", http.StatusBadRequest, "Non possiamo accettare questa risposta"},
		{"nr23", "accedi", http.StatusUnauthorized, "Identità sospesa o revocata"},
		{"unsigned-assertion", "accedi", http.StatusBadRequest, "Non possiamo accettare questa risposta"},
		{"unknown-key", "accedi", http.StatusBadRequest, "Non possiamo accettare questa risposta"},
		{"in-response-to", "accedi", http.StatusBadRequest, "Non possiamo accettare questa risposta"},
	}
	env := newLoginEnv(t)
	for _, tc := range tests {
		t.Run(tc.fault+tc.action, func(t *testing.T) {
			idpURL, page := env.toIdP(t)
			set := url.Values{"identity": {"1"}, "action": {tc.action}}
			if tc.fault != "" {
				set.Set("fault", tc.fault)
			}
			res, post := env.submit(t, idpURL, page, "form", set)
			res, body := env.submit(t, res.Request.URL.String(), post, "form", nil)
			if res.StatusCode != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("status %d, want %d with %q:\n%.2500s", res.StatusCode, tc.status, tc.want, body)
			}
			if res, _ := env.get(t, "/area-personale"); !strings.HasSuffix(res.Request.URL.Path, "/accedi") {
				t.Errorf("after a refused login the personal area answered at %s", res.Request.URL)
			}
		})
	}
}

func TestOperatorLogin(t *testing.T) {
	env := newLoginEnv(t)
	ctx := context.Background()
	keys, err := identity.NewKeys([]byte("test-only-secret-key-32-bytes!!!"))
	if err != nil {
		t.Fatal(err)
	}
	op, err := identity.CreateOperator(ctx, env.db, env.ente, identity.OperatorInput{Username: "giulia", Name: "Giulia Prova",
		Email: "giulia@example.org", Password: "una password lunga e sicura", Grants: []identity.Grant{{Role: identity.RoleDesk}}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DP"
	if err := identity.SeedTOTP(ctx, env.db, keys, env.ente, op.ID, secret); err != nil {
		t.Fatal(err)
	}

	_, page := env.get(t, "/ufficio")
	if !strings.Contains(page, `name="password"`) {
		t.Fatalf("/ufficio without a session did not lead to the login form:\n%.1500s", page)
	}
	res, body := env.submit(t, env.srv.URL+"/operatori/accedi", page, "form", url.Values{"username": {"giulia"}, "password": {"sbagliata"}})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Nome utente o password non corretti") {
		t.Errorf("wrong password: status %d\n%.1500s", res.StatusCode, body)
	}
	res, body = env.submit(t, env.srv.URL+"/operatori/accedi", page, "form", url.Values{"username": {"giulia"}, "password": {"una password lunga e sicura"}})
	if !strings.HasSuffix(res.Request.URL.Path, "/operatori/accedi/codice") || !strings.Contains(body, `name="code"`) {
		t.Fatalf("after the password: %s\n%.1500s", res.Request.URL, body)
	}
	// The same code twice: the second is a replay and is refused.
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	res, office := env.submit(t, res.Request.URL.String(), body, "form", url.Values{"code": {code}})
	if !strings.HasSuffix(res.Request.URL.Path, "/ufficio") || !strings.Contains(office, "Giulia Prova") {
		t.Fatalf("after the code: %s\n%.1500s", res.Request.URL, office)
	}
	if !strings.Contains(office, "/sportello/deleghe") || strings.Contains(office, "/amministrazione-ente/operatori") {
		t.Errorf("a desk operator's tools are wrong:\n%s", office)
	}
	// Logging out ends the session on the server.
	res, _ = env.submit(t, env.srv.URL+"/ufficio", office, `form[action="/operatori/esci"]`, nil)
	if res.Request.URL.Query().Get("uscito") != "1" {
		t.Errorf("operator logout ended at %s", res.Request.URL)
	}
	if res, _ := env.get(t, "/ufficio"); !strings.HasSuffix(res.Request.URL.Path, "/operatori/accedi") {
		t.Errorf("after logout /ufficio answered at %s", res.Request.URL)
	}
}

func TestOperatorEnrolsTOTPAtFirstLogin(t *testing.T) {
	env := newLoginEnv(t)
	_, err := identity.CreateOperator(context.Background(), env.db, env.ente, identity.OperatorInput{Username: "nuovo", Name: "Nuovo Operatore",
		Email: "nuovo@example.org", Password: "una password lunga e sicura", Grants: []identity.Grant{{Role: identity.RoleAdmin}}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, page := env.get(t, "/operatori/accedi")
	res, body := env.submit(t, env.srv.URL+"/operatori/accedi", page, "form", url.Values{"username": {"nuovo"}, "password": {"una password lunga e sicura"}})
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
	secret := strings.TrimSpace(doc.Find("code.user-select-all").Text())
	if secret == "" || doc.Find(`img[src^="data:image/png;base64,"]`).Length() != 1 {
		t.Fatalf("no enrolment page (secret and QR): %d at %s\n%.2000s", res.StatusCode, res.Request.URL, body)
	}
	if res, _ := env.get(t, "/ufficio"); !strings.HasSuffix(res.Request.URL.Path, "/operatori/accedi") {
		t.Fatalf("an operator without a second factor reached %s", res.Request.URL)
	}
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, body = env.submit(t, res.Request.URL.String(), body, "form", url.Values{"code": {code}})
	doc, _ = goquery.NewDocumentFromReader(strings.NewReader(body))
	if n := doc.Find("ul.font-monospace li").Length(); n != 10 {
		t.Errorf("the recovery codes page shows %d codes, want 10:\n%.2000s", n, body)
	}
	if res, office := env.get(t, "/ufficio"); !strings.Contains(office, "Nuovo Operatore") {
		t.Errorf("after enrolment /ufficio answered at %s", res.Request.URL)
	}
}
