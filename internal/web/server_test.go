package web

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/rating"
	"github.com/sportello/sportello/internal/tenant"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// newTestServer returns a server on a fresh database seeded with the demo
// comune, answering on localhost.
func newTestServer(t *testing.T) (*Server, *db.DB) {
	t.Helper()
	d := testdb.Open(t)
	if _, err := demo.Seed(context.Background(), d, testNow); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{DB: d, Now: func() time.Time { return testNow }, TenantCacheTTL: -1, Version: "test",
		SecretKey: []byte("test-only-secret-key-32-bytes!!!")})
	if err != nil {
		t.Fatal(err)
	}
	return s, d
}

// get serves one request and returns the response with its body read.
func do(t *testing.T, h http.Handler, req *http.Request) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func get(t *testing.T, h http.Handler, host, path string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Host = host
	return do(t, h, req)
}

func parse(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// publicPages are every page of the public site, for tests that check all.
var publicPages = []string{
	"/", "/amministrazione", "/amministrazione/uffici", "/novita", "/servizi", "/servizi/categoria/anagrafe-e-stato-civile",
	"/vivere", "/argomenti", "/faq", "/segnalazione-disservizio", "/privacy", "/note-legali", "/accessibilita",
	"/cerca", "/cerca?q=anagrafe", "/accedi", "/operatori/accedi",
}

func TestEveryPageRenders(t *testing.T) {
	s, _ := newTestServer(t)
	keyLike := regexp.MustCompile(`\b(nav|footer|rating|section|info|category|error|login|search|office|weekday|home|contacts|header|skip|lang|services)\.[a-z0-9][a-z0-9.-]*`)
	for _, lang := range []string{"it", "en"} {
		for _, p := range publicPages {
			t.Run(lang+p, func(t *testing.T) {
				req := httptest.NewRequest("GET", p, nil)
				req.Host = "localhost:8080"
				req.Header.Set("Accept-Language", lang)
				res, body := do(t, s, req)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("status %d, want 200", res.StatusCode)
				}
				doc := parse(t, body)
				if got, _ := doc.Find("html").Attr("lang"); got != lang {
					t.Errorf("html lang = %q, want %q", got, lang)
				}
				if doc.Find("h1").Length() != 1 {
					t.Errorf("page has %d h1, want 1", doc.Find("h1").Length())
				}
				if m := keyLike.FindString(doc.Find("body").Text()); m != "" {
					t.Errorf("page shows the untranslated key %q", m)
				}
				if !strings.Contains(doc.Find("title").Text(), "Comune di Ala") {
					t.Errorf("title %q lacks the comune's name", doc.Find("title").Text())
				}
			})
		}
	}
}

// TestModelloComuniContract checks the data-elements the compliance checker
// relies on, their order and their fixed texts.
func TestModelloComuniContract(t *testing.T) {
	s, _ := newTestServer(t)
	_, body := get(t, s, "localhost", "/")
	doc := parse(t, body)

	if doc.Find(`[data-element="personal-area-login"]`).Length() != 1 {
		t.Error("header lacks personal-area-login")
	}
	var menu []string
	doc.Find(`[data-element="main-navigation"] > li > a`).Each(func(_ int, a *goquery.Selection) {
		el, _ := a.Attr("data-element")
		menu = append(menu, el+"="+strings.TrimSpace(a.Text()))
	})
	wantMenu := []string{"management=Amministrazione", "news=Novità", "all-services=Servizi", "live=Vivere il Comune"}
	if diff := cmp.Diff(wantMenu, menu); diff != "" {
		t.Errorf("main menu mismatch (-want +got):\n%s", diff)
	}
	if doc.Find(`[data-element="all-topics"]`).Length() != 1 {
		t.Error("header lacks all-topics")
	}
	footer := map[string]string{
		"faq":                 "/faq",
		"report-inefficiency": "/segnalazione-disservizio",
		"privacy-policy-link": "/privacy",
		"legal-notes":         "/note-legali",
		"accessibility-link":  "/accessibilita",
	}
	for el, href := range footer {
		a := doc.Find(`footer [data-element="` + el + `"]`)
		if got, _ := a.Attr("href"); got != href {
			t.Errorf("footer %s href = %q, want %q", el, got, href)
		}
	}
	if got := strings.TrimSpace(doc.Find(`[data-element="report-inefficiency"]`).Text()); got != "Segnalazione disservizio" {
		t.Errorf("report-inefficiency text = %q", got)
	}
	if !strings.Contains(strings.ToLower(doc.Find("footer").Text()), "piano di miglioramento del sito") {
		t.Error("footer lacks the improvement plan")
	}

	// The rating component and its fixed texts.
	fb := doc.Find(`[data-element="feedback"]`)
	if fb.Length() != 1 {
		t.Fatalf("found %d feedback components, want 1", fb.Length())
	}
	if got := strings.TrimSpace(fb.Find(`[data-element="feedback-title"]`).Text()); got != "Quanto sono chiare le informazioni su questa pagina?" {
		t.Errorf("feedback-title = %q", got)
	}
	for n := 1; n <= 5; n++ {
		if fb.Find(`[data-element="feedback-rate-`+string(rune('0'+n))+`"]`).Length() != 1 {
			t.Errorf("feedback-rate-%d missing", n)
		}
	}
	blocks := map[string][]string{
		"positive": {"Quali sono stati gli aspetti che hai preferito?", "Le indicazioni erano chiare", "Le indicazioni erano complete",
			"Capivo sempre che stavo procedendo correttamente", "Non ho avuto problemi tecnici", "Altro"},
		"negative": {"Dove hai incontrato le maggiori difficoltà?", "A volte le indicazioni non erano chiare", "A volte le indicazioni non erano complete",
			"A volte non capivo se stavo procedendo correttamente", "Ho avuto problemi tecnici", "Altro"},
	}
	for kind, want := range blocks {
		b := fb.Find(`[data-element="feedback-rating-` + kind + `"]`)
		if !b.HasClass("d-none") {
			t.Errorf("feedback-rating-%s is visible before a star is chosen", kind)
		}
		got := []string{strings.TrimSpace(b.Find(`[data-element="feedback-rating-question"]`).Text())}
		b.Find(`[data-element="feedback-rating-answer"]`).Each(func(_ int, a *goquery.Selection) {
			got = append(got, strings.TrimSpace(a.Text()))
		})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("feedback-rating-%s mismatch (-want +got):\n%s", kind, diff)
		}
	}
	if fb.Find(`[data-element="feedback-input-text"]`).Length() != 1 {
		t.Error("feedback-input-text missing")
	}

	// Servizi: category cards and the contacts box with the booking link.
	_, body = get(t, s, "localhost", "/servizi")
	doc = parse(t, body)
	if n := doc.Find(`[data-element="service-category-link"]`).Length(); n != 15 {
		t.Errorf("servizi has %d category links, want 15", n)
	}
	if doc.Find(`[data-element="contacts"] [data-element="appointment-booking"]`).Length() != 1 {
		t.Error("servizi lacks the contacts box with appointment-booking")
	}
	if doc.Find(`[data-element="breadcrumb"]`).Length() != 1 {
		t.Error("servizi lacks the breadcrumb")
	}

	// Note legali: the section title alone, then the licence text.
	_, body = get(t, s, "localhost", "/note-legali")
	doc = parse(t, body)
	if got := doc.Find(`[data-element="legal-notes-section"]`).Text(); got != "Licenza dei contenuti" {
		t.Errorf("legal-notes-section text = %q, want exactly %q", got, "Licenza dei contenuti")
	}
	if !strings.Contains(doc.Find(`[data-element="legal-notes-body"]`).Text(), "CC-BY 4.0") {
		t.Error("legal-notes-body lacks the CC-BY 4.0 licence")
	}
}

func TestGoldenHome(t *testing.T) {
	s, _ := newTestServer(t)
	_, body := get(t, s, "localhost", "/")
	golden := filepath.Join("testdata", "home.golden.html")
	if *update {
		if err := os.WriteFile(golden, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/web -run Golden -update)", err)
	}
	if diff := cmp.Diff(string(want), body); diff != "" {
		t.Errorf("home page differs from %s (-want +got); rerun with -update if intended:\n%s", golden, diff)
	}
}

func TestUnknownHost(t *testing.T) {
	s, _ := newTestServer(t)
	for _, p := range []string{"/", "/servizi", "/nope"} {
		res, body := get(t, s, "comune.altrove.example", p)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, res.StatusCode)
		}
		if strings.Contains(body, "Ala") || strings.Contains(body, "bootstrap-italia") {
			t.Errorf("%s: unknown host page reveals an ente's site:\n%s", p, body)
		}
	}
	// Probes answer on any host.
	if res, _ := get(t, s, "10.0.0.7:8080", "/healthz"); res.StatusCode != http.StatusOK {
		t.Errorf("/healthz on a bare IP: status %d", res.StatusCode)
	}
}

func TestTwoEntiSeeOnlyTheirSite(t *testing.T) {
	s, d := newTestServer(t)
	avio := &tenant.Ente{Slug: "avio", Name: "Comune di Avio", IstatCode: "022007", Belfiore: "A520", IPACode: "c_a520",
		FiscalCode: "00000000222", Hosts: []string{"servizi.avio.example"},
		Offices: []tenant.Office{{Slug: "sportello-avio", Name: "Sportello di Avio", IsDesk: true, Street: "Via Avio 1"}}}
	ctx := context.Background()
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return tenant.Create(ctx, tx, avio, testNow) }); err != nil {
		t.Fatal(err)
	}
	for _, p := range publicPages {
		_, body := get(t, s, "servizi.avio.example", p)
		if !strings.Contains(body, "Comune di Avio") {
			t.Errorf("avio %s: page lacks Avio's name", p)
		}
		if strings.Contains(body, "Comune di Ala") || strings.Contains(body, "pArLA") || strings.Contains(body, "San Giovanni") {
			t.Errorf("avio %s: page shows Ala's data", p)
		}
		_, body = get(t, s, "localhost", p)
		if strings.Contains(body, "Avio") {
			t.Errorf("ala %s: page shows Avio's data", p)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	s, _ := newTestServer(t)
	for _, p := range []string{"/", "/nope", "/healthz", "/static/css/sportello.css"} {
		res, _ := get(t, s, "localhost", p)
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		if csp == "" || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP = %q", p, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: missing nosniff or Referrer-Policy: %v", p, h)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS sent over plain HTTP", p)
		}
		if h.Get("X-Request-Id") == "" {
			t.Errorf("%s: no X-Request-Id", p)
		}
	}
	// Behind a trusted proxy that terminated TLS, HSTS is on.
	s.opt.TrustProxy = true
	req := httptest.NewRequest("GET", "/", nil)
	req.Host = "localhost"
	req.Header.Set("X-Forwarded-Proto", "https")
	if res, _ := do(t, s, req); res.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS behind a TLS-terminating trusted proxy")
	}
}

func TestCachingHeaders(t *testing.T) {
	s, _ := newTestServer(t)
	res, _ := get(t, s, "localhost", "/area-personale")
	if got := res.Header.Get("Cache-Control"); got != "private, no-store" {
		t.Errorf("personal page Cache-Control = %q", got)
	}
	u, err := s.static.url("css/sportello.css")
	if err != nil {
		t.Fatal(err)
	}
	res, body := get(t, s, "localhost", u)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") || !strings.Contains(body, ".rating-star") {
		t.Errorf("checksum URL %s: status %d, Cache-Control %q", u, res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if res, _ := get(t, s, "localhost", "/static/nope.css"); res.StatusCode != 404 {
		t.Errorf("missing static file: status %d", res.StatusCode)
	}
}

func TestCrossOriginProtection(t *testing.T) {
	s, d := newTestServer(t)
	form := url.Values{"page": {"/"}, "stars": {"5"}, "answer-positive": {"2"}, "step": {"full"}}
	post := func(headers map[string]string) int {
		req := httptest.NewRequest("POST", "/valutazione", strings.NewReader(form.Encode()))
		req.Host = "localhost:8080"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, _ := do(t, s, req)
		return res.StatusCode
	}
	if got := post(map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}); got != http.StatusForbidden {
		t.Errorf("cross-site POST: status %d, want 403", got)
	}
	if got := post(map[string]string{"Origin": "https://evil.example"}); got != http.StatusForbidden {
		t.Errorf("POST with a foreign Origin: status %d, want 403", got)
	}
	if got := post(map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost:8080"}); got != http.StatusOK {
		t.Errorf("same-origin POST: status %d, want 200", got)
	}
	sums, err := rating.Summaries(context.Background(), d, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 1 || sums[0].Count != 1 {
		t.Errorf("ratings stored = %v, want exactly the same-origin one", sums)
	}
}

func TestBodyLimit(t *testing.T) {
	s, _ := newTestServer(t)
	big := bytes.Repeat([]byte("a"), defaultMaxBody+1)
	req := httptest.NewRequest("POST", "/valutazione", bytes.NewReader(big))
	req.Host = "localhost"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, body := do(t, s, req)
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", res.StatusCode)
	}
	if !strings.Contains(body, "troppo grande") {
		t.Errorf("413 page does not explain itself:\n%s", body)
	}
	// Without a Content-Length the cap still holds while reading.
	req = httptest.NewRequest("POST", "/valutazione", io.MultiReader(bytes.NewReader(big)))
	req.Host = "localhost"
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res, _ := do(t, s, req); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked: status %d, want 413", res.StatusCode)
	}
}

func TestLanguage(t *testing.T) {
	s, _ := newTestServer(t)
	req := httptest.NewRequest("GET", "/", nil)
	req.Host = "localhost"
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	_, body := do(t, s, req)
	if !strings.Contains(body, "Log in to your personal area") {
		t.Error("Accept-Language en did not give English")
	}
	res, _ := get(t, s, "localhost", "/lingua/en?next=/servizi")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/servizi" {
		t.Fatalf("switcher: status %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == langCookie {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != "en" || !cookie.HttpOnly {
		t.Fatalf("switcher cookie = %v", cookie)
	}
	req = httptest.NewRequest("GET", "/", nil)
	req.Host = "localhost"
	req.Header.Set("Accept-Language", "it")
	req.AddCookie(cookie)
	if _, body := do(t, s, req); !strings.Contains(body, `lang="en"`) {
		t.Error("the switcher's cookie does not win over Accept-Language")
	}
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
		res, _ := get(t, s, "localhost", "/lingua/it?next="+url.QueryEscape(next))
		if res.Header.Get("Location") != "/" {
			t.Errorf("next=%q redirects to %q, want /", next, res.Header.Get("Location"))
		}
	}
}

func TestRating(t *testing.T) {
	s, d := newTestServer(t)
	post := func(form url.Values) (*http.Response, string) {
		req := httptest.NewRequest("POST", "/valutazione", strings.NewReader(form.Encode()))
		req.Host = "localhost"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return do(t, s, req)
	}
	// Without JavaScript: stars first, then the fitting question.
	res, body := post(url.Values{"page": {"/servizi"}, "stars": {"2"}, "step": {"stars"}})
	if res.StatusCode != 200 || !strings.Contains(body, "Dove hai incontrato le maggiori difficoltà?") || strings.Contains(body, "Quali sono stati gli aspetti") {
		t.Errorf("stars-only POST: status %d, want the negative question alone", res.StatusCode)
	}
	res, body = post(url.Values{"page": {"/servizi"}, "stars": {"2"}, "step": {"full"}, "answer-negative": {"4"}, "comment": {"lento"}})
	if res.StatusCode != 200 || !strings.Contains(body, "Grazie") {
		t.Errorf("full POST: status %d", res.StatusCode)
	}
	for _, bad := range []url.Values{
		{"page": {"/"}, "stars": {"9"}, "step": {"full"}},
		{"page": {"/"}, "stars": {"4"}, "step": {"full"}, "comment": {strings.Repeat("x", 201)}},
	} {
		if res, _ := post(bad); res.StatusCode != http.StatusBadRequest {
			t.Errorf("POST %v: status %d, want 400", bad, res.StatusCode)
		}
	}
	sums, err := rating.Summaries(context.Background(), d, 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]rating.Summary{{Page: "/servizi", Count: 1, Average: 2}}, sums); diff != "" {
		t.Errorf("stored ratings (-want +got):\n%s", diff)
	}
}

func TestProbesAndMetrics(t *testing.T) {
	s, d := newTestServer(t)
	if res, body := get(t, s, "localhost", "/healthz"); res.StatusCode != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("/healthz: %d %s", res.StatusCode, body)
	}
	if res, body := get(t, s, "localhost", "/readyz"); res.StatusCode != 200 || !strings.Contains(body, "ready") {
		t.Errorf("/readyz: %d %s", res.StatusCode, body)
	}
	get(t, s, "localhost", "/")
	get(t, s, "localhost", "/nope")
	_, body := get(t, s, "localhost", "/metrics")
	for _, want := range []string{
		`sportello_http_requests_total{route="GET /{$}",status="200"} 1`,
		`sportello_http_requests_total{route="/",status="404"} 1`,
		`sportello_http_request_duration_seconds_bucket{route="GET /{$}"`,
		`go_sql_open_connections{db_name="` + string(d.Engine) + `"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	d.Close()
	if res, _ := get(t, s, "localhost", "/readyz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database closed: status %d, want 503", res.StatusCode)
	}
}

func TestNotFoundPage(t *testing.T) {
	s, _ := newTestServer(t)
	res, body := get(t, s, "localhost", "/non-esiste")
	if res.StatusCode != 404 || !strings.Contains(body, "Pagina non trovata") || !strings.Contains(body, "Comune di Ala") {
		t.Errorf("404 page: status %d", res.StatusCode)
	}
	if res, _ := get(t, s, "localhost", "/servizi/categoria/nessuna"); res.StatusCode != 404 {
		t.Errorf("unknown category: status %d", res.StatusCode)
	}
}
