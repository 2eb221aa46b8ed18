// Package mailcatcher is the demo's mailbox: a page that lists, per ente,
// the e-mail that internal/mail's Catcher "sent", so that whoever tries the
// demo sees the confirmation codes and receipts a citizen would receive,
// without any message leaving the machine. It reads the mail table (the
// Catcher stores nothing else) and listens on no SMTP port.
//
// The host mounts it only in demo mode, under one path:
//
//	h, err := mailcatcher.New(d, enteOf, mailcatcher.Options{Base: "/_sim/posta"})
//	mux.Handle("GET /_sim/posta/", h)
//
// Pages are plain HTML in Italian with no script and no inline style, so
// they work under the host's Content-Security-Policy; the HTML part of a
// message is shown as escaped source, never rendered, since it is content
// the page does not control.
package mailcatcher

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/tenant"
)

//go:embed page.html
var pageFS embed.FS

// Options tunes New.
type Options struct {
	// Base is the path the handler is mounted under, without a trailing
	// slash, e.g. "/_sim/posta"; the list is at Base+"/", a message at
	// Base+"/{id}".
	Base string
	// Stylesheets are the host's stylesheet URLs, linked from every page.
	Stylesheets []string
	// Limit is how many messages the list shows; zero means mail.DefaultLimit.
	Limit int
	// Logger receives failures; nil discards them.
	Logger *slog.Logger
}

// Handler serves the catcher's pages.
type Handler struct {
	db     *db.DB
	enteOf func(*http.Request) (tenant.ID, bool)
	opt    Options
	tmpl   *template.Template
	rome   *time.Location
	mux    *http.ServeMux
}

// New returns the catcher's handler. enteOf tells which ente a request is
// for (the host's lookup from the Host header): each ente sees only its own
// messages. It parses the page templates now, so a broken one stops the
// start.
func New(d *db.DB, enteOf func(*http.Request) (tenant.ID, bool), opt Options) (*Handler, error) {
	if d == nil || enteOf == nil {
		return nil, errors.New("mailcatcher: database and ente lookup are required")
	}
	if !strings.HasPrefix(opt.Base, "/") || strings.HasSuffix(opt.Base, "/") || strings.ContainsAny(opt.Base, "{} ") {
		return nil, fmt.Errorf("mailcatcher: Base %q: want a path such as /_sim/posta", opt.Base)
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	tmpl, err := template.ParseFS(pageFS, "page.html")
	if err != nil {
		return nil, fmt.Errorf("mailcatcher: %w", err)
	}
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return nil, fmt.Errorf("mailcatcher: load Europe/Rome (import time/tzdata in main): %w", err)
	}
	h := &Handler{db: d, enteOf: enteOf, opt: opt, tmpl: tmpl, rome: rome, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+opt.Base+"/{$}", h.handle(h.list))
	h.mux.HandleFunc("GET "+opt.Base+"/{id}", h.handle(h.show))
	h.mux.HandleFunc("/", h.handle(func(w http.ResponseWriter, r *http.Request, p *base) error {
		return apperr.Errorf(apperr.NotFound, "mailcatcher: no page %s", r.URL.Path)
	}))
	return h, nil
}

// ServeHTTP answers the list and the message pages; anything else is 404.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// csp is used when the host set none: no script, no frame, styles and
// images from the host only.
const csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// base is what every page shows.
type base struct {
	Title       string
	Ente        string
	Stylesheets []string
	ListURL     string
	ente        tenant.ID
}

// handle finds the ente, sets the headers, runs fn and turns its error into
// an error page.
func (h *Handler) handle(fn func(http.ResponseWriter, *http.Request, *base) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		if hd.Get("Content-Security-Policy") == "" {
			hd.Set("Content-Security-Policy", csp)
		}
		p := &base{Ente: "Sportello", Stylesheets: h.opt.Stylesheets, ListURL: h.opt.Base + "/"}
		err := h.find(r, p)
		if err == nil {
			err = fn(w, r, p)
		}
		if err != nil {
			h.fail(w, r, p, err)
		}
	}
}

// find fills in the request's ente.
func (h *Handler) find(r *http.Request, p *base) error {
	id, ok := h.enteOf(r)
	if !ok {
		return apperr.Errorf(apperr.NotFound, "mailcatcher: no ente for host %q", r.Host)
	}
	e, err := tenant.Get(r.Context(), h.db, id)
	if err != nil {
		return fmt.Errorf("mailcatcher: %w", err)
	}
	p.ente, p.Ente = id, e.Name
	return nil
}

// errorPage is the page shown when a request fails.
type errorPage struct {
	*base
	Message string
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, p *base, err error) {
	page := errorPage{base: p}
	status := http.StatusInternalServerError
	page.Title, page.Message = "Errore", "Non è stato possibile mostrare la pagina. Riprovi più tardi."
	if apperr.Is(err, apperr.NotFound) {
		status = http.StatusNotFound
		page.Title, page.Message = "Pagina non trovata", "Il messaggio cercato non esiste."
		h.opt.Logger.InfoContext(r.Context(), "mail catcher: not found", "path", r.URL.Path)
	} else {
		h.opt.Logger.ErrorContext(r.Context(), "mail catcher: request failed", "err", err)
	}
	if rerr := h.render(w, status, "error", &page); rerr != nil {
		h.opt.Logger.ErrorContext(r.Context(), "mail catcher: render error page", "err", rerr)
		http.Error(w, page.Message, status)
	}
}

// render executes a page into a buffer, so that a failure yields an error
// page and not half a page.
func (h *Handler) render(w http.ResponseWriter, status int, name string, page any) error {
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, page); err != nil {
		return fmt.Errorf("mailcatcher: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// row is one message in the list.
type row struct {
	URL, Time, Datetime, To, Subject, Kind string
}

// listPage is the ente's sent mail, newest first.
type listPage struct {
	*base
	Messages []row
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request, p *base) error {
	recs, err := mail.List(r.Context(), h.db, p.ente, mail.Filter{Status: mail.Sent, Via: mail.Catcher{}.Via(), Limit: h.opt.Limit})
	if err != nil {
		return fmt.Errorf("mailcatcher: %w", err)
	}
	p.Title = "Posta inviata"
	page := listPage{base: p}
	for _, rec := range recs {
		page.Messages = append(page.Messages, row{
			URL:  h.opt.Base + "/" + strconv.FormatInt(int64(rec.ID), 10),
			Time: h.local(rec.Sent), Datetime: rec.Sent.Format(time.RFC3339),
			To: rec.To, Subject: rec.Subject, Kind: rec.Kind,
		})
	}
	return h.render(w, http.StatusOK, "list", &page)
}

// showPage is one message.
type showPage struct {
	*base
	Time, Datetime, To, Subject, Kind, Ref string
	// Paragraphs are the text part split at blank lines, each a list of
	// lines, so that the text keeps its shape and still reflows.
	Paragraphs [][]string
	// HTML is the HTML part's source, escaped by the template.
	HTML string
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request, p *base) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return apperr.Errorf(apperr.NotFound, "mailcatcher: message %q", r.PathValue("id"))
	}
	rec, err := mail.Get(r.Context(), h.db, p.ente, mail.ID(id))
	if err != nil {
		return fmt.Errorf("mailcatcher: %w", err)
	}
	// Only what the Catcher sent is shown: not what waits, failed, or went
	// out through a real relay.
	if rec.Status != mail.Sent || rec.Via != (mail.Catcher{}).Via() {
		return apperr.Errorf(apperr.NotFound, "mailcatcher: message %d was not caught", id)
	}
	p.Title = "Messaggio: " + rec.Subject
	page := showPage{
		base: p, Time: h.local(rec.Sent), Datetime: rec.Sent.Format(time.RFC3339), To: rec.To,
		Subject: rec.Subject, Kind: rec.Kind, Ref: rec.Ref, Paragraphs: paragraphs(rec.Text), HTML: rec.HTML,
	}
	return h.render(w, http.StatusOK, "show", &page)
}

// local formats t as Italians read it, in Europe/Rome.
func (h *Handler) local(t time.Time) string {
	return t.In(h.rome).Format("02/01/2006 15:04")
}

// paragraphs splits plain text at blank lines, and each paragraph into lines.
func paragraphs(text string) [][]string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out [][]string
	for _, para := range strings.Split(text, "\n\n") {
		para = strings.Trim(para, "\n")
		if strings.TrimSpace(para) == "" {
			continue
		}
		out = append(out, strings.Split(para, "\n"))
	}
	return out
}
