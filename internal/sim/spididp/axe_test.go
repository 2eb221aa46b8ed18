package spididp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sportello/sportello/internal/sim/spididp"
)

// The browser test follows e2e's conventions: it skips without Chromium
// unless SPORTELLO_TEST_BROWSER=1 (as in CI, after .ci/browser.sh), and
// SPORTELLO_CHROMIUM names another binary.
const (
	envBrowser       = "SPORTELLO_TEST_BROWSER"
	envChromium      = "SPORTELLO_CHROMIUM"
	defaultChromium  = "/usr/bin/chromium"
	axePath          = "../../../ui/static/vendor/axe-core/axe.min.js"
	axeTabTimeout    = 20 * time.Second
	axeWCAG21AARules = `axe.run(document, {
	runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
	resultTypes: ['violations'],
}).then(r => r.violations.map(v => v.id + ' (' + (v.impact || '') + '): ' + v.help + ' at ' +
	v.nodes.map(n => n.target.join(' ')).join(', ')))`
)

// TestPagesPassAxe loads every page of the simulator in headless Chromium
// and runs axe-core's WCAG 2.1 A/AA rules on it. The pages are snapshots
// taken through the real flows (the post page without its auto-submit
// script, which would leave before axe runs), served beside the
// simulator's own stylesheet.
func TestPagesPassAxe(t *testing.T) {
	bin := os.Getenv(envChromium)
	if bin == "" {
		bin = defaultChromium
	}
	if _, err := exec.LookPath(bin); err != nil {
		if os.Getenv(envBrowser) == "1" {
			t.Fatalf("%s=1 but there is no browser: %v", envBrowser, err)
		}
		t.Skipf("no browser at %s (bash .ci/browser.sh installs it)", bin)
	}
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("read the vendored axe-core: %v", err)
	}

	sp := newTestSP(t)
	ti := newTestIdP(t, spididp.Config{})
	snaps := snapshots(t, ti, sp)
	mux := http.NewServeMux()
	mux.Handle("/_sim/spid/static/", http.StripPrefix("/_sim/spid", ti.IdP))
	for name, p := range snaps {
		body := strings.Replace(p.Body, `<script src="static/sim.js" defer></script>`, "", 1)
		mux.HandleFunc("/_sim/spid/snap-"+name, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = fmt.Fprint(w, body)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()))
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelAlloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	for name := range snaps {
		t.Run(name, func(t *testing.T) {
			tab, cancel := chromedp.NewContext(browser)
			defer cancel()
			if err := chromedp.Do(tab); err != nil {
				t.Fatalf("open a tab: %v", err)
			}
			ctx, cancelTimeout := context.WithTimeout(tab, axeTabTimeout)
			defer cancelTimeout()
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/_sim/spid/snap-"+name),
				chromedp.Evaluate[chromedp.Void](string(axe))); err != nil {
				t.Fatalf("load %s with axe: %v", name, err)
			}
			violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](axeWCAG21AARules, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("run axe: %v", err)
			}
			for _, v := range violations {
				t.Errorf("WCAG 2.1 A/AA violation: %s", v)
			}
		})
	}
}
