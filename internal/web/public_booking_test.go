package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/tenant"
)

// firstSlot returns the first free slot of a service at an office of the
// demo comune, at the test clock.
func firstSlot(t *testing.T, s *Server, ente tenant.ID, office, service string, ch booking.Channel) (tenant.Office, booking.Slot) {
	t.Helper()
	ctx := context.Background()
	o, err := tenant.GetOffice(ctx, s.db, ente, office)
	if err != nil {
		t.Fatal(err)
	}
	days, err := booking.Availability(ctx, s.db, ente, enteCal(t, s, ente), booking.Query{Office: o, Service: service, Channel: ch,
		From: calendar.DateOf(testNow.In(rome)), Days: 30}, testNow)
	if err != nil || len(days) == 0 {
		t.Fatalf("no slot for %s at %s: %v", service, office, err)
	}
	return o, days[0].Slots[0]
}

// seedAccessBooking holds one slot and books another at the punto
// risposte, returning each one's page (path and token).
func seedAccessBooking(t *testing.T, s *Server, ente tenant.ID) (held, booked string) {
	t.Helper()
	ctx := context.Background()
	o, slot := firstSlot(t, s, ente, "parla", "certificati-anagrafici", booking.Desk)
	h, token, err := booking.Hold(ctx, s.db, ente, enteCal(t, s, ente), booking.HoldInput{Office: o, Service: "certificati-anagrafici",
		Channel: booking.Desk, Start: slot.Start}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	held = bookingURL(h.Code, token, "")
	o, slot = firstSlot(t, s, ente, "parla", "certificati-anagrafici", booking.Desk)
	b, token, err := booking.Hold(ctx, s.db, ente, enteCal(t, s, ente), booking.HoldInput{Office: o, Service: "certificati-anagrafici",
		Channel: booking.Desk, Start: slot.Start}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := booking.SetRequest(ctx, tx, ente, b.ID, booking.Request{Reason: "Certificato", Details: "Residenza",
			Name: "Mario Prova", FiscalCode: "RSSMRA80A01A116Q", Email: "mario@example.org"}, testNow); err != nil {
			return err
		}
		_, err := booking.Confirm(ctx, tx, ente, b.ID, testNow)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return held, bookingURL(b.Code, token, "")
}

// TestBookWithoutLogin walks the booking flow from a scheda as a visitor
// who is not logged in, without JavaScript: every step is a plain form.
// The confirmation e-mail is queued, the .ics downloads, and the citizen
// whose fiscal code it is finds it under Appuntamenti after logging in.
func TestBookWithoutLogin(t *testing.T) {
	s, d, ente, _, cookie := citizenServer(t)
	anon := &http.Cookie{Name: "nessuno", Value: "1"}
	ctx := context.Background()
	res, body := get(t, s, "localhost", "/servizi/certificati-anagrafici")
	href, _ := parse(t, body).Find(`[data-element="service-booking-access"]`).Attr("href")
	if res.StatusCode != 200 || href != "/prenota-appuntamento?servizio=certificati-anagrafici" {
		t.Fatalf("scheda: status %d, booking link %q", res.StatusCode, href)
	}
	// Step 1: the service preselected, the offices that take it.
	res, body = get(t, s, "localhost", href)
	doc := parse(t, body)
	if res.StatusCode != 200 || doc.Find(`#servizio option[selected]`).AttrOr("value", "") != "certificati-anagrafici" {
		t.Fatalf("step 1: status %d, service not preselected\n%.2000s", res.StatusCode, body)
	}
	var offices []string
	doc.Find(`input[name="ufficio"]`).Each(func(_ int, in *goquery.Selection) { offices = append(offices, in.AttrOr("value", "")) })
	if diff := cmp.Diff([]string{"parla", "anagrafe"}, offices); diff != "" {
		t.Errorf("offices (-want +got):\n%s", diff)
	}
	if got := strings.TrimSpace(doc.Find(`.steppers [aria-current="step"]`).Text()); !strings.Contains(got, "Luogo") {
		t.Errorf("current step %q, want Luogo", got)
	}
	// Step 2: days and times; the first time is chosen.
	res, body = get(t, s, "localhost", "/prenota-appuntamento/data?servizio=certificati-anagrafici&ufficio=anagrafe&canale=desk")
	doc = parse(t, body)
	start := doc.Find(`input[name="inizio"]`).First().AttrOr("value", "")
	if res.StatusCode != 200 || start == "" {
		t.Fatalf("step 2: status %d, no time offered\n%.2000s", res.StatusCode, body)
	}
	res, _ = postForm(t, s, "/prenota-appuntamento", url.Values{"servizio": {"certificati-anagrafici"}, "ufficio": {"anagrafe"},
		"canale": {"desk"}, "inizio": {start}}, anon)
	details := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(details, "/dettagli?t=") {
		t.Fatalf("hold: status %d, location %q", res.StatusCode, details)
	}
	// The same time again is taken: back to step 2 with a message.
	res, body = postForm(t, s, "/prenota-appuntamento", url.Values{"servizio": {"certificati-anagrafici"}, "ufficio": {"anagrafe"},
		"canale": {"desk"}, "inizio": {start}}, anon)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "non è più libero") {
		t.Errorf("second hold of the same time: status %d", res.StatusCode)
	}
	// Step 3 and 4, with mistakes first.
	res, body = postForm(t, s, details, url.Values{"reason": {"Certificato di residenza"}, "details": {""}}, anon)
	if res.StatusCode != http.StatusUnprocessableEntity || bookingErrors(t, body) != "Scrivi i dettagli della richiesta." {
		t.Errorf("empty details: status %d, errors %q", res.StatusCode, bookingErrors(t, body))
	}
	res, _ = postForm(t, s, details, url.Values{"reason": {"Certificato di residenza"}, "details": {"Per la banca"}}, anon)
	requester := res.Header.Get("Location")
	// Confirming before saying who books lands on that step, with why.
	res, body = postForm(t, s, strings.Replace(requester, "/richiedente?", "/riepilogo?", 1), url.Values{}, anon)
	if res.StatusCode != http.StatusUnprocessableEntity || bookingErrors(t, body) != "Scrivi nome e cognome.|Scrivi il codice fiscale.|Scrivi un'email o un numero di telefono." {
		t.Errorf("confirm too early: status %d, errors %q", res.StatusCode, bookingErrors(t, body))
	}
	res, body = postForm(t, s, requester, url.Values{"name": {"Mario Rossi"}, "fiscal_code": {"5f2b8c1e-anonimo"}}, anon)
	if res.StatusCode != http.StatusUnprocessableEntity ||
		bookingErrors(t, body) != "Il codice fiscale non è valido: controlla i 16 caratteri.|Scrivi un'email o un numero di telefono." {
		t.Errorf("made-up fiscal code: status %d, errors %q", res.StatusCode, bookingErrors(t, body))
	}
	res, _ = postForm(t, s, requester, url.Values{"name": {"Mario Rossi"}, "fiscal_code": {"rssmra80a01a116q"},
		"email": {"mario@example.org"}}, anon)
	summary := res.Header.Get("Location")
	res, body = get(t, s, "localhost", summary)
	if res.StatusCode != 200 || !strings.Contains(body, "RSSMRA80A01A116Q") || !strings.Contains(body, "Per la banca") {
		t.Fatalf("summary: status %d\n%.2000s", res.StatusCode, body)
	}
	// Step 5 confirms; step 6 is the confirmation.
	res, _ = postForm(t, s, summary, url.Values{}, anon)
	done := res.Header.Get("Location")
	res, body = get(t, s, "localhost", done)
	doc = parse(t, body)
	code := doc.Find(`[data-element="booking-code"]`).Text()
	if res.StatusCode != 200 || !strings.Contains(body, "Appuntamento confermato") || len(code) != 9 {
		t.Fatalf("confirmation: status %d, code %q\n%.2000s", res.StatusCode, code, body)
	}
	ics := doc.Find(`a[download]`).AttrOr("href", "")
	res, body = get(t, s, "localhost", ics)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/calendar; charset=utf-8" ||
		!strings.Contains(body, "UID:"+code+"@localhost\r\n") || !strings.Contains(body, "DTSTART:") {
		t.Errorf(".ics: status %d, type %q\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	// A wrong token finds nothing, like a wrong code.
	if res, _ := get(t, s, "localhost", "/prenota-appuntamento/"+code+"?t=0000"); res.StatusCode != http.StatusNotFound {
		t.Errorf("wrong token: status %d, want 404", res.StatusCode)
	}
	sent, err := mail.List(ctx, d, ente, mail.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 || sent[0].To != "mario@example.org" || !strings.Contains(sent[0].Text, code) ||
		!strings.Contains(sent[0].Text, "http://localhost/prenota-appuntamento/"+code+"?t=") {
		t.Errorf("outbox: %+v", sent)
	}
	// Mario logs in with SPID: the appointment booked under his fiscal
	// code is his.
	_, body = getAs(t, s, "/area-personale/appuntamenti", cookie)
	if !strings.Contains(body, code) {
		t.Errorf("Appuntamenti lacks %s\n%.3000s", code, body)
	}
	// He moves it from the e-mailed link: same code, another time, a
	// second e-mail with the new time.
	move := strings.Replace(done, "?", "/sposta?", 1)
	res, body = get(t, s, "localhost", move)
	doc = parse(t, body)
	if res.StatusCode != 200 || doc.Find(`form[action="`+move+`"]`).Length() != 1 {
		t.Fatalf("move page: status %d\n%.2000s", res.StatusCode, body)
	}
	later := doc.Find(`input[name="inizio"]`).Eq(1).AttrOr("value", "")
	res, _ = postForm(t, s, move, url.Values{"inizio": {later}}, anon)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("move: status %d", res.StatusCode)
	}
	moved, err := booking.ByCode(ctx, d, ente, code, strings.SplitN(done, "?t=", 2)[1])
	if err != nil || moved.Start.Format(time.RFC3339) != later || moved.State != booking.Confirmed {
		t.Errorf("after moving: %+v, %v; want confirmed at %s", moved, err, later)
	}
	if sent, _ := mail.List(ctx, d, ente, mail.Filter{}); len(sent) != 2 {
		t.Errorf("%d e-mails after moving, want 2", len(sent))
	}
	// He cancels it from the e-mailed link (a day's notice is left).
	res, _ = postForm(t, s, strings.Replace(done, "?", "/annulla?", 1), url.Values{}, anon)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: status %d", res.StatusCode)
	}
	_, body = get(t, s, "localhost", done)
	if !strings.Contains(body, "Appuntamento annullato") {
		t.Errorf("after cancelling\n%.2000s", body)
	}
}

// bookingErrors joins the error summary's items with "|".
func bookingErrors(t *testing.T, body string) string {
	var out []string
	parse(t, body).Find(`#errori li`).Each(func(_ int, li *goquery.Selection) { out = append(out, strings.TrimSpace(li.Text())) })
	return strings.Join(out, "|")
}

// enteCal is the ente's calendar of holidays, as the handlers use it.
func enteCal(t testing.TB, s *Server, ente tenant.ID) *calendar.Calendar {
	t.Helper()
	e, err := tenant.Get(context.Background(), s.db, ente)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.calendarFor(e)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBookingHonoursThePatronDay: the flow's calendar is the ente's, so
// Ala's patron day (San Valentino, Monday 14 February 2028) has no times
// while the next Monday-to-Friday day does.
func TestBookingHonoursThePatronDay(t *testing.T) {
	s, _ := newTestServer(t)
	ctx := context.Background()
	e, err := tenant.BySlug(ctx, s.db, "ala")
	if err != nil {
		t.Fatal(err)
	}
	o, err := tenant.GetOffice(ctx, s.db, e.ID, "parla")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2028, 2, 1, 9, 0, 0, 0, time.UTC)
	days, err := booking.Availability(ctx, s.db, e.ID, enteCal(t, s, e.ID), booking.Query{Office: o,
		Service: "certificati-anagrafici", Channel: booking.Desk, From: calendar.D(2028, 2, 14), Days: 2}, now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range days {
		got = append(got, d.Date.String())
	}
	if diff := cmp.Diff([]string{"2028-02-15"}, got); diff != "" {
		t.Errorf("days with times (-want +got):\n%s", diff)
	}
}
