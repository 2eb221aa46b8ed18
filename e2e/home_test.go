package e2e

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// watchCSP records the page's Content Security Policy violations from its
// very first byte; the browser runs it before any script of the page, and
// the policy does not apply to it.
const watchCSP = `window.__e2eCSP = [];
document.addEventListener('securitypolicyviolation', e => window.__e2eCSP.push(
	e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + (e.sourceFile || '?') + ':' + e.lineNumber));`

// TestHomeLoadsCleanly loads the home page as a visitor would and checks
// what only a browser sees: no console errors, nothing the Content Security
// Policy had to block, and the self-hosted Titillium Web in use.
func TestHomeLoadsCleanly(t *testing.T) {
	s := newSite(t)
	ctx := s.tab(t)
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: watchCSP}); err != nil {
		t.Fatalf("watch for CSP violations: %v", err)
	}
	console := watchConsole(t, ctx)
	s.open(t, ctx, "/", 200)

	type fontState struct {
		Check bool   `json:"check"`
		H1    string `json:"h1"`
	}
	fonts := eval[fontState](t, ctx, `document.fonts.ready.then(() => ({
		check: document.fonts.check('16px "Titillium Web"'),
		h1: getComputedStyle(document.querySelector('h1')).fontFamily,
	}))`)

	t.Run("console", func(t *testing.T) {
		for _, m := range console() {
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleException:
				t.Errorf("console %s from %s:%d: %s", m.Type, m.URL, m.Line+1, clip(m.Text, 300))
			default:
				t.Logf("console %s: %s", m.Type, clip(m.Text, 300))
			}
		}
	})
	t.Run("csp", func(t *testing.T) {
		for _, v := range eval[[]string](t, ctx, `window.__e2eCSP`) {
			t.Errorf("CSP violation: %s", v)
		}
	})
	t.Run("fonts", func(t *testing.T) {
		if !fonts.Check {
			t.Error(`document.fonts.check('16px "Titillium Web"') = false after document.fonts.ready: the font did not load`)
		}
		if first, _, _ := strings.Cut(fonts.H1, ","); strings.Trim(first, `"' `) != "Titillium Web" {
			t.Errorf("h1 font-family = %q, want it to start with Titillium Web", fonts.H1)
		}
		// The font the browser actually drew the heading with, not only
		// the one the style sheet asked for.
		ids, err := chromedp.Run(ctx, chromedp.QueryNodeIDs(chromedp.CSS("h1")))
		if err != nil || len(ids) == 0 {
			t.Fatalf("find h1: %v", err)
		}
		used, err := chromedp.Call(ctx, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: ids[0]})
		if err != nil {
			t.Fatalf("fonts used by h1: %v", err)
		}
		var names []string
		for _, f := range used.Fonts {
			if f.FamilyName == "Titillium Web" && f.IsCustomFont {
				return
			}
			names = append(names, f.FamilyName)
		}
		t.Errorf("h1 is drawn with %v, want the web font Titillium Web", names)
	})
	t.Run("watcher", func(t *testing.T) {
		// A planted inline style must be caught, or a clean result above
		// would prove nothing.
		before := eval[int](t, ctx, `window.__e2eCSP.length`)
		caught := eval[bool](t, ctx, `new Promise(resolve => {
			document.addEventListener('securitypolicyviolation', () => resolve(true), {once: true});
			setTimeout(() => resolve(false), 2000);
			document.head.append(Object.assign(document.createElement('style'), {textContent: 'body { color: red }'}));
		})`)
		if after := eval[int](t, ctx, `window.__e2eCSP.length`); !caught || after != before+1 {
			t.Errorf("a planted inline style was not reported (event %t, %d violations before, %d after)", caught, before, after)
		}
	})
}

// watchConsole collects what the tab writes to its console from now on; the
// func it returns ends the collection and returns the messages.
func watchConsole(t *testing.T, ctx context.Context) func() []chromedp.ConsoleMessage {
	t.Helper()
	const end = "e2e: end of the console"
	cctx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	messages := chromedp.Console(cctx)
	got := make(chan []chromedp.ConsoleMessage, 1)
	go func() {
		var ms []chromedp.ConsoleMessage
		for m, err := range messages {
			if err != nil || m.Text == end {
				break
			}
			ms = append(ms, m)
		}
		got <- ms
	}()
	return func() []chromedp.ConsoleMessage {
		t.Helper()
		// The marker comes after every message the page wrote before it, so
		// the collection is complete without waiting for a quiet moment.
		do(t, ctx, "mark the end of the console", chromedp.Evaluate[chromedp.Void](`console.debug('`+end+`')`))
		select {
		case ms := <-got:
			stop()
			return ms
		case <-ctx.Done():
			t.Fatalf("read the console: %v", ctx.Err())
			return nil
		}
	}
}

// TestScreenshots saves the home page, full length, at desktop and phone
// width: into $SPORTELLO_E2E_ARTIFACTS when set, for a person to look at.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv(envArtifacts)
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("screenshot directory: %v", err)
	}
	s := newSite(t)
	for _, tc := range []struct {
		name  string
		phone bool
		width int
	}{
		{name: "desktop", width: desktopWidth},
		{name: "phone", phone: true, width: phoneWidth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := s.tab(t)
			if tc.phone {
				phone(t, ctx)
			}
			s.open(t, ctx, "/", 200)
			if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > tc.width {
				t.Errorf("the page is %d px wide in a %d px viewport: something overflows sideways", w, tc.width)
			}
			shot := fullPage(t, ctx, tc.width, tc.phone)
			cfg, err := png.DecodeConfig(bytes.NewReader(shot))
			if err != nil {
				t.Fatalf("the screenshot is not a PNG: %v", err)
			}
			file := filepath.Join(dir, "home-"+tc.name+".png")
			if err := os.WriteFile(file, shot, 0o644); err != nil {
				t.Fatalf("save the screenshot: %v", err)
			}
			t.Logf("saved %s (%dx%d)", file, cfg.Width, cfg.Height)
		})
	}
}

// settle waits for the fonts, a fresh frame and any transition running, so
// that a screenshot shows the page at rest.
const settle = `document.fonts.ready
	.then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))))
	.then(() => Promise.all(document.getAnimations().map(a => a.finished)))
	.then(() => true)`

// fullPage takes a PNG of the whole page. It grows the viewport to the
// page's height and lets the page settle first: Chromium's own full-page
// capture resizes the page as it shoots, catching Bootstrap Italia's
// transitions halfway.
func fullPage(t *testing.T, ctx context.Context, width int, mobile bool) []byte {
	t.Helper()
	eval[bool](t, ctx, settle)
	height := eval[int64](t, ctx, `document.documentElement.scrollHeight`)
	var opts []chromedp.EmulateViewportOption
	if mobile {
		opts = append(opts, chromedp.EmulateMobile)
	}
	do(t, ctx, "grow the viewport to the page", chromedp.EmulateViewport(int64(width), height, opts...))
	eval[bool](t, ctx, settle)
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return shot
}
