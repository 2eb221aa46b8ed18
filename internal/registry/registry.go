// Package registry is the anagrafe: the persons registered in the comune,
// their households (famiglia anagrafica or convivenza) with the address
// they live at, and the facts certificates print — birth, civil status,
// marriage, citizenship. It imports and exports a documented CSV format
// (see docs/registry.md) and generates the demo comune's fictional
// residents.
//
// Codes follow ANPR's tables (CC BY 4.0, Ministero dell'Interno, ANPR):
// relationship to the head (table 05), civil status, certifiability.
// Other domains read the registry through Port, so that an adapter to ANPR
// (through PDND) can replace the local tables without touching them.
package registry

import (
	"fmt"
	"strings"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/tenant"
)

// PersonID identifies a person within an ente.
type PersonID int64

// HouseholdID identifies a household within an ente.
type HouseholdID int64

// Status is where a person stands in the registry: only residents get
// the ordinary certificates.
type Status string

// The statuses a person may have.
const (
	Resident  Status = "resident"
	AIRE      Status = "aire" // Italian living abroad, registered in AIRE
	Cancelled Status = "cancelled"
	Deceased  Status = "deceased"
)

// Relationship is the ANPR code (table 05) of a member's bond with the
// head of the household.
type Relationship int

// The relationships the platform names; any other table 05 code is kept
// and printed by RelationshipLabel.
const (
	Head       Relationship = 1
	Spouse     Relationship = 2
	Child      Relationship = 3
	Parent     Relationship = 6
	Sibling    Relationship = 9
	Cohabitant Relationship = 23
	CivilUnion Relationship = 28
	Undefined  Relationship = 99
)

// relationships is ANPR table 05 (the codes still valid).
var relationships = map[Relationship]string{
	1: "Intestatario scheda", 2: "Marito / Moglie", 3: "Figlio / Figlia", 4: "Nipote (discendente)",
	5: "Pronipote (discendente)", 6: "Padre / Madre", 7: "Nonno / Nonna", 8: "Bisnonno / Bisnonna",
	9: "Fratello / Sorella", 10: "Nipote (collaterale)", 11: "Zio / Zia (collaterale)", 12: "Cugino / Cugina",
	13: "Altro parente", 16: "Genero / Nuora", 17: "Suocero / Suocera", 18: "Cognato / Cognata",
	20: "Nipote (affine)", 21: "Zio / Zia (affine)", 22: "Altro affine",
	23: "Convivente (con vincoli di adozione o affettivi)", 24: "Responsabile della convivenza non affettiva",
	25: "Convivente in convivenza non affettiva", 26: "Tutore", 28: "Unito civilmente", 81: "Nipote",
	99: "Non definito/comunicato",
}

// Label is the relationship as the ANPR table words it.
func (r Relationship) Label() string {
	if s, ok := relationships[r]; ok {
		return s
	}
	return fmt.Sprintf("codice %d", int(r))
}

// Valid reports whether r is a code of ANPR table 05 still in use.
func (r Relationship) Valid() bool { _, ok := relationships[r]; return ok }

// CivilStatus is the ANPR civil-status code.
type CivilStatus int

// The civil statuses of ANPR's table.
const (
	Single         CivilStatus = 1
	Married        CivilStatus = 2
	Widowed        CivilStatus = 3
	Divorced       CivilStatus = 4
	CivilUnited    CivilStatus = 6
	FreeAfterDeath CivilStatus = 7
	FreeAfterEnd   CivilStatus = 8
	CivilUnknown   CivilStatus = 9
)

// Valid reports whether c is a code of ANPR's civil-status table.
func (c CivilStatus) Valid() bool {
	switch c {
	case Single, Married, Widowed, Divorced, CivilUnited, FreeAfterDeath, FreeAfterEnd, CivilUnknown:
		return true
	}
	return false
}

// Label is the civil status as a certificate prints it, agreed with sex
// ('M' or 'F').
func (c CivilStatus) Label(sex string) string {
	f := sex == "F"
	pick := func(m, w string) string {
		if f {
			return w
		}
		return m
	}
	switch c {
	case Single:
		return pick("celibe", "nubile")
	case Married:
		return pick("coniugato", "coniugata")
	case Widowed:
		return pick("vedovo", "vedova")
	case Divorced:
		return pick("divorziato", "divorziata")
	case CivilUnited:
		return pick("unito civilmente", "unita civilmente")
	case FreeAfterDeath:
		return "stato libero a seguito di decesso della parte unita civilmente"
	case FreeAfterEnd:
		return "stato libero a seguito di scioglimento dell'unione civile"
	}
	return "non classificabile"
}

// Free reports whether the civil status allows a stato libero certificate:
// the person is neither married nor in a civil union.
func (c CivilStatus) Free() bool {
	switch c {
	case Single, Widowed, Divorced, FreeAfterDeath, FreeAfterEnd:
		return true
	}
	return false
}

// Certifiability is ANPR's table of why a person may (not) be certified.
type Certifiability int

// The certifiability codes.
const (
	NotCertifiable    Certifiability = 0
	PartlyCertifiable Certifiability = 1 // only residence and family status
	FullyCertifiable  Certifiability = 2
	NotRegistrable    Certifiability = 3
	Interdicted       Certifiability = 4 // interdicted, under guardianship
)

// Person is one person registered in the ente's anagrafe.
type Person struct {
	ID   PersonID
	Ente tenant.ID
	// FiscalCode is the codice fiscale as the Agenzia gave it (omocodic
	// letters kept).
	FiscalCode string
	Surname    string
	Name       string
	// Sex is "M" or "F".
	Sex       string
	BirthDate calendar.Date
	// BirthPlace is the Belfiore code of the comune or the Z-code of the
	// foreign state of birth.
	BirthPlace string
	// BirthAct is the reference of the birth act when the comune keeps it
	// ("atto n. 12, parte I, serie A, anno 1979"), empty otherwise.
	BirthAct    string
	Citizenship string // ISO 3166-1 alpha-3, "ITA" for Italians
	CivilStatus CivilStatus
	// MarriageDate, MarriagePlace and Spouse describe the current marriage
	// or civil union where known.
	MarriageDate  calendar.Date
	MarriagePlace string
	Spouse        string
	Household     HouseholdID // zero when the person has none (cancelled, AIRE)
	Relationship  Relationship
	Status        Status
	Certifiable   Certifiability
	// PendingChange is set while a proceeding (a change of residence) is
	// open: certificates wait for it to end.
	PendingChange bool
	RegisteredOn  calendar.Date
	DeathDate     calendar.Date
}

// FullName is "Surname Name", the order of registry documents.
func (p *Person) FullName() string { return p.Surname + " " + p.Name }

// Italian reports whether the person holds Italian citizenship.
func (p *Person) Italian() bool { return p.Citizenship == "ITA" }

// Address is where a household lives, in the comune.
type Address struct {
	Street      string // "Via Nuova"
	HouseNumber string // "22", "22/A"
	Internal    string // staircase, floor, flat: "int. 3"
	Postcode    string
	Locality    string // frazione, "" in the main town
}

// String is the address on one line: "Via Nuova 22, int. 3 - Pilcante".
func (a Address) String() string {
	s := strings.TrimSpace(a.Street + " " + a.HouseNumber)
	if a.Internal != "" {
		s += ", " + a.Internal
	}
	if a.Locality != "" {
		s += " - " + a.Locality
	}
	return s
}

// HouseholdKind tells a family from a cohabitation (convivenza: a
// convent, a care home, barracks).
type HouseholdKind string

// The household kinds.
const (
	Family     HouseholdKind = "famiglia"
	Convivenza HouseholdKind = "convivenza"
)

// Household is a famiglia anagrafica or a convivenza and its members,
// the head first.
type Household struct {
	ID           HouseholdID
	Ente         tenant.ID
	Code         string // the comune's number for the household
	Kind         HouseholdKind
	Address      Address
	NoFixedAbode bool
	Members      []*Person
}

// Head returns the head of the household, or nil when it has none.
func (h *Household) Head() *Person {
	for _, m := range h.Members {
		if m.Relationship == Head {
			return m
		}
	}
	return nil
}

// Has reports whether the person is a member of h.
func (h *Household) Has(id PersonID) bool {
	for _, m := range h.Members {
		if m.ID == id {
			return true
		}
	}
	return false
}
