package e2e

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/sim/spididp"
	"github.com/sportello/sportello/internal/tenant"
)

// TestPayAPraticaFee pays the fee of an "occupazione di suolo pubblico" in
// a real browser: the pratica's page, the notice, Paga online, the
// simulator's Checkout page, Paga, back on the notice with its receipt, and
// the pratica moved on by itself. Every page passes axe.
func TestPayAPraticaFee(t *testing.T) {
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("read the vendored axe-core: %v", err)
	}
	s := newSite(t)
	// Each stage has a tab of its own, and so the whole tab's time: the
	// browser's cookies are shared, the session goes on.
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

	pr, pay := s.fileWithFee(t, spididp.DemoIdentities()[0].FiscalCode, 1600)
	s.open(t, ctx, "/area-personale/pratiche/"+strconv.FormatInt(int64(pr.ID), 10), 200)
	check("pratica awaiting payment")
	if body := eval[string](t, ctx, `document.querySelector('main').textContent`); !strings.Contains(body, "In attesa di pagamento") || !strings.Contains(body, "16,00 €") {
		t.Fatalf("the pratica page does not show the fee awaiting payment:\n%s", body)
	}
	ctx = s.tab(t)
	s.open(t, ctx, "/area-personale/pratiche/"+strconv.FormatInt(int64(pr.ID), 10), 200)
	follow(t, ctx, "open the payment", chromedp.Click(chromedp.CSS(`a[href="/area-personale/pagamenti/`+strconv.FormatInt(int64(pay.ID), 10)+`"]`)))
	check("notice page")
	submitWith(t, ctx, `form[action$="/paga"] button[type="submit"]`)
	waitMatch(t, ctx, `^/_sim/pagopa/checkout/c/[0-9a-f]+$`)
	check("Checkout page of the simulator")
	// The same Checkout page, in a fresh tab: the citizen presses Paga.
	prev := ctx
	ctx = s.tab(t)
	s.open(t, ctx, "/_sim/pagopa/checkout/c/"+eval[string](t, prev, `location.pathname.split("/").pop()`), 200)
	submitWith(t, ctx, `button[name="azione"][value="paga"]`)
	waitMatch(t, ctx, `^/area-personale/pagamenti/[0-9]+$`)
	check("notice page after paying")
	if body := eval[string](t, ctx, `document.querySelector('main').textContent`); !strings.Contains(body, "Pagamento ricevuto") || !strings.Contains(body, "PSP simulato") {
		t.Errorf("the notice page does not show the receipt:\n%s", body)
	}
	ctx = s.tab(t)
	s.open(t, ctx, "/area-personale/pratiche/"+strconv.FormatInt(int64(pr.ID), 10), 200)
	if body := eval[string](t, ctx, `document.querySelector('main').textContent`); !strings.Contains(body, "Presentata") || !strings.Contains(body, "Pagato") {
		t.Errorf("the pratica did not move on:\n%s", body)
	}
	s.open(t, ctx, "/area-personale/pagamenti", 200)
	check("Pagamenti tab")
}

// fileWithFee files, as the citizen with this codice fiscale, a pratica of
// the service with a fee, and numbers its notice as sending does.
func (s *site) fileWithFee(t *testing.T, cf string, fee int64) (*pratica.Pratica, *payment.Payment) {
	t.Helper()
	ctx := context.Background()
	e, err := tenant.BySlug(ctx, s.DB, demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	c, err := identity.CitizenByFiscalCode(ctx, s.DB, e.ID, cf)
	if err != nil {
		t.Fatal(err)
	}
	offices, err := tenant.Offices(ctx, s.DB, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var pr *pratica.Pratica
	var pays []*payment.Payment
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		pr, err = pratica.CreateDraft(ctx, tx, e.ID, pratica.DraftInput{Service: "occupazione-suolo-pubblico", ServiceVersion: 1,
			Title: "Occupazione di suolo pubblico", Citizen: c.ID, FiledBy: identity.CitizenSubject(c.ID), Office: offices[0].ID,
			Term: pratica.Term{Days: 30}, Fee: fee}, now)
		if err != nil {
			return err
		}
		if err := pratica.SaveDraft(ctx, tx, e.ID, pr.ID, []byte(`{}`), nil, now); err != nil {
			return err
		}
		pr, err = pratica.Submit(ctx, tx, e.ID, pr.ID, pratica.SubmitInput{IdempotencyKey: "e2e-fee", Actor: identity.CitizenSubject(c.ID),
			Calendar: s.Payments.Calendar}, now)
		if err != nil {
			return err
		}
		pays, err = payment.ForPratica(ctx, tx, nil, pr, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return pr, pays[0]
}
