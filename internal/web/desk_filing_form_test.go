package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/desk"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/pratica"
)

// TestFileOnBehalfAtTheDesk has the desk file accesso agli atti for Mario,
// who is in front of the operator with his identity card: the operator
// fills in the citizen's form pages, sends them (protocol and receipt as
// for any submission, the operator the actor, Mario the applicant), prints
// the receipt and e-mails it; Mario finds the pratica in his room. Another
// operator cannot touch it, nor can the same operator the next day.
func TestFileOnBehalfAtTheDesk(t *testing.T) {
	env := newOfficeEnv(t)
	ctx := context.Background()
	op := env.cookies[env.desk]
	res, body := postForm(t, env.s, "/sportello/pratiche/nuova", url.Values{"fiscal_code": {"RSSMRA80A01A116Q"},
		"service": {"accesso-agli-atti"}, "mode": {"desk"}, "doc_type": {"cie"}, "doc_number": {"ca 12345 ab"},
		"doc_checked": {"1"}, "consent": {"1"}}, op)
	step := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !regexp.MustCompile(`^/sportello/pratiche/\d+/dati-generali$`).MatchString(step) {
		t.Fatalf("in person: status %d to %q\n%s", res.StatusCode, step, errorSummary(body))
	}
	base := strings.TrimSuffix(step, "/dati-generali")
	// Someone else's filing is not there for another operator.
	if res, _ := getAs(t, env.s, step, env.cookies[env.head]); res.StatusCode != http.StatusForbidden {
		t.Errorf("a head of office on the desk's draft: status %d, want 403", res.StatusCode)
	}
	_, page := getAs(t, env.s, step, op)
	if !strings.Contains(page, `value="Mario"`) || !strings.Contains(page, `action="`+step+`"`) {
		t.Fatalf("the desk's step is not the citizen's form, prefilled\n%.3000s", page)
	}
	// The same validation as the citizen's.
	if res, body := postForm(t, env.s, step, url.Values{"_action": {"next"}, "nome": {"Mario"}}, op); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `id="form-errors"`) {
		t.Errorf("incomplete step at the desk: status %d", res.StatusCode)
	}
	res, body = postForm(t, env.s, step, url.Values{"_action": {"next"}, "nome": {"Mario"}, "cognome": {"Rossi"},
		"codice_fiscale": {"RSSMRA80A01A116Q"}, "email": {"mario@example.org"}, "qualita": {"diretto_interessato"}}, op)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), base+"/") {
		t.Fatalf("general data: status %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), errorSummary(body))
	}
	res, body = postForm(t, env.s, res.Header.Get("Location"), url.Values{"_action": {"next"}, "documenti._items": {"1"},
		"documenti[0].descrizione": {"Permesso di costruire del vicino"}, "documenti[0].riferimento": {"PdC 12/2025"},
		"documenti[0].anno": {"2025"}, "motivazione": {"Devo verificare le distanze dal mio confine."},
		"modalita": {"copia_semplice"}, "dichiarazione": {"1"}}, op)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != base+"/riepilogo" {
		t.Fatalf("service data: status %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), errorSummary(body))
	}
	_, summary := getAs(t, env.s, base+"/riepilogo", op)
	m := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(summary)
	if m == nil || !strings.Contains(summary, `action="`+base+`/invio"`) {
		t.Fatalf("summary without the desk's send\n%.3000s", summary)
	}
	res, _ = postForm(t, env.s, base+"/invio", url.Values{"token": {m[1]}}, op)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != base+"?inviata=1" {
		t.Fatalf("send: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body = getAs(t, env.s, base+"?inviata=1", op)
	doc := parse(t, body)
	print := doc.Find(`a[href="` + base + `/ricevuta"]`)
	if res.StatusCode != http.StatusOK || print.Length() != 1 || doc.Find(`#email`).AttrOr("value", "") != "mario@example.org" {
		t.Fatalf("sent page: status %d, print link %d\n%.3000s", res.StatusCode, print.Length(), body)
	}
	res, pdf := getAs(t, env.s, base+"/ricevuta", op)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(pdf, "%PDF-") {
		t.Errorf("print the receipt: status %d, starts %.8q", res.StatusCode, pdf)
	}
	res, body = postForm(t, env.s, base+"/ricevuta", url.Values{"email": {"non un indirizzo"}}, op)
	if res.StatusCode != http.StatusUnprocessableEntity || bookingErrors(t, body) != "Scrivi un indirizzo e-mail valido, ad esempio nome@esempio.it." ||
		parse(t, body).Find(`#errori a[href="#email"]`).Length() != 1 {
		t.Errorf("a wrong address: status %d, errors %q", res.StatusCode, bookingErrors(t, body))
	}
	res, _ = postForm(t, env.s, base+"/ricevuta", url.Values{"email": {"mario@example.org"}}, op)
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("e-mail the receipt: status %d", res.StatusCode)
	}

	list, err := pratica.ListForCitizen(ctx, env.d, env.ente, env.mario, pratica.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("Mario's pratiche: %+v, %v", list, err)
	}
	p, err := pratica.Get(ctx, env.d, env.ente, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != pratica.Submitted || p.ProtocolNumber == 0 || p.Citizen != env.mario || p.FiledBy != identity.OperatorSubject(env.desk) {
		t.Errorf("the pratica: state %s, protocol %d, citizen %d, filed by %v", p.State, p.ProtocolNumber, p.Citizen, p.FiledBy)
	}
	events, err := pratica.Events(ctx, env.d, env.ente, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var submit []pratica.Actor
	for _, ev := range events {
		if ev.Kind == pratica.EventSubmit {
			submit = append(submit, ev.Actor)
		}
	}
	if diff := cmp.Diff([]pratica.Actor{pratica.OperatorActor(env.desk)}, submit); diff != "" {
		t.Errorf("submission's actor mismatch (-want +got):\n%s", diff)
	}
	f, err := desk.FilingOf(ctx, env.d, env.ente, int64(p.ID))
	if err != nil || f.DocType != identity.DocCIE || f.DocNumber != "CA12345AB" {
		t.Errorf("filing record %+v, %v", f, err)
	}
	var got []string
	for _, a := range []audit.Action{"pratica.filed_on_behalf", "pratica.submitted_on_behalf", "pratica.receipt_printed", "pratica.receipt_mailed"} {
		evs, err := audit.List(ctx, env.d, env.ente, audit.Filter{Action: a})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			got = append(got, string(ev.Action)+" "+ev.Subject+" "+ev.Detail)
		}
	}
	subject := praticaSubject(p.ID)
	want := []string{"pratica.filed_on_behalf " + subject + " mode desk, service accesso-agli-atti",
		"pratica.submitted_on_behalf " + subject + " applicant " + citizenSubject(env.mario),
		"pratica.receipt_printed " + subject + " ", "pratica.receipt_mailed " + subject + " to the citizen's address"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit mismatch (-want +got):\n%s", diff)
	}
	var kinds []string
	msgs, err := mail.List(ctx, env.d, env.ente, mail.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		kinds = append(kinds, m.Kind+" "+m.To)
	}
	if diff := cmp.Diff([]string{"desk-receipt mario@example.org", "pratica-received mario@example.org"}, slices.Sorted(slices.Values(kinds))); diff != "" {
		t.Errorf("outbox mismatch (-want +got):\n%s", diff)
	}
	// Mario logs in: the sent pratica is in his room, with its receipt.
	res, body = getAs(t, env.s, praticaURL(p.ID), citizenCookieFor(t, env, env.mario))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, p.ProtocolDisplay()) {
		t.Errorf("Mario's view of the pratica: status %d\n%.2000s", res.StatusCode, body)
	}
	// The desk's view of Mario lists the receipt and the document checked,
	// its number masked, once a reason is given.
	view := "/sportello/cittadini/" + strconv.FormatInt(int64(env.mario), 10)
	_, body = getAs(t, env.s, view, op)
	if strings.Contains(body, "CA•••••AB") {
		t.Errorf("the documents show before a reason is given")
	}
	_, body = getAs(t, env.s, view+"?motivo=desk", op)
	var rows []string
	parse(t, body).Find(`#documenti ~ div table tbody tr`).Each(func(_ int, tr *goquery.Selection) {
		var cells []string
		tr.Find("td").Each(func(i int, td *goquery.Selection) {
			if i > 0 {
				cells = append(cells, strings.TrimSpace(td.Text()))
			}
		})
		rows = append(rows, strings.Join(cells, " | "))
	})
	id := strconv.FormatInt(int64(p.ID), 10)
	receipt, _ := receiptOf(p)
	wantRows := []string{"Ricevuta | Richiesta di accesso agli atti (n. " + id + ") | " + receipt.Name,
		"Richiesta n. " + id + " presentata allo sportello | Carta d'identità elettronica | CA•••••AB"}
	if diff := cmp.Diff(wantRows, rows); diff != "" || strings.Contains(body, "CA12345AB") {
		t.Errorf("Documenti mismatch (-want +got):\n%s", diff)
	}
	// Done: a second send lands on the page; the next day the desk's pages
	// are closed to the operator.
	if res, _ := postForm(t, env.s, base+"/invio", url.Values{"token": {m[1]}}, op); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a retried send: status %d", res.StatusCode)
	}
	if _, err := env.d.ExecContext(ctx, `UPDATE desk_filing SET created_at = $1 WHERE ente_id = $2 AND pratica_id = $3`,
		testNow.Add(-24*time.Hour), env.ente, p.ID); err != nil {
		t.Fatal(err)
	}
	if res, _ := getAs(t, env.s, base, op); res.StatusCode != http.StatusForbidden {
		t.Errorf("the next day: status %d, want 403", res.StatusCode)
	}
}

// TestFiledByPhoneIsNotSentAtTheDesk: by phone the draft waits for the
// citizen; the desk's form pages refuse it.
func TestFiledByPhoneIsNotSentAtTheDesk(t *testing.T) {
	env := newOfficeEnv(t)
	op := env.cookies[env.desk]
	res, _ := postForm(t, env.s, "/sportello/pratiche/nuova", url.Values{"fiscal_code": {"RSSMRA80A01A116Q"},
		"service": {"accesso-agli-atti"}, "mode": {"phone"}, "consent": {"1"}}, op)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("by phone: status %d", res.StatusCode)
	}
	list, err := pratica.ListForCitizen(context.Background(), env.d, env.ente, env.mario, pratica.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("Mario's pratiche: %+v, %v", list, err)
	}
	for _, path := range []string{deskPraticaURL(list[0].ID), deskPraticaURL(list[0].ID) + "/dati-generali"} {
		if res, _ := getAs(t, env.s, path, op); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", path, res.StatusCode)
		}
	}
	if res, _ := postForm(t, env.s, deskPraticaURL(list[0].ID)+"/invio", url.Values{"token": {"x"}}, op); res.StatusCode != http.StatusForbidden {
		t.Errorf("send by phone: status %d, want 403", res.StatusCode)
	}
}
