package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

// TestServicesCatalogueContract follows "load more" as the compliance
// checker does, until the button disappears, and counts the schede.
func TestServicesCatalogueContract(t *testing.T) {
	s, _ := newTestServer(t)
	path := "/servizi"
	seen := map[string]bool{}
	for i := 0; path != ""; i++ {
		if i > 20 {
			t.Fatal("load-other-cards never disappears")
		}
		res, body := get(t, s, "localhost", path)
		if res.StatusCode != 200 {
			t.Fatalf("%s: status %d", path, res.StatusCode)
		}
		doc := parse(t, body)
		doc.Find(`[data-element="service-link"]`).Each(func(_ int, a *goquery.Selection) {
			href, _ := a.Attr("href")
			seen[href] = true
		})
		if doc.Find(`[data-element="contacts"] [data-element="appointment-booking"]`).Length() != 1 {
			t.Errorf("%s lacks the contacts box with appointment-booking", path)
		}
		path, _ = doc.Find(`[data-element="load-other-cards"]`).Attr("href")
		path, _, _ = strings.Cut(path, "#")
	}
	if len(seen) != len(s.catalog.All()) || len(seen) < 15 {
		t.Errorf("the catalogue lists %d schede, want all %d (at least 15)", len(seen), len(s.catalog.All()))
	}
}

// TestServiceSchedaContract checks every scheda for the data-elements, the
// index and the order the Modello Comuni checker requires.
func TestServiceSchedaContract(t *testing.T) {
	s, _ := newTestServer(t)
	mandatory := []string{"A chi è rivolto", "Come fare", "Cosa serve", "Cosa si ottiene", "Tempi e scadenze",
		"Accedi al servizio", "Condizioni di servizio", "Contatti"}
	order := []string{"service-addressed", "service-how-to", "service-needed", "service-achieved",
		"service-calendar-text", "service-generic-access", "service-area"}
	for _, svc := range s.catalog.All() {
		t.Run(svc.Slug, func(t *testing.T) {
			res, body := get(t, s, "localhost", "/servizi/"+svc.Slug)
			if res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
			doc := parse(t, body)
			for _, el := range []string{"breadcrumb", "service-title", "service-description", "service-status", "service-topic",
				"page-index", "service-booking-access", "metatag", "feedback", "contacts"} {
				if doc.Find(`[data-element="`+el+`"]`).Length() == 0 {
					t.Errorf("missing data-element %q", el)
				}
			}
			if got := strings.TrimSpace(doc.Find(`[data-element="service-title"]`).Text()); got != svc.Title {
				t.Errorf("service-title = %q, want %q", got, svc.Title)
			}
			if svc.Online() != (doc.Find(`[data-element="service-online-access"]`).Length() == 1) {
				t.Errorf("service-online-access shown = %v, online = %v", !svc.Online(), svc.Online())
			}
			var index []string
			doc.Find(`[data-element="page-index"] a`).Each(func(_ int, a *goquery.Selection) {
				for _, m := range mandatory {
					if strings.TrimSpace(a.Text()) == m {
						index = append(index, m)
					}
				}
			})
			if diff := cmp.Diff(mandatory, index); diff != "" {
				t.Errorf("page-index mandatory entries (-want +got):\n%s", diff)
			}
			// Each index entry leads to a section that exists.
			doc.Find(`[data-element="page-index"] a`).Each(func(_ int, a *goquery.Selection) {
				href, _ := a.Attr("href")
				if doc.Find(href).Length() != 1 {
					t.Errorf("index entry %q points to missing %s", a.Text(), href)
				}
			})
			var got []string
			doc.Find("[data-element]").Each(func(_ int, e *goquery.Selection) {
				el, _ := e.Attr("data-element")
				for _, o := range order {
					if el == o {
						got = append(got, el)
					}
				}
			})
			if diff := cmp.Diff(order, got); diff != "" {
				t.Errorf("section order (-want +got):\n%s", diff)
			}
			var ld map[string]any
			if err := json.Unmarshal([]byte(doc.Find(`script[data-element="metatag"]`).Text()), &ld); err != nil {
				t.Fatalf("JSON-LD: %v", err)
			}
			for _, k := range []string{"@context", "@type", "name", "serviceType", "serviceOperator", "areaServed", "audience", "availableChannel"} {
				if _, ok := ld[k]; !ok {
					t.Errorf("JSON-LD lacks %q", k)
				}
			}
			if ld["@type"] != "GovernmentService" || ld["name"] != svc.Title {
				t.Errorf("JSON-LD @type %v, name %v", ld["@type"], ld["name"])
			}
			ch, _ := ld["availableChannel"].(map[string]any)
			if loc, _ := ch["serviceLocation"].(map[string]any); loc == nil || loc["address"] == nil {
				t.Errorf("JSON-LD availableChannel lacks serviceLocation with an address: %v", ch)
			}
		})
	}
}

func TestServicePagesFindAndFilter(t *testing.T) {
	s, _ := newTestServer(t)
	if res, _ := get(t, s, "localhost", "/servizi/non-esiste"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown service: status %d, want 404", res.StatusCode)
	}
	first := s.catalog.All()[0]
	_, body := get(t, s, "localhost", "/servizi/categoria/"+first.Category)
	if !strings.Contains(body, `href="/servizi/`+first.Slug+`"`) {
		t.Errorf("category %s does not list %s", first.Category, first.Slug)
	}
	word := strings.Fields(first.Title)[0]
	for _, p := range []string{"/servizi?q=", "/cerca?q="} {
		_, body = get(t, s, "localhost", p+word)
		if !strings.Contains(body, `href="/servizi/`+first.Slug+`"`) {
			t.Errorf("%s%s does not find %s", p, word, first.Slug)
		}
	}
	_, body = get(t, s, "localhost", "/servizi?q=zzzznessunrisultato")
	if strings.Contains(body, `data-element="service-link"`) {
		t.Error("a search with no match still lists services")
	}
}
