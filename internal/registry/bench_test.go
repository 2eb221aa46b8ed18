package registry_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/registry"
)

// BenchmarkHousehold reads a household with its members, as every
// residence or family certificate does.
func BenchmarkHousehold(b *testing.B) {
	ctx := context.Background()
	d := testdb.Open(b)
	ente := newEnte(b, d, "ala")
	hs := registry.Generate(300, nil, today)
	if err := d.InTx(ctx, func(tx *sql.Tx) error {
		for _, h := range hs {
			if err := registry.Save(ctx, tx, ente, h); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	var big *registry.Household
	for _, h := range hs {
		if big == nil || len(h.Members) > len(big.Members) {
			big = h
		}
	}
	b.ResetTimer()
	for b.Loop() {
		h, err := registry.GetHousehold(ctx, d, ente, big.ID)
		if err != nil || len(h.Members) != len(big.Members) {
			b.Fatalf("GetHousehold: %d members, %v", len(h.Members), err)
		}
	}
}
