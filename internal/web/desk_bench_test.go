package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
)

// BenchmarkDeskPages serves the desk console's pages through the handler
// over a year of the punto risposte's data — eight half-hour appointments
// each morning on each of its two desk calendars for 261 working days
// (about 4,200),
// as many queue tickets, about 25,000 logged contacts, 390 of them
// Mario's —
// and reports p50, p95 and the worst of each mix of 60 pages: the console,
// the screen, the month's statistics, a name search, Mario's audited view,
// the contact form. The figure: p95 ≤ 50 ms.
func BenchmarkDeskPages(b *testing.B) {
	env := newOfficeEnv(b)
	seedDeskYear(b, env)
	mario := "/sportello/cittadini/" + strconv.FormatInt(int64(env.mario), 10) + "?motivo=desk"
	pages := []string{"/sportello", "/coda/parla", "/sportello/statistiche", "/sportello/cittadini?q=rossi", mario, "/sportello/contatti"}
	names := []string{"console", "screen", "stats", "search", "view", "contacts"}
	var all []time.Duration
	each := make([][]time.Duration, len(pages))
	for b.Loop() {
		for i := range 60 {
			req := env.request(env.desk, pages[i%len(pages)])
			rec := httptest.NewRecorder()
			start := time.Now()
			env.s.ServeHTTP(rec, req)
			took := time.Since(start)
			all = append(all, took)
			each[i%len(pages)] = append(each[i%len(pages)], took)
			if rec.Code != http.StatusOK {
				b.Fatalf("%s: status %d", req.URL, rec.Code)
			}
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	p95 := func(v []time.Duration) time.Duration { slices.Sort(v); return v[len(v)*95/100] }
	for i, v := range each {
		b.ReportMetric(ms(p95(v)), names[i]+"-p95-ms")
	}
	slices.Sort(all)
	b.ReportMetric(ms(all[len(all)/2]), "p50-ms")
	b.ReportMetric(ms(all[len(all)*95/100]), "p95-ms")
	b.ReportMetric(ms(all[len(all)-1]), "max-ms")
}

// seedDeskYear writes a year of appointments, tickets and contacts of the
// punto risposte in bulk, ending today.
func seedDeskYear(b *testing.B, env *officeEnv) {
	ctx := context.Background()
	cals, err := booking.Calendars(ctx, env.d, env.ente, booking.CalendarFilter{Office: env.parla, Channel: booking.Desk})
	if err != nil || len(cals) == 0 {
		b.Fatal(cals, err)
	}
	today := calendar.DateOf(testNow.In(rome))
	var appts, tickets, contacts [][]any
	n := 0
	for d := today.AddDays(-365); !d.After(today); d = d.AddDays(1) {
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			continue
		}
		num := 0
		for _, c := range cals {
			for slot := range 8 {
				n++
				start := time.Date(d.Year, d.Month, d.Day, 9, 0, 0, 0, rome).Add(time.Duration(slot) * 30 * time.Minute).UTC()
				state := "served"
				if d == today {
					state = "confirmed"
				}
				appts = append(appts, []any{env.ente, c.ID, env.parla, "certificati-anagrafici", "desk", state, start,
					start.Add(30 * time.Minute), fmt.Sprintf("B%07d", n), "x", "Persona " + strconv.Itoa(n),
					fmt.Sprintf("PRS%013d", n), start.Add(-48 * time.Hour)})
				if d != today {
					num++
					tickets = append(tickets, []any{env.ente, env.parla, d.String(), num, "Persona", "served", "Sportello 1",
						start.Add(-10 * time.Minute), start, start.Add(20 * time.Minute)})
				}
			}
		}
		for k := range 95 {
			var cit any
			if k == 0 || (k == 1 && d.Day%2 == 0) {
				cit = int64(env.mario)
			}
			at := time.Date(d.Year, d.Month, d.Day, 9, k%60, 0, 0, rome).UTC()
			contacts = append(contacts, []any{env.ente, env.parla, int64(env.desk), []string{"spid", "national", "payments", "email", "certificates", "other"}[k%6],
				[]string{"desk", "phone", "home"}[k%3], 5 + k%40, "resolved", cit, at})
		}
	}
	bulk(b, env.d, `INSERT INTO booking_appointment (ente_id, calendar_id, office_id, service, channel, state, starts_at,
		ends_at, code, token_hash, name, fiscal_code, created_at, updated_at) VALUES `, appts, func(r []any) []any { return append(r, r[len(r)-1]) })
	bulk(b, env.d, `INSERT INTO desk_ticket (ente_id, office_id, day, number, label, state, desk, created_at, called_at,
		closed_at) VALUES `, tickets, nil)
	bulk(b, env.d, `INSERT INTO desk_interaction (ente_id, office_id, operator_id, kind, channel, minutes, outcome,
		citizen_id, at) VALUES `, contacts, nil)
	b.Logf("seeded %d appointments, %d tickets, %d contacts", len(appts), len(tickets), len(contacts))
}

// bulk inserts rows 400 at a time with numbered placeholders.
func bulk(b *testing.B, d *db.DB, insert string, rows [][]any, extend func([]any) []any) {
	for i := 0; i < len(rows); i += 400 {
		var values []string
		var args []any
		for _, r := range rows[i:min(i+400, len(rows))] {
			if extend != nil {
				r = extend(r)
			}
			ph := make([]string, len(r))
			for j := range r {
				args = append(args, r[j])
				ph[j] = "$" + strconv.Itoa(len(args))
			}
			values = append(values, "("+strings.Join(ph, ", ")+")")
		}
		if _, err := d.ExecContext(context.Background(), insert+strings.Join(values, ", "), args...); err != nil {
			b.Fatal(err)
		}
	}
}
