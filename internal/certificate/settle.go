package certificate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// keepFile stores c's file in the transaction that registers c: for good
// with FilesInDatabase, otherwise as a durable copy while the file's flush
// to the blob store is under way.
func keepFile(ctx context.Context, tx *sql.Tx, c *Certificate, pdf []byte, now time.Time) error {
	const ins = `INSERT INTO certificate_file (ente_id, certificate_id, sha256, content, created_at)
		VALUES ($1, $2, $3, $4, $5)`
	if _, err := tx.ExecContext(ctx, ins, c.Ente, c.ID, c.DocumentSHA256, pdf, dbTime(now)); err != nil {
		return fmt.Errorf("certificate %s: keep the file: %w", c.Code, err)
	}
	return nil
}

// settleBatch bounds the copies one round reads into memory (about 10 KB
// each). A variable for the tests.
var settleBatch = 256

// SettleFiles puts the copies kept in certificate_file back to the
// blob store, each durably (a no-op for a file that was flushed), and
// removes them; it returns how many it settled. A copy whose bytes do not
// hash to the digest its certificate records (or that the store refuses)
// is left alone and reported, and the others are settled all the same:
// the rounds walk the table in key order, so copies left behind never
// hide the ones after them. It is safe to run in several instances at
// once: putting the same bytes twice stores them once.
func SettleFiles(ctx context.Context, d *db.DB, blobs blob.Store) (int, error) {
	var (
		settled int
		after   fileRef
		refused []error
	)
	for {
		files, err := keptAfter(ctx, d, after)
		if err != nil {
			return settled, errors.Join(append(refused, err)...)
		}
		n, err := settleRound(ctx, d, blobs, files, &refused)
		settled += n
		if err != nil {
			return settled, errors.Join(append(refused, err)...)
		}
		if len(files) < settleBatch {
			return settled, errors.Join(refused...)
		}
		last := files[len(files)-1]
		after = fileRef{ente: last.ente, id: last.certificate}
	}
}

// pendingFile is one kept copy.
type pendingFile struct {
	ente        tenant.ID
	certificate ID
	sha256      string
	content     []byte
}

// keptAfter reads up to settleBatch kept copies after the key after.
func keptAfter(ctx context.Context, d *db.DB, after fileRef) ([]pendingFile, error) {
	const list = `SELECT ente_id, certificate_id, sha256, content FROM certificate_file
		WHERE ente_id > $1 OR (ente_id = $1 AND certificate_id > $2)
		ORDER BY ente_id, certificate_id LIMIT $3`
	rows, err := d.QueryContext(ctx, list, after.ente, after.id, settleBatch)
	if err != nil {
		return nil, fmt.Errorf("certificate: pending files: %w", err)
	}
	defer rows.Close()
	var files []pendingFile
	for rows.Next() {
		var f pendingFile
		if err := rows.Scan(&f.ente, &f.certificate, &f.sha256, &f.content); err != nil {
			return nil, fmt.Errorf("certificate: pending files: %w", err)
		}
		files = append(files, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("certificate: pending files: %w", err)
	}
	return files, nil
}

// settleRound puts files back to the store and removes the rows of those it
// put; a copy it cannot put back stays, its error added to refused.
func settleRound(ctx context.Context, d *db.DB, blobs blob.Store, files []pendingFile, refused *[]error) (int, error) {
	var put []pendingFile
	for _, f := range files {
		if err := f.put(ctx, blobs); err != nil {
			*refused = append(*refused, err)
			continue
		}
		put = append(put, f)
	}
	if len(put) == 0 {
		return 0, nil
	}
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		for _, f := range put {
			if _, err := tx.ExecContext(ctx, deletePending, f.ente, f.certificate); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("certificate: settle files: %w", err)
	}
	return len(put), nil
}

// check refuses a kept file whose bytes do not hash to its digest.
func (f *pendingFile) check() error {
	if string(blob.KeyOf(f.content)) != f.sha256 {
		return fmt.Errorf("certificate %d (ente %d): the kept file does not hash to its digest %s",
			f.certificate, f.ente, f.sha256)
	}
	return nil
}

// put stores f's bytes durably, refusing a copy that does not hash to the
// digest its certificate records.
func (f *pendingFile) put(ctx context.Context, blobs blob.Store) error {
	if err := f.check(); err != nil {
		return err
	}
	if _, err := blob.PutBytes(ctx, blobs, f.content); err != nil {
		return fmt.Errorf("certificate %d (ente %d): settle the file: %w", f.certificate, f.ente, err)
	}
	return nil
}

// kept reads c's row in certificate_file, nil if it has none; a row that
// names another digest than c's is an error.
func kept(ctx context.Context, d *db.DB, c *Certificate) (*pendingFile, error) {
	const get = `SELECT sha256, content FROM certificate_file WHERE ente_id = $1 AND certificate_id = $2`
	f := &pendingFile{ente: c.Ente, certificate: c.ID}
	err := d.QueryRowContext(ctx, get, c.Ente, c.ID).Scan(&f.sha256, &f.content)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("certificate %s: kept file: %w", c.Code, err)
	}
	if f.sha256 != c.DocumentSHA256 {
		return nil, fmt.Errorf("certificate %s: the kept file's digest %s is not the certificate's %s",
			c.Code, f.sha256, c.DocumentSHA256)
	}
	return f, nil
}

// restore puts the copy f back to the store durably and removes its row.
func (f *pendingFile) restore(ctx context.Context, d *db.DB, blobs blob.Store) error {
	if err := f.put(ctx, blobs); err != nil {
		return err
	}
	if _, err := d.ExecContext(ctx, deletePending, f.ente, f.certificate); err != nil {
		return fmt.Errorf("certificate %d (ente %d): settle the file: %w", f.certificate, f.ente, err)
	}
	return nil
}

// Restore settles c's kept copy, if it has one, before its file is read:
// after a crash the file may be missing or damaged until SettleFiles runs,
// and the copy is what the certificate's digest names. It reports whether
// a copy was kept. Without one (the file's flush was confirmed, or the
// store syncs every Put) it costs one indexed read.
func Restore(ctx context.Context, d *db.DB, blobs blob.Store, c *Certificate) (bool, error) {
	f, err := kept(ctx, d, c)
	if err != nil || f == nil {
		return false, err
	}
	if err := f.restore(ctx, d, blobs); err != nil {
		return false, err
	}
	return true, nil
}

// File returns an issued certificate's file. A file kept in the database
// is read from there and checked against the certificate's digest. Without
// FilesInDatabase such a row is a copy whose flush the store had not
// confirmed (a crash, a failed write): it goes back to the store first
// (as Restore does), and its bytes are the answer. Otherwise, and for
// certificates issued before the files moved to the database, the file is
// the store's.
func (is *Issuer) File(ctx context.Context, c *Certificate) ([]byte, error) {
	if c.State == AwaitingStamp || c.DocumentSHA256 == "" {
		return nil, apperr.Errorf(apperr.NotFound, "certificate %d: not issued", c.ID)
	}
	f, err := kept(ctx, is.DB, c)
	switch {
	case err != nil:
		return nil, err
	case f == nil:
		return Open(ctx, is.Blobs, c)
	case is.FilesInDatabase:
		err = f.check()
	default:
		err = f.restore(ctx, is.DB, is.Blobs)
	}
	if err != nil {
		return nil, err
	}
	return f.content, nil
}

// SettleFilesArgs is the job that runs SettleFiles.
type SettleFilesArgs struct{}

// Kind names the job in River's table.
func (SettleFilesArgs) Kind() string { return "certificate_settle_files" }

// InsertOpts keeps at most one run waiting at a time.
func (SettleFilesArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: settleEvery}}
}

// settleEvery is how often the job runs. The settler of the instance that
// issued a certificate removes its copy within milliseconds; the job is for
// what a crash or a failed flush left, and it also runs at start.
const settleEvery = time.Minute

type settleWorker struct {
	river.WorkerDefaults[SettleFilesArgs]
	db    *db.DB
	blobs blob.Store
	idle  bool // the database keeps the files: nothing to settle
	log   *slog.Logger
}

func (w *settleWorker) Work(ctx context.Context, _ *river.Job[SettleFilesArgs]) error {
	if w.idle {
		return nil
	}
	n, err := SettleFiles(ctx, w.db, w.blobs)
	if n > 0 {
		w.log.Debug("certificate files settled", "files", n)
	}
	return err
}

// SettleFilesJob adds SettleFiles's worker to reg and returns its schedule,
// for jobs.Options.Periodic: every settleEvery, and once when the instance
// starts, so that what a crash left is settled at once. A database that
// keeps the files (inDatabase, FilesInDatabaseFor) has no copies to settle:
// the schedule is nil, and a run queued before does nothing.
func SettleFilesJob(reg *river.Workers, d *db.DB, blobs blob.Store, inDatabase bool, log *slog.Logger) *river.PeriodicJob {
	if d == nil || blobs == nil {
		panic("certificate: SettleFilesJob needs a database and a blob store")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	river.AddWorker(reg, &settleWorker{db: d, blobs: blobs, idle: inDatabase, log: log})
	if inDatabase {
		return nil
	}
	return river.NewPeriodicJob(river.PeriodicInterval(settleEvery),
		func() (river.JobArgs, *river.InsertOpts) { return SettleFilesArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// FilesInDatabaseFor says where the certificates of d keep their files
// (Issuer.FilesInDatabase): in the database on SQLite, in the blob store
// on PostgreSQL (ADR 0012).
func FilesInDatabaseFor(d *db.DB) bool { return d.Engine == db.SQLite }

// fileRef names a certificate whose file has a kept copy.
type fileRef struct {
	ente tenant.ID
	id   ID
}

// settlePause is how long the settler waits before each flush, so that
// one flush covers the files of the requests meanwhile.
const settlePause = 20 * time.Millisecond

// settleLater queues the kept copy of p, committed and with its file
// written, for the settler, starting it if it is not running. The settler
// flushes the store once for all the files queued before the flush, then
// hands their copies to the group commit, whose next transaction removes
// them (a transaction of its own when nothing else is being committed); it
// stops when nothing is queued. What it could not settle stays in the
// table for SettleFiles.
func (is *Issuer) settleLater(p *pending) {
	is.settleMu.Lock()
	is.unsettled = append(is.unsettled, fileRef{ente: p.c.Ente, id: p.c.ID})
	start := !is.settling
	if start {
		is.settling = true
	}
	is.settleMu.Unlock()
	if start {
		go is.settle()
	}
}

func (is *Issuer) settle() {
	for {
		time.Sleep(settlePause)
		is.settleMu.Lock()
		refs := is.unsettled
		is.unsettled = nil
		if len(refs) == 0 {
			is.settling = false
			is.settleMu.Unlock()
			return
		}
		is.settleMu.Unlock()
		st, ok := is.Blobs.(blob.Stager)
		if ok && st.Sync() != nil {
			continue // the copies stay for SettleFiles
		}
		is.mu.Lock()
		is.settled = append(is.settled, refs...)
		lead := !is.committing
		if lead {
			is.committing = true
		}
		is.mu.Unlock()
		if lead {
			is.lead(context.Background())
		}
	}
}

const deletePending = `DELETE FROM certificate_file WHERE ente_id = $1 AND certificate_id = $2`
