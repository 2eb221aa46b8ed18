package spididp

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/sportello/sportello/internal/apperr"
)

// The simulator's own templates, script and stylesheet: it depends on no
// host asset, only optionally linking the host's stylesheet.
//
//go:embed templates/*.html static/*
var assets embed.FS

// pages are the parsed templates, one set per page so that each can define
// its own content block.
type pages map[string]*template.Template

// parsePages parses every page with the shared layout, at New, so that a
// broken template fails at start.
func parsePages() (pages, error) {
	out := pages{}
	for _, name := range []string{"login.html", "post.html", "error.html", "sessions.html", "logout.html"} {
		t, err := template.ParseFS(assets, "templates/layout.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// chrome is what every page shows around its content.
type chrome struct {
	Title string
	// IdPName names the simulator (SPID or CIE).
	IdPName    string
	Stylesheet string
}

// chrome fills the common page fields.
func (p *IdP) chrome(title string) chrome {
	return chrome{Title: title, IdPName: p.displayName(), Stylesheet: p.cfg.StylesheetURL}
}

// loginPage is the list of identities for one pending login.
type loginPage struct {
	chrome
	PendingKey string
	SPName     string
	SPEntityID string
	Level      int
	Comparison string
	Problem    string
	Identities []identityOption
	Levels     []levelOption
	Faults     []faultOption
}

type identityOption struct {
	Index                                       int
	Name, FiscalCode, Email, Phone, Description string
	Checked                                     bool
}

type levelOption struct {
	Value     int
	Label     string
	Requested bool
	Checked   bool
}

type faultOption struct {
	Index   int
	Value   string
	Label   string
	Checked bool
}

// postPage carries a SAML message to the SP; with Auto, the simulator's
// script submits it at once (without JavaScript the button does).
type postPage struct {
	chrome
	Form postForm
	Auto bool
	// Note tells the tester what is being sent.
	Note string
}

// errorPage is the courtesy page for a refused request.
type errorPage struct {
	chrome
	Message string
	// Code and Rule name the broken SAML/SPID rule, for anomalies.
	Code, Rule, Detail string
	// Reply, when set, offers to send the anomaly back to the SP.
	Reply *postForm
}

// sessionsPage lists the open sessions, for IdP-initiated logout, and the
// demo identities.
type sessionsPage struct {
	chrome
	EntityID   string
	Sessions   []sessionRow
	Identities []Identity
	Done       string
}

type sessionRow struct {
	Index, Person, SPName, Created string
	Level                          int
}

// logoutPage reports the SP's answer to an IdP-initiated logout.
type logoutPage struct {
	chrome
	SPName  string
	Success bool
	Status  string
}

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 rather than half a page.
func (p *IdP) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := p.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		p.cfg.Logger.LogAttrs(r.Context(), slog.LevelError, "spididp: render", slog.String("page", name), slog.String("error", err.Error()))
		http.Error(w, "Errore interno del simulatore", http.StatusInternalServerError)
		return nil
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// staticFile serves the embedded script and stylesheet.
func (p *IdP) staticFile(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	b, err := assets.ReadFile("static/" + name)
	if err != nil {
		return apperr.Errorf(apperr.NotFound, "static %s: %w", name, err)
	}
	switch {
	case len(name) > 3 && name[len(name)-3:] == ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case len(name) > 4 && name[len(name)-4:] == ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err = w.Write(b)
	return err
}
