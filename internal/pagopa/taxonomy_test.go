package pagopa_test

import (
	"errors"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pagopa"
)

// TestParseTaxonomyCode uses the comune codes of the reference (§2, from
// pagopa-taxonomy's taxonomy.csv) and a central-administration one from the
// same file.
func TestParseTaxonomyCode(t *testing.T) {
	for _, in := range []string{
		"9/0101100IM/", // IMU
		"9/0101101IM/", // TARI
		"9/0102100SA/", // road-code fines
		"9/0702133TS/", // Ministero della Giustizia, in the same file
		"9/0101108TS/", // layout only: the example of the task brief
		"6/0102100SA/", // SEPA Request-to-Pay accounting types, same layout
		"7/0101100SP/",
		"8/0101100AP/",
	} {
		t.Run(in, func(t *testing.T) {
			got, err := pagopa.ParseTaxonomyCode(in)
			if err != nil {
				t.Fatalf("ParseTaxonomyCode(%q): %v", in, err)
			}
			if diff := cmp.Diff(in, got.String()); diff != "" {
				t.Errorf("ParseTaxonomyCode(%q) mismatch (-want +got):\n%s", in, diff)
			}
		})
	}
}

func TestParseTaxonomyCodeRefuses(t *testing.T) {
	for _, in := range []string{
		"", "9/0102100SA", "0102100SA/", "9/0102100SA//", "9-0102100SA-",
		"5/0102100SA/", "0/0102100SA/", "9/0102100XX/", "9/0102100sa/",
		"9/01021OOSA/", "9/010210SA/", "9/01021000SA/", " 9/0102100SA/",
	} {
		t.Run(in, func(t *testing.T) {
			got, err := pagopa.ParseTaxonomyCode(in)
			if !errors.Is(err, pagopa.ErrInvalidTaxonomyCode) || !apperr.Is(err, apperr.Invalid) {
				t.Errorf("ParseTaxonomyCode(%q) = %q, %v; want an Invalid error wrapping ErrInvalidTaxonomyCode", in, got, err)
			}
		})
	}
}

// TestTaxonomyTable keeps the codes the portal configures in the valid layout.
func TestTaxonomyTable(t *testing.T) {
	for _, c := range []pagopa.TaxonomyCode{pagopa.TaxonomyRoadFines} {
		if _, err := pagopa.ParseTaxonomyCode(string(c)); err != nil {
			t.Errorf("ParseTaxonomyCode(%q): %v", c, err)
		}
	}
}

// FuzzParseTaxonomyCode checks that ParseTaxonomyCode never panics and that
// what it accepts has the documented layout and comes back unchanged.
func FuzzParseTaxonomyCode(f *testing.F) {
	for _, s := range []string{"9/0102100SA/", "9/0101100IM/", "6/0102100SA/", "9/0102100XX/", "", "9/é102100SA/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := pagopa.ParseTaxonomyCode(s)
		if err != nil {
			if !errors.Is(err, pagopa.ErrInvalidTaxonomyCode) {
				t.Fatalf("ParseTaxonomyCode(%q): %v; want an error wrapping ErrInvalidTaxonomyCode", s, err)
			}
			return
		}
		if c.String() != s || !taxonomyLayout.MatchString(s) {
			t.Fatalf("ParseTaxonomyCode(%q) = %q; want it back, in the layout [6-9]/ddddddd(IM|TS|SP|SA|AP)/", s, c)
		}
	})
}

// taxonomyLayout is the layout of the reference as a regular expression, an
// oracle written independently of the parser.
var taxonomyLayout = regexp.MustCompile(`^[6-9]/[0-9]{7}(IM|TS|SP|SA|AP)/$`)
