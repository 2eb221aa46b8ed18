package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/catalog"
)

func TestTempiMediPage(t *testing.T) {
	env := newOfficeEnv(t)
	env.seedStats(t)
	for _, tc := range []struct {
		lang, title string
		want        [][]string
	}{
		{"it", "Tempi medi dei procedimenti", [][]string{{"Richiesta di accesso agli atti", "2", "25,0 giorni", "30 giorni", "40,0 giorni", "50% (1/2)"}}},
		{"en", "Average processing times", [][]string{{"Richiesta di accesso agli atti", "2", "25.0 days", "30 days", "40.0 days", "50% (1/2)"}}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/tempi-medi-dei-procedimenti", nil)
			req.Host = "localhost"
			req.Header.Set("Accept-Language", tc.lang)
			res, body := do(t, env.s, req)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			doc := parse(t, body)
			if got := strings.TrimSpace(doc.Find("h1").Text()); got != tc.title {
				t.Errorf("h1 = %q, want %q", got, tc.title)
			}
			for _, el := range []string{"breadcrumb", "feedback"} {
				if doc.Find(`[data-element="`+el+`"]`).Length() != 1 {
					t.Errorf("the page lacks the %s component", el)
				}
			}
			if diff := cmp.Diff(tc.want, tableRows(doc.Find("table"))); diff != "" {
				t.Errorf("figures (-want +got):\n%s", diff)
			}
			if n := doc.Find(`figure svg[role="img"][aria-label]`).Length(); n != 2 {
				t.Errorf("%d charts, want 2", n)
			}
			// Figures only: nobody's name, no pratica.
			if strings.Contains(body, "Rossi") || strings.Contains(body, "Bianchi") {
				t.Error("the public page names a citizen")
			}
		})
	}
	// The Amministrazione section links to it.
	_, body := get(t, env.s, "localhost", "/amministrazione")
	if !strings.Contains(body, `href="/tempi-medi-dei-procedimenti"`) {
		t.Error("/amministrazione does not link to the page")
	}
}

func TestTempiMediWithoutDecisions(t *testing.T) {
	s, _ := newTestServer(t)
	res, body := get(t, s, "localhost", "/tempi-medi-dei-procedimenti")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "non si è ancora conclusa nessuna richiesta") {
		t.Errorf("status %d; an empty year is not explained", res.StatusCode)
	}
}

// The pages name services as the ente publishes them, not as shipped.
func TestOfficePagesUseTheEntesCatalogue(t *testing.T) {
	env := newOfficeEnv(t)
	env.seedStats(t)
	svc, err := env.s.catalog.Get("accesso-agli-atti")
	if err != nil {
		t.Fatal(err)
	}
	mine := *svc
	mine.Title, mine.TermDays = "Accesso ai documenti del Comune", 20
	if _, err := catalog.Publish(context.Background(), env.d, env.ente, env.s.catalog, &mine, int64(env.head), testNow); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/ufficio/pratiche?stato=tutte", "/ufficio/statistiche", "/tempi-medi-dei-procedimenti"} {
		_, body := env.get(t, env.clerk, path)
		if !strings.Contains(body, "Accesso ai documenti del Comune") || strings.Contains(body, svc.Title) {
			t.Errorf("%s does not use the ente's title", path)
		}
	}
	if _, body := get(t, env.s, "localhost", "/tempi-medi-dei-procedimenti"); !strings.Contains(body, "20 giorni") {
		t.Error("the public page does not show the ente's legal term")
	}
}
