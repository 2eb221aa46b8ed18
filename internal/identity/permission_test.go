package identity_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// Short names for the actions in the matrix below.
var actionCodes = map[string]identity.Action{
	"V": identity.ViewCitizenData, "A": identity.ActForCitizen, "F": identity.FileOnBehalf,
	"Q": identity.ViewOfficeQueue, "H": identity.HandlePratica, "D": identity.DecidePratica,
	"O": identity.ManageOperators, "E": identity.ManageEnte, "S": identity.EndAnySession,
	"G": identity.ManageDelegations, "U": identity.ViewAudit, "C": identity.ManageConsortium,
	"R": identity.ReconcilePayments,
}

// allActions is every action code, for principals that may do everything.
const allActions = "VAFQHDOESGUCR"

// TestCan checks every action on every resource for every kind of
// principal: the expectation lists the actions allowed, all others must be
// refused.
func TestCan(t *testing.T) {
	const (
		ente, other          tenant.ID          = 1, 2
		anagrafe, tributi    int64              = 10, 11
		mario, giulia, luigi identity.CitizenID = 100, 101, 102
		foreignMario         identity.CitizenID = 200
	)
	citizen := func(id identity.CitizenID, cf string) *identity.Citizen {
		return &identity.Citizen{ID: id, Ente: ente, FiscalCode: cf}
	}
	operator := func(id identity.OperatorID, home tenant.ID, grants ...identity.Grant) identity.Principal {
		o := &identity.Operator{ID: id, Ente: home, Grants: grants, TOTPEnabled: true}
		s := &identity.Session{ID: identity.SessionID(id), Ente: home, Subject: identity.OperatorSubject(id), Level: 2}
		return identity.Principal{Ente: home, Operator: o, Session: s}
	}
	delegation := func(services ...string) *identity.Delegation {
		return &identity.Delegation{ID: 1, Ente: ente, Delegator: mario, DelegateFiscalCode: cfLuigi, Services: services,
			ValidUntil: calendar.D(2026, 12, 31)}
	}
	mutate := func(p identity.Principal, f func(*identity.Principal)) identity.Principal {
		if p.Operator != nil {
			o, s := *p.Operator, *p.Session
			p.Operator, p.Session = &o, &s
		}
		f(&p)
		return p
	}
	admin := operator(4, ente, identity.Grant{Role: identity.RoleAdmin})

	resources := []struct {
		name string
		r    identity.Resource
	}{
		{"mario's profile", identity.Resource{Ente: ente, Citizen: mario}},
		{"mario's certificate at anagrafe", identity.Resource{Ente: ente, Office: anagrafe, Citizen: mario, Service: "certificati-anagrafici"}},
		{"mario's waste tax at tributi", identity.Resource{Ente: ente, Office: tributi, Citizen: mario, Service: "tariffa-rifiuti"}},
		{"giulia's profile", identity.Resource{Ente: ente, Citizen: giulia}},
		{"anagrafe's queue", identity.Resource{Ente: ente, Office: anagrafe}},
		{"the ente", identity.Resource{Ente: ente}},
		{"the other ente", identity.Resource{Ente: other}},
		{"mario in the other ente", identity.Resource{Ente: other, Citizen: foreignMario}},
	}
	// want lists, per principal, the allowed actions on each resource above,
	// in order, separated by spaces ("-" for none).
	tests := []struct {
		name string
		p    identity.Principal
		want string
	}{
		{"anonymous", identity.Principal{Ente: ente}, "- - - - - - - -"},
		{"mario", identity.Principal{Ente: ente, Citizen: citizen(mario, cfMario)}, "VAG VAG VAG - - - - -"},
		{"mario on the other ente's site", identity.Principal{Ente: other, Citizen: citizen(mario, cfMario)}, "- - - - - - - -"},
		{"giulia", identity.Principal{Ente: ente, Citizen: citizen(giulia, cfGiulia)}, "- - - VAG - - - -"},
		{"luigi for mario, certificates only",
			identity.Principal{Ente: ente, Citizen: citizen(luigi, cfLuigi), ActingFor: delegation("certificati-anagrafici")},
			"- VA - - - - - -"},
		{"luigi for mario, every service",
			identity.Principal{Ente: ente, Citizen: citizen(luigi, cfLuigi), ActingFor: delegation()},
			"VA VA VA - - - - -"},
		{"luigi with a revoked delegation",
			identity.Principal{Ente: ente, Citizen: citizen(luigi, cfLuigi), ActingFor: func() *identity.Delegation {
				d := delegation()
				d.RevokedAt = t0
				return d
			}()},
			"- - - - - - - -"},
		{"giulia holding luigi's delegation",
			identity.Principal{Ente: ente, Citizen: citizen(giulia, cfGiulia), ActingFor: delegation()},
			"- - - VAG - - - -"},
		{"desk", operator(1, ente, identity.Grant{Role: identity.RoleDesk}), "VFG VFG VFG VFG VFG VFG - -"},
		{"clerk of anagrafe", operator(2, ente, identity.Grant{Role: identity.RoleClerk, Office: anagrafe}), "- VQHR - - VQHR - - -"},
		{"head of anagrafe", operator(3, ente, identity.Grant{Role: identity.RoleHead, Office: anagrafe}), "- VQHDR - - VQHDR - - -"},
		{"clerk of tributi, head of anagrafe",
			operator(3, ente, identity.Grant{Role: identity.RoleClerk, Office: tributi}, identity.Grant{Role: identity.RoleHead, Office: anagrafe}),
			"- VQHDR VQHR - VQHDR - - -"},
		{"admin", admin, "OESGU OESGU OESGU OESGU OESGU OESGU - -"},
		{"consortium administrator", operator(5, ente, identity.Grant{Role: identity.RoleConsortium}), strings.Repeat(allActions+" ", 7) + allActions},
		{"desk of the other ente", operator(6, other, identity.Grant{Role: identity.RoleDesk}), "- - - - - - VFG VFG"},
		{"admin on the other ente's site", mutate(admin, func(p *identity.Principal) { p.Ente = other; p.Session.Ente = other }), "- - - - - - - -"},
		{"admin without TOTP", mutate(admin, func(p *identity.Principal) { p.Operator.TOTPEnabled = false }), "- - - - - - - -"},
		{"disabled admin", mutate(admin, func(p *identity.Principal) { p.Operator.Disabled = true }), "- - - - - - - -"},
		{"admin on a level-1 session", mutate(admin, func(p *identity.Principal) { p.Session.Level = 1 }), "- - - - - - - -"},
		{"admin without a session", mutate(admin, func(p *identity.Principal) { p.Session = nil }), "- - - - - - - -"},
		{"admin on someone else's session", mutate(admin, func(p *identity.Principal) { p.Session.Subject = identity.OperatorSubject(99) }), "- - - - - - - -"},
		{"operator without grants", operator(7, ente), "- - - - - - - -"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, res := range resources {
				var allowed strings.Builder
				for _, code := range allActions {
					if tc.p.Can(actionCodes[string(code)], res.r) {
						allowed.WriteRune(code)
					}
				}
				if allowed.Len() == 0 {
					allowed.WriteString("-")
				}
				got = append(got, res.name+": "+allowed.String())
			}
			var want []string
			for i, w := range strings.Fields(tc.want) {
				want = append(want, resources[i].name+": "+w)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("allowed actions mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if len(actionCodes) != len(identity.Actions) {
		t.Errorf("the matrix covers %d actions, the package has %d", len(actionCodes), len(identity.Actions))
	}
}

func TestCanGrantAndManage(t *testing.T) {
	const ente, other tenant.ID = 1, 2
	principal := func(id identity.OperatorID, home tenant.ID, role identity.Role) identity.Principal {
		o := &identity.Operator{ID: id, Ente: home, Grants: []identity.Grant{{Role: role}}, TOTPEnabled: true}
		return identity.Principal{Ente: home, Operator: o,
			Session: &identity.Session{Ente: home, Subject: identity.OperatorSubject(id), Level: 2}}
	}
	admin, desk, consortium := principal(1, ente, identity.RoleAdmin), principal(2, ente, identity.RoleDesk), principal(3, ente, identity.RoleConsortium)
	citizen := identity.Principal{Ente: ente, Citizen: &identity.Citizen{ID: 1, Ente: ente}}
	deskGrant := []identity.Grant{{Role: identity.RoleDesk}}
	consortiumGrant := []identity.Grant{{Role: identity.RoleConsortium}}
	target := func(home tenant.ID, role identity.Role) *identity.Operator {
		return &identity.Operator{ID: 9, Ente: home, Grants: []identity.Grant{{Role: role}}}
	}
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"admin grants desk in its ente", admin.CanGrant(ente, deskGrant), true},
		{"admin grants consortium", admin.CanGrant(ente, consortiumGrant), false},
		{"admin grants in another ente", admin.CanGrant(other, deskGrant), false},
		{"desk grants", desk.CanGrant(ente, deskGrant), false},
		{"citizen grants", citizen.CanGrant(ente, deskGrant), false},
		{"anonymous grants", identity.Principal{Ente: ente}.CanGrant(ente, deskGrant), false},
		{"consortium grants consortium elsewhere", consortium.CanGrant(other, consortiumGrant), true},
		{"admin manages a desk operator", admin.CanManageOperator(target(ente, identity.RoleDesk)), true},
		{"admin manages a consortium administrator", admin.CanManageOperator(target(ente, identity.RoleConsortium)), false},
		{"admin manages another ente's operator", admin.CanManageOperator(target(other, identity.RoleDesk)), false},
		{"desk manages an operator", desk.CanManageOperator(target(ente, identity.RoleDesk)), false},
		{"consortium manages a consortium administrator elsewhere", consortium.CanManageOperator(target(other, identity.RoleConsortium)), true},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if !(identity.Principal{}).Anonymous() || citizen.Anonymous() || admin.Anonymous() {
		t.Error("Anonymous is wrong")
	}
	for _, a := range identity.Actions {
		if a.String() == "" {
			t.Errorf("action %d has no name", a)
		}
	}
}
