package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/tenant"
)

func TestSeedIsIdempotent(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for i, want := range []bool{true, false} {
		created, err := demo.Seed(ctx, d, now)
		if err != nil {
			t.Fatal(err)
		}
		if created != want {
			t.Errorf("Seed #%d created = %v, want %v", i+1, created, want)
		}
	}
	for _, host := range []string{"localhost:8080", "127.0.0.1:39999", "[::1]:8080"} {
		e, err := tenant.ByHost(ctx, d, host)
		if err != nil {
			t.Fatalf("ByHost(%q): %v", host, err)
		}
		if e.IstatCode != "022001" || e.Belfiore != "A116" {
			t.Errorf("ByHost(%q) = %s %s %s", host, e.Name, e.IstatCode, e.Belfiore)
		}
		desk, ok := e.Desk()
		if !ok || desk.Street != "Piazza San Giovanni 1" {
			t.Errorf("demo desk = %+v, %v", desk, ok)
		}
		if len(e.Offices) != 5 {
			t.Errorf("demo has %d offices, want 5", len(e.Offices))
		}
	}
}
