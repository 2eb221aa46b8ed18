package web

import (
	"net/http"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/i18n"
)

// languageSet remembers the language chosen with the switcher and goes back
// to the page it was chosen on. It works without JavaScript.
func (s *Server) languageSet(w http.ResponseWriter, r *http.Request) error {
	l, ok := i18n.Parse(r.PathValue("lang"))
	if !ok {
		return apperr.Errorf(apperr.NotFound, "language %q: not supported", r.PathValue("lang"))
	}
	http.SetCookie(w, &http.Cookie{
		Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: s.isHTTPS(r), SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
	return nil
}

// localPath keeps a redirect target on this site: only absolute paths, no
// scheme-relative "//host" or backslash tricks.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return "/"
	}
	return p
}
