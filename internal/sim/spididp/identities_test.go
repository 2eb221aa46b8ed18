package spididp_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/codfisc"
	"github.com/sportello/sportello/internal/sim/spididp"
)

// TestDemoIdentities checks every demo person against internal/codfisc and
// against codes computed independently (by hand, with the Agenzia's
// tables), so that a change to the generator cannot go unnoticed.
func TestDemoIdentities(t *testing.T) {
	want := []string{
		"ZNDGPP51B52A116D", // Giuseppina Zandonai, born in Ala
		"TMSMRC79E03H612A", // Marco Tomasi
		"PDRCHR82P61H612E", // Chiara Pederzolli
		"TMSSFO07C70H612C", // Sofia Tomasi
		"LDRYSF98H18Z330C", // Youssef El Idrissi, born in Morocco
		"BRTLSN74S08L378H", // Alessandro Bertolini, architect
	}
	ids := spididp.DemoIdentities()
	var got []string
	for _, p := range ids {
		got = append(got, p.FiscalCode)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("fiscal codes mismatch (-want +got):\n%s", diff)
	}
	phone := regexp.MustCompile(`^\+393\d{9}$`)
	seen := map[string]bool{}
	for _, p := range ids {
		t.Run(p.Name+" "+p.FamilyName, func(t *testing.T) {
			c, err := codfisc.Parse(p.FiscalCode)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := codfisc.ValidatePlace(c, testNow); err != nil {
				t.Errorf("ValidatePlace: %v", err)
			}
			born, err := c.BirthDate(testNow)
			if err != nil || !born.Equal(p.DateOfBirth) {
				t.Errorf("birth date %v (%v), want %v", born, err, p.DateOfBirth)
			}
			if string(c.Sex()) != p.Gender || c.BirthPlace() != p.PlaceOfBirth {
				t.Errorf("sex %c place %s, want %s %s", c.Sex(), c.BirthPlace(), p.Gender, p.PlaceOfBirth)
			}
			if !strings.HasSuffix(p.Email, "@example.org") || !phone.MatchString(p.MobilePhone) {
				t.Errorf("contacts %q %q are not the reserved example ones", p.Email, p.MobilePhone)
			}
			if p.DomicileMunicipality != "Ala" || p.DomicileProvince != "TN" || !strings.Contains(p.Address, "38061 Ala TN") {
				t.Errorf("does not live in Ala (TN): %q", p.Address)
			}
			if p.IVACode != "" {
				if err := codfisc.ValidatePIVA(p.IVACode); err != nil {
					t.Errorf("partita IVA: %v", err)
				}
			}
			if seen[p.SpidCode] {
				t.Errorf("spidCode %s repeated", p.SpidCode)
			}
			seen[p.SpidCode] = true
		})
	}
	if age := testNow.Year() - ids[0].DateOfBirth.Year(); age != 75 {
		t.Errorf("the pensioner is %d, want 75", age)
	}
}
