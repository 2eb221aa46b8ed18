package pratica

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// ReceiptRenderer turns a receipt's content into its PDF. It must be
// deterministic: the same data gives the same bytes (internal/pdf is).
type ReceiptRenderer func(ReceiptData) ([]byte, error)

// recordReceipt writes the receipt's content in the submission's
// transaction.
func recordReceipt(ctx context.Context, tx *sql.Tx, ente tenant.ID, id ID, d ReceiptData, now time.Time) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO pratica_receipt (ente_id, pratica_id, data, created_at) VALUES ($1, $2, $3, $4)`,
		ente, id, string(b), ts(now)); err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	return nil
}

// ReceiptContent returns what the receipt of pratica id says, as its
// submission recorded it; NotFound before the submission.
func ReceiptContent(ctx context.Context, q db.Querier, ente tenant.ID, id ID) (*ReceiptData, error) {
	var raw string
	err := q.QueryRowContext(ctx, `SELECT data FROM pratica_receipt WHERE ente_id = $1 AND pratica_id = $2`, ente, id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Errorf(apperr.NotFound, "pratica %d has no receipt: not submitted", id)
	}
	if err != nil {
		return nil, fmt.Errorf("pratica %d: receipt: %w", id, err)
	}
	var d ReceiptData
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return nil, fmt.Errorf("pratica %d: receipt: %w", id, err)
	}
	d.RegisteredAt = inRome(d.RegisteredAt)
	return &d, nil
}

// receiptDocument returns the receipt attachment of pratica id, if issued.
func receiptDocument(ctx context.Context, q db.Querier, ente tenant.ID, id ID) (*Attachment, error) {
	a, err := scanAttachment(q.QueryRowContext(ctx, selectAttachment+` WHERE ente_id = $1 AND pratica_id = $2 AND kind = $3`, ente, id, string(Receipt)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pratica %d: receipt document: %w", id, err)
	}
	return &a, nil
}

// IssueReceipt renders the receipt of a submitted pratica from the content
// its submission recorded, stores the PDF in blobs and records it as the
// pratica's Receipt attachment. It is idempotent and safe to race: the
// request that submitted calls it right after the commit, a page showing
// the pratica or the sweep may call it again, and whoever comes second
// finds the document there (rendering is deterministic, so both would store
// the same bytes).
func IssueReceipt(ctx context.Context, d *db.DB, blobs blob.Store, render ReceiptRenderer, ente tenant.ID, id ID, now time.Time) (*Attachment, error) {
	return issueReceipt(ctx, d, d.InTx, blobs, render, ente, id, now)
}

// IssueReceiptGrouped is IssueReceipt with the small transaction that
// records the document committed through g, so that under a storm of
// submissions the receipts share durable commits with them instead of
// taking the database's write lock one at a time.
func IssueReceiptGrouped(ctx context.Context, d *db.DB, g *db.Group, blobs blob.Store, render ReceiptRenderer, ente tenant.ID, id ID, now time.Time) (*Attachment, error) {
	return issueReceipt(ctx, d, g.Do, blobs, render, ente, id, now)
}

func issueReceipt(ctx context.Context, d *db.DB, inTx func(context.Context, func(*sql.Tx) error) error, blobs blob.Store, render ReceiptRenderer, ente tenant.ID, id ID, now time.Time) (*Attachment, error) {
	if a, err := receiptDocument(ctx, d, ente, id); err != nil || a != nil {
		return a, err
	}
	data, err := ReceiptContent(ctx, d, ente, id)
	if err != nil {
		return nil, err
	}
	pdf, err := render(*data)
	if err != nil {
		return nil, fmt.Errorf("pratica %d: render receipt: %w", id, err)
	}
	if len(pdf) == 0 {
		return nil, fmt.Errorf("pratica %d: the receipt renderer returned no bytes", id)
	}
	key, err := blob.PutBytes(ctx, blobs, pdf)
	if err != nil {
		return nil, apperr.Errorf(apperr.Unavailable, "pratica %d: store receipt: %w", id, err)
	}
	a := Attachment{Name: "ricevuta-" + strings.ReplaceAll(data.Protocol, "/", "-") + ".pdf", MIME: "application/pdf",
		Size: int64(len(pdf)), SHA256: string(key), Kind: Receipt, CreatedAt: now}
	err = inTx(ctx, func(tx *sql.Tx) error {
		if err := addAttachment(ctx, tx, ente, id, &a); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE pratica_receipt SET issued = TRUE WHERE ente_id = $1 AND pratica_id = $2`, ente, id)
		return err
	})
	if db.IsUniqueViolation(err) {
		// Another renderer got there first, with the same bytes.
		return receiptDocument(ctx, d, ente, id)
	}
	if err != nil {
		return nil, fmt.Errorf("pratica %d: %w", id, err)
	}
	return &a, nil
}

// PendingReceipt names a submission whose receipt is not issued yet.
type PendingReceipt struct {
	Ente    tenant.ID
	Pratica ID
}

// PendingReceipts lists up to limit submissions recorded before before
// whose receipt is not issued yet, oldest first, across every ente.
func PendingReceipts(ctx context.Context, q db.Querier, before time.Time, limit int) ([]PendingReceipt, error) {
	rows, err := q.QueryContext(ctx, `SELECT ente_id, pratica_id FROM pratica_receipt
		WHERE NOT issued AND created_at < $1 ORDER BY created_at LIMIT $2`, ts(before), limit)
	if err != nil {
		return nil, fmt.Errorf("pending receipts: %w", err)
	}
	defer rows.Close()
	var out []PendingReceipt
	for rows.Next() {
		var p PendingReceipt
		if err := rows.Scan(&p.Ente, &p.Pratica); err != nil {
			return nil, fmt.Errorf("pending receipts: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// IssuePendingReceipts issues the receipts of submissions recorded more
// than grace before now and not issued yet, in batches, and returns how
// many it issued. One that fails is logged and left for the next sweep.
func IssuePendingReceipts(ctx context.Context, d *db.DB, blobs blob.Store, render ReceiptRenderer, log *slog.Logger, now time.Time) (int, error) {
	const batch = 200
	issued := 0
	failed := map[PendingReceipt]bool{}
	for {
		pending, err := PendingReceipts(ctx, d, now.Add(-receiptGrace), batch+len(failed))
		if err != nil {
			return issued, err
		}
		progress := false
		for _, p := range pending {
			if failed[p] {
				continue
			}
			if _, err := IssueReceipt(ctx, d, blobs, render, p.Ente, p.Pratica, now); err != nil {
				log.WarnContext(ctx, "receipt not issued", "ente", p.Ente, "pratica", p.Pratica, "err", err)
				failed[p] = true
				continue
			}
			issued++
			progress = true
		}
		if !progress || len(pending) < batch+len(failed) {
			return issued, nil
		}
	}
}

// receiptGrace is how long the sweep leaves a fresh submission to the
// request that made it.
const receiptGrace = 30 * time.Second

// ReceiptSweepArgs is the periodic job that issues the receipts a crash
// between a submission's commit and its receipt left behind.
type ReceiptSweepArgs struct{}

// Kind names the job in River.
func (ReceiptSweepArgs) Kind() string { return "pratica_receipt_sweep" }

type receiptSweeper struct {
	river.WorkerDefaults[ReceiptSweepArgs]
	db     *db.DB
	blobs  blob.Store
	render ReceiptRenderer
	log    *slog.Logger
}

func (w *receiptSweeper) Work(ctx context.Context, _ *river.Job[ReceiptSweepArgs]) error {
	n, err := IssuePendingReceipts(ctx, w.db, w.blobs, w.render, w.log, time.Now())
	if n > 0 {
		w.log.InfoContext(ctx, "receipts issued by the sweep", "count", n)
	}
	return err
}

// ReceiptSweepJob adds the sweep's worker to reg and returns its schedule,
// for jobs.Options.Periodic: every minute, and once at start. It panics
// when a dependency is nil, a wiring mistake better seen at start.
func ReceiptSweepJob(reg *river.Workers, d *db.DB, blobs blob.Store, render ReceiptRenderer, log *slog.Logger) *river.PeriodicJob {
	if d == nil || blobs == nil || render == nil {
		panic("pratica: the receipt sweep needs a database, a blob store and a renderer")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	river.AddWorker(reg, &receiptSweeper{db: d, blobs: blobs, render: render, log: log})
	return river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return ReceiptSweepArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
