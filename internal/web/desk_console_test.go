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
	days, err := booking.Availability(ctx, env.d, env.ente, env.s.cal, booking.Query{Office: o, Service: "certificati-anagrafici",
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
	a, _, err := booking.Hold(ctx, env.d, env.ente, env.s.cal, booking.HoldInput{Office: o, Service: "certificati-anagrafici",
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
