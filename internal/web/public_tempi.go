package web

import (
	"net/http"
)

// tempiPage is the public page "Tempi medi dei procedimenti" (D.Lgs.
// 33/2013 art. 35): for each service, how long the Comune took to decide
// in the last 12 months beside the term the law gives it.
type tempiPage struct {
	basePage
	Period   string
	Services []serviceRow
	Charts   []chart
}

// tempiShow is GET /tempi-medi-dei-procedimenti. It is the same for every
// visitor, so the route is cached like the other public pages.
func (s *Server) tempiShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	from, to, err := parsePeriod("", s.now())
	if err != nil {
		return err
	}
	p := tempiPage{basePage: s.base(r, "bo.public.title")}
	if _, p.Services, p.Charts, err = s.figures(ctx, e, p.basePage, from, to); err != nil {
		return err
	}
	p.Section = "management"
	p.Rating = true
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}, {p.T("section.amministrazione.title"), "/amministrazione"}}
	p.Period = p.T("bo.public.period", monthName(p.Lang, from.Month())+" "+from.Format("2006"),
		monthName(p.Lang, to.AddDate(0, 0, -1).Month())+" "+to.AddDate(0, 0, -1).Format("2006"))
	return s.render(w, r, http.StatusOK, "public/tempi", &p)
}
