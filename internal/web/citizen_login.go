package web

import "net/http"

// loginPage is the entry to the personal area: SPID and CIE.
type loginPage struct {
	basePage
}

// loginShow shows how to enter the personal area. Until SPID and CIE login
// are switched on for the ente it says so and points to the desk.
func (s *Server) loginShow(w http.ResponseWriter, r *http.Request) error {
	p := loginPage{basePage: s.base(r, "login.title")}
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}}
	return s.render(w, r, http.StatusOK, "citizen/login", &p)
}
