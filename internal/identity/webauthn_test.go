package identity_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/identity/webauthntest"
	"github.com/sportello/sportello/internal/tenant"
)

// rpAla is the site of the ente "ala" in these tests.
var rpAla = identity.RelyingParty{ID: "ala.example", Origin: "https://ala.example", Name: "Comune di ala"}

// register adds key to the operator's keys under name at now.
func (f *fixture) register(t testing.TB, ente tenant.ID, op identity.OperatorID, key *webauthntest.Authenticator, name string, now time.Time) *identity.WebAuthnCredential {
	t.Helper()
	options, err := identity.BeginRegistration(ctx, f.d, ente, op, rpAla, now)
	if err != nil {
		t.Fatalf("BeginRegistration: %v", err)
	}
	response, err := key.Create(options)
	if err != nil {
		t.Fatalf("the authenticator refused the creation options: %v\n%s", err, options)
	}
	c, err := identity.FinishRegistration(ctx, f.d, ente, op, rpAla, name, response, now)
	if err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
	return c
}

// assert begins a login, has key answer it, and returns the answer.
func (f *fixture) assert(t testing.TB, op identity.OperatorID, key *webauthntest.Authenticator, now time.Time) []byte {
	t.Helper()
	options, err := identity.BeginLogin(ctx, f.d, f.ente, op, rpAla, now)
	if err != nil {
		t.Fatalf("BeginLogin: %v", err)
	}
	response, err := key.Get(options)
	if err != nil {
		t.Fatalf("the authenticator refused the request options: %v\n%s", err, options)
	}
	return response
}

func TestWebAuthnRegisterAndLogin(t *testing.T) {
	f := setup(t)
	op, _ := f.operator(t, f.ente, identity.Grant{Role: identity.RoleDesk})
	key := webauthntest.New(rpAla.Origin)
	key.AAGUID = [16]byte{0xcb, 0x69, 0x48, 0x1e, 0x8f, 0xf7, 0x40, 0x39, 0x93, 0xec, 0x0a, 0x27, 0x29, 0xa1, 0x54, 0xa8}
	got := f.register(t, f.ente, op.ID, key, "  Chiave blu ", t0)
	want := &identity.WebAuthnCredential{ID: got.ID, Ente: f.ente, Operator: op.ID, RPID: "ala.example", Name: "Chiave blu",
		Transports: []string{"usb", "nfc"}, AAGUID: "cb69481e-8ff7-4039-93ec-0a2729a154a8", CreatedAt: t0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FinishRegistration mismatch (-want +got):\n%s", diff)
	}

	// Each login moves the counter and the last use forward.
	for i, at := range []time.Time{t0.Add(time.Hour), t0.Add(2 * time.Hour)} {
		c, err := identity.FinishLogin(ctx, f.d, f.ente, op.ID, rpAla, f.assert(t, op.ID, key, at), at)
		wantKind(t, "FinishLogin", err, ok)
		want.SignCount, want.LastUsedAt = uint32(i+1), at
		if diff := cmp.Diff(want, c); diff != "" {
			t.Errorf("login %d: FinishLogin mismatch (-want +got):\n%s", i+1, diff)
		}
	}
	list, err := identity.ListCredentials(ctx, f.d, f.ente, op.ID)
	wantKind(t, "ListCredentials", err, ok)
	if diff := cmp.Diff([]*identity.WebAuthnCredential{want}, list); diff != "" {
		t.Errorf("ListCredentials mismatch (-want +got):\n%s", diff)
	}
	if list, _ := identity.ListCredentials(ctx, f.d, f.other, op.ID); len(list) != 0 {
		t.Errorf("another ente lists the operator's keys: %+v", list)
	}

	// The same key cannot be added twice: the options exclude it.
	options, err := identity.BeginRegistration(ctx, f.d, f.ente, op.ID, rpAla, t0)
	wantKind(t, "BeginRegistration again", err, ok)
	if _, err := key.Create(options); !errors.Is(err, webauthntest.ErrExcluded) {
		t.Errorf("creating on the registered key again: %v, want ErrExcluded", err)
	}
	// A second key is fine, and both are offered at login.
	f.register(t, f.ente, op.ID, webauthntest.New(rpAla.Origin), "Portatile", t0)
	options, err = identity.BeginLogin(ctx, f.d, f.ente, op.ID, rpAla, t0)
	wantKind(t, "BeginLogin with two keys", err, ok)
	var o struct {
		PublicKey struct {
			RPID             string `json:"rpId"`
			UserVerification string `json:"userVerification"`
			Allow            []any  `json:"allowCredentials"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		t.Fatal(err)
	}
	if o.PublicKey.RPID != "ala.example" || o.PublicKey.UserVerification != "preferred" || len(o.PublicKey.Allow) != 2 {
		t.Errorf("login options %s: want rpId ala.example, user verification preferred, two keys allowed", options)
	}
}

func TestWebAuthnRegistrationOptions(t *testing.T) {
	f := setup(t)
	op, _ := f.operator(t, f.ente, identity.Grant{Role: identity.RoleDesk})
	options, err := identity.BeginRegistration(ctx, f.d, f.ente, op.ID, rpAla, t0)
	wantKind(t, "BeginRegistration", err, ok)
	var o struct {
		PublicKey struct {
			RP struct {
				ID, Name string
			} `json:"rp"`
			User struct {
				Name        string `json:"name"`
				DisplayName string `json:"displayName"`
			} `json:"user"`
			Attestation string `json:"attestation"`
			Selection   struct {
				UserVerification string `json:"userVerification"`
			} `json:"authenticatorSelection"`
			Timeout int `json:"timeout"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		t.Fatal(err)
	}
	p := o.PublicKey
	if p.RP.ID != "ala.example" || p.RP.Name != "Comune di ala" || p.User.Name != op.Username || p.User.DisplayName != "Operatore" ||
		p.Attestation != "none" || p.Selection.UserVerification != "preferred" || p.Timeout != int(identity.CeremonyTTL/time.Millisecond) {
		t.Errorf("registration options %s: want this RP, the operator, attestation none, UV preferred, 5 minutes", options)
	}
}

func TestWebAuthnRefusals(t *testing.T) {
	f := setup(t)
	op, _ := f.operator(t, f.ente, identity.Grant{Role: identity.RoleDesk})
	key := webauthntest.New(rpAla.Origin)
	f.register(t, f.ente, op.ID, key, "Chiave", t0)
	other, _ := f.operator(t, f.ente, identity.Grant{Role: identity.RoleDesk})
	f.register(t, f.ente, other.ID, webauthntest.New(rpAla.Origin), "Chiave", t0)

	at := t0.Add(time.Hour)
	response := f.assert(t, op.ID, key, at)
	// Another operator cannot use this answer: their ceremony, if any,
	// has another challenge and their keys are others.
	_, err := identity.FinishLogin(ctx, f.d, f.ente, other.ID, rpAla, response, at)
	wantKind(t, "FinishLogin without a ceremony", err, apperr.Invalid, identity.ErrCeremonyExpired)
	if _, err := identity.BeginLogin(ctx, f.d, f.ente, other.ID, rpAla, at); err != nil {
		t.Fatal(err)
	}
	_, err = identity.FinishLogin(ctx, f.d, f.ente, other.ID, rpAla, response, at)
	wantKind(t, "FinishLogin with another operator's key", err, apperr.Invalid, identity.ErrWebAuthnRefused)
	// Nor another ente, nor another site.
	_, err = identity.FinishLogin(ctx, f.d, f.other, op.ID, rpAla, response, at)
	wantKind(t, "FinishLogin across enti", err, apperr.NotFound)
	evil := identity.RelyingParty{ID: "ala.example.evil", Origin: "https://ala.example.evil", Name: "x"}
	_, err = identity.FinishLogin(ctx, f.d, f.ente, op.ID, evil, response, at)
	wantKind(t, "FinishLogin on another site", err, apperr.Invalid, identity.ErrCeremonyExpired)

	// The ceremony was used up by the attempt on another site.
	_, err = identity.FinishLogin(ctx, f.d, f.ente, op.ID, rpAla, response, at)
	wantKind(t, "FinishLogin after the ceremony was used", err, apperr.Invalid, identity.ErrCeremonyExpired)
	// A ceremony serves once, and only for five minutes.
	response = f.assert(t, op.ID, key, at)
	_, err = identity.FinishLogin(ctx, f.d, f.ente, op.ID, rpAla, response, at.Add(identity.CeremonyTTL))
	wantKind(t, "FinishLogin after five minutes", err, apperr.Invalid, identity.ErrCeremonyExpired)
	response = f.assert(t, op.ID, key, at)
	_, err = identity.FinishLogin(ctx, f.d, f.ente, op.ID, rpAla, response, at.Add(time.Minute))
	wantKind(t, "FinishLogin", err, ok)
	_, err = identity.FinishLogin(ctx, f.d, f.ente, op.ID, rpAla, response, at.Add(time.Minute))
	wantKind(t, "FinishLogin replayed", err, apperr.Invalid, identity.ErrCeremonyExpired)

	// A page on another origin (a phishing proxy) gets an answer that
	// names its own origin, which the server refuses.
	phished := key.Clone()
	phished.Origin = "https://ala-example.evil"
	_, err = identity.FinishLogin(ctx, f.d, f.ente, op.ID, rpAla, f.assert(t, op.ID, phished, at), at)
	wantKind(t, "FinishLogin from another origin", err, apperr.Invalid, identity.ErrWebAuthnRefused)
}

func TestWebAuthnFailuresLockTheAccount(t *testing.T) {
	f := setup(t)
	op, secret := f.operator(t, f.ente, identity.Grant{Role: identity.RoleDesk})
	key := webauthntest.New(rpAla.Origin)
	f.register(t, f.ente, op.ID, key, "Chiave", t0)
	at := t0.Add(time.Hour)
	// A tampered signature is refused and counts like a wrong code.
	for i := 1; i <= identity.LockoutThreshold; i++ {
		response := f.assert(t, op.ID, key, at)
		var pkc map[string]any
		if err := json.Unmarshal(response, &pkc); err != nil {
			t.Fatal(err)
		}
		resp := pkc["response"].(map[string]any)
		resp["signature"] = "MEUCIQ" + strings.Repeat("A", 90)
		response, _ = json.Marshal(pkc)
		_, err := identity.FinishLogin(ctx, f.d, f.ente, op.ID, rpAla, response, at)
		if i < identity.LockoutThreshold {
			wantKind(t, "FinishLogin with a bad signature", err, apperr.Invalid, identity.ErrWebAuthnRefused)
			continue
		}
		var locked *identity.LockedError
		if !errors.As(err, &locked) || apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("failure %d: %v, want the account locked", i, err)
		}
	}
	// While locked, neither a key nor a TOTP code is accepted.
	_, err := identity.BeginLogin(ctx, f.d, f.ente, op.ID, rpAla, at)
	wantKind(t, "BeginLogin while locked", err, apperr.Forbidden)
	err = identity.VerifySecondFactor(ctx, f.d, f.keys, f.ente, op.ID, totpCode(t, secret, at), at)
	wantKind(t, "VerifySecondFactor while locked", err, apperr.Forbidden)
	// After the lock, a key login resets the count, as a code does.
	at = at.Add(identity.LockoutBase)
	_, err = identity.FinishLogin(ctx, f.d, f.ente, op.ID, rpAla, f.assert(t, op.ID, key, at), at)
	wantKind(t, "FinishLogin after the lock", err, ok)
	var n int
	if err := f.d.QueryRowContext(ctx, `SELECT count(*) FROM login_lockout WHERE ente_id = $1`, f.ente).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d lockout rows after a complete login, want none", n)
	}
}

func TestWebAuthnCloneIsRefusedAndRecorded(t *testing.T) {
	f := setup(t)
	op, _ := f.operator(t, f.ente, identity.Grant{Role: identity.RoleDesk})
	key := webauthntest.New(rpAla.Origin)
	c := f.register(t, f.ente, op.ID, key, "Chiave", t0)
	copied := key.Clone()
	at := t0.Add(time.Hour)
	if _, err := identity.FinishLogin(ctx, f.d, f.ente, op.ID, rpAla, f.assert(t, op.ID, key, at), at); err != nil {
		t.Fatal(err)
	}
	// The copy's counter is one behind the stored one.
	at = at.Add(time.Hour)
	_, err := identity.FinishLogin(ctx, f.d, f.ente, op.ID, rpAla, f.assert(t, op.ID, copied, at), at)
	wantKind(t, "FinishLogin with a copied key", err, apperr.Forbidden, identity.ErrCloneSuspected)
	list, err := identity.ListCredentials(ctx, f.d, f.ente, op.ID)
	if err != nil || len(list) != 1 || !list[0].CloneSuspectedAt.Equal(at) || list[0].SignCount != 1 {
		t.Fatalf("after the copy: %+v, %v; want the key marked at %s with counter 1", list, err, at)
	}
	// From then on the key is not offered, even from the original.
	_, err = identity.BeginLogin(ctx, f.d, f.ente, op.ID, rpAla, at)
	wantKind(t, "BeginLogin with only a suspected key", err, apperr.NotFound, identity.ErrNoCredential)
	// The operator removes it and may register it again.
	wantKind(t, "RemoveCredential", identity.RemoveCredential(ctx, f.d, f.ente, op.ID, c.ID), ok)
	f.register(t, f.ente, op.ID, webauthntest.New(rpAla.Origin), "Nuova", at)
}

func TestWebAuthnWithoutCounter(t *testing.T) {
	f := setup(t)
	op, _ := f.operator(t, f.ente, identity.Grant{Role: identity.RoleDesk})
	key := webauthntest.New(rpAla.Origin)
	key.NoCounter = true
	key.UserVerified = false
	f.register(t, f.ente, op.ID, key, "Passkey", t0)
	for i := range 3 {
		at := t0.Add(time.Duration(i+1) * time.Minute)
		_, err := identity.FinishLogin(ctx, f.d, f.ente, op.ID, rpAla, f.assert(t, op.ID, key, at), at)
		wantKind(t, "FinishLogin with a zero counter", err, ok)
	}
}

func TestWebAuthnNeedsTOTPAndAnEnabledAccount(t *testing.T) {
	f := setup(t)
	fresh, err := identity.CreateOperator(ctx, f.d, f.ente, identity.OperatorInput{Username: "nuovo", Name: "Nuovo", Password: password}, t0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = identity.BeginRegistration(ctx, f.d, f.ente, fresh.ID, rpAla, t0)
	wantKind(t, "BeginRegistration without TOTP", err, apperr.Forbidden, identity.ErrTOTPRequired)
	_, err = identity.BeginLogin(ctx, f.d, f.ente, fresh.ID, rpAla, t0)
	wantKind(t, "BeginLogin without TOTP", err, apperr.Forbidden, identity.ErrTOTPRequired)

	op, _ := f.operator(t, f.ente, identity.Grant{Role: identity.RoleDesk})
	_, err = identity.BeginLogin(ctx, f.d, f.ente, op.ID, rpAla, t0)
	wantKind(t, "BeginLogin without keys", err, apperr.NotFound, identity.ErrNoCredential)
	key := webauthntest.New(rpAla.Origin)
	f.register(t, f.ente, op.ID, key, "Chiave", t0)
	otherSite := identity.RelyingParty{ID: "www.ala.example", Origin: "https://www.ala.example", Name: "Ala"}
	_, err = identity.BeginLogin(ctx, f.d, f.ente, op.ID, otherSite, t0)
	wantKind(t, "BeginLogin on a site without keys", err, apperr.NotFound, identity.ErrNoCredential)
	response := f.assert(t, op.ID, key, t0)
	if err := identity.Disable(ctx, f.d, f.ente, op.ID, t0); err != nil {
		t.Fatal(err)
	}
	_, err = identity.FinishLogin(ctx, f.d, f.ente, op.ID, rpAla, response, t0)
	wantKind(t, "FinishLogin of a disabled operator", err, apperr.Forbidden, identity.ErrDisabled)
	_, err = identity.BeginRegistration(ctx, f.d, f.ente, op.ID, rpAla, t0)
	wantKind(t, "BeginRegistration of a disabled operator", err, apperr.Forbidden, identity.ErrDisabled)
}

func TestWebAuthnCredentialNames(t *testing.T) {
	f := setup(t)
	op, _ := f.operator(t, f.ente, identity.Grant{Role: identity.RoleDesk})
	options, err := identity.BeginRegistration(ctx, f.d, f.ente, op.ID, rpAla, t0)
	if err != nil {
		t.Fatal(err)
	}
	response, err := webauthntest.New(rpAla.Origin).Create(options)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "   ", strings.Repeat("x", 65), "a\tb"} {
		_, err := identity.FinishRegistration(ctx, f.d, f.ente, op.ID, rpAla, name, response, t0)
		wantKind(t, "FinishRegistration named "+name, err, apperr.Invalid, identity.ErrCredentialName)
	}
	// A refused name does not use up the ceremony.
	c, err := identity.FinishRegistration(ctx, f.d, f.ente, op.ID, rpAla, strings.Repeat("è", 64), response, t0)
	wantKind(t, "FinishRegistration with 64 characters", err, ok)
	if c.Name != strings.Repeat("è", 64) {
		t.Errorf("name %q", c.Name)
	}
	_, err = identity.FinishRegistration(ctx, f.d, f.ente, op.ID, rpAla, "Di nuovo", response, t0)
	wantKind(t, "FinishRegistration replayed", err, apperr.Invalid, identity.ErrCeremonyExpired)
}

func TestWebAuthnRemoveAndLimit(t *testing.T) {
	f := setup(t)
	op, _ := f.operator(t, f.ente, identity.Grant{Role: identity.RoleDesk})
	other, _ := f.operator(t, f.ente, identity.Grant{Role: identity.RoleDesk})
	var ids []identity.WebAuthnCredentialID
	for range identity.MaxCredentials {
		ids = append(ids, f.register(t, f.ente, op.ID, webauthntest.New(rpAla.Origin), "Chiave", t0).ID)
	}
	_, err := identity.BeginRegistration(ctx, f.d, f.ente, op.ID, rpAla, t0)
	wantKind(t, "BeginRegistration past the limit", err, apperr.Conflict, identity.ErrTooManyCredentials)

	wantKind(t, "RemoveCredential by another operator", identity.RemoveCredential(ctx, f.d, f.ente, other.ID, ids[0]), apperr.NotFound)
	wantKind(t, "RemoveCredential across enti", identity.RemoveCredential(ctx, f.d, f.other, op.ID, ids[0]), apperr.NotFound)
	wantKind(t, "RemoveCredential", identity.RemoveCredential(ctx, f.d, f.ente, op.ID, ids[0]), ok)
	wantKind(t, "RemoveCredential twice", identity.RemoveCredential(ctx, f.d, f.ente, op.ID, ids[0]), apperr.NotFound)
	list, err := identity.ListCredentials(ctx, f.d, f.ente, op.ID)
	if err != nil || len(list) != identity.MaxCredentials-1 || list[0].ID != ids[1] {
		t.Errorf("after removing the first key: %d keys (%v), want %d starting with %d", len(list), err, identity.MaxCredentials-1, ids[1])
	}
	_, err = identity.BeginRegistration(ctx, f.d, f.ente, op.ID, rpAla, t0)
	wantKind(t, "BeginRegistration below the limit", err, ok)

	// Ceremonies past their five minutes are purged; fresh ones stay.
	if _, err := identity.BeginRegistration(ctx, f.d, f.ente, other.ID, rpAla, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	n, err := identity.PurgeCeremonies(ctx, f.d, t0.Add(identity.CeremonyTTL))
	if err != nil || n != 1 {
		t.Errorf("PurgeCeremonies = %d, %v; want the one expired ceremony", n, err)
	}
}

func TestNewRelyingParty(t *testing.T) {
	tests := []struct {
		origin string
		want   identity.RelyingParty
		kind   apperr.Kind
	}{
		{"https://servizi.comune.ala.tn.it", identity.RelyingParty{ID: "servizi.comune.ala.tn.it", Origin: "https://servizi.comune.ala.tn.it", Name: "Ala"}, ok},
		{"http://localhost:8080", identity.RelyingParty{ID: "localhost", Origin: "http://localhost:8080", Name: "Ala"}, ok},
		{"https://Ala.Example/", identity.RelyingParty{ID: "ala.example", Origin: "https://ala.example", Name: "Ala"}, ok},
		{"http://127.0.0.1:8080", identity.RelyingParty{}, apperr.Invalid},
		{"http://[::1]:8080", identity.RelyingParty{}, apperr.Invalid},
		{"ftp://ala.example", identity.RelyingParty{}, apperr.Invalid},
		{"https://ala.example/ufficio", identity.RelyingParty{}, apperr.Invalid},
		{"https://user@ala.example", identity.RelyingParty{}, apperr.Invalid},
		{"ala.example", identity.RelyingParty{}, apperr.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.origin, func(t *testing.T) {
			got, err := identity.NewRelyingParty(tc.origin, " Ala ")
			wantKind(t, "NewRelyingParty", err, tc.kind)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzFinishLogin feeds arbitrary answers to a login ceremony: each must be
// refused as Invalid (never accepted, never a panic or an internal error).
func FuzzFinishLogin(f *testing.F) {
	fx := &fixture{d: testdb.Open(f)}
	e := &tenant.Ente{Slug: "ala", Name: "Comune di ala", IstatCode: "022001", Belfiore: "A116", IPACode: "c_ala",
		FiscalCode: "00000000000", Province: "TN", Hosts: []string{"ala.example"}}
	if err := fx.d.InTx(ctx, func(tx *sql.Tx) error { return tenant.Create(ctx, tx, e, t0) }); err != nil {
		f.Fatal(err)
	}
	fx.ente = e.ID
	keys, err := identity.NewKeys([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		f.Fatal(err)
	}
	op, err := identity.CreateOperator(ctx, fx.d, fx.ente, identity.OperatorInput{Username: "fuzz", Name: "Fuzz", Password: password}, t0)
	if err != nil {
		f.Fatal(err)
	}
	if err := identity.SeedTOTP(ctx, fx.d, keys, fx.ente, op.ID, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"); err != nil {
		f.Fatal(err)
	}
	key := webauthntest.New(rpAla.Origin)
	fx.register(f, fx.ente, op.ID, key, "Chiave", t0)
	f.Add(fx.assert(f, op.ID, key, t0)) // a real answer, to a challenge that is no longer pending
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":""}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, response []byte) {
		if _, err := identity.BeginLogin(ctx, fx.d, fx.ente, op.ID, rpAla, t0); err != nil {
			t.Fatal(err)
		}
		_, err := identity.FinishLogin(ctx, fx.d, fx.ente, op.ID, rpAla, response, t0)
		if err == nil || apperr.KindOf(err) != apperr.Invalid || !errors.Is(err, identity.ErrWebAuthnRefused) {
			t.Fatalf("FinishLogin(%q) = %v, want a refusal", response, err)
		}
		// Keep the fuzzer below the lockout threshold.
		if err := identity.Unlock(ctx, fx.d, fx.ente, op.Username); err != nil {
			t.Fatal(err)
		}
	})
}
