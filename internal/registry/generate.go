package registry

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/codfisc"
)

// Names, surnames and streets of the demo comune's fictional residents:
// common in Vallagarina, so that the demo looks like Ala, and combined at
// random, so that nobody real is described.
var (
	demoSurnames = []string{"Zandonai", "Tomasi", "Pederzolli", "Bertolini", "Benedetti", "Cristoforetti", "Dalbosco",
		"Fait", "Galvagni", "Giordani", "Lorenzi", "Manfrini", "Marzadro", "Miorandi", "Modena", "Pizzini", "Prosser",
		"Raffaelli", "Rigotti", "Scrinzi", "Stedile", "Tonolli", "Vicentini", "Zeni", "Zomer", "Baldessarini",
		"Bertoldi", "Cappelletti", "Comper", "Dorigotti", "Ferrari", "Gasperotti", "Nicolodi", "Sartori", "Togni"}
	demoMale = []string{"Andrea", "Luca", "Marco", "Matteo", "Paolo", "Stefano", "Giovanni", "Francesco", "Lorenzo",
		"Davide", "Nicolò", "Alberto", "Mattia", "Riccardo", "Tommaso", "Emanuele", "Giorgio", "Walter", "Renzo", "Elia"}
	demoFemale = []string{"Anna", "Giulia", "Sara", "Chiara", "Francesca", "Elena", "Martina", "Laura", "Silvia",
		"Paola", "Giorgia", "Alessia", "Federica", "Lucia", "Marta", "Irene", "Elisa", "Rosanna", "Noemi", "Zoë"}
	demoStreets = []struct{ street, locality string }{
		{"Via Santa Caterina", ""}, {"Via Nuova", ""}, {"Piazza San Giovanni", ""}, {"Via Roma", ""},
		{"Via della Stazione", ""}, {"Corso Passo Buole", ""}, {"Via Scalfi", ""}, {"Via Soini", ""},
		{"Via Malfatti", ""}, {"Frazione Pilcante", "Pilcante"}, {"Frazione Serravalle", "Serravalle"},
		{"Frazione Chizzola", "Chizzola"}, {"Frazione Santa Margherita", "Santa Margherita"},
	}
	// Birth places: Ala, Rovereto, Trento, Avio, Verona, Milano; Morocco,
	// Romania and Albania for residents born abroad.
	demoPlaces   = []string{"A116", "A116", "A116", "H612", "H612", "L378", "A520", "L781", "F205"}
	demoForeign  = []struct{ place, citizenship string }{{"Z330", "MAR"}, {"Z129", "ROU"}, {"Z100", "ALB"}}
	demoPostcode = "38061"
)

// Generate returns the demo comune's registry: the fixed households given
// (the people of the demo's test identity providers, so that their logins
// find data) and then generated households until about n residents, all
// fictional, with valid codici fiscali. The same n and fixed households give
// the same registry on every call. Households are numbered from 1 in
// order; a generated code that collides with an earlier one gets the next
// omocodic variant, as the Agenzia does.
func Generate(n int, fixed []*Household, today calendar.Date) []*Household {
	rng := rand.New(rand.NewPCG(1976, 5))
	used := map[string]bool{}
	var out []*Household
	count := 0
	add := func(h *Household) {
		h.Code = fmt.Sprintf("%06d", len(out)+1)
		h.Kind = Family
		for _, m := range h.Members {
			m.FiscalCode = uniqueCode(m, used)
			if m.Status == "" {
				m.Status = Resident
			}
			if m.Certifiable == 0 {
				m.Certifiable = FullyCertifiable
			}
			if m.Citizenship == "" {
				m.Citizenship = "ITA"
			}
			if m.RegisteredOn.IsZero() {
				m.RegisteredOn = m.BirthDate
			}
		}
		out = append(out, h)
		count += len(h.Members)
	}
	for _, h := range fixed {
		add(h)
	}
	for count < n {
		add(randomHousehold(rng, today))
	}
	return out
}

// uniqueCode computes a person's code, taking the next omocodic variant
// while it is already taken.
func uniqueCode(p *Person, used map[string]bool) string {
	c, err := codfisc.Compute(p.Surname, p.Name, p.Sex[0], p.BirthDate.In(time.UTC), p.BirthPlace)
	if err != nil {
		panic("registry: demo person without a code: " + err.Error())
	}
	for i := 0; used[string(c)]; i++ {
		if c, err = c.Omocodic(i + 1); err != nil {
			panic("registry: eight demo homonyms: " + err.Error())
		}
	}
	used[string(c)] = true
	return string(c)
}

// randomHousehold makes a single person, a couple, or a couple with one to
// three children.
func randomHousehold(rng *rand.Rand, today calendar.Date) *Household {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	st := demoStreets[rng.IntN(len(demoStreets))]
	h := &Household{Address: Address{Street: st.street, HouseNumber: fmt.Sprint(1 + rng.IntN(60)),
		Postcode: demoPostcode, Locality: st.locality}}
	born := func(minAge, maxAge int) calendar.Date {
		age := minAge + rng.IntN(maxAge-minAge+1)
		return today.AddDays(-age*365 - rng.IntN(365))
	}
	surname := pick(demoSurnames)
	foreign := rng.IntN(12) == 0
	person := func(sex string, surname string, b calendar.Date, rel Relationship) *Person {
		name := pick(demoMale)
		if sex == "F" {
			name = pick(demoFemale)
		}
		p := &Person{Surname: surname, Name: name, Sex: sex, BirthDate: b, BirthPlace: pick(demoPlaces),
			Relationship: rel, CivilStatus: Single, Citizenship: "ITA"}
		if foreign {
			f := demoForeign[rng.IntN(len(demoForeign))]
			p.BirthPlace, p.Citizenship = f.place, f.citizenship
			p.RegisteredOn = b.AddDays(365 * (18 + rng.IntN(10)))
			if p.RegisteredOn.After(today) {
				p.RegisteredOn = today.AddDays(-30)
			}
		}
		if b.Year < 1990 && p.BirthPlace == "A116" {
			p.BirthAct = fmt.Sprintf("atto n. %d, parte I, serie A, anno %d", 1+rng.IntN(120), b.Year)
		}
		return p
	}
	headSex := []string{"M", "F"}[rng.IntN(2)]
	switch kind := rng.IntN(10); {
	case kind < 3: // one person
		p := person(headSex, surname, born(20, 90), Head)
		p.CivilStatus = []CivilStatus{Single, Widowed, Divorced}[rng.IntN(3)]
		h.Members = append(h.Members, p)
	default:
		a := person("M", surname, born(25, 80), Head)
		b := person("F", pick(demoSurnames), a.BirthDate.AddDays(rng.IntN(2000)-1000), Spouse)
		if b.BirthDate.After(today.AddDays(-18 * 366)) {
			b.BirthDate = today.AddDays(-18 * 366)
		}
		married := b.BirthDate
		if a.BirthDate.After(married) {
			married = a.BirthDate
		}
		married = married.AddDays(365*(22+rng.IntN(8)) + rng.IntN(300))
		if married.After(today) {
			married = today.AddDays(-100)
		}
		for _, p := range []*Person{a, b} {
			p.CivilStatus, p.MarriageDate, p.MarriagePlace = Married, married, "Ala (TN)"
		}
		a.Spouse, b.Spouse = b.FullName(), a.FullName()
		if kind >= 5 && headSex == "F" {
			a.Relationship, b.Relationship = Spouse, Head
		}
		h.Members = append(h.Members, a, b)
		for range max(0, kind-5) {
			c := married.AddDays(365 + rng.IntN(365*12))
			if c.After(today) {
				break
			}
			h.Members = append(h.Members, person([]string{"M", "F"}[rng.IntN(2)], surname, c, Child))
		}
	}
	return h
}
