package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

// TestOfficeAppointments: the clerk of the punto risposte sees Mario's
// appointment today, with its desk; the clerk of Tributi sees their own
// office's (none) and not the punto risposte's; the desk operator, who
// has the console, has no office list.
func TestOfficeAppointments(t *testing.T) {
	env := newOfficeEnv(t)
	a := bookToday(t, env)
	res, body := getAs(t, env.s, "/ufficio/appuntamenti", env.cookies[env.clerk])
	if res.StatusCode != http.StatusOK {
		t.Fatalf("clerk: status %d", res.StatusCode)
	}
	doc := parse(t, body)
	var rows []string
	doc.Find("main table").First().Find("tbody tr").Each(func(_ int, tr *goquery.Selection) {
		var cells []string
		tr.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, strings.TrimSpace(td.Text())) })
		rows = append(rows, strings.Join(cells, " | "))
	})
	want := []string{a.Start.In(rome).Format("15:04") + " | Mario Rossi | Certificati anagrafici | Allo sportello, di persona | Sportello 1 | Confermato"}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("today's appointments mismatch (-want +got):\n%s", diff)
	}
	if got := doc.Find("main h2").Length(); got != officeAppointmentDays {
		t.Errorf("%d days shown, want %d", got, officeAppointmentDays)
	}
	res, body = getAs(t, env.s, "/ufficio/appuntamenti", env.cookies[env.other])
	if res.StatusCode != http.StatusOK || strings.Contains(body, "Mario Rossi") {
		t.Errorf("the clerk of Tributi: status %d, sees the punto risposte's appointment: %v", res.StatusCode, strings.Contains(body, "Mario Rossi"))
	}
	if res, _ := getAs(t, env.s, "/ufficio/appuntamenti?ufficio=parla", env.cookies[env.other]); res.StatusCode != http.StatusNotFound {
		t.Errorf("the clerk of Tributi asking for the punto risposte: status %d, want 404", res.StatusCode)
	}
	if res, _ := getAs(t, env.s, "/ufficio/appuntamenti", env.cookies[env.desk]); res.StatusCode != http.StatusForbidden {
		t.Errorf("the desk operator: status %d, want 403", res.StatusCode)
	}
}
