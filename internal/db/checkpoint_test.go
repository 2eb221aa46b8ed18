package db_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"io"
	"os"
	"testing"
	"time"
)

// TestBackgroundCheckpoints writes several megabytes to a SQLite file and
// checks that no commit copied them into the database file (automatic
// checkpoints are off) and that the DB's own checkpoints do so shortly
// after, while nobody writes.
func TestBackgroundCheckpoints(t *testing.T) {
	ctx := context.Background()
	d, path := openSQLite(t)
	var auto int
	if err := d.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint = %d, %v; want 0", auto, err)
	}
	var limit int64
	if err := d.QueryRowContext(ctx, `PRAGMA journal_size_limit`).Scan(&limit); err != nil || limit != 64<<20 {
		t.Fatalf("journal_size_limit = %d, %v; want 64 MiB", limit, err)
	}
	if _, err := d.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)`); err != nil {
		t.Fatal(err)
	}
	const rows, size = 1600, 4 << 10 // 6.4 MB: far more than 1,000 pages
	for i := 0; i < rows; i += 100 {
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			for j := range 100 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO t (id, b) VALUES ($1, $2)`, i+j, bytes.Repeat([]byte{byte(j)}, size)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	fileSize := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	deadline := time.Now().Add(10 * time.Second)
	for fileSize() < rows*size && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := fileSize(); got < rows*size {
		t.Fatalf("the database file holds %d bytes 10 s after the writes, want at least %d: no checkpoint ran", got, rows*size)
	}
	var n int
	if err := d.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != rows {
		t.Errorf("%d rows, %v; want %d", n, err, rows)
	}
	// Closing stops the checkpoints; closing again is harmless.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d.Close()
}

// TestCheckpointsRestartTheLog writes without pause, one small transaction
// every millisecond, and checks that the write-ahead log starts over again
// and again instead of growing: without the RESTART, a PASSIVE checkpoint
// copies every frame but the next writer keeps appending, and the log ends
// as large as everything written. A restart is seen in the log's header,
// whose checkpoint sequence number goes up by one each time the log starts
// over; the test waits for a few of them rather than timing them, so that
// a busy machine makes it slower, not red.
func TestCheckpointsRestartTheLog(t *testing.T) {
	ctx := context.Background()
	d, path := openSQLite(t)
	if _, err := d.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)`); err != nil {
		t.Fatal(err)
	}
	// sequence reads the checkpoint sequence number, bytes 12-15 of the
	// log's 32-byte header (big-endian).
	sequence := func() uint32 {
		f, err := os.Open(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var hdr [16]byte
		if _, err := io.ReadFull(f, hdr[:]); err != nil {
			t.Fatal(err)
		}
		return binary.BigEndian.Uint32(hdr[12:])
	}
	const size, want = 8 << 10, 3
	written, restarts := 0, 0
	last := sequence()
	for deadline := time.Now().Add(20 * time.Second); restarts < want && time.Now().Before(deadline); {
		if _, err := d.ExecContext(ctx, `INSERT INTO t (b) VALUES ($1)`, bytes.Repeat([]byte{byte(written)}, size)); err != nil {
			t.Fatal(err)
		}
		written += size
		if s := sequence(); s != last {
			restarts, last = restarts+1, s
		}
		time.Sleep(time.Millisecond)
	}
	if restarts < want {
		t.Errorf("the log started over %d times in 20 s of writing (%d bytes); want %d", restarts, written, want)
	}
}
