package certificate_test

import (
	"errors"
	"testing"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/registry"
)

func TestCheck(t *testing.T) {
	family := func() (*registry.Household, *registry.Person, *registry.Person) {
		head := &registry.Person{ID: 1, Household: 10, Relationship: registry.Head, Status: registry.Resident,
			Certifiable: registry.FullyCertifiable, CivilStatus: registry.Married, MarriageDate: calendar.D(2006, 6, 10), Citizenship: "ITA"}
		child := &registry.Person{ID: 2, Household: 10, Relationship: registry.Child, Status: registry.Resident,
			Certifiable: registry.FullyCertifiable, CivilStatus: registry.Single, Citizenship: "ITA"}
		h := &registry.Household{ID: 10, Kind: registry.Family, Members: []*registry.Person{head, child}}
		return h, head, child
	}
	stranger := &registry.Person{ID: 3, Household: 11, Status: registry.Resident, Certifiable: registry.FullyCertifiable}
	K := func(ts ...certificate.Type) certificate.Kinds { return ts }
	tests := []struct {
		name   string
		change func(r *certificate.Request)
		want   certificate.Reason // "" for allowed
	}{
		{"online, oneself", func(r *certificate.Request) { r.Asker = r.Holder }, ""},
		{"online, a household member", func(r *certificate.Request) {}, ""},
		{"online, another household", func(r *certificate.Request) { r.Asker = stranger }, certificate.ReasonNotHousehold},
		{"online, nobody known", func(r *certificate.Request) { r.Asker = nil }, certificate.ReasonNotHousehold},
		{"online, a former member", func(r *certificate.Request) { r.Asker.Status = registry.Cancelled }, certificate.ReasonNotHousehold},
		{"online, forced", func(r *certificate.Request) { r.Force = true }, certificate.ReasonForceOnline},
		{"desk, residence of anyone", func(r *certificate.Request) { r.Channel, r.Asker = certificate.Desk, nil }, ""},
		{"desk, family of anyone", func(r *certificate.Request) {
			r.Channel, r.Asker, r.Kinds = certificate.Desk, nil, K(certificate.Family)
		}, ""},
		{"desk, civil status of a stranger", func(r *certificate.Request) {
			r.Channel, r.Asker, r.Kinds = certificate.Desk, stranger, K(certificate.CivilStatus)
		}, certificate.ReasonNotAnyone},
		{"desk, civil status of a member", func(r *certificate.Request) {
			r.Channel, r.Kinds = certificate.Desk, K(certificate.CivilStatus)
		}, ""},
		{"deceased", func(r *certificate.Request) { r.Holder.Status = registry.Deceased }, certificate.ReasonDeceased},
		{"AIRE", func(r *certificate.Request) { r.Holder.Status = registry.AIRE }, certificate.ReasonAIRE},
		{"cancelled", func(r *certificate.Request) { r.Holder.Status = registry.Cancelled }, certificate.ReasonNotResident},
		{"not certifiable", func(r *certificate.Request) { r.Holder.Certifiable = registry.NotCertifiable }, certificate.ReasonNotCertifiable},
		{"partly certifiable, residence", func(r *certificate.Request) { r.Holder.Certifiable = registry.PartlyCertifiable }, ""},
		{"partly certifiable, birth", func(r *certificate.Request) {
			r.Holder.Certifiable, r.Kinds = registry.PartlyCertifiable, K(certificate.Birth)
		}, certificate.ReasonPartial},
		{"interdicted", func(r *certificate.Request) { r.Holder.Certifiable = registry.Interdicted }, certificate.ReasonInterdicted},
		{"interdicted, forced at the desk", func(r *certificate.Request) {
			r.Holder.Certifiable, r.Channel, r.Force = registry.Interdicted, certificate.Desk, true
		}, ""},
		{"pending change", func(r *certificate.Request) { r.Holder.PendingChange = true }, certificate.ReasonPending},
		{"pending change, forced at the desk", func(r *certificate.Request) {
			r.Holder.PendingChange, r.Channel, r.Force = true, certificate.Desk, true
		}, ""},
		{"family without head", func(r *certificate.Request) {
			r.Kinds = K(certificate.Family)
			r.Household.Members[0].Relationship = registry.Spouse
		}, certificate.ReasonNoHead},
		{"family without abode", func(r *certificate.Request) {
			r.Kinds, r.Household.NoFixedAbode = K(certificate.Family), true
		}, certificate.ReasonNoAbode},
		{"family in a convivenza", func(r *certificate.Request) {
			r.Kinds, r.Household.Kind = K(certificate.FamilyRelations), registry.Convivenza
		}, certificate.ReasonConvivenza},
		{"residence without household", func(r *certificate.Request) { r.Household = nil; r.Asker = r.Holder }, certificate.ReasonNoHousehold},
		{"stato libero of a married person", func(r *certificate.Request) { r.Kinds = K(certificate.FreeStatus) }, certificate.ReasonNotFree},
		{"stato libero of a single person", func(r *certificate.Request) {
			r.Holder, r.Asker, r.Kinds = r.Household.Members[1], r.Household.Members[0], K(certificate.FreeStatus)
		}, ""},
		{"marriage of a single person", func(r *certificate.Request) {
			r.Holder, r.Kinds = r.Household.Members[1], K(certificate.Marriage)
		}, certificate.ReasonNoMarriage},
		{"citizenship of a foreigner", func(r *certificate.Request) {
			r.Holder.Citizenship, r.Kinds = "MAR", K(certificate.Citizenship)
		}, certificate.ReasonNotItalian},
		{"existence and birth", func(r *certificate.Request) { r.Kinds = K(certificate.Alive, certificate.Birth) }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, head, child := family()
			r := certificate.Request{Channel: certificate.Online, Holder: head, Household: h, Asker: child,
				Kinds: K(certificate.Residence)}
			tc.change(&r)
			err := certificate.Check(r)
			var refusal *certificate.Refusal
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Check = %v, want allowed", err)
			case tc.want != "" && (!errors.As(err, &refusal) || refusal.Reason != tc.want):
				t.Errorf("Check = %v, want refusal %s", err, tc.want)
			}
		})
	}
}

func TestKinds(t *testing.T) {
	tests := []struct {
		in, want, title string
		until           calendar.Date
	}{
		{"8", "8", "CERTIFICATO DI RESIDENZA", calendar.D(2027, 5, 26)},
		{"12+8+8", "8+12", "CERTIFICATO CONTESTUALE DI RESIDENZA E DI STATO DI FAMIGLIA", calendar.D(2027, 5, 26)},
		{"1", "1", "CERTIFICATO ANAGRAFICO DI NASCITA", calendar.Date{}},
		{"5+7+8", "5+7+8", "CERTIFICATO CONTESTUALE DI CITTADINANZA, DI ESISTENZA IN VITA E DI RESIDENZA", calendar.D(2027, 5, 26)},
	}
	for _, tc := range tests {
		ks, err := certificate.ParseKinds(tc.in)
		if err != nil {
			t.Fatalf("ParseKinds(%s): %v", tc.in, err)
		}
		if ks.String() != tc.want || ks.Title() != tc.title || ks.ValidUntil(calendar.D(2026, 11, 26)) != tc.until {
			t.Errorf("%s: %s %q until %s", tc.in, ks, ks.Title(), ks.ValidUntil(calendar.D(2026, 11, 26)))
		}
	}
	for _, bad := range []string{"", "2", "12+16", "8+x", "13+12"} {
		if _, err := certificate.ParseKinds(bad); err == nil {
			t.Errorf("ParseKinds(%q): want an error", bad)
		}
	}
	// 31 August plus six months ends on the last day of February.
	if got := (certificate.Kinds{certificate.Residence}).ValidUntil(calendar.D(2026, 8, 31)); got != calendar.D(2027, 2, 28) {
		t.Errorf("valid until %s", got)
	}
}
