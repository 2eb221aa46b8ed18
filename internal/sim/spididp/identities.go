package spididp

import (
	"fmt"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/codfisc"
)

// Identity is one person the simulator can log in as: the values its
// assertion releases under the SPID attribute names. Everything is
// fictional; the codici fiscali are valid so that the SP's checks pass.
type Identity struct {
	// SpidCode is the identity's code at the IdP (spidCode).
	SpidCode string
	// FiscalCode is the bare codice fiscale; fiscalNumber adds "TINIT-".
	FiscalCode string
	Name       string
	FamilyName string
	// Gender is "M" or "F", as SPID sends it.
	Gender      string
	DateOfBirth time.Time
	// PlaceOfBirth is the Belfiore code; CountyOfBirth the province ("EE"
	// abroad).
	PlaceOfBirth  string
	CountyOfBirth string
	Email         string
	// MobilePhone is in international form without spaces.
	MobilePhone string
	// Address is the residence as one line (address).
	Address string
	// Domicile is the domicile split as SPID's domicile* attributes want.
	DomicileStreet, DomicilePostalCode, DomicileMunicipality, DomicileProvince, DomicileNation string
	// DigitalAddress is a PEC mailbox, for professionals.
	DigitalAddress string
	// IVACode is a partita IVA without "VATIT-", for professionals.
	IVACode string
	// IDCard is the document the identity was issued on (idCard).
	IDCard string
	// ExpirationDate is when the identity expires (expirationDate).
	ExpirationDate time.Time
	// Description says who this is on the login page, so that a tester
	// picks the right person for a scenario.
	Description string
}

// Belfiore codes of the birth places the demo people use.
const (
	belfioreAla      = "A116"
	belfioreRovereto = "H612"
	belfioreTrento   = "L378"
	belfioreMarocco  = "Z330"
)

// DemoIdentities returns the built-in people, all living in Ala (TN): a
// pensioner, a family of three, a young man born abroad and an architect
// with a partita IVA. Tests and the demo print them, so they are stable:
// the same names, codes and contacts on every call.
func DemoIdentities() []Identity {
	ids := []Identity{
		person("SIMU0000000001", "Giuseppina", "Zandonai", 'F', day(1951, 2, 12), belfioreAla, "TN",
			"Via Santa Caterina 14", "pensionata, 75 anni", "giuseppina.zandonai@example.org", "+393471204501"),
		person("SIMU0000000002", "Marco", "Tomasi", 'M', day(1979, 5, 3), belfioreRovereto, "TN",
			"Via Nuova 22", "famiglia Tomasi, padre", "marco.tomasi@example.org", "+393401187302"),
		person("SIMU0000000003", "Chiara", "Pederzolli", 'F', day(1982, 9, 21), belfioreRovereto, "TN",
			"Via Nuova 22", "famiglia Tomasi, madre", "chiara.pederzolli@example.org", "+393397741203"),
		person("SIMU0000000004", "Sofia", "Tomasi", 'F', day(2007, 3, 30), belfioreRovereto, "TN",
			"Via Nuova 22", "famiglia Tomasi, figlia di 19 anni", "sofia.tomasi@example.org", "+393515550104"),
		person("SIMU0000000005", "Youssef", "El Idrissi", 'M', day(1998, 6, 18), belfioreMarocco, "EE",
			"Frazione Pilcante 7", "giovane adulto nato all'estero", "youssef.elidrissi@example.org", "+393292318805"),
		person("SIMU0000000006", "Alessandro", "Bertolini", 'M', day(1974, 11, 8), belfioreTrento, "TN",
			"Piazza San Giovanni 3", "architetto libero professionista", "alessandro.bertolini@example.org", "+393356620906"),
	}
	arch := &ids[len(ids)-1]
	arch.IVACode = partitaIVA("0241753022")
	arch.DigitalAddress = "alessandro.bertolini@pec.example.org"
	return ids
}

// person fills an Identity from the facts a codice fiscale is made of, so
// that the code cannot disagree with the name, sex, birth date and place.
func person(spidCode, name, family string, sex byte, born time.Time, place, county, street, desc, email, phone string) Identity {
	return Identity{
		SpidCode:             spidCode,
		FiscalCode:           fiscalCode(family, name, sex, born, place),
		Name:                 name,
		FamilyName:           family,
		Gender:               string(sex),
		DateOfBirth:          born,
		PlaceOfBirth:         place,
		CountyOfBirth:        county,
		Email:                email,
		MobilePhone:          phone,
		Address:              street + " 38061 Ala TN",
		DomicileStreet:       street,
		DomicilePostalCode:   "38061",
		DomicileMunicipality: "Ala",
		DomicileProvince:     "TN",
		DomicileNation:       "IT",
		IDCard:               "cartaIdentita CA" + spidCode[len(spidCode)-5:] + "AA comuneAla 2021-04-01 2032-04-01",
		ExpirationDate:       day(2031, 12, 31),
		Description:          desc,
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// fiscalCode computes a codice fiscale by the Agenzia's rules: three
// letters from the surname and from the name, the birth date (day + 40 for
// women), the Belfiore code and the check character. The check character is
// the one letter internal/codfisc accepts, so the algorithm lives in one
// place only; a code it rejects entirely is a bug in the demo data and
// panics at the first call (covered by the tests).
func fiscalCode(surname, name string, sex byte, born time.Time, belfiore string) string {
	const months = "ABCDEHLMPRST"
	d := born.Day()
	if sex == 'F' {
		d += 40
	}
	stem := fmt.Sprintf("%s%s%02d%c%02d%s", surnameLetters(surname), nameLetters(name),
		born.Year()%100, months[born.Month()-1], d, belfiore)
	for c := 'A'; c <= 'Z'; c++ {
		if _, err := codfisc.Parse(stem + string(c)); err == nil {
			return stem + string(c)
		}
	}
	panic("spididp: no check character for " + stem)
}

// surnameLetters takes the surname's consonants, then its vowels, then X.
func surnameLetters(s string) string {
	cons, vows := split(s)
	return (cons + vows + "XXX")[:3]
}

// nameLetters is like surnameLetters, except that a name with four or more
// consonants gives the first, third and fourth.
func nameLetters(s string) string {
	cons, vows := split(s)
	if len(cons) >= 4 {
		return cons[:1] + cons[2:4]
	}
	return (cons + vows + "XXX")[:3]
}

// split returns the consonants and the vowels of s in upper case, ignoring
// spaces, apostrophes and anything that is not an ASCII letter.
func split(s string) (cons, vows string) {
	var c, v strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case strings.ContainsRune("AEIOU", r):
			v.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			c.WriteRune(r)
		}
	}
	return c.String(), v.String()
}

// partitaIVA appends the check digit internal/codfisc accepts to ten
// digits, for the same reason fiscalCode asks codfisc for its check letter.
func partitaIVA(first10 string) string {
	for c := '0'; c <= '9'; c++ {
		if codfisc.ValidatePIVA(first10+string(c)) == nil {
			return first10 + string(c)
		}
	}
	panic("spididp: no check digit for " + first10)
}

// value returns the identity's value for a SPID attribute name and its XML
// Schema type, or ok=false when this person has none (an SP must not get
// an empty attribute).
func (id Identity) value(attr string) (v, xsType string, ok bool) {
	const str, date = "xs:string", "xs:date"
	switch attr {
	case "spidCode":
		v = id.SpidCode
	case "name":
		v = id.Name
	case "familyName":
		v = id.FamilyName
	case "placeOfBirth":
		v = id.PlaceOfBirth
	case "countyOfBirth":
		v = id.CountyOfBirth
	case "dateOfBirth":
		return id.DateOfBirth.Format(time.DateOnly), date, !id.DateOfBirth.IsZero()
	case "gender":
		v = id.Gender
	case "fiscalNumber":
		v = "TINIT-" + id.FiscalCode
	case "ivaCode":
		if id.IVACode != "" {
			v = "VATIT-" + id.IVACode
		}
	case "idCard":
		v = id.IDCard
	case "expirationDate":
		return id.ExpirationDate.Format(time.DateOnly), date, !id.ExpirationDate.IsZero()
	case "mobilePhone":
		v = id.MobilePhone
	case "email":
		v = id.Email
	case "address":
		v = id.Address
	case "digitalAddress":
		v = id.DigitalAddress
	case "domicileStreetAddress":
		v = id.DomicileStreet
	case "domicilePostalCode":
		v = id.DomicilePostalCode
	case "domicileMunicipality":
		v = id.DomicileMunicipality
	case "domicileProvince":
		v = id.DomicileProvince
	case "domicileNation":
		v = id.DomicileNation
	}
	return v, str, v != ""
}

// spidAttributes are the attributes a SPID IdP can release, in the order of
// AgID's table; the metadata lists them and the SP may ask for any.
var spidAttributes = []string{
	"spidCode", "name", "familyName", "placeOfBirth", "countyOfBirth", "dateOfBirth",
	"gender", "companyName", "registeredOffice", "fiscalNumber", "ivaCode", "idCard",
	"expirationDate", "mobilePhone", "email", "address", "digitalAddress",
	"domicileStreetAddress", "domicilePostalCode", "domicileMunicipality",
	"domicileProvince", "domicileNation", "companyFiscalNumber",
}

// cieAttributes are the only attributes CIE's SAML IdP releases.
var cieAttributes = []string{"name", "familyName", "fiscalNumber", "dateOfBirth"}
