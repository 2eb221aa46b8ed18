package protocol

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// RegisterDay is one day of an ente's register, the content of the daily
// register (registro giornaliero di protocollo) that the AgID 2021
// guidelines want produced every day and sent to preservation: every entry
// registered that day, in number order, and the chain hashes that bind the
// day to the days before it. A day is a civil day in Europe/Rome, midnight
// to midnight, so it lasts 23, 24 or 25 hours.
type RegisterDay struct {
	Ente tenant.ID
	// EnteName, IPACode and FiscalCode identify the ente in the documents,
	// which must make sense without the database.
	EnteName   string
	IPACode    string
	FiscalCode string
	Day        calendar.Date
	// From and To are the day's bounds in UTC: entries registered at or
	// after From and before To.
	From, To time.Time
	Entries  []DayEntry
	// PreviousHash is the chain's head when the day began: the previous
	// hash of its first entry, or for a day without entries the head it
	// leaves unchanged (Genesis before the year's first entry).
	PreviousHash string
	// HeadHash is the chain's head when the day ended: the hash of its last
	// entry, or PreviousHash for a day without entries. The next day's
	// PreviousHash equals it, which is what makes the registers a chain.
	HeadHash string
}

// DayEntry is an entry of the daily register, with the annulment that
// hit it the same day, so that the register shows it annulled.
type DayEntry struct {
	Entry
	// AnnulledBy is the number of the entry of the same day that annuls
	// this one, zero if none. A later annulment appears only in its own
	// day's register: a day's register never changes once produced.
	AnnulledBy Number
}

// dayFormat names the JSON's layout (and hashVersion, also written, the
// entries' hash form), so that a preservation system can tell how to read
// and check a document long after this code has changed.
const dayFormat = "sportello-daily-register-v1"

const (
	selectDay = selectEntry + ` WHERE ente_id = $1 AND year = $2 AND registered_at >= $3 AND registered_at < $4
		ORDER BY number`
	selectHeadBefore = `SELECT hash FROM protocol_entry WHERE ente_id = $1 AND year = $2 AND registered_at < $3
		ORDER BY number DESC LIMIT 1`
)

// DailyRegister reads the ente's entries of day and checks that they chain
// (each to the one before, each hash matching its entry): a register that
// certified a broken chain would be worse than none, so a break is
// returned as a *ChainError. Run it on a day that has ended; the job does.
func DailyRegister(ctx context.Context, q db.Querier, ente tenant.ID, day calendar.Date) (RegisterDay, error) {
	if !day.Valid() {
		return RegisterDay{}, apperr.Errorf(apperr.Invalid, "protocol: daily register: %v is not a date", day)
	}
	loc, err := rome()
	if err != nil {
		return RegisterDay{}, fmt.Errorf("protocol: daily register: load Europe/Rome: %w", err)
	}
	en, err := tenant.Get(ctx, q, ente)
	if err != nil {
		return RegisterDay{}, fmt.Errorf("protocol: daily register %s: %w", day, err)
	}
	rd := RegisterDay{
		Ente: ente, EnteName: en.Name, IPACode: en.IPACode, FiscalCode: en.FiscalCode, Day: day,
		From: day.In(loc).UTC(), To: day.AddDays(1).In(loc).UTC(),
	}
	if err := rd.load(ctx, q); err != nil {
		return RegisterDay{}, fmt.Errorf("protocol: daily register %s: %w", day, err)
	}
	return rd, nil
}

// load fills the entries and hashes of rd, whose bounds are set.
func (rd *RegisterDay) load(ctx context.Context, q db.Querier) error {
	year := rd.Day.Year
	rows, err := q.QueryContext(ctx, selectDay, rd.Ente, year, rd.From, rd.To)
	if err != nil {
		return err
	}
	defer rows.Close()
	rd.Entries = []DayEntry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return err
		}
		rd.Entries = append(rd.Entries, DayEntry{Entry: *e})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(rd.Entries) == 0 {
		rd.PreviousHash = Genesis
		err := q.QueryRowContext(ctx, selectHeadBefore, rd.Ente, year, rd.To).Scan(&rd.PreviousHash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		rd.HeadHash = rd.PreviousHash
		return nil
	}
	if err := rd.checkChain(); err != nil {
		return err
	}
	rd.PreviousHash = rd.Entries[0].PreviousHash
	rd.HeadHash = rd.Entries[len(rd.Entries)-1].Hash
	at := map[Number]int{}
	for i, e := range rd.Entries {
		at[e.Number] = i
		if e.Annuls() && e.AnnulsYear == year {
			if j, ok := at[e.AnnulsNumber]; ok {
				rd.Entries[j].AnnulledBy = e.Number
			}
		}
	}
	return nil
}

// checkChain verifies the hashes and links within the day; Verify checks
// the year. Numbers need not be consecutive: a registration whose clock
// read 23:59:59 may take its number after one that read 00:00:00, and then
// each of the two days has its own hole, which Verify sees closed.
func (rd *RegisterDay) checkChain() error {
	for i := range rd.Entries {
		e := &rd.Entries[i].Entry
		broken := func(reason string) error {
			return &ChainError{Ente: rd.Ente, Year: e.Year, Number: e.Number, Reason: reason}
		}
		switch {
		case e.computeHash() != e.Hash:
			return broken("hash does not match the entry's contents")
		case i > 0 && e.Number == rd.Entries[i-1].Number+1 && e.PreviousHash != rd.Entries[i-1].Hash:
			return broken("does not chain to the previous entry of the day")
		case e.Number == 1 && e.PreviousHash != Genesis:
			return broken("the year's first entry does not start from Genesis")
		}
	}
	return nil
}

// jsonDay is the layout of the daily register's JSON: fixed field names in
// a fixed order, every field always present, so that the same day always
// gives the same bytes and the same SHA-256.
type jsonDay struct {
	Format       string      `json:"format"`
	Ente         jsonEnte    `json:"ente"`
	Day          string      `json:"day"`
	TimeZone     string      `json:"time_zone"`
	From         string      `json:"from"`
	To           string      `json:"to"`
	Count        int         `json:"count"`
	PreviousHash string      `json:"previous_hash"`
	HeadHash     string      `json:"head_hash"`
	HashVersion  string      `json:"hash_version"`
	Entries      []jsonEntry `json:"entries"`
}

type jsonEnte struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	IPACode    string `json:"ipa_code"`
	FiscalCode string `json:"fiscal_code"`
}

// jsonEntry carries every field the entry's hash covers, in the form the
// hash uses, so that a preservation system can recompute the chain from
// the document alone (the canonical form is Entry.computeHash's).
type jsonEntry struct {
	Year           int    `json:"year"`
	Number         int64  `json:"number"`
	Display        string `json:"display"`
	Direction      string `json:"direction"`
	RegisteredAt   string `json:"registered_at"`
	Subject        string `json:"subject"`
	Correspondent  string `json:"correspondent"`
	DocumentSHA256 string `json:"document_sha256"`
	AnnulsYear     int    `json:"annuls_year"`
	AnnulsNumber   int64  `json:"annuls_number"`
	AnnulReason    string `json:"annul_reason"`
	AnnulAct       string `json:"annul_act"`
	AnnulledBy     int64  `json:"annulled_by"`
	CreatedBy      string `json:"created_by"`
	PreviousHash   string `json:"previous_hash"`
	Hash           string `json:"hash"`
}

// JSON renders the day as the machine-readable daily register: indented
// UTF-8, entries in number order, times in UTC to the microsecond (as
// hashed), zero for an absent annulment. The output depends only on the
// day's data, never on when it is produced.
func (d RegisterDay) JSON() ([]byte, error) {
	out := jsonDay{
		Format: dayFormat,
		Ente:   jsonEnte{ID: int64(d.Ente), Name: d.EnteName, IPACode: d.IPACode, FiscalCode: d.FiscalCode},
		Day:    d.Day.String(), TimeZone: "Europe/Rome",
		From: d.From.UTC().Format(time.RFC3339), To: d.To.UTC().Format(time.RFC3339),
		Count: len(d.Entries), PreviousHash: d.PreviousHash, HeadHash: d.HeadHash, HashVersion: hashVersion,
		Entries: make([]jsonEntry, 0, len(d.Entries)),
	}
	for _, e := range d.Entries {
		out.Entries = append(out.Entries, jsonEntry{
			Year: e.Year, Number: int64(e.Number), Display: e.Display(), Direction: string(e.Direction),
			RegisteredAt: e.RegisteredAt.UTC().Format(timeLayout), Subject: e.Subject, Correspondent: e.Correspondent,
			DocumentSHA256: e.DocumentSHA256, AnnulsYear: e.AnnulsYear, AnnulsNumber: int64(e.AnnulsNumber),
			AnnulReason: e.AnnulReason, AnnulAct: e.AnnulAct, AnnulledBy: int64(e.AnnulledBy), CreatedBy: e.CreatedBy,
			PreviousHash: e.PreviousHash, Hash: e.Hash,
		})
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("protocol: daily register %s: json: %w", d.Day, err)
	}
	return b.Bytes(), nil
}

// DailyRecord is the row that says a day's register was produced: where
// its two documents are and what chain state they certify. It is what an
// operator lists and what the transfer to preservation starts from.
type DailyRecord struct {
	Ente    tenant.ID
	Day     calendar.Date
	Year    int
	Entries int
	// FirstNumber and LastNumber are the day's lowest and highest numbers,
	// zero for a day without entries.
	FirstNumber, LastNumber Number
	PreviousHash, HeadHash  string
	// JSON and PDF are the blob keys (the SHA-256) of the two documents.
	JSON, PDF blob.Key
	CreatedAt time.Time
}

// record describes d stored under the given keys at now.
func (d RegisterDay) record(jsonKey, pdfKey blob.Key, now time.Time) DailyRecord {
	rec := DailyRecord{
		Ente: d.Ente, Day: d.Day, Year: d.Day.Year, Entries: len(d.Entries),
		PreviousHash: d.PreviousHash, HeadHash: d.HeadHash, JSON: jsonKey, PDF: pdfKey,
		CreatedAt: now.UTC().Truncate(time.Microsecond),
	}
	for i, e := range d.Entries {
		if i == 0 || e.Number < rec.FirstNumber {
			rec.FirstNumber = e.Number
		}
		rec.LastNumber = max(rec.LastNumber, e.Number)
	}
	return rec
}

const insertDaily = `INSERT INTO protocol_daily_register (ente_id, day, year, entries, first_number, last_number,
	previous_hash, head_hash, json_sha256, pdf_sha256, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
	ON CONFLICT (ente_id, day) DO NOTHING`

// insertDailyRecord records rec unless its day is already recorded: the
// first register of a day stands, whoever produced it.
func insertDailyRecord(ctx context.Context, q db.Querier, rec DailyRecord) error {
	var first, last sql.NullInt64
	if rec.Entries > 0 {
		first = sql.NullInt64{Int64: int64(rec.FirstNumber), Valid: true}
		last = sql.NullInt64{Int64: int64(rec.LastNumber), Valid: true}
	}
	_, err := q.ExecContext(ctx, insertDaily, rec.Ente, rec.Day.String(), rec.Year, rec.Entries, first, last,
		rec.PreviousHash, rec.HeadHash, string(rec.JSON), string(rec.PDF), rec.CreatedAt)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return nil
}

// DailyRecords lists the ente's produced daily registers from day from to
// day to included, oldest first.
func DailyRecords(ctx context.Context, q db.Querier, ente tenant.ID, from, to calendar.Date) ([]DailyRecord, error) {
	rows, err := q.QueryContext(ctx, `SELECT ente_id, day, year, entries, first_number, last_number, previous_hash,
		head_hash, json_sha256, pdf_sha256, created_at FROM protocol_daily_register
		WHERE ente_id = $1 AND day >= $2 AND day <= $3 ORDER BY day`, ente, from.String(), to.String())
	if err != nil {
		return nil, fmt.Errorf("protocol: daily records: %w", err)
	}
	defer rows.Close()
	var out []DailyRecord
	for rows.Next() {
		var (
			r           DailyRecord
			day         string
			first, last sql.NullInt64
			jsonKey     string
			pdfKey      string
		)
		err := rows.Scan(&r.Ente, &day, &r.Year, &r.Entries, &first, &last, &r.PreviousHash, &r.HeadHash,
			&jsonKey, &pdfKey, &r.CreatedAt)
		if err != nil {
			return nil, fmt.Errorf("protocol: daily records: %w", err)
		}
		if r.Day, err = calendar.ParseDate(day); err != nil {
			return nil, fmt.Errorf("protocol: daily records: %w", err)
		}
		r.FirstNumber, r.LastNumber = Number(first.Int64), Number(last.Int64)
		r.JSON, r.PDF, r.CreatedAt = blob.Key(jsonKey), blob.Key(pdfKey), r.CreatedAt.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("protocol: daily records: %w", err)
	}
	return out, nil
}
