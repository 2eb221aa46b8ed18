package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/pagopa/checkout"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/protocol"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
	"github.com/sportello/sportello/internal/web"
)

// The variables that steer the browser tests.
const (
	// envBrowser set to "1" makes a missing browser a failure, not a skip.
	envBrowser = "SPORTELLO_TEST_BROWSER"
	// envChromium names the browser binary; the default is Debian's.
	envChromium = "SPORTELLO_CHROMIUM"
	// envArtifacts names a directory that keeps the screenshots.
	envArtifacts = "SPORTELLO_E2E_ARTIFACTS"
)

const defaultChromium = "/usr/bin/chromium"

// Desktop and phone viewports.
const (
	desktopWidth, desktopHeight = 1280, 900
	phoneWidth, phoneHeight     = 375, 800
)

// tabTimeout bounds everything one tab does, so that a page that never
// loads fails the test instead of hanging it. A journey with an axe check
// per step takes a few seconds on a quiet machine; on a busy 2-core one
// (CI beside other builds) 15 seconds proved too short.
const tabTimeout = 60 * time.Second

var testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// site is the real server on a fresh demo database and one headless
// Chromium pointed at it; every subtest opens its own tab.
type site struct {
	// URL is the server's root, without the trailing slash.
	URL     string
	browser context.Context
	// DB is the site's database, for tests that set up operators.
	DB *db.DB
	// Payments reaches the pagoPA simulator mounted on the site, over
	// HTTP, as the demo does.
	Payments *payment.Service
}

// testSecretKey seals the site's SAML keys and TOTP seeds.
var testSecretKey = []byte("e2e-only-secret-key-of-32-bytes!")

// newSite starts the server and the browser, both stopped when the test
// ends, or skips the test when there is no browser and none is required.
func newSite(t *testing.T) *site {
	t.Helper()
	bin := chromium(t)

	d := testdb.Open(t)
	if _, err := demo.Seed(context.Background(), d, testNow); err != nil {
		t.Fatalf("seed the demo comune: %v", err)
	}
	// httptest listens on 127.0.0.1, one of the demo ente's hosts. The
	// test IdPs name themselves after the request, like in the demo.
	var srv *web.Server
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { srv.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	idps := web.NewTestIdPs(web.RequestOrigin(false))
	// The real clock: the test IdP stamps its SAML messages with it, and
	// the service provider checks them against its own.
	blobs, err := blob.Open(context.Background(), "file://"+t.TempDir())
	if err != nil {
		t.Fatalf("open the document store: %v", err)
	}
	pay, sim := sitePayments(t, d, ts.URL+"/_sim/pagopa")
	// Certificates' stamp duty through @e.bollo, wired as main does.
	keys, err := certificate.NewKeyStore(testSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	certs := &certificate.Issuer{DB: d, Registrar: protocol.Builtin{}, Blobs: blobs, Keys: keys}
	stamps := &payment.Stamps{Payments: pay, Issuer: certs}
	certs.Payer = stamps
	srv, err = web.New(web.Options{DB: d, Version: "e2e", SecretKey: testSecretKey, TestIdPs: idps, Demo: true,
		Blobs: blobs, Payments: pay, PagoPASim: sim, Certificates: certs, Stamps: stamps})
	if err != nil {
		t.Fatalf("build the server: %v", err)
	}

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoDefaultBrowserCheck,
		// Italian first, whatever the machine's locale: the site picks its
		// language from Accept-Language.
		chromedp.Flag("lang", "it-IT"),
		chromedp.Flag("accept-lang", "it-IT,it"),
		chromedp.WindowSize(desktopWidth, desktopHeight),
		chromedp.UserDataDir(t.TempDir()),
	)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	// Cleanups run last-in first-out: the browser quits, then the
	// allocator waits for it, then the server and the profile go.
	t.Cleanup(cancelAlloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	return &site{URL: ts.URL, browser: browserCtx, DB: d, Payments: pay}
}

// sitePayments is the pagoPA simulator, to be mounted at base, and the
// payment service that reaches it through the production clients.
func sitePayments(t *testing.T, d *db.DB, base string) (*payment.Service, *pagopasim.Sim) {
	t.Helper()
	sim := pagopasim.New(pagopasim.Options{Key: "e2e"})
	g, err := gpd.New(gpd.Options{PositionsURL: base + "/gpd/debt-positions-service/v1",
		ReceiptsURL: base + "/gpd/payments-receipts-service/v1", Key: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := checkout.New(checkout.Options{URL: base + "/checkout/ec/v1"})
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.New(calendar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &payment.Service{DB: d, GPD: g, Checkout: c, Calendar: cal}, sim
}

// chromium returns the browser to drive, or skips the test without one
// unless SPORTELLO_TEST_BROWSER=1.
func chromium(t *testing.T) string {
	t.Helper()
	bin := os.Getenv(envChromium)
	if bin == "" {
		bin = defaultChromium
	}
	if _, err := exec.LookPath(bin); err != nil {
		if os.Getenv(envBrowser) == "1" {
			t.Fatalf("%s=1 but there is no browser: %v", envBrowser, err)
		}
		t.Skipf("no browser at %s: install Debian's chromium with `bash .ci/browser.sh`, "+
			"or name another binary in %s (%s=1 makes this a failure)", bin, envChromium, envBrowser)
	}
	return bin
}

// tab opens a new tab, closed when the test ends; its context carries the
// tab's deadline.
func (s *site) tab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(s.browser)
	t.Cleanup(cancel)
	// The first Do opens the tab: it must not carry the deadline, which
	// would close the tab when it passes.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, tabTimeout)
	t.Cleanup(cancelTimeout)
	return ctx
}

// phone makes the tab a phone: a narrow, mobile viewport.
func phone(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile)); err != nil {
		t.Fatalf("emulate a phone: %v", err)
	}
}

// noScript turns JavaScript off in the tab, for the journeys that must work
// without it.
func noScript(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("disable JavaScript: %v", err)
	}
}

// open loads path in the tab and fails the test unless the server answered
// with want.
func (s *site) open(t *testing.T, ctx context.Context, path string, want int) {
	t.Helper()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(s.URL+path))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	if res.Status != int64(want) {
		t.Fatalf("open %s: status %d, want %d", path, res.Status, want)
	}
}

// follow runs an action that leads to another page — a click on a link or
// a submit button — waits for that page to load and checks its status.
func follow(t *testing.T, ctx context.Context, what string, a chromedp.Action[chromedp.Void]) {
	t.Helper()
	res, err := chromedp.RunResponse(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if res.Status != http.StatusOK {
		t.Fatalf("%s: %s answered %d, want 200", what, res.URL, res.Status)
	}
}

// do runs steps that return nothing, failing the test with what on error.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page and decodes its
// result; a promise is awaited.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %.80q: %v", expr, err)
	}
	return v
}
