package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
)

// TestGroup: concurrent callers share commits; a caller that fails or
// panics is rolled back alone, the others' work is committed, every caller
// learns its own outcome.
func TestGroup(t *testing.T) {
	ctx := context.Background()
	d := testdb.OpenEmpty(t)
	if _, err := d.ExecContext(ctx, `CREATE TABLE group_test (n INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)`); err != nil {
		t.Fatal(err)
	}
	g := d.NewGroup(8)
	const callers = 60
	errs := make([]error, callers)
	boom := errors.New("boom")
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			errs[i] = g.Do(ctx, func(tx *sql.Tx) error {
				v := fmt.Sprint("v", i)
				if i%10 == 3 {
					v = "dup" // six contenders: one wins, the others violate
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO group_test (n, v) VALUES ($1, $2)`, i, v); err != nil {
					return err
				}
				switch i % 10 {
				case 7:
					return boom // after writing: the write is undone
				case 9:
					panic("a bug in one caller")
				}
				return nil
			})
		})
	}
	wg.Wait()
	var want []int
	winners := 0
	for i, err := range errs {
		switch {
		case i%10 == 7:
			if !errors.Is(err, boom) {
				t.Errorf("caller %d: err %v, want its own", i, err)
			}
		case i%10 == 9:
			if err == nil {
				t.Errorf("caller %d panicked and got no error", i)
			}
		case i%10 == 3:
			switch {
			case err == nil:
				winners++
				want = append(want, i)
			case !db.IsUniqueViolation(err):
				t.Errorf("caller %d: err %v, want success or a unique violation", i, err)
			}
		default:
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
			want = append(want, i)
		}
	}
	if winners != 1 {
		t.Errorf("%d contenders for one value succeeded, want 1", winners)
	}
	slices.Sort(want)
	rows, err := d.QueryContext(ctx, `SELECT n FROM group_test ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", got, want)
	}
}

// TestGroupCancelled: a caller whose context is done before its turn does
// nothing and gets the context's error.
func TestGroupCancelled(t *testing.T) {
	d := testdb.OpenEmpty(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := d.NewGroup(0).Do(ctx, func(*sql.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("err %v, ran %v; want Canceled and nothing run", err, ran)
	}
}
