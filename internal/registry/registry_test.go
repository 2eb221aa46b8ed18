package registry_test

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/registry"
	"github.com/sportello/sportello/internal/tenant"
)

var (
	ctx   = context.Background()
	now   = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	today = calendar.D(2026, 11, 26)
)

func newEnte(t testing.TB, d *db.DB, slug string) tenant.ID {
	t.Helper()
	istat := map[string]string{"ala": "022001", "avio": "022007"}[slug]
	e := &tenant.Ente{Slug: slug, Name: "Comune di " + slug, IstatCode: istat, Belfiore: "A116",
		IPACode: "c_" + slug, FiscalCode: "00000000000", Province: "TN", Hosts: []string{slug + ".example"}}
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return tenant.Create(ctx, tx, e, now) }); err != nil {
		t.Fatal(err)
	}
	return e.ID
}

// family is the Tomasi household of the demo, as CSV.
const family = `famiglia,tipo_famiglia,indirizzo,civico,interno,cap,localita,senza_fissa_dimora,codice_fiscale,cognome,nome,sesso,data_nascita,luogo_nascita,atto_nascita,cittadinanza,stato_civile,data_matrimonio,luogo_matrimonio,coniuge,relazione,stato,certificabilita,procedimento_in_corso,data_iscrizione,data_morte
000002,famiglia,Via Nuova,22,,38061,,0,TMSMRC79E03H612A,Tomasi,Marco,M,1979-05-03,H612,,ITA,2,2006-06-10,Ala (TN),Pederzolli Chiara,1,residente,2,0,2006-06-10,
000002,famiglia,Via Nuova,22,,38061,,0,PDRCHR82P61H612E,Pederzolli,Chiara,F,1982-09-21,H612,,ITA,2,2006-06-10,Ala (TN),Tomasi Marco,2,residente,2,0,2006-06-10,
000002,famiglia,Via Nuova,22,,38061,,0,TMSSFO07C70H612C,Tomasi,Sofia,F,2007-03-30,H612,,ITA,1,,,,3,residente,2,0,2007-03-30,
`

func TestImportAndRead(t *testing.T) {
	d := testdb.Open(t)
	ala, avio := newEnte(t, d, "ala"), newEnte(t, d, "avio")
	var stages []string
	rep, err := registry.Import(ctx, d, ala, strings.NewReader(family), registry.ImportOptions{Now: now,
		Progress: func(stage string, done, total int) { stages = append(stages, stage) }})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&registry.Report{Rows: 3, Persons: 3, Households: 1, Imported: true}, rep); diff != "" {
		t.Errorf("report mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"read", "read", "read", "write"}, stages); diff != "" {
		t.Errorf("progress mismatch (-want +got):\n%s", diff)
	}
	sofia, err := registry.PersonByFiscalCode(ctx, d, ala, "TMSSFO07C70H612C")
	if err != nil {
		t.Fatal(err)
	}
	if sofia.BirthDate != calendar.D(2007, 3, 30) || sofia.Relationship != registry.Child || sofia.Status != registry.Resident {
		t.Errorf("Sofia read back as %+v", sofia)
	}
	h, err := registry.Local{DB: d}.Household(ctx, ala, sofia.Household)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range h.Members {
		names = append(names, m.FullName())
	}
	if diff := cmp.Diff([]string{"Tomasi Marco", "Pederzolli Chiara", "Tomasi Sofia"}, names); diff != "" {
		t.Errorf("members mismatch (-want +got):\n%s", diff)
	}
	if got := h.Address.String(); got != "Via Nuova 22" {
		t.Errorf("address %q", got)
	}
	// Another ente sees nobody.
	if _, err := registry.PersonByFiscalCode(ctx, d, avio, "TMSSFO07C70H612C"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("other ente: err = %v, want NotFound", err)
	}
	if _, err := registry.GetHousehold(ctx, d, avio, h.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("other ente's household: err = %v, want NotFound", err)
	}
	// Importing again updates in place.
	again := strings.ReplaceAll(family, "Via Nuova,22", "Via Roma,3")
	if _, err := registry.Import(ctx, d, ala, strings.NewReader(again), registry.ImportOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	c, err := registry.Count(ctx, d, ala)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(registry.Counts{Persons: 3, Residents: 3, Households: 1}, c); diff != "" {
		t.Errorf("counts mismatch (-want +got):\n%s", diff)
	}
}

func TestImportRejects(t *testing.T) {
	header := strings.SplitN(family, "\n", 2)[0] + "\n"
	rows := strings.Split(strings.TrimSpace(family), "\n")[1:]
	tests := []struct {
		name string
		row  string
		want []string
	}{
		{"bad code", strings.Replace(rows[0], "TMSMRC79E03H612A", "TMSMRC79E03H612K", 1),
			[]string{`codice fiscale non valido: codfisc: wrong check character at position 16: got "K", want A`}},
		{"code of someone else", strings.Replace(rows[0], "Marco", "Mario", 1),
			[]string{"il codice fiscale non corrisponde a cognome, nome, sesso, data e luogo di nascita"}},
		{"bad date and sex", strings.Replace(strings.Replace(rows[0], "1979-05-03", "03/05/1979", 1), ",M,", ",X,", 1),
			[]string{`data_nascita "03/05/1979" non è una data AAAA-MM-GG`, "sesso deve essere M o F"}},
		{"unknown codes", strings.Replace(rows[2], ",ITA,1,,,,3,", ",IT,5,,,,77,", 1),
			[]string{"cittadinanza deve essere un codice ISO a 3 lettere (ITA)", "stato_civile 5 non è nella tabella ANPR",
				"relazione 77 non è nella tabella ANPR 05"}},
		{"resident without address", strings.Replace(rows[0], "Via Nuova,22", ",", 1),
			[]string{"indirizzo, civico e cap sono obbligatori per una famiglia con dimora"}},
		{"short row", "000002,famiglia", []string{"2 colonne invece di 26"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := testdb.Open(t)
			ala := newEnte(t, d, "ala")
			file := header + tc.row + "\n" + rows[1] + "\n"
			rep, err := registry.Import(ctx, d, ala, strings.NewReader(file), registry.ImportOptions{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			want := &registry.Report{Rows: 2, Persons: 1, Households: 1, Rejected: []registry.Rejection{{Line: 2, Reasons: tc.want}}}
			if diff := cmp.Diff(want, rep); diff != "" {
				t.Errorf("report mismatch (-want +got):\n%s", diff)
			}
			// Nothing is half-imported: the good row is not stored either.
			if c, err := registry.Count(ctx, d, ala); err != nil || c.Persons != 0 {
				t.Errorf("after a rejected file: %+v, %v; want nothing stored", c, err)
			}
		})
	}
}

func TestImportFileRules(t *testing.T) {
	rows := strings.Split(strings.TrimSpace(family), "\n")
	// rows[0] is the header.
	d := testdb.Open(t)
	ala := newEnte(t, d, "ala")
	file := strings.Join([]string{rows[0], rows[1], rows[1], strings.Replace(rows[3], ",3,residente", ",1,residente", 1),
		strings.Replace(rows[2], "Via Nuova,22", "Via Nuova,24", 1)}, "\n")
	rep, err := registry.Import(ctx, d, ala, strings.NewReader(file), registry.ImportOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := []registry.Rejection{
		{Line: 3, Reasons: []string{"codice fiscale già alla riga 2", "la famiglia 000002 ha già un intestatario alla riga 2"}},
		{Line: 4, Reasons: []string{"la famiglia 000002 ha già un intestatario alla riga 2"}},
		{Line: 5, Reasons: []string{"la famiglia 000002 ha un indirizzo diverso da quello delle righe precedenti"}},
	}
	if diff := cmp.Diff(want, rep.Rejected); diff != "" {
		t.Errorf("rejections mismatch (-want +got):\n%s", diff)
	}
	if _, err := registry.Import(ctx, d, ala, strings.NewReader("nome,cognome\n"), registry.ImportOptions{}); err == nil {
		t.Error("a file with another header: want an error")
	}
}

func TestGenerateExportRoundTrip(t *testing.T) {
	fixed := []*registry.Household{{Address: registry.Address{Street: "Via Nuova", HouseNumber: "22", Postcode: "38061"},
		Members: []*registry.Person{{Surname: "Tomasi", Name: "Marco", Sex: "M", BirthDate: calendar.D(1979, 5, 3),
			BirthPlace: "H612", Relationship: registry.Head, CivilStatus: registry.Married}}}}
	hs := registry.Generate(300, fixed, today)
	again := registry.Generate(300, []*registry.Household{{Address: fixed[0].Address, Members: []*registry.Person{{
		Surname: "Tomasi", Name: "Marco", Sex: "M", BirthDate: calendar.D(1979, 5, 3), BirthPlace: "H612",
		Relationship: registry.Head, CivilStatus: registry.Married}}}}, today)
	if diff := cmp.Diff(hs, again); diff != "" {
		t.Fatalf("Generate is not deterministic (-first +second):\n%s", diff)
	}
	if hs[0].Members[0].FiscalCode != "TMSMRC79E03H612A" {
		t.Errorf("the fixed person got code %s", hs[0].Members[0].FiscalCode)
	}

	d := testdb.Open(t)
	ala, avio := newEnte(t, d, "ala"), newEnte(t, d, "avio")
	if err := d.InTx(ctx, func(tx *sql.Tx) error {
		for _, h := range hs {
			if err := registry.Save(ctx, tx, ala, h); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var first bytes.Buffer
	n, err := registry.Export(ctx, d, ala, &first)
	if err != nil {
		t.Fatal(err)
	}
	if n < 300 || n > 306 {
		t.Errorf("exported %d persons, want about 300", n)
	}
	// Every generated person passes the import's checks, and importing the
	// export into another ente gives the same export.
	rep, err := registry.Import(ctx, d, avio, bytes.NewReader(first.Bytes()), registry.ImportOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rejected) > 0 {
		t.Fatalf("the generated registry has rejected rows: %+v", rep.Rejected[:min(3, len(rep.Rejected))])
	}
	var second bytes.Buffer
	if _, err := registry.Export(ctx, d, avio, &second); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first.String(), second.String()); diff != "" {
		t.Errorf("export after import mismatch (-first +second):\n%s", diff)
	}
}

func FuzzImport(f *testing.F) {
	f.Add(family)
	f.Add(strings.SplitN(family, "\n", 2)[0] + "\n\"unterminated\n")
	f.Add("")
	d := testdb.Open(f)
	ala := newEnte(f, d, "ala")
	f.Fuzz(func(t *testing.T, file string) {
		rep, err := registry.Import(ctx, d, ala, strings.NewReader(file), registry.ImportOptions{Now: now, DryRun: true})
		if err != nil {
			return
		}
		if rep.Persons+len(rep.Rejected) != rep.Rows {
			t.Errorf("%d persons + %d rejected != %d rows", rep.Persons, len(rep.Rejected), rep.Rows)
		}
	})
}

// TestHouseholdWithoutResidents checks that a household whose members are
// no longer resident reads whole, with no members, and the same as when it
// had them.
func TestHouseholdWithoutResidents(t *testing.T) {
	d := testdb.Open(t)
	ala := newEnte(t, d, "ala")
	if _, err := registry.Import(ctx, d, ala, strings.NewReader(family), registry.ImportOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	marco, err := registry.PersonByFiscalCode(ctx, d, ala, "TMSMRC79E03H612A")
	if err != nil {
		t.Fatal(err)
	}
	with, err := registry.GetHousehold(ctx, d, ala, marco.Household)
	if err != nil || len(with.Members) != 3 {
		t.Fatalf("GetHousehold = %v members, %v; want 3", with, err)
	}
	if _, err := d.ExecContext(ctx, `UPDATE registry_person SET status = 'cancelled' WHERE ente_id = $1`, ala); err != nil {
		t.Fatal(err)
	}
	without, err := registry.GetHousehold(ctx, d, ala, marco.Household)
	if err != nil {
		t.Fatal(err)
	}
	with.Members = nil
	if diff := cmp.Diff(with, without); diff != "" {
		t.Errorf("household without residents mismatch (-with members +without):\n%s", diff)
	}
	if _, err := registry.GetHousehold(ctx, d, ala, marco.Household+1000); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("missing household: err = %v, want NotFound", err)
	}
}
