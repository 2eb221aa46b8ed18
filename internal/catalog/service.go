package catalog

import (
	"fmt"
	"regexp"
	"strings"
)

// Service is one card of the catalogue: every section of the Modello Comuni
// scheda servizio, plus what the engine needs to deliver the service and the
// CPSV-AP_IT fields for harvesting. Definitions are JSON files (see
// Load); a pratica records the Version it was filed under.
type Service struct {
	// Slug identifies the service in URLs and never changes.
	Slug string `json:"slug"`
	// Version grows with every published change of the definition.
	Version int    `json:"version"`
	Title   string `json:"title"`
	// Description is the short text under the title (service-description).
	Description string `json:"description"`
	// Category is the slug of one of the fifteen Categories.
	Category string `json:"category"`
	// Topics are the Modello Comuni topics (argomenti) the service belongs to.
	Topics []string `json:"topics"`
	// Active is false when the service is suspended; InactiveReason says why.
	Active         bool   `json:"active"`
	InactiveReason string `json:"inactive_reason,omitempty"`

	// The mandatory sections, in the order the scheda shows them.
	Addressed  string   `json:"addressed"`  // A chi è rivolto
	HowTo      string   `json:"how_to"`     // Come fare
	Needed     []string `json:"needed"`     // Cosa serve
	Achieved   string   `json:"achieved"`   // Cosa si ottiene
	Times      string   `json:"times"`      // Tempi e scadenze
	Deadlines  []Step   `json:"deadlines"`  // Tempi e scadenze, as a list of steps
	Conditions string   `json:"conditions"` // Condizioni di servizio

	// The optional sections.
	Cost         string       `json:"cost,omitempty"`          // Quanto costa
	SpecialCases string       `json:"special_cases,omitempty"` // Casi particolari
	Attachments  []Attachment `json:"attachments,omitempty"`   // Allegati

	// Channels lists how the service is delivered: online, desk, phone.
	Channels []string `json:"channels"`
	// SPIDLevel is the SPID level the online service requires (1–3), 0 if none.
	SPIDLevel int `json:"spid_level"`
	// Office is the slug of the responsible office (Contatti).
	Office string `json:"office"`
	// TermDays is the legal term to conclude the procedure, 0 if immediate.
	TermDays int `json:"term_days"`
	// TermWorkingDays counts TermDays in working days; calendar days (the
	// rule of L. 241/1990) when false.
	TermWorkingDays bool `json:"term_working_days,omitempty"`
	// SilentAssent says that a term expired without a decision grants the
	// request (silenzio assenso, L. 241/1990 art. 20).
	SilentAssent bool `json:"silent_assent,omitempty"`
	// FeeCents is what the citizen pays with pagoPA when filing online
	// (euro cents), 0 when the online request is free; the pratica waits for
	// the payment before the office takes it.
	FeeCents int64 `json:"fee_cents,omitempty"`

	// CPSV-AP_IT fields not covered by the sections above.
	Output     string   `json:"output"`      // the document or decision obtained
	LifeEvents []string `json:"life_events"` // life events the service answers
}

// Step is one dated entry of Tempi e scadenze.
type Step struct {
	// When is a short label: "Entro 30 giorni", "Subito".
	When string `json:"when"`
	Text string `json:"text"`
}

// Attachment is a downloadable document of the scheda (a form, a guide).
type Attachment struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Channel names accepted in Service.Channels.
const (
	ChannelOnline = "online"
	ChannelDesk   = "desk"
	ChannelPhone  = "phone"
)

var serviceSlugRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Validate checks a definition before it is published, listing every
// problem at once so that the administrator can fix them together.
func (s *Service) Validate() error {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if !serviceSlugRe.MatchString(s.Slug) {
		add("slug %q: lowercase letters, digits and dashes", s.Slug)
	}
	if s.Version < 1 {
		add("version must be 1 or more")
	}
	if _, ok := CategoryBySlug(s.Category); !ok {
		add("category %q is not one of the fifteen", s.Category)
	}
	for name, v := range map[string]string{
		"title": s.Title, "description": s.Description, "addressed": s.Addressed, "how_to": s.HowTo,
		"achieved": s.Achieved, "times": s.Times, "conditions": s.Conditions, "office": s.Office, "output": s.Output,
	} {
		if strings.TrimSpace(v) == "" {
			add("%s is empty", name)
		}
	}
	if len(s.Needed) == 0 {
		add("needed lists nothing")
	}
	if !s.Active && strings.TrimSpace(s.InactiveReason) == "" {
		add("an inactive service needs inactive_reason")
	}
	if len(s.Channels) == 0 {
		add("no channels")
	}
	for _, c := range s.Channels {
		if c != ChannelOnline && c != ChannelDesk && c != ChannelPhone {
			add("channel %q: want online, desk or phone", c)
		}
	}
	if s.SPIDLevel < 0 || s.SPIDLevel > 3 {
		add("spid_level %d: want 0 to 3", s.SPIDLevel)
	}
	if s.TermDays < 0 {
		add("term_days is negative")
	}
	if (s.TermWorkingDays || s.SilentAssent) && s.TermDays == 0 {
		add("term_working_days and silent_assent need term_days")
	}
	if s.FeeCents < 0 {
		add("fee_cents is negative")
	}
	if len(s.Topics) == 0 {
		add("no topics")
	}
	for _, a := range s.Attachments {
		if strings.TrimSpace(a.Title) == "" || !(strings.HasPrefix(a.URL, "/") || strings.HasPrefix(a.URL, "https://")) {
			add("attachment %q: needs a title and a local or https URL", a.Title)
		}
	}
	if len(probs) > 0 {
		return fmt.Errorf("service %q: %s", s.Slug, strings.Join(probs, "; "))
	}
	return nil
}

// Online reports whether the service can be requested online.
func (s *Service) Online() bool {
	for _, c := range s.Channels {
		if c == ChannelOnline {
			return true
		}
	}
	return false
}
