package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/pratica"
)

// TestOfficeMarksFeePaid: the head of the office records a fee as paid by
// hand, only with a reason, audited; a clerk may not; the pratica moves on.
func TestOfficeMarksFeePaid(t *testing.T) {
	env := newOfficeEnv(t)
	withPayments(t, env.s, env.d)
	ctx := context.Background()
	cal, err := calendar.New(calendar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var p *pratica.Pratica
	var pays []*payment.Payment
	err = env.d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		p, err = pratica.CreateDraft(ctx, tx, env.ente, pratica.DraftInput{Service: "accesso-agli-atti", ServiceVersion: 1,
			Title: "Accesso agli atti", Citizen: env.mario, FiledBy: identity.CitizenSubject(env.mario), Office: env.parla,
			Term: pratica.Term{Days: 30}, Fee: 1000}, testNow)
		if err != nil {
			return err
		}
		if err := pratica.SaveDraft(ctx, tx, env.ente, p.ID, []byte(accessAnswers), nil, testNow); err != nil {
			return err
		}
		if p, err = pratica.Submit(ctx, tx, env.ente, p.ID, pratica.SubmitInput{IdempotencyKey: "fee", Actor: identity.CitizenSubject(env.mario),
			Calendar: cal}, testNow); err != nil {
			return err
		}
		pays, err = payment.ForPratica(ctx, tx, nil, p, testNow)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	path := officePraticaURL(p.ID) + "/pagamento"
	_, page := getWith(t, env.s, officePraticaURL(p.ID), env.cookies[env.head])
	if !strings.Contains(page, `action="`+path+`"`) {
		t.Fatalf("the head's page offers no way to mark the fee paid")
	}
	_, page = getWith(t, env.s, officePraticaURL(p.ID), env.cookies[env.clerk])
	if strings.Contains(page, `action="`+path+`"`) {
		t.Errorf("a clerk's page offers marking the fee paid")
	}
	if res, _ := postForm(t, env.s, path, url.Values{"motivo_pagamento": {"Bonifico visto in tesoreria"}}, env.cookies[env.clerk]); res.StatusCode != http.StatusForbidden {
		t.Errorf("a clerk: %d, want 403", res.StatusCode)
	}
	res, body := postForm(t, env.s, path, url.Values{"motivo_pagamento": {"ok"}}, env.cookies[env.head])
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "almeno 10 caratteri") {
		t.Fatalf("a short reason: %d\n%.1500s", res.StatusCode, body)
	}
	res, _ = postForm(t, env.s, path, url.Values{"motivo_pagamento": {"Bonifico visto in tesoreria il 3/3"}}, env.cookies[env.head])
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("with a reason: %d", res.StatusCode)
	}
	if got, _ := pratica.Get(ctx, env.d, env.ente, p.ID); got.State != pratica.Submitted {
		t.Errorf("pratica %s after the override", got.State)
	}
	if got, _ := payment.Get(ctx, env.d, env.ente, pays[0].ID); got.State != payment.Paid {
		t.Errorf("notice %s after the override", got.State)
	}
	evs, err := audit.List(ctx, env.d, env.ente, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == "payment.override" && e.Detail == "Bonifico visto in tesoreria il 3/3" && e.Actor.ID != "" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d override events in the audit log, want 1", n)
	}
	if res, _ := postForm(t, env.s, path, url.Values{"motivo_pagamento": {"Di nuovo, per sbaglio"}}, env.cookies[env.head]); res.StatusCode != http.StatusConflict {
		t.Errorf("a second override: %d, want 409", res.StatusCode)
	}
}
