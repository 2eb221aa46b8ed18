package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/tenant"
)

// sectionPage is a first-level page of the site (Amministrazione, Novità,
// Servizi, Vivere il Comune, Argomenti): a hero and its second-level cards.
type sectionPage struct {
	basePage
	// Key names the section in the locale files: section.<key>.*.
	Key   string
	Lead  string
	Cards []sectionCard
}

// sectionCard is one second-level entry of a section page.
type sectionCard struct {
	Title, Text, URL string
	// Element is the data-element the compliance checker looks for.
	Element string
}

// sections maps a first-level page to its menu data-element and cards.
var sections = map[string]struct {
	element string
	cards   []string
}{
	"amministrazione": {"management", []string{"uffici", "tempi-medi"}},
	"novita":          {"news", []string{"notizie", "comunicati", "avvisi"}},
	"vivere":          {"live", []string{"luoghi", "eventi"}},
	"argomenti":       {"", nil},
}

func (s *Server) sectionShow(key string) handlerFunc {
	sec := sections[key]
	return func(w http.ResponseWriter, r *http.Request) error {
		p := sectionPage{basePage: s.base(r, "section."+key+".title"), Key: key}
		p.Section = sec.element
		p.Rating = true
		p.Lead = p.T("section." + key + ".lead")
		p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}}
		for _, c := range sec.cards {
			card := sectionCard{
				Title: p.T("section." + key + "." + c + ".title"),
				Text:  p.T("section." + key + "." + c + ".text"),
			}
			switch key {
			case "amministrazione":
				card.Element = "management-category-link"
				card.URL = "/amministrazione/" + c
				if c == "tempi-medi" {
					card.URL = "/tempi-medi-dei-procedimenti"
				}
			case "novita":
				card.Element = "news-category-link"
			case "vivere":
				card.Element = "live-button-" + map[string]string{"luoghi": "locations", "eventi": "events"}[c]
			}
			p.Cards = append(p.Cards, card)
		}
		return s.render(w, r, http.StatusOK, "public/section", &p)
	}
}

// categoryPage lists the services of one category.
type categoryPage struct {
	basePage
	Category catalog.Category
	Services []*catalog.Service
}

func (s *Server) categoryShow(w http.ResponseWriter, r *http.Request) error {
	c, ok := catalog.CategoryBySlug(r.PathValue("category"))
	if !ok {
		return apperr.Errorf(apperr.NotFound, "category %q: no such category", r.PathValue("category"))
	}
	p := categoryPage{basePage: s.base(r, "category."+c.Slug), Category: c}
	cat, err := s.catalogFor(r.Context(), p.Ente)
	if err != nil {
		return err
	}
	p.Services = cat.InCategory(c.Slug)
	p.Section = "all-services"
	p.Rating = true
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}, {p.T("section.servizi.title"), "/servizi"}}
	return s.render(w, r, http.StatusOK, "public/category", &p)
}

// officesPage lists the ente's offices with addresses and opening hours.
type officesPage struct {
	basePage
	Offices []tenant.Office
}

func (s *Server) officesList(w http.ResponseWriter, r *http.Request) error {
	p := officesPage{basePage: s.base(r, "section.amministrazione.uffici.title")}
	p.Section = "management"
	p.Rating = true
	p.Offices = p.Ente.Offices
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}, {p.T("section.amministrazione.title"), "/amministrazione"}}
	return s.render(w, r, http.StatusOK, "public/offices", &p)
}

// infoPage is a page of text from the locale files: FAQ, privacy, legal
// notes, accessibility, reporting a problem.
type infoPage struct {
	basePage
	Key        string
	Paragraphs []string
}

func (s *Server) infoShow(key string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := infoPage{basePage: s.base(r, "info."+key+".title"), Key: key}
		p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}}
		p.Rating = true
		p.Paragraphs = paragraphs(p.T("info." + key + ".body"))
		return s.render(w, r, http.StatusOK, "public/info", &p)
	}
}

// searchPage shows the results of the site search.
type searchPage struct {
	basePage
	Query   string
	Results []sectionCard
}

// searchShow searches the pages the site has so far: service categories and
// offices. The catalogue extends it with services.
func (s *Server) searchShow(w http.ResponseWriter, r *http.Request) error {
	p := searchPage{basePage: s.base(r, "search.title")}
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}}
	p.Query = strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(p.Query)) > 200 {
		return apperr.New(apperr.Invalid, p.T("search.too-long"))
	}
	q := strings.ToLower(p.Query)
	if q != "" {
		cat, err := s.catalogFor(r.Context(), p.Ente)
		if err != nil {
			return err
		}
		for _, svc := range cat.Search(p.Query, func(slug string) string { return p.T("category." + slug) }) {
			p.Results = append(p.Results, sectionCard{Title: svc.Title, Text: p.T("search.kind.service"), URL: "/servizi/" + svc.Slug})
		}
		for _, c := range catalog.Categories {
			if name := p.T("category." + c.Slug); strings.Contains(strings.ToLower(name), q) {
				p.Results = append(p.Results, sectionCard{Title: name, Text: p.T("search.kind.category"), URL: "/servizi/categoria/" + c.Slug})
			}
		}
		for _, o := range p.Ente.Offices {
			if strings.Contains(strings.ToLower(o.Name+" "+o.Description), q) {
				p.Results = append(p.Results, sectionCard{Title: o.Name, Text: p.T("search.kind.office"), URL: "/amministrazione/uffici#" + url.PathEscape(o.Slug)})
			}
		}
	}
	return s.render(w, r, http.StatusOK, "public/search", &p)
}

// notFound answers a path no route matches with the ente's own 404 page.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return apperr.Errorf(apperr.NotFound, "no route for %s", r.URL.Path)
}
