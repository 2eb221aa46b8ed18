package web

import (
	"net/http"
	"strconv"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/rating"
)

// ratingPage thanks the visitor for a rating, or — without JavaScript, when
// only the stars were sent — asks the follow-up question that fits them.
type ratingPage struct {
	basePage
	// Page is the rated page, to go back to.
	Page     string
	Stars    int
	Positive bool
	Saved    bool
}

// ratingCreate stores a page-clarity rating. The form on every page sends
// stars, the follow-up answer and a comment at once when JavaScript shows
// the right question; without JavaScript it sends the stars first and this
// handler asks the follow-up question on its own page.
func (s *Server) ratingCreate(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "rating: %w", err)
	}
	p := ratingPage{basePage: s.base(r, "rating.title"), Page: localPath(r.PostForm.Get("page"))}
	p.Stars, _ = strconv.Atoi(r.PostForm.Get("stars"))
	if p.Stars < 1 || p.Stars > 5 {
		return apperr.New(apperr.Invalid, p.T("rating.error.stars"))
	}
	p.Positive = p.Stars >= rating.PositiveFrom
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}}
	answerField := "answer-negative"
	if p.Positive {
		answerField = "answer-positive"
	}
	answer, _ := strconv.Atoi(r.PostForm.Get(answerField))
	if r.PostForm.Get("step") == "stars" {
		// Only the stars came: ask the follow-up question.
		return s.render(w, r, http.StatusOK, "public/rating", &p)
	}
	rt := rating.Rating{
		Ente: p.Ente.ID, Page: p.Page, Stars: p.Stars, Answer: answer,
		Comment: r.PostForm.Get("comment"), Created: s.now(),
	}
	if err := rt.Validate(); err != nil {
		return &apperr.Error{Kind: apperr.Invalid, Public: p.T("rating.error.invalid"), Err: err}
	}
	if err := rating.Create(r.Context(), s.db, &rt); err != nil {
		return err
	}
	p.Saved = true
	return s.render(w, r, http.StatusOK, "public/rating", &p)
}
