package identity_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity"
)

// TestLoginCitizen plays a sequence of logins on one database: each step
// depends on the ones before it.
func TestLoginCitizen(t *testing.T) {
	f := setup(t)
	type want struct {
		res      identity.LoginResult
		kind     apperr.Kind
		citizens int
	}
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	mario := func(given, email, phone string, created, last time.Time) *identity.Citizen {
		return &identity.Citizen{
			Ente: f.ente, FiscalCode: cfMario, GivenName: given, FamilyName: "Rossi", Email: email, Phone: phone,
			CreatedAt: created, LastLoginAt: last,
		}
	}
	tests := []struct {
		name string
		in   identity.LoginInput
		now  time.Time
		want want
	}{
		{
			name: "first login creates the citizen with unverified contacts",
			in: identity.LoginInput{FiscalCode: "TINIT-" + cfMario, GivenName: "Mario", FamilyName: "Rossi",
				Email: "Mario@Example.IT", Phone: "333 123 4567", IdP: idpPoste, Level: 2},
			now:  at(0),
			want: want{res: identity.LoginResult{FirstLogin: true, Citizen: mario("Mario", "Mario@example.it", "+393331234567", at(0), at(0))}, citizens: 1},
		},
		{
			name: "same IdP again: not new, name updated, contacts kept",
			in: identity.LoginInput{FiscalCode: cfMario, GivenName: "Mario Giuseppe", FamilyName: "Rossi",
				Email: "other@example.it", Phone: "3471112222", IdP: idpPoste, Level: 1},
			now:  at(1),
			want: want{res: identity.LoginResult{Citizen: mario("Mario Giuseppe", "Mario@example.it", "+393331234567", at(0), at(1))}, citizens: 1},
		},
		{
			name: "another IdP is new",
			in:   identity.LoginInput{FiscalCode: cfMario, GivenName: "Mario", FamilyName: "Rossi", IdP: idpAruba, Level: 2},
			now:  at(2),
			want: want{res: identity.LoginResult{NewIdP: true, Citizen: mario("Mario", "Mario@example.it", "+393331234567", at(0), at(2))}, citizens: 1},
		},
		{
			name: "the first IdP again is not new",
			in:   identity.LoginInput{FiscalCode: "rssmra80a01h501u", GivenName: "Mario", FamilyName: "Rossi", IdP: idpPoste, Level: 2},
			now:  at(3),
			want: want{res: identity.LoginResult{Citizen: mario("Mario", "Mario@example.it", "+393331234567", at(0), at(3))}, citizens: 1},
		},
		{
			name: "an IdP that sends no name leaves it",
			in:   identity.LoginInput{FiscalCode: cfMario, IdP: idpPoste, Level: 2},
			now:  at(3),
			want: want{res: identity.LoginResult{Citizen: mario("Mario", "Mario@example.it", "+393331234567", at(0), at(3))}, citizens: 1},
		},
		{
			name: "a malformed e-mail from the IdP is dropped, not fatal",
			in:   identity.LoginInput{FiscalCode: cfGiulia, GivenName: "Giulia", FamilyName: "Bianchi", Email: "not an address", IdP: idpAruba, Level: 2},
			now:  at(4),
			want: want{res: identity.LoginResult{FirstLogin: true, Citizen: &identity.Citizen{Ente: f.ente, FiscalCode: cfGiulia,
				GivenName: "Giulia", FamilyName: "Bianchi", CreatedAt: at(4), LastLoginAt: at(4)}}, citizens: 2},
		},
		{
			name: "invalid codice fiscale",
			in:   identity.LoginInput{FiscalCode: "RSSMRA80A01H501X", IdP: idpPoste, Level: 2},
			now:  at(5),
			want: want{kind: apperr.Invalid, citizens: 2},
		},
		{
			name: "missing IdP",
			in:   identity.LoginInput{FiscalCode: cfLuigi, Level: 2},
			now:  at(5),
			want: want{kind: apperr.Invalid, citizens: 2},
		},
		{
			name: "level out of range",
			in:   identity.LoginInput{FiscalCode: cfLuigi, IdP: idpPoste, Level: 4},
			now:  at(5),
			want: want{kind: apperr.Invalid, citizens: 2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := identity.LoginCitizen(ctx, f.d, f.ente, tc.in, tc.now)
			if tc.want.kind != ok {
				wantKind(t, "LoginCitizen", err, tc.want.kind)
			} else {
				wantKind(t, "LoginCitizen", err, ok)
				if diff := cmp.Diff(tc.want.res, res, cmpIgnoreIDs); diff != "" {
					t.Errorf("LoginCitizen mismatch (-want +got):\n%s", diff)
				}
			}
			var n int
			if err := f.d.QueryRowContext(ctx, `SELECT count(*) FROM citizen WHERE ente_id = $1`, f.ente).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != tc.want.citizens {
				t.Errorf("citizens = %d, want %d", n, tc.want.citizens)
			}
		})
	}
}

// cmpIgnoreIDs compares citizens without their database ids.
var cmpIgnoreIDs = cmp.Transformer("noID", func(c *identity.Citizen) identity.Citizen {
	if c == nil {
		return identity.Citizen{}
	}
	x := *c
	x.ID = 0
	return x
})

func TestLoginCitizenConcurrentFirstLogins(t *testing.T) {
	f := setup(t)
	const n = 8
	var wg sync.WaitGroup
	results := make([]identity.LoginResult, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = identity.LoginCitizen(ctx, f.d, f.ente, identity.LoginInput{
				FiscalCode: cfLuigi, GivenName: "Luigi", FamilyName: "Verdi", IdP: idpPoste, Level: 2,
			}, t0)
		})
	}
	wg.Wait()
	first := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("login %d: %v", i, errs[i])
		}
		if results[i].FirstLogin {
			first++
		}
		if results[i].Citizen.ID != results[0].Citizen.ID {
			t.Errorf("login %d got citizen %d, login 0 got %d", i, results[i].Citizen.ID, results[0].Citizen.ID)
		}
	}
	if first != 1 {
		t.Errorf("%d logins report a first login, want 1", first)
	}
	var rows int
	if err := f.d.QueryRowContext(ctx, `SELECT count(*) FROM citizen`).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("citizen rows = %d (err %v), want 1", rows, err)
	}
}

func TestCitizenLookupsAndIsolation(t *testing.T) {
	f := setup(t)
	mario := f.login(t, f.ente, cfMario)
	otherMario := f.login(t, f.other, cfMario)
	if mario.ID == otherMario.ID {
		t.Fatal("one person in two enti shares a citizen row")
	}
	got, err := identity.GetCitizen(ctx, f.d, f.ente, mario.ID)
	wantKind(t, "GetCitizen", err, ok)
	if diff := cmp.Diff(mario, got); diff != "" {
		t.Errorf("GetCitizen mismatch (-want +got):\n%s", diff)
	}
	got, err = identity.CitizenByFiscalCode(ctx, f.d, f.ente, " rssmra80a01h501u ")
	wantKind(t, "CitizenByFiscalCode", err, ok)
	if diff := cmp.Diff(mario, got); diff != "" {
		t.Errorf("CitizenByFiscalCode mismatch (-want +got):\n%s", diff)
	}
	_, err = identity.GetCitizen(ctx, f.d, f.other, mario.ID)
	wantKind(t, "GetCitizen from the other ente", err, apperr.NotFound)
	_, err = identity.CitizenByFiscalCode(ctx, f.d, f.ente, cfGiulia)
	wantKind(t, "CitizenByFiscalCode unknown", err, apperr.NotFound)
	_, err = identity.CitizenByFiscalCode(ctx, f.d, f.ente, "nope")
	wantKind(t, "CitizenByFiscalCode invalid", err, apperr.Invalid)
	err = identity.UpdateContacts(ctx, f.d, f.other, mario.ID, identity.Contacts{Email: "a@example.it"})
	wantKind(t, "UpdateContacts from the other ente", err, apperr.NotFound)
	err = identity.UpdateChannels(ctx, f.d, f.other, mario.ID, []identity.Channel{identity.ChannelAppIO})
	wantKind(t, "UpdateChannels from the other ente", err, apperr.NotFound)
}

func TestEnsureCitizen(t *testing.T) {
	f := setup(t)
	c, created, err := identity.EnsureCitizen(ctx, f.d, f.ente, identity.CitizenInput{FiscalCode: cfCarlo, GivenName: "Carlo", FamilyName: "Colombo"}, t0)
	wantKind(t, "EnsureCitizen", err, ok)
	want := &identity.Citizen{ID: c.ID, Ente: f.ente, FiscalCode: cfCarlo, GivenName: "Carlo", FamilyName: "Colombo", CreatedAt: t0}
	if diff := cmp.Diff(want, c); diff != "" || !created {
		t.Errorf("EnsureCitizen created=%v mismatch (-want +got):\n%s", created, diff)
	}
	res, err := identity.LoginCitizen(ctx, f.d, f.ente, identity.LoginInput{FiscalCode: cfCarlo, GivenName: "Carlo Maria",
		FamilyName: "Colombo", IdP: idpPoste, Level: 2}, t0.Add(time.Hour))
	wantKind(t, "LoginCitizen", err, ok)
	if res.FirstLogin || res.NewIdP || res.Citizen.ID != c.ID || res.Citizen.GivenName != "Carlo Maria" {
		t.Errorf("login after desk registration = %+v, want the same citizen, renamed, not a first login", res)
	}
	again, created, err := identity.EnsureCitizen(ctx, f.d, f.ente, identity.CitizenInput{FiscalCode: cfCarlo, GivenName: "C", FamilyName: "C"}, t0)
	wantKind(t, "EnsureCitizen again", err, ok)
	if created || again.GivenName != "Carlo Maria" {
		t.Errorf("EnsureCitizen again: created=%v name=%q, want existing citizen unchanged", created, again.GivenName)
	}
	_, _, err = identity.EnsureCitizen(ctx, f.d, f.ente, identity.CitizenInput{FiscalCode: cfLuigi}, t0)
	wantKind(t, "EnsureCitizen without a name", err, apperr.Invalid)
}

func TestUpdateContactsAndChannels(t *testing.T) {
	f := setup(t)
	c := f.login(t, f.ente, cfMario)
	steps := []struct {
		name     string
		run      func() error
		kind     apperr.Kind
		email    string
		verified bool
		channels []identity.Channel
	}{
		{"e-mail channel needs a verified address", func() error {
			return identity.UpdateChannels(ctx, f.d, f.ente, c.ID, []identity.Channel{identity.ChannelEmail})
		}, apperr.Invalid, "", false, nil},
		{"App IO needs nothing", func() error {
			return identity.UpdateChannels(ctx, f.d, f.ente, c.ID, []identity.Channel{identity.ChannelAppIO})
		}, ok, "", false, []identity.Channel{identity.ChannelAppIO}},
		{"unknown channel", func() error {
			return identity.UpdateChannels(ctx, f.d, f.ente, c.ID, []identity.Channel{"fax"})
		}, apperr.Invalid, "", false, []identity.Channel{identity.ChannelAppIO}},
		{"verify an address", func() error {
			code, err := identity.StartContactCheck(ctx, f.d, f.ente, c.ID, identity.ContactEmail, "mario@example.it", t0)
			if err != nil {
				return err
			}
			return identity.ConfirmContact(ctx, f.d, f.ente, c.ID, identity.ContactEmail, code, t0)
		}, ok, "mario@example.it", true, []identity.Channel{identity.ChannelAppIO}},
		{"now e-mail is allowed, stored in canonical order", func() error {
			return identity.UpdateChannels(ctx, f.d, f.ente, c.ID, []identity.Channel{identity.ChannelAppIO, identity.ChannelEmail})
		}, ok, "mario@example.it", true, []identity.Channel{identity.ChannelEmail, identity.ChannelAppIO}},
		{"same address keeps its verification", func() error {
			return identity.UpdateContacts(ctx, f.d, f.ente, c.ID, identity.Contacts{Email: " mario@EXAMPLE.it"})
		}, ok, "mario@example.it", true, []identity.Channel{identity.ChannelEmail, identity.ChannelAppIO}},
		{"a new address loses it", func() error {
			return identity.UpdateContacts(ctx, f.d, f.ente, c.ID, identity.Contacts{Email: "m.rossi@example.it"})
		}, ok, "m.rossi@example.it", false, []identity.Channel{identity.ChannelEmail, identity.ChannelAppIO}},
		{"invalid phone", func() error {
			return identity.UpdateContacts(ctx, f.d, f.ente, c.ID, identity.Contacts{Email: "m.rossi@example.it", Phone: "12"})
		}, apperr.Invalid, "m.rossi@example.it", false, []identity.Channel{identity.ChannelEmail, identity.ChannelAppIO}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			wantKind(t, s.name, s.run(), s.kind)
			got, err := identity.GetCitizen(ctx, f.d, f.ente, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Email != s.email || got.EmailVerified != s.verified {
				t.Errorf("email = %q verified %v, want %q %v", got.Email, got.EmailVerified, s.email, s.verified)
			}
			if diff := cmp.Diff(s.channels, got.Channels); diff != "" {
				t.Errorf("channels mismatch (-want +got):\n%s", diff)
			}
		})
	}
	got, _ := identity.GetCitizen(ctx, f.d, f.ente, c.ID)
	reach := map[identity.Channel]bool{}
	for _, ch := range identity.Channels {
		reach[ch] = got.Reachable(ch)
	}
	want := map[identity.Channel]bool{identity.ChannelEmail: false, identity.ChannelSMS: false, identity.ChannelAppIO: true}
	if diff := cmp.Diff(want, reach); diff != "" {
		t.Errorf("Reachable after the address changed (-want +got):\n%s", diff)
	}
}
