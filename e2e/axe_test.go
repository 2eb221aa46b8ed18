package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axePath is the vendored axe-core. It sits beside the embedded assets but
// is not embedded: only these tests use it.
const axePath = "../ui/static/vendor/axe-core/axe.min.js"

// axeRun checks the page against the WCAG 2.1 A and AA rules and returns the
// violations, cut down to what a failure message needs.
const axeRun = `axe.run(document, {
	runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
	resultTypes: ['violations'],
}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
	nodes: v.nodes.map(n => ({target: n.target.map(String), html: n.html, summary: n.failureSummary || ''})),
})))`

// axeViolation is one rule that failed, on every element it failed on.
type axeViolation struct {
	ID      string    `json:"id"`
	Impact  string    `json:"impact"`
	Help    string    `json:"help"`
	HelpURL string    `json:"helpUrl"`
	Nodes   []axeNode `json:"nodes"`
}

type axeNode struct {
	Target  []string `json:"target"`
	HTML    string   `json:"html"`
	Summary string   `json:"summary"`
}

// TestAccessibility runs axe-core on every public page, and on the home
// page at phone width, and expects no WCAG 2.1 A or AA violation.
func TestAccessibility(t *testing.T) {
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("read the vendored axe-core: %v", err)
	}
	s := newSite(t)
	pages := []struct {
		name   string
		path   string
		status int
		phone  bool
		// then brings the page to the state to check.
		then func(t *testing.T, ctx context.Context)
	}{
		{name: "page/home", path: "/"},
		{name: "phone/home", path: "/", phone: true},
		{path: "/amministrazione"},
		{path: "/amministrazione/uffici"},
		{path: "/novita"},
		{path: "/servizi"},
		{path: "/servizi/categoria/anagrafe-e-stato-civile"},
		{path: "/servizi?q=residenza"},
		{path: "/servizi/certificati-anagrafici"},
		{path: "/servizi/permesso-di-costruire"},
		{name: "phone/scheda", path: "/servizi/cambio-di-residenza", phone: true},
		{path: "/vivere"},
		{path: "/argomenti"},
		{path: "/faq"},
		{path: "/segnalazione-disservizio"},
		{path: "/privacy"},
		{path: "/note-legali"},
		{path: "/accessibilita"},
		{path: "/cerca?q=anagrafe"},
		{path: "/tempi-medi-dei-procedimenti"},
		{path: "/area-personale"},
		{path: "/pagina-che-non-esiste", status: http.StatusNotFound},
		{name: "rating-open", path: "/", then: func(t *testing.T, ctx context.Context) {
			do(t, ctx, "click 2 stars", chromedp.Click(chromedp.CSS(rateStar(2))))
		}},
		{name: "rating-question", path: "/", then: func(t *testing.T, ctx context.Context) {
			// The page a browser without JavaScript gets after the stars.
			do(t, ctx, "click 2 stars", chromedp.Click(chromedp.CSS(rateStar(2))))
			eval[bool](t, ctx, `(document.querySelector('.js-rating-step').value = 'stars', true)`)
			follow(t, ctx, "send the stars", chromedp.Click(chromedp.CSS(ratingSubmit)))
		}},
		{name: "rating-thanks", path: "/", then: func(t *testing.T, ctx context.Context) {
			do(t, ctx, "click 5 stars", chromedp.Click(chromedp.CSS(rateStar(5))))
			follow(t, ctx, "send the rating", chromedp.Click(chromedp.CSS(ratingSubmit)))
		}},
	}
	for _, p := range pages {
		name := p.name
		if name == "" {
			name = "page" + p.path
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := s.tab(t)
			if p.phone {
				phone(t, ctx)
			}
			want := p.status
			if want == 0 {
				want = http.StatusOK
			}
			s.open(t, ctx, p.path, want)
			if p.then != nil {
				p.then(t, ctx)
			}
			if vs := axeCheck(t, ctx, string(axe)); len(vs) > 0 {
				t.Errorf("%d WCAG 2.1 A/AA violations:\n%s", len(vs), formatViolations(vs))
			}
		})
	}
}

// axeCheck injects axe-core into the loaded page and runs it. It goes in
// through the DevTools protocol, which the page's Content Security Policy
// does not govern, so the policy needs no exception for the tests.
func axeCheck(t *testing.T, ctx context.Context, axe string) []axeViolation {
	t.Helper()
	do(t, ctx, "inject axe-core", chromedp.Evaluate[chromedp.Void](axe))
	if v := eval[string](t, ctx, `typeof axe === 'object' ? axe.version : 'missing'`); !strings.HasPrefix(v, "4.") {
		t.Fatalf("axe-core did not load: version %q", v)
	}
	return eval[[]axeViolation](t, ctx, axeRun)
}

// formatViolations lists each violation with the first few elements it
// failed on, enough to find them in the templates.
func formatViolations(vs []axeViolation) string {
	const maxNodes = 3
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "  %s (%s): %s\n    %s\n", v.ID, v.Impact, v.Help, v.HelpURL)
		for i, n := range v.Nodes {
			if i == maxNodes {
				fmt.Fprintf(&b, "    … and %d more\n", len(v.Nodes)-maxNodes)
				break
			}
			fmt.Fprintf(&b, "    - %s\n      %s\n", strings.Join(n.Target, " "), clip(n.HTML, 160))
			if n.Summary != "" {
				fmt.Fprintf(&b, "      %s\n", strings.ReplaceAll(clip(n.Summary, 300), "\n", "\n      "))
			}
		}
	}
	return b.String()
}

// clip shortens s to at most n bytes, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
