package demo

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// Operator is a demo operator as the demo banner prints it: everything a
// newcomer needs to log in, second factor included.
type Operator struct {
	Username, Password, Name string
	// Role describes the grant in words.
	Role string
	// TOTPSecret is the base32 seed to add to an authenticator app.
	TOTPSecret string
	grant      func(offices []tenant.Office) identity.Grant
}

// officeGrant grants an office-scoped role on the office with slug.
func officeGrant(role identity.Role, slug string) func([]tenant.Office) identity.Grant {
	return func(offices []tenant.Office) identity.Grant {
		for _, o := range offices {
			if o.Slug == slug {
				return identity.Grant{Role: role, Office: o.ID}
			}
		}
		return identity.Grant{Role: role}
	}
}

// wholeEnte grants a role that is not office scoped.
func wholeEnte(role identity.Role) func([]tenant.Office) identity.Grant {
	return func([]tenant.Office) identity.Grant { return identity.Grant{Role: role} }
}

// Operators are the demo's staff: one per role, with fixed, public
// credentials (this is a demo: nothing here is secret).
func Operators() []Operator {
	return []Operator{
		{Username: "sportello", Password: "demo-sportello-2026", Name: "Giulia Sportello", Role: "operatore del punto risposte",
			TOTPSecret: "JBSWY3DPEHPK3PXPJBSWY3DP", grant: wholeEnte(identity.RoleDesk)},
		{Username: "anagrafe", Password: "demo-anagrafe-2026", Name: "Marco Anagrafe", Role: "addetto dell'anagrafe",
			TOTPSecret: "KRSXG5CTMVRXEZLUKRSXG5CT", grant: officeGrant(identity.RoleClerk, "anagrafe")},
		{Username: "edilizia", Password: "demo-edilizia-2026", Name: "Elena Edilizia", Role: "responsabile dell'edilizia privata",
			TOTPSecret: "MFRGGZDFMZTWQ2LKNNWG23TP", grant: officeGrant(identity.RoleHead, "edilizia")},
		{Username: "admin", Password: "demo-admin-2026!", Name: "Anna Amministratrice", Role: "amministratrice dell'ente",
			TOTPSecret: "NBSWY3DPO5XXE3DEJBSWY3DP", grant: wholeEnte(identity.RoleAdmin)},
		{Username: "ragioneria", Password: "demo-ragioneria-2026", Name: "Rita Ragioneria", Role: "addetta ai tributi, riconcilia i pagamenti",
			TOTPSecret: "ORSXG5DSNFTGK4TJMF2GK4TB", grant: officeGrant(identity.RoleClerk, "tributi")},
	}
}

// SeedOperators creates the demo operators with their second factor
// already confirmed, unless they exist; a restarted demo keeps them.
func SeedOperators(ctx context.Context, d interface {
	InTx(context.Context, func(*sql.Tx) error) error
}, keys *identity.Keys, ente tenant.ID, now time.Time) error {
	return d.InTx(ctx, func(tx *sql.Tx) error {
		offices, err := tenant.Offices(ctx, tx, ente)
		if err != nil {
			return err
		}
		existing, err := identity.ListOperators(ctx, tx, ente)
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, op := range existing {
			have[op.Username] = true
		}
		for _, o := range Operators() {
			if have[o.Username] {
				continue
			}
			op, err := identity.CreateOperator(ctx, tx, ente, identity.OperatorInput{
				Username: o.Username, Name: o.Name, Email: o.Username + "@comune.ala.example.org",
				Password: o.Password, Grants: []identity.Grant{o.grant(offices)},
			}, now)
			if err != nil {
				return fmt.Errorf("demo: operator %s: %w", o.Username, err)
			}
			if err := identity.SeedTOTP(ctx, tx, keys, ente, op.ID, o.TOTPSecret); err != nil {
				return fmt.Errorf("demo: operator %s: %w", o.Username, err)
			}
		}
		return nil
	})
}
