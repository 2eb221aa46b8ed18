// Package identity knows who is asking: citizens (found by codice fiscale
// after a SPID or CIE login), operators of the ente (password plus TOTP),
// their DB-backed sessions, the roles and permissions that decide what a
// principal may do, delegations between citizens, and the throttles that
// protect every credential endpoint.
//
// The package holds no state in memory: sessions, lockouts, throttle windows
// and used TOTP steps live in the database, so that any instance accepts a
// login and every instance refuses an ended session or a replayed code.
// Every store function takes the ente and filters by it; a row of another
// ente is NotFound. Functions take one `now` so that a transaction sees a
// single clock. SAML itself lives in the spid subpackage.
package identity

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/apperr"
)

// CitizenID identifies a citizen within an ente.
type CitizenID int64

// OperatorID identifies an operator within an ente.
type OperatorID int64

// SessionID identifies a session; the browser never sees it, only the token.
type SessionID int64

// DelegationID identifies a delegation within an ente.
type DelegationID int64

// SubjectKind tells the two kinds of people who hold sessions apart.
type SubjectKind string

// The subjects of a session.
const (
	SubjectCitizen  SubjectKind = "citizen"
	SubjectOperator SubjectKind = "operator"
)

// Subject names the person behind a session or an action, so that sessions
// and delegations can point at either a citizen or an operator.
type Subject struct {
	Kind SubjectKind
	ID   int64
}

// CitizenSubject is the Subject of a citizen.
func CitizenSubject(id CitizenID) Subject { return Subject{Kind: SubjectCitizen, ID: int64(id)} }

// OperatorSubject is the Subject of an operator.
func OperatorSubject(id OperatorID) Subject { return Subject{Kind: SubjectOperator, ID: int64(id)} }

// columns returns the nullable (citizen_id, operator_id) pair that tables
// use to point at a subject, or an error for an unknown kind.
func (s Subject) columns() (citizen, operator sql.NullInt64, err error) {
	switch s.Kind {
	case SubjectCitizen:
		return sql.NullInt64{Int64: s.ID, Valid: true}, sql.NullInt64{}, nil
	case SubjectOperator:
		return sql.NullInt64{}, sql.NullInt64{Int64: s.ID, Valid: true}, nil
	}
	return citizen, operator, apperr.Errorf(apperr.Invalid, "unknown subject kind %q", s.Kind)
}

// subjectOf is the inverse of columns.
func subjectOf(citizen, operator sql.NullInt64) Subject {
	if citizen.Valid {
		return CitizenSubject(CitizenID(citizen.Int64))
	}
	return OperatorSubject(OperatorID(operator.Int64))
}

// Errors the web layer tells apart (with errors.Is) to choose what to show;
// each comes wrapped in an apperr.Error of the kind noted.
var (
	// ErrBadCredentials (Unauthorized): wrong username or password, said
	// the same way for both so that usernames cannot be probed.
	ErrBadCredentials = errors.New("identity: wrong username or password")
	// ErrDisabled (Forbidden): the operator's account is disabled.
	ErrDisabled = errors.New("identity: account disabled")
	// ErrBadCode (Invalid): a TOTP, recovery or contact code that does
	// not match.
	ErrBadCode = errors.New("identity: wrong code")
	// ErrCodeExpired (Invalid): a contact code past its 15 minutes, or
	// one that used up its attempts; a new one must be requested.
	ErrCodeExpired = errors.New("identity: code expired, request a new one")
	// ErrTOTPRequired (Forbidden): the operator must enroll TOTP before
	// anything else.
	ErrTOTPRequired = errors.New("identity: second factor not enrolled")
)

// LockedError is the cause of the Forbidden error returned while an account
// is locked after too many failures, so that the page can say "too many
// attempts, retry after Until".
type LockedError struct {
	Until time.Time
	// RetryAfter is Until minus the time of the refused attempt.
	RetryAfter time.Duration
}

// Error says when the lock ends.
func (e *LockedError) Error() string {
	return fmt.Sprintf("identity: too many attempts, locked until %s", e.Until.Format(time.RFC3339))
}

// ts is the form in which every time is stored: UTC, at the microsecond
// precision PostgreSQL keeps, so that a value read back equals the one
// written on both engines.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// timeOf reads a nullable column back, NULL as the zero time.
func timeOf(n sql.NullTime) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return n.Time.UTC()
}

// digest is the SHA-256 of a high-entropy secret (session token, recovery
// code), enough to store it when guessing the secret is infeasible anyway.
func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		// Length-prefix every part so that ("ab","c") and ("a","bc") differ.
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

type scanner interface{ Scan(dest ...any) error }

// notFound turns sql.ErrNoRows into the NotFound kind, so that a missing row
// and another ente's row look the same to the caller.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.Errorf(apperr.NotFound, format, args...)
	}
	return err
}
