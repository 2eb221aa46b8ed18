package registry

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/codfisc"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// Columns is the header of the registry CSV format, in order: one row per
// person, the household's columns repeated on each member's row. The
// format is documented in docs/registry.md.
var Columns = []string{
	"famiglia", "tipo_famiglia", "indirizzo", "civico", "interno", "cap", "localita", "senza_fissa_dimora",
	"codice_fiscale", "cognome", "nome", "sesso", "data_nascita", "luogo_nascita", "atto_nascita",
	"cittadinanza", "stato_civile", "data_matrimonio", "luogo_matrimonio", "coniuge", "relazione",
	"stato", "certificabilita", "procedimento_in_corso", "data_iscrizione", "data_morte",
}

// Rejection is one row an import refused, and every reason why.
type Rejection struct {
	Line    int // 1-based line of the file, the header being line 1
	Reasons []string
}

// Report is what an import did, or would have done.
type Report struct {
	Rows       int
	Persons    int
	Households int
	Rejected   []Rejection
	// Imported is false when nothing was written: a dry run, or a file
	// with rejected rows.
	Imported bool
}

// ImportOptions tunes Import.
type ImportOptions struct {
	// DryRun checks the file and reports without writing.
	DryRun bool
	// Progress, when set, is called after each row read and each
	// household written, for a progress bar.
	Progress func(stage string, done, total int)
	// Now dates the checks of birth dates and places.
	Now time.Time
}

// Import reads a registry CSV and stores its households and persons in
// one transaction, updating those already known by household number and
// codice fiscale. A file with any rejected row imports nothing: the report
// lists every rejected row and its reasons, so that the file can be
// corrected at once and imported again.
func Import(ctx context.Context, d *db.DB, ente tenant.ID, r io.Reader, opt ImportOptions) (*Report, error) {
	households, rep, err := parseCSV(r, opt)
	if err != nil {
		return nil, err
	}
	if len(rep.Rejected) > 0 || opt.DryRun {
		return rep, nil
	}
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		for i, h := range households {
			if err := saveParsed(ctx, tx, ente, h); err != nil {
				return err
			}
			if opt.Progress != nil {
				opt.Progress("write", i+1, len(households))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("registry: import: %w", err)
	}
	rep.Imported = true
	return rep, nil
}

// saveParsed stores one parsed household, or the persons without one.
func saveParsed(ctx context.Context, q db.Querier, ente tenant.ID, h *Household) error {
	if h.Code == "" {
		for _, p := range h.Members {
			if err := SavePerson(ctx, q, ente, p); err != nil {
				return err
			}
		}
		return nil
	}
	return Save(ctx, q, ente, h)
}

// parseCSV reads and checks the whole file, grouping rows by household
// in the order households first appear.
func parseCSV(r io.Reader, opt ImportOptions) ([]*Household, *Report, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("registry: import: read the header: %w", err)
	}
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff")
	}
	if !slices.Equal(head, Columns) {
		return nil, nil, fmt.Errorf("registry: import: the header must be %s", strings.Join(Columns, ","))
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	rep := &Report{}
	byCode := map[string]*Household{}
	codes := map[string]int{} // fiscal code → first line
	heads := map[string]int{} // household code → line of its head
	loose := &Household{}
	var order []*Household
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("registry: import: line %d: %w", line, err)
		}
		rep.Rows++
		if opt.Progress != nil {
			opt.Progress("read", rep.Rows, 0)
		}
		h, p, reasons := parseRow(rec, now)
		if p != nil && p.FiscalCode != "" {
			if first, dup := codes[p.FiscalCode]; dup {
				reasons = append(reasons, fmt.Sprintf("codice fiscale già alla riga %d", first))
			} else {
				codes[p.FiscalCode] = line
			}
		}
		if h != nil && p != nil && p.Relationship == Head && h.Code != "" {
			if first, dup := heads[h.Code]; dup {
				reasons = append(reasons, fmt.Sprintf("la famiglia %s ha già un intestatario alla riga %d", h.Code, first))
			} else {
				heads[h.Code] = line
			}
		}
		if h != nil && h.Code != "" {
			if prev, ok := byCode[h.Code]; ok && (prev.Address != h.Address || prev.Kind != h.Kind || prev.NoFixedAbode != h.NoFixedAbode) {
				reasons = append(reasons, fmt.Sprintf("la famiglia %s ha un indirizzo diverso da quello delle righe precedenti", h.Code))
			}
		}
		if len(reasons) > 0 {
			rep.Rejected = append(rep.Rejected, Rejection{Line: line, Reasons: reasons})
			continue
		}
		target := loose
		if h.Code != "" {
			if target = byCode[h.Code]; target == nil {
				target = h
				byCode[h.Code] = h
				order = append(order, h)
			}
		}
		target.Members = append(target.Members, p)
		rep.Persons++
	}
	rep.Households = len(order)
	if len(loose.Members) > 0 {
		order = append(order, loose)
	}
	return order, rep, nil
}

// parseRow checks one record and returns the household and person it
// describes, or the reasons it is refused (all of them, not the first).
func parseRow(rec []string, now time.Time) (*Household, *Person, []string) {
	if len(rec) != len(Columns) {
		return nil, nil, []string{fmt.Sprintf("%d colonne invece di %d", len(rec), len(Columns))}
	}
	col := func(name string) string { return strings.TrimSpace(rec[slices.Index(Columns, name)]) }
	var reasons []string
	bad := func(format string, args ...any) { reasons = append(reasons, fmt.Sprintf(format, args...)) }
	date := func(name string, required bool) calendar.Date {
		s := col(name)
		if s == "" {
			if required {
				bad("%s mancante", name)
			}
			return calendar.Date{}
		}
		d, err := calendar.ParseDate(s)
		if err != nil {
			bad("%s %q non è una data AAAA-MM-GG", name, s)
		}
		return d
	}
	flag := func(name string) bool {
		switch col(name) {
		case "", "0", "no":
			return false
		case "1", "si", "sì":
			return true
		}
		bad("%s deve essere 0 o 1", name)
		return false
	}
	number := func(name string, def int) int {
		s := col(name)
		if s == "" {
			return def
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			bad("%s %q non è un numero", name, s)
		}
		return n
	}

	h := &Household{
		Code: col("famiglia"), Kind: HouseholdKind(cmpOr(col("tipo_famiglia"), string(Family))),
		Address: Address{Street: col("indirizzo"), HouseNumber: col("civico"), Internal: col("interno"),
			Postcode: col("cap"), Locality: col("localita")},
		NoFixedAbode: flag("senza_fissa_dimora"),
	}
	if h.Kind != Family && h.Kind != Convivenza {
		bad("tipo_famiglia deve essere famiglia o convivenza")
	}
	p := &Person{
		FiscalCode: strings.ToUpper(col("codice_fiscale")), Surname: col("cognome"), Name: col("nome"),
		Sex: strings.ToUpper(col("sesso")), BirthDate: date("data_nascita", true),
		BirthPlace: strings.ToUpper(col("luogo_nascita")), BirthAct: col("atto_nascita"),
		Citizenship: strings.ToUpper(col("cittadinanza")), CivilStatus: CivilStatus(number("stato_civile", 9)),
		MarriageDate: date("data_matrimonio", false), MarriagePlace: col("luogo_matrimonio"), Spouse: col("coniuge"),
		Relationship: Relationship(number("relazione", 99)), Status: statusOf(col("stato")),
		Certifiable: Certifiability(number("certificabilita", 2)), PendingChange: flag("procedimento_in_corso"),
		RegisteredOn: date("data_iscrizione", true), DeathDate: date("data_morte", false),
	}
	if p.Surname == "" || p.Name == "" {
		bad("cognome e nome sono obbligatori")
	}
	if p.Sex != "M" && p.Sex != "F" {
		bad("sesso deve essere M o F")
	}
	if len(p.Citizenship) != 3 {
		bad("cittadinanza deve essere un codice ISO a 3 lettere (ITA)")
	}
	if !p.CivilStatus.Valid() {
		bad("stato_civile %d non è nella tabella ANPR", p.CivilStatus)
	}
	if !p.Relationship.Valid() {
		bad("relazione %d non è nella tabella ANPR 05", p.Relationship)
	}
	if p.Status == "" {
		bad("stato deve essere residente, aire, cancellato o deceduto")
	}
	if p.Certifiable < 0 || p.Certifiable > 4 {
		bad("certificabilita deve essere tra 0 e 4")
	}
	if (p.Status == Deceased) != !p.DeathDate.IsZero() {
		bad("data_morte è obbligatoria per i deceduti e solo per loro")
	}
	if p.Status == Resident {
		if h.Code == "" {
			bad("un residente deve appartenere a una famiglia")
		}
		if !h.NoFixedAbode && (h.Address.Street == "" || h.Address.HouseNumber == "" || h.Address.Postcode == "") {
			bad("indirizzo, civico e cap sono obbligatori per una famiglia con dimora")
		}
	}
	checkFiscalCode(p, now, bad)
	return h, p, reasons
}

// checkFiscalCode refuses a code that is malformed, names an unknown birth
// place, or disagrees with the person's name, sex, birth date and place.
func checkFiscalCode(p *Person, now time.Time, bad func(string, ...any)) {
	code, err := codfisc.Parse(p.FiscalCode)
	if err != nil {
		bad("codice fiscale non valido: %v", err)
		return
	}
	if err := codfisc.ValidatePlace(code, now); err != nil {
		bad("codice fiscale: %v", err)
	}
	if p.BirthDate.IsZero() || (p.Sex != "M" && p.Sex != "F") || p.Surname == "" || p.Name == "" {
		return
	}
	want, err := codfisc.Compute(p.Surname, p.Name, p.Sex[0], p.BirthDate.In(time.UTC), p.BirthPlace)
	if err != nil {
		bad("codice fiscale: %v", err)
		return
	}
	// Homonyms share the first 15 characters and differ only in the
	// omocodic letters: the canonical forms must agree.
	if code.Canonical() != want {
		bad("il codice fiscale non corrisponde a cognome, nome, sesso, data e luogo di nascita")
	}
}

var statusNames = map[string]Status{"residente": Resident, "aire": AIRE, "cancellato": Cancelled, "deceduto": Deceased}

func statusOf(s string) Status { return statusNames[strings.ToLower(s)] }

func statusName(s Status) string {
	for k, v := range statusNames {
		if v == s {
			return k
		}
	}
	return string(s)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Export writes the ente's whole registry in the import format, household
// by household, so that an export imported into an empty registry gives
// the same registry.
func Export(ctx context.Context, q db.Querier, ente tenant.ID, w io.Writer) (int, error) {
	const list = `SELECT ` + personColumnsP + `, COALESCE(h.code, ''), COALESCE(h.kind, ''), COALESCE(h.street, ''),
			COALESCE(h.house_number, ''), COALESCE(h.internal, ''), COALESCE(h.postcode, ''), COALESCE(h.locality, ''),
			COALESCE(h.no_fixed_abode, FALSE)
		FROM registry_person p LEFT JOIN registry_household h ON h.ente_id = p.ente_id AND h.id = p.household_id
		WHERE p.ente_id = $1 ORDER BY h.code IS NULL, h.code, p.relationship <> 1, p.relationship, p.birth_date, p.id`
	rows, err := q.QueryContext(ctx, list, ente)
	if err != nil {
		return 0, fmt.Errorf("registry: ente %d: export: %w", ente, err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return 0, fmt.Errorf("registry: export: %w", err)
	}
	n := 0
	for rows.Next() {
		var h Household
		var kind string
		var p *Person
		dests := []any{&h.Code, &kind, &h.Address.Street, &h.Address.HouseNumber, &h.Address.Internal,
			&h.Address.Postcode, &h.Address.Locality, &h.NoFixedAbode}
		p, err = scanPerson(joinScanner{rows, dests})
		if err != nil {
			return n, fmt.Errorf("registry: ente %d: export: %w", ente, err)
		}
		if h.Code != "" {
			h.Kind = HouseholdKind(kind)
		}
		if err := cw.Write(record(&h, p)); err != nil {
			return n, fmt.Errorf("registry: export: %w", err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("registry: ente %d: export: %w", ente, err)
	}
	cw.Flush()
	return n, cw.Error()
}

// personColumnsP is personColumns qualified with the table alias p.
const personColumnsP = `p.id, p.ente_id, p.fiscal_code, p.surname, p.name, p.sex, p.birth_date, p.birth_place,
	p.birth_act, p.citizenship, p.civil_status, p.marriage_date, p.marriage_place, p.spouse, p.household_id,
	p.relationship, p.status, p.certifiability, p.pending_change, p.registered_on, p.death_date`

// joinScanner scans a person's columns followed by extra ones.
type joinScanner struct {
	s     scanner
	extra []any
}

func (j joinScanner) Scan(dest ...any) error { return j.s.Scan(append(dest, j.extra...)...) }

// record is one person's row in the CSV format.
func record(h *Household, p *Person) []string {
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	return []string{
		h.Code, string(h.Kind), h.Address.Street, h.Address.HouseNumber, h.Address.Internal, h.Address.Postcode,
		h.Address.Locality, b(h.NoFixedAbode),
		p.FiscalCode, p.Surname, p.Name, p.Sex, dateColumn(p.BirthDate), p.BirthPlace, p.BirthAct,
		p.Citizenship, strconv.Itoa(int(p.CivilStatus)), dateColumn(p.MarriageDate), p.MarriagePlace, p.Spouse,
		strconv.Itoa(int(p.Relationship)), statusName(p.Status), strconv.Itoa(int(p.Certifiable)),
		b(p.PendingChange), dateColumn(p.RegisteredOn), dateColumn(p.DeathDate),
	}
}
