package booking_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (rerun with -update to accept):\n%s", name, got)
	}
}

func TestICS(t *testing.T) {
	d := calendar.D(2026, 3, 4)
	e := booking.Event{
		UID: "K7QX-3M9P@ala.example", Summary: "Appuntamento: Carta d'identità elettronica",
		Location: "Anagrafe, Piazza San Giovanni 1, 38061 Ala (TN)",
		Description: "Codice di prenotazione: K7QX-3M9P\nPorta: documento d'identità scaduto; fototessera; " +
			"tessera sanitaria. Per annullare o spostare: https://ala.example/prenota-appuntamento/K7QX-3M9P?t=0123456789abcdef",
		Start: at(d, 9, 0), End: at(d, 9, 30), Stamp: t0,
	}
	golden(t, "appointment.ics", booking.ICS(e))
	e.Cancelled, e.Sequence = true, 1
	golden(t, "appointment-cancelled.ics", booking.ICS(e))
}

// FuzzICS checks that any text makes a well-formed file: CRLF lines of at
// most 75 octets, valid UTF-8 if the input was, and unfolding gives back
// each escaped value whole.
func FuzzICS(f *testing.F) {
	f.Add("Carta d'identità", "Via Roma 1, Ala", "riga 1\nriga 2; con \\ e ,")
	f.Add(strings.Repeat("è", 80), "", "")
	f.Add("a\u0085b\x00c", "\xff", "\r\n")
	f.Fuzz(func(t *testing.T, summary, location, description string) {
		out := booking.ICS(booking.Event{UID: "X@y", Summary: summary, Location: location, Description: description,
			Start: t0, End: t0.Add(time.Hour), Stamp: t0})
		if !bytes.HasSuffix(out, []byte("END:VCALENDAR\r\n")) {
			t.Fatalf("no end: %q", out)
		}
		lines := strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n")
		for _, l := range lines {
			if len(l) > 75 {
				t.Fatalf("line of %d octets: %q", len(l), l)
			}
			if strings.ContainsAny(l, "\r\n") {
				t.Fatalf("bare line break in %q", l)
			}
			if utf8.ValidString(summary+location+description) && !utf8.ValidString(l) {
				t.Fatalf("a fold split a character: %q", l)
			}
		}
		unfolded := strings.ReplaceAll(strings.TrimSuffix(string(out), "\r\n"), "\r\n ", "")
		if !strings.Contains(unfolded, "\r\nSUMMARY:"+escapeText(summary)+"\r\n") {
			t.Fatalf("summary not found whole in %q", unfolded)
		}
	})
}

// escapeText is RFC 5545's TEXT escaping, written again for the test.
func escapeText(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\r\n", "\n"), "")
	var b strings.Builder
	for _, r := range s {
		switch {
		case strings.ContainsRune(`\;,`, r):
			b.WriteString(`\` + string(r))
		case r == '\n', r == '\r':
			b.WriteString(`\n`)
		case r == '\t', !unicode.IsControl(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
