package web

import (
	"net/http"
	"strconv"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/logging"
)

// statusOf is the one mapping from error kinds to HTTP statuses.
func statusOf(k apperr.Kind) int {
	switch k {
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	case apperr.TooMany:
		return http.StatusTooManyRequests
	case apperr.Unprocessable:
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// errorPage is the status page shown for any error.
type errorPage struct {
	basePage
	Status int
	// Message is written for the user: the error's public text or the
	// status's default text.
	Message string
	// RequestID lets the user quote the failure to the help desk.
	RequestID string
}

// handleError logs err once and answers with the status page of its kind,
// in the ente's layout when the ente is known.
func (s *Server) handleError(w http.ResponseWriter, r *http.Request, err error) {
	kind := apperr.KindOf(err)
	status := statusOf(kind)
	ctx := r.Context()
	if status >= 500 {
		s.log.ErrorContext(ctx, "request failed", "kind", kind.String(), "err", err)
	} else {
		s.log.InfoContext(ctx, "request refused", "kind", kind.String(), "err", err)
	}
	switch status {
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "5")
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "60")
	}
	w.Header().Set("Cache-Control", "no-store")
	p := errorPage{
		basePage:  s.base(r, ""),
		Status:    status,
		RequestID: logging.RequestID(ctx),
	}
	p.Message = apperr.PublicOf(err)
	if p.Message == "" || status >= 500 {
		p.Message = s.text.T(p.Lang, "error.text."+statusKey(status))
	}
	p.Title = s.text.T(p.Lang, "error.title."+statusKey(status))
	if p.Ente != nil {
		err := s.render(w, r, status, "errors/error", &p)
		if err == nil {
			return
		}
		s.log.ErrorContext(ctx, "render error page", "err", err)
	}
	s.plainPage(w, status, &p)
}

// plainPage writes the standalone status page that names no comune.
func (s *Server) plainPage(w http.ResponseWriter, status int, p *errorPage) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = s.pages.plain.Execute(w, p)
}

// statusKey names the locale keys of a status: "404", "500"…
func statusKey(status int) string {
	switch status {
	case 400, 401, 403, 404, 409, 413, 422, 429, 503:
		return strconv.Itoa(status)
	}
	return "500"
}
