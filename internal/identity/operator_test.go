package identity_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/argon2"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity"
)

func TestCreateOperator(t *testing.T) {
	f := setup(t)
	tests := []struct {
		name string
		ente func() int64
		in   identity.OperatorInput
		want *identity.Operator
		kind apperr.Kind
	}{
		{
			name: "grants deduplicated and sorted, username and e-mail normalised",
			in: identity.OperatorInput{Username: " Mario.Rossi ", Name: " Mario Rossi ", Email: "mario@COMUNE.example.it", Password: password,
				Grants: []identity.Grant{{Role: identity.RoleHead, Office: f.tributi}, {Role: identity.RoleDesk},
					{Role: identity.RoleClerk, Office: f.anagrafe}, {Role: identity.RoleDesk}}},
			want: &identity.Operator{Username: "mario.rossi", Name: "Mario Rossi", Email: "mario@comune.example.it", CreatedAt: t0,
				Grants: []identity.Grant{{Role: identity.RoleDesk}, {Role: identity.RoleClerk, Office: f.anagrafe},
					{Role: identity.RoleHead, Office: f.tributi}}},
		},
		{
			name: "no grants at all",
			in:   identity.OperatorInput{Username: "nessuno", Name: "Nessuno", Password: password},
			want: &identity.Operator{Username: "nessuno", Name: "Nessuno", CreatedAt: t0},
		},
		{
			name: "username taken, whatever the case",
			in:   identity.OperatorInput{Username: "MARIO.ROSSI", Name: "Altro", Password: password},
			kind: apperr.Conflict,
		},
		{name: "username too short", in: identity.OperatorInput{Username: "ab", Name: "A", Password: password}, kind: apperr.Invalid},
		{name: "username with spaces", in: identity.OperatorInput{Username: "a b c", Name: "A", Password: password}, kind: apperr.Invalid},
		{name: "no name", in: identity.OperatorInput{Username: "abc", Password: password}, kind: apperr.Invalid},
		{name: "bad e-mail", in: identity.OperatorInput{Username: "abc", Name: "A", Email: "abc", Password: password}, kind: apperr.Invalid},
		{name: "short password", in: identity.OperatorInput{Username: "abc", Name: "A", Password: "short-pass1"}, kind: apperr.Invalid},
		{name: "common password", in: identity.OperatorInput{Username: "abc", Name: "A", Password: "Password2026!!"}, kind: apperr.Invalid},
		{name: "username as password", in: identity.OperatorInput{Username: "giulia.bianchi", Name: "A", Password: "Giulia.Bianchi-1985"}, kind: apperr.Invalid},
		{
			name: "clerk without an office",
			in:   identity.OperatorInput{Username: "abc", Name: "A", Password: password, Grants: []identity.Grant{{Role: identity.RoleClerk}}},
			kind: apperr.Invalid,
		},
		{
			name: "desk with an office",
			in:   identity.OperatorInput{Username: "abc", Name: "A", Password: password, Grants: []identity.Grant{{Role: identity.RoleDesk, Office: f.anagrafe}}},
			kind: apperr.Invalid,
		},
		{
			name: "office of another ente",
			in:   identity.OperatorInput{Username: "abc", Name: "A", Password: password, Grants: []identity.Grant{{Role: identity.RoleClerk, Office: f.otherOffice}}},
			kind: apperr.Invalid,
		},
		{
			name: "unknown role",
			in:   identity.OperatorInput{Username: "abc", Name: "A", Password: password, Grants: []identity.Grant{{Role: "root"}}},
			kind: apperr.Invalid,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := identity.CreateOperator(ctx, f.d, f.ente, tc.in, t0)
			wantKind(t, "CreateOperator", err, tc.kind)
			if tc.kind != ok {
				return
			}
			tc.want.ID, tc.want.Ente = got.ID, f.ente
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CreateOperator mismatch (-want +got):\n%s", diff)
			}
			stored, err := identity.GetOperator(ctx, f.d, f.ente, got.ID)
			wantKind(t, "GetOperator", err, ok)
			if diff := cmp.Diff(tc.want, stored); diff != "" {
				t.Errorf("GetOperator mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// Refused inputs leave nothing behind, even outside a transaction.
	var n int
	if err := f.d.QueryRowContext(ctx, `SELECT count(*) FROM operator WHERE ente_id = $1`, f.ente).Scan(&n); err != nil || n != 2 {
		t.Errorf("operators after the table = %d (err %v), want 2", n, err)
	}
	_, err := identity.CreateOperator(ctx, f.d, f.other, identity.OperatorInput{Username: "mario.rossi", Name: "Mario", Password: password}, t0)
	wantKind(t, "the same username in another ente", err, ok)
}

func TestOperatorManagement(t *testing.T) {
	f := setup(t)
	a, _ := f.operator(t, f.ente, identity.Grant{Role: identity.RoleDesk})
	b, _ := f.operator(t, f.ente, identity.Grant{Role: identity.RoleAdmin})
	x, _ := f.operator(t, f.other, identity.Grant{Role: identity.RoleAdmin})

	list, err := identity.ListOperators(ctx, f.d, f.ente)
	wantKind(t, "ListOperators", err, ok)
	if diff := cmp.Diff([]*identity.Operator{a, b}, list); diff != "" {
		t.Errorf("ListOperators mismatch (-want +got):\n%s", diff)
	}

	grants := []identity.Grant{{Role: identity.RoleClerk, Office: f.tributi}, {Role: identity.RoleHead, Office: f.anagrafe}}
	wantKind(t, "SetGrants", identity.SetGrants(ctx, f.d, f.ente, a.ID, grants), ok)
	got, _ := identity.GetOperator(ctx, f.d, f.ente, a.ID)
	want := []identity.Grant{{Role: identity.RoleClerk, Office: f.tributi}, {Role: identity.RoleHead, Office: f.anagrafe}}
	if diff := cmp.Diff(want, got.Grants); diff != "" {
		t.Errorf("grants after SetGrants (-want +got):\n%s", diff)
	}
	err = identity.SetGrants(ctx, f.d, f.ente, a.ID, []identity.Grant{{Role: identity.RoleClerk, Office: f.otherOffice}})
	wantKind(t, "SetGrants with another ente's office", err, apperr.Invalid)
	if got, _ := identity.GetOperator(ctx, f.d, f.ente, a.ID); len(got.Grants) != 2 {
		t.Errorf("a refused SetGrants changed the grants to %v", got.Grants)
	}
	wantKind(t, "SetGrants clears", identity.SetGrants(ctx, f.d, f.ente, a.ID, nil), ok)
	if got, _ := identity.GetOperator(ctx, f.d, f.ente, a.ID); len(got.Grants) != 0 {
		t.Errorf("grants after clearing = %v", got.Grants)
	}

	// Another ente's operator is NotFound everywhere.
	_, err = identity.GetOperator(ctx, f.d, f.ente, x.ID)
	wantKind(t, "GetOperator across enti", err, apperr.NotFound)
	wantKind(t, "SetGrants across enti", identity.SetGrants(ctx, f.d, f.ente, x.ID, nil), apperr.NotFound)
	wantKind(t, "Disable across enti", identity.Disable(ctx, f.d, f.ente, x.ID, t0), apperr.NotFound)
	wantKind(t, "Enable across enti", identity.Enable(ctx, f.d, f.ente, x.ID), apperr.NotFound)
	wantKind(t, "SetPassword across enti", identity.SetPassword(ctx, f.d, f.ente, x.ID, "another long passphrase"), apperr.NotFound)
	wantKind(t, "ResetTOTP across enti", identity.ResetTOTP(ctx, f.d, f.ente, x.ID, t0), apperr.NotFound)

	// Disabling ends the sessions and refuses the right password.
	_, sess, err := identity.StartSession(ctx, f.d, f.ente, identity.OperatorSubject(b.ID), identity.SessionInput{}, t0)
	wantKind(t, "StartSession", err, ok)
	wantKind(t, "Disable", identity.Disable(ctx, f.d, f.ente, b.ID, t0.Add(time.Minute)), ok)
	if live, _ := identity.ListSessions(ctx, f.d, f.ente, identity.OperatorSubject(b.ID), t0.Add(time.Minute)); len(live) != 0 {
		t.Errorf("sessions after Disable = %d, want 0 (session %d)", len(live), sess.ID)
	}
	_, err = identity.Authenticate(ctx, f.d, f.ente, b.Username, password, t0.Add(time.Minute))
	wantKind(t, "Authenticate disabled", err, apperr.Forbidden, identity.ErrDisabled)
	_, _, err = identity.StartSession(ctx, f.d, f.ente, identity.OperatorSubject(b.ID), identity.SessionInput{}, t0)
	wantKind(t, "StartSession disabled", err, apperr.Forbidden, identity.ErrDisabled)
	wantKind(t, "Enable", identity.Enable(ctx, f.d, f.ente, b.ID), ok)
	_, err = identity.Authenticate(ctx, f.d, f.ente, b.Username, password, t0.Add(time.Minute))
	wantKind(t, "Authenticate enabled again", err, ok)

	// A new password replaces the old one and follows the policy.
	wantKind(t, "SetPassword weak", identity.SetPassword(ctx, f.d, f.ente, b.ID, "123456789012"), apperr.Invalid)
	wantKind(t, "SetPassword", identity.SetPassword(ctx, f.d, f.ente, b.ID, "another long passphrase"), ok)
	_, err = identity.Authenticate(ctx, f.d, f.ente, b.Username, password, t0.Add(time.Minute))
	wantKind(t, "old password", err, apperr.Unauthorized, identity.ErrBadCredentials)
	_, err = identity.Authenticate(ctx, f.d, f.ente, b.Username, "another long passphrase", t0.Add(time.Minute))
	wantKind(t, "new password", err, ok)

	// Sessions need a confirmed second factor.
	noTOTP, err := identity.CreateOperator(ctx, f.d, f.ente, identity.OperatorInput{Username: "nuovo", Name: "Nuovo", Password: password}, t0)
	wantKind(t, "CreateOperator", err, ok)
	_, _, err = identity.StartSession(ctx, f.d, f.ente, identity.OperatorSubject(noTOTP.ID), identity.SessionInput{}, t0)
	wantKind(t, "StartSession without TOTP", err, apperr.Forbidden, identity.ErrTOTPRequired)
}

// TestAuthenticateLockout walks the lockout with an injected clock: five
// failures lock for 15 minutes, each later failure doubles the lock, a
// complete login resets it, and an unknown username behaves the same.
func TestAuthenticateLockout(t *testing.T) {
	f := setup(t)
	op, secret := f.operator(t, f.ente, identity.Grant{Role: identity.RoleDesk})
	type step struct {
		name     string
		at       time.Duration
		password string
		// code, when set, is a second factor sent instead of a password.
		code   bool
		kind   apperr.Kind
		is     error
		locked time.Duration // the LockedError's RetryAfter
	}
	m := time.Minute
	steps := []step{
		{name: "failure 1", at: 0, password: "wrong", kind: apperr.Unauthorized, is: identity.ErrBadCredentials},
		{name: "failure 2", at: 0, password: "wrong", kind: apperr.Unauthorized, is: identity.ErrBadCredentials},
		{name: "failure 3", at: m, password: "wrong", kind: apperr.Unauthorized, is: identity.ErrBadCredentials},
		{name: "failure 4", at: m, password: "wrong", kind: apperr.Unauthorized, is: identity.ErrBadCredentials},
		{name: "failure 5 locks for 15 minutes", at: 2 * m, password: "wrong", kind: apperr.Forbidden, locked: 15 * m},
		{name: "the right password while locked", at: 16 * m, password: password, kind: apperr.Forbidden, locked: m},
		{name: "the right password after the lock", at: 17 * m, password: password, kind: ok},
		{name: "a password success does not reset: failure 6 locks for 30", at: 18 * m, password: "wrong", kind: apperr.Forbidden, locked: 30 * m},
		{name: "second factor while locked", at: 47 * m, code: true, kind: apperr.Forbidden, locked: m},
		{name: "failure 7 locks for an hour", at: 48 * m, password: "wrong", kind: apperr.Forbidden, locked: 60 * m},
		{name: "a complete login resets", at: 108 * m, code: true, kind: ok},
		{name: "failure 1 again", at: 109 * m, password: "wrong", kind: apperr.Unauthorized, is: identity.ErrBadCredentials},
	}
	for _, s := range steps {
		now := t0.Add(s.at)
		var err error
		if s.code {
			err = identity.VerifySecondFactor(ctx, f.d, f.keys, f.ente, op.ID, totpCode(t, secret, now), now)
		} else {
			_, err = identity.Authenticate(ctx, f.d, f.ente, strings.ToUpper(op.Username), s.password, now)
		}
		wantKind(t, s.name, err, s.kind, opt(s.is)...)
		var locked *identity.LockedError
		if errors.As(err, &locked) != (s.locked != 0) {
			t.Fatalf("%s: error %v, want locked %v", s.name, err, s.locked)
		}
		if s.locked != 0 {
			want := &identity.LockedError{Until: now.Add(s.locked), RetryAfter: s.locked}
			if diff := cmp.Diff(want, locked); diff != "" {
				t.Errorf("%s: LockedError mismatch (-want +got):\n%s", s.name, diff)
			}
		}
	}
}

func TestLockoutUnknownUsernameAndQuietDay(t *testing.T) {
	f := setup(t)
	try := func(user string, at time.Time) error {
		_, err := identity.Authenticate(ctx, f.d, f.ente, user, "wrong", at)
		return err
	}
	for i := range identity.LockoutThreshold - 1 {
		wantKind(t, "unknown user", try("nobody", t0), apperr.Unauthorized, identity.ErrBadCredentials)
		_ = i
	}
	var locked *identity.LockedError
	if err := try("nobody", t0); !errors.As(err, &locked) || locked.RetryAfter != identity.LockoutBase {
		t.Fatalf("5th failure on an unknown username: %v, want a %s lock like a real account", err, identity.LockoutBase)
	}
	// The lock is per ente.
	_, err := identity.Authenticate(ctx, f.d, f.other, "nobody", "wrong", t0)
	wantKind(t, "the same username in another ente", err, apperr.Unauthorized, identity.ErrBadCredentials)

	// Four failures, then a quiet day: the count starts again.
	for range identity.LockoutThreshold - 1 {
		_ = try("quiet", t0)
	}
	later := t0.Add(25 * time.Hour)
	for i := range identity.LockoutThreshold - 1 {
		wantKind(t, "after a quiet day", try("quiet", later), apperr.Unauthorized, identity.ErrBadCredentials)
		_ = i
	}
	if err := try("quiet", later); !errors.As(err, &locked) {
		t.Errorf("5th failure of the new day: %v, want locked", err)
	}
	wantKind(t, "Unlock", identity.Unlock(ctx, f.d, f.ente, "QUIET"), ok)
	wantKind(t, "after Unlock", try("quiet", later), apperr.Unauthorized, identity.ErrBadCredentials)
}

// TestAuthenticateTiming checks that an unknown username costs an argon2
// hash like a known one: the same checks with the same costs, so response
// times do not reveal which usernames exist. (It compares the work, not
// the clock: timings on a shared machine prove nothing either way.)
func TestAuthenticateTiming(t *testing.T) {
	f := setup(t)
	op, _ := f.operator(t, f.ente)
	checks := func(user string) []string {
		var got []string
		stop := identity.WatchPasswordChecks(func(m, tm uint32, th uint8) {
			got = append(got, fmt.Sprintf("m=%d,t=%d,p=%d", m, tm, th))
		})
		defer stop()
		_, err := identity.Authenticate(ctx, f.d, f.ente, user, "wrong", t0)
		wantKind(t, "Authenticate "+user, err, apperr.Unauthorized, identity.ErrBadCredentials)
		return got
	}
	known, unknown := checks(op.Username), checks("nobody-at-all")
	if len(known) != 1 {
		t.Fatalf("a known username's wrong password made %d checks, want 1: %v", len(known), known)
	}
	if diff := cmp.Diff(known, unknown); diff != "" {
		t.Errorf("password checks of an unknown username differ from a known one's (-known +unknown):\n%s", diff)
	}
}

// TestAuthenticateRehashes stores a hash made with weaker costs, as an older
// release would have, and checks that a login upgrades it.
func TestAuthenticateRehashes(t *testing.T) {
	f := setup(t)
	op, _ := f.operator(t, f.ente)
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(password), salt, 1, 8*1024, 1, 32)
	b64 := base64.RawStdEncoding
	old := "$argon2id$v=19$m=8192,t=1,p=1$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(key)
	if _, err := f.d.ExecContext(ctx, `UPDATE operator SET password_hash = $1 WHERE id = $2`, old, op.ID); err != nil {
		t.Fatal(err)
	}
	_, err := identity.Authenticate(ctx, f.d, f.ente, op.Username, password, t0)
	wantKind(t, "Authenticate with the old hash", err, ok)
	var stored string
	if err := f.d.QueryRowContext(ctx, `SELECT password_hash FROM operator WHERE id = $1`, op.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash after login = %q, want the current costs", stored)
	}
	_, err = identity.Authenticate(ctx, f.d, f.ente, op.Username, password, t0)
	wantKind(t, "Authenticate with the new hash", err, ok)
}
