package protocol_test

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/tenant"
)

// remoteRegister is the shape of an adapter for an ente's own protocollo
// informatico. It takes the number synchronously, because the citizen's
// receipt is written in the same transaction and must carry it, and queues
// the slow part (sending the documents and the segnatura) as a job in the
// caller's transaction, so that the transfer happens if and only if the
// registration commits.
type remoteRegister struct {
	// reserve asks the external system for a number over its API (with a
	// deadline taken from ctx); a real adapter holds an HTTP client here.
	reserve func(ctx context.Context, e *protocol.Entry) (year int, n protocol.Number, at time.Time, err error)
	// enqueue queues a job inside tx, as jobs.Jobs.EnqueueTx does.
	enqueue func(ctx context.Context, tx *sql.Tx, args river.JobArgs) error
}

// transferArgs is the job that uploads an entry's documents to the
// external system once the registration has committed.
type transferArgs struct {
	Ente   tenant.ID       `json:"ente"`
	Year   int             `json:"year"`
	Number protocol.Number `json:"number"`
}

func (transferArgs) Kind() string { return "remote_protocol_transfer" }

func (r remoteRegister) Register(ctx context.Context, tx *sql.Tx, e *protocol.Entry, now time.Time) error {
	year, n, at, err := r.reserve(ctx, e)
	if err != nil {
		return apperr.Errorf(apperr.Unavailable, "remote protocol: register: %w", err)
	}
	e.Year, e.Number, e.RegisteredAt = year, n, at
	if err := r.enqueue(ctx, tx, transferArgs{Ente: e.Ente, Year: year, Number: n}); err != nil {
		return fmt.Errorf("remote protocol: register %s: %w", e.Display(), err)
	}
	return nil
}

func (r remoteRegister) Annul(ctx context.Context, tx *sql.Tx, ente tenant.ID, year int, number protocol.Number, reason, act, by string, now time.Time) (*protocol.Entry, error) {
	// A real adapter calls the external system's annulment here.
	return nil, apperr.Errorf(apperr.Unavailable, "remote protocol: annul %d/%s: not supported by this example", year, number)
}

// An ente with its own protocol system plugs it in where main would
// otherwise pass protocol.Builtin{}.
func ExampleRegistrar() {
	var queued []string
	var reg protocol.Registrar = remoteRegister{
		reserve: func(ctx context.Context, e *protocol.Entry) (int, protocol.Number, time.Time, error) {
			return 2026, 1234, time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC), nil
		},
		enqueue: func(ctx context.Context, tx *sql.Tx, args river.JobArgs) error {
			queued = append(queued, args.Kind())
			return nil
		},
	}
	e := &protocol.Entry{Ente: 1, Direction: protocol.In, Subject: "Domanda di residenza", Correspondent: "Mario Rossi", CreatedBy: "user:1"}
	// In the application tx is the pratica's transaction.
	if err := reg.Register(context.Background(), nil, e, time.Now()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Display(), queued)
	// Output: 2026/0001234 [remote_protocol_transfer]
}
