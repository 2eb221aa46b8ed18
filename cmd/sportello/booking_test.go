package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/tenant"
)

// TestBookingReminder composes the reminder of a demo appointment: the
// service's title from the catalogue, the office and its address, the code,
// in Italian.
func TestBookingReminder(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	if _, err := demo.Seed(ctx, d, now); err != nil {
		t.Fatal(err)
	}
	e, err := tenant.BySlug(ctx, d, demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	o, err := tenant.GetOffice(ctx, d, e.ID, "parla")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC) // Thursday 10:00 in Rome
	a, _, err := booking.Hold(ctx, d, e.ID, nil, booking.HoldInput{Office: o, Service: "certificati-anagrafici",
		Channel: booking.Desk, Start: start}, now)
	if err != nil {
		t.Fatal(err)
	}
	a.Name, a.Email = "Mario Rossi", "mario@example.org"
	compose, offer, err := bookingMails("https://comune.example.it/")
	if err != nil {
		t.Fatal(err)
	}
	m, err := compose(ctx, d, a)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Gentile Mario Rossi", "il 26/11/2026 10:00", "pArLA – punto risposte, Piazza San Giovanni 1, 38061 Ala (TN)", a.Code} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("reminder lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.Subject, a.Code) || m.To != "mario@example.org" || m.Kind != "booking-reminder" {
		t.Errorf("reminder %+v", m)
	}
	// The waiting list's offer links to the appointment's page.
	m, err = offer(ctx, d, &booking.Offer{Appointment: a, Token: "tok+en"})
	if err != nil {
		t.Fatal(err)
	}
	link := "https://comune.example.it/prenota-appuntamento/" + a.Code + "?t=tok%2Ben"
	if !strings.Contains(m.Text, link) || m.Kind != "booking-offer" || !strings.Contains(m.Subject, "Si è liberato un posto") {
		t.Errorf("offer lacks %q: %+v", link, m)
	}
}
