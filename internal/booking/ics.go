package booking

import (
	"strconv"
	"strings"
	"time"
	"unicode"
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
	Stamp     time.Time
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
	line("METHOD", "PUBLISH")
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

// escape escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon and
// comma escaped, line breaks as \n, other control characters (which TEXT
// may not hold) and invalid UTF-8 dropped.
func escape(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\r\n", "\n"), "")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteRune('\\')
			b.WriteRune(r)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r == '\t' || !unicode.IsControl(r):
			b.WriteRune(r)
		}
	}
	return b.String()
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
