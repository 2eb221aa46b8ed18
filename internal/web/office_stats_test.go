package web

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// fakeLetter stands in for the outcome letter where the test is about
// figures, not documents.
func fakeLetter(d pratica.LetterData) ([]byte, error) {
	return fmt.Appendf(nil, "%%PDF-1.7 esito %s %t", d.Protocol, d.Accepted), nil
}

// decideAt takes p in charge and decides it at the given time.
func (env *officeEnv) decideAt(t *testing.T, p *pratica.Pratica, accepted bool, at time.Time) {
	t.Helper()
	ctx := context.Background()
	e, err := tenant.Get(ctx, env.d, env.ente)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := env.s.calendarFor(e)
	if err != nil {
		t.Fatal(err)
	}
	err = env.d.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := pratica.TakeInCharge(ctx, tx, env.ente, p.ID, env.clerk, at.Add(-time.Hour)); err != nil {
			return err
		}
		_, err := pratica.Decide(ctx, tx, env.ente, p.ID, env.head, pratica.DecideInput{Accepted: accepted, Motivation: "Motivazione.",
			Letter: fakeLetter, Blobs: env.blobs, Calendar: cal}, at)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// seedStats files and decides pratiche of accesso agli atti (30-day term):
// one decided in 10 days, one in 40 (late), one still open.
func (env *officeEnv) seedStats(t *testing.T) {
	t.Helper()
	sep := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	oct := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	env.decideAt(t, env.file(t, env.mario, env.parla, sep), true, sep.Add(10*24*time.Hour))
	env.decideAt(t, env.file(t, env.laura, env.parla, oct), false, oct.Add(40*24*time.Hour))
	env.file(t, env.mario, env.parla, time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
}

// tableRows reads a table's body as rows of trimmed cell texts.
func tableRows(sel *goquery.Selection) [][]string {
	var out [][]string
	sel.Find("tbody tr").Each(func(_ int, tr *goquery.Selection) {
		var row []string
		tr.Find("th, td").Each(func(_ int, c *goquery.Selection) { row = append(row, strings.TrimSpace(c.Text())) })
		out = append(out, row)
	})
	return out
}

func TestStatsPage(t *testing.T) {
	env := newOfficeEnv(t)
	env.seedStats(t)
	res, body := env.get(t, env.clerk, "/ufficio/statistiche")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%.500s", res.StatusCode, body)
	}
	doc := parse(t, body)
	figures := doc.Find("figure")
	if figures.Length() != 3 {
		t.Fatalf("%d charts, want 3 (months, times, within the term)", figures.Length())
	}
	figures.Each(func(i int, f *goquery.Selection) {
		svg := f.Find(`svg[role="img"]`)
		label, _ := svg.Attr("aria-label")
		if svg.Length() != 1 || label == "" || strings.TrimSpace(f.Find("figcaption").Text()) == "" {
			t.Errorf("chart %d lacks its svg, aria-label or caption", i)
		}
		if svg.Find("rect").Length() == 0 {
			t.Errorf("chart %d has no bars", i)
		}
		if _, ok := svg.Attr("style"); ok || f.Find("[style]").Length() > 0 {
			t.Errorf("chart %d uses inline style, which the CSP forbids", i)
		}
	})
	if !strings.Contains(body, "/static/css/charts.") {
		t.Error("the page does not load charts.css")
	}
	months := tableRows(doc.Find("details table"))
	if len(months) != 12 || months[0][0] != "dicembre 2025" || months[11][0] != "novembre 2026" {
		t.Errorf("months table: %q", months)
	}
	wantMonths := [][]string{{"settembre 2026", "1", "1", "0", "0"}, {"ottobre 2026", "1", "0", "0", "0"}, {"novembre 2026", "1", "0", "1", "0"}}
	if diff := cmp.Diff(wantMonths, months[9:]); diff != "" {
		t.Errorf("months (-want +got):\n%s", diff)
	}
	services := tableRows(doc.Find("section table").Last())
	want := [][]string{{"Richiesta di accesso agli atti", "2", "25,0 giorni", "40,0 giorni", "30 giorni", "50% (1/2)"}}
	if diff := cmp.Diff(want, services); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	for period, status := range map[string]int{"24": 200, "anno": 200, "anno-precedente": 200, "13": 400} {
		if res, _ := env.get(t, env.clerk, "/ufficio/statistiche?periodo="+period); res.StatusCode != status {
			t.Errorf("period %s: status %d, want %d", period, res.StatusCode, status)
		}
	}
	// Last year had no decisions: the page says so.
	if _, body := env.get(t, env.clerk, "/ufficio/statistiche?periodo=anno-precedente"); !strings.Contains(body, "Nessuna pratica è stata decisa nel periodo.") {
		t.Error("an empty period is not explained")
	}
}

func TestParsePeriod(t *testing.T) {
	rome := func(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, rome) }
	for _, tc := range []struct {
		in       string
		from, to time.Time
	}{
		{"", rome(2025, 12), rome(2026, 12)},
		{"12", rome(2025, 12), rome(2026, 12)},
		{"24", rome(2024, 12), rome(2026, 12)},
		{"anno", rome(2026, 1), rome(2027, 1)},
		{"anno-precedente", rome(2025, 1), rome(2026, 1)},
	} {
		from, to, err := parsePeriod(tc.in, testNow)
		if err != nil || !from.Equal(tc.from) || !to.Equal(tc.to) {
			t.Errorf("parsePeriod(%q) = %s, %s, %v; want %s, %s", tc.in, from, to, err, tc.from, tc.to)
		}
	}
	// The first hours of a month in Rome are still the previous month in UTC.
	from, _, _ := parsePeriod("12", time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC))
	if !from.Equal(rome(2026, 1)) {
		t.Errorf("at 00:30 on 1 December in Rome the period starts %s, want January 2026", from)
	}
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range append(statsPeriods, "", "13", "anno-", "\x00") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		from, to, err := parsePeriod(s, testNow)
		if err != nil {
			return
		}
		if !from.Before(to) || from.Day() != 1 || to.Day() != 1 {
			t.Errorf("parsePeriod(%q) = %s, %s: not whole months", s, from, to)
		}
	})
}

func TestNiceMax(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 0.3: 0.5, 1: 1, 3: 5, 7: 10, 12: 20, 40: 50, 51: 100, 100: 100, 101: 200} {
		if got := niceMax(in); got != want {
			t.Errorf("niceMax(%v) = %v, want %v", in, got, want)
		}
	}
}
