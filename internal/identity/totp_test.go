package identity_test

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity"
)

// totpCode is what an authenticator app shows at time at.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestEnrollAndConfirmTOTP(t *testing.T) {
	f := setup(t)
	op, err := identity.CreateOperator(ctx, f.d, f.ente, identity.OperatorInput{Username: "anna", Name: "Anna", Password: password}, t0)
	if err != nil {
		t.Fatal(err)
	}
	err = identity.VerifySecondFactor(ctx, f.d, f.keys, f.ente, op.ID, "123456", t0)
	wantKind(t, "VerifySecondFactor before enrolling", err, apperr.Forbidden, identity.ErrTOTPRequired)
	_, err = identity.ConfirmTOTP(ctx, f.d, f.keys, f.ente, op.ID, "123456", t0)
	wantKind(t, "ConfirmTOTP before enrolling", err, apperr.Conflict)
	_, _, err = identity.EnrollTOTP(ctx, f.d, f.keys, f.other, op.ID, t0)
	wantKind(t, "EnrollTOTP across enti", err, apperr.NotFound)

	secret, uri, err := identity.EnrollTOTP(ctx, f.d, f.keys, f.ente, op.ID, t0)
	wantKind(t, "EnrollTOTP", err, ok)
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatal(err)
	}
	if key.Secret() != secret || key.Issuer() != "Comune di ala" || key.AccountName() != "anna" || key.Period() != 30 ||
		key.Digits() != otp.DigitsSix || key.Algorithm() != otp.AlgorithmSHA1 {
		t.Errorf("otpauth URL %s does not match secret %s, issuer, account, 30 s, 6 digits, SHA1", uri, secret)
	}
	// A restarted enrollment replaces the pending secret.
	secret2, _, err := identity.EnrollTOTP(ctx, f.d, f.keys, f.ente, op.ID, t0)
	wantKind(t, "EnrollTOTP again", err, ok)
	if secret2 == secret {
		t.Error("a second enrollment returned the same secret")
	}
	var pending, stored string
	if err := f.d.QueryRowContext(ctx, `SELECT totp_pending, totp_secret FROM operator WHERE id = $1`, op.ID).Scan(&pending, &stored); err != nil {
		t.Fatal(err)
	}
	if pending == "" || strings.Contains(pending, secret2) || stored != "" {
		t.Errorf("stored pending %q, secret %q: want the pending secret sealed, no secret yet", pending, stored)
	}

	_, err = identity.ConfirmTOTP(ctx, f.d, f.keys, f.ente, op.ID, totpCode(t, secret, t0), t0)
	wantKind(t, "ConfirmTOTP with the replaced secret", err, apperr.Invalid, identity.ErrBadCode)
	_, err = identity.ConfirmTOTP(ctx, f.d, f.keys, f.other, op.ID, totpCode(t, secret2, t0), t0)
	wantKind(t, "ConfirmTOTP across enti", err, apperr.NotFound)
	codes, err := identity.ConfirmTOTP(ctx, f.d, f.keys, f.ente, op.ID, totpCode(t, secret2, t0), t0)
	wantKind(t, "ConfirmTOTP", err, ok)
	if len(codes) != identity.RecoveryCodes {
		t.Fatalf("%d recovery codes, want %d", len(codes), identity.RecoveryCodes)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !regexp.MustCompile(`^[a-z2-7]{5}-[a-z2-7]{5}$`).MatchString(c) || seen[c] {
			t.Errorf("recovery code %q: want xxxxx-xxxxx, unique", c)
		}
		seen[c] = true
	}
	var hashes int
	if err := f.d.QueryRowContext(ctx, `SELECT count(*) FROM operator_recovery_code WHERE operator_id = $1 AND code_hash = $2`,
		op.ID, codes[0]).Scan(&hashes); err != nil || hashes != 0 {
		t.Errorf("a recovery code is stored in clear (%d rows, err %v)", hashes, err)
	}
	got, _ := identity.GetOperator(ctx, f.d, f.ente, op.ID)
	if !got.TOTPEnabled {
		t.Error("TOTPEnabled = false after ConfirmTOTP")
	}
	// The confirming code's step is used: it cannot log in again.
	err = identity.VerifySecondFactor(ctx, f.d, f.keys, f.ente, op.ID, totpCode(t, secret2, t0), t0)
	wantKind(t, "the confirming code replayed", err, apperr.Invalid, identity.ErrBadCode)
	_, _, err = identity.EnrollTOTP(ctx, f.d, f.keys, f.ente, op.ID, t0)
	wantKind(t, "EnrollTOTP when enrolled", err, apperr.Conflict)

	// A reset removes the factor and the codes; the operator enrolls again.
	wantKind(t, "ResetTOTP", identity.ResetTOTP(ctx, f.d, f.ente, op.ID, t0), ok)
	err = identity.VerifySecondFactor(ctx, f.d, f.keys, f.ente, op.ID, codes[1], t0)
	wantKind(t, "a recovery code after reset", err, apperr.Forbidden, identity.ErrTOTPRequired)
	_, _, err = identity.EnrollTOTP(ctx, f.d, f.keys, f.ente, op.ID, t0)
	wantKind(t, "EnrollTOTP after reset", err, ok)
}

// TestVerifySecondFactor walks one operator's logins in time order: skew,
// replay of a code or of an older step, and single-use recovery codes.
func TestVerifySecondFactor(t *testing.T) {
	f := setup(t)
	op, _ := f.operator(t, f.ente, identity.Grant{Role: identity.RoleDesk})
	// Enroll properly to get recovery codes.
	wantKind(t, "ResetTOTP", identity.ResetTOTP(ctx, f.d, f.ente, op.ID, t0), ok)
	secret, _, err := identity.EnrollTOTP(ctx, f.d, f.keys, f.ente, op.ID, t0)
	wantKind(t, "EnrollTOTP", err, ok)
	codes, err := identity.ConfirmTOTP(ctx, f.d, f.keys, f.ente, op.ID, totpCode(t, secret, t0), t0)
	wantKind(t, "ConfirmTOTP", err, ok)

	t1 := t0.Add(10 * time.Minute) // on a step boundary
	s := time.Second
	tests := []struct {
		name string
		code string
		at   time.Time
		kind apperr.Kind
	}{
		{"the current code", totpCode(t, secret, t1), t1, ok},
		{"the same code again", totpCode(t, secret, t1), t1.Add(5 * s), apperr.Invalid},
		{"the next step's code, one step early", totpCode(t, secret, t1.Add(30*s)), t1.Add(5 * s), ok},
		{"two steps early", totpCode(t, secret, t1.Add(60*s)), t1.Add(5 * s), apperr.Invalid},
		{"a used step at its own time", totpCode(t, secret, t1.Add(30*s)), t1.Add(30 * s), apperr.Invalid},
		{"one step late", totpCode(t, secret, t1.Add(60*s)), t1.Add(90 * s), ok},
		{"four steps late", totpCode(t, secret, t1), t1.Add(120 * s), apperr.Invalid},
		{"a recovery code", codes[0], t1.Add(150 * s), ok},
		{"the same recovery code", codes[0], t1.Add(151 * s), apperr.Invalid},
		{"another, typed loosely", " " + strings.ToUpper(strings.ReplaceAll(codes[1], "-", " ")) + " ", t1.Add(152 * s), ok},
		{"not a code at all", "hello", t1.Add(153 * s), apperr.Invalid},
		{"a code with spaces", strings.Join(strings.Split(totpCode(t, secret, t1.Add(180*s)), ""), " "), t1.Add(180 * s), ok},
	}
	for _, tc := range tests {
		err := identity.VerifySecondFactor(ctx, f.d, f.keys, f.ente, op.ID, tc.code, tc.at)
		if tc.kind == apperr.Invalid {
			wantKind(t, tc.name, err, tc.kind, identity.ErrBadCode)
		} else {
			wantKind(t, tc.name, err, tc.kind)
		}
	}
	err = identity.VerifySecondFactor(ctx, f.d, f.keys, f.other, op.ID, totpCode(t, secret, t1.Add(time.Hour)), t1.Add(time.Hour))
	wantKind(t, "across enti", err, apperr.NotFound)
}

func TestSecondFactorLockoutAndKeys(t *testing.T) {
	f := setup(t)
	op, secret := f.operator(t, f.ente)
	for i := range identity.LockoutThreshold - 1 {
		err := identity.VerifySecondFactor(ctx, f.d, f.keys, f.ente, op.ID, "000000", t0)
		wantKind(t, "wrong code", err, apperr.Invalid, identity.ErrBadCode)
		_ = i
	}
	err := identity.VerifySecondFactor(ctx, f.d, f.keys, f.ente, op.ID, "000000", t0)
	var locked *identity.LockedError
	if !errors.As(err, &locked) || apperr.KindOf(err) != apperr.Forbidden {
		t.Fatalf("5th wrong code: %v, want a Forbidden lock", err)
	}
	err = identity.VerifySecondFactor(ctx, f.d, f.keys, f.ente, op.ID, totpCode(t, secret, t0), t0)
	if !errors.As(err, &locked) {
		t.Errorf("right code while locked: %v, want the lock", err)
	}
	_, err = identity.Authenticate(ctx, f.d, f.ente, op.Username, password, t0)
	if !errors.As(err, &locked) {
		t.Errorf("password while locked by codes: %v, want the same lock", err)
	}

	// Another master key cannot open the sealed secret.
	otherKeys, err := identity.NewKeys([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	later := t0.Add(time.Hour)
	err = identity.VerifySecondFactor(ctx, f.d, otherKeys, f.ente, op.ID, totpCode(t, secret, later), later)
	if err == nil || apperr.KindOf(err) != apperr.Internal {
		t.Errorf("VerifySecondFactor with the wrong master key: %v, want an internal error", err)
	}
	var stored string
	if err := f.d.QueryRowContext(ctx, `SELECT totp_secret FROM operator WHERE id = $1`, op.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToUpper(stored), secret) {
		t.Errorf("the TOTP secret is readable in the database: %q", stored)
	}
	if _, err := identity.NewKeys([]byte("short")); err == nil {
		t.Error("NewKeys accepted a 5-byte master key")
	}
	err = identity.SeedTOTP(ctx, f.d, f.keys, f.ente, op.ID, "not base32!")
	wantKind(t, "SeedTOTP with a bad secret", err, apperr.Invalid)
	err = identity.SeedTOTP(ctx, f.d, f.keys, f.other, op.ID, secret)
	wantKind(t, "SeedTOTP across enti", err, apperr.NotFound)
}

// TestSecondFactorConcurrentReplay sends one code from several logins at
// once: exactly one may pass.
func TestSecondFactorConcurrentReplay(t *testing.T) {
	f := setup(t)
	op, secret := f.operator(t, f.ente)
	code := totpCode(t, secret, t0)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = identity.VerifySecondFactor(ctx, f.d, f.keys, f.ente, op.ID, code, t0) })
	}
	wg.Wait()
	passed := 0
	for _, err := range errs {
		if err == nil {
			passed++
		} else if !errors.Is(err, identity.ErrBadCode) {
			t.Errorf("unexpected error %v", err)
		}
	}
	if passed != 1 {
		t.Errorf("%d logins passed with one code, want 1", passed)
	}
}
