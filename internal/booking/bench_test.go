package booking_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
)

// BenchmarkAvailability computes 30 days of slots over an office's 20
// calendars, a third of whose cells are taken, through the database: the
// figure issue 7 bounds at 20 ms.
func BenchmarkAvailability(b *testing.B) {
	f := setup(b)
	s := f.ala
	cals := []*booking.Calendar{s.desk}
	for i := 2; i <= 20; i++ {
		cals = append(cals, f.calendar(b, s, fmt.Sprintf("Sportello %d", i), booking.Desk, 1))
	}
	// Take every third 15-minute cell of every opening hour for 30 days.
	var rows []string
	id := 1
	for day := range 31 {
		d := calendar.D(2026, 3, 2).AddDays(day)
		for _, c := range cals {
			for h := 9; h < 17; h++ {
				for m := 0; m < 60; m += 15 {
					if (h*4+m/15+int(c.ID))%3 != 0 {
						continue
					}
					rows = append(rows, fmt.Sprintf("(%d, %d, %d, 1, %d, 0)", s.ente, c.ID, at(d, h, m).Unix()/60, id))
					id++
				}
			}
		}
	}
	for i := 0; i < len(rows); i += 500 {
		batch := rows[i:min(i+500, len(rows))]
		if _, err := f.d.ExecContext(ctx, `INSERT INTO booking_cell (ente_id, calendar_id, minute, seat, appointment_id,
			held_until) VALUES `+strings.Join(batch, ", ")); err != nil {
			b.Fatal(err)
		}
	}
	q := booking.Query{Office: s.office, Service: "carta-identita", From: calendar.D(2026, 3, 2), Days: 30}
	b.ReportMetric(float64(len(rows)), "cells")
	b.ResetTimer()
	for b.Loop() {
		days, err := booking.Availability(ctx, f.d, s.ente, f.hol, q, t0)
		if err != nil || len(days) == 0 {
			b.Fatal(days, err)
		}
	}
}
