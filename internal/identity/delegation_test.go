package identity_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/identity"
)

// today is t0's date in Rome.
var today = calendar.D(2026, 3, 2)

func TestCreateDelegation(t *testing.T) {
	f := setup(t)
	mario := f.login(t, f.ente, cfMario)
	giulia := f.login(t, f.ente, cfGiulia)
	foreign := f.login(t, f.other, cfCarlo)
	desk, _ := f.operator(t, f.ente, identity.Grant{Role: identity.RoleDesk})
	foreignDesk, _ := f.operator(t, f.other, identity.Grant{Role: identity.RoleDesk})
	online := func(mod func(*identity.DelegationInput)) identity.DelegationInput {
		in := identity.DelegationInput{Delegator: mario.ID, DelegateFiscalCode: " vrdlgu70c12l378w ", DelegateName: " Luigi Verdi ",
			Services: []string{"tariffa-rifiuti", "certificati-anagrafici", "tariffa-rifiuti"}, ValidUntil: today.AddDays(30),
			CreatedBy: identity.CitizenSubject(mario.ID)}
		if mod != nil {
			mod(&in)
		}
		return in
	}
	atDesk := func(mod func(*identity.DelegationInput)) identity.DelegationInput {
		return online(func(in *identity.DelegationInput) {
			in.CreatedBy, in.DocumentType, in.DocumentChecked = identity.OperatorSubject(desk.ID), identity.DocCIE, true
			in.DocumentNumber = " ca 12345 ab"
			in.Services = nil
			if mod != nil {
				mod(in)
			}
		})
	}
	tests := []struct {
		name string
		in   identity.DelegationInput
		want *identity.Delegation
		kind apperr.Kind
	}{
		{
			name: "online by the delegator",
			in:   online(nil),
			want: &identity.Delegation{Ente: f.ente, Delegator: mario.ID, DelegateFiscalCode: cfLuigi, DelegateName: "Luigi Verdi",
				Services: []string{"certificati-anagrafici", "tariffa-rifiuti"}, ValidUntil: today.AddDays(30),
				CreatedBy: identity.CitizenSubject(mario.ID), CreatedAt: t0},
		},
		{
			name: "at the desk, every service, until today",
			in:   atDesk(func(in *identity.DelegationInput) { in.ValidUntil = today }),
			want: &identity.Delegation{Ente: f.ente, Delegator: mario.ID, DelegateFiscalCode: cfLuigi, DelegateName: "Luigi Verdi",
				ValidUntil: today, CreatedBy: identity.OperatorSubject(desk.ID), DocumentType: identity.DocCIE, DocumentNumber: "CA12345AB",
				DocumentChecked: true, CreatedAt: t0},
		},
		{name: "online by someone else", in: online(func(in *identity.DelegationInput) { in.CreatedBy = identity.CitizenSubject(giulia.ID) }), kind: apperr.Forbidden},
		{name: "online with a document", in: online(func(in *identity.DelegationInput) { in.DocumentType = identity.DocPassport }), kind: apperr.Invalid},
		{name: "at the desk, document not checked", in: atDesk(func(in *identity.DelegationInput) { in.DocumentChecked = false }), kind: apperr.Invalid},
		{name: "at the desk, no document number", in: atDesk(func(in *identity.DelegationInput) { in.DocumentNumber = "" }), kind: apperr.Invalid},
		{name: "at the desk, a number of the wrong shape", in: atDesk(func(in *identity.DelegationInput) { in.DocumentNumber = "12345" }), kind: apperr.Invalid},
		{name: "online with a document number", in: online(func(in *identity.DelegationInput) { in.DocumentNumber = "CA12345AB" }), kind: apperr.Invalid},
		{name: "at the desk, unknown document", in: atDesk(func(in *identity.DelegationInput) { in.DocumentType = "tessera" }), kind: apperr.Invalid},
		{name: "to oneself", in: online(func(in *identity.DelegationInput) { in.DelegateFiscalCode = cfMario }), kind: apperr.Invalid},
		{name: "invalid codice fiscale", in: online(func(in *identity.DelegationInput) { in.DelegateFiscalCode = "VRDLGU70C12L378X" }), kind: apperr.Invalid},
		{name: "no name", in: online(func(in *identity.DelegationInput) { in.DelegateName = " " }), kind: apperr.Invalid},
		{name: "ended yesterday", in: online(func(in *identity.DelegationInput) { in.ValidUntil = today.AddDays(-1) }), kind: apperr.Invalid},
		{name: "no date", in: online(func(in *identity.DelegationInput) { in.ValidUntil = calendar.Date{} }), kind: apperr.Invalid},
		{name: "bad service slug", in: online(func(in *identity.DelegationInput) { in.Services = []string{"Tari!"} }), kind: apperr.Invalid},
		{name: "unknown creator kind", in: online(func(in *identity.DelegationInput) { in.CreatedBy.Kind = "robot" }), kind: apperr.Invalid},
		{
			name: "delegator of another ente",
			in: online(func(in *identity.DelegationInput) {
				in.Delegator, in.CreatedBy = foreign.ID, identity.CitizenSubject(foreign.ID)
			}),
			kind: apperr.NotFound,
		},
		{
			name: "desk operator of another ente",
			in:   atDesk(func(in *identity.DelegationInput) { in.CreatedBy = identity.OperatorSubject(foreignDesk.ID) }),
			kind: apperr.NotFound,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := identity.CreateDelegation(ctx, f.d, f.ente, tc.in, t0)
			wantKind(t, "CreateDelegation", err, tc.kind)
			if tc.kind != ok {
				return
			}
			tc.want.ID = got.ID
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CreateDelegation mismatch (-want +got):\n%s", diff)
			}
			stored, err := identity.GetDelegation(ctx, f.d, f.ente, got.ID)
			wantKind(t, "GetDelegation", err, ok)
			if diff := cmp.Diff(tc.want, stored); diff != "" {
				t.Errorf("GetDelegation mismatch (-want +got):\n%s", diff)
			}
			_, err = identity.GetDelegation(ctx, f.d, f.other, got.ID)
			wantKind(t, "GetDelegation from another ente", err, apperr.NotFound)
		})
	}
	// Late in the evening UTC it is already tomorrow in Rome.
	lateUTC := time.Date(2026, 3, 2, 23, 30, 0, 0, time.UTC)
	_, err := identity.CreateDelegation(ctx, f.d, f.ente, online(func(in *identity.DelegationInput) { in.ValidUntil = today }), lateUTC)
	wantKind(t, "until 2 March, at 00:30 of 3 March in Rome", err, apperr.Invalid)
}

func TestActiveDelegationAndRevoke(t *testing.T) {
	f := setup(t)
	mario := f.login(t, f.ente, cfMario)
	giulia := f.login(t, f.ente, cfGiulia)
	create := func(delegator identity.CitizenID, delegate string, until calendar.Date, services ...string) *identity.Delegation {
		d, err := identity.CreateDelegation(ctx, f.d, f.ente, identity.DelegationInput{Delegator: delegator, DelegateFiscalCode: delegate,
			DelegateName: "Delegato", Services: services, ValidUntil: until, CreatedBy: identity.CitizenSubject(delegator)}, t0)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	certs := create(mario.ID, cfLuigi, today.AddDays(60), "certificati-anagrafici")
	all := create(mario.ID, cfLuigi, today.AddDays(10))
	revoked := create(mario.ID, cfFrancesca, today.AddDays(10))
	giulias := create(giulia.ID, cfLuigi, today.AddDays(10), "tariffa-rifiuti")

	wantKind(t, "revoke by another citizen", identity.RevokeDelegation(ctx, f.d, f.ente, giulia.ID, revoked.ID, t0), apperr.NotFound)
	wantKind(t, "revoke from another ente", identity.RevokeDelegation(ctx, f.d, f.other, 0, revoked.ID, t0), apperr.NotFound)
	wantKind(t, "revoke by the delegator", identity.RevokeDelegation(ctx, f.d, f.ente, mario.ID, revoked.ID, t0.Add(time.Hour)), ok)
	wantKind(t, "revoke again, by an operator", identity.RevokeDelegation(ctx, f.d, f.ente, 0, revoked.ID, t0.Add(2*time.Hour)), ok)
	if d, _ := identity.GetDelegation(ctx, f.d, f.ente, revoked.ID); !d.RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("RevokedAt = %s, want the first revocation's time", d.RevokedAt)
	}

	tests := []struct {
		name      string
		delegate  string
		delegator identity.CitizenID
		service   string
		day       calendar.Date
		want      *identity.Delegation // nil: NotFound
	}{
		{"every-service delegation preferred", cfLuigi, mario.ID, "certificati-anagrafici", today, all},
		{"a service only the general one covers", cfLuigi, mario.ID, "tariffa-rifiuti", today, all},
		{"no service: the general one", cfLuigi, mario.ID, "", today, all},
		{"its last day", cfLuigi, mario.ID, "tariffa-rifiuti", today.AddDays(10), all},
		{"after the general one: certificates still", cfLuigi, mario.ID, "certificati-anagrafici", today.AddDays(11), certs},
		{"after the general one: not tari", cfLuigi, mario.ID, "tariffa-rifiuti", today.AddDays(11), nil},
		{"after the general one: no service", cfLuigi, mario.ID, "", today.AddDays(11), nil},
		{"after both", cfLuigi, mario.ID, "certificati-anagrafici", today.AddDays(61), nil},
		{"revoked", cfFrancesca, mario.ID, "certificati-anagrafici", today, nil},
		{"for giulia, her service", cfLuigi, giulia.ID, "tariffa-rifiuti", today, giulias},
		{"for giulia, another service", cfLuigi, giulia.ID, "certificati-anagrafici", today, nil},
		{"someone never named", cfCarlo, mario.ID, "certificati-anagrafici", today, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := identity.ActiveDelegation(ctx, f.d, f.ente, tc.delegate, tc.delegator, tc.service, tc.day)
			if tc.want == nil {
				wantKind(t, "ActiveDelegation", err, apperr.NotFound)
				return
			}
			wantKind(t, "ActiveDelegation", err, ok)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ActiveDelegation mismatch (-want +got):\n%s", diff)
			}
			if !got.ActiveOn(tc.day) || !got.Covers(tc.service) {
				t.Errorf("the delegation returned is not active on %s for %q", tc.day, tc.service)
			}
		})
	}
	_, err := identity.ActiveDelegation(ctx, f.d, f.other, cfLuigi, mario.ID, "", today)
	wantKind(t, "ActiveDelegation from another ente", err, apperr.NotFound)
	_, err = identity.ActiveDelegation(ctx, f.d, f.ente, "nope", mario.ID, "", today)
	wantKind(t, "ActiveDelegation with an invalid code", err, apperr.Invalid)

	ids := func(ds []*identity.Delegation) []identity.DelegationID {
		var out []identity.DelegationID
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	lists := []struct {
		name   string
		filter identity.DelegationFilter
		want   []identity.DelegationID
	}{
		{"given by mario, newest first", identity.DelegationFilter{Delegator: mario.ID}, []identity.DelegationID{revoked.ID, all.ID, certs.ID}},
		{"received by luigi", identity.DelegationFilter{DelegateFiscalCode: "vrdlgu70c12l378w"}, []identity.DelegationID{giulias.ID, all.ID, certs.ID}},
		{"received by nobody", identity.DelegationFilter{DelegateFiscalCode: cfCarlo}, nil},
	}
	for _, l := range lists {
		got, err := identity.ListDelegations(ctx, f.d, f.ente, l.filter)
		wantKind(t, l.name, err, ok)
		if diff := cmp.Diff(l.want, ids(got)); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", l.name, diff)
		}
	}
	got, err := identity.ListDelegations(ctx, f.d, f.ente, identity.DelegationFilter{Delegator: giulia.ID})
	if err != nil || len(got) != 1 || cmp.Diff([]string{"tariffa-rifiuti"}, got[0].Services) != "" {
		t.Errorf("giulia's delegations = %v (err %v), want one with its service", got, err)
	}
	if got, _ := identity.ListDelegations(ctx, f.d, f.other, identity.DelegationFilter{Delegator: mario.ID}); len(got) != 0 {
		t.Errorf("another ente lists %d of mario's delegations", len(got))
	}
	_, err = identity.ListDelegations(ctx, f.d, f.ente, identity.DelegationFilter{})
	wantKind(t, "ListDelegations without a filter", err, apperr.Invalid)
	_, err = identity.ListDelegations(ctx, f.d, f.ente, identity.DelegationFilter{Delegator: mario.ID, DelegateFiscalCode: cfLuigi})
	wantKind(t, "ListDelegations with both", err, apperr.Invalid)
}
