package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// Session lifetimes. A session ends after IdleTimeout without requests or
// MaxAge after it started, whichever comes first. Operators get the same
// limits as citizens: 12 hours cover the longest desk shift, so nobody is
// logged out mid-shift, and 30 idle minutes close a desk left unattended.
const (
	CitizenIdleTimeout  = 30 * time.Minute
	CitizenMaxAge       = 12 * time.Hour
	OperatorIdleTimeout = 30 * time.Minute
	OperatorMaxAge      = 12 * time.Hour
	// touchInterval is how stale last_seen may get before LookupSession
	// writes it again: at most one write a minute per session.
	touchInterval = time.Minute
)

// Session is a logged-in browser. The browser holds a random token; the
// database holds its SHA-256, so a database copy cannot be used to log in.
type Session struct {
	ID      SessionID
	Ente    tenant.ID
	Subject Subject
	// IdP, NameID, NameQualifier and SessionIndex come from the SAML
	// assertion and are needed to log out at the IdP; empty for operators.
	IdP           string
	NameID        string
	NameQualifier string
	SessionIndex  string
	// Level is the SPID/CIE level for citizens; 2 for an operator who
	// passed password and TOTP.
	Level     int
	UserAgent string
	// IP is the client's network, masked at storage (/24 for IPv4, /48 for
	// IPv6): enough to recognise a place, not a household.
	IP         string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end (CreatedAt + MaxAge).
	ExpiresAt time.Time
	// EndedAt is set by a logout; zero while the session lives.
	EndedAt time.Time
}

// IdleTimeout is the idle limit of the session's kind of subject.
func (s *Session) IdleTimeout() time.Duration {
	if s.Subject.Kind == SubjectOperator {
		return OperatorIdleTimeout
	}
	return CitizenIdleTimeout
}

// Active reports whether the session may be used at now.
func (s *Session) Active(now time.Time) bool {
	return s.EndedAt.IsZero() && now.Before(s.ExpiresAt) && now.Before(s.LastSeenAt.Add(s.IdleTimeout()))
}

// SessionInput describes the login that starts a session.
type SessionInput struct {
	IdP           string
	NameID        string
	NameQualifier string
	SessionIndex  string
	Level         int
	UserAgent     string
	IP            string
}

// maxUserAgent bounds what a client can make us store.
const maxUserAgent = 512

// OperatorLevel is the level of an operator's session: password plus TOTP,
// the equivalent of SPID level 2.
const OperatorLevel = 2

// StartSession records a new session for subject and returns the token to
// put in the cookie (128 random bits, base64url). Call it after every
// login, so that a session id is never reused across logins. A citizen's
// session needs the SPID/CIE level (1–3). An operator's session is started
// only after both factors, so its level is OperatorLevel (a zero Level is
// taken as that); a disabled operator, or one without a confirmed second
// factor, gets none.
func StartSession(ctx context.Context, q db.Querier, ente tenant.ID, subject Subject, in SessionInput, now time.Time) (string, *Session, error) {
	citizen, operator, err := subject.columns()
	if err != nil {
		return "", nil, fmt.Errorf("start session: %w", err)
	}
	maxAge := CitizenMaxAge
	if subject.Kind == SubjectOperator {
		maxAge = OperatorMaxAge
		if in.Level == 0 {
			in.Level = OperatorLevel
		}
		var disabled, totp bool
		err := q.QueryRowContext(ctx, `SELECT disabled, totp_enabled FROM operator WHERE ente_id = $1 AND id = $2`,
			ente, subject.ID).Scan(&disabled, &totp)
		if err != nil {
			return "", nil, fmt.Errorf("start session: operator %d: %w", subject.ID, notFound(err, "no such operator"))
		}
		if disabled {
			return "", nil, apperr.Errorf(apperr.Forbidden, "start session: operator %d: %w", subject.ID, ErrDisabled)
		}
		if !totp {
			return "", nil, apperr.Errorf(apperr.Forbidden, "start session: operator %d: %w", subject.ID, ErrTOTPRequired)
		}
		if in.Level < OperatorLevel || in.Level > 3 {
			return "", nil, apperr.Errorf(apperr.Invalid, "start session: operator level %d out of 2–3", in.Level)
		}
	}
	if in.Level < 1 || in.Level > 3 {
		return "", nil, apperr.Errorf(apperr.Invalid, "start session: level %d out of 1–3", in.Level)
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("start session: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	s := &Session{
		Ente: ente, Subject: subject, IdP: in.IdP, NameID: in.NameID, NameQualifier: in.NameQualifier,
		SessionIndex: in.SessionIndex, Level: in.Level, UserAgent: truncateUTF8(in.UserAgent, maxUserAgent),
		IP: MaskIP(in.IP), CreatedAt: ts(now), LastSeenAt: ts(now), ExpiresAt: ts(now.Add(maxAge)),
	}
	const insert = `INSERT INTO session (ente_id, token_hash, citizen_id, operator_id, idp, name_id, name_qualifier,
		session_index, level, user_agent, ip, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`
	err = q.QueryRowContext(ctx, insert, ente, tokenHash(token), citizen, operator, s.IdP, s.NameID, s.NameQualifier,
		s.SessionIndex, s.Level, s.UserAgent, s.IP, s.CreatedAt, s.LastSeenAt, s.ExpiresAt).Scan(&s.ID)
	if db.IsForeignKeyViolation(err) {
		return "", nil, apperr.Errorf(apperr.NotFound, "start session: no such %s %d", subject.Kind, subject.ID)
	}
	if err != nil {
		return "", nil, fmt.Errorf("start session: %w", err)
	}
	return token, s, nil
}

func tokenHash(token string) string { return digest("session", token) }

const selectSession = `SELECT id, ente_id, citizen_id, operator_id, idp, name_id, name_qualifier, session_index,
	level, user_agent, ip, created_at, last_seen_at, expires_at, ended_at FROM session`

func scanSession(s scanner) (*Session, error) {
	x := &Session{}
	var citizen, operator sql.NullInt64
	var ended sql.NullTime
	err := s.Scan(&x.ID, &x.Ente, &citizen, &operator, &x.IdP, &x.NameID, &x.NameQualifier, &x.SessionIndex,
		&x.Level, &x.UserAgent, &x.IP, &x.CreatedAt, &x.LastSeenAt, &x.ExpiresAt, &ended)
	if err != nil {
		return nil, err
	}
	x.Subject = subjectOf(citizen, operator)
	x.CreatedAt, x.LastSeenAt, x.ExpiresAt, x.EndedAt = x.CreatedAt.UTC(), x.LastSeenAt.UTC(), x.ExpiresAt.UTC(), timeOf(ended)
	return x, nil
}

// LookupSession returns the live session of the ente whose token is given.
// An unknown, ended or expired token, or one of another ente, is NotFound.
// It reads the database every time, so a logout on one instance is seen by
// all; it refreshes last_seen at most once a minute.
func LookupSession(ctx context.Context, q db.Querier, ente tenant.ID, token string, now time.Time) (*Session, error) {
	if token == "" || len(token) > 64 {
		return nil, apperr.Errorf(apperr.NotFound, "session: no such session")
	}
	s, err := scanSession(q.QueryRowContext(ctx, selectSession+` WHERE ente_id = $1 AND token_hash = $2`, ente, tokenHash(token)))
	if err != nil {
		return nil, fmt.Errorf("session: %w", notFound(err, "no such session"))
	}
	if !s.Active(now) {
		return nil, apperr.Errorf(apperr.NotFound, "session %d: ended or expired", s.ID)
	}
	if now.Sub(s.LastSeenAt) >= touchInterval {
		s.LastSeenAt = ts(now)
		_, err := q.ExecContext(ctx, `UPDATE session SET last_seen_at = $3 WHERE ente_id = $1 AND id = $2 AND ended_at IS NULL`,
			ente, s.ID, s.LastSeenAt)
		if err != nil {
			return nil, fmt.Errorf("session %d: touch: %w", s.ID, err)
		}
	}
	return s, nil
}

// EndSession logs one session out (the user's logout, or an administrator
// ending someone's session). Ending an ended session does nothing; a
// session of another ente is NotFound.
func EndSession(ctx context.Context, q db.Querier, ente tenant.ID, id SessionID, now time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE session SET ended_at = $3 WHERE ente_id = $1 AND id = $2 AND ended_at IS NULL`,
		ente, id, ts(now))
	if err != nil {
		return fmt.Errorf("session %d: end: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var exists int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM session WHERE ente_id = $1 AND id = $2`, ente, id).Scan(&exists); err != nil {
		return fmt.Errorf("session %d: end: %w", id, err)
	}
	if exists == 0 {
		return apperr.Errorf(apperr.NotFound, "session %d: no such session", id)
	}
	return nil
}

// EndAllSessions logs subject out everywhere and returns how many live
// sessions it ended.
func EndAllSessions(ctx context.Context, q db.Querier, ente tenant.ID, subject Subject, now time.Time) (int, error) {
	col, idle, err := subjectColumn(subject)
	if err != nil {
		return 0, fmt.Errorf("end sessions: %w", err)
	}
	res, err := q.ExecContext(ctx, `UPDATE session SET ended_at = $3 WHERE ente_id = $1 AND `+col+` = $2
		AND ended_at IS NULL AND expires_at > $3 AND last_seen_at > $4`, ente, subject.ID, ts(now), ts(now.Add(-idle)))
	if err != nil {
		return 0, fmt.Errorf("end sessions of %s %d: %w", subject.Kind, subject.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("end sessions of %s %d: %w", subject.Kind, subject.ID, err)
	}
	// Sessions already expired are closed too, without being counted.
	if _, err := q.ExecContext(ctx, `UPDATE session SET ended_at = $3 WHERE ente_id = $1 AND `+col+` = $2 AND ended_at IS NULL`,
		ente, subject.ID, ts(now)); err != nil {
		return 0, fmt.Errorf("end sessions of %s %d: %w", subject.Kind, subject.ID, err)
	}
	return int(n), nil
}

// subjectColumn is the session column that points at the subject, and the
// subject's idle timeout.
func subjectColumn(s Subject) (string, time.Duration, error) {
	switch s.Kind {
	case SubjectCitizen:
		return "citizen_id", CitizenIdleTimeout, nil
	case SubjectOperator:
		return "operator_id", OperatorIdleTimeout, nil
	}
	return "", 0, apperr.Errorf(apperr.Invalid, "unknown subject kind %q", s.Kind)
}

// ListSessions returns subject's live sessions, most recently used first,
// for the "your sessions" page.
func ListSessions(ctx context.Context, q db.Querier, ente tenant.ID, subject Subject, now time.Time) ([]*Session, error) {
	col, _, err := subjectColumn(subject)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return listSessions(ctx, q, now, selectSession+` WHERE ente_id = $1 AND `+col+` = $2 AND ended_at IS NULL
		AND expires_at > $3 ORDER BY last_seen_at DESC, id DESC`, ente, subject.ID, ts(now))
}

// ListAllSessions returns every live session of the ente, for the
// administrators' page.
func ListAllSessions(ctx context.Context, q db.Querier, ente tenant.ID, now time.Time) ([]*Session, error) {
	return listSessions(ctx, q, now, selectSession+` WHERE ente_id = $1 AND ended_at IS NULL AND expires_at > $2
		ORDER BY last_seen_at DESC, id DESC`, ente, ts(now))
}

func listSessions(ctx context.Context, q db.Querier, now time.Time, query string, args ...any) ([]*Session, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []*Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		if s.Active(now) {
			out = append(out, s)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return out, nil
}

// SessionByNameID finds the session an IdP-initiated SAML LogoutRequest
// names: the newest one not yet ended with that IdP and NameID and, when
// sessionIndex is not empty, that SessionIndex.
func SessionByNameID(ctx context.Context, q db.Querier, ente tenant.ID, idp, nameID, sessionIndex string) (*Session, error) {
	if idp == "" || nameID == "" {
		return nil, apperr.Errorf(apperr.NotFound, "session by NameID: no IdP or NameID")
	}
	query := selectSession + ` WHERE ente_id = $1 AND idp = $2 AND name_id = $3 AND ended_at IS NULL
		AND ($4 = '' OR session_index = $4) ORDER BY created_at DESC, id DESC LIMIT 1`
	s, err := scanSession(q.QueryRowContext(ctx, query, ente, idp, nameID, sessionIndex))
	if err != nil {
		return nil, fmt.Errorf("session by NameID: %w", notFound(err, "no such session"))
	}
	return s, nil
}

// PurgeSessions deletes every session of every ente that can no longer be
// used (ended, past its absolute end, or idle too long), for the daily job,
// and returns how many it deleted.
func PurgeSessions(ctx context.Context, q db.Querier, now time.Time) (int, error) {
	idle := max(CitizenIdleTimeout, OperatorIdleTimeout)
	res, err := q.ExecContext(ctx, `DELETE FROM session WHERE ended_at IS NOT NULL OR expires_at <= $1 OR last_seen_at <= $2`,
		ts(now), ts(now.Add(-idle)))
	if err != nil {
		return 0, fmt.Errorf("purge sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// MaskIP reduces a client address (with or without a port) to its network:
// /24 for IPv4, /48 for IPv6; "" when it is not an address.
func MaskIP(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return ""
		}
		a = ap.Addr()
	}
	a = a.Unmap().WithZone("")
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// truncateUTF8 cuts s to at most n bytes on a character boundary, as valid
// UTF-8, because PostgreSQL refuses invalid text.
func truncateUTF8(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
