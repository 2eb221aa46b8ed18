package booking

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is what an .ics file says about an appointment.
type Event struct {
	// UID is globally unique and stable: the code at the ente's host, so
	// that a moved appointment replaces itself in the citizen's calendar.
	UID      string
	Summary  string
	Location string
	// Description is plain text; new lines are kept.
	Description string
	Start, End  time.Time
	// Stamp is when the file was made (DTSTAMP).
	Stamp time.Time
	// Organizer is the ente's name, shown as who invites.
	Organizer string
	Cancelled bool
	Sequence  int
}

// ICS renders the event as an iCalendar file (RFC 5545): CRLF line ends,
// lines folded at 75 octets, text escaped, times in UTC, so that every
// calendar program reads it the same way.
func ICS(e Event) []byte {
	var b strings.Builder
	line := func(name, value string) { fold(&b, name+":"+value) }
	const utc = "20060102T150405Z"
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//Sportello//Prenotazione appuntamenti//IT")
	line("CALSCALE", "GREGORIAN")
	if e.Cancelled {
		line("METHOD", "CANCEL")
	} else {
		line("METHOD", "PUBLISH")
	}
	line("BEGIN", "VEVENT")
	line("UID", escape(e.UID))
	line("DTSTAMP", e.Stamp.UTC().Format(utc))
	line("DTSTART", e.Start.UTC().Format(utc))
	line("DTEND", e.End.UTC().Format(utc))
	line("SEQUENCE", strconv.Itoa(e.Sequence))
	line("SUMMARY", escape(e.Summary))
	if e.Location != "" {
		line("LOCATION", escape(e.Location))
	}
	if e.Description != "" {
		line("DESCRIPTION", escape(e.Description))
	}
	if e.Organizer != "" {
		fold(&b, "ORGANIZER;CN="+quoteParam(e.Organizer)+":mailto:noreply@invalid")
	}
	if e.Cancelled {
		line("STATUS", "CANCELLED")
	} else {
		line("STATUS", "CONFIRMED")
		line("BEGIN", "VALARM")
		line("ACTION", "DISPLAY")
		line("DESCRIPTION", escape(e.Summary))
		line("TRIGGER", "-PT1H")
		line("END", "VALARM")
	}
	line("END", "VEVENT")
	line("END", "VCALENDAR")
	return []byte(b.String())
}

// escape escapes a TEXT value (RFC 5545 §3.3.11).
func escape(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// quoteParam quotes a parameter value, which may not hold a double quote.
func quoteParam(s string) string {
	return `"` + strings.NewReplacer(`"`, "'", "\r", " ", "\n", " ").Replace(s) + `"`
}

// fold writes a content line, folded so that no line exceeds 75 octets
// (§3.1), never splitting a UTF-8 character.
func fold(b *strings.Builder, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}
