package pagopa

import (
	"errors"

	"github.com/sportello/sportello/internal/apperr"
)

// TaxonomyCode is a transfer's category in pagoPA's taxonomy (GPD
// transfer.category, SOAP transferCategory), for example "9/0102100SA/". The
// platform refuses a position whose code is not registered for the ente and
// the treasury reconciles by it, so it is kept as a type of its own.
//
// Layout: accounting type digit, "/", creditor type (2 digits), macro-area
// (2), service type (3), legal reason of the collection (IM, TS, SP, SA or
// AP), "/".
type TaxonomyCode string

// Taxonomy codes of the payment types the portal collects, limited to those
// the pagoPA reference confirms. Codes for diritti di segreteria, certificati
// and bollo, mensa scolastica and edilizia are missing until they are taken
// from the official taxonomy list: a wrong code makes GPD refuse the position.
const (
	// TaxonomyRoadFines is "Multe / Verbali di Contravvenzione" of a comune's
	// polizia locale (codice della strada), for the sanzioni the portal collects.
	TaxonomyRoadFines TaxonomyCode = "9/0102100SA/"
)

// ErrInvalidTaxonomyCode is wrapped by every error for a string that is not a
// taxonomy code, so callers can tell bad configuration from other failures.
var ErrInvalidTaxonomyCode = errors.New("pagopa: invalid taxonomy code")

// taxonomyLen is the length of "9/0102100SA/".
const taxonomyLen = 12

// ParseTaxonomyCode checks the layout of a taxonomy code before it is
// configured for a payment type, so that a typo is caught when the catalogue
// is edited rather than when GPD refuses a position. It cannot tell whether
// the code is registered for the ente; only the platform knows that.
//
// Besides the accounting type 9, the types 6, 7 and 8 that SEPA
// Request-to-Pay introduces are accepted with the same layout.
func ParseTaxonomyCode(s string) (TaxonomyCode, error) {
	if len(s) != taxonomyLen {
		return "", apperr.Errorf(apperr.Invalid, "pagopa: parse taxonomy code %q: %w: %d characters, want %d", s, ErrInvalidTaxonomyCode, len(s), taxonomyLen)
	}
	if s[0] < '6' || s[0] > '9' || s[1] != '/' || s[11] != '/' {
		return "", apperr.Errorf(apperr.Invalid, "pagopa: parse taxonomy code %q: %w: want [6-9]/…/", s, ErrInvalidTaxonomyCode)
	}
	if nonDigit(s[2:9]) >= 0 {
		return "", apperr.Errorf(apperr.Invalid, "pagopa: parse taxonomy code %q: %w: creditor type, macro-area and service must be 7 digits", s, ErrInvalidTaxonomyCode)
	}
	switch s[9:11] {
	case "IM", "TS", "SP", "SA", "AP":
		return TaxonomyCode(s), nil
	}
	return "", apperr.Errorf(apperr.Invalid, "pagopa: parse taxonomy code %q: %w: legal reason %q not one of IM, TS, SP, SA, AP", s, ErrInvalidTaxonomyCode, s[9:11])
}

// String returns the code as GPD and the SOAP messages carry it.
func (c TaxonomyCode) String() string { return string(c) }
