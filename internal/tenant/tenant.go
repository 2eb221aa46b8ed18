// Package tenant models the ente — the public body, here a comune — that
// owns every other row: its identifiers, the host names it answers on, its
// offices and their opening hours. The web layer finds the ente from the
// request's Host and passes its ID to every store call.
package tenant

import (
	"github.com/sportello/sportello/internal/calendar"

	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
)

// ID identifies an ente; every tenant-owned table carries one.
type ID int64

// Ente is one comune (or other public body) served by the deployment.
type Ente struct {
	ID   ID
	Slug string
	// Name is the full official name, e.g. "Comune di Ala".
	Name string
	// IstatCode is the six-digit ISTAT code, e.g. "022001".
	IstatCode string
	// Belfiore is the cadastral code used in codici fiscali, e.g. "A116".
	Belfiore string
	// IPACode is the code in the Indice delle Pubbliche Amministrazioni, e.g. "c_a116".
	IPACode string
	// FiscalCode is the ente's codice fiscale (11 digits).
	FiscalCode string
	// Province is the two-letter province abbreviation, e.g. "TN".
	Province string
	Email    string
	PEC      string
	Phone    string
	// LogoSVG is the coat of arms as inline SVG markup, trusted (set by the administrator).
	LogoSVG string
	// PatronDays are the ente's local holidays (its patron saint's day):
	// no legal term counts them as working days.
	PatronDays []calendar.MonthDay
	// Hosts are the host names (without port) the ente answers on.
	Hosts   []string
	Offices []Office
	Created time.Time
}

// Office is a place where the ente receives the public.
type Office struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	// IsDesk marks the front desk (punto risposte) that delivers every service.
	IsDesk     bool
	Street     string
	PostalCode string
	City       string
	Phone      string
	Email      string
	Hours      []Hours
}

// Hours is one opening interval on one weekday, in local time.
type Hours struct {
	Weekday time.Weekday
	// Opens and Closes are "HH:MM", 24-hour clock.
	Opens, Closes string
}

var (
	istatRe    = regexp.MustCompile(`^[0-9]{6}$`)
	belfioreRe = regexp.MustCompile(`^[A-Z][0-9]{3}$`)
	cfEnteRe   = regexp.MustCompile(`^[0-9]{11}$`)
	slugRe     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	hhmmRe     = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	provRe     = regexp.MustCompile(`^[A-Z]{2}$`)
)

// Validate checks the ente's identifiers, hosts and offices.
func (e *Ente) Validate() error {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if !slugRe.MatchString(e.Slug) {
		add("slug %q: lowercase letters, digits and dashes", e.Slug)
	}
	if strings.TrimSpace(e.Name) == "" {
		add("name is empty")
	}
	if !istatRe.MatchString(e.IstatCode) {
		add("ISTAT code %q: six digits", e.IstatCode)
	}
	if !belfioreRe.MatchString(e.Belfiore) {
		add("Belfiore code %q: a letter and three digits", e.Belfiore)
	}
	if strings.TrimSpace(e.IPACode) == "" {
		add("IPA code is empty")
	}
	if !cfEnteRe.MatchString(e.FiscalCode) {
		add("fiscal code %q: eleven digits", e.FiscalCode)
	}
	if e.Province != "" && !provRe.MatchString(e.Province) {
		add("province %q: two capital letters", e.Province)
	}
	if _, err := calendar.New(calendar.Options{PatronDays: e.PatronDays}); err != nil {
		add("patron days: %v", err)
	}
	if len(e.Hosts) == 0 {
		add("no host names")
	}
	for _, h := range e.Hosts {
		if NormalizeHost(h) != h || h == "" {
			add("host %q: lowercase, without port", h)
		}
	}
	slugs := map[string]bool{}
	for _, o := range e.Offices {
		if !slugRe.MatchString(o.Slug) || slugs[o.Slug] {
			add("office slug %q: missing, malformed or repeated", o.Slug)
		}
		slugs[o.Slug] = true
		if strings.TrimSpace(o.Name) == "" {
			add("office %q: name is empty", o.Slug)
		}
		for _, h := range o.Hours {
			if !hhmmRe.MatchString(h.Opens) || !hhmmRe.MatchString(h.Closes) || h.Opens >= h.Closes {
				add("office %q: hours %s–%s on %s", o.Slug, h.Opens, h.Closes, h.Weekday)
			}
		}
	}
	if len(probs) > 0 {
		return apperr.Errorf(apperr.Invalid, "ente %q: %s", e.Slug, strings.Join(probs, "; "))
	}
	return nil
}

// NormalizeHost lowercases a Host header value and drops its port, so
// "Localhost:8080" and "localhost" name the same ente.
func NormalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	h = strings.TrimSuffix(h, ".")
	return strings.Trim(h, "[]")
}

// Desk returns the ente's front desk, if it has one.
func (e *Ente) Desk() (Office, bool) {
	for _, o := range e.Offices {
		if o.IsDesk {
			return o, true
		}
	}
	return Office{}, false
}

// ShortName is the name without "Comune di", for compact headings.
func (e *Ente) ShortName() string {
	return strings.TrimPrefix(e.Name, "Comune di ")
}

// DayHours is an office's opening on one weekday: one or more intervals.
type DayHours struct {
	Weekday time.Weekday
	// Intervals are "HH:MM–HH:MM", in order.
	Intervals []string
}

// Week returns the office's opening hours grouped by day, Monday first, as
// Italian timetables are written; days without hours are left out.
func (o Office) Week() []DayHours {
	var out []DayHours
	for i := range 7 {
		day := time.Weekday((i + 1) % 7)
		var d DayHours
		for _, h := range o.Hours {
			if h.Weekday == day {
				d.Intervals = append(d.Intervals, h.Opens+"–"+h.Closes)
			}
		}
		if len(d.Intervals) > 0 {
			sort.Strings(d.Intervals)
			d.Weekday = day
			out = append(out, d)
		}
	}
	return out
}

// Calendar is the ente's calendar of working days: national holidays and
// its patron days. The patron days are validated when the ente is stored.
func (e *Ente) Calendar() (*calendar.Calendar, error) {
	return calendar.New(calendar.Options{PatronDays: e.PatronDays})
}

// formatPatronDays writes patron days as the column holds them: "02-14,08-15".
func formatPatronDays(ds []calendar.MonthDay) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%02d-%02d", int(d.Month), d.Day)
	}
	return strings.Join(parts, ",")
}

// parsePatronDays reads the column back.
func parsePatronDays(s string) ([]calendar.MonthDay, error) {
	if s == "" {
		return nil, nil
	}
	var out []calendar.MonthDay
	for part := range strings.SplitSeq(s, ",") {
		var m, d int
		if _, err := fmt.Sscanf(part, "%02d-%02d", &m, &d); err != nil {
			return nil, fmt.Errorf("patron day %q: %w", part, err)
		}
		out = append(out, calendar.MonthDay{Month: time.Month(m), Day: d})
	}
	return out, nil
}
