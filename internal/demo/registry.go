package demo

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/registry"
	"github.com/sportello/sportello/internal/sim/spididp"
	"github.com/sportello/sportello/internal/tenant"
)

// Residents is how many fictional residents the demo's anagrafe holds.
const Residents = 400

// spidHouseholds are the households of the test identity providers'
// people, so that each login finds its registry record: Giuseppina alone
// (widowed), the Tomasi family of three, Youssef born in Morocco, the
// architect Alessandro.
func spidHouseholds() []*registry.Household {
	byCode := map[string]spididp.Identity{}
	for _, id := range spididp.DemoIdentities() {
		byCode[id.SpidCode] = id
	}
	person := func(code string, rel registry.Relationship, civil registry.CivilStatus) *registry.Person {
		id := byCode[code]
		return &registry.Person{Surname: id.FamilyName, Name: id.Name, Sex: id.Gender,
			BirthDate: calendar.DateOf(id.DateOfBirth), BirthPlace: id.PlaceOfBirth, Relationship: rel, CivilStatus: civil}
	}
	address := func(street, number, locality string) registry.Address {
		return registry.Address{Street: street, HouseNumber: number, Postcode: "38061", Locality: locality}
	}
	giuseppina := person("SIMU0000000001", registry.Head, registry.Widowed)
	giuseppina.BirthAct = "atto n. 21, parte I, serie A, anno 1951"
	marco := person("SIMU0000000002", registry.Head, registry.Married)
	chiara := person("SIMU0000000003", registry.Spouse, registry.Married)
	married := calendar.D(2006, 6, 10)
	for _, p := range []*registry.Person{marco, chiara} {
		p.MarriageDate, p.MarriagePlace = married, "Ala (TN)"
	}
	marco.Spouse, chiara.Spouse = chiara.FullName(), marco.FullName()
	youssef := person("SIMU0000000005", registry.Head, registry.Single)
	youssef.Citizenship, youssef.RegisteredOn = "MAR", calendar.D(2019, 9, 2)
	return []*registry.Household{
		{Address: address("Via Santa Caterina", "14", ""), Members: []*registry.Person{giuseppina}},
		{Address: address("Via Nuova", "22", ""), Members: []*registry.Person{marco, chiara,
			person("SIMU0000000004", registry.Child, registry.Single)}},
		{Address: address("Frazione Pilcante", "7", "Pilcante"), Members: []*registry.Person{youssef}},
		{Address: address("Piazza San Giovanni", "3", ""), Members: []*registry.Person{
			person("SIMU0000000006", registry.Head, registry.Divorced)}},
	}
}

// SeedRegistry fills the demo ente's anagrafe unless it holds anyone: the
// test identities' households first, then generated residents, the same on
// every start.
func SeedRegistry(ctx context.Context, d *db.DB, ente tenant.ID) error {
	c, err := registry.Count(ctx, d, ente)
	if err != nil {
		return fmt.Errorf("demo: seed registry: %w", err)
	}
	if c.Persons > 0 {
		return nil
	}
	// A fixed day, so that the generated ages do not drift between starts.
	households := registry.Generate(Residents, spidHouseholds(), calendar.D(2026, 1, 1))
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		for _, h := range households {
			if err := registry.Save(ctx, tx, ente, h); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo: seed registry: %w", err)
	}
	return nil
}
