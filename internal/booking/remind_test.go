package booking_test

import (
	"context"
	"testing"

	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/mail"
)

func TestRemind(t *testing.T) {
	f := setup(t)
	j := f.jobsClient(t)
	tomorrow := f.book(t, f.ala, "carta-identita", booking.Desk, at(calendar.D(2026, 3, 3), 9, 0), t0)
	f.book(t, f.ala, "carta-identita", booking.Desk, at(calendar.D(2026, 3, 4), 9, 0), t0) // too far yet
	f.book(t, f.avio, "certificati", booking.Desk, at(calendar.D(2026, 3, 3), 9, 30), t0)
	compose := func(_ context.Context, _ db.Querier, a *booking.Appointment) (mail.Message, error) {
		return mail.Message{Ente: a.Ente, To: a.Email, Kind: "booking-reminder", Ref: "appointment:" + a.Code,
			Subject: "Promemoria", Text: "Domani alle " + a.Start.In(rome).Format("15:04")}, nil
	}
	n, err := booking.Remind(ctx, f.d, j, compose, t0)
	if err != nil || n != 2 {
		t.Fatalf("first run: %d reminders, %v; want 2 (one per ente, tomorrow's)", n, err)
	}
	if n, err := booking.Remind(ctx, f.d, j, compose, t0.Add(booking.RemindBefore/2)); err != nil || n != 0 {
		t.Errorf("second run: %d reminders, %v; want none (already sent)", n, err)
	}
	sent, err := mail.List(ctx, f.d, f.ala.ente, mail.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 || sent[0].Ref != "appointment:"+tomorrow.Code || sent[0].Text != "Domani alle 09:00" {
		t.Errorf("Ala's outbox: %+v", sent)
	}
}
