package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// TOTP settings are those authenticator apps assume when an otpauth URL
// says nothing else: 30-second steps, 6 digits, HMAC-SHA1 (RFC 6238). One
// step of skew either way absorbs a phone's clock drift and typing time.
const (
	TOTPPeriod = 30 * time.Second
	totpSkew   = 1
	// RecoveryCodes is how many single-use codes ConfirmTOTP hands out.
	RecoveryCodes = 10
)

var totpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// totpAD binds a sealed secret to its operator row.
func totpAD(ente tenant.ID, op OperatorID) string {
	return "totp:" + strconv.FormatInt(int64(ente), 10) + ":" + strconv.FormatInt(int64(op), 10)
}

// totpState is the operator row as the second factor sees it.
type totpState struct {
	username, secret, pending string
	enabled, disabled         bool
	lastStep                  int64
}

func loadTOTP(ctx context.Context, q db.Querier, ente tenant.ID, op OperatorID) (totpState, error) {
	var s totpState
	err := q.QueryRowContext(ctx, `SELECT username, totp_secret, totp_pending, totp_enabled, disabled, totp_last_step
		FROM operator WHERE ente_id = $1 AND id = $2`, ente, op).
		Scan(&s.username, &s.secret, &s.pending, &s.enabled, &s.disabled, &s.lastStep)
	if err != nil {
		return s, fmt.Errorf("operator %d: %w", op, notFound(err, "no such operator"))
	}
	return s, nil
}

// EnrollTOTP starts (or restarts) enrollment: it generates a secret, keeps
// it sealed as pending and returns it with the otpauth:// URL to show as a
// QR code. Nothing changes for logins until ConfirmTOTP proves the app has
// it. An operator with a confirmed factor cannot enroll again: an
// administrator must ResetTOTP first, so that a stolen password alone
// cannot replace the factor.
func EnrollTOTP(ctx context.Context, q db.Querier, keys *Keys, ente tenant.ID, op OperatorID, now time.Time) (secret, otpauthURL string, err error) {
	s, err := loadTOTP(ctx, q, ente, op)
	if err != nil {
		return "", "", fmt.Errorf("enroll TOTP: %w", err)
	}
	if s.disabled {
		return "", "", apperr.Errorf(apperr.Forbidden, "enroll TOTP: operator %d: %w", op, ErrDisabled)
	}
	if s.enabled {
		return "", "", apperr.Errorf(apperr.Conflict, "enroll TOTP: operator %d already has a second factor", op)
	}
	var issuer string
	if err := q.QueryRowContext(ctx, `SELECT name FROM ente WHERE id = $1`, ente).Scan(&issuer); err != nil {
		return "", "", fmt.Errorf("enroll TOTP: operator %d: ente: %w", op, err)
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: s.username, Period: uint(TOTPPeriod / time.Second),
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", "", fmt.Errorf("enroll TOTP: operator %d: %w", op, err)
	}
	sealed, err := keys.seal(key.Secret(), totpAD(ente, op))
	if err != nil {
		return "", "", fmt.Errorf("enroll TOTP: operator %d: %w", op, err)
	}
	err = execOne(ctx, q, fmt.Sprintf("enroll TOTP: operator %d", op),
		`UPDATE operator SET totp_pending = $3 WHERE ente_id = $1 AND id = $2 AND NOT totp_enabled`, ente, op, sealed)
	if err != nil {
		return "", "", err
	}
	return key.Secret(), key.URL(), nil
}

// ConfirmTOTP completes enrollment with a code from the app: the pending
// secret becomes the operator's factor and RecoveryCodes fresh recovery
// codes are returned, to be shown once (only their hashes are kept). A
// wrong code counts towards the lockout. Success completes a login, so it
// resets the failure count. Call it outside a rolled-back transaction (see
// Authenticate).
func ConfirmTOTP(ctx context.Context, q db.Querier, keys *Keys, ente tenant.ID, op OperatorID, code string, now time.Time) (recoveryCodes []string, err error) {
	s, err := loadTOTP(ctx, q, ente, op)
	if err != nil {
		return nil, fmt.Errorf("confirm TOTP: %w", err)
	}
	switch {
	case s.disabled:
		return nil, apperr.Errorf(apperr.Forbidden, "confirm TOTP: operator %d: %w", op, ErrDisabled)
	case s.enabled:
		return nil, apperr.Errorf(apperr.Conflict, "confirm TOTP: operator %d already has a second factor", op)
	case s.pending == "":
		return nil, apperr.Errorf(apperr.Conflict, "confirm TOTP: operator %d: no enrollment started", op)
	}
	if err := checkLock(ctx, q, ente, s.username, now); err != nil {
		return nil, fmt.Errorf("confirm TOTP: %w", err)
	}
	secret, err := keys.open(s.pending, totpAD(ente, op))
	if err != nil {
		return nil, fmt.Errorf("confirm TOTP: operator %d: %w", op, err)
	}
	step, ok := matchTOTP(secret, code, now)
	if !ok {
		return nil, codeFailure(ctx, q, ente, op, s.username, now)
	}
	err = execOne(ctx, q, fmt.Sprintf("confirm TOTP: operator %d", op), `UPDATE operator SET totp_secret = totp_pending,
		totp_pending = '', totp_enabled = TRUE, totp_last_step = $3
		WHERE ente_id = $1 AND id = $2 AND NOT totp_enabled AND totp_pending = $4`, ente, op, step, s.pending)
	if err != nil {
		return nil, apperr.Errorf(apperr.Conflict, "confirm TOTP: operator %d: enrollment changed meanwhile: %w", op, err)
	}
	codes, err := newRecoveryCodes(ctx, q, ente, op)
	if err != nil {
		return nil, fmt.Errorf("confirm TOTP: operator %d: %w", op, err)
	}
	if err := clearFailures(ctx, q, ente, s.username); err != nil {
		return nil, fmt.Errorf("confirm TOTP: %w", err)
	}
	return codes, nil
}

// VerifySecondFactor checks the second factor of a login: a TOTP code (one
// step of skew either way; a step already used, or older than one used, is
// refused, so that an observed code cannot be replayed) or an unused
// recovery code, which is consumed. Failures count towards the same
// lockout as passwords; success resets it. An operator without a confirmed
// factor gets ErrTOTPRequired. Call it outside a rolled-back transaction.
func VerifySecondFactor(ctx context.Context, q db.Querier, keys *Keys, ente tenant.ID, op OperatorID, code string, now time.Time) error {
	s, err := loadTOTP(ctx, q, ente, op)
	if err != nil {
		return fmt.Errorf("second factor: %w", err)
	}
	if s.disabled {
		return apperr.Errorf(apperr.Forbidden, "second factor: operator %d: %w", op, ErrDisabled)
	}
	if !s.enabled {
		return apperr.Errorf(apperr.Forbidden, "second factor: operator %d: %w", op, ErrTOTPRequired)
	}
	if err := checkLock(ctx, q, ente, s.username, now); err != nil {
		return fmt.Errorf("second factor: %w", err)
	}
	secret, err := keys.open(s.secret, totpAD(ente, op))
	if err != nil {
		return fmt.Errorf("second factor: operator %d: %w", op, err)
	}
	ok := false
	if step, match := matchTOTP(secret, code, now); match {
		// The step moves forward atomically: of two logins racing with
		// one code, only one wins.
		res, err := q.ExecContext(ctx, `UPDATE operator SET totp_last_step = $3
			WHERE ente_id = $1 AND id = $2 AND totp_last_step < $3`, ente, op, step)
		if err != nil {
			return fmt.Errorf("second factor: operator %d: %w", op, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("second factor: operator %d: %w", op, err)
		}
		ok = n == 1
	} else if rc := normalizeRecoveryCode(code); len(rc) == recoveryLen {
		res, err := q.ExecContext(ctx, `UPDATE operator_recovery_code SET used_at = $4
			WHERE ente_id = $1 AND operator_id = $2 AND code_hash = $3 AND used_at IS NULL`,
			ente, op, recoveryHash(ente, op, rc), ts(now))
		if err != nil {
			return fmt.Errorf("second factor: operator %d: %w", op, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("second factor: operator %d: %w", op, err)
		}
		ok = n == 1
	}
	if !ok {
		return codeFailure(ctx, q, ente, op, s.username, now)
	}
	if err := clearFailures(ctx, q, ente, s.username); err != nil {
		return fmt.Errorf("second factor: %w", err)
	}
	return nil
}

// codeFailure counts a wrong code and returns the error to show.
func codeFailure(ctx context.Context, q db.Querier, ente tenant.ID, op OperatorID, username string, now time.Time) error {
	if err := recordFailure(ctx, q, ente, username, now); err != nil {
		return fmt.Errorf("second factor: operator %d: %w", op, err)
	}
	return apperr.Errorf(apperr.Invalid, "second factor: operator %d: %w", op, ErrBadCode)
}

// matchTOTP returns the step (Unix time / 30 s) whose code equals code,
// looking one step either side of now.
func matchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	code = strings.TrimSpace(strings.ReplaceAll(code, " ", ""))
	if len(code) != totpOpts.Digits.Length() {
		return 0, false
	}
	cur := now.Unix() / int64(TOTPPeriod/time.Second)
	for s := cur - totpSkew; s <= cur+totpSkew; s++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// Recovery codes are 10 base32 characters (50 bits), shown as xxxxx-xxxxx:
// enough that only their SHA-256 needs storing, short enough to type.
const recoveryLen = 10

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func normalizeRecoveryCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, s)
}

func recoveryHash(ente tenant.ID, op OperatorID, code string) string {
	return digest("recovery", strconv.FormatInt(int64(ente), 10), strconv.FormatInt(int64(op), 10), code)
}

// newRecoveryCodes replaces the operator's recovery codes with fresh ones.
func newRecoveryCodes(ctx context.Context, q db.Querier, ente tenant.ID, op OperatorID) ([]string, error) {
	if _, err := q.ExecContext(ctx, `DELETE FROM operator_recovery_code WHERE ente_id = $1 AND operator_id = $2`, ente, op); err != nil {
		return nil, fmt.Errorf("recovery codes: %w", err)
	}
	codes := make([]string, 0, RecoveryCodes)
	for len(codes) < RecoveryCodes {
		b := make([]byte, 7)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("recovery codes: %w", err)
		}
		c := strings.ToLower(recoveryEncoding.EncodeToString(b))[:recoveryLen]
		_, err := q.ExecContext(ctx, `INSERT INTO operator_recovery_code (ente_id, operator_id, code_hash) VALUES ($1, $2, $3)`,
			ente, op, recoveryHash(ente, op, c))
		if db.IsUniqueViolation(err) {
			continue // a repeat among ten 50-bit codes: draw again
		}
		if err != nil {
			return nil, fmt.Errorf("recovery codes: %w", err)
		}
		codes = append(codes, c[:5]+"-"+c[5:])
	}
	return codes, nil
}

// ResetTOTP removes an operator's second factor and recovery codes and ends
// their sessions, for an administrator helping someone who lost their
// phone and codes; the operator must enroll again at the next login.
func ResetTOTP(ctx context.Context, q db.Querier, ente tenant.ID, op OperatorID, now time.Time) error {
	what := fmt.Sprintf("reset TOTP: operator %d", op)
	err := execOne(ctx, q, what, `UPDATE operator SET totp_secret = '', totp_pending = '', totp_enabled = FALSE
		WHERE ente_id = $1 AND id = $2`, ente, op)
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM operator_recovery_code WHERE ente_id = $1 AND operator_id = $2`, ente, op); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if _, err := EndAllSessions(ctx, q, ente, OperatorSubject(op), now); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// SeedTOTP gives an operator a known, already confirmed TOTP secret (base32)
// without recovery codes. It exists for the demo, which prints the secret so
// that visitors can log in; production enrollment goes through EnrollTOTP.
func SeedTOTP(ctx context.Context, q db.Querier, keys *Keys, ente tenant.ID, op OperatorID, secret string) error {
	secret = strings.ToUpper(strings.TrimSpace(secret))
	if raw, err := recoveryEncoding.DecodeString(secret); err != nil || len(raw) < 10 {
		return apperr.Errorf(apperr.Invalid, "seed TOTP: operator %d: the secret must be base32, at least 80 bits", op)
	}
	sealed, err := keys.seal(secret, totpAD(ente, op))
	if err != nil {
		return fmt.Errorf("seed TOTP: operator %d: %w", op, err)
	}
	return execOne(ctx, q, fmt.Sprintf("seed TOTP: operator %d", op), `UPDATE operator SET totp_secret = $3,
		totp_pending = '', totp_enabled = TRUE WHERE ente_id = $1 AND id = $2`, ente, op, sealed)
}
