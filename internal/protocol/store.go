package protocol

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/chain"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// Register numbers e and records it inside the caller's transaction, so
// that a pratica and its protocol entry are committed or rolled back
// together. It fills in e's year (in Europe/Rome), number, time and hashes.
//
// The number comes from the (ente, year) counter row, which the transaction
// keeps locked until it ends: concurrent registrations queue behind it, and
// one that rolls back gives its number back, so the register has no gaps.
// The transaction must run at READ COMMITTED (the default on PostgreSQL; on
// SQLite every write transaction is serial), and must be rolled back if
// Register fails.
func Register(ctx context.Context, tx *sql.Tx, e *Entry, now time.Time) error {
	return RegisterAll(ctx, tx, []*Entry{e}, now)
}

// RegisterAll registers es, in order, as Register would one at a time,
// with fewer statements: the numbers of each ente's entries are taken
// with one update of its counter, and the entry before them is read once.
// A group commit registers its batch with it.
func RegisterAll(ctx context.Context, tx *sql.Tx, es []*Entry, now time.Time) error {
	for _, e := range es {
		if e.Annuls() || e.AnnulReason != "" || e.AnnulAct != "" {
			return apperr.Errorf(apperr.Invalid, "protocol: register: annulments are made by Annul")
		}
		if err := e.validate(); err != nil {
			return fmt.Errorf("protocol: register: %w", err)
		}
	}
	for _, mine := range chain.Split(es, func(e *Entry) tenant.ID { return e.Ente }) {
		if err := register(ctx, tx, mine, now); err != nil {
			return fmt.Errorf("protocol: register: %w", err)
		}
	}
	return nil
}

const (
	// nextNumbers creates the year's counter or advances it, and returns
	// the last number taken.
	nextNumbers = `INSERT INTO protocol_counter (ente_id, year, last) VALUES ($1, $2, $3)
		ON CONFLICT (ente_id, year) DO UPDATE SET last = protocol_counter.last + excluded.last RETURNING last`
	previousHash = `SELECT hash FROM protocol_entry WHERE ente_id = $1 AND year = $2 AND number = $3`
	insertEntry  = `INSERT INTO protocol_entry (ente_id, year, number, direction, registered_at, subject,
		correspondent, document_sha256, previous_hash, hash, annuls_year, annuls_number, annul_reason,
		annul_act, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`
)

// register takes the next numbers, chains and stores es, valid entries of
// one ente, in order.
func register(ctx context.Context, tx *sql.Tx, es []*Entry, now time.Time) error {
	ente, n := es[0].Ente, int64(len(es))
	year, err := yearOf(now)
	if err != nil {
		return err
	}
	// The year's first registration inserts the counter row; a concurrent
	// one waits on the key, then updates the committed row, which locks it.
	var last int64
	if err := tx.QueryRowContext(ctx, nextNumbers, ente, year, n).Scan(&last); err != nil {
		return fmt.Errorf("counter %d: %w", year, err)
	}
	first := last - n + 1
	prev := Genesis
	if first > 1 {
		// The holder of number first-1 committed before this transaction
		// got the counter lock, so its entry is visible here.
		err := tx.QueryRowContext(ctx, previousHash, ente, year, first-1).Scan(&prev)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("entry %d/%s is missing: the register is broken", year, Number(first-1))
		}
		if err != nil {
			return fmt.Errorf("entry %d/%s: %w", year, Number(first-1), err)
		}
	}
	at := now.UTC().Truncate(time.Microsecond)
	for i, e := range es {
		e.Year, e.Number = year, Number(first+int64(i))
		e.RegisteredAt, e.PreviousHash = at, prev
		if err := store(ctx, tx, e); err != nil {
			return err
		}
		prev = e.Hash
	}
	return nil
}

// store hashes and inserts e, numbered and chained.
func store(ctx context.Context, tx *sql.Tx, e *Entry) error {
	e.Hash = e.computeHash()
	var annulsYear, annulsNumber sql.NullInt64
	if e.Annuls() {
		annulsYear = sql.NullInt64{Int64: int64(e.AnnulsYear), Valid: true}
		annulsNumber = sql.NullInt64{Int64: int64(e.AnnulsNumber), Valid: true}
	}
	_, err := tx.ExecContext(ctx, insertEntry, e.Ente, e.Year, int64(e.Number), string(e.Direction), e.RegisteredAt,
		e.Subject, e.Correspondent, e.DocumentSHA256, e.PreviousHash, e.Hash, annulsYear, annulsNumber,
		e.AnnulReason, e.AnnulAct, e.CreatedBy)
	if db.IsUniqueViolation(err) && e.Annuls() {
		return apperr.Errorf(apperr.Conflict, "entry %d/%s is already annulled", e.AnnulsYear, e.AnnulsNumber)
	}
	if err != nil {
		return fmt.Errorf("entry %s: %w", e.Display(), err)
	}
	return nil
}

// Annul registers a new entry that annuls entry year/number of the ente
// with a reason and the act that authorises it (DPR 445/2000 art. 54): the
// annulled entry stays in the register, unchanged and readable, and the
// annulment is itself numbered and chained. An entry is annulled at most
// once, and an annulment cannot be annulled.
func Annul(ctx context.Context, tx *sql.Tx, ente tenant.ID, year int, number Number, reason, act, by string, now time.Time) (*Entry, error) {
	old, err := Get(ctx, tx, ente, year, number)
	if err != nil {
		return nil, fmt.Errorf("protocol: annul: %w", err)
	}
	if old.Annuls() {
		return nil, apperr.Errorf(apperr.Conflict, "protocol: annul %s: it is an annulment", old.Display())
	}
	if strings.TrimSpace(reason) == "" || strings.TrimSpace(act) == "" {
		return nil, apperr.Errorf(apperr.Invalid, "protocol: annul %s: reason and authorising act are required", old.Display())
	}
	e := &Entry{
		Ente:          ente,
		Direction:     old.Direction,
		Subject:       "Annullamento del protocollo n. " + old.Display() + " - " + old.Subject,
		Correspondent: old.Correspondent,
		AnnulsYear:    old.Year,
		AnnulsNumber:  old.Number,
		AnnulReason:   reason,
		AnnulAct:      act,
		CreatedBy:     by,
	}
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("protocol: annul %s: %w", old.Display(), err)
	}
	if err := register(ctx, tx, []*Entry{e}, now); err != nil {
		return nil, fmt.Errorf("protocol: annul %s: %w", old.Display(), err)
	}
	return e, nil
}

const selectEntry = `SELECT ente_id, year, number, direction, registered_at, subject, correspondent,
	document_sha256, previous_hash, hash, annuls_year, annuls_number, annul_reason, annul_act, created_by
	FROM protocol_entry`

type scanner interface{ Scan(dest ...any) error }

func scanEntry(s scanner) (*Entry, error) {
	e := &Entry{}
	var number int64
	var direction string
	var annulsYear, annulsNumber sql.NullInt64
	err := s.Scan(&e.Ente, &e.Year, &number, &direction, &e.RegisteredAt, &e.Subject, &e.Correspondent,
		&e.DocumentSHA256, &e.PreviousHash, &e.Hash, &annulsYear, &annulsNumber, &e.AnnulReason, &e.AnnulAct,
		&e.CreatedBy)
	if err != nil {
		return nil, err
	}
	e.Number, e.Direction = Number(number), Direction(direction)
	e.RegisteredAt = e.RegisteredAt.UTC()
	e.AnnulsYear, e.AnnulsNumber = int(annulsYear.Int64), Number(annulsNumber.Int64)
	return e, nil
}

// Get returns one entry of the ente's register; a number not (or not yet)
// registered is a NotFound error.
func Get(ctx context.Context, q db.Querier, ente tenant.ID, year int, number Number) (*Entry, error) {
	e, err := scanEntry(q.QueryRowContext(ctx, selectEntry+` WHERE ente_id = $1 AND year = $2 AND number = $3`,
		ente, year, int64(number)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Errorf(apperr.NotFound, "protocol %d/%s: no such entry", year, number)
	}
	if err != nil {
		return nil, fmt.Errorf("protocol %d/%s: %w", year, number, err)
	}
	return e, nil
}

// List returns the ente's register for one year in number order, the form
// in which the daily register and the back office read it.
func List(ctx context.Context, q db.Querier, ente tenant.ID, year int) ([]*Entry, error) {
	var out []*Entry
	err := each(ctx, q, ente, year, func(e *Entry) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("protocol: list %d: %w", year, err)
	}
	return out, nil
}

// each streams a year's entries in number order, so that Verify does not
// hold a whole year in memory.
func each(ctx context.Context, q db.Querier, ente tenant.ID, year int, fn func(*Entry) error) error {
	rows, err := q.QueryContext(ctx, selectEntry+` WHERE ente_id = $1 AND year = $2 ORDER BY number`, ente, year)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ChainError reports the first entry at which a year's register stops
// being the one Register wrote: a number missing, a row altered or forged,
// or the counter out of step with the entries.
type ChainError struct {
	Ente   tenant.ID
	Year   int
	Number Number
	Reason string
}

// Error names the broken entry, for the operator who must investigate it.
func (e *ChainError) Error() string {
	return fmt.Sprintf("protocol: ente %d: register %d broken at %s: %s", e.Ente, e.Year, e.Number, e.Reason)
}

// Verify recomputes the ente's chain for one year and returns a *ChainError
// for the first broken link, nil if the register is intact. Run it inside
// one transaction (or on a quiet register) so that it reads one state.
func Verify(ctx context.Context, q db.Querier, ente tenant.ID, year int) error {
	var last int64
	err := q.QueryRowContext(ctx, `SELECT last FROM protocol_counter WHERE ente_id = $1 AND year = $2`, ente, year).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("protocol: verify %d: %w", year, err)
	}
	want, prev := Number(1), Genesis
	broken := func(n Number, format string, args ...any) error {
		return &ChainError{Ente: ente, Year: year, Number: n, Reason: fmt.Sprintf(format, args...)}
	}
	err = each(ctx, q, ente, year, func(e *Entry) error {
		switch {
		case e.Number != want:
			return broken(want, "entry missing (next stored is %s)", e.Number)
		case e.PreviousHash != prev:
			return broken(e.Number, "does not chain to the previous entry")
		case e.computeHash() != e.Hash:
			return broken(e.Number, "hash does not match the entry's contents")
		}
		if y, err := yearOf(e.RegisteredAt); err != nil || y != year {
			return broken(e.Number, "registered at %s, outside the year", e.RegisteredAt.Format(time.RFC3339))
		}
		want, prev = want+1, e.Hash
		return nil
	})
	if err != nil {
		var ce *ChainError
		if errors.As(err, &ce) {
			return ce
		}
		return fmt.Errorf("protocol: verify %d: %w", year, err)
	}
	if int64(want-1) != last {
		return broken(want, "counter is at %s but %d entries are stored", Number(last), want-1)
	}
	return nil
}
