package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/tenant"
)

// auditDB returns the URL of a migrated database with three enti whose
// logs hold 1,234, 5 and 1 events, and the database itself for tampering.
func auditDB(t *testing.T) (string, *db.DB, []tenant.ID) {
	t.Helper()
	ctx := context.Background()
	url := testdb.URL(t)
	d, err := db.Open(ctx, url, db.Options{ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx, time.Now); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	var ids []tenant.ID
	for i, c := range []struct {
		slug, name, istat string
		events            int
	}{{"ala", "Comune di Ala", "022001", 1234}, {"avio", "Comune di Avio", "022007", 5}, {"mori", "Comune di Mori", "022123", 1}} {
		e := &tenant.Ente{Slug: c.slug, Name: c.name, IstatCode: c.istat, Belfiore: "A116", IPACode: "c_" + c.slug,
			FiscalCode: "0000000000" + strconv.Itoa(i), Hosts: []string{c.slug + ".example"}}
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			if err := tenant.Create(ctx, tx, e, now); err != nil {
				return err
			}
			for j := range c.events {
				ev := &audit.Event{Ente: e.ID, Actor: audit.Actor{Kind: audit.Citizen, ID: strconv.Itoa(j)},
					Action: audit.ActionLogin, Subject: "citizen:" + strconv.Itoa(j), Outcome: audit.Success}
				if err := audit.Record(ctx, tx, ev, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	return url, d, ids
}

func runAudit(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"audit"}, args...), noEnv, &out)
	return out.String(), err
}

func TestAuditVerify(t *testing.T) {
	url, d, ids := auditDB(t)
	out, err := runAudit(t, "verify", "--database", url)
	if err != nil {
		t.Fatalf("audit verify = %v; output:\n%s", err, out)
	}
	want := "Comune di Ala (ala): 1.234 eventi, catena integra\n" +
		"Comune di Avio (avio): 5 eventi, catena integra\n" +
		"Comune di Mori (mori): 1 evento, catena integra\n"
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("output mismatch (-want +got):\n%s", diff)
	}
	out, err = runAudit(t, "verify", "--ente=avio", "--database", url)
	if err != nil || out != "Comune di Avio (avio): 5 eventi, catena integra\n" {
		t.Errorf("audit verify --ente=avio = %v, output:\n%s", err, out)
	}

	// Someone with the owner's password switches the triggers off, edits
	// a row of Ala and deletes one of Avio.
	ctx := context.Background()
	tamper := []string{`DROP TRIGGER audit_event_no_update`, `DROP TRIGGER audit_event_no_delete`}
	if d.Engine == db.Postgres {
		tamper = []string{`ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change`}
	}
	tamper = append(tamper,
		`UPDATE audit_event SET action = 'logout' WHERE ente_id = `+strconv.FormatInt(int64(ids[0]), 10)+` AND seq = 1001`,
		`DELETE FROM audit_event WHERE ente_id = `+strconv.FormatInt(int64(ids[1]), 10)+` AND seq = 3`)
	for _, s := range tamper {
		if _, err := d.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	out, err = runAudit(t, "verify", "--database", url)
	want = "Comune di Ala (ala): catena interrotta all'evento 1.001: evento modificato dopo la registrazione (l'impronta non corrisponde al contenuto)\n" +
		"Comune di Avio (avio): catena interrotta all'evento 3: evento mancante (rimosso)\n" +
		"Comune di Mori (mori): 1 evento, catena integra\n"
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("output mismatch (-want +got):\n%s", diff)
	}
	if code := exitCode(err, io.Discard); code != 1 || !strings.Contains(err.Error(), "2 of 3 enti") {
		t.Errorf("audit verify on broken chains = %v (exit %d), want exit 1 naming 2 of 3 enti", err, code)
	}
	out, err = runAudit(t, "verify", "--database", url, "--ente", "mori")
	if err != nil || out != "Comune di Mori (mori): 1 evento, catena integra\n" {
		t.Errorf("audit verify --ente mori = %v, output:\n%s", err, out)
	}
}

func TestAuditVerifyRefusals(t *testing.T) {
	url, _, _ := auditDB(t)
	empty := "sqlite://" + t.TempDir() + "/empty.db"
	tests := []struct {
		name string
		args []string
		exit int
		msg  string
	}{
		{"no verb", nil, 2, "no subcommand"},
		{"unknown verb", []string{"repair"}, 2, `unknown subcommand "repair"`},
		{"unknown ente", []string{"verify", "--database", url, "--ente", "nessuno"}, 2, `no ente with slug "nessuno"`},
		{"ente without a value", []string{"verify", "--database", url, "--ente"}, 2, "needs an argument"},
		{"stray argument", []string{"verify", "--database", url, "ala"}, 2, `unexpected argument "ala"`},
		{"unmigrated database", []string{"verify", "--database", empty}, 1, "not migrated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runAudit(t, tc.args...)
			if code := exitCode(err, io.Discard); code != tc.exit || err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("audit %v = %v (exit %d), want exit %d with %q", tc.args, err, code, tc.exit, tc.msg)
			}
		})
	}
	out, err := runAudit(t, "verify", "--help")
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out, "--ente slug") || !strings.Contains(out, "--database") {
		t.Errorf("audit verify --help = %v, output:\n%s", err, out)
	}
}

func TestCutFlag(t *testing.T) {
	tests := []struct {
		args      []string
		value     string
		rest      []string
		wantError bool
	}{
		{nil, "", []string{}, false},
		{[]string{"--database", "x"}, "", []string{"--database", "x"}, false},
		{[]string{"--ente", "ala", "--database", "x"}, "ala", []string{"--database", "x"}, false},
		{[]string{"-ente=ala"}, "ala", []string{}, false},
		{[]string{"--ente=ala", "--ente", "avio"}, "avio", []string{}, false},
		{[]string{"--entered", "x"}, "", []string{"--entered", "x"}, false},
		{[]string{"ente", "x"}, "", []string{"ente", "x"}, false},
		{[]string{"--", "--ente", "x"}, "", []string{"--", "--ente", "x"}, false},
		{[]string{"--ente"}, "", nil, true},
		{[]string{"--ente="}, "", nil, true},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			value, rest, err := cutFlag(tc.args, "ente")
			if (err != nil) != tc.wantError || value != tc.value {
				t.Errorf("cutFlag = %q, %v; want %q, error %v", value, err, tc.value, tc.wantError)
			}
			if diff := cmp.Diff(tc.rest, rest); diff != "" {
				t.Errorf("rest mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzCutFlag checks that cutting never invents arguments: what it leaves
// plus what it took is what it was given.
func FuzzCutFlag(f *testing.F) {
	for _, s := range []string{"--ente ala --database x", "-ente=ala", "--ente", "-- --ente x", "--ente= y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		value, rest, err := cutFlag(args, "ente")
		if err != nil {
			return
		}
		if len(rest) > len(args) || (value == "" && len(rest) != len(args)) {
			t.Fatalf("cutFlag(%q) = %q, %q", args, value, rest)
		}
		for i, a := range rest {
			if a == "--" {
				break
			}
			if a == "--ente" || a == "-ente" || strings.HasPrefix(a, "--ente=") || strings.HasPrefix(a, "-ente=") {
				t.Fatalf("cutFlag(%q) left %q at %d", args, a, i)
			}
		}
	})
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1.000", 12345: "12.345", 1234567: "1.234.567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
