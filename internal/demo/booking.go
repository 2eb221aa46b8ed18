package demo

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/tenant"
)

// seedBooking gives the demo its appointment calendars: two desks, the
// phone call-back line and the mobile operator at the punto risposte, which
// delivers every service, and one desk at the registry office for its own.
func seedBooking(ctx context.Context, tx *sql.Tx, e *tenant.Ente) error {
	cat, err := catalog.Shipped()
	if err != nil {
		return err
	}
	all := func(minutes int) map[string]int {
		out := map[string]int{}
		for _, s := range cat.All() {
			out[s.Slug] = minutes
		}
		return out
	}
	of := func(office string, minutes int) map[string]int {
		out := map[string]int{}
		for _, s := range cat.All() {
			if s.Office == office {
				out[s.Slug] = minutes
			}
		}
		return out
	}
	afternoons := []tenant.Hours{{Weekday: time.Tuesday, Opens: "14:00", Closes: "16:00"},
		{Weekday: time.Thursday, Opens: "14:00", Closes: "16:00"}}
	for _, o := range e.Offices {
		var cals []*booking.Calendar
		switch o.Slug {
		case "parla":
			cals = []*booking.Calendar{
				{Name: "Sportello 1", Channel: booking.Desk, Services: all(30)},
				{Name: "Sportello 2", Channel: booking.Desk, Services: all(30)},
				{Name: "Richiamata telefonica", Channel: booking.Phone, Services: all(15)},
				{Name: "Operatore a domicilio", Channel: booking.Home, Services: all(45), TravelMinutes: 30, Hours: afternoons},
			}
		case "anagrafe":
			cals = []*booking.Calendar{{Name: "Sportello anagrafe", Channel: booking.Desk, Services: of("anagrafe", 30)}}
		}
		for _, c := range cals {
			if len(c.Services) == 0 {
				continue
			}
			c.Ente, c.Office, c.Seats, c.Step, c.Active = e.ID, o.ID, 1, 15, true
			c.WindowDays, c.NoticeMinutes, c.ChangeMinutes = 30, 120, 24*60
			if err := booking.CreateCalendar(ctx, tx, c); err != nil {
				return fmt.Errorf("calendar %s: %w", c.Name, err)
			}
		}
	}
	return nil
}
