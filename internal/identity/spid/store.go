package spid

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// This file keeps the SAML state that must be shared by every instance:
// requests waiting for an answer (checklist items 1 and 11), assertion ids
// already used (item 23) and the message log (item 28). Each operation is
// a single statement, atomic on both engines without an explicit lock.

// browserHash is what is stored of the browser's secret cookie: its
// SHA-256, so that reading the table does not let anyone impersonate the
// browser.
func browserHash(browser string) string {
	sum := sha256.Sum256([]byte(browser))
	return hex.EncodeToString(sum[:])
}

// SavePending stores a request just sent, bound to the browser that sent
// it (browser is the value of a secret, HttpOnly cookie) until expires:
// only that browser can later present the answer.
func SavePending(ctx context.Context, q db.Querier, ente tenant.ID, p Pending, browser string, expires time.Time) error {
	if p.ID == "" || p.IdP == "" || browser == "" {
		return apperr.Errorf(apperr.Invalid, "spid: save pending: id, IdP and browser are required")
	}
	const ins = `INSERT INTO saml_request (ente_id, id, browser_hash, logout, idp, level, comparison, profile,
		return_to, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	_, err := q.ExecContext(ctx, ins, ente, p.ID, browserHash(browser), p.Logout, p.IdP, int(p.Level),
		string(p.Comparison), string(p.Profile), p.ReturnTo, dbTime(p.IssuedAt), dbTime(expires))
	if db.IsUniqueViolation(err) {
		return apperr.Errorf(apperr.Conflict, "spid: ente %d: request %q already pending", ente, p.ID)
	}
	if err != nil {
		return fmt.Errorf("spid: ente %d: save pending %q: %w", ente, p.ID, err)
	}
	return nil
}

// TakePending removes and returns the pending request id, so that an
// answer is accepted once on whichever instance it arrives: the DELETE …
// RETURNING is the only statement, hence atomic. A request presented by
// another browser, or after it expired, is NotFound — and consumed all
// the same: the answer may have leaked (a stolen SAMLResponse posted from
// the attacker's browser), so the real browser must start a new login
// rather than be let in later with a response someone else has seen.
func TakePending(ctx context.Context, q db.Querier, ente tenant.ID, id, browser string, now time.Time) (Pending, error) {
	const take = `DELETE FROM saml_request WHERE ente_id = $1 AND id = $2
		RETURNING browser_hash, logout, idp, level, comparison, profile, return_to, issued_at, expires_at`
	var (
		p                  = Pending{ID: id}
		hash, cmp, profile string
		level              int
		issued, expires    time.Time
	)
	err := q.QueryRowContext(ctx, take, ente, id).Scan(&hash, &p.Logout, &p.IdP, &level, &cmp, &profile,
		&p.ReturnTo, &issued, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Pending{}, apperr.Errorf(apperr.NotFound, "spid: ente %d: no pending request %q", ente, id)
	}
	if err != nil {
		return Pending{}, fmt.Errorf("spid: ente %d: take pending %q: %w", ente, id, err)
	}
	if subtle.ConstantTimeCompare([]byte(hash), []byte(browserHash(browser))) != 1 {
		return Pending{}, apperr.Errorf(apperr.NotFound, "spid: ente %d: request %q belongs to another browser", ente, id)
	}
	if !now.Before(expires) {
		return Pending{}, apperr.Errorf(apperr.NotFound, "spid: ente %d: request %q expired", ente, id)
	}
	p.Level, p.Comparison, p.Profile = Level(level), Comparison(cmp), Profile(profile)
	p.IssuedAt = issued.UTC()
	return p, nil
}

// MarkUsed records an accepted assertion until it expires and returns
// Conflict if it was already recorded: a replayed response is refused on
// every instance. ON CONFLICT DO NOTHING (rather than catching the unique
// violation) keeps the caller's PostgreSQL transaction usable.
func MarkUsed(ctx context.Context, q db.Querier, ente tenant.ID, idp, assertionID string, notOnOrAfter time.Time) error {
	if idp == "" || assertionID == "" {
		return apperr.Errorf(apperr.Invalid, "spid: mark used: IdP and assertion id are required")
	}
	const ins = `INSERT INTO saml_assertion (ente_id, idp, id, not_on_or_after) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`
	res, err := q.ExecContext(ctx, ins, ente, idp, assertionID, dbTime(notOnOrAfter))
	if err != nil {
		return fmt.Errorf("spid: ente %d: mark assertion used: %w", ente, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("spid: ente %d: mark assertion used: %w", ente, err)
	}
	if n == 0 {
		return apperr.Errorf(apperr.Conflict, "spid: ente %d: assertion %q of %q already used", ente, assertionID, idp)
	}
	return nil
}

// PurgeExpired deletes, for every ente, the assertion ids past their
// NotOnOrAfter (a replay would be refused as expired anyway) and the
// requests nobody answered in time. It returns how many rows went.
func PurgeExpired(ctx context.Context, q db.Querier, now time.Time) (int64, error) {
	var total int64
	for _, del := range []string{
		`DELETE FROM saml_assertion WHERE not_on_or_after < $1`,
		`DELETE FROM saml_request WHERE expires_at < $1`,
	} {
		res, err := q.ExecContext(ctx, del, dbTime(now))
		if err != nil {
			return total, fmt.Errorf("spid: purge expired: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("spid: purge expired: %w", err)
		}
		total += n
	}
	return total, nil
}

// Direction tells a message the SP sent from one it received.
type Direction string

// The two directions of the message log.
const (
	Sent     Direction = "out"
	Received Direction = "in"
)

// MessageCutoff is the oldest time the message log must still cover at
// now: the SPID rules ask SPs to keep requests and responses 24 months.
func MessageCutoff(now time.Time) time.Time { return now.AddDate(0, -24, 0) }

// LogMessage appends a message to the log of checklist item 28. kind is
// the root element's name (AuthnRequest, Response, LogoutRequest,
// LogoutResponse); xml is the message as sent or received, before any
// processing, so the log proves what was exchanged.
func LogMessage(ctx context.Context, q db.Querier, ente tenant.ID, dir Direction, kind, id, inResponseTo string, xml []byte, now time.Time) error {
	if dir != Sent && dir != Received {
		return apperr.Errorf(apperr.Invalid, "spid: log message: unknown direction %q", dir)
	}
	if xml == nil {
		xml = []byte{}
	}
	const ins = `INSERT INTO saml_message (ente_id, direction, kind, message_id, in_response_to, xml, logged_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`
	if _, err := q.ExecContext(ctx, ins, ente, string(dir), kind, id, inResponseTo, xml, dbTime(now)); err != nil {
		return fmt.Errorf("spid: ente %d: log %s %s: %w", ente, dir, kind, err)
	}
	return nil
}

// PurgeMessages deletes the log entries older than before (normally
// MessageCutoff(now)) and returns how many went.
func PurgeMessages(ctx context.Context, q db.Querier, before time.Time) (int64, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM saml_message WHERE logged_at < $1`, dbTime(before))
	if err != nil {
		return 0, fmt.Errorf("spid: purge messages: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("spid: purge messages: %w", err)
	}
	return n, nil
}
