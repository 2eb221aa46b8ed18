package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/desk"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// bookToday books the first free slot of today at the punto risposte for
// Mario, as if booked early this morning.
func bookToday(t *testing.T, env *officeEnv) *booking.Appointment {
	t.Helper()
	ctx := context.Background()
	o, err := tenant.GetOffice(ctx, env.d, env.ente, "parla")
	if err != nil {
		t.Fatal(err)
	}
	early := testNow.Add(-4 * time.Hour)
	days, err := booking.Availability(ctx, env.d, env.ente, enteCal(t, env.s, env.ente), booking.Query{Office: o, Service: "certificati-anagrafici",
		Channel: booking.Desk, From: calendar.DateOf(testNow.In(rome)), Days: 1}, early)
	if err != nil || len(days) == 0 {
		t.Fatalf("no slot today: %v", err)
	}
	var start time.Time
	for _, s := range days[0].Slots {
		if s.Start.After(testNow) {
			start = s.Start
			break
		}
	}
	a, _, err := booking.Hold(ctx, env.d, env.ente, enteCal(t, env.s, env.ente), booking.HoldInput{Office: o, Service: "certificati-anagrafici",
		Channel: booking.Desk, Start: start}, early)
	if err != nil {
		t.Fatal(err)
	}
	err = env.d.InTx(ctx, func(tx *sql.Tx) error {
		if err := booking.SetRequest(ctx, tx, env.ente, a.ID, booking.Request{Reason: "Certificato", Details: "Residenza",
			Name: "Mario Rossi", FiscalCode: "RSSMRA80A01A116Q", Phone: "0464 000111"}, early); err != nil {
			return err
		}
		a, err = booking.Confirm(ctx, tx, env.ente, a.ID, early)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestDeskConsole follows a morning at the desk: Mario arrives for his
// appointment and is checked in, called to a desk (the screen shows his
// number, never his name) and served; a contact is logged in three clicks
// and shows in the month's statistics; his data are opened only with a
// reason, which the audit log keeps.
func TestDeskConsole(t *testing.T) {
	env := newOfficeEnv(t)
	ctx := context.Background()
	a := bookToday(t, env)
	op := env.cookies[env.desk]
	_, body := getAs(t, env.s, "/sportello", op)
	doc := parse(t, body)
	btn := doc.Find(`form[action="/sportello/accoglienza"] button[name="appointment"]`)
	if btn.AttrOr("value", "") != strconv.FormatInt(int64(a.ID), 10) || !strings.Contains(body, "Mario Rossi") {
		t.Fatalf("the console lacks Mario's appointment with its check-in\n%.3000s", body)
	}
	res, _ := postForm(t, env.s, "/sportello/accoglienza", url.Values{"ufficio": {"parla"}, "appointment": {btn.AttrOr("value", "")}}, op)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("check-in: status %d", res.StatusCode)
	}
	res, _ = postForm(t, env.s, "/sportello/chiama", url.Values{"ufficio": {"parla"}, "sportello": {"Sportello 2"}}, op)
	if loc := res.Header.Get("Location"); !strings.Contains(loc, "esito=called") {
		t.Fatalf("call next: %d %s", res.StatusCode, loc)
	}
	res, body = get(t, env.s, "localhost", "/coda/parla")
	doc = parse(t, body)
	var cells []string
	doc.Find("tbody tr").First().Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, strings.TrimSpace(td.Text())) })
	row := strings.Join(cells, " ")
	if res.StatusCode != 200 || !strings.HasPrefix(row, "1 Sportello 2") || strings.Contains(body, "Rossi") || res.Header.Get("Refresh") != "10" {
		t.Errorf("screen: status %d, first row %q, refresh %q", res.StatusCode, row, res.Header.Get("Refresh"))
	}
	_, body = getAs(t, env.s, "/sportello?ufficio=parla", op)
	outcome := parse(t, body).Find(`form[action^="/sportello/esito/"]`).AttrOr("action", "")
	res, _ = postForm(t, env.s, outcome, url.Values{"ufficio": {"parla"}, "esito": {"served"}}, op)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("outcome: status %d", res.StatusCode)
	}
	if got, _ := booking.Get(ctx, env.d, env.ente, a.ID); got.State != booking.Served {
		t.Errorf("appointment after the outcome: %s, want served", got.State)
	}
	// The contact log: open, pick the kind, save.
	_, body = getAs(t, env.s, "/sportello/contatti", op)
	form := url.Values{}
	parse(t, body).Find(`form[action="/sportello/contatti"] input[checked], form[action="/sportello/contatti"] input[type="hidden"]`).Each(
		func(_ int, in *goquery.Selection) { form.Set(in.AttrOr("name", ""), in.AttrOr("value", "")) })
	form.Set("kind", "spid")
	res, _ = postForm(t, env.s, "/sportello/contatti", form, op)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("log a contact: status %d", res.StatusCode)
	}
	res, body = postForm(t, env.s, "/sportello/contatti", url.Values{"ufficio": {"parla"}}, op)
	if res.StatusCode != http.StatusUnprocessableEntity || bookingErrors(t, body) != "Scegli il tipo di contatto." {
		t.Errorf("no kind: status %d, errors %q", res.StatusCode, bookingErrors(t, body))
	}
	_, body = getAs(t, env.s, "/sportello/statistiche", op)
	doc = parse(t, body)
	if doc.Find(`svg[role="img"] title`).Length() != 2 || !strings.Contains(body, "1 contatti, 0:10 ore") {
		t.Errorf("statistics lack the charts or the total\n%.3000s", body)
	}
	// The citizen view: a name search masks fiscal codes; the data open
	// only after a reason, and the view is audited.
	_, body = getAs(t, env.s, "/sportello/cittadini?q=rossi", op)
	doc = parse(t, body)
	link := doc.Find(`tbody a`).First().AttrOr("href", "")
	if !strings.Contains(body, "RSS•••••••••••6Q") || strings.Contains(body, "RSSMRA80A01A116Q") || link == "" {
		t.Fatalf("search: masked code or link missing\n%.3000s", body)
	}
	_, body = getAs(t, env.s, link, op)
	if strings.Contains(body, "RSSMRA80A01A116Q") || !strings.Contains(body, `name="motivo"`) {
		t.Errorf("the view opened without a reason\n%.3000s", body)
	}
	_, body = getAs(t, env.s, link+"?motivo=desk", op)
	if !strings.Contains(body, "RSSMRA80A01A116Q") || !strings.Contains(body, a.Code) {
		t.Errorf("the view lacks the fiscal code or the appointment\n%.3000s", body)
	}
	events, err := audit.List(ctx, env.d, env.ente, audit.Filter{Action: audit.ActionCitizenViewed})
	if err != nil || len(events) != 1 || events[0].Detail != "desk view, reason desk" || events[0].Subject != citizenSubject(env.mario) {
		t.Errorf("audit: %+v, %v", events, err)
	}
}

// TestFileOnBehalf has the desk start a service for Mario by phone: no
// document, his consent; the draft waits in his personal area, he is told
// by e-mail, the filing is audited. At the desk a checked document is
// required.
func TestFileOnBehalf(t *testing.T) {
	env := newOfficeEnv(t)
	ctx := context.Background()
	op := env.cookies[env.desk]
	_, body := getAs(t, env.s, "/sportello/pratiche/nuova?cittadino=RSSMRA80A01A116Q", op)
	svc := parse(t, body).Find(`#service option`).First().AttrOr("value", "")
	if svc == "" {
		t.Fatalf("no online service offered\n%.2000s", body)
	}
	form := url.Values{"fiscal_code": {"RSSMRA80A01A116Q"}, "service": {svc}, "mode": {"desk"}, "doc_type": {"cie"},
		"doc_number": {"12345"}, "consent": {"1"}}
	res, body := postForm(t, env.s, "/sportello/pratiche/nuova", form, op)
	if res.StatusCode != http.StatusUnprocessableEntity ||
		bookingErrors(t, body) != "Inserisci il numero del documento come è scritto sul documento.|Conferma di aver controllato il documento." {
		t.Errorf("desk without a checked document: status %d, errors %q", res.StatusCode, bookingErrors(t, body))
	}
	form.Set("mode", "phone")
	res, body = postForm(t, env.s, "/sportello/pratiche/nuova", form, op)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "avviata per Mario Rossi") {
		t.Fatalf("by phone: status %d\n%.2000s", res.StatusCode, body)
	}
	list, err := pratica.ListForCitizen(ctx, env.d, env.ente, env.mario, pratica.Filter{})
	if err != nil || len(list) != 1 || list[0].State != pratica.Draft || list[0].FiledBy != identity.OperatorSubject(env.desk) {
		t.Fatalf("Mario's pratiche: %+v, %v", list, err)
	}
	f, err := desk.FilingOf(ctx, env.d, env.ente, int64(list[0].ID))
	if err != nil || f.Mode != "phone" || f.DocNumber != "" || !f.Consent {
		t.Errorf("filing record %+v, %v", f, err)
	}
	// Mario logs in: the draft is in his room, his to check and send.
	citizen := citizenCookieFor(t, env, env.mario)
	_, body = getAs(t, env.s, "/area-personale/pratiche", citizen)
	if !strings.Contains(body, "/area-personale/pratiche/"+strconv.FormatInt(int64(list[0].ID), 10)) {
		t.Errorf("the draft is not in Mario's Pratiche\n%.3000s", body)
	}
	sent, err := mail.List(ctx, env.d, env.ente, mail.Filter{})
	if err != nil || len(sent) != 1 || sent[0].Kind != "desk-filing" || sent[0].To != "mario@example.org" {
		t.Errorf("outbox %+v, %v", sent, err)
	}
	events, err := audit.List(ctx, env.d, env.ente, audit.Filter{Action: "pratica.filed_on_behalf"})
	if err != nil || len(events) != 1 || events[0].Detail != "mode phone, service "+svc {
		t.Errorf("audit %+v, %v", events, err)
	}
}

// citizenCookieFor starts a SPID-level session for a citizen.
func citizenCookieFor(t *testing.T, env *officeEnv, c identity.CitizenID) *http.Cookie {
	t.Helper()
	var token string
	err := env.d.InTx(context.Background(), func(tx *sql.Tx) error {
		var err error
		token, _, err = identity.StartSession(context.Background(), tx, env.ente, identity.CitizenSubject(c),
			identity.SessionInput{IdP: "https://idp.example", Level: 2}, testNow)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: citizenCookie, Value: token}
}
