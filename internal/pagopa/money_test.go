package pagopa_test

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pagopa"
)

func TestParseEuro(t *testing.T) {
	tests := []struct {
		in   string
		want pagopa.Cents
	}{
		{"12,50", 1250},
		{"12.50", 1250},
		{"16.52", 1652}, // the reference's QR example
		{"12", 1200},
		{"12,5", 1250},
		{"0,01", 1},
		{"0.00", 0},
		{"0", 0},
		{"007,10", 710},
		{"1234,56", 123456},
		{"999999999.99", pagopa.MaxCents},
		{"000999999999,99", pagopa.MaxCents},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := pagopa.ParseEuro(tc.in)
			if err != nil {
				t.Fatalf("ParseEuro(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseEuro(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParseEuroRefuses(t *testing.T) {
	for _, in := range []string{
		"", ",", ".", ",50", "12,", "12.", "-1,00", "+1,00", "1.234,50", "1,234.50",
		"12,505", "12,5x", "1e3", " 12,50", "12,50 ", "12,50 €", "€12",
		"1000000000", "1000000000,00", "99999999999999999999", "١٢",
	} {
		t.Run(in, func(t *testing.T) {
			got, err := pagopa.ParseEuro(in)
			if !errors.Is(err, pagopa.ErrInvalidAmount) || !apperr.Is(err, apperr.Invalid) {
				t.Errorf("ParseEuro(%q) = %d, %v; want an Invalid error wrapping ErrInvalidAmount", in, got, err)
			}
		})
	}
}

func TestCentsFormat(t *testing.T) {
	tests := []struct {
		in          pagopa.Cents
		wantSOAP    string
		wantItalian string
	}{
		{0, "0.00", "0,00 €"},
		{1, "0.01", "0,01 €"},
		{10, "0.10", "0,10 €"},
		{1652, "16.52", "16,52 €"},
		{1600, "16.00", "16,00 €"},
		{99999, "999.99", "999,99 €"},
		{100000, "1000.00", "1.000,00 €"},
		{123450, "1234.50", "1.234,50 €"},
		{123456, "1234.56", "1.234,56 €"},
		{12345678901, "123456789.01", "123.456.789,01 €"},
		{pagopa.MaxCents, "999999999.99", "999.999.999,99 €"},
	}
	for _, tc := range tests {
		t.Run(strconv.FormatInt(int64(tc.in), 10), func(t *testing.T) {
			soap, err := tc.in.SOAP()
			if err != nil {
				t.Fatalf("SOAP(): %v", err)
			}
			got := []string{soap, tc.in.Italian()}
			want := []string{tc.wantSOAP, tc.wantItalian}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%d cents [SOAP Italian] mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestCentsSOAPRefuses(t *testing.T) {
	for _, c := range []pagopa.Cents{-1, -100, pagopa.MaxCents + 1, math.MaxInt64, math.MinInt64} {
		t.Run(strconv.FormatInt(int64(c), 10), func(t *testing.T) {
			got, err := c.SOAP()
			if !errors.Is(err, pagopa.ErrInvalidAmount) || apperr.Is(err, apperr.Invalid) {
				t.Errorf("(%d).SOAP() = %q, %v; want an internal error wrapping ErrInvalidAmount", c, got, err)
			}
		})
	}
}

// TestCentsItalianExtremes covers amounts SOAP refuses but a page may still
// show, such as a refund computed as a negative amount.
func TestCentsItalianExtremes(t *testing.T) {
	got := []string{pagopa.Cents(-123450).Italian(), pagopa.Cents(math.MinInt64).Italian(), pagopa.Cents(math.MaxInt64).Italian()}
	want := []string{"-1.234,50 €", "-92.233.720.368.547.758,08 €", "92.233.720.368.547.758,07 €"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Italian() mismatch (-want +got):\n%s", diff)
	}
}

// stAmount is the pattern and bound of sac-common-types stAmount, the type
// the receipts' paymentAmount and fee carry.
var stAmount = regexp.MustCompile(`^\d+\.\d{2}$`)

// FuzzParseEuro checks that ParseEuro never panics, that what it accepts is
// within 0–MaxCents, formats to a SOAP string matching stAmount, and parses
// back from that string and from its comma form to the same amount.
func FuzzParseEuro(f *testing.F) {
	for _, s := range []string{
		"12,50", "12.50", "0", "999999999.99", "1000000000", "-1", "1.234,50",
		"12,505", ",5", "", "١٢",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := pagopa.ParseEuro(s)
		if err != nil {
			if !errors.Is(err, pagopa.ErrInvalidAmount) {
				t.Fatalf("ParseEuro(%q): %v; want an error wrapping ErrInvalidAmount", s, err)
			}
			return
		}
		if c < 0 || c > pagopa.MaxCents {
			t.Fatalf("ParseEuro(%q) = %d, outside 0–MaxCents", s, c)
		}
		soap, err := c.SOAP()
		if err != nil || !stAmount.MatchString(soap) {
			t.Fatalf("(%d).SOAP() = %q, %v; want a stAmount", c, soap, err)
		}
		back, err := pagopa.ParseEuro(soap)
		if err != nil || back != c {
			t.Fatalf("ParseEuro(%q) = %d, %v; want %d", soap, back, err, c)
		}
		comma := soap[:len(soap)-3] + "," + soap[len(soap)-2:]
		if back, err := pagopa.ParseEuro(comma); err != nil || back != c {
			t.Fatalf("ParseEuro(%q) = %d, %v; want %d", comma, back, err, c)
		}
	})
}

// FuzzCents checks that SOAP accepts exactly 0–MaxCents and agrees with
// Italian and with ParseEuro on every amount.
func FuzzCents(f *testing.F) {
	for _, c := range []int64{0, 1, 1652, 123450, int64(pagopa.MaxCents), int64(pagopa.MaxCents) + 1, -1, math.MinInt64, math.MaxInt64} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		c := pagopa.Cents(n)
		it := c.Italian()
		soap, err := c.SOAP()
		if c < 0 || c > pagopa.MaxCents {
			if !errors.Is(err, pagopa.ErrInvalidAmount) {
				t.Fatalf("(%d).SOAP() = %q, %v; want an error wrapping ErrInvalidAmount", n, soap, err)
			}
			return
		}
		if err != nil || !stAmount.MatchString(soap) {
			t.Fatalf("(%d).SOAP() = %q, %v; want a stAmount", n, soap, err)
		}
		if back, err := pagopa.ParseEuro(soap); err != nil || back != c {
			t.Fatalf("ParseEuro(%q) = %d, %v; want %d", soap, back, err, c)
		}
		// Italian without its thousands dots and euro sign is the comma form.
		plain := strings.ReplaceAll(strings.TrimSuffix(it, " €"), ".", "")
		if back, err := pagopa.ParseEuro(plain); err != nil || back != c {
			t.Fatalf("Italian() = %q → ParseEuro(%q) = %d, %v; want %d", it, plain, back, err, c)
		}
	})
}
