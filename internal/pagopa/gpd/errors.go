package gpd

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sportello/sportello/internal/apperr"
)

// The kinds of failure a caller acts on; an *Error wraps one of them.
var (
	// ErrInvalid: the platform refused the request (400): a bug or data
	// the platform does not accept (an IBAN not registered); retrying does
	// not help.
	ErrInvalid = errors.New("gpd: invalid request")
	// ErrUnauthorized: the subscription key is missing or wrong (401, 403).
	ErrUnauthorized = errors.New("gpd: unauthorized")
	// ErrNotFound: no such position or receipt (404).
	ErrNotFound = errors.New("gpd: not found")
	// ErrConflict: the position exists, or its state forbids the change (409).
	ErrConflict = errors.New("gpd: conflict")
	// ErrRateLimited: too many requests (429); retry after RetryAfter.
	ErrRateLimited = errors.New("gpd: rate limited")
	// ErrUnavailable: the platform failed (5xx) or could not be reached.
	ErrUnavailable = errors.New("gpd: unavailable")
	// ErrTimeout: no answer in time; the call may or may not have been applied.
	ErrTimeout = errors.New("gpd: timeout")
)

// Error is a failed call: its kind, the status and the platform's
// ProblemJson.
type Error struct {
	Kind   error
	Status int
	Title  string
	Detail string
	// RetryAfter is the wait a 429 asked for; zero when not given.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	s := e.Kind.Error()
	if e.Status != 0 {
		s += " (" + strconv.Itoa(e.Status) + ")"
	}
	if e.Title != "" {
		s += ": " + e.Title
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap lets errors.Is match the kind, and apperr read a kind of its own.
func (e *Error) Unwrap() []error {
	return []error{e.Kind, apperr.New(e.appKind(), "")}
}

func (e *Error) appKind() apperr.Kind {
	switch e.Kind {
	case ErrInvalid:
		return apperr.Invalid
	case ErrNotFound:
		return apperr.NotFound
	case ErrConflict:
		return apperr.Conflict
	case ErrUnauthorized:
		return apperr.Forbidden
	}
	return apperr.Unavailable
}

// Temporary reports whether retrying the same call later may succeed.
func Temporary(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrRateLimited)
}

// Problem is the platform's error body (ProblemJson, RFC 7807).
type Problem struct {
	Title  string `json:"title,omitempty"`
	Status int    `json:"status,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// problem maps an unexpected answer to an *Error.
func problem(res *http.Response, raw []byte) *Error {
	e := &Error{Status: res.StatusCode}
	var p Problem
	if json.Unmarshal(raw, &p) == nil {
		e.Title, e.Detail = p.Title, p.Detail
	} else if len(raw) > 0 {
		e.Detail = fmt.Sprintf("%.200s", raw)
	}
	switch s := res.StatusCode; {
	case s == http.StatusBadRequest || s == http.StatusUnprocessableEntity:
		e.Kind = ErrInvalid
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		e.Kind = ErrUnauthorized
	case s == http.StatusNotFound:
		e.Kind = ErrNotFound
	case s == http.StatusConflict:
		e.Kind = ErrConflict
	case s == http.StatusTooManyRequests:
		e.Kind = ErrRateLimited
		if n, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && n > 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		}
	default:
		e.Kind = ErrUnavailable
	}
	return e
}
