package registry

import (
	"context"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// Port is the anagrafe as the certificates (and later the residence
// changes) read it. Local answers from this package's tables, the embedded
// default; a comune whose registry lives only in ANPR plugs in an adapter
// that calls ANPR's e-services through PDND instead (docs/registry.md lists
// the calls): C030 to find the idANPR from the codice fiscale, then the
// consultation services for the person's data and household. The contract:
//
//   - a person unknown to the comune, or belonging to another ente, is an
//     apperr.NotFound error, never a nil person;
//   - a household lists only its current members, the head first;
//   - an unreachable ANPR is apperr.Unavailable, so that the citizen is told
//     to retry rather than that they do not exist.
type Port interface {
	PersonByFiscalCode(ctx context.Context, ente tenant.ID, fiscalCode string) (*Person, error)
	Household(ctx context.Context, ente tenant.ID, id HouseholdID) (*Household, error)
}

// Local is the Port backed by the ente's own registry tables.
type Local struct {
	DB db.Querier
}

var _ Port = Local{}

// PersonByFiscalCode reads the person from the local registry.
func (l Local) PersonByFiscalCode(ctx context.Context, ente tenant.ID, fiscalCode string) (*Person, error) {
	return PersonByFiscalCode(ctx, l.DB, ente, fiscalCode)
}

// Household reads the household and its members from the local registry.
func (l Local) Household(ctx context.Context, ente tenant.ID, id HouseholdID) (*Household, error) {
	return GetHousehold(ctx, l.DB, ente, id)
}
