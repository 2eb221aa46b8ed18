package identity

import (
	"slices"

	"github.com/sportello/sportello/internal/tenant"
)

// Principal is whoever makes a request, as the web layer resolves it from
// the session: a citizen (possibly acting for a delegator), an operator, or
// nobody. Ente is the ente the request is served for: the session's ente.
type Principal struct {
	Ente     tenant.ID
	Citizen  *Citizen
	Operator *Operator
	Session  *Session
	// ActingFor is the delegation a citizen is using on this request, as
	// returned by ActiveDelegation on this same request.
	ActingFor *Delegation
}

// Anonymous reports whether nobody is logged in.
func (p Principal) Anonymous() bool { return p.Citizen == nil && p.Operator == nil }

// Action is something a principal may be allowed to do; the web layer asks
// Can before doing it.
type Action int

// The actions the platform checks.
const (
	// ViewCitizenData: read a citizen's profile, pratiche, payments.
	ViewCitizenData Action = iota + 1
	// ActForCitizen: file, pay, answer as the citizen (themselves or a
	// delegate).
	ActForCitizen
	// FileOnBehalf: file for a citizen at the desk (assisted filing).
	FileOnBehalf
	// ViewOfficeQueue: see an office's incoming pratiche.
	ViewOfficeQueue
	// HandlePratica: work on a pratica of an office (ask for documents,
	// propose an outcome).
	HandlePratica
	// DecidePratica: sign the outcome of a pratica of an office.
	DecidePratica
	// ManageOperators: create operators, set grants, disable, reset TOTP.
	ManageOperators
	// ManageEnte: change the ente's settings, offices and hours.
	ManageEnte
	// EndAnySession: end sessions of other people.
	EndAnySession
	// ManageDelegations: record and revoke delegations.
	ManageDelegations
	// ViewAudit: read the audit log.
	ViewAudit
	// ManageConsortium: add enti and act on all of them.
	ManageConsortium
	// ReconcilePayments: see the ente's payments reconciled with the
	// treasury's flows; granted on the finance office, whose clerks and
	// heads do it.
	ReconcilePayments
)

var actionNames = map[Action]string{
	ViewCitizenData: "view-citizen-data", ActForCitizen: "act-for-citizen", FileOnBehalf: "file-on-behalf",
	ViewOfficeQueue: "view-office-queue", HandlePratica: "handle-pratica", DecidePratica: "decide-pratica",
	ManageOperators: "manage-operators", ManageEnte: "manage-ente", EndAnySession: "end-any-session",
	ManageDelegations: "manage-delegations", ViewAudit: "view-audit", ManageConsortium: "manage-consortium",
	ReconcilePayments: "reconcile-payments",
}

// Actions lists every action, for tables and tests.
var Actions = []Action{ViewCitizenData, ActForCitizen, FileOnBehalf, ViewOfficeQueue, HandlePratica, DecidePratica,
	ManageOperators, ManageEnte, EndAnySession, ManageDelegations, ViewAudit, ManageConsortium, ReconcilePayments}

// String names the action in logs and audit rows.
func (a Action) String() string { return actionNames[a] }

// Resource is what an action touches: always an ente, and where it matters
// the office, the citizen and the catalogue service concerned.
type Resource struct {
	Ente    tenant.ID
	Office  int64
	Citizen CitizenID
	Service string
}

// rolePerms lists the actions each role may do on a resource of the
// operator's ente; office-scoped roles only on their office's resources.
var rolePerms = map[Role][]Action{
	RoleDesk:  {ViewCitizenData, FileOnBehalf, ManageDelegations},
	RoleClerk: {ViewCitizenData, ViewOfficeQueue, HandlePratica, ReconcilePayments},
	RoleHead:  {ViewCitizenData, ViewOfficeQueue, HandlePratica, DecidePratica, ReconcilePayments},
	RoleAdmin: {ManageOperators, ManageEnte, EndAnySession, ManageDelegations, ViewAudit},
}

// Can decides whether p may do a on r. The rules: nothing crosses enti but
// the consortium role; a citizen sees and acts on their own data, and on a
// delegator's within the delegation's services; desk operators see any
// citizen of their ente, file for them and record delegations; clerks and
// heads work only on their offices, and only heads decide; administrators
// manage operators, sessions, delegations and the ente; the consortium
// administrator may do everything everywhere. An operator without a
// confirmed second factor, disabled, or on a session below level 2 may do
// nothing.
func (p Principal) Can(a Action, r Resource) bool {
	switch {
	case p.Operator != nil:
		return p.operatorCan(a, r)
	case p.Citizen != nil:
		return p.citizenCan(a, r)
	}
	return false
}

func (p Principal) citizenCan(a Action, r Resource) bool {
	c := p.Citizen
	if r.Ente != p.Ente || c.Ente != p.Ente || r.Citizen == 0 {
		return false
	}
	if r.Citizen == c.ID {
		return a == ViewCitizenData || a == ActForCitizen || a == ManageDelegations
	}
	d := p.ActingFor
	if d == nil || d.Ente != p.Ente || d.Delegator != r.Citizen || d.DelegateFiscalCode != c.FiscalCode ||
		!d.RevokedAt.IsZero() || !d.Covers(r.Service) {
		return false
	}
	return a == ViewCitizenData || a == ActForCitizen
}

func (p Principal) operatorCan(a Action, r Resource) bool {
	o := p.Operator
	if o.Ente != p.Ente || o.Disabled || !o.TOTPEnabled {
		return false
	}
	if s := p.Session; s == nil || s.Ente != p.Ente || s.Subject != OperatorSubject(o.ID) || s.Level < OperatorLevel {
		return false
	}
	if o.Has(RoleConsortium) {
		return true
	}
	if r.Ente != p.Ente {
		return false
	}
	for _, g := range o.Grants {
		if !slices.Contains(rolePerms[g.Role], a) {
			continue
		}
		if g.Role.OfficeScoped() && (r.Office == 0 || r.Office != g.Office) {
			continue
		}
		return true
	}
	return false
}

// CanGrant decides whether p may give grants to an operator of ente:
// administrators of that ente may give every role but the consortium's,
// which only a consortium administrator gives, so that no ente can raise
// its own staff above itself.
func (p Principal) CanGrant(ente tenant.ID, grants []Grant) bool {
	if !p.Can(ManageOperators, Resource{Ente: ente}) {
		return false
	}
	if p.Operator.Has(RoleConsortium) {
		return true
	}
	return !slices.ContainsFunc(grants, func(g Grant) bool { return g.Role == RoleConsortium })
}

// CanManageOperator decides whether p may change target (grants, password,
// second factor, disabling): an administrator of target's ente, unless
// target is a consortium administrator, whom only the consortium manages.
func (p Principal) CanManageOperator(target *Operator) bool {
	if !p.Can(ManageOperators, Resource{Ente: target.Ente}) {
		return false
	}
	return p.Operator.Has(RoleConsortium) || !target.Has(RoleConsortium)
}
