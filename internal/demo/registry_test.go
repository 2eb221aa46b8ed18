package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/registry"
	"github.com/sportello/sportello/internal/sim/spididp"
	"github.com/sportello/sportello/internal/tenant"
)

func TestSeedRegistry(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	if _, err := demo.Seed(ctx, d, now); err != nil {
		t.Fatal(err)
	}
	e, err := tenant.BySlug(ctx, d, demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second run keeps what the first stored
		if err := demo.SeedRegistry(ctx, d, e.ID); err != nil {
			t.Fatal(err)
		}
	}
	c, err := registry.Count(ctx, d, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Persons < demo.Residents || c.Persons > demo.Residents+5 {
		t.Errorf("%d persons, want about %d", c.Persons, demo.Residents)
	}
	// Every test identity logs in to a registry record of their own.
	sizes := map[string]int{}
	for _, id := range spididp.DemoIdentities() {
		p, err := registry.PersonByFiscalCode(ctx, d, e.ID, id.FiscalCode)
		if err != nil {
			t.Fatalf("%s %s: %v", id.Name, id.FamilyName, err)
		}
		h, err := registry.GetHousehold(ctx, d, e.ID, p.Household)
		if err != nil {
			t.Fatal(err)
		}
		sizes[id.FamilyName] = len(h.Members)
	}
	want := map[string]int{"Zandonai": 1, "Tomasi": 3, "Pederzolli": 3, "El Idrissi": 1, "Bertolini": 1}
	for k, v := range want {
		if sizes[k] != v {
			t.Errorf("%s's household has %d members, want %d", k, sizes[k], v)
		}
	}
}
