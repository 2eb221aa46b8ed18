package identity

import (
	"cmp"
	"slices"

	"github.com/sportello/sportello/internal/apperr"
)

// Role is a job an operator does; what each role may do is decided in one
// place, Principal.Can.
type Role string

// The roles of the ente's staff and of the consortium.
const (
	// RoleDesk is the front desk (punto risposte): sees any citizen of the
	// ente, files on their behalf and records delegations.
	RoleDesk Role = "desk"
	// RoleClerk handles the pratiche of one office.
	RoleClerk Role = "clerk"
	// RoleHead is the head of one office: a clerk who also decides.
	RoleHead Role = "head"
	// RoleAdmin administers the ente: operators, sessions, delegations,
	// settings and the audit log.
	RoleAdmin Role = "admin"
	// RoleConsortium administers the whole deployment: the operator lives
	// in a home ente (every row keeps its ente) and the grant reaches every
	// ente.
	RoleConsortium Role = "consortium"
)

// Roles lists every role from the narrowest to the widest, the order grants
// are listed in.
var Roles = []Role{RoleDesk, RoleClerk, RoleHead, RoleAdmin, RoleConsortium}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// OfficeScoped reports whether the role is held for one office, so a grant
// of it must name the office.
func (r Role) OfficeScoped() bool { return r == RoleClerk || r == RoleHead }

// Grant gives an operator a role, for one office when the role is office
// scoped (Office is a tenant.Office ID of the same ente; zero otherwise).
type Grant struct {
	Role   Role
	Office int64
}

// normalizeGrants validates grants and returns them without duplicates, in
// Roles order then by office, so that stored and compared lists agree.
func normalizeGrants(grants []Grant) ([]Grant, error) {
	var out []Grant
	for _, g := range grants {
		if !g.Role.Valid() {
			return nil, apperr.Errorf(apperr.Invalid, "grant: unknown role %q", g.Role)
		}
		if g.Role.OfficeScoped() != (g.Office != 0) {
			return nil, apperr.Errorf(apperr.Invalid, "grant %s: an office is required for clerks and heads only", g.Role)
		}
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b Grant) int {
		return cmp.Or(cmp.Compare(slices.Index(Roles, a.Role), slices.Index(Roles, b.Role)), cmp.Compare(a.Office, b.Office))
	})
	return out, nil
}
