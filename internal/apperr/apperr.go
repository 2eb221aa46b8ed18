// Package apperr gives errors a kind, so that every layer can say what went
// wrong in terms the web layer maps, in one place, to a status page.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller can do about it.
type Kind int

// The kinds of error the application distinguishes.
const (
	// Internal is any error without a more precise kind: a bug or an outage.
	Internal Kind = iota
	// NotFound means the thing asked for does not exist for this caller.
	NotFound
	// Invalid means the caller sent input that fails validation.
	Invalid
	// Unauthorized means the caller must log in first.
	Unauthorized
	// Forbidden means the caller is known but may not do this.
	Forbidden
	// Conflict means the request clashes with the current state.
	Conflict
	// TooLarge means the request body exceeds the allowed size.
	TooLarge
	// Unavailable means a dependency is down; retrying later may work.
	Unavailable
	// TooMany means the caller made too many attempts (a rate limit or a
	// lockout); retrying later may work.
	TooMany
	// Unprocessable means a well-formed form has mistakes the page explains
	// next to the fields.
	Unprocessable
)

var kindNames = map[Kind]string{
	Internal:      "internal",
	NotFound:      "not found",
	Invalid:       "invalid",
	Unauthorized:  "unauthorized",
	Forbidden:     "forbidden",
	Conflict:      "conflict",
	TooLarge:      "too large",
	Unavailable:   "unavailable",
	TooMany:       "too many",
	Unprocessable: "unprocessable",
}

// String returns the kind's English name, for logs.
func (k Kind) String() string { return kindNames[k] }

// Error carries a kind, a message safe to show to users, and the cause.
type Error struct {
	Kind Kind
	// Public is a message written for the user; empty means the status page's default text.
	Public string
	Err    error
}

// Error returns the message for logs: kind, public text and cause.
func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Public != "":
		return e.Public + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Err.Error()
	case e.Public != "":
		return e.Public
	}
	return e.Kind.String()
}

// Unwrap exposes the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error of the given kind with a message safe to show users.
func New(kind Kind, public string) error {
	return &Error{Kind: kind, Public: public}
}

// Errorf returns an error of the given kind whose message is formatted like
// fmt.Errorf (so %w wraps); the message is for logs, not for users.
func Errorf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Err: fmt.Errorf(format, args...)}
}

// KindOf reports the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// PublicOf returns the first user-facing message in err's chain, or "".
func PublicOf(err error) string {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return ""
		}
		if e.Public != "" {
			return e.Public
		}
		err = e.Err
	}
	return ""
}

// Is reports whether err has the given kind.
func Is(err error, kind Kind) bool {
	return err != nil && KindOf(err) == kind
}
