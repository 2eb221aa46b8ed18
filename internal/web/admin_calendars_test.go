package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// adminCookie signs in an ente administrator of env's comune.
func adminCookie(t *testing.T, env *officeEnv) *http.Cookie {
	t.Helper()
	ctx := context.Background()
	op, err := identity.CreateOperator(ctx, env.d, env.ente, identity.OperatorInput{Username: "amministratore", Name: "Admin",
		Email: "admin@example.org", Password: "una-password-lunga-admin", Grants: []identity.Grant{{Role: identity.RoleAdmin}}}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := identity.SeedTOTP(ctx, env.d, env.s.idKeys, env.ente, op.ID, "JBSWY3DPEHPK3PXPJBSWY3DP"); err != nil {
		t.Fatal(err)
	}
	token, _, err := identity.StartSession(ctx, env.d, env.ente, identity.OperatorSubject(op.ID), identity.SessionInput{}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: operatorCookie, Value: token}
}

// TestCalendarAdmin: an administrator adds a calendar to the registry
// office, is told in Italian what is wrong with a bad form, then edits
// the calendar and closes it for a day; citizens are offered its times
// accordingly, and every change is audited.
func TestCalendarAdmin(t *testing.T) {
	env := newOfficeEnv(t)
	ctx := context.Background()
	admin := adminCookie(t, env)
	if res, body := getAs(t, env.s, "/amministrazione-ente/calendari/nuovo", admin); res.StatusCode != http.StatusOK ||
		parse(t, body).Find(`input[name="service"][value="certificati-anagrafici"]`).Length() != 1 {
		t.Fatalf("new calendar form: status %d", res.StatusCode)
	}
	bad := url.Values{"office": {"anagrafe"}, "name": {""}, "channel": {"desk"}, "seats": {"0"}, "step": {"15"}, "window": {"30"},
		"notice": {"60"}, "change": {"1440"}, "travel": {"0"}, "service": {"certificati-anagrafici"}, "duration.certificati-anagrafici": {"20"},
		"opens1.1": {"12:00"}, "closes1.1": {"09:00"}}
	res, body := postForm(t, env.s, "/amministrazione-ente/calendari", bad, admin)
	want := "Scrivi il nome, al massimo 100 caratteri.|Scrivi un numero intero da 1 a 50.|" +
		"Scrivi una durata da 5 a 480 minuti, multiplo dell'intervallo (15 minuti).|" +
		"Lunedì: scrivi gli orari come 09:00, l'apertura prima della chiusura."
	if res.StatusCode != http.StatusUnprocessableEntity || bookingErrors(t, body) != want {
		t.Errorf("bad form: status %d, errors %q", res.StatusCode, bookingErrors(t, body))
	}
	if doc := parse(t, body); doc.Find(`#errori a[href="#seats"]`).Length() != 1 || doc.Find(`#seats[aria-invalid="true"]`).Length() != 1 {
		t.Errorf("the error summary does not link the seats field")
	}
	good := url.Values{"office": {"anagrafe"}, "name": {"Sportello 3"}, "channel": {"desk"}, "seats": {"2"}, "step": {"15"},
		"window": {"20"}, "notice": {"120"}, "change": {"1440"}, "travel": {"0"}, "active": {"1"},
		"service": {"certificati-anagrafici"}, "duration.certificati-anagrafici": {"30"}, "opens1.1": {"09:00"}, "closes1.1": {"12:00"}}
	res, _ = postForm(t, env.s, "/amministrazione-ente/calendari", good, admin)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: status %d", res.StatusCode)
	}
	office, err := tenant.GetOffice(ctx, env.d, env.ente, "anagrafe")
	if err != nil {
		t.Fatal(err)
	}
	var created *booking.Calendar
	cals, err := booking.Calendars(ctx, env.d, env.ente, booking.CalendarFilter{Office: office.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cals {
		if c.Name == "Sportello 3" {
			created = c
		}
	}
	wantCal := &booking.Calendar{Ente: env.ente, Office: office.ID, Name: "Sportello 3", Channel: booking.Desk, Seats: 2, Step: 15,
		WindowDays: 20, NoticeMinutes: 120, ChangeMinutes: 1440, Active: true, Services: map[string]int{"certificati-anagrafici": 30},
		Hours: []tenant.Hours{{Weekday: time.Monday, Opens: "09:00", Closes: "12:00"}}}
	if created != nil {
		wantCal.ID = created.ID
	}
	if diff := cmp.Diff(wantCal, created); diff != "" {
		t.Fatalf("created calendar mismatch (-want +got):\n%s", diff)
	}
	edit := "/amministrazione-ente/calendari/" + strconv.FormatInt(int64(created.ID), 10)
	_, body = getAs(t, env.s, edit, admin)
	if doc := parse(t, body); doc.Find(`#name`).AttrOr("value", "") != "Sportello 3" || doc.Find(`#opens1\.1`).AttrOr("value", "") != "09:00" {
		t.Errorf("the edit form does not show the calendar\n%.2000s", body)
	}
	good.Set("seats", "1")
	good.Set("opens2.1", "14:00")
	good.Set("closes2.1", "15:00")
	if res, _ := postForm(t, env.s, edit, good, admin); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: status %d", res.StatusCode)
	}
	got, err := booking.GetCalendar(ctx, env.d, env.ente, created.ID)
	if err != nil || got.Seats != 1 || len(got.Hours) != 2 {
		t.Errorf("after the update: %+v, %v", got, err)
	}
	// A closure of this calendar on the first Monday ahead.
	monday := calendar.DateOf(testNow.In(rome))
	for monday.In(rome).Weekday() != time.Monday || !monday.After(calendar.DateOf(testNow.In(rome))) {
		monday = monday.AddDays(1)
	}
	slots := func() int {
		days, err := booking.Availability(ctx, env.d, env.ente, enteCal(t, env.s, env.ente), booking.Query{Office: office,
			Service: "certificati-anagrafici", Channel: booking.Desk, From: monday, Days: 1}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, d := range days {
			for _, s := range d.Slots {
				if slices.Contains(s.Calendars, created.ID) {
					n++
				}
			}
		}
		return n
	}
	if n := slots(); n == 0 {
		t.Fatalf("the new calendar offers nothing on %v", monday)
	}
	res, body = postForm(t, env.s, "/amministrazione-ente/calendari/chiusure", url.Values{"office": {"anagrafe"},
		"calendar": {strconv.FormatInt(int64(created.ID), 10)}, "first": {monday.String()}, "last": {monday.AddDays(-1).String()}, "reason": {"Sciopero"}}, admin)
	if res.StatusCode != http.StatusUnprocessableEntity || bookingErrors(t, body) != "L'ultimo giorno non può venire prima del primo." {
		t.Errorf("closure ending before it starts: status %d, errors %q", res.StatusCode, bookingErrors(t, body))
	}
	res, _ = postForm(t, env.s, "/amministrazione-ente/calendari/chiusure", url.Values{"office": {"anagrafe"},
		"calendar": {strconv.FormatInt(int64(created.ID), 10)}, "first": {monday.String()}, "last": {monday.String()}, "reason": {"Sciopero"}}, admin)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("closure: status %d", res.StatusCode)
	}
	if n := slots(); n != 0 {
		t.Errorf("the closed calendar still offers %d times on %v", n, monday)
	}
	_, body = getAs(t, env.s, "/amministrazione-ente/calendari", admin)
	if !regexp.MustCompile(`Sportello 3</a>`).MatchString(body) || !regexp.MustCompile(`Sciopero`).MatchString(body) {
		t.Errorf("the list lacks the calendar or the closure\n%.3000s", body)
	}
	// The closure is removed from the list, and the days are bookable again.
	closures, err := booking.Closures(ctx, env.d, env.ente, monday)
	if err != nil || len(closures) != 1 {
		t.Fatalf("closures: %v, %v; want one", closures, err)
	}
	del := "/amministrazione-ente/calendari/chiusure/" + strconv.FormatInt(closures[0].ID, 10) + "/elimina"
	if !strings.Contains(body, `action="`+del+`"`) {
		t.Errorf("the list has no remove button for the closure (%s)", del)
	}
	if doc := parse(t, body); !strings.Contains(doc.Find(`details:has(form[action="`+del+`"])`).Text(), "si potrà di nuovo prenotare") {
		t.Errorf("the remove button does not ask first: no confirmation around %s", del)
	} else if b := doc.Find(`form[action="` + del + `"] button`).Text(); b != "Sì, elimina la chiusura dal "+monday.In(rome).Format("02/01/2006")+" al "+monday.In(rome).Format("02/01/2006") {
		// Several closures give several confirm buttons: each names its days.
		t.Errorf("the confirm button %q does not name the closure's days", b)
	}
	res, _ = postForm(t, env.s, del, nil, admin)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/amministrazione-ente/calendari?ok=chiusura-eliminata" {
		t.Fatalf("remove the closure: status %d, to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if n := slots(); n == 0 {
		t.Errorf("the calendar offers nothing on %v after its closure was removed", monday)
	}
	_, body = getAs(t, env.s, "/amministrazione-ente/calendari?ok=chiusura-eliminata", admin)
	if strings.Contains(body, "Sciopero") || !strings.Contains(body, "quei giorni tornano prenotabili") {
		t.Errorf("after the removal the page still lists the closure, or says nothing\n%.3000s", body)
	}
	if res, _ := postForm(t, env.s, del, nil, admin); res.StatusCode != http.StatusNotFound {
		t.Errorf("removing it again: status %d, want 404", res.StatusCode)
	}
	// A closure of the whole office (no calendar), added and removed.
	res, _ = postForm(t, env.s, "/amministrazione-ente/calendari/chiusure", url.Values{"office": {"anagrafe"},
		"first": {monday.String()}, "last": {monday.String()}, "reason": {"Festa patronale"}}, admin)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add a closure of the office: status %d", res.StatusCode)
	}
	closures, err = booking.Closures(ctx, env.d, env.ente, monday)
	if err != nil || len(closures) != 1 || closures[0].Calendar != 0 {
		t.Fatalf("closures: %v, %v; want one of the whole office", closures, err)
	}
	res, _ = postForm(t, env.s, "/amministrazione-ente/calendari/chiusure/"+strconv.FormatInt(closures[0].ID, 10)+"/elimina", nil, admin)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove the closure of the office: status %d", res.StatusCode)
	}
	// With an appointment held on the calendar, its step cannot change: the
	// form says why, and nothing is stored.
	days, err := booking.Availability(ctx, env.d, env.ente, enteCal(t, env.s, env.ente), booking.Query{Office: office,
		Service: "certificati-anagrafici", Channel: booking.Desk, From: monday, Days: 1}, testNow)
	if err != nil || len(days) == 0 {
		t.Fatalf("availability on %v: %v, %v", monday, days, err)
	}
	var start time.Time
	for _, sl := range days[0].Slots {
		if slices.Contains(sl.Calendars, created.ID) {
			start = sl.Start
			break
		}
	}
	// Hold that time until every calendar offering it is full, this one
	// included (a hold goes to the least loaded).
	for held := 0; ; held++ {
		_, _, err := booking.Hold(ctx, env.d, env.ente, enteCal(t, env.s, env.ente), booking.HoldInput{Office: office,
			Service: "certificati-anagrafici", Channel: booking.Desk, Start: start}, testNow)
		if errors.Is(err, booking.ErrTaken) && held > 0 {
			break
		}
		if err != nil || held > 20 {
			t.Fatalf("hold %d at %v: %v", held, start, err)
		}
	}
	good.Set("step", "10")
	res, body = postForm(t, env.s, edit, good, admin)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "appuntamenti da oggi in poi") {
		t.Errorf("changing the step of a booked calendar: status %d, want 409 with the reason\n%.3000s", res.StatusCode, body)
	}
	if got, err := booking.GetCalendar(ctx, env.d, env.ente, created.ID); err != nil || got.Step != 15 {
		t.Errorf("after the refused change: %+v, %v; want step 15", got, err)
	}
	var actions []string
	for _, a := range []audit.Action{"calendar.created", "calendar.updated", "calendar.closure_added", "calendar.closure_removed"} {
		evs, err := audit.List(ctx, env.d, env.ente, audit.Filter{Action: a})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			line := string(a)
			if strings.HasPrefix(line, "calendar.closure") {
				line += " " + ev.Detail
			}
			actions = append(actions, line)
		}
	}
	cal, day := fmt.Sprintf("calendar %d, ", created.ID), monday.String()+"–"+monday.String()
	wantAudit := []string{"calendar.created", "calendar.updated",
		"calendar.closure_added all calendars, " + day, "calendar.closure_added " + cal + day,
		"calendar.closure_removed all calendars, " + day + ": Festa patronale", "calendar.closure_removed " + cal + day + ": Sciopero"}
	slices.Sort(wantAudit)
	slices.Sort(actions)
	if diff := cmp.Diff(wantAudit, actions); diff != "" {
		t.Errorf("audit mismatch (-want +got):\n%s", diff)
	}
}
