package pagopa

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/sportello/sportello/internal/apperr"
)

// Cents is an amount in euro cents. Money is stored and added as an integer
// so that no rounding ever happens; GPD, Checkout and the QR code take cents
// as they are, and only the SOAP boundary and the screen see euros.
type Cents int64

// MaxCents is the largest amount pagoPA's SOAP messages can carry
// (stAmount: maxInclusive 999999999.99), so nothing larger is ever accepted
// that could not later be sent.
const MaxCents Cents = 99_999_999_999

// ErrInvalidAmount is wrapped by every error for an amount that pagoPA could
// not carry, so callers can tell bad input from other failures.
var ErrInvalidAmount = errors.New("pagopa: invalid amount")

// ParseEuro parses a non-negative amount in euros written with a comma, as
// Italians type it ("12,50"), or a dot, as the SOAP messages carry it
// ("12.50"), with at most two decimals and no thousands separators — "1.234"
// would be ambiguous — up to MaxCents.
func ParseEuro(s string) (Cents, error) {
	whole, frac := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == ',' || s[i] == '.' {
			whole, frac = s[:i], s[i+1:]
			if frac == "" {
				return 0, apperr.Errorf(apperr.Invalid, "pagopa: parse euro %q: %w: no digits after the separator", s, ErrInvalidAmount)
			}
			break
		}
	}
	if whole == "" || nonDigit(whole) >= 0 {
		return 0, apperr.Errorf(apperr.Invalid, "pagopa: parse euro %q: %w: want digits before the separator", s, ErrInvalidAmount)
	}
	if len(frac) > 2 || nonDigit(frac) >= 0 {
		return 0, apperr.Errorf(apperr.Invalid, "pagopa: parse euro %q: %w: want at most two decimal digits", s, ErrInvalidAmount)
	}
	for len(whole) > 1 && whole[0] == '0' {
		whole = whole[1:]
	}
	if len(whole) > 9 { // above 999,999,999 euros
		return 0, apperr.Errorf(apperr.Invalid, "pagopa: parse euro %q: %w: above 999999999.99", s, ErrInvalidAmount)
	}
	var c Cents
	for _, d := range []byte(whole + (frac + "00")[:2]) {
		c = c*10 + Cents(d-'0')
	}
	return c, nil
}

// SOAP returns the amount in euros with a dot and exactly two decimals
// ("1234.50"), the only form the paForNode decimal types accept (stAmount:
// pattern \d+\.\d{2}, at most 999999999.99). It refuses negative amounts
// and amounts above MaxCents, so arithmetic gone wrong stops here instead of
// reaching the platform — as an internal error, since no input should get
// there; fields typed stAmountNotZero also need c > 0, which the caller
// building the message checks.
func (c Cents) SOAP() (string, error) {
	if c < 0 || c > MaxCents {
		return "", fmt.Errorf("pagopa: format %d cents: %w: not in 0–%d", int64(c), ErrInvalidAmount, int64(MaxCents))
	}
	return strconv.FormatInt(int64(c/100), 10) + "." + twoDigits(uint64(c%100)), nil
}

// Italian returns the amount as the payment notice and the pages show it to
// citizens, with dots between thousands and a decimal comma ("1.234,50 €").
func (c Cents) Italian() string {
	neg := c < 0
	u := uint64(c)
	if neg {
		u = -u
	}
	whole := strconv.FormatUint(u/100, 10)
	b := make([]byte, 0, len(whole)+len(whole)/3+8)
	if neg {
		b = append(b, '-')
	}
	for i := 0; i < len(whole); i++ {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b = append(b, '.')
		}
		b = append(b, whole[i])
	}
	b = append(b, ',')
	b = append(b, twoDigits(u%100)...)
	b = append(b, " €"...)
	return string(b)
}

// twoDigits formats n (0–99) with a leading zero.
func twoDigits(n uint64) string {
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}
