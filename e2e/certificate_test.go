package e2e

import (
	"context"
	"encoding/base64"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/tenant"
)

// certificateCitizen is the demo site with its registry, and a tab in
// which Marco Tomasi logged in through the test IdP.
func certificateCitizen(t *testing.T, axe string) (*site, *tenant.Ente, context.Context) {
	t.Helper()
	s := newSite(t)
	bg := context.Background()
	e, err := tenant.BySlug(bg, s.DB, demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedRegistry(bg, s.DB, e.ID); err != nil {
		t.Fatal(err)
	}
	ctx := s.tab(t)
	s.toTestIdP(t, ctx, axe)
	// The test IdP lists the demo identities in order: Marco is the second.
	do(t, ctx, "log in as Marco", chromedp.Click(chromedp.CSS(`#identita-1`)), chromedp.Click(chromedp.CSS(`button[name="action"][value="accedi"]`)))
	waitPath(t, ctx, "/area-personale")
	return s, e, ctx
}

// TestCertificateOnline logs in as Marco Tomasi through the test IdP,
// requests a stato di famiglia exempt from the stamp, downloads the PDF
// from the browser, verifies it with the ente's published keys, and checks
// it at /verifica by its code; every page passes axe.
func TestCertificateOnline(t *testing.T) {
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("read the vendored axe-core: %v", err)
	}
	s, e, ctx := certificateCitizen(t, string(axe))
	bg := context.Background()
	check := func(what string) {
		t.Helper()
		if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
			t.Errorf("%s: %d WCAG 2.1 A/AA violations:\n%s", what, len(vs), formatViolations(vs))
		}
	}

	// A fresh tab (same browser, same session) for each part: every tab
	// has its own deadline.
	ctx = s.tab(t)
	s.open(t, ctx, "/area-personale/certificati", 200)
	check("certificates page")
	body := eval[string](t, ctx, `document.querySelector('main').textContent`)
	for _, member := range []string{"Tomasi Marco", "Pederzolli Chiara", "Tomasi Sofia"} {
		if !strings.Contains(body, member) {
			t.Errorf("the household lacks %s", member)
		}
	}
	tick(t, ctx, `#tipo-12`)
	eval[bool](t, ctx, `(() => { document.querySelector('#tipo-8').checked = false; document.querySelector('#esenzione').value = '3'; return true })()`)
	submitWith(t, ctx, `main form[action="/area-personale/certificati"] button[type="submit"]`)
	waitMatch(t, ctx, `^/area-personale/certificati/[0-9]+$`)
	path := eval[string](t, ctx, `location.pathname`)
	ctx = s.tab(t)
	s.open(t, ctx, path, 200)
	check("certificate page")
	page := eval[string](t, ctx, `document.querySelector('main').textContent`)
	if !strings.Contains(page, "CERTIFICATO DI STATO DI FAMIGLIA") || !strings.Contains(page, "Valido") {
		t.Fatalf("the certificate page says:\n%s", page)
	}
	code := regexp.MustCompile(`[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}`).FindString(page)

	// Download as the browser does, with the session's cookie.
	b64 := eval[string](t, ctx, `fetch(document.querySelector('a[href$="/pdf"]').href).then(r => r.arrayBuffer()).then(b => {
		let s = ''; new Uint8Array(b).forEach(c => s += String.fromCharCode(c)); return btoa(s) })`)
	pdf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("the download is not a PDF (%v)", err)
	}
	keys, err := certificate.Published(bg, s.DB, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	v := certificate.Verify(pdf, keys)
	if !v.OK() || v.Payload.Code != code || v.Payload.FiscalCode != "TMSMRC79E03H612A" {
		t.Errorf("the downloaded file does not verify: %+v", v)
	}

	ctx = s.tab(t)
	s.open(t, ctx, "/verifica?codice="+code, 200)
	check("verification page")
	result := eval[string](t, ctx, `document.querySelector('[data-status]').textContent`)
	if !strings.Contains(result, "Valido") || strings.Contains(result, "Tomasi") {
		t.Errorf("/verifica says %q", result)
	}
}

// TestCertificateWithStamp: Marco asks for a stato di famiglia that owes
// the stamp duty, pays the @e.bollo in the simulator's Checkout, comes back
// to the certificate issued on the receipt, downloads the PDF and verifies
// it offline and at /verifica; the pages pass axe.
func TestCertificateWithStamp(t *testing.T) {
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("read the vendored axe-core: %v", err)
	}
	// Logged in, the session goes on in a fresh tab with its own deadline.
	s, e, _ := certificateCitizen(t, string(axe))
	check := func(ctx context.Context, what string) {
		t.Helper()
		if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
			t.Errorf("%s: %d WCAG 2.1 A/AA violations:\n%s", what, len(vs), formatViolations(vs))
		}
	}
	ctx := s.tab(t)
	s.open(t, ctx, "/area-personale/certificati", 200)
	if body := eval[string](t, ctx, `document.querySelector('main').textContent`); !strings.Contains(body, "imposta di bollo di € 16,00") {
		t.Errorf("the form does not announce the stamp duty:\n%s", body)
	}
	tick(t, ctx, `#tipo-12`)
	eval[bool](t, ctx, `(() => { document.querySelector('#tipo-8').checked = false; return true })()`)
	submitWith(t, ctx, `main form[action="/area-personale/certificati"] button[type="submit"]`)
	waitMatch(t, ctx, `^/_sim/pagopa/checkout/c/[0-9a-f]+$`)
	check(ctx, "Checkout page of the simulator")
	if body := eval[string](t, ctx, `document.body.textContent`); !strings.Contains(body, "Imposta di bollo") {
		t.Errorf("Checkout does not show the stamp:\n%s", body)
	}
	submitWith(t, ctx, `button[name="azione"][value="paga"]`)
	waitMatch(t, ctx, `^/area-personale/certificati/[0-9]+$`)
	check(ctx, "certificate page after paying")
	page := eval[string](t, ctx, `document.querySelector('main').textContent`)
	if !strings.Contains(page, "CERTIFICATO DI STATO DI FAMIGLIA") || !strings.Contains(page, "Valido") || !strings.Contains(page, "Il certificato è pronto") {
		t.Fatalf("the certificate page after paying says:\n%s", page)
	}
	code := regexp.MustCompile(`[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}`).FindString(page)
	b64 := eval[string](t, ctx, `fetch(document.querySelector('a[href$="/pdf"]').href).then(r => r.arrayBuffer()).then(b => {
		let s = ''; new Uint8Array(b).forEach(c => s += String.fromCharCode(c)); return btoa(s) })`)
	pdf, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("the download is not a PDF (%v)", err)
	}
	bg := context.Background()
	keys, err := certificate.Published(bg, s.DB, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	v := certificate.Verify(pdf, keys)
	if !v.OK() || v.Payload.Code != code || v.Payload.FiscalCode != "TMSMRC79E03H612A" {
		t.Errorf("the downloaded file does not verify: %+v", v)
	}
	c, err := certificate.ByCode(bg, s.DB, e.ID, code)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := payment.StampFor(bg, s.DB, e.ID, c.ID)
	if err != nil || sp.IUBD == "" || c.Stamp.ID != sp.IUBD || c.Stamp.Cents != 1600 {
		t.Errorf("the certificate's stamp %+v, the payment's IUBD %+v (%v)", c.Stamp, sp, err)
	}
	ctx = s.tab(t)
	s.open(t, ctx, "/verifica?codice="+code, 200)
	if result := eval[string](t, ctx, `document.querySelector('[data-status]').textContent`); !strings.Contains(result, "Valido") {
		t.Errorf("/verifica says %q", result)
	}
}

// TestCertificateDesk logs in as the desk operator, issues Giuseppina
// Zandonai's residence for a person at the counter with a marca da bollo,
// and opens the PDF to print; the form and the result pass axe.
func TestCertificateDesk(t *testing.T) {
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("read the vendored axe-core: %v", err)
	}
	s := newSite(t)
	bg := context.Background()
	e := seedOperators(t, s)
	if err := demo.SeedRegistry(bg, s.DB, e.ID); err != nil {
		t.Fatal(err)
	}
	desk := demo.Operators()[0]
	ctx := s.tab(t)
	s.open(t, ctx, "/operatori/accedi", 200)
	do(t, ctx, "type the password", chromedp.SendKeys(chromedp.CSS(`#username`), desk.Username),
		chromedp.SendKeys(chromedp.CSS(`#password`), desk.Password), chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)))
	waitPath(t, ctx, "/operatori/accedi/codice")
	code, err := totp.GenerateCode(desk.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "type the code", chromedp.SendKeys(chromedp.CSS(`#code`), code), chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)))
	waitPath(t, ctx, "/ufficio")

	ctx = s.tab(t)
	s.open(t, ctx, "/sportello/certificati", 200)
	if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
		t.Errorf("desk form: %d WCAG 2.1 A/AA violations:\n%s", len(vs), formatViolations(vs))
	}
	do(t, ctx, "fill the form",
		chromedp.SendKeys(chromedp.CSS(`#cf`), "ZNDGPP51B52A116D"),
		chromedp.SendKeys(chromedp.CSS(`#richiedente`), "Mario Rossi, carta d'identità CA00000AA"),
		chromedp.SendKeys(chromedp.CSS(`#motivo`), "contratto di locazione"),
		chromedp.SendKeys(chromedp.CSS(`#marca`), "01234567890123"))
	submitWith(t, ctx, `main form button[type="submit"]`)
	status := eval[string](t, ctx, `(document.querySelector('[role="status"]') || document.querySelector('#cert-problem') || {textContent: ''}).textContent`)
	if !strings.Contains(status, "Rilasciato: CERTIFICATO DI RESIDENZA") {
		t.Fatalf("the desk page says %q", status)
	}
	if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
		t.Errorf("desk result: %d WCAG 2.1 A/AA violations:\n%s", len(vs), formatViolations(vs))
	}
	head := eval[string](t, ctx, `fetch(document.querySelector('a[href$="/pdf"]').href).then(r => r.text()).then(t => t.slice(0, 8))`)
	if head != "%PDF-1.7" {
		t.Errorf("the print link gives %q", head)
	}

	// The registrar revokes it: the page finds it by its code, the
	// reason is required, and /verifica then says so.
	code = regexp.MustCompile(`[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}`).FindString(status)
	ctx = s.tab(t)
	s.open(t, ctx, "/sportello/certificati/revoca?codice="+code, 200)
	if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
		t.Errorf("revocation page: %d WCAG 2.1 A/AA violations:\n%s", len(vs), formatViolations(vs))
	}
	do(t, ctx, "give the reason", chromedp.SendKeys(chromedp.CSS(`#motivo`), "indirizzo errato"))
	submitWith(t, ctx, `form[method="post"] button[type="submit"]`)
	if got := eval[string](t, ctx, `document.querySelector('[data-status]').textContent`); !strings.Contains(got, "Revocato") {
		t.Errorf("after the revocation the page says %q", got)
	}
	if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
		t.Errorf("revocation done: %d WCAG 2.1 A/AA violations:\n%s", len(vs), formatViolations(vs))
	}
	ctx = s.tab(t)
	s.open(t, ctx, "/verifica?codice="+code, 200)
	if result := eval[string](t, ctx, `document.querySelector('[data-status]').textContent`); !strings.Contains(result, "Revocato") {
		t.Errorf("/verifica after the revocation says %q", result)
	}
}
