package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/sim/spididp"
	"github.com/sportello/sportello/internal/tenant"
)

// TestDeskJourney: a citizen books without login; on the day, the desk
// operator checks them in, calls and serves them, and files a service on
// their behalf; the citizen then logs in with SPID and finds both the
// appointment and the draft. axe checks the desk console's pages.
func TestDeskJourney(t *testing.T) {
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("read the vendored axe-core: %v", err)
	}
	s := newSite(t)
	who := spididp.DemoIdentities()[0]
	done := bookWithoutLogin(t, s, string(axe), who)
	code := strings.TrimPrefix(strings.SplitN(done, "?", 2)[0], "/prenota-appuntamento/")

	// The day of the appointment comes: it is moved to noon today, the
	// only change made behind the browser's back.
	ctx0 := context.Background()
	e, err := tenant.BySlug(ctx0, s.DB, demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	noon := time.Now().In(booking.Rome())
	noon = time.Date(noon.Year(), noon.Month(), noon.Day(), 12, 0, 0, 0, booking.Rome()).UTC()
	if _, err := s.DB.ExecContext(ctx0, `UPDATE booking_appointment SET starts_at = $1, ends_at = $2
		WHERE ente_id = $3 AND code = $4`, noon, noon.Add(30*time.Minute), e.ID, code); err != nil {
		t.Fatal(err)
	}
	operatorLogin(t, s, demo.Operators()[0])
	var ctx context.Context
	check := func(what string) {
		t.Helper()
		if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
			t.Errorf("%s: %d WCAG 2.1 A/AA violations:\n%s", what, len(vs), formatViolations(vs))
		}
	}

	// Tabs share the browser's cookies; each has tabTimeout, and axe
	// takes seconds per page, so the operator's work spans a few.
	ctx = s.tab(t)
	s.open(t, ctx, "/sportello?ufficio=parla&sportello=Sportello+1", 200)
	check("desk console")
	submitWith(t, ctx, `button[name="appointment"]`)
	waitPath(t, ctx, "/sportello")
	if !strings.Contains(eval[string](t, ctx, `document.querySelector('main').textContent`), who.Name) {
		t.Fatal("the checked-in citizen is not in the waiting room")
	}
	submitWith(t, ctx, `form[action="/sportello/chiama"] button`)
	waitPath(t, ctx, "/sportello")
	check("desk console with a called ticket")
	submitWith(t, ctx, `form[action^="/sportello/esito/"] button[value="served"]`)
	waitPath(t, ctx, "/sportello")
	ctx = s.tab(t)
	s.open(t, ctx, "/coda/parla", 200)
	check("waiting room screen")
	s.open(t, ctx, "/sportello/contatti", 200)
	check("contact log")
	s.open(t, ctx, "/sportello/statistiche", 200)
	check("contact statistics")
	ctx = s.tab(t)
	s.open(t, ctx, "/sportello/domicilio", 200)
	check("home visits")
	s.open(t, ctx, "/sportello/cittadini?q="+who.FamilyName, 200)
	check("citizen search")

	// File on their behalf, at the desk with their identity card.
	ctx = s.tab(t)
	s.open(t, ctx, "/sportello/pratiche/nuova?cittadino="+who.FiscalCode, 200)
	check("filing on behalf")
	ctx = s.tab(t)
	s.open(t, ctx, "/sportello/pratiche/nuova?cittadino="+who.FiscalCode, 200)
	// They booked without login and never used SPID: the desk registers
	// them with their name.
	do(t, ctx, "name the person and pick the service",
		chromedp.SendKeys(chromedp.CSS(`#given_name`), who.Name),
		chromedp.SendKeys(chromedp.CSS(`#family_name`), who.FamilyName),
		chromedp.SetValue(chromedp.CSS(`#service`), "accesso-agli-atti"))
	tick(t, ctx, `#mode-desk`)
	do(t, ctx, "type the document's number", chromedp.SendKeys(chromedp.CSS(`#doc_number`), "CA00000AA"))
	tick(t, ctx, `#doc_checked`)
	tick(t, ctx, `#consent`)
	submitWith(t, ctx, `main form button[type="submit"]`)
	if errs := eval[string](t, ctx, `(document.getElementById('errori') || {textContent: ''}).textContent`); errs != "" {
		t.Fatalf("the filing was refused: %s", errs)
	}
	// In person, the operator fills in the citizen's form with them and
	// sends it.
	waitSuffix(t, ctx, "/dati-generali")
	check("filing on behalf: general data")
	do(t, ctx, "type the e-mail the person gives", chromedp.SendKeys(chromedp.CSS(`[name="email"]`), "cittadino@example.org"))
	tick(t, ctx, `input[name="qualita"][value="diretto_interessato"]`)
	submitWith(t, ctx, `main form button[name="_action"][value="next"]:not(.visually-hidden)`)
	waitSuffix(t, ctx, "/dati-servizio")
	if eval[int](t, ctx, `document.querySelectorAll('[name="documenti[0].descrizione"]').length`) == 0 {
		submitWith(t, ctx, `button[name="_action"][value="add:documenti"]`)
	}
	do(t, ctx, "describe the request",
		chromedp.SendKeys(chromedp.CSS(`[name="documenti[0].descrizione"]`), "Permesso di costruire del vicino"),
		chromedp.SendKeys(chromedp.CSS(`[name="motivazione"]`), "Devo verificare le distanze dal mio confine."))
	tick(t, ctx, `input[name="modalita"][value="visione"]`)
	tick(t, ctx, `input[name="dichiarazione"]`)
	submitWith(t, ctx, `main form button[name="_action"][value="next"]:not(.visually-hidden)`)
	if errs := eval[string](t, ctx, `(document.getElementById('form-errors') || {textContent: ''}).textContent`); errs != "" {
		t.Fatalf("the service data were refused: %s", errs)
	}
	waitSuffix(t, ctx, "/riepilogo")
	summary := eval[string](t, ctx, `location.pathname`)
	ctx = s.tab(t)
	s.open(t, ctx, summary, 200)
	submitWith(t, ctx, `main form button[type="submit"]`)
	waitMatch(t, ctx, `^/sportello/pratiche/[0-9]+$`)
	filed := eval[string](t, ctx, `location.pathname`)
	wantText(t, ctx, "main .alert-success", "Richiesta inviata e protocollata")
	if eval[int](t, ctx, `document.querySelectorAll('a[href$="/ricevuta"]').length`) != 1 {
		t.Error("the sent request's page has no receipt to print")
	}
	check("request sent at the desk")
	// The citizen view, with its Documenti: the receipt, the card checked.
	var citizenID int64
	if err := s.DB.QueryRowContext(ctx0, `SELECT id FROM citizen WHERE ente_id = $1 AND fiscal_code = $2`, e.ID, who.FiscalCode).Scan(&citizenID); err != nil {
		t.Fatal(err)
	}
	ctx = s.tab(t)
	s.open(t, ctx, fmt.Sprintf("/sportello/cittadini/%d?motivo=desk", citizenID), 200)
	wantText(t, ctx, "main", "CA•••••AA")
	check("citizen view with its documents")

	// The citizen logs in with SPID and finds the appointment, served, and
	// the request the desk sent for them.
	citizen := s.tab(t)
	s.toTestIdP(t, citizen, string(axe))
	do(t, citizen, "log in", chromedp.Click(chromedp.CSS(`#identita-0`)), chromedp.Click(chromedp.CSS(`button[name="action"][value="accedi"]`)))
	waitPath(t, citizen, "/area-personale")
	citizen = s.tab(t)
	s.open(t, citizen, "/area-personale/appuntamenti", 200)
	if body := eval[string](t, citizen, `document.querySelector('main').textContent`); !strings.Contains(body, code) || !strings.Contains(body, "Concluso") {
		t.Errorf("Appuntamenti lacks the served appointment %s:\n%s", code, body)
	}
	if vs := axeCheck(t, citizen, string(axe)); len(vs) > 0 {
		t.Errorf("Appuntamenti: %d WCAG 2.1 A/AA violations:\n%s", len(vs), formatViolations(vs))
	}
	s.open(t, citizen, "/area-personale/pratiche", 200)
	id := strings.TrimPrefix(filed, "/sportello/pratiche/")
	if n := eval[int](t, citizen, `document.querySelectorAll('main a[href="/area-personale/pratiche/`+id+`"]').length`); n == 0 {
		t.Errorf("Pratiche lacks the request sent at the desk:\n%s", eval[string](t, citizen, `document.querySelector('main').textContent`))
	}
	s.open(t, citizen, "/area-personale/pratiche/"+id, 200)
	if body := eval[string](t, citizen, `document.querySelector('main').textContent`); !strings.Contains(body, "Numero di protocollo") {
		t.Errorf("the request sent at the desk lacks its protocol number:\n%s", body)
	}
}
