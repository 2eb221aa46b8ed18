package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// catalogEnv is the access fixture with the public page cache off, so
// that a page fetched before a publication is not served after it.
type catalogEnv struct {
	*accessFixture
}

func newCatalogEnv(t *testing.T) catalogEnv {
	t.Helper()
	f := newAccessFixture(t)
	f.srv.cache = newPageCache(-1, f.srv.now)
	return catalogEnv{f}
}

// send serves a request on host as one principal of the matrix.
func (env catalogEnv) send(t *testing.T, who int, method, host, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	var req *http.Request
	if method == http.MethodPost {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.Host = host
	for _, c := range env.login(t, who) {
		req.AddCookie(c)
	}
	return do(t, env.srv, req)
}

// formOf is what the editor submits for svc, unchanged.
func formOf(svc *catalog.Service) url.Values {
	v := valuesOf(svc)
	form := url.Values{"channels": v.channels}
	for k, text := range v.text {
		form.Set(k, text)
	}
	return form
}

func shippedService(t *testing.T, slug string) *catalog.Service {
	t.Helper()
	c, err := catalog.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := c.Get(slug)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestCatalogAdminPublish(t *testing.T) {
	env := newCatalogEnv(t)
	ctx := context.Background()
	cila := shippedService(t, "cila")

	res, body := env.send(t, pAdmin, http.MethodGet, "localhost", "/amministrazione-ente/servizi", nil)
	doc := parse(t, body)
	row := doc.Find(`tr:has(a[href="/amministrazione-ente/servizi/cila"])`)
	if res.StatusCode != http.StatusOK || !strings.Contains(row.Text(), cila.Title) || !strings.Contains(row.Text(), "fornita con Sportello") {
		t.Fatalf("list: status %d, cila row %q", res.StatusCode, row.Text())
	}
	res, body = env.send(t, pAdmin, http.MethodGet, "localhost", "/amministrazione-ente/servizi/cila", nil)
	doc = parse(t, body)
	got := map[string]string{
		"title":     doc.Find("input#title").AttrOr("value", ""),
		"office":    doc.Find("select#office option[selected]").AttrOr("value", ""),
		"category":  doc.Find("select#category option[selected]").AttrOr("value", ""),
		"deadlines": strings.SplitN(doc.Find("textarea#deadlines").Text(), "\n", 2)[0],
		"channels":  doc.Find("input[name=channels][checked]").AttrOr("value", ""),
	}
	want := map[string]string{"title": cila.Title, "office": "edilizia", "category": "catasto-e-urbanistica",
		"deadlines": "Subito | Dal giorno della presentazione i lavori possono iniziare.", "channels": "online"}
	if diff := cmp.Diff(want, got); res.StatusCode != http.StatusOK || diff != "" {
		t.Fatalf("editor: status %d, mismatch (-want +got):\n%s", res.StatusCode, diff)
	}

	form := formOf(cila)
	form.Set("title", "CILA – comunicazione aggiornata")
	form.Set("fee", "1.016,5")
	form.Set("deadlines", "Subito | I lavori iniziano.\r\nA fine lavori | Il tecnico lo comunica.")
	res, _ = env.send(t, pAdmin, http.MethodPost, "localhost", "/amministrazione-ente/servizi/cila", form)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "ok=pubblicato") {
		t.Fatalf("publish: status %d, Location %q", res.StatusCode, loc)
	}
	_, body = env.send(t, pAdmin, http.MethodGet, "localhost", res.Header.Get("Location"), nil)
	doc = parse(t, body)
	if flash := doc.Find(".alert-success").Text(); !strings.Contains(flash, "versione 2") {
		t.Errorf("flash %q, want the new version", flash)
	}
	if row := doc.Find(`tr:has(a[href="/amministrazione-ente/servizi/cila"])`).Text(); !strings.Contains(row, "admin, 25/11/2026") {
		t.Errorf("row %q: want who published it and when", row)
	}

	// The ente's public page changes; the other ente's does not.
	title := func(host string) string {
		_, body := env.send(t, pAnon, http.MethodGet, host, "/servizi/cila", nil)
		return parse(t, body).Find(`[data-element="service-title"]`).Text()
	}
	if diff := cmp.Diff([]string{"CILA – comunicazione aggiornata", cila.Title}, []string{title("localhost"), title("b.example")}); diff != "" {
		t.Errorf("public titles mismatch (-want +got):\n%s", diff)
	}

	// The stored definition, and the audit.
	v2, err := catalog.Version(ctx, env.srv.db, env.ente, env.srv.catalog, "cila", 2)
	if err != nil {
		t.Fatal(err)
	}
	wantSteps := []catalog.Step{{When: "Subito", Text: "I lavori iniziano."}, {When: "A fine lavori", Text: "Il tecnico lo comunica."}}
	if diff := cmp.Diff(wantSteps, v2.Deadlines); diff != "" || v2.FeeCents != 101650 || v2.Office != "edilizia" {
		t.Errorf("stored v2: fee %d, office %q, steps mismatch (-want +got):\n%s", v2.FeeCents, v2.Office, diff)
	}
	evs, err := audit.List(ctx, env.srv.db, env.ente, audit.Filter{Action: actionServicePublished})
	if err != nil || len(evs) != 1 || evs[0].Subject != "service:cila" || evs[0].Detail != "version 2" {
		t.Errorf("audit = %+v, %v; want one service.published of cila version 2", evs, err)
	}
}

func TestCatalogAdminValidation(t *testing.T) {
	env := newCatalogEnv(t)
	cila := shippedService(t, "cila")
	tests := []struct {
		name  string
		set   map[string]string
		field string
	}{
		{"empty title", map[string]string{"title": "  "}, "title"},
		{"no needed", map[string]string{"needed": "\n\n"}, "needed"},
		{"bad category", map[string]string{"category": "pesca"}, "category"},
		{"inactive without reason", map[string]string{"active": "", "inactive_reason": ""}, "inactive_reason"},
		{"step without a bar", map[string]string{"deadlines": "Entro 30 giorni"}, "deadlines"},
		{"attachment over http", map[string]string{"attachments": "Modulo | http://example.org/m.pdf"}, "attachments"},
		{"no channels", map[string]string{"channels": ""}, "channels"},
		{"unknown office", map[string]string{"office": "ufficio-inesistente"}, "office"},
		{"silent assent without a term", map[string]string{"term_days": "0", "silent_assent": "1"}, "term_days"},
		{"term not a number", map[string]string{"term_days": "trenta"}, "term_days"},
		{"fee in words", map[string]string{"fee": "dieci euro"}, "fee"},
		{"spid level 4", map[string]string{"spid_level": "4"}, "spid_level"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			form := formOf(cila)
			for k, v := range tc.set {
				form.Set(k, v)
				if v == "" {
					form.Del(k)
				}
			}
			for _, path := range []string{"/amministrazione-ente/servizi/cila", "/amministrazione-ente/servizi/cila/anteprima"} {
				res, body := env.send(t, pAdmin, http.MethodPost, "localhost", path, form)
				doc := parse(t, body)
				if res.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("%s: status %d, want 422", path, res.StatusCode)
				}
				if doc.Find(`#errori a[href="#`+tc.field+`"]`).Length() != 1 || strings.TrimSpace(doc.Find("#"+tc.field+"-error").Text()) == "" {
					t.Errorf("%s: no error for %s in the summary and beside the field:\n%s", path, tc.field, doc.Find("#errori").Text())
				}
			}
		})
	}
	revs, err := catalog.Published(context.Background(), env.srv.db, env.ente)
	if err != nil || len(revs) != 0 {
		t.Errorf("stored after refused forms: %v, %v", revs, err)
	}
}

func TestCatalogAdminPreview(t *testing.T) {
	env := newCatalogEnv(t)
	svc := shippedService(t, "certificati-anagrafici")
	path := "/amministrazione-ente/servizi/" + svc.Slug + "/anteprima"

	// The preview of the unchanged definition shows what the public page
	// shows: the same data-elements of the Modello Comuni, the same
	// JSON-LD, plus the banner.
	elements := func(body string) map[string]int {
		out := map[string]int{}
		parse(t, body).Find("[data-element]").Each(func(_ int, s *goquery.Selection) { out[s.AttrOr("data-element", "")]++ })
		return out
	}
	_, public := env.send(t, pAnon, http.MethodGet, "localhost", "/servizi/"+svc.Slug, nil)
	res, preview := env.send(t, pAdmin, http.MethodPost, "localhost", path, formOf(svc))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: status %d\n%.800s", res.StatusCode, preview)
	}
	if diff := cmp.Diff(elements(public), elements(preview)); diff != "" {
		t.Errorf("data-elements of the preview mismatch the public page (-public +preview):\n%s", diff)
	}
	ld := func(body string) string { return parse(t, body).Find(`script[type="application/ld+json"]`).Text() }
	if ld(public) != ld(preview) {
		t.Errorf("JSON-LD differs:\npublic  %s\npreview %s", ld(public), ld(preview))
	}

	// A changed definition: shown, marked, not indexed, not stored.
	form := formOf(svc)
	form.Set("title", "Certificati in anteprima")
	form.Set("addressed", "A chi chiede un certificato.")
	res, preview = env.send(t, pAdmin, http.MethodPost, "localhost", path, form)
	doc := parse(t, preview)
	var jsonld struct {
		Name     string `json:"name"`
		Audience struct {
			AudienceType string `json:"audienceType"`
		} `json:"audience"`
	}
	if err := json.Unmarshal([]byte(ld(preview)), &jsonld); err != nil {
		t.Fatal(err)
	}
	got := []string{
		strconv.Itoa(res.StatusCode),
		res.Header.Get("X-Robots-Tag"),
		doc.Find(`meta[name="robots"]`).AttrOr("content", ""),
		strings.TrimSpace(doc.Find(`[data-preview] .h5`).Text()),
		doc.Find(`[data-element="service-title"]`).Text(),
		strings.TrimSpace(doc.Find(`[data-element="service-addressed"]`).Text()),
		jsonld.Name,
		jsonld.Audience.AudienceType,
		res.Header.Get("Cache-Control"),
	}
	want := []string{"200", "noindex, nofollow", "noindex, nofollow", "Anteprima — non pubblicata",
		"Certificati in anteprima", "A chi chiede un certificato.", "Certificati in anteprima", "A chi chiede un certificato.",
		"private, no-store"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("preview mismatch (-want +got):\n%s", diff)
	}
	_, public = env.send(t, pAnon, http.MethodGet, "localhost", "/servizi/"+svc.Slug, nil)
	if title := parse(t, public).Find(`[data-element="service-title"]`).Text(); title != svc.Title {
		t.Errorf("after a preview the public title is %q, want %q", title, svc.Title)
	}
}

// A pratica is filed under the ente's current version, and keeps its title.
func TestFilingUsesTheEntesVersion(t *testing.T) {
	env := newCatalogEnv(t)
	svc := shippedService(t, "accesso-agli-atti")
	form := formOf(svc)
	form.Set("title", "Accesso ai documenti amministrativi")
	if res, _ := env.send(t, pAdmin, http.MethodPost, "localhost", "/amministrazione-ente/servizi/"+svc.Slug, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: status %d", res.StatusCode)
	}
	res, _ := env.send(t, pCitizenB, http.MethodPost, "localhost", "/area-personale/richiesta/"+svc.Slug, url.Values{"privacy": {"1"}})
	parts := strings.Split(res.Header.Get("Location"), "/")
	if res.StatusCode != http.StatusSeeOther || len(parts) < 4 {
		t.Fatalf("start: status %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	id, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pratica.Get(context.Background(), env.srv.db, env.ente, pratica.ID(id))
	if err != nil {
		t.Fatal(err)
	}
	if p.ServiceVersion != 2 || p.Title != "Accesso ai documenti amministrativi" {
		t.Errorf("draft filed under v%d %q, want v2 with the new title", p.ServiceVersion, p.Title)
	}
	// A later version does not change the draft's.
	form.Set("title", "Accesso agli atti (terza versione)")
	if res, _ := env.send(t, pAdmin, http.MethodPost, "localhost", "/amministrazione-ente/servizi/"+svc.Slug, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish v3: status %d", res.StatusCode)
	}
	p, err = pratica.Get(context.Background(), env.srv.db, env.ente, pratica.ID(id))
	if err != nil {
		t.Fatal(err)
	}
	was, err := catalog.Version(context.Background(), env.srv.db, env.ente, env.srv.catalog, p.Service, p.ServiceVersion)
	if err != nil || p.Title != "Accesso ai documenti amministrativi" || was.Title != p.Title {
		t.Errorf("after v3: pratica %q v%d, its definition %v, %v", p.Title, p.ServiceVersion, was, err)
	}
}

func TestParseEuro(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, true}, {"16", 1600, true}, {"16,5", 1650, true}, {"16,50", 1650, true}, {"€ 16,00", 1600, true},
		{"16.50", 1650, true}, {"1.234,56", 123456, true}, {"1.234", 123400, true}, {"0,05", 5, true},
		{"16,505", 0, false}, {"-5", 0, false}, {",50", 0, false}, {"dieci", 0, false}, {"1e3", 0, false},
		{"12345678901", 0, false},
	}
	for _, tc := range tests {
		got, err := parseEuro(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseEuro(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	for _, cents := range []int64{0, 5, 1650, 123456} {
		if got, err := parseEuro(formatEuro(cents)); err != nil || got != cents {
			t.Errorf("parseEuro(formatEuro(%d)) = %d, %v", cents, got, err)
		}
	}
}

func FuzzParseEuro(f *testing.F) {
	for _, s := range []string{"", "16,50", "1.234,56", "€ 16", "16.5", "-1", ",", "9999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cents, err := parseEuro(s)
		if err != nil {
			return
		}
		if cents < 0 {
			t.Fatalf("parseEuro(%q) = %d: negative", s, cents)
		}
		if back, err := parseEuro(formatEuro(cents)); err != nil || back != cents {
			t.Fatalf("parseEuro(%q) = %d, which formats to %q and reads back as %d, %v", s, cents, formatEuro(cents), back, err)
		}
	})
}

// The ente's catalogue is cached like the ente: a publication through
// another instance shows within the TTL, one through this instance at once.
func TestCatalogCacheAcrossInstances(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	if _, err := demo.Seed(ctx, d, testNow); err != nil {
		t.Fatal(err)
	}
	now := testNow
	s, err := New(Options{DB: d, Now: func() time.Time { return now }, PageCacheTTL: -1, TenantCacheTTL: 5 * time.Second,
		SecretKey: []byte("test-only-secret-key-32-bytes!!!")})
	if err != nil {
		t.Fatal(err)
	}
	e, err := tenant.BySlug(ctx, d, "ala")
	if err != nil {
		t.Fatal(err)
	}
	op, err := identity.CreateOperator(ctx, d, e.ID, identity.OperatorInput{Username: "admin", Name: "Admin", Email: "a@example.org",
		Password: "una-password-lunga-admin", Grants: []identity.Grant{{Role: identity.RoleAdmin}}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := identity.SeedTOTP(ctx, d, s.idKeys, e.ID, op.ID, "JBSWY3DPEHPK3PXPJBSWY3DP"); err != nil {
		t.Fatal(err)
	}
	token, _, err := identity.StartSession(ctx, d, e.ID, identity.OperatorSubject(op.ID), identity.SessionInput{}, now)
	if err != nil {
		t.Fatal(err)
	}
	cila := shippedService(t, "cila")
	title := func() string {
		_, body := get(t, s, "localhost", "/servizi/cila")
		return parse(t, body).Find(`[data-element="service-title"]`).Text()
	}
	var got []string
	got = append(got, title())
	other := *cila
	other.Title = "Pubblicata da un'altra istanza"
	if _, err := catalog.Publish(ctx, d, e.ID, s.catalog, &other, int64(op.ID), now); err != nil {
		t.Fatal(err)
	}
	got = append(got, title())
	now = now.Add(6 * time.Second)
	got = append(got, title())
	form := formOf(cila)
	form.Set("title", "Pubblicata da questa istanza")
	if res, _ := postForm(t, s, "/amministrazione-ente/servizi/cila", form, &http.Cookie{Name: operatorCookie, Value: token}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: status %d", res.StatusCode)
	}
	got = append(got, title())
	want := []string{cila.Title, cila.Title, "Pubblicata da un'altra istanza", "Pubblicata da questa istanza"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("titles mismatch (-want +got):\n%s", diff)
	}
}
