package e2e

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The rating's parts, by the data-element names the Modello Comuni checker
// looks for.
const (
	ratingPositive = `[data-element="feedback-rating-positive"]`
	ratingNegative = `[data-element="feedback-rating-negative"]`
	ratingQuestion = `[data-element="feedback-rating-question"]`
	ratingComment  = `[data-element="feedback-input-text"]`
	ratingSubmit   = `form.js-rating button[type="submit"]`
	ratingThanks   = `main .alert-success`
)

// rateStar is the star the checker clicks to give n stars.
func rateStar(n int) string {
	return `[data-element="feedback-rate-` + strconv.Itoa(n) + `"]`
}

// TestRating gives the home page a rating the way the Modello Comuni checker
// does — with the mouse — and with the keyboard alone.
func TestRating(t *testing.T) {
	s := newSite(t)

	t.Run("mouse", func(t *testing.T) {
		ctx := s.tab(t)
		s.open(t, ctx, "/", 200)

		do(t, ctx, "click 2 stars", chromedp.Click(chromedp.CSS(rateStar(2))))
		wantShown(t, ctx, ratingNegative, ratingPositive)
		do(t, ctx, "click 5 stars", chromedp.Click(chromedp.CSS(rateStar(5))))
		wantShown(t, ctx, ratingPositive, ratingNegative)

		do(t, ctx, "answer and comment",
			chromedp.Click(chromedp.CSS(ratingPositive+` label[data-element="feedback-rating-answer"]`)),
			chromedp.SendKeys(chromedp.CSS(ratingComment), "Tutto chiaro"),
		)
		follow(t, ctx, "send the rating", chromedp.Click(chromedp.CSS(ratingSubmit)))
		wantText(t, ctx, ratingThanks, "Grazie")
	})

	t.Run("keyboard", func(t *testing.T) {
		ctx := s.tab(t)
		s.open(t, ctx, "/", 200)

		// Start from the rating's question, as a visitor who has read down
		// to it, and move on with Tab.
		eval[bool](t, ctx, `(() => { const h = document.getElementById('rating-title'); h.tabIndex = -1; h.focus(); return true })()`)
		do(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
		if got := focused(t, ctx); got != "rating-star-1" {
			t.Fatalf("Tab after the rating's question focused %q, want the first star (rating-star-1)", got)
		}
		if outline := eval[string](t, ctx, `getComputedStyle(document.querySelector('label[for="rating-star-1"]')).outlineStyle`); outline == "none" {
			t.Error("the focused star shows no focus outline")
		}

		do(t, ctx, "press Space", chromedp.KeyEvent(" "))
		if got := checkedStars(t, ctx); got != "1" {
			t.Fatalf("Space on the first star chose %q stars, want 1", got)
		}
		wantShown(t, ctx, ratingNegative, ratingPositive)

		do(t, ctx, "press ArrowRight 3 times", chromedp.KeyEvent(kb.ArrowRight+kb.ArrowRight+kb.ArrowRight))
		if got := checkedStars(t, ctx); got != "4" {
			t.Fatalf("ArrowRight 3 times from 1 star chose %q stars, want 4", got)
		}
		if got := focused(t, ctx); got != "rating-star-4" {
			t.Errorf("after ArrowRight the focus is on %q, want rating-star-4", got)
		}
		wantShown(t, ctx, ratingPositive, ratingNegative)
	})
}

// TestRatingWithoutJavaScript rates a page with JavaScript off: the stars
// go first, and the server asks the follow-up question on its own page.
func TestRatingWithoutJavaScript(t *testing.T) {
	s := newSite(t)
	ctx := s.tab(t)
	noScript(t, ctx)
	s.open(t, ctx, "/", 200)

	press(t, ctx, rateStar(2))
	// Without the script the follow-up stays hidden: the proof that
	// JavaScript is really off.
	if w, h := size(t, ctx, ratingNegative); w != 0 || h != 0 {
		t.Fatalf("the negative question shows (%gx%g) with JavaScript off", w, h)
	}
	follow(t, ctx, "send the stars", pressing(ratingSubmit))
	wantText(t, ctx, ratingQuestion, "Dove hai incontrato le maggiori difficoltà?")

	press(t, ctx, `main label[for="rating-negative-1"]`)
	do(t, ctx, "write a comment", typing(`#rating-comment-full`, "Non trovavo gli orari"))
	follow(t, ctx, "send the answer", pressing(`main form button[type="submit"]`))
	wantText(t, ctx, ratingThanks, "Grazie")
}

// press clicks the first element that matches the selector, for tabs with
// JavaScript off: chromedp's Click first checks that the element is visible
// by calling a function in the page, and in such a tab that call never
// answers once the tab has navigated.
func press(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	do(t, ctx, "click "+sel, pressing(sel))
}

// pressing is press as an action, for follow.
func pressing(sel string) chromedp.Action[chromedp.Void] {
	return onNode(sel, func(n *chromedp.Node) chromedp.Action[chromedp.Void] { return chromedp.MouseClickNode(n) })
}

// typing types into the first element that matches the selector, with no
// script in the page, like press.
func typing(sel, text string) chromedp.Action[chromedp.Void] {
	return onNode(sel, func(n *chromedp.Node) chromedp.Action[chromedp.Void] { return chromedp.KeyEventNode(n, text) })
}

// onNode runs the action on the first element that matches the selector,
// waiting only for it to be in the document.
func onNode(sel string, a func(*chromedp.Node) chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		nodes, err := chromedp.Nodes(chromedp.CSS(sel), chromedp.NodeReady)(ctx, t)
		if err != nil {
			return chromedp.Void{}, err
		}
		return a(nodes[0])(ctx, t)
	}
}

// TestLanguageSwitcher switches to English from the header and expects the
// choice to hold on the next page.
func TestLanguageSwitcher(t *testing.T) {
	s := newSite(t)
	ctx := s.tab(t)
	s.open(t, ctx, "/", 200)
	wantLang(t, ctx, "it")

	english := `.lang-switcher a[hreflang="en"]`
	wantText(t, ctx, english, "English")
	follow(t, ctx, "click English", chromedp.Click(chromedp.CSS(english)))
	wantLang(t, ctx, "en")
	if path := eval[string](t, ctx, `location.pathname`); path != "/" {
		t.Errorf("the switcher went to %s, want back to /", path)
	}

	follow(t, ctx, "click Services", chromedp.Click(chromedp.CSS(`[data-element="all-services"]`)))
	wantLang(t, ctx, "en")
	wantText(t, ctx, "h1", "Services")
}

// wantShown fails the test unless the element shown has a size on screen
// and the element hidden has none.
func wantShown(t *testing.T, ctx context.Context, shown, hidden string) {
	t.Helper()
	do(t, ctx, "wait for "+shown, chromedp.WaitVisible(chromedp.CSS(shown)))
	if w, h := size(t, ctx, shown); w == 0 || h == 0 {
		t.Errorf("%s is %gx%g, want it shown", shown, w, h)
	}
	if w, h := size(t, ctx, hidden); w != 0 || h != 0 {
		t.Errorf("%s is %gx%g, want it hidden (0x0)", hidden, w, h)
	}
}

// size returns the rendered width and height of the first element that
// matches the selector.
func size(t *testing.T, ctx context.Context, sel string) (w, h float64) {
	t.Helper()
	el := look(t, ctx, sel)
	if !el.Found {
		t.Fatalf("no element matches %s", sel)
	}
	return el.W, el.H
}

// wantText fails the test unless the first element that matches the
// selector is on screen and shows text that contains want.
func wantText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	switch el := look(t, ctx, sel); {
	case !el.Found:
		t.Fatalf("no element matches %s", sel)
	case el.W == 0 || el.H == 0:
		t.Fatalf("%s is not shown (%gx%g); its text is %q", sel, el.W, el.H, strings.TrimSpace(el.Text))
	case !strings.Contains(el.Text, want):
		t.Errorf("%s says %q, want it to contain %q", sel, strings.TrimSpace(el.Text), want)
	}
}

// seen is what a visitor sees of an element.
type seen struct {
	Found bool    `json:"found"`
	Text  string  `json:"text"`
	W     float64 `json:"w"`
	H     float64 `json:"h"`
}

// look reads the first element that matches the selector, with one
// evaluation: unlike chromedp's queries, that works with the page's
// JavaScript off too.
func look(t *testing.T, ctx context.Context, sel string) seen {
	t.Helper()
	q, _ := json.Marshal(sel)
	return eval[seen](t, ctx, `(() => {
		const el = document.querySelector(`+string(q)+`);
		if (!el) return {found: false, text: '', w: 0, h: 0};
		const r = el.getBoundingClientRect();
		return {found: true, text: el.innerText, w: r.width, h: r.height};
	})()`)
}

func wantLang(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	if got := eval[string](t, ctx, `document.documentElement.lang`); got != want {
		t.Errorf("html lang = %q, want %q", got, want)
	}
}

// focused returns the id of the focused element.
func focused(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `document.activeElement ? document.activeElement.id : ''`)
}

// checkedStars returns the value of the chosen star, or "" for none.
func checkedStars(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `(document.querySelector('input[name="stars"]:checked') || {value: ''}).value`)
}
