package pagopasim

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/checkout"
)

//go:embed page.html
var pageFS embed.FS

var pages = template.Must(template.New("page.html").Funcs(template.FuncMap{
	"euro": func(c int64) string { return pagopa.Cents(c).Italian() },
}).ParseFS(pageFS, "page.html"))

// cart is a posted CartRequest waiting on its payment page.
type cart struct {
	id      string
	req     checkout.Cart
	created time.Time
	done    bool
}

// cartCreate is POST /checkout/ec/v1/carts: every notice must be payable
// now for its amount; the answer is a 302 to the payment page.
func (s *Sim) cartCreate(w http.ResponseWriter, r *http.Request) {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	var c checkout.Cart
	if err := dec.Decode(&c); err != nil {
		problem(w, http.StatusBadRequest, "Bad Request", err.Error())
		return
	}
	if n := len(c.PaymentNotices); n < 1 || n > checkout.MaxNotices {
		problem(w, http.StatusBadRequest, "Bad Request", "paymentNotices must hold 1 to 5 notices")
		return
	}
	for _, u := range []string{c.ReturnURLs.OK, c.ReturnURLs.Cancel, c.ReturnURLs.Error} {
		if p, err := url.Parse(u); err != nil || !p.IsAbs() {
			problem(w, http.StatusBadRequest, "Bad Request", "returnUrls must be absolute URLs")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range c.PaymentNotices {
		if len(n.FiscalCode) != 11 || len(n.NoticeNumber) != 18 || len(n.Description) > 140 || len(n.CompanyName) > 140 {
			problem(w, http.StatusBadRequest, "Bad Request", "malformed notice "+n.NoticeNumber)
			return
		}
		if _, err := s.verify(n.FiscalCode, n.NoticeNumber, n.Amount); err != nil {
			problem(w, http.StatusBadRequest, "Bad Request", "notice "+n.NoticeNumber+": "+err.Error())
			return
		}
	}
	id := randomID()
	s.carts[id] = &cart{id: id, req: c, created: s.now()}
	// Relative to .../checkout/ec/v1/carts, wherever the simulator is mounted.
	w.Header().Set("Location", "../../c/"+id)
	w.WriteHeader(http.StatusFound)
}

// pageData is the payment page.
type pageData struct {
	Notices     []checkout.Notice
	Total       int64
	Stylesheets []string
}

// cartPage is the simulated Checkout page: the notices and three buttons.
func (s *Sim) cartPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	c, ok := s.carts[r.PathValue("cart")]
	sheets := s.opt.Stylesheets
	s.mu.Unlock()
	if !ok {
		http.Error(w, "Carrello non trovato", http.StatusNotFound)
		return
	}
	d := pageData{Notices: c.req.PaymentNotices, Stylesheets: sheets}
	for _, n := range c.req.PaymentNotices {
		d.Total += n.Amount
	}
	var buf bytes.Buffer
	if err := pages.Execute(&buf, &d); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// cartAction is a button of the payment page: pay (every notice, with a
// receipt each), cancel or error; then back to the matching return URL.
func (s *Sim) cartAction(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.carts[r.PathValue("cart")]
	if !ok {
		http.Error(w, "Carrello non trovato", http.StatusNotFound)
		return
	}
	to := c.req.ReturnURLs.Error
	switch r.PostFormValue("azione") {
	case "paga":
		to = c.req.ReturnURLs.OK
		if c.done {
			break
		}
		for _, n := range c.req.PaymentNotices {
			if _, err := s.pay(n.FiscalCode, n.NoticeNumber, online, randomID()); err != nil && !errors.Is(err, ErrDuplicate) {
				to = c.req.ReturnURLs.Error
			}
		}
		c.done = true
	case "annulla":
		to = c.req.ReturnURLs.Cancel
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// testPay is POST /test/pay (ec, nav): a payment at a tobacconist.
func (s *Sim) testPay(w http.ResponseWriter, r *http.Request) {
	ec, nav := r.PostFormValue("ec"), r.PostFormValue("nav")
	var id string
	var err error
	if url := s.station(); url != "" {
		id, err = s.PayAtStation(r.Context(), url, ec, nav, Tobacconist)
	} else {
		id, err = s.Pay(ec, nav, Tobacconist)
	}
	if err != nil {
		problem(w, http.StatusUnprocessableEntity, err.Error(), "the notice cannot be paid")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"receiptId": id})
}

// testClock is POST /test/clock (advance: a duration such as 48h).
func (s *Sim) testClock(w http.ResponseWriter, r *http.Request) {
	d, err := time.ParseDuration(r.PostFormValue("advance"))
	if err != nil || d < 0 {
		problem(w, http.StatusBadRequest, "BAD REQUEST", "advance must be a positive duration such as 48h")
		return
	}
	s.Advance(d)
	writeJSON(w, http.StatusOK, map[string]string{"now": s.Now().Format(time.RFC3339)})
}

// index says what this is.
func (s *Sim) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "Simulatore pagoPA di Sportello: GPD, ricevute, Checkout. Vedi docs/pagopa.md.\n")
}
