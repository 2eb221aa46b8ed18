// Package demo seeds the demonstration comune that `sportello demo` serves:
// Comune di Ala (TN), its punto risposte and a few offices. Every person,
// phone number and address book entry in it is fictional.
package demo

import (
	"github.com/sportello/sportello/internal/calendar"

	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// Slug identifies the demo ente.
const Slug = "ala"

// Hosts are the names the demo ente answers on, so that the URL the demo
// prints works on any port.
var Hosts = []string{"127.0.0.1", "::1", "localhost"}

// logoSVG is a plain shield standing in for the coat of arms.
const logoSVG = `<svg class="ente-logo" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 56" aria-hidden="true" focusable="false">` +
	`<path fill="#fff" d="M2 2h44v26c0 14-10 22-22 26C12 50 2 42 2 28z"/>` +
	`<path fill="#c00" d="M6 6h18v44C14 46 6 39 6 28z"/><path fill="#06c" d="M24 6h18v22c0 11-8 18-18 22z"/></svg>`

// Ente returns the demo comune as it is seeded.
func Ente() *tenant.Ente {
	weekdays := func(opens, closes string, days ...time.Weekday) []tenant.Hours {
		var out []tenant.Hours
		for _, d := range days {
			out = append(out, tenant.Hours{Weekday: d, Opens: opens, Closes: closes})
		}
		return out
	}
	mornings := weekdays("08:30", "12:30", time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday)
	return &tenant.Ente{
		Slug: Slug, Name: "Comune di Ala", IstatCode: "022001", Belfiore: "A116", IPACode: "c_a116",
		FiscalCode: "00000000221", Province: "TN",
		Email: "info@comune.ala.example", PEC: "comune.ala@pec.example", Phone: "+39 0464 000000",
		LogoSVG: logoSVG, Hosts: Hosts, PatronDays: []calendar.MonthDay{{Month: time.February, Day: 14}},
		Offices: []tenant.Office{
			{
				Slug: "parla", Name: "pArLA – punto risposte", IsDesk: true,
				Description: "Il punto risposte del Comune: tutti i servizi in un solo posto, su appuntamento di persona o per telefono. " +
					"Gli operatori presentano le richieste per conto dei cittadini, aiutano ad attivare SPID e a prenotare i servizi nazionali; per chi non può muoversi c'è l'operatore a domicilio.",
				Street: "Piazza San Giovanni 1", PostalCode: "38061", City: "Ala (TN)",
				Phone: "+39 0464 000001", Email: "parla@comune.ala.example",
				Hours: append(append([]tenant.Hours{}, mornings...), tenant.Hours{Weekday: time.Thursday, Opens: "14:00", Closes: "17:30"}),
			},
			{
				Slug: "anagrafe", Name: "Anagrafe e stato civile",
				Description: "Residenza, certificati, carte d'identità, stato civile, elettorale.",
				Street:      "Piazza San Giovanni 1", PostalCode: "38061", City: "Ala (TN)",
				Phone: "+39 0464 000002", Email: "anagrafe@comune.ala.example",
				Hours: weekdays("08:30", "12:30", time.Monday, time.Wednesday, time.Friday),
			},
			{
				Slug: "edilizia", Name: "Edilizia privata",
				Description: "Pratiche edilizie: CILA, SCIA, permesso di costruire, agibilità.",
				Street:      "Piazza San Giovanni 1", PostalCode: "38061", City: "Ala (TN)",
				Phone: "+39 0464 000003", Email: "edilizia@comune.ala.example",
				Hours: weekdays("09:00", "12:00", time.Tuesday, time.Thursday),
			},
			{
				Slug: "tributi", Name: "Tributi",
				Description: "IMIS, tariffa rifiuti, canone unico, rimborsi.",
				Street:      "Piazza San Giovanni 1", PostalCode: "38061", City: "Ala (TN)",
				Phone: "+39 0464 000004", Email: "tributi@comune.ala.example",
				Hours: weekdays("08:30", "12:30", time.Monday, time.Thursday),
			},
			{
				Slug: "polizia-locale", Name: "Polizia locale",
				Description: "Sanzioni, permessi di circolazione, oggetti smarriti.",
				Street:      "Via della Stazione 10", PostalCode: "38061", City: "Ala (TN)",
				Phone: "+39 0464 000005", Email: "polizia.locale@comune.ala.example",
				Hours: weekdays("10:00", "12:00", time.Monday, time.Wednesday, time.Saturday),
			},
		},
	}
}

// Seed creates the demo comune unless it exists already, so that a second
// start keeps whatever the first one stored. It reports whether it created it.
func Seed(ctx context.Context, d *db.DB, now time.Time) (bool, error) {
	_, err := tenant.BySlug(ctx, d, Slug)
	if err == nil {
		return false, nil
	}
	if !apperr.Is(err, apperr.NotFound) {
		return false, fmt.Errorf("demo: seed: %w", err)
	}
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		e := Ente()
		if err := tenant.Create(ctx, tx, e, now); err != nil {
			return err
		}
		if err := seedBooking(ctx, tx, e); err != nil {
			return err
		}
		return seedPayments(ctx, tx, e.ID, now)
	})
	if err != nil {
		return false, fmt.Errorf("demo: seed: %w", err)
	}
	return true, nil
}
