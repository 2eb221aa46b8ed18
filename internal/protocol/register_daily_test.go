package protocol_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/tenant"
)

// utc builds an instant; the tests name instants in UTC and say in
// comments what the clock in Rome read.
func utc(year int, month time.Month, day, hour, min, sec, nsec int) time.Time {
	return time.Date(year, month, day, hour, min, sec, nsec, time.UTC)
}

func dailyRegister(t *testing.T, q db.Querier, ente tenant.ID, day calendar.Date) protocol.RegisterDay {
	t.Helper()
	rd, err := protocol.DailyRegister(context.Background(), q, ente, day)
	if err != nil {
		t.Fatalf("DailyRegister(%s): %v", day, err)
	}
	return rd
}

func subjects(rd protocol.RegisterDay) []string {
	var out []string
	for _, e := range rd.Entries {
		out = append(out, e.Subject)
	}
	return out
}

// TestDailyRegisterDayBoundaries puts entries on both sides of midnight in
// Rome, on ordinary days, on the two DST days (23 and 25 hours long) and
// across the new year, and checks which day's register lists each, how
// long each day is, and that consecutive days chain.
func TestDailyRegisterDayBoundaries(t *testing.T) {
	d := testdb.Open(t)
	ente := newEnte(t, d, "ala", "022001")
	at := []struct {
		subject string
		at      time.Time
	}{
		{"31 dic 23:59:59", utc(2025, 12, 31, 22, 59, 59, 999999000)},
		{"1 gen 00:00", utc(2025, 12, 31, 23, 0, 0, 0)},
		{"28 mar 23:59:59.999999", utc(2026, 3, 28, 22, 59, 59, 999999000)},
		{"29 mar 00:00", utc(2026, 3, 28, 23, 0, 0, 0)},
		{"29 mar 03:00 CEST", utc(2026, 3, 29, 1, 0, 0, 0)},
		{"29 mar 23:59:59 CEST", utc(2026, 3, 29, 21, 59, 59, 0)},
		{"30 mar 00:00 CEST", utc(2026, 3, 29, 22, 0, 0, 0)},
		{"24 ott 23:59:59 CEST", utc(2026, 10, 24, 21, 59, 59, 0)},
		{"25 ott 00:00 CEST", utc(2026, 10, 24, 22, 0, 0, 0)},
		{"25 ott 02:30 CEST", utc(2026, 10, 25, 0, 30, 0, 0)},
		{"25 ott 02:30 CET", utc(2026, 10, 25, 1, 30, 0, 0)},
		{"25 ott 23:59:59 CET", utc(2026, 10, 25, 22, 59, 59, 0)},
		{"26 ott 00:00 CET", utc(2026, 10, 25, 23, 0, 0, 0)},
	}
	for _, e := range at {
		register(t, d, incoming(ente, e.subject), e.at)
	}
	tests := []struct {
		day   calendar.Date
		hours int
		want  []string
	}{
		{calendar.D(2025, 12, 30), 24, nil},
		{calendar.D(2025, 12, 31), 24, []string{"31 dic 23:59:59"}},
		{calendar.D(2026, 1, 1), 24, []string{"1 gen 00:00"}},
		{calendar.D(2026, 3, 28), 24, []string{"28 mar 23:59:59.999999"}},
		{calendar.D(2026, 3, 29), 23, []string{"29 mar 00:00", "29 mar 03:00 CEST", "29 mar 23:59:59 CEST"}},
		{calendar.D(2026, 3, 30), 24, []string{"30 mar 00:00 CEST"}},
		{calendar.D(2026, 10, 24), 24, []string{"24 ott 23:59:59 CEST"}},
		{calendar.D(2026, 10, 25), 25, []string{"25 ott 00:00 CEST", "25 ott 02:30 CEST", "25 ott 02:30 CET", "25 ott 23:59:59 CET"}},
		{calendar.D(2026, 10, 26), 24, []string{"26 ott 00:00 CET"}},
	}
	for _, tc := range tests {
		t.Run(tc.day.String(), func(t *testing.T) {
			rd := dailyRegister(t, d, ente, tc.day)
			if diff := cmp.Diff(tc.want, subjects(rd)); diff != "" {
				t.Errorf("entries mismatch (-want +got):\n%s", diff)
			}
			if got := rd.To.Sub(rd.From); got != time.Duration(tc.hours)*time.Hour {
				t.Errorf("the day lasts %s, want %dh", got, tc.hours)
			}
		})
	}

	// Each day starts where the one before ended, empty days included; the
	// year's first day starts from Genesis.
	prev := dailyRegister(t, d, ente, calendar.D(2026, 1, 1))
	if prev.PreviousHash != protocol.Genesis {
		t.Errorf("1 January starts from %s, want Genesis", prev.PreviousHash)
	}
	for day := calendar.D(2026, 1, 2); !day.After(calendar.D(2026, 10, 27)); day = day.AddDays(1) {
		rd := dailyRegister(t, d, ente, day)
		if rd.PreviousHash != prev.HeadHash {
			t.Fatalf("%s starts from %.12s…, but %s ended at %.12s…", day, rd.PreviousHash, prev.Day, prev.HeadHash)
		}
		if len(rd.Entries) == 0 && rd.HeadHash != rd.PreviousHash {
			t.Fatalf("%s has no entries but moves the head", day)
		}
		prev = rd
	}
	if empty := dailyRegister(t, d, ente, calendar.D(2025, 12, 30)); empty.PreviousHash != protocol.Genesis || empty.HeadHash != protocol.Genesis {
		t.Errorf("a day before any entry: hashes %s %s, want Genesis", empty.PreviousHash, empty.HeadHash)
	}
}

// dayFixture registers, for one ente, a day with an annulment of an entry
// of the same day and one of an entry of the day before, and an entry of
// another ente that must not appear.
func dayFixture(t *testing.T, d *db.DB) tenant.ID {
	t.Helper()
	ctx := context.Background()
	ente := newEnte(t, d, "ala", "022001")
	other := newEnte(t, d, "avio", "022007")
	// 1 March, 18:00 in Rome.
	register(t, d, incoming(ente, "Domanda del giorno prima"), utc(2026, 3, 1, 17, 0, 0, 0))
	day := []*protocol.Entry{
		incoming(ente, "Domanda di residenza – \"Rossi\" & famiglia <urgente>"),
		{Ente: ente, Direction: protocol.Out, Subject: "Esito: accolta", Correspondent: "Anna Bianchi",
			DocumentSHA256: sum("esito"), CreatedBy: "user:7"},
		incoming(ente, "Domanda doppia"),
	}
	for i, e := range day {
		// 2 March from 08:15 in Rome, one an hour.
		register(t, d, e, utc(2026, 3, 2, 7+i, 15, 0, 250000000))
	}
	register(t, d, incoming(other, "Altro ente"), utc(2026, 3, 2, 9, 0, 0, 0))
	annul := func(n protocol.Number, reason string, at time.Time) {
		t.Helper()
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			_, err := protocol.Annul(ctx, tx, ente, 2026, n, reason, "Determina n. 3/2026", "user:7", at)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	annul(4, "Registrata due volte", utc(2026, 3, 2, 15, 0, 0, 0))
	annul(1, "Documento di altro ente", utc(2026, 3, 2, 16, 0, 0, 0))
	// 3 March, 00:30 in Rome: the next day.
	register(t, d, incoming(ente, "Domanda del giorno dopo"), utc(2026, 3, 2, 23, 30, 0, 0))
	return ente
}

func TestDailyRegisterJSONGolden(t *testing.T) {
	d := testdb.Open(t)
	ente := dayFixture(t, d)
	rd := dailyRegister(t, d, ente, calendar.D(2026, 3, 2))
	var annulledBy []protocol.Number
	for _, e := range rd.Entries {
		annulledBy = append(annulledBy, e.AnnulledBy)
	}
	// Entry 4 is annulled by 5 the same day; entry 1, of 1 March, is
	// annulled by 6, but its own day's register does not change.
	if diff := cmp.Diff([]protocol.Number{0, 0, 5, 0, 0}, annulledBy); diff != "" {
		t.Errorf("annulled-by mismatch (-want +got):\n%s", diff)
	}
	got, err := rd.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "register_day.json", got)
	again, err := dailyRegister(t, d, ente, calendar.D(2026, 3, 2)).JSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(got) {
		t.Error("two renders of the same day differ")
	}
}

func TestDailyRegisterFindsABrokenChain(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	ente := dayFixture(t, d)
	dropImmutability(t, d)
	if _, err := d.ExecContext(ctx, `UPDATE protocol_entry SET subject = 'falso' WHERE ente_id = $1 AND number = 3`, ente); err != nil {
		t.Fatal(err)
	}
	_, err := protocol.DailyRegister(ctx, d, ente, calendar.D(2026, 3, 2))
	var ce *protocol.ChainError
	if !errors.As(err, &ce) || ce.Number != 3 {
		t.Fatalf("DailyRegister = %v, want a chain break at 3", err)
	}
	if _, err := protocol.DailyRegister(ctx, d, ente, calendar.D(2026, 3, 1)); err != nil {
		t.Errorf("the day before is intact: %v", err)
	}
}

func TestDailyRegisterRefuses(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	if _, err := protocol.DailyRegister(ctx, d, 1, calendar.D(2026, 2, 30)); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("30 February: %v, want Invalid", err)
	}
	if _, err := protocol.DailyRegister(ctx, d, 99, calendar.D(2026, 2, 3)); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unknown ente: %v, want NotFound", err)
	}
}

// TestDailyRegisterJSONIsSelfContained recomputes every entry's hash and
// the day's chain from the JSON alone, as a preservation system would, with
// the canonical form written out again here: each field as its length, a
// colon and its value, one a line.
func TestDailyRegisterJSONIsSelfContained(t *testing.T) {
	d := testdb.Open(t)
	ente := dayFixture(t, d)
	doc, err := dailyRegister(t, d, ente, calendar.D(2026, 3, 2)).JSON()
	if err != nil {
		t.Fatal(err)
	}
	var day struct {
		Ente         struct{ ID int64 }
		PreviousHash string `json:"previous_hash"`
		HeadHash     string `json:"head_hash"`
		HashVersion  string `json:"hash_version"`
		Entries      []struct {
			Year           int
			Number         int64
			Direction      string
			RegisteredAt   string `json:"registered_at"`
			Subject        string
			Correspondent  string
			DocumentSHA256 string `json:"document_sha256"`
			AnnulsYear     int    `json:"annuls_year"`
			AnnulsNumber   int64  `json:"annuls_number"`
			AnnulReason    string `json:"annul_reason"`
			AnnulAct       string `json:"annul_act"`
			CreatedBy      string `json:"created_by"`
			PreviousHash   string `json:"previous_hash"`
			Hash           string
		}
	}
	if err := json.Unmarshal(doc, &day); err != nil {
		t.Fatal(err)
	}
	head := day.PreviousHash
	for _, e := range day.Entries {
		annulsYear, annulsNumber := "", ""
		if e.AnnulsNumber != 0 {
			annulsYear, annulsNumber = strconv.Itoa(e.AnnulsYear), strconv.FormatInt(e.AnnulsNumber, 10)
		}
		h := sha256.New()
		for _, f := range []string{day.HashVersion, strconv.FormatInt(day.Ente.ID, 10), strconv.Itoa(e.Year),
			strconv.FormatInt(e.Number, 10), e.Direction, e.RegisteredAt, e.Subject, e.Correspondent,
			e.DocumentSHA256, annulsYear, annulsNumber, e.AnnulReason, e.AnnulAct, e.CreatedBy, e.PreviousHash} {
			fmt.Fprintf(h, "%d:%s\n", len(f), f)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != e.Hash {
			t.Errorf("entry %d: recomputed hash %s, JSON says %s", e.Number, got, e.Hash)
		}
		if e.PreviousHash != head {
			t.Errorf("entry %d does not chain", e.Number)
		}
		head = e.Hash
	}
	if head != day.HeadHash {
		t.Errorf("the chain ends at %s, head_hash says %s", head, day.HeadHash)
	}
}
