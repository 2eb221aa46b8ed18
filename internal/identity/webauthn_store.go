package identity

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// ListCredentials returns an operator's keys, oldest first, for the
// security page; keys suspected of being copied are listed too, so that the
// operator sees why one no longer works and removes it.
func ListCredentials(ctx context.Context, q db.Querier, ente tenant.ID, op OperatorID) ([]*WebAuthnCredential, error) {
	stored, err := loadCredentials(ctx, q, ente, op)
	if err != nil {
		return nil, err
	}
	out := make([]*WebAuthnCredential, len(stored))
	for i, c := range stored {
		out[i] = &c.WebAuthnCredential
	}
	return out, nil
}

// RemoveCredential deletes one of the operator's keys: a key lost, given
// back, or suspected of being copied. Another operator's key is NotFound.
func RemoveCredential(ctx context.Context, q db.Querier, ente tenant.ID, op OperatorID, id WebAuthnCredentialID) error {
	return execOne(ctx, q, fmt.Sprintf("webauthn: operator %d: remove key %d", op, id),
		`DELETE FROM webauthn_credential WHERE ente_id = $1 AND operator_id = $2 AND id = $3`, ente, op, id)
}

// PurgeCeremonies deletes the ceremonies of every ente that can no longer
// be finished, for the daily job, and returns how many it deleted.
func PurgeCeremonies(ctx context.Context, q db.Querier, now time.Time) (int, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM webauthn_ceremony WHERE expires_at <= $1`, ts(now))
	if err != nil {
		return 0, fmt.Errorf("purge webauthn ceremonies: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func loadCredentials(ctx context.Context, q db.Querier, ente tenant.ID, op OperatorID) ([]*storedCredential, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, rp_id, credential_id, public_key, sign_count, transports, aaguid,
		attestation_format, flags, name, created_at, last_used_at, clone_suspected_at
		FROM webauthn_credential WHERE ente_id = $1 AND operator_id = $2 ORDER BY created_at, id`, ente, op)
	if err != nil {
		return nil, fmt.Errorf("webauthn keys of operator %d: %w", op, err)
	}
	defer rows.Close()
	var out []*storedCredential
	for rows.Next() {
		c := &storedCredential{WebAuthnCredential: WebAuthnCredential{Ente: ente, Operator: op}}
		var count int64
		var flags int
		var transports string
		var used, clone sql.NullTime
		err := rows.Scan(&c.ID, &c.RPID, &c.rawID, &c.publicKey, &count, &transports, &c.AAGUID,
			&c.format, &flags, &c.Name, &c.CreatedAt, &used, &clone)
		if err != nil {
			return nil, fmt.Errorf("webauthn keys of operator %d: %w", op, err)
		}
		c.SignCount, c.flags = uint32(count), byte(flags)
		if transports != "" {
			c.Transports = strings.Split(transports, ",")
		}
		c.CreatedAt, c.LastUsedAt, c.CloneSuspectedAt = c.CreatedAt.UTC(), timeOf(used), timeOf(clone)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("webauthn keys of operator %d: %w", op, err)
	}
	return out, nil
}

// The kinds of ceremony, one pending of each per operator.
const (
	ceremonyRegistration = "registration"
	ceremonyLogin        = "login"
)

// saveCeremony keeps the state between the two requests of a ceremony,
// replacing the operator's pending one of the same kind.
func saveCeremony(ctx context.Context, q db.Querier, ente tenant.ID, op OperatorID, kind string, rp RelyingParty, s *webauthn.SessionData, now time.Time) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO webauthn_ceremony (ente_id, operator_id, kind, rp_id, session, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (ente_id, operator_id, kind) DO UPDATE SET rp_id = excluded.rp_id, session = excluded.session,
		created_at = excluded.created_at, expires_at = excluded.expires_at`,
		ente, op, kind, rp.ID, string(b), ts(now), ts(now.Add(CeremonyTTL)))
	if err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	return nil
}

// takeCeremony removes and returns the pending ceremony in one statement,
// so that it serves once even when two requests race for it.
func takeCeremony(ctx context.Context, q db.Querier, ente tenant.ID, op OperatorID, kind string, rp RelyingParty, now time.Time) (*webauthn.SessionData, error) {
	var rpID, session string
	var expires time.Time
	err := q.QueryRowContext(ctx, `DELETE FROM webauthn_ceremony WHERE ente_id = $1 AND operator_id = $2 AND kind = $3
		RETURNING rp_id, session, expires_at`, ente, op, kind).Scan(&rpID, &session, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Errorf(apperr.Invalid, "no %s ceremony: %w", kind, ErrCeremonyExpired)
	}
	if err != nil {
		return nil, fmt.Errorf("%s ceremony: %w", kind, err)
	}
	if !now.Before(expires) || rpID != rp.ID {
		return nil, apperr.Errorf(apperr.Invalid, "%s ceremony for %q until %s: %w", kind, rpID, expires.UTC().Format(time.RFC3339), ErrCeremonyExpired)
	}
	var s webauthn.SessionData
	if err := json.Unmarshal([]byte(session), &s); err != nil {
		return nil, fmt.Errorf("%s ceremony: %w", kind, err)
	}
	return &s, nil
}

// credentialName checks the name the operator gives a key (to tell "the
// blue key" from "the office PC"): 1–64 characters, no control characters.
func credentialName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxCredentialName || strings.ContainsFunc(s, unicode.IsControl) {
		return "", apperr.Errorf(apperr.Invalid, "key name %q: %w", s, ErrCredentialName)
	}
	return s, nil
}

// knownTransports keeps the transports the specification names, dropping
// whatever else a client sent, so that the column stays short and clean.
func knownTransports(ts []protocol.AuthenticatorTransport) []string {
	var out []string
	for _, t := range ts {
		switch t {
		case protocol.USB, protocol.NFC, protocol.BLE, protocol.SmartCard, protocol.Hybrid, protocol.Internal:
			if !slices.Contains(out, string(t)) {
				out = append(out, string(t))
			}
		}
	}
	return out
}

// formatAAGUID writes an AAGUID in the usual UUID form; "" for none.
func formatAAGUID(b []byte) string {
	if len(b) != 16 || bytes.Equal(b, make([]byte, 16)) {
		return ""
	}
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
