// Package spid is the ente's SAML service provider for SPID and for CIE's
// SAML profile: it builds signed AuthnRequest and LogoutRequest messages,
// produces the signed SP metadata with the SPID/CIE extensions, and
// validates everything an identity provider sends back against the national
// rules (the 28-point checklist of docs/identity.md). It is built on
// crewjam/saml's types and goxmldsig's signatures, adding the checks those
// libraries lack.
//
// The package holds no state: pending requests, used assertion ids and the
// SP keys live in the database (store.go), so that a response is accepted on
// any instance and refused on all of them when replayed.
package spid

import (
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/tenant"
)

// Level is a SPID authentication level, 1 to 3; CIE's SAML profile uses the
// same values.
type Level int

// The SPID levels: password; password plus a second factor; a qualified
// device.
const (
	L1 Level = 1
	L2 Level = 2
	L3 Level = 3
)

// ClassRef is the level's AuthnContextClassRef URI, the only way a level is
// named in SAML messages.
func (l Level) ClassRef() string { return fmt.Sprintf("https://www.spid.gov.it/SpidL%d", int(l)) }

// Valid reports whether l is one of the three levels.
func (l Level) Valid() bool { return l >= L1 && l <= L3 }

// Comparison is the RequestedAuthnContext comparison the SP asks for; the
// level rule of the response depends on it.
type Comparison string

// The comparisons SAML allows and SPID accepts.
const (
	Exact   Comparison = "exact"
	Minimum Comparison = "minimum"
	Better  Comparison = "better"
	Maximum Comparison = "maximum"
)

// Profile tells SPID from CIE's SAML profile: they differ in metadata
// extensions and in the attributes that may be asked for.
type Profile string

// The two SAML profiles the SP speaks.
const (
	SPID Profile = "spid"
	CIE  Profile = "cie"
)

// Binding is a SAML binding for a message sent through the browser.
type Binding string

// The bindings SPID uses.
const (
	HTTPRedirect Binding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	HTTPPost     Binding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
)

// Name formats and other fixed URIs of the SPID profile.
const (
	NameIDTransient = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	NameIDEntity    = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
	StatusSuccess   = "urn:oasis:names:tc:SAML:2.0:status:Success"
	BearerMethod    = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
)

// AttributeSet is one AttributeConsumingService of the metadata: the index
// an AuthnRequest names and the attributes the IdP then releases.
type AttributeSet struct {
	Index int
	// Name is the ServiceName shown by the IdP on its consent page.
	Name       string
	Attributes []string
}

// Organization is the SP's Organization and contact data in the metadata,
// taken from the ente.
type Organization struct {
	// Name, DisplayName and URL are given in Italian; the metadata repeats
	// them in English only when all three are set in English too.
	Name, DisplayName, URL       string
	NameEN, DisplayNameEN, URLEN string
	// IPACode is the ente's code in the IPA index (public SPs).
	IPACode string
	// Municipality is the ente's comune as CIE's metadata requires it: the
	// CIE technical manual asks for the code "tutto in maiuscolo" and shows
	// the cadastral (Belfiore) code, e.g. H501 for Roma.
	Municipality string
	// Locality is the city name written in the SP certificate's
	// localityName, which Avviso SPID 29 requires (e.g. "Roma").
	Locality string
	// Email is a non-personal address of the office running the service;
	// Phone is +39… without spaces, optional.
	Email, Phone string
}

// OrganizationOf describes an ente as its metadata and certificate name
// it, for the site at origin (scheme://host): the serving SP and the key
// rotation command must agree, or a rotated certificate would name another
// organisation.
func OrganizationOf(e *tenant.Ente, origin string) Organization {
	return Organization{
		Name: e.Name, DisplayName: e.Name, URL: origin + "/",
		IPACode: e.IPACode, Municipality: e.Belfiore, Locality: strings.TrimPrefix(e.Name, "Comune di "),
		Email: e.Email, Phone: strings.ReplaceAll(e.Phone, " ", ""),
	}
}

// SP is one ente's service provider: everything needed to build and check
// messages, loaded per request from the ente and its current key.
type SP struct {
	// EntityID is an HTTPS URL (without a port in production): the
	// metadata's address.
	EntityID string
	// ACSURL receives responses by HTTP-POST (index 0, the default);
	// SLOURL receives logout messages.
	ACSURL string
	SLOURL string
	// Key and Certificate sign requests and the metadata. The certificate
	// carries the fields the SPID rules require (see NewKeyPair).
	Key         *rsa.PrivateKey
	Certificate *x509.Certificate
	// Organization fills the metadata's Organization and ContactPerson.
	Organization Organization
	// AttributeSets are the AttributeConsumingServices, index 0 first.
	AttributeSets []AttributeSet
	// ClockSkew bounds how far the IdP's clock may be from ours; zero means
	// DefaultClockSkew.
	ClockSkew time.Duration
}

// DefaultClockSkew is the tolerance for IdP clocks that run a little ahead
// or behind (spid-php-lib #71): small enough that an expired assertion stays
// expired.
const DefaultClockSkew = 90 * time.Second

// skew returns the configured clock skew or the default.
func (sp *SP) skew() time.Duration {
	if sp.ClockSkew > 0 {
		return sp.ClockSkew
	}
	return DefaultClockSkew
}

// IdP is an identity provider the ente trusts, as listed in the deployment's
// registry file (AgID's list in production, the built-in test IdP in demo).
type IdP struct {
	EntityID string
	// Name and Logo are shown on the login page's SPID button menu.
	Name    string
	LogoURL string
	Profile Profile
	// SSO and SLO endpoints by binding.
	SSORedirect, SSOPost string
	SLORedirect, SLOPost string
	// Certificates are the IdP's signing certificates from its metadata:
	// the only keys a signature is checked against (KeyInfo in a message
	// is never trusted).
	Certificates []*x509.Certificate
}

// Pending is an AuthnRequest the SP sent and not yet answered: stored when
// sent, bound to the browser by a cookie, taken (once) when the response
// arrives, because only responses to our own live requests are accepted.
type Pending struct {
	ID         string
	IssuedAt   time.Time
	IdP        string // the IdP's entity ID
	Level      Level
	Comparison Comparison
	Profile    Profile
	// ReturnTo is the same-origin path the citizen goes back to after
	// login; never sent to the IdP (RelayState is an opaque token).
	ReturnTo string
	// Logout marks a pending LogoutRequest (stored in the same table), so
	// that a login Response can never be accepted as the answer to a
	// logout, nor the other way round.
	Logout bool
}

// Assertion is what a validated response proves: every field comes from
// the signed, verified Assertion element.
type Assertion struct {
	ID            string
	IdP           string
	NameID        string
	NameQualifier string
	SessionIndex  string
	Level         Level
	IssuedAt      time.Time
	// NotOnOrAfter is when the assertion stops being usable; its ID is kept
	// until then to refuse a replay.
	NotOnOrAfter time.Time
	// Attributes are the released attributes by SPID name (fiscalNumber,
	// name, familyName, email, mobilePhone, …), values as sent.
	Attributes map[string]string
	// FiscalCode is fiscalNumber without its "TINIT-" prefix: the key a
	// citizen is found by (never the transient NameID).
	FiscalCode string
}
