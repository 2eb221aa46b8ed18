// Package certificate issues registry certificates at once: it knows the
// types of ANPR table 13 a comune issues, who may ask for which (online for
// oneself and one's household; at the desk residence and family status of
// anyone), the cases in which issuance is blocked, the stamp duty and its
// exemptions (ANPR table 39), the secretarial fees, and the validity. An
// issued certificate is a PDF laid out like the paper one, with a QR
// contrassegno whose payload the ente signs, and a PAdES signature of the
// whole file with the ente's sealing key, registered in the protocol as an
// outgoing document and kept in the blob store.
//
// Verification needs no database: a file carries everything a verifier
// checks against the ente's published public keys (Verify); the
// database adds revocation and whether a file is the one issued (Lookup).
package certificate

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/registry"
	"github.com/sportello/sportello/internal/tenant"
)

// Type is a certificate type by its ANPR code (table 13).
type Type int

// The types the platform issues.
const (
	Birth             Type = 1
	Marriage          Type = 3
	Citizenship       Type = 5
	Alive             Type = 7
	Residence         Type = 8
	CivilStatus       Type = 11
	Family            Type = 12
	FamilyCivilStatus Type = 13
	FamilyRelations   Type = 16
	FreeStatus        Type = 17
)

// typeInfo is what the rules need to know about a type.
type typeInfo struct {
	// title is the type as the certificate's heading names it.
	title string
	// anyone: at the desk, anybody may ask for it (DPR 223/1989 art. 33).
	anyone bool
	// civil: a certificate of stato civile, exempt from stamp duty
	// (L. 405/1990 art. 7); a flag per type because the reference asks to
	// verify whether ANPR's "anagrafico" birth and marriage certificates
	// are covered.
	civil bool
	// forever: it attests facts that cannot change, valid without limit
	// (DPR 445/2000 art. 41).
	forever bool
	// family: it prints the household, blocked when the household cannot
	// be certified.
	family bool
}

var types = map[Type]typeInfo{
	Birth:             {title: "anagrafico di nascita", civil: true, forever: true},
	Marriage:          {title: "anagrafico di matrimonio", civil: true},
	Citizenship:       {title: "di cittadinanza"},
	Alive:             {title: "di esistenza in vita"},
	Residence:         {title: "di residenza", anyone: true},
	CivilStatus:       {title: "di stato civile", civil: true},
	Family:            {title: "di stato di famiglia", anyone: true, family: true},
	FamilyCivilStatus: {title: "di stato di famiglia e di stato civile", family: true},
	FamilyRelations:   {title: "di stato di famiglia con rapporti di parentela", anyone: true, family: true},
	FreeStatus:        {title: "di stato libero"},
}

// Types lists the types the platform issues, in ANPR order.
func Types() []Type {
	out := make([]Type, 0, len(types))
	for t := range types {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Valid reports whether t is a type the platform issues.
func (t Type) Valid() bool { _, ok := types[t]; return ok }

// Title is the type as it follows "Certificato", "di residenza".
func (t Type) Title() string { return types[t].title }

// Key names the type in locale keys and forms, "cert.type.8".
func (t Type) Key() string { return "cert.type." + strconv.Itoa(int(t)) }

// Kinds is a certificate's set of types: one, or several issued together
// as one contestuale certificate, sorted and without repeats.
type Kinds []Type

// ParseKinds reads "8+12" (the form in the database and in URLs).
func ParseKinds(s string) (Kinds, error) {
	var out Kinds
	for p := range strings.SplitSeq(s, "+") {
		n, err := strconv.Atoi(p)
		if err != nil || !Type(n).Valid() {
			return nil, apperr.Errorf(apperr.Invalid, "certificate: unknown type %q", p)
		}
		out = append(out, Type(n))
	}
	return normalize(out)
}

func normalize(ks Kinds) (Kinds, error) {
	if len(ks) == 0 {
		return nil, apperr.New(apperr.Invalid, "Scegli almeno un tipo di certificato.")
	}
	out := slices.Clone(ks)
	slices.Sort(out)
	out = slices.Compact(out)
	for _, t := range out {
		if !t.Valid() {
			return nil, apperr.Errorf(apperr.Invalid, "certificate: unknown type %d", t)
		}
	}
	// ANPR refuses stato di famiglia together with the types that already
	// contain it.
	if slices.Contains(out, Family) && (slices.Contains(out, FamilyCivilStatus) || slices.Contains(out, FamilyRelations)) {
		return nil, apperr.New(apperr.Invalid, "Lo stato di famiglia è già compreso negli altri certificati scelti: toglilo.")
	}
	return out, nil
}

// String is the "8+12" form.
func (ks Kinds) String() string {
	parts := make([]string, len(ks))
	for i, t := range ks {
		parts[i] = strconv.Itoa(int(t))
	}
	return strings.Join(parts, "+")
}

// Title is the heading: "CERTIFICATO DI RESIDENZA" or, for several,
// "CERTIFICATO CONTESTUALE DI RESIDENZA E DI STATO DI FAMIGLIA".
func (ks Kinds) Title() string {
	if len(ks) == 1 {
		return strings.ToUpper("Certificato " + ks[0].Title())
	}
	parts := make([]string, len(ks))
	for i, t := range ks {
		parts[i] = t.Title()
	}
	last := len(parts) - 1
	return strings.ToUpper("Certificato contestuale " + strings.Join(parts[:last], ", ") + " e " + parts[last])
}

// forever reports whether every type attests unchangeable facts.
func (ks Kinds) forever() bool {
	for _, t := range ks {
		if !types[t].forever {
			return false
		}
	}
	return true
}

// civil reports whether every type is a stato civile certificate.
func (ks Kinds) civil() bool {
	for _, t := range ks {
		if !types[t].civil {
			return false
		}
	}
	return true
}

// ValidUntil is the last day a certificate issued on issued is valid: six
// months later (DPR 445/2000 art. 41), counted as the civil code counts
// months (art. 2963: the same day six months on, or the month's last day
// when it has no such day), or the zero Date for unlimited.
func (ks Kinds) ValidUntil(issued calendar.Date) calendar.Date {
	if ks.forever() {
		return calendar.Date{}
	}
	t := time.Date(issued.Year, issued.Month+6, issued.Day, 0, 0, 0, 0, time.UTC)
	if t.Day() != issued.Day { // 31 August + 6 months: the last of February
		t = t.AddDate(0, 0, -t.Day())
	}
	return calendar.DateOf(t)
}

// Channel is where a certificate was asked for.
type Channel string

// The channels.
const (
	Online Channel = "online"
	Desk   Channel = "desk"
)

// State is where a certificate stands.
type State string

// The states.
const (
	// AwaitingStamp: the request passed every check and waits for the
	// stamp duty to be paid (StampPayer) before it is issued.
	AwaitingStamp State = "awaiting_stamp"
	Issued        State = "issued"
	Revoked       State = "revoked"
)

// ID identifies a certificate within an ente.
type ID int64

// Certificate is one certificate, issued or waiting for its stamp.
type Certificate struct {
	ID   ID
	Ente tenant.ID
	// Code is the verification code printed under the QR and typed at
	// /verifica: 16 characters of Crockford base32 in groups of four.
	Code    string
	Person  registry.PersonID
	Kinds   Kinds
	Channel Channel
	State   State
	// Citizen asked online; Operator issued at the desk (one of the two).
	Citizen  identity.CitizenID
	Operator identity.OperatorID
	// Requester and Reason record who asked at the desk and why.
	Requester string
	Reason    string
	Stamp     Stamp
	FeeCents  int64
	Created   time.Time
	Issued    time.Time
	// ValidUntil is the last valid day; zero for unlimited validity.
	ValidUntil     calendar.Date
	KeyID          int64
	ProtocolYear   int
	ProtocolNumber int64
	DocumentSHA256 string
	RevokedAt      time.Time
	RevokeReason   string
	// RevokedBy revoked it; RevokeProtocol* is the revocation's entry.
	RevokedBy            identity.OperatorID
	RevokeProtocolYear   int
	RevokeProtocolNumber int64
}

// Status is what /verifica says of a certificate.
type Status string

// The statuses.
const (
	StatusValid   Status = "valid"
	StatusExpired Status = "expired"
	StatusRevoked Status = "revoked"
	StatusUnknown Status = "unknown"
	// StatusPending is a certificate whose stamp is not paid yet: it was
	// never issued, and verifies as nothing.
	StatusPending Status = "pending"
)

// StatusOn is the certificate's status on a day (Europe/Rome).
func (c *Certificate) StatusOn(today calendar.Date) Status {
	switch {
	case c.State == Revoked:
		return StatusRevoked
	case c.State != Issued:
		return StatusPending
	case !c.ValidUntil.IsZero() && today.After(c.ValidUntil):
		return StatusExpired
	}
	return StatusValid
}
