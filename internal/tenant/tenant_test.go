package tenant_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/tenant"
)

var now = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func sample(slug, istat, host string) *tenant.Ente {
	return &tenant.Ente{
		Slug: slug, Name: "Comune di " + slug, IstatCode: istat, Belfiore: "A116", IPACode: "c_" + slug,
		FiscalCode: "00000000000", Province: "TN", Hosts: []string{host, "www." + host},
		PatronDays: []calendar.MonthDay{{Month: time.February, Day: 14}, {Month: time.November, Day: 11}},
		Offices: []tenant.Office{
			{Slug: "punto-risposte", Name: "Punto risposte " + slug, IsDesk: true},
			{Slug: "anagrafe", Name: "Anagrafe " + slug, Street: "Via Roma 1", Hours: []tenant.Hours{
				{Weekday: time.Monday, Opens: "08:30", Closes: "12:30"},
				{Weekday: time.Thursday, Opens: "14:00", Closes: "17:00"},
			}},
		},
	}
}

func create(t *testing.T, d *db.DB, e *tenant.Ente) {
	t.Helper()
	err := d.InTx(context.Background(), func(tx *sql.Tx) error { return tenant.Create(context.Background(), tx, e, now) })
	if err != nil {
		t.Fatal(err)
	}
}

func TestCreateAndFind(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	want := sample("ala", "022001", "ala.example")
	create(t, d, want)
	for _, host := range []string{"ala.example", "ALA.example:8080", "www.ala.example"} {
		got, err := tenant.ByHost(ctx, d, host)
		if err != nil {
			t.Fatalf("ByHost(%q): %v", host, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ByHost(%q) mismatch (-want +got):\n%s", host, diff)
		}
	}
	got, err := tenant.Get(ctx, d, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get mismatch (-want +got):\n%s", diff)
	}
	if desk, ok := got.Desk(); !ok || desk.Slug != "punto-risposte" {
		t.Errorf("Desk() = %v, %v", desk, ok)
	}
	if got.Offices[0].Slug != "punto-risposte" {
		t.Errorf("the desk is not listed first: %v", got.Offices[0].Slug)
	}
	for cf, want := range map[string]bool{want.FiscalCode: true, "99999999999": false} {
		if ok, err := tenant.HasFiscalCode(ctx, d, cf); ok != want || err != nil {
			t.Errorf("HasFiscalCode(%s) = %t, %v; want %t", cf, ok, err, want)
		}
	}
}

func TestCreateConflicts(t *testing.T) {
	d := testdb.Open(t)
	create(t, d, sample("ala", "022001", "ala.example"))
	tests := []struct {
		name string
		e    *tenant.Ente
		kind apperr.Kind
	}{
		{"same host", sample("avio", "022007", "ala.example"), apperr.Conflict},
		{"same istat", sample("avio", "022001", "avio.example"), apperr.Conflict},
		{"invalid belfiore", func() *tenant.Ente { e := sample("avio", "022007", "avio.example"); e.Belfiore = "x"; return e }(), apperr.Invalid},
		{"host with port", func() *tenant.Ente { e := sample("avio", "022007", "avio.example:80"); return e }(), apperr.Invalid},
		{"bad hours", func() *tenant.Ente {
			e := sample("avio", "022007", "avio.example")
			e.Offices[1].Hours[0].Closes = "07:00"
			return e
		}(), apperr.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := d.InTx(context.Background(), func(tx *sql.Tx) error { return tenant.Create(context.Background(), tx, tc.e, now) })
			if apperr.KindOf(err) != tc.kind {
				t.Errorf("err = %v (kind %v), want kind %v", err, apperr.KindOf(err), tc.kind)
			}
		})
	}
	// Nothing of the failed creations may remain.
	list, err := tenant.List(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Errorf("List has %d enti after failed creations, want 1", len(list))
	}
}

// TestIsolation puts two enti in one database and proves that no store
// function lets one see the other's rows.
func TestIsolation(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ala, avio := sample("ala", "022001", "ala.example"), sample("avio", "022007", "avio.example")
	create(t, d, ala)
	create(t, d, avio)

	got, err := tenant.ByHost(ctx, d, "avio.example")
	if err != nil || got.ID != avio.ID {
		t.Fatalf("ByHost(avio) = %v, %v", got, err)
	}
	if _, err := tenant.ByHost(ctx, d, "unknown.example"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("ByHost(unknown) err = %v, want NotFound", err)
	}
	for _, pair := range [][2]*tenant.Ente{{ala, avio}, {avio, ala}} {
		me, other := pair[0], pair[1]
		offices, err := tenant.Offices(ctx, d, me.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range offices {
			for _, oo := range other.Offices {
				if o.ID == oo.ID {
					t.Errorf("%s sees office %d of %s", me.Slug, o.ID, other.Slug)
				}
			}
		}
		if len(offices) != len(me.Offices) {
			t.Errorf("%s has %d offices, want %d", me.Slug, len(offices), len(me.Offices))
		}
		// Same slug in both enti: each gets its own.
		o, err := tenant.GetOffice(ctx, d, me.ID, "anagrafe")
		if err != nil {
			t.Fatal(err)
		}
		if o.Name != "Anagrafe "+me.Slug {
			t.Errorf("GetOffice(%s, anagrafe) = %q", me.Slug, o.Name)
		}
		e, err := tenant.Get(ctx, d, me.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(me.Hosts, e.Hosts); diff != "" {
			t.Errorf("%s hosts (-want +got):\n%s", me.Slug, diff)
		}
	}
	// A row may not point at another ente's office.
	_, err = d.ExecContext(ctx, `INSERT INTO office_hours (ente_id, office_id, weekday, opens, closes) VALUES ($1, $2, 1, '08:00', '09:00')`,
		ala.ID, avio.Offices[1].ID)
	if !db.IsForeignKeyViolation(err) {
		t.Errorf("cross-ente office_hours row: err = %v, want a foreign-key violation", err)
	}
}

func TestNormalizeHost(t *testing.T) {
	tests := map[string]string{
		"localhost":          "localhost",
		"LocalHost:8080":     "localhost",
		"127.0.0.1:39211":    "127.0.0.1",
		"[::1]:8080":         "::1",
		"comune.ala.tn.it.":  "comune.ala.tn.it",
		" servizi.example  ": "servizi.example",
	}
	for in, want := range tests {
		if got := tenant.NormalizeHost(in); got != want {
			t.Errorf("NormalizeHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWeek(t *testing.T) {
	o := tenant.Office{Hours: []tenant.Hours{
		{Weekday: time.Thursday, Opens: "14:00", Closes: "17:30"},
		{Weekday: time.Sunday, Opens: "10:00", Closes: "11:00"},
		{Weekday: time.Thursday, Opens: "08:30", Closes: "12:30"},
		{Weekday: time.Monday, Opens: "08:30", Closes: "12:30"},
	}}
	want := []tenant.DayHours{
		{Weekday: time.Monday, Intervals: []string{"08:30–12:30"}},
		{Weekday: time.Thursday, Intervals: []string{"08:30–12:30", "14:00–17:30"}},
		{Weekday: time.Sunday, Intervals: []string{"10:00–11:00"}},
	}
	if diff := cmp.Diff(want, o.Week()); diff != "" {
		t.Errorf("Week() mismatch (-want +got):\n%s", diff)
	}
}

// TestPatronDays: the ente's patron days make its calendar, and an
// impossible day is refused when the ente is stored.
func TestPatronDays(t *testing.T) {
	e := sample("ala", "022001", "ala.example")
	cal, err := e.Calendar()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		day     calendar.Date
		holiday bool
	}{
		{calendar.D(2026, 2, 13), false},
		{calendar.D(2026, 11, 11), true},
		{calendar.D(2027, 2, 15), false},
	} {
		if got := cal.IsHoliday(tc.day); got != tc.holiday {
			t.Errorf("IsHoliday(%v) = %v, want %v", tc.day, got, tc.holiday)
		}
	}
	e.PatronDays = []calendar.MonthDay{{Month: time.February, Day: 30}}
	if err := e.Validate(); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("Validate with 30 February: %v, want Invalid", err)
	}
}

// BenchmarkHasFiscalCode is the lookup the pagoPA station makes for every
// request, in a consortium of 300 enti: the figure in
// docs/benchmarks-pagopa-msg.md.
func BenchmarkHasFiscalCode(b *testing.B) {
	ctx := context.Background()
	d := testdb.Open(b)
	const n = 300
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			e := sample(fmt.Sprintf("comune-%d", i), fmt.Sprintf("%06d", 22000+i), fmt.Sprintf("comune-%d.example", i))
			e.FiscalCode = fmt.Sprintf("%011d", 1000+i)
			if err := tenant.Create(ctx, tx, e, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	last := fmt.Sprintf("%011d", 1000+n-1)
	for b.Loop() {
		if ok, err := tenant.HasFiscalCode(ctx, d, last); !ok || err != nil {
			b.Fatalf("HasFiscalCode(%s) = %t, %v", last, ok, err)
		}
	}
}
