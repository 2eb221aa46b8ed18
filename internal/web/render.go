package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/i18n"
	"github.com/sportello/sportello/internal/tenant"
)

// pageSet holds every page template, each parsed with the layout and the
// partials, ready to execute.
type pageSet struct {
	byName map[string]*template.Template
	// plain is the standalone page for requests that belong to no ente.
	plain *template.Template
}

// parsePages parses templates/layout and templates/partials as the shared
// base, then each other folder's files as pages named "<folder>/<file>".
func parsePages(fsys fs.FS, funcs template.FuncMap) (*pageSet, error) {
	base, err := template.New("base").Funcs(funcs).ParseFS(fsys, "templates/layout/*.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	set := &pageSet{byName: map[string]*template.Template{}}
	dirs, err := fs.ReadDir(fsys, "templates")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "layout" || d.Name() == "partials" {
			continue
		}
		files, err := fs.Glob(fsys, path.Join("templates", d.Name(), "*.html"))
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		for _, f := range files {
			name := d.Name() + "/" + strings.TrimSuffix(path.Base(f), ".html")
			if name == "errors/plain" {
				set.plain, err = template.New("plain.html").Funcs(funcs).ParseFS(fsys, f)
				if err != nil {
					return nil, fmt.Errorf("templates: %s: %w", name, err)
				}
				continue
			}
			clone, err := base.Clone()
			if err != nil {
				return nil, fmt.Errorf("templates: %s: %w", name, err)
			}
			if _, err := clone.ParseFS(fsys, f); err != nil {
				return nil, fmt.Errorf("templates: %s: %w", name, err)
			}
			if clone.Lookup("content") == nil {
				return nil, fmt.Errorf("templates: %s defines no \"content\"", name)
			}
			set.byName[name] = clone
		}
	}
	if set.plain == nil {
		return nil, fmt.Errorf("templates: errors/plain.html is missing")
	}
	return set, nil
}

// basePage is embedded in every page struct: what the layout needs.
type basePage struct {
	Ente *tenant.Ente
	Lang i18n.Lang
	// Path is the request path, for the language switcher and the menu.
	Path string
	// Title is the page's own title; the layout appends the ente's name.
	Title string
	// Section is the main-menu item the page belongs to: management, news,
	// all-services, live, or "".
	Section string
	// Breadcrumb lists the pages above this one, the home first.
	Breadcrumb []crumb
	// Rating shows the page-clarity rating at the bottom.
	Rating bool
	// Year is the current year, for the footer.
	Year int
	text *i18n.Catalog
}

// crumb is one step of a breadcrumb.
type crumb struct {
	Label, URL string
}

// T returns the message key in the page's language.
func (p basePage) T(key string, args ...any) string {
	return p.text.T(p.Lang, key, args...)
}

// Desk returns the ente's front desk (punto risposte), or nil.
func (p basePage) Desk() *tenant.Office {
	if p.Ente == nil {
		return nil
	}
	if d, ok := p.Ente.Desk(); ok {
		return &d
	}
	return nil
}

// Langs lists the languages for the switcher, marking the current one.
func (p basePage) Langs() []langLink {
	out := make([]langLink, 0, len(i18n.Langs))
	for _, l := range i18n.Langs {
		out = append(out, langLink{Lang: l, Name: p.text.T(l, "lang.name"), Current: l == p.Lang,
			URL: "/lingua/" + string(l) + "?next=" + url.QueryEscape(p.Path)})
	}
	return out
}

// langLink is one entry of the language switcher.
type langLink struct {
	Lang    i18n.Lang
	Name    string
	URL     string
	Current bool
}

// base fills the parts of basePage that every page shares.
func (s *Server) base(r *http.Request, titleKey string) basePage {
	p := basePage{
		Ente: enteFrom(r.Context()),
		Lang: langFrom(r.Context()),
		Path: r.URL.Path,
		Year: s.now().In(rome).Year(),
		text: s.text,
	}
	if p.Ente == nil {
		p.Lang = i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
	}
	if titleKey != "" {
		p.Title = s.text.T(p.Lang, titleKey)
	}
	return p
}

// rome is the time zone shown to users.
var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

// render executes a page into a buffer and, only if that succeeds, writes
// it with the status: a template error never yields half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, page any) error {
	t, ok := s.pages.byName[name]
	if !ok {
		return fmt.Errorf("render: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", page); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", fmt.Sprint(buf.Len()))
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	if err != nil {
		s.log.DebugContext(r.Context(), "write response", "err", err)
	}
	return nil
}

// templateFuncs are the functions every template may call.
func (s *Server) templateFuncs() template.FuncMap {
	return template.FuncMap{
		"static": s.static.url,
		"join":   strings.Join,
		// paras splits a text into its paragraphs (separated by a blank line).
		"paras":   paragraphs,
		"stars":   func() []int { return []int{1, 2, 3, 4, 5} },
		"answers": func() []int { return []int{1, 2, 3, 4, 5} },
		// ratingBlock is what the "rating-question" partial takes.
		"ratingBlock": func(p texter, kind string, shown bool) ratingRef { return ratingRef{Page: p, Kind: kind, Shown: shown} },
		// hoursOf is what the "hours" partial takes.
		"hoursOf": func(p texter, o tenant.Office) hoursRef { return hoursRef{Page: p, Office: o} },
		// icon names a sprite icon and its extra classes for the "icon" partial.
		"icon": func(name, class string) iconRef { return iconRef{Name: name, Class: class} },
		// logo is the ente's coat of arms: SVG markup set by the administrator.
		"logo": func(e *tenant.Ente) template.HTML {
			if e.LogoSVG == "" {
				return ""
			}
			return template.HTML(e.LogoSVG) //nolint:gosec // trusted: only the ente administrator sets it
		},
	}
}

// iconRef is what the "icon" partial takes.
type iconRef struct {
	Name, Class string
}

// texter is any page: partials that get other data use it for text.
type texter interface {
	T(key string, args ...any) string
}

// ratingRef is what the "rating-question" partial takes.
type ratingRef struct {
	Page texter
	// Kind is "positive" or "negative".
	Kind string
	// Shown is false where a script reveals the question after the stars.
	Shown bool
}

// hoursRef is what the "hours" partial takes.
type hoursRef struct {
	Page   texter
	Office tenant.Office
}

// paragraphs splits text at blank lines, dropping empty paragraphs.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
