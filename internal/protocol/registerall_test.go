package protocol_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/tenant"
)

// oneByOne is a Registrar without RegisterAll, so that RegisterEach
// registers one entry at a time.
type oneByOne struct{ protocol.Builtin }

func (oneByOne) RegisterAll() {} // hides Builtin's: not a BatchRegistrar

// TestRegisterAll registers interleaved entries of two enti in one call,
// after one registered alone, and checks that the register is what
// registering them one at a time makes: the same numbers, the same chain
// and hashes, registers that verify.
func TestRegisterAll(t *testing.T) {
	ctx := context.Background()
	if _, ok := protocol.Registrar(oneByOne{}).(protocol.BatchRegistrar); ok {
		t.Fatal("oneByOne is a BatchRegistrar: the test would compare RegisterAll with itself")
	}
	run := func(r protocol.Registrar) [][]*protocol.Entry {
		d := testdb.Open(t)
		a, b := newEnte(t, d, "ala", "022001"), newEnte(t, d, "avio", "022007")
		register(t, d, incoming(a, "prima"), now)
		var es []*protocol.Entry
		for i, ente := range []tenant.ID{a, b, a, a, b} {
			es = append(es, incoming(ente, fmt.Sprintf("domanda %d", i)))
		}
		if err := d.InTx(ctx, func(tx *sql.Tx) error { return protocol.RegisterEach(ctx, r, tx, es, now) }); err != nil {
			t.Fatal(err)
		}
		got := []protocol.Number{es[0].Number, es[1].Number, es[2].Number, es[3].Number, es[4].Number}
		if diff := cmp.Diff([]protocol.Number{2, 1, 3, 4, 2}, got); diff != "" {
			t.Errorf("numbers given (-want +got):\n%s", diff)
		}
		var out [][]*protocol.Entry
		for _, ente := range []tenant.ID{a, b} {
			if err := protocol.Verify(ctx, d, ente, 2026); err != nil {
				t.Errorf("Verify: %v", err)
			}
			list, err := protocol.List(ctx, d, ente, 2026)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, list)
		}
		return out
	}
	one, all := run(oneByOne{}), run(protocol.Builtin{})
	if diff := cmp.Diff(one, all); diff != "" {
		t.Errorf("RegisterAll differs from Register one at a time (-one +all):\n%s", diff)
	}
}

// TestRegisterAllRefusesAnnulments: annulments go through Annul.
func TestRegisterAllRefusesAnnulments(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	a := newEnte(t, d, "ala", "022001")
	bad := incoming(a, "annullamento")
	bad.AnnulReason = "errore"
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		return protocol.RegisterAll(ctx, tx, []*protocol.Entry{incoming(a, "prima"), bad}, now)
	})
	if err == nil {
		t.Fatal("RegisterAll took an annulment")
	}
	if got, err := protocol.List(ctx, d, a, 2026); err != nil || len(got) != 0 {
		t.Errorf("List = %d entries, %v; want none", len(got), err)
	}
}
