package e2e

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/sportello/sportello/internal/demo"
)

// operatorLogin signs the demo operator in, password and code, in a tab.
func operatorLogin(t *testing.T, s *site, op demo.Operator) {
	t.Helper()
	seedOperators(t, s)
	ctx := s.tab(t)
	s.open(t, ctx, "/operatori/accedi", 200)
	do(t, ctx, "type the password",
		chromedp.SendKeys(chromedp.CSS(`#username`), op.Username),
		chromedp.SendKeys(chromedp.CSS(`#password`), op.Password),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)))
	waitPath(t, ctx, "/operatori/accedi/codice")
	code, err := totp.GenerateCode(op.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "type the code", chromedp.SendKeys(chromedp.CSS(`#code`), code), chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)))
	waitPath(t, ctx, "/ufficio")
}

// TestCalendarAdminAndOfficeAppointmentsAxe: axe finds nothing on the
// administrators' calendar pages, a refused calendar form included, nor
// on a clerk's list of the office's appointments.
func TestCalendarAdminAndOfficeAppointmentsAxe(t *testing.T) {
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("read the vendored axe-core: %v", err)
	}
	check := func(ctx context.Context, what string) {
		t.Helper()
		if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
			t.Errorf("%s: %d WCAG 2.1 A/AA violations:\n%s", what, len(vs), formatViolations(vs))
		}
	}
	var admin, clerk demo.Operator
	for _, op := range demo.Operators() {
		switch op.Username {
		case "admin":
			admin = op
		case "anagrafe":
			clerk = op
		}
	}
	s := newSite(t)
	operatorLogin(t, s, admin)
	ctx := s.tab(t)
	s.open(t, ctx, "/amministrazione-ente/calendari", 200)
	check(ctx, "calendars")
	// A closure is added, listed with its remove button, and removed.
	do(t, ctx, "fill the closure", chromedp.SetValue(chromedp.CSS(`#first`), "2099-08-10"),
		chromedp.SetValue(chromedp.CSS(`#last`), "2099-08-21"), chromedp.SetValue(chromedp.CSS(`#reason`), "Ferie estive"))
	submitWith(t, ctx, `form[action="/amministrazione-ente/calendari/chiusure"] button[type="submit"]`)
	waitText(t, ctx, "main", "Ferie estive")
	check(ctx, "calendars with a closure")
	// Removing asks first: the button opens the confirmation.
	do(t, ctx, "open the confirmation", chromedp.Click(chromedp.CSS(`td details > summary`)))
	if !eval[bool](t, ctx, `document.querySelector("td details").open`) {
		t.Fatal("the remove button does not open its confirmation")
	}
	waitText(t, ctx, "td details", "si potrà di nuovo prenotare")
	check(ctx, "calendars, confirming a removal")
	submitWith(t, ctx, `form[action$="/elimina"] button[type="submit"]`)
	waitText(t, ctx, "main", "quei giorni tornano prenotabili")
	s.open(t, ctx, "/amministrazione-ente/calendari/nuovo", 200)
	check(ctx, "new calendar")
	ctx = s.tab(t)
	s.open(t, ctx, "/amministrazione-ente/calendari/nuovo", 200)
	do(t, ctx, "clear the seats", chromedp.SetValue(chromedp.CSS(`#seats`), "0"))
	submitWith(t, ctx, `main form button[type="submit"]`)
	waitPath(t, ctx, "/amministrazione-ente/calendari")
	wantText(t, ctx, "#errori", "Scrivi un numero intero da 1 a 50.")
	check(ctx, "refused calendar form")
	ctx = s.tab(t)
	s.open(t, ctx, "/amministrazione-ente/calendari/1", 200)
	check(ctx, "calendar edit")

	s = newSite(t)
	operatorLogin(t, s, clerk)
	ctx = s.tab(t)
	s.open(t, ctx, "/ufficio/appuntamenti", 200)
	check(ctx, "the office's appointments")
}
