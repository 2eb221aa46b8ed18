package web

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/tenant"
)

// servicesPageSize is how many service cards the Servizi page shows at
// first and adds with each "load more".
const servicesPageSize = 9

// servicesPage is the Servizi catalogue: contextual search, the services
// (with "load more"), the categories and the contacts box.
type servicesPage struct {
	basePage
	Query      string
	Services   []*catalog.Service
	Total      int
	MoreURL    string
	Categories []catalog.Category
}

func (s *Server) servicesList(w http.ResponseWriter, r *http.Request) error {
	p := servicesPage{basePage: s.base(r, "section.servizi.title"), Categories: catalog.Categories}
	p.Section = "all-services"
	p.Rating = true
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}}
	p.Query = strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(p.Query)) > 200 {
		return apperr.New(apperr.Invalid, p.T("search.too-long"))
	}
	cat, err := s.catalogFor(r.Context(), p.Ente)
	if err != nil {
		return err
	}
	found := cat.Search(p.Query, func(slug string) string { return p.T("category." + slug) })
	p.Total = len(found)
	shown := servicesPageSize
	if n, err := strconv.Atoi(r.URL.Query().Get("mostra")); err == nil && n > shown {
		shown = n
	}
	if shown < len(found) {
		next := "/servizi?mostra=" + strconv.Itoa(shown+servicesPageSize)
		if p.Query != "" {
			next += "&q=" + template.URLQueryEscaper(p.Query)
		}
		p.MoreURL = next + "#servizi-" + strconv.Itoa(shown)
		found = found[:shown]
	}
	p.Services = found
	return s.render(w, r, http.StatusOK, "public/services", &p)
}

// servicePage is the scheda servizio.
type servicePage struct {
	basePage
	Service      *catalog.Service
	CategoryName string
	Office       *tenant.Office
	Index        []indexEntry
	// JSONLD is the schema.org GovernmentService description of the service.
	JSONLD template.JS
	// RequestURL starts the online request: the service's own form when it
	// has one, the personal area otherwise.
	RequestURL string
}

// indexEntry is one entry of the scheda's page index.
type indexEntry struct {
	ID, Title string
}

func (s *Server) serviceShow(w http.ResponseWriter, r *http.Request) error {
	cat, err := s.catalogFor(r.Context(), enteFrom(r.Context()))
	if err != nil {
		return err
	}
	svc, err := cat.Get(r.PathValue("service"))
	if err != nil {
		return err
	}
	p := servicePage{basePage: s.base(r, ""), Service: svc, RequestURL: "/area-personale?servizio=" + svc.Slug}
	if _, ok := s.forms[svc.Slug]; ok {
		p.RequestURL = "/area-personale/richiesta/" + svc.Slug
	}
	p.Title = svc.Title
	p.Section = "all-services"
	p.Rating = true
	p.CategoryName = p.T("category." + svc.Category)
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}, {p.T("section.servizi.title"), "/servizi"},
		{p.CategoryName, "/servizi/categoria/" + svc.Category}}
	p.Office = officeOf(p.Ente, svc.Office)
	for _, id := range []string{"a-chi-e-rivolto", "come-fare", "cosa-serve", "cosa-si-ottiene", "tempi-e-scadenze",
		"quanto-costa", "accedi-al-servizio", "condizioni-di-servizio", "casi-particolari", "allegati", "contatti"} {
		switch {
		case id == "quanto-costa" && svc.Cost == "",
			id == "casi-particolari" && svc.SpecialCases == "",
			id == "allegati" && len(svc.Attachments) == 0:
			continue
		}
		p.Index = append(p.Index, indexEntry{ID: id, Title: p.T("service.section." + id)})
	}
	p.JSONLD, err = serviceJSONLD(&p, s.baseURL(r))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "public/service", &p)
}

// officeOf finds the office responsible for a service in the ente, falling
// back to the desk, which delivers every service.
func officeOf(e *tenant.Ente, slug string) *tenant.Office {
	for i := range e.Offices {
		if e.Offices[i].Slug == slug {
			return &e.Offices[i]
		}
	}
	if d, ok := e.Desk(); ok {
		return &d
	}
	return nil
}

// baseURL is the scheme and host the request came to.
func (s *Server) baseURL(r *http.Request) string {
	scheme := "http"
	if s.isHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// serviceJSONLD builds the GovernmentService JSON-LD of the Modello Comuni
// with encoding/json (which escapes <, > and &, so it is safe in a script).
func serviceJSONLD(p *servicePage, base string) (template.JS, error) {
	type obj = map[string]any
	svc := p.Service
	channel := obj{
		"@type":             "ServiceChannel",
		"serviceUrl":        base + "/servizi/" + svc.Slug,
		"availableLanguage": []string{"it"},
	}
	if o := p.Office; o != nil {
		channel["serviceLocation"] = obj{
			"@type": "Place",
			"name":  o.Name,
			"address": obj{
				"@type":           "PostalAddress",
				"streetAddress":   o.Street,
				"postalCode":      o.PostalCode,
				"addressLocality": o.City,
			},
		}
	}
	ld := obj{
		"@context":         "https://schema.org",
		"@type":            "GovernmentService",
		"name":             svc.Title,
		"description":      svc.Description,
		"serviceType":      p.CategoryName,
		"serviceOperator":  obj{"@type": "GovernmentOrganization", "name": p.Ente.Name},
		"areaServed":       obj{"@type": "AdministrativeArea", "name": p.Ente.ShortName()},
		"audience":         obj{"@type": "Audience", "audienceType": svc.Addressed},
		"availableChannel": channel,
	}
	b, err := json.Marshal(ld)
	if err != nil {
		return "", err
	}
	return template.JS(b), nil //nolint:gosec // json.Marshal escapes <, > and &
}
