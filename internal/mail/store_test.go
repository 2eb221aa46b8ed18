package mail_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/tenant"
)

// insertOnly returns a migrated database and Jobs that only enqueue, for
// tests of the outbox that need no worker.
func insertOnly(t *testing.T) (*db.DB, *jobs.Jobs) {
	t.Helper()
	d := testdb.Open(t)
	j, err := jobs.New(d, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d, j
}

func TestQueueRefusesBadMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, j := insertOnly(t)
	ente := newEnte(t, d, "ala", "022001")
	tests := []struct {
		name   string
		change func(*mail.Message)
	}{
		{"no ente", func(m *mail.Message) { m.Ente = 0 }},
		{"unknown ente", func(m *mail.Message) { m.Ente = 999999 }},
		{"no recipient", func(m *mail.Message) { m.To = "" }},
		{"display name", func(m *mail.Message) { m.To = "Mario <mario@example.it>" }},
		{"two recipients", func(m *mail.Message) { m.To = "a@example.it, b@example.it" }},
		{"no domain dot", func(m *mail.Message) { m.To = "mario@localhost" }},
		{"empty subject", func(m *mail.Message) { m.Subject = "  " }},
		{"subject on two lines", func(m *mail.Message) { m.Subject = "a\r\nBcc: x@example.it" }},
		{"empty text", func(m *mail.Message) { m.Text = "" }},
		{"huge text", func(m *mail.Message) { m.Text = strings.Repeat("a", 1<<20+1) }},
		{"invalid UTF-8", func(m *mail.Message) { m.Text = "\xff" }},
		{"no kind", func(m *mail.Message) { m.Kind = "" }},
		{"kind with spaces", func(m *mail.Message) { m.Kind = "Pratica ricevuta" }},
		{"ref on two lines", func(m *mail.Message) { m.Ref = "a\nb" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := message(ente, "mario.rossi@example.it")
			tc.change(&m)
			err := d.InTx(ctx, func(tx *sql.Tx) error {
				_, err := mail.Queue(ctx, tx, j, m, now)
				return err
			})
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("Queue = %v, want an Invalid error", err)
			}
		})
	}
	if n := len(jobStates(t, d)); n != 0 {
		t.Errorf("%d jobs enqueued by refused messages", n)
	}
}

func TestListAndGetKeepEntiApart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, j := insertOnly(t)
	ala := newEnte(t, d, "ala", "022001")
	avio := newEnte(t, d, "avio", "022007")
	var ids []mail.ID
	for i, ente := range []tenant.ID{ala, avio, ala, ala} {
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			id, err := mail.Queue(ctx, tx, j, message(ente, "mario.rossi@example.it"), now.Add(time.Duration(i)*time.Minute))
			ids = append(ids, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The second message of ala fails; the others stay queued.
	if _, err := d.ExecContext(ctx, `UPDATE mail SET status = 'failed', attempts = 20 WHERE id = $1`, ids[2]); err != nil {
		t.Fatal(err)
	}
	idsOf := func(rs []*mail.Record) []mail.ID {
		var out []mail.ID
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	tests := []struct {
		name string
		ente tenant.ID
		f    mail.Filter
		want []mail.ID
	}{
		{"all of ala, newest first", ala, mail.Filter{}, []mail.ID{ids[3], ids[2], ids[0]}},
		{"all of avio", avio, mail.Filter{}, []mail.ID{ids[1]}},
		{"failed", ala, mail.Filter{Status: mail.Failed}, []mail.ID{ids[2]}},
		{"queued", ala, mail.Filter{Status: mail.Queued}, []mail.ID{ids[3], ids[0]}},
		{"via catcher", ala, mail.Filter{Via: "catcher"}, nil},
		{"limit", ala, mail.Filter{Limit: 1}, []mail.ID{ids[3]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mail.List(ctx, d, tc.ente, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, idsOf(got)); diff != "" {
				t.Errorf("List mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := mail.List(ctx, d, ala, mail.Filter{Status: "lost"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("List with an unknown status = %v, want Invalid", err)
	}
	if _, err := mail.Get(ctx, d, avio, ids[0]); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("Get of ala's message as avio = %v, want NotFound", err)
	}
	got, err := mail.Get(ctx, d, ala, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	want := &mail.Record{ID: ids[0], Message: message(ala, "mario.rossi@example.it"), Status: mail.Queued,
		Created: now.Truncate(time.Microsecond)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get mismatch (-want +got):\n%s", diff)
	}
}

func TestValidateAddress(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"mario.rossi@example.it", true},
		{"m+tag@sub.example.it", true},
		{"àlfa@example.it", true},
		{"", false},
		{"mario", false},
		{"@example.it", false},
		{"mario@", false},
		{"mario@example", false},
		{"mario@.example.it", false},
		{"mario@example..it", false},
		{"mario@[127.0.0.1]", false},
		{"Mario <mario@example.it>", false},
		{"<mario@example.it>", false},
		{"mario@example.it (Mario)", false},
		{"a@example.it,b@example.it", false},
		{"mario@example.it\r\nBcc: x@example.it", false},
		{strings.Repeat("a", 250) + "@example.it", false},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			err := mail.ValidateAddress(tc.addr)
			if (err == nil) != tc.ok {
				t.Errorf("ValidateAddress(%q) = %v, want ok %v", tc.addr, err, tc.ok)
			}
		})
	}
}

// FuzzValidateAddress checks that an accepted address is one that the
// composer takes as it is: nothing that could add a header or a recipient.
func FuzzValidateAddress(f *testing.F) {
	for _, s := range []string{"mario.rossi@example.it", "a@b.c", "\"a b\"@example.it", "a@b.c\n", "Mario <a@b.c>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		if mail.ValidateAddress(addr) != nil {
			return
		}
		if strings.ContainsAny(addr, "\r\n,;<> ") || strings.Count(addr, "@") != 1 {
			t.Errorf("accepted %q", addr)
		}
		m := mail.Message{Ente: 1, To: addr, Subject: "s", Text: "t", Kind: "k"}
		if _, err := mail.Compose("Comune", "noreply@example.it", m, now); err != nil {
			t.Errorf("accepted %q, which does not compose: %v", addr, err)
		}
	})
}
