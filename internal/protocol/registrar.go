package protocol

import (
	"context"
	"database/sql"
	"time"

	"github.com/sportello/sportello/internal/tenant"
)

// Registrar is where an ente's documents get their protocol number. Many
// comuni already keep their register in a protocollo informatico of their
// own (the one their back office and their PEC run on) and must keep a
// single register per AOO (DPR 445/2000 art. 61): for them Sportello
// registers through an adapter to that system instead of numbering itself.
// The built-in register (Builtin) is the first implementation; callers such
// as the pratica's submission and decision take a Registrar so that the
// choice is made once, in main.
//
// The contract, which an adapter must keep:
//
//   - Register runs inside the caller's transaction and returns only when
//     e has its Year, Number and RegisteredAt, so that the receipt the
//     citizen gets in the same transaction carries the number. It must not
//     commit or roll back tx; when it fails the caller rolls back, and no
//     number may remain taken (or, for a system that cannot give a number
//     back, the adapter must annul it there).
//   - Annul registers the annulment of year/number with its reason and
//     authorising act (art. 54) and returns the annulment entry.
//   - Errors carry apperr kinds: Invalid for input the system refuses,
//     NotFound for an unknown entry, Conflict for an entry already annulled,
//     Unavailable when the system cannot be reached (the caller tells the
//     citizen to retry, or the office uses the emergency register, art. 63).
//   - An adapter may leave PreviousHash and Hash empty: the hash chain is
//     the built-in register's own guarantee; an external system answers for
//     its own integrity.
//
// Work that need not hold the transaction open (uploading documents,
// sending the segnatura) belongs in a job queued in tx, so that it happens
// if and only if the registration commits; see the package example.
type Registrar interface {
	Register(ctx context.Context, tx *sql.Tx, e *Entry, now time.Time) error
	Annul(ctx context.Context, tx *sql.Tx, ente tenant.ID, year int, number Number, reason, act, by string, now time.Time) (*Entry, error)
}

// Builtin is the Registrar backed by this package's own register, in the
// application's database: gapless numbers, immutable entries, a hash chain
// and the daily register.
type Builtin struct{}

var _ Registrar = Builtin{}

// Register numbers and records e with the package's Register.
func (Builtin) Register(ctx context.Context, tx *sql.Tx, e *Entry, now time.Time) error {
	return Register(ctx, tx, e, now)
}

// RegisterAll numbers and records es with the package's RegisterAll.
func (Builtin) RegisterAll(ctx context.Context, tx *sql.Tx, es []*Entry, now time.Time) error {
	return RegisterAll(ctx, tx, es, now)
}

// BatchRegistrar is a Registrar that registers several entries at once
// more cheaply than one at a time, as Builtin does; a group commit uses it
// when the ente's Registrar has it.
type BatchRegistrar interface {
	RegisterAll(ctx context.Context, tx *sql.Tx, es []*Entry, now time.Time) error
}

var _ BatchRegistrar = Builtin{}

// RegisterEach registers es with r: all at once when r can, else one at
// a time.
func RegisterEach(ctx context.Context, r Registrar, tx *sql.Tx, es []*Entry, now time.Time) error {
	if b, ok := r.(BatchRegistrar); ok {
		return b.RegisterAll(ctx, tx, es, now)
	}
	for _, e := range es {
		if err := r.Register(ctx, tx, e, now); err != nil {
			return err
		}
	}
	return nil
}

// Annul records an annulment with the package's Annul.
func (Builtin) Annul(ctx context.Context, tx *sql.Tx, ente tenant.ID, year int, number Number, reason, act, by string, now time.Time) (*Entry, error) {
	return Annul(ctx, tx, ente, year, number, reason, act, by, now)
}
