package certificate

import (
	"slices"

	"github.com/sportello/sportello/internal/registry"
)

// Reason names why a request is refused, so that the web layer shows a
// sentence written for the person asking (locale key "cert.refused.<reason>").
type Reason string

// The reasons a request is refused.
const (
	// The online channel: only oneself and one's household.
	ReasonNotHousehold Reason = "not_household"
	// A type ANPR does not issue online, or a desk type for a stranger.
	ReasonNotOnline Reason = "not_online"
	ReasonNotAnyone Reason = "not_anyone"
	// The person.
	ReasonNotResident    Reason = "not_resident"
	ReasonDeceased       Reason = "deceased"
	ReasonAIRE           Reason = "aire"
	ReasonNotCertifiable Reason = "not_certifiable"
	ReasonPartial        Reason = "partial"
	ReasonInterdicted    Reason = "interdicted"
	ReasonPending        Reason = "pending"
	// The household, for stato di famiglia.
	ReasonNoHead      Reason = "no_head"
	ReasonNoAbode     Reason = "no_abode"
	ReasonConvivenza  Reason = "convivenza"
	ReasonNoHousehold Reason = "no_household"
	// The facts.
	ReasonNotFree       Reason = "not_free"
	ReasonNoMarriage    Reason = "no_marriage"
	ReasonNotItalian    Reason = "not_italian"
	ReasonForceOnline   Reason = "force_online"
	ReasonStampOnline   Reason = "stamp_online"
	ReasonNoRequesterID Reason = "no_requester"
)

// Refusal is the error of a request the rules refuse.
type Refusal struct {
	Reason Reason
}

func (r *Refusal) Error() string { return "certificate: refused: " + string(r.Reason) }

// Request is who asks for which certificate of whom.
type Request struct {
	Channel Channel
	// Holder is the person the certificate is about.
	Holder *registry.Person
	// Household is the holder's household (nil when the holder has none).
	Household *registry.Household
	// Asker is the registry record of who asks: the logged-in citizen
	// online; at the desk the person at the counter when they are in the
	// registry (nil otherwise).
	Asker *registry.Person
	Kinds Kinds
	// Force overrides a pending proceeding or an interdiction, at the desk
	// only (ANPR's forzaCertificazione).
	Force bool
}

// onlineTypes are the types of table 13 that ANPR issues online.
var onlineTypes = []Type{Birth, Marriage, Citizenship, Alive, Residence, CivilStatus, Family, FamilyCivilStatus,
	FamilyRelations, FreeStatus}

// Check applies the reference's rules (shared/reference/domain.md §1) and
// returns nil, or a *Refusal naming the first rule broken.
func Check(r Request) error {
	refuse := func(why Reason) error { return &Refusal{Reason: why} }
	p := r.Holder
	// Who may ask.
	self := r.Asker != nil && r.Asker.ID == p.ID
	sameHousehold := r.Asker != nil && r.Household != nil && r.Asker.Status == registry.Resident &&
		r.Asker.Household == r.Household.ID && r.Household.Has(r.Asker.ID)
	switch r.Channel {
	case Online:
		if r.Force {
			return refuse(ReasonForceOnline)
		}
		if !self && !sameHousehold {
			return refuse(ReasonNotHousehold)
		}
		for _, t := range r.Kinds {
			if !slices.Contains(onlineTypes, t) {
				return refuse(ReasonNotOnline)
			}
		}
	case Desk:
		if !self && !sameHousehold {
			for _, t := range r.Kinds {
				if !types[t].anyone {
					return refuse(ReasonNotAnyone)
				}
			}
		}
	}
	// The person.
	switch p.Status {
	case registry.Deceased:
		return refuse(ReasonDeceased)
	case registry.AIRE:
		return refuse(ReasonAIRE)
	case registry.Resident:
	default:
		return refuse(ReasonNotResident)
	}
	switch p.Certifiable {
	case registry.NotCertifiable, registry.NotRegistrable:
		return refuse(ReasonNotCertifiable)
	case registry.PartlyCertifiable:
		for _, t := range r.Kinds {
			if t != Residence && t != Family {
				return refuse(ReasonPartial)
			}
		}
	case registry.Interdicted:
		if !r.Force {
			return refuse(ReasonInterdicted)
		}
	}
	if p.PendingChange && !r.Force {
		return refuse(ReasonPending)
	}
	// The facts each type prints.
	for _, t := range r.Kinds {
		if err := checkFacts(t, r, refuse); err != nil {
			return err
		}
	}
	return nil
}

func checkFacts(t Type, r Request, refuse func(Reason) error) error {
	p, h := r.Holder, r.Household
	if types[t].family || t == Residence {
		if h == nil {
			return refuse(ReasonNoHousehold)
		}
	}
	if types[t].family {
		switch {
		case h.Kind == registry.Convivenza:
			return refuse(ReasonConvivenza)
		case h.NoFixedAbode:
			return refuse(ReasonNoAbode)
		case h.Head() == nil:
			return refuse(ReasonNoHead)
		}
	}
	switch t {
	case FreeStatus:
		if !p.CivilStatus.Free() {
			return refuse(ReasonNotFree)
		}
	case Marriage:
		if p.MarriageDate.IsZero() || p.CivilStatus != registry.Married {
			return refuse(ReasonNoMarriage)
		}
	case Citizenship:
		if !p.Italian() {
			return refuse(ReasonNotItalian)
		}
	}
	return nil
}
