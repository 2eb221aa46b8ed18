package web

import (
	"net/http"

	"github.com/sportello/sportello/internal/catalog"
)

// homePage is the comune's home page.
type homePage struct {
	basePage
	// Categories are the service categories, to start from what one needs.
	Categories []catalog.Category
}

func (s *Server) homeShow(w http.ResponseWriter, r *http.Request) error {
	p := homePage{basePage: s.base(r, ""), Categories: catalog.Categories}
	p.Title = p.Ente.Name
	p.Rating = true
	return s.render(w, r, http.StatusOK, "public/home", &p)
}
