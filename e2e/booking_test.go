package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sportello/sportello/internal/sim/spididp"
)

// bookWithoutLogin books the first free time for certificati anagrafici at
// the punto risposte from the scheda, as a visitor who is not logged in,
// checking every step with axe; it returns the confirmation's path.
func bookWithoutLogin(t *testing.T, s *site, axe string, who spididp.Identity) string {
	t.Helper()
	// A tab has tabTimeout for everything it does, and axe takes seconds
	// per page: the steps go over three tabs, each reopening the held
	// appointment's page by its address, as the citizen could.
	ctx := s.tab(t)
	here := func() string { return eval[string](t, ctx, `location.pathname + location.search`) }
	check := func(what string) {
		t.Helper()
		if vs := axeCheck(t, ctx, axe); len(vs) > 0 {
			t.Errorf("%s: %d WCAG 2.1 A/AA violations:\n%s", what, len(vs), formatViolations(vs))
		}
	}
	s.open(t, ctx, "/servizi/certificati-anagrafici", 200)
	follow(t, ctx, "press Prenota appuntamento", chromedp.Click(chromedp.CSS(`[data-element="service-booking-access"]`)))
	waitPath(t, ctx, "/prenota-appuntamento")
	check("Luogo")
	tick(t, ctx, `#ufficio-parla`)
	tick(t, ctx, `#canale-desk`)
	submitWith(t, ctx, `main form button[type="submit"]`)
	waitPath(t, ctx, "/prenota-appuntamento/data")
	check("Data e orario")
	tick(t, ctx, `#inizio-0`)
	submitWith(t, ctx, `main form[method="post"] button[type="submit"]`)
	waitSuffix(t, ctx, "/dettagli")
	next := here()
	ctx = s.tab(t)
	s.open(t, ctx, next, 200)
	check("Dettagli")
	do(t, ctx, "describe the need", chromedp.SendKeys(chromedp.CSS(`#details`), "Certificato di residenza per la banca"))
	submitWith(t, ctx, `main form button[type="submit"]`)
	waitSuffix(t, ctx, "/richiedente")
	check("Richiedente")
	do(t, ctx, "say who books",
		chromedp.SendKeys(chromedp.CSS(`#name`), who.Name+" "+who.FamilyName),
		chromedp.SendKeys(chromedp.CSS(`#fiscal_code`), who.FiscalCode),
		chromedp.SendKeys(chromedp.CSS(`#email`), who.Email))
	submitWith(t, ctx, `main form button[type="submit"]`)
	waitSuffix(t, ctx, "/riepilogo")
	next = here()
	ctx = s.tab(t)
	s.open(t, ctx, next, 200)
	check("Riepilogo")
	if !strings.Contains(eval[string](t, ctx, `document.querySelector('main').textContent`), who.FiscalCode) {
		t.Error("the summary does not show the fiscal code")
	}
	submitWith(t, ctx, `main form button[type="submit"]`)
	waitMatch(t, ctx, `^/prenota-appuntamento/[A-Z0-9]{4}-[A-Z0-9]{4}$`)
	check("Conferma")
	wantText(t, ctx, "main .alert-success h2", "Appuntamento confermato")
	ics := eval[string](t, ctx, `fetch(document.querySelector('a[download]').href).then(r => r.text())`)
	code := eval[string](t, ctx, `document.querySelector('[data-element="booking-code"]').textContent`)
	if !strings.HasPrefix(ics, "BEGIN:VCALENDAR\r\n") || !strings.Contains(ics, "UID:"+code+"@") || !strings.Contains(ics, "STATUS:CONFIRMED") {
		t.Errorf("the .ics file is not the appointment's:\n%s", ics)
	}
	return here()
}

// TestBookWithoutLogin: a citizen books from a scheda without logging in,
// in a real browser, and gets the .ics; axe finds nothing on any step.
func TestBookWithoutLogin(t *testing.T) {
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("read the vendored axe-core: %v", err)
	}
	s := newSite(t)
	bookWithoutLogin(t, s, string(axe), spididp.DemoIdentities()[0])
}
