package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// ContactKind is the kind of contact a citizen confirms with a code.
type ContactKind string

// The contacts that can be confirmed.
const (
	ContactEmail ContactKind = "email"
	ContactPhone ContactKind = "phone"
)

// A contact code lives ContactCodeTTL and allows ContactCodeAttempts
// guesses: one in 200,000 odds for a guesser, short enough to type from a
// phone.
const (
	ContactCodeTTL      = 15 * time.Minute
	ContactCodeAttempts = 5
)

// normalizeContact validates value for kind.
func normalizeContact(kind ContactKind, value string) (string, error) {
	switch kind {
	case ContactEmail:
		return NormalizeEmail(value)
	case ContactPhone:
		return NormalizePhone(value)
	}
	return "", apperr.Errorf(apperr.Invalid, "unknown contact kind %q", kind)
}

// contactHash binds the code to the citizen, kind and value, so that a code
// sent for one address cannot confirm another.
func contactHash(ente tenant.ID, citizen CitizenID, kind ContactKind, value, code string) string {
	return digest("contact", strconv.FormatInt(int64(ente), 10), strconv.FormatInt(int64(citizen), 10),
		string(kind), value, code)
}

// StartContactCheck validates value and returns a fresh 6-digit code to send
// to it (by e-mail or SMS, or in a link: the web layer decides). Only a hash
// of the code is stored; a new check replaces the pending one of the same
// kind, resetting the attempts. The caller should throttle it, since every
// call sends a message.
func StartContactCheck(ctx context.Context, q db.Querier, ente tenant.ID, citizen CitizenID, kind ContactKind, value string, now time.Time) (code string, err error) {
	value, err = normalizeContact(kind, value)
	if err != nil {
		return "", fmt.Errorf("citizen %d: check %s: %w", citizen, kind, err)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("citizen %d: check %s: %w", citizen, kind, err)
	}
	code = fmt.Sprintf("%06d", n.Int64())
	const upsert = `INSERT INTO contact_check (ente_id, citizen_id, kind, value, code_hash, attempts, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, 0, $6, $7)
		ON CONFLICT (ente_id, citizen_id, kind) DO UPDATE SET value = excluded.value,
		code_hash = excluded.code_hash, attempts = 0, created_at = excluded.created_at, expires_at = excluded.expires_at`
	_, err = q.ExecContext(ctx, upsert, ente, citizen, string(kind), value, contactHash(ente, citizen, kind, value, code),
		ts(now), ts(now.Add(ContactCodeTTL)))
	if db.IsForeignKeyViolation(err) {
		return "", apperr.Errorf(apperr.NotFound, "citizen %d: check %s: no such citizen", citizen, kind)
	}
	if err != nil {
		return "", fmt.Errorf("citizen %d: check %s: %w", citizen, kind, err)
	}
	return code, nil
}

// ConfirmContact checks code against the pending check of kind and, if it
// matches, stores the value as the citizen's verified e-mail or phone. The
// attempt is counted before the code is compared, so that concurrent
// guesses cannot exceed ContactCodeAttempts; a wrong code is ErrBadCode,
// an expired or exhausted check ErrCodeExpired, no pending check NotFound.
func ConfirmContact(ctx context.Context, q db.Querier, ente tenant.ID, citizen CitizenID, kind ContactKind, code string, now time.Time) error {
	if kind != ContactEmail && kind != ContactPhone {
		return apperr.Errorf(apperr.Invalid, "unknown contact kind %q", kind)
	}
	const take = `UPDATE contact_check SET attempts = attempts + 1
		WHERE ente_id = $1 AND citizen_id = $2 AND kind = $3 AND attempts < $4 AND expires_at > $5
		RETURNING value, code_hash`
	var value, hash string
	err := q.QueryRowContext(ctx, take, ente, citizen, string(kind), ContactCodeAttempts, ts(now)).Scan(&value, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		var pending int
		err := q.QueryRowContext(ctx, `SELECT count(*) FROM contact_check WHERE ente_id = $1 AND citizen_id = $2 AND kind = $3`,
			ente, citizen, string(kind)).Scan(&pending)
		if err != nil {
			return fmt.Errorf("citizen %d: confirm %s: %w", citizen, kind, err)
		}
		if pending == 0 {
			return apperr.Errorf(apperr.NotFound, "citizen %d: confirm %s: no pending check", citizen, kind)
		}
		return apperr.Errorf(apperr.Invalid, "citizen %d: confirm %s: %w", citizen, kind, ErrCodeExpired)
	}
	if err != nil {
		return fmt.Errorf("citizen %d: confirm %s: %w", citizen, kind, err)
	}
	want := contactHash(ente, citizen, kind, value, strings.TrimSpace(code))
	if subtle.ConstantTimeCompare([]byte(want), []byte(hash)) != 1 {
		return apperr.Errorf(apperr.Invalid, "citizen %d: confirm %s: %w", citizen, kind, ErrBadCode)
	}
	set := `UPDATE citizen SET email = $3, email_verified = TRUE WHERE ente_id = $1 AND id = $2`
	if kind == ContactPhone {
		set = `UPDATE citizen SET phone = $3, phone_verified = TRUE WHERE ente_id = $1 AND id = $2`
	}
	what := fmt.Sprintf("citizen %d: confirm %s", citizen, kind)
	if err := execOne(ctx, q, what, set, ente, citizen, value); err != nil {
		return err
	}
	return execOne(ctx, q, what, `DELETE FROM contact_check WHERE ente_id = $1 AND citizen_id = $2 AND kind = $3`,
		ente, citizen, string(kind))
}
