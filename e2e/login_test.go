package e2e

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/sim/spididp"
	"github.com/sportello/sportello/internal/tenant"
)

// waitPath waits until the tab shows path (after a chain of redirects and
// auto-submitted forms, which no single navigation response covers).
func waitPath(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	waitFor(t, ctx, path, func(p string) bool { return p == path })
}

// waitSuffix waits until the tab's path ends with suffix.
func waitSuffix(t *testing.T, ctx context.Context, suffix string) {
	t.Helper()
	waitFor(t, ctx, "a path ending in "+suffix, func(p string) bool { return strings.HasSuffix(p, suffix) })
}

// waitMatch waits until the tab's path matches the regular expression.
func waitMatch(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	re := regexp.MustCompile(expr)
	waitFor(t, ctx, "a path matching "+expr, re.MatchString)
}

// waitFor polls the loaded page's path until ok accepts it. An evaluation
// that fails because the page is navigating away is not an error: the next
// poll sees the new page.
func waitFor(t *testing.T, ctx context.Context, want string, ok func(path string) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		p, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === "complete" ? location.pathname : ""`))
		if err == nil && p != "" {
			if ok(p) {
				return
			}
			last = p
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the tab is at %s, want %s", last, want)
}

// toTestIdP goes from the login page to the SPID test IdP's page, with the
// keyboard-usable SPID menu.
func (s *site) toTestIdP(t *testing.T, ctx context.Context, axe string) {
	t.Helper()
	s.open(t, ctx, "/accedi", 200)
	if vs := axeCheck(t, ctx, axe); len(vs) > 0 {
		t.Errorf("login page: %d WCAG 2.1 A/AA violations:\n%s", len(vs), formatViolations(vs))
	}
	do(t, ctx, "open the SPID menu", chromedp.Click(chromedp.CSS(`details.spid-access summary`)))
	follow(t, ctx, "choose the test IdP", chromedp.Click(chromedp.CSS(`ul.spid-idp-list a[href*="_sim%2Fspid"]`)))
	waitPath(t, ctx, "/_sim/spid/sso")
}

// TestCitizenLogin logs in through the built-in SPID test IdP in a real
// browser and sees the citizen's name; every page on the way passes axe.
func TestCitizenLogin(t *testing.T) {
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("read the vendored axe-core: %v", err)
	}
	s := newSite(t)
	who := spididp.DemoIdentities()[0]

	t.Run("login", func(t *testing.T) {
		ctx := s.tab(t)
		s.toTestIdP(t, ctx, string(axe))
		if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
			t.Errorf("test IdP page: %d WCAG 2.1 A/AA violations:\n%s", len(vs), formatViolations(vs))
		}
		do(t, ctx, "log in as "+who.FiscalCode,
			chromedp.Click(chromedp.CSS(`#identita-0`)),
			chromedp.Click(chromedp.CSS(`button[name="action"][value="accedi"]`)),
		)
		waitPath(t, ctx, "/area-personale")
		wantText(t, ctx, "main h1", who.Name)
		for _, path := range []string{"/area-personale", "/area-personale/profilo", "/area-personale/deleghe"} {
			s.open(t, ctx, path, 200)
			if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
				t.Errorf("%s: %d WCAG 2.1 A/AA violations:\n%s", path, len(vs), formatViolations(vs))
			}
		}
		// Log out: the session ends here and at the IdP, back to the home.
		s.open(t, ctx, "/area-personale", 200)
		do(t, ctx, "log out", chromedp.Click(chromedp.CSS(`form[action="/esci"] button`)))
		waitPath(t, ctx, "/")
		s.open(t, ctx, "/area-personale", 200)
		waitPath(t, ctx, "/accedi")
	})

	t.Run("cancel", func(t *testing.T) {
		ctx := s.tab(t)
		s.toTestIdP(t, ctx, string(axe))
		do(t, ctx, "cancel at the IdP", chromedp.Click(chromedp.CSS(`button[name="action"][value="annulla"]`)))
		waitPath(t, ctx, "/spid/acs")
		wantText(t, ctx, "main h1", "Accesso non riuscito")
		if got := eval[string](t, ctx, `document.querySelector("main .callout-title").textContent`); !strings.Contains(got, "Accesso annullato") {
			t.Errorf("the error page says %q, want it to name the cancelled login", got)
		}
		if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
			t.Errorf("login error page: %d WCAG 2.1 A/AA violations:\n%s", len(vs), formatViolations(vs))
		}
	})
}

// TestOperatorLogin logs a demo operator in with password and TOTP code,
// and checks the operators' pages with axe.
func TestOperatorLogin(t *testing.T) {
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("read the vendored axe-core: %v", err)
	}
	s := newSite(t)
	seedOperators(t, s)
	admin := demo.Operators()[3]

	ctx := s.tab(t)
	s.open(t, ctx, "/operatori/accedi", 200)
	if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
		t.Errorf("operator login page: %d WCAG 2.1 A/AA violations:\n%s", len(vs), formatViolations(vs))
	}
	do(t, ctx, "type the password",
		chromedp.SendKeys(chromedp.CSS(`#username`), admin.Username),
		chromedp.SendKeys(chromedp.CSS(`#password`), admin.Password),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	waitPath(t, ctx, "/operatori/accedi/codice")
	if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
		t.Errorf("second factor page: %d WCAG 2.1 A/AA violations:\n%s", len(vs), formatViolations(vs))
	}
	code, err := totp.GenerateCode(admin.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "type the code",
		chromedp.SendKeys(chromedp.CSS(`#code`), code),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	waitPath(t, ctx, "/ufficio")
	wantText(t, ctx, "main h1", admin.Name)
	for _, path := range []string{"/ufficio", "/amministrazione-ente/operatori", "/amministrazione-ente/sessioni",
		"/amministrazione-ente/registro?verifica=1", "/sportello/deleghe", "/amministrazione-ente/certificati"} {
		s.open(t, ctx, path, 200)
		if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
			t.Errorf("%s: %d WCAG 2.1 A/AA violations:\n%s", path, len(vs), formatViolations(vs))
		}
		if path == "/amministrazione-ente/registro?verifica=1" && !strings.Contains(eval[string](t, ctx, `document.body.textContent`), "è integra") {
			t.Error("the audit page does not say the chain is intact")
		}
	}
}

// TestOfficePages logs the head of Edilizia privata in and checks the back
// office's pages with axe.
func TestOfficePages(t *testing.T) {
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("read the vendored axe-core: %v", err)
	}
	s := newSite(t)
	seedOperators(t, s)
	head := demo.Operators()[2]
	ctx := s.tab(t)
	s.open(t, ctx, "/operatori/accedi", 200)
	do(t, ctx, "type the password",
		chromedp.SendKeys(chromedp.CSS(`#username`), head.Username),
		chromedp.SendKeys(chromedp.CSS(`#password`), head.Password),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	waitPath(t, ctx, "/operatori/accedi/codice")
	code, err := totp.GenerateCode(head.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "type the code", chromedp.SendKeys(chromedp.CSS(`#code`), code), chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)))
	waitPath(t, ctx, "/ufficio")
	for _, path := range []string{"/ufficio/pratiche", "/ufficio/statistiche"} {
		s.open(t, ctx, path, 200)
		if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
			t.Errorf("%s: %d WCAG 2.1 A/AA violations:\n%s", path, len(vs), formatViolations(vs))
		}
	}
}

// seedOperators gives the demo comune its operators (with their TOTP
// seeds) and returns the comune.
func seedOperators(t *testing.T, s *site) *tenant.Ente {
	t.Helper()
	ctx := context.Background()
	e, err := tenant.BySlug(ctx, s.DB, demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := identity.NewKeys(testSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedOperators(ctx, s.DB, keys, e.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	return e
}
