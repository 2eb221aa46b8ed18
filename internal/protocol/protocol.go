// Package protocol is the ente's built-in protocol register (registro di
// protocollo, DPR 445/2000 arts. 53-57): every document received or sent gets
// a number, gapless per ente and calendar year, and an entry that is never
// changed or removed. Each entry chains to the previous one by SHA-256, so a
// row altered behind the application's back is detectable (Verify); an
// entry is annulled by a new entry that references it (Annul).
package protocol

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/chain"
	"github.com/sportello/sportello/internal/tenant"
)

// Direction says whether a document came into the ente or left it, because
// the register records both and the correspondent's role depends on it.
type Direction string

// The directions of DPR 445/2000 art. 53: documents received and sent.
const (
	In  Direction = "in"
	Out Direction = "out"
)

// Number is a protocol number, unique within an ente and a year; its own
// type so that it always prints with the padding citizens see on receipts.
type Number int64

// String pads the number to seven digits ("0000042"), the width the
// register promises so that numbers sort and read alike all year.
func (n Number) String() string { return fmt.Sprintf("%07d", int64(n)) }

// Genesis is the previous hash of each year's first entry.
const Genesis = chain.Genesis

// Entry is one line of the register; Register and Annul fill in the year,
// number, time and hashes, the caller the rest.
type Entry struct {
	Ente   tenant.ID
	Year   int
	Number Number
	// Direction is In for a document received, Out for one sent.
	Direction Direction
	// RegisteredAt is when the number was taken, in UTC to the microsecond
	// (the precision both engines keep, so that the hash can be recomputed).
	RegisteredAt time.Time
	Subject      string
	// Correspondent is the sender of an incoming document or the recipient
	// of an outgoing one (mittente or destinatario).
	Correspondent string
	// DocumentSHA256 is the lowercase hex SHA-256 of the document (its
	// impronta), empty when the entry has no document of its own.
	DocumentSHA256 string
	PreviousHash   string
	Hash           string
	// AnnulsYear and AnnulsNumber name the entry this one annuls; zero when
	// it annuls nothing. The year is needed because an entry of December
	// may be annulled in January.
	AnnulsYear   int
	AnnulsNumber Number
	// AnnulReason and AnnulAct are the reason and the authorising act of an
	// annulment (art. 54 c. 2), empty otherwise.
	AnnulReason string
	AnnulAct    string
	// CreatedBy names who registered the entry: a user or a system job.
	CreatedBy string
}

// Display is the number as shown on receipts and pages, "2026/0000042",
// because a number alone is ambiguous across years.
func (e *Entry) Display() string {
	return strconv.Itoa(e.Year) + "/" + e.Number.String()
}

// Annuls reports whether the entry annuls another one.
func (e *Entry) Annuls() bool { return e.AnnulsNumber != 0 }

var sha256Re = regexp.MustCompile(`^[0-9a-f]{64}$`)

// validate checks what the caller supplies; an annulment's own fields are
// checked by Annul.
func (e *Entry) validate() error {
	var probs []string
	if e.Ente <= 0 {
		probs = append(probs, "no ente")
	}
	if e.Direction != In && e.Direction != Out {
		probs = append(probs, fmt.Sprintf("direction %q: want in or out", e.Direction))
	}
	if strings.TrimSpace(e.Subject) == "" {
		probs = append(probs, "subject is empty")
	}
	if strings.TrimSpace(e.Correspondent) == "" {
		probs = append(probs, "correspondent is empty")
	}
	if e.DocumentSHA256 != "" && !sha256Re.MatchString(e.DocumentSHA256) {
		probs = append(probs, "document SHA-256: want 64 lowercase hex digits")
	}
	if strings.TrimSpace(e.CreatedBy) == "" {
		probs = append(probs, "created by nobody")
	}
	if len(probs) > 0 {
		return apperr.Errorf(apperr.Invalid, "%s", strings.Join(probs, "; "))
	}
	return nil
}

// hashVersion starts the canonical form, so that a future change of the
// form can coexist with entries hashed under this one.
const hashVersion = "sportello-protocol-v1"

// timeLayout fixes the time's textual form in the hash: UTC, microseconds.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// computeHash is SHA-256 over a canonical form of every stored field but the
// hash itself: each field as its length, a colon and its value, one a line,
// so that no two different entries serialise alike.
func (e *Entry) computeHash() string {
	annulsYear, annulsNumber := "", ""
	if e.Annuls() {
		annulsYear, annulsNumber = strconv.Itoa(e.AnnulsYear), strconv.FormatInt(int64(e.AnnulsNumber), 10)
	}
	fields := []string{
		hashVersion,
		strconv.FormatInt(int64(e.Ente), 10),
		strconv.Itoa(e.Year),
		strconv.FormatInt(int64(e.Number), 10),
		string(e.Direction),
		e.RegisteredAt.UTC().Format(timeLayout),
		e.Subject,
		e.Correspondent,
		e.DocumentSHA256,
		annulsYear,
		annulsNumber,
		e.AnnulReason,
		e.AnnulAct,
		e.CreatedBy,
		e.PreviousHash,
	}
	return chain.Hash(fields...)
}

// rome is where the year of a registration is decided: an entry at 00:30 on
// 1 January in Italy belongs to the new year even though it is still
// December in UTC.
var rome = sync.OnceValues(func() (*time.Location, error) {
	return time.LoadLocation("Europe/Rome")
})

// yearOf returns the register year of an instant.
func yearOf(t time.Time) (int, error) {
	loc, err := rome()
	if err != nil {
		return 0, fmt.Errorf("load Europe/Rome (import time/tzdata in main): %w", err)
	}
	return t.In(loc).Year(), nil
}
