// Package booking is the comune's appointments: each office's calendars (a
// desk, an operator, the phone line that calls citizens back, the mobile
// operator who visits homes), the services each takes bookings for and how
// long they last, hours, closures and holidays, seats; availability; holds
// that lapse by themselves; confirmation with a code and an .ics file;
// reminders; cancelling and moving; a waiting list that offers a freed slot
// to the next person.
//
// No double booking, ever: an appointment owns one seat of every cell (a
// step of its calendar) it spans, a row keyed by (calendar, minute, seat),
// so the database refuses a second owner whatever the interleaving; a hold
// is the same row with a lapse time, and a lapsed hold's cell is taken over
// by the next booker in the same statement (see claim). Holds never need a
// sweep to free their slot; Sweep only tidies.
package booking

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/tenant"
)

// CalendarID identifies a calendar within its ente.
type CalendarID int64

// ID identifies an appointment within its ente.
type ID int64

// Channel is how the appointment takes place.
type Channel string

// The channels: at the office's desk, a call-back on the citizen's phone, a
// visit at the citizen's home by the mobile operator.
const (
	Desk  Channel = "desk"
	Phone Channel = "phone"
	Home  Channel = "home"
)

// Channels lists the channels in the order the booking form offers them.
var Channels = []Channel{Desk, Phone, Home}

// Valid reports whether c is one of the channels.
func (c Channel) Valid() bool { return c == Desk || c == Phone || c == Home }

// State is where an appointment is in its life.
type State string

// The states: held while the citizen completes the form, confirmed, then at
// the desk checked in and closed with an outcome; or cancelled, or expired
// (a hold never confirmed).
const (
	Held       State = "held"
	Confirmed  State = "confirmed"
	Cancelled  State = "cancelled"
	Expired    State = "expired"
	CheckedIn  State = "checked-in"
	Served     State = "served"
	NoShow     State = "no-show"
	Redirected State = "redirected"
)

// Active reports whether the appointment still occupies its slot.
func (s State) Active() bool { return s == Held || s == Confirmed || s == CheckedIn }

// Calendar is one bookable resource of an office: a desk, an operator, a
// phone line or the mobile operator, with its rules.
type Calendar struct {
	ID     CalendarID
	Ente   tenant.ID
	Office int64
	Name   string
	// Channel is how this calendar's appointments take place.
	Channel Channel
	// Seats is how many appointments may run at once (operators at one desk).
	Seats int
	// Step is the grain of the calendar in minutes; every service's duration
	// is a multiple of it.
	Step int
	// WindowDays is how far ahead citizens may book.
	WindowDays int
	// NoticeMinutes is the least time between booking and appointment.
	NoticeMinutes int
	// ChangeMinutes is the least time before the appointment at which the
	// citizen may still cancel or move it.
	ChangeMinutes int
	// TravelMinutes is kept free after each home visit, to reach the next.
	TravelMinutes int
	Active        bool
	// Services maps each service slug to its duration in minutes.
	Services map[string]int
	// Hours are the calendar's own opening hours; empty means the office's.
	Hours []tenant.Hours
}

// Appointment is one booking, from hold to outcome.
type Appointment struct {
	ID       ID
	Ente     tenant.ID
	Calendar CalendarID
	Office   int64
	Service  string
	Channel  Channel
	State    State
	Start    time.Time
	End      time.Time
	// HeldUntil is when a hold lapses; zero once confirmed.
	HeldUntil time.Time
	// Code is the confirmation code the citizen quotes, e.g. "K7QX-3M9P".
	Code string
	// Citizen is the logged-in citizen who booked, zero without login.
	Citizen    int64
	Name       string
	FiscalCode string
	Email      string
	Phone      string
	// Address is where the mobile operator goes, for a home visit.
	Address string
	// Reason is the "Motivo", Details the citizen's free text (≤ 200).
	Reason     string
	Details    string
	Waitlist   int64
	RemindedAt time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	tokenHash  string
}

// Limits on what a citizen writes, as the Modello Comuni asks.
const (
	MaxDetails = 200
	MaxName    = 200
	MaxAddress = 300
)

// codeAlphabet has no 0/O, 1/I/L: a code read over the phone is not misheard.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// newCode returns a confirmation code of eight characters in two groups.
func newCode() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	var sb strings.Builder
	for i, c := range b {
		if i == 4 {
			sb.WriteByte('-')
		}
		sb.WriteByte(codeAlphabet[int(c)%len(codeAlphabet)])
	}
	return sb.String()
}

// NormalizeCode uppercases a code as typed and restores its dash.
func NormalizeCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s)))
	if len(s) != 8 {
		return s
	}
	return s[:4] + "-" + s[4:]
}

// newToken returns the secret that, with the code, lets whoever booked
// without logging in see, download, cancel or move the appointment; only
// its hash is stored.
func newToken() (token, hash string) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	token = hex.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// ts stores times as both engines keep them: UTC, microseconds.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Rome is where opening hours are read; main imports time/tzdata.
var rome = mustRome()

func mustRome() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic("booking: Europe/Rome: " + err.Error())
	}
	return loc
}

// Rome returns the time zone appointments are shown in.
func Rome() *time.Location { return rome }
