package e2e

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestFileARequestOnline files "Richiesta di accesso agli atti" end to end
// in a real browser — login through the test IdP, privacy, prefilled
// general data, service data, summary, "Conferma e invia" — and checks every
// step with axe and the protocol number on the pratica's page.
func TestFileARequestOnline(t *testing.T) {
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("read the vendored axe-core: %v", err)
	}
	s := newSite(t)
	ctx := s.tab(t)
	check := func(what string) {
		t.Helper()
		if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
			t.Errorf("%s: %d WCAG 2.1 A/AA violations:\n%s", what, len(vs), formatViolations(vs))
		}
	}

	s.toTestIdP(t, ctx, string(axe))
	do(t, ctx, "log in", chromedp.Click(chromedp.CSS(`#identita-0`)), chromedp.Click(chromedp.CSS(`button[name="action"][value="accedi"]`)))
	waitPath(t, ctx, "/area-personale")

	s.open(t, ctx, "/servizi/accesso-agli-atti", 200)
	follow(t, ctx, "press Accedi al servizio", chromedp.Click(chromedp.CSS(`[data-element="service-online-access"]`)))
	waitPath(t, ctx, "/area-personale/richiesta/accesso-agli-atti")
	check("privacy step")
	tick(t, ctx, `#privacy`)
	submitWith(t, ctx, `main form button[type="submit"]`)

	waitSuffix(t, ctx, "/dati-generali")
	if got := eval[string](t, ctx, `document.querySelector('[name="cognome"]').value`); got == "" {
		t.Error("the family name is not prefilled from the identity")
	}
	check("general data step")
	tick(t, ctx, `input[name="qualita"][value="diretto_interessato"]`)
	submitWith(t, ctx, `main form button[name="_action"][value="next"]:not(.visually-hidden)`)
	waitSuffix(t, ctx, "/dati-servizio")
	check("service data step")
	if eval[int](t, ctx, `document.querySelectorAll('[name="documenti[0].descrizione"]').length`) == 0 {
		submitWith(t, ctx, `button[name="_action"][value="add:documenti"]`)
	}
	do(t, ctx, "describe the request",
		chromedp.SendKeys(chromedp.CSS(`[name="documenti[0].descrizione"]`), "Permesso di costruire del vicino"),
		chromedp.SendKeys(chromedp.CSS(`[name="motivazione"]`), "Devo verificare le distanze dal mio confine."))
	// The page saves the draft by itself once the typing stops.
	waitText(t, ctx, `.js-autosave-status`, "Bozza salvata automaticamente")
	var saved string
	if err := s.DB.QueryRowContext(context.Background(), `SELECT answers FROM pratica ORDER BY id DESC LIMIT 1`).Scan(&saved); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(saved, "Devo verificare le distanze") {
		t.Errorf("the autosaved draft holds %s", saved)
	}
	tick(t, ctx, `input[name="modalita"][value="visione"]`)
	tick(t, ctx, `input[name="dichiarazione"]`)
	submitWith(t, ctx, `main form button[name="_action"][value="next"]:not(.visually-hidden)`)
	if errs := eval[string](t, ctx, `(document.getElementById('form-errors') || {textContent: ''}).textContent`); errs != "" {
		t.Fatalf("the service data were refused: %s", errs)
	}
	waitSuffix(t, ctx, "/riepilogo")
	check("summary step")
	if !strings.Contains(eval[string](t, ctx, `document.querySelector('main').textContent`), "Permesso di costruire del vicino") {
		t.Error("the summary does not show the answers")
	}
	submitWith(t, ctx, `main form button[type="submit"]`)
	waitMatch(t, ctx, `^/area-personale/pratiche/[0-9]+$`)
	body := eval[string](t, ctx, `document.querySelector('main').textContent`)
	if !strings.Contains(body, "Numero di protocollo") || !strings.Contains(body, "/000000") {
		t.Errorf("the pratica page does not show the protocol number:\n%s", body)
	}
	check("pratica page")
}

// tick checks a radio button or a checkbox. A click at the input's centre
// can land on Bootstrap Italia's styled label of a neighbour; the input's
// own click() is what a keyboard user's Space does.
func tick(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if !eval[bool](t, ctx, `(() => { const i = document.querySelector(`+strconv.Quote(sel)+`); i.click(); return i.checked })()`) {
		t.Fatalf("%s is not checked after a click", sel)
	}
}

// submitWith submits the page's form with the button sel (its name and
// value go with the form, as with a click) and waits for the next page.
func submitWith(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	js := `document.querySelector(` + strconv.Quote(sel) + `).click()`
	if _, err := chromedp.RunResponse(ctx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
		t.Fatalf("submit with %s: %v", sel, err)
	}
}

// waitText polls the element sel until its text contains want.
func waitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	got := ""
	for time.Now().Before(deadline) {
		got = eval[string](t, ctx, `(document.querySelector(`+strconv.Quote(sel)+`) || {textContent: ""}).textContent`)
		if strings.Contains(got, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s says %q, want %q", sel, got, want)
}
