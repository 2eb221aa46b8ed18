package form

import (
	"strings"

	"github.com/sportello/sportello/internal/apperr"
)

// FieldError is one problem with one answer: the HTML id of the input it
// concerns (for the error summary's link and aria-describedby), the locale
// key of the message and the message's arguments.
type FieldError struct {
	// Field is the id of the input to focus, e.g. "documenti-1-anno".
	Field string
	Key   string
	Args  []any
}

// Errors lists the problems of a submission in form order, at most one per
// input, so that the error summary at the top reads like the page below it.
type Errors []FieldError

// For returns the error of the input with the given id, if any.
func (e Errors) For(id string) (FieldError, bool) {
	for _, fe := range e {
		if fe.Field == id {
			return fe, true
		}
	}
	return FieldError{}, false
}

// Err returns nil when there are no errors, else an error of kind Invalid,
// so that a journey (submitting a pratica) can refuse incomplete answers
// with the usual error plumbing.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	ids := make([]string, len(e))
	for i, fe := range e {
		ids[i] = fe.Field + " (" + fe.Key + ")"
	}
	return apperr.Errorf(apperr.Invalid, "form: %d invalid answers: %s", len(e), strings.Join(ids, ", "))
}

// The message keys Parse reports; each exists in form.it.json and form.en.json.
const (
	KeyRequired            = "form.error.required"
	KeyRequiredChoice      = "form.error.required.choice"
	KeyRequiredCheckbox    = "form.error.required.checkbox"
	KeyRequiredDeclaration = "form.error.required.declaration"
	KeyRequiredFile        = "form.error.required.file"
	KeyTooLong             = "form.error.too_long"
	KeyPattern             = "form.error.pattern"
	KeyNumber              = "form.error.number"
	KeyNumberAmbiguous     = "form.error.number.ambiguous"
	KeyInteger             = "form.error.integer"
	KeyNumberMin           = "form.error.number.min"
	KeyNumberMax           = "form.error.number.max"
	KeyDate                = "form.error.date"
	KeyDateMin             = "form.error.date.min"
	KeyDateMax             = "form.error.date.max"
	KeyFiscalCode          = "form.error.fiscal_code"
	KeyFiscalCodeLength    = "form.error.fiscal_code.length"
	KeyFiscalCodeCheck     = "form.error.fiscal_code.check"
	KeyFiscalCodePlace     = "form.error.fiscal_code.place"
	KeyEmail               = "form.error.email"
	KeyPhone               = "form.error.phone"
	KeyIBAN                = "form.error.iban"
	KeyIBANLength          = "form.error.iban.length"
	KeyIBANCountry         = "form.error.iban.country"
	KeyIBANCheck           = "form.error.iban.check"
	KeyChoice              = "form.error.choice"
	KeyPostalCode          = "form.error.postal_code"
	KeyComune              = "form.error.comune"
	KeyComuneAmbiguous     = "form.error.comune.ambiguous"
	KeyGroupMin            = "form.error.group.min"
	KeyGroupMax            = "form.error.group.max"
	KeyFileCount           = "form.error.file.count"
	KeyFileSize            = "form.error.file.size"
	KeyFileType            = "form.error.file.type"
)

// errorKeys lists every key above, for the locale completeness test.
var errorKeys = []string{
	KeyRequired, KeyRequiredChoice, KeyRequiredCheckbox, KeyRequiredDeclaration, KeyRequiredFile,
	KeyTooLong, KeyPattern, KeyNumber, KeyNumberAmbiguous, KeyInteger, KeyNumberMin, KeyNumberMax,
	KeyDate, KeyDateMin, KeyDateMax, KeyFiscalCode, KeyFiscalCodeLength, KeyFiscalCodeCheck,
	KeyFiscalCodePlace, KeyEmail, KeyPhone, KeyIBAN, KeyIBANLength, KeyIBANCountry, KeyIBANCheck,
	KeyChoice, KeyPostalCode, KeyComune, KeyComuneAmbiguous, KeyGroupMin, KeyGroupMax,
	KeyFileCount, KeyFileSize, KeyFileType,
}
