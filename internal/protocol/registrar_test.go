package protocol_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/protocol"
)

// TestBuiltinIsTheRegister checks that the Registrar callers hold numbers,
// chains and annuls exactly as the package functions do.
func TestBuiltinIsTheRegister(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	var reg protocol.Registrar = protocol.Builtin{}
	first, second := incoming(ente, "prima"), incoming(ente, "seconda")
	var annulment *protocol.Entry
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		if err := reg.Register(ctx, tx, first, now); err != nil {
			return err
		}
		if err := reg.Register(ctx, tx, second, now); err != nil {
			return err
		}
		var err error
		annulment, err = reg.Annul(ctx, tx, ente, first.Year, first.Number, "errore", "determina 1/2026", "user:1", now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if first.Number != 1 || second.Number != 2 || annulment.Number != 3 || annulment.AnnulsNumber != 1 {
		t.Errorf("numbers %s %s %s (annuls %s), want 1 2 3 (annuls 1)", first.Number, second.Number, annulment.Number, annulment.AnnulsNumber)
	}
	if second.PreviousHash != first.Hash {
		t.Error("the second entry does not chain to the first")
	}
	if err := protocol.Verify(ctx, d, ente, 2026); err != nil {
		t.Error(err)
	}
}
