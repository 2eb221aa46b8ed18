package pagopa_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pagopa"
)

// navFacts is what the tests compare about a notice number.
type navFacts struct {
	NAV         string
	Aux         int
	IUV         string
	Segregation int
	HasSeg      bool
	Grouped     string
}

func factsOf(n pagopa.NAV) navFacts {
	seg, ok := n.IUV().Segregation()
	return navFacts{
		NAV:         n.String(),
		Aux:         n.Aux(),
		IUV:         n.IUV().String(),
		Segregation: seg,
		HasSeg:      ok,
		Grouped:     n.Grouped(),
	}
}

// TestNewIUV uses the aux-3 worked examples of the reference (§2, "Check
// digits"), whose check digits were verified by hand.
func TestNewIUV(t *testing.T) {
	tests := []struct {
		name        string
		segregation int
		seq         int64
		want        navFacts
	}{
		{"seg 00 base 1", 0, 1, navFacts{
			NAV: "300000000000000104", Aux: 3, IUV: "00000000000000104",
			Segregation: 0, HasSeg: true, Grouped: "3000 0000 0000 0001 04",
		}},
		{"seg 01 base 1", 1, 1, navFacts{
			NAV: "301000000000000144", Aux: 3, IUV: "01000000000000144",
			Segregation: 1, HasSeg: true, Grouped: "3010 0000 0000 0001 44",
		}},
		{"seg 12 base 2025000001234", 12, 2025000001234, navFacts{
			NAV: "312202500000123479", Aux: 3, IUV: "12202500000123479",
			Segregation: 12, HasSeg: true, Grouped: "3122 0250 0000 1234 79",
		}},
		{"highest segregation and base", pagopa.MaxSegregation, pagopa.MaxSequence, navFacts{
			// 3 + 49·10^13 + (10^13 − 1) ≡ 3 + 49·40 + 39 = 2002 ≡ 49 (mod 93)
			NAV: "349999999999999949", Aux: 3, IUV: "49999999999999949",
			Segregation: 49, HasSeg: true, Grouped: "3499 9999 9999 9999 49",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			iuv, err := pagopa.NewIUV(tc.segregation, tc.seq)
			if err != nil {
				t.Fatalf("NewIUV(%d, %d): %v", tc.segregation, tc.seq, err)
			}
			if diff := cmp.Diff(tc.want, factsOf(iuv.NAV())); diff != "" {
				t.Errorf("NewIUV(%d, %d) mismatch (-want +got):\n%s", tc.segregation, tc.seq, diff)
			}
			if got := iuv.String(); got != tc.want.IUV {
				t.Errorf("String() = %q, want %q", got, tc.want.IUV)
			}
			back, err := pagopa.ParseIUV(iuv.String())
			if err != nil || back != iuv {
				t.Errorf("ParseIUV(%q) = %v, %v; want it back", iuv, back, err)
			}
		})
	}
}

func TestNewIUVRefuses(t *testing.T) {
	tests := []struct {
		name        string
		segregation int
		seq         int64
	}{
		{"negative segregation", -1, 1},
		{"segregation above 49", 50, 1},
		{"centralised segregation 99", 99, 1},
		{"negative sequence", 1, -1},
		{"sequence of 14 digits", 1, pagopa.MaxSequence + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			iuv, err := pagopa.NewIUV(tc.segregation, tc.seq)
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("NewIUV(%d, %d) = %v, %v; want an Invalid error", tc.segregation, tc.seq, iuv, err)
			}
		})
	}
}

// TestParseNAV uses every notice number of the reference whose check digits
// hold: the worked examples of all aux digits and the real-world numbers.
func TestParseNAV(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want navFacts
	}{
		{"worked aux 3 seg 00", "300000000000000104", navFacts{
			NAV: "300000000000000104", Aux: 3, IUV: "00000000000000104",
			Segregation: 0, HasSeg: true, Grouped: "3000 0000 0000 0001 04",
		}},
		{"worked aux 3 seg 01", "301000000000000144", navFacts{
			NAV: "301000000000000144", Aux: 3, IUV: "01000000000000144",
			Segregation: 1, HasSeg: true, Grouped: "3010 0000 0000 0001 44",
		}},
		{"worked aux 3 seg 12", "312202500000123479", navFacts{
			NAV: "312202500000123479", Aux: 3, IUV: "12202500000123479",
			Segregation: 12, HasSeg: true, Grouped: "3122 0250 0000 1234 79",
		}},
		{"worked aux 0 app 12", "012000000001234584", navFacts{
			NAV: "012000000001234584", Aux: 0, IUV: "000000001234584",
			Grouped: "0120 0000 0001 2345 84",
		}},
		{"worked aux 2", "220250000000004217", navFacts{
			NAV: "220250000000004217", Aux: 2, IUV: "20250000000004217",
			Grouped: "2202 5000 0000 0042 17",
		}},
		{"io-app Poste DataMatrix test", "300715700000000032", navFacts{
			NAV: "300715700000000032", Aux: 3, IUV: "00715700000000032",
			Segregation: 0, HasSeg: true, Grouped: "3007 1570 0000 0000 32",
		}},
		{"public fines test 08", "001340000013900808", navFacts{
			NAV: "001340000013900808", Aux: 0, IUV: "340000013900808",
			Grouped: "0013 4000 0013 9008 08",
		}},
		{"public fines test 09", "001340000013900909", navFacts{
			NAV: "001340000013900909", Aux: 0, IUV: "340000013900909",
			Grouped: "0013 4000 0013 9009 09",
		}},
		{"MBD API example", "300996299640641032", navFacts{
			NAV: "300996299640641032", Aux: 3, IUV: "00996299640641032",
			Segregation: 0, HasSeg: true, Grouped: "3009 9629 9640 6410 32",
		}},
		{"aux 1 has no check digits", "123456789012345678", navFacts{
			NAV: "123456789012345678", Aux: 1, IUV: "23456789012345678",
			Grouped: "1234 5678 9012 3456 78",
		}},
		{"centralised segregation 99", "399000000000000158", navFacts{
			// 3 + 99·40 + 1 = 3964 = 42·93 + 58: parsed, though never generated
			NAV: "399000000000000158", Aux: 3, IUV: "99000000000000158",
			Segregation: 99, HasSeg: true, Grouped: "3990 0000 0000 0001 58",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := pagopa.ParseNAV(tc.in)
			if err != nil {
				t.Fatalf("ParseNAV(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, factsOf(n)); diff != "" {
				t.Errorf("ParseNAV(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
			if n.IUV().NAV() != n {
				t.Errorf("IUV().NAV() = %v, want %v", n.IUV().NAV(), n)
			}
		})
	}
}

func TestParseNAVRefuses(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		checkDigits bool // the error must also wrap ErrCheckDigits
	}{
		{"empty", "", false},
		{"17 digits", "30100000000000014", false},
		{"19 digits", "3010000000000001440", false},
		{"grouped as printed", "3010 0000 0000 0001 44", false},
		{"letter", "30100000000000014a", false},
		{"leading space", " 01000000000000144", false},
		{"Arabic-Indic digit", "30100000000000014\u0664", false},
		{"aux 4", "401000000000000144", false},
		{"aux 9", "901000000000000144", false},
		{"worked example off by one", "301000000000000145", true},
		{"check digits of the other segregation", "301000000000000104", true},
		{"check digits 93 never occur", "347000000880099993", true},
		{"doc placeholder 3111…", "311111111112222222", true},
		{"doc placeholder 3020…", "302012387654312384", true},
		{"aux 0 with check of aux 3", "012000000001234579", true},
		{"aux 2 swapped digits", "220250000000004271", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := pagopa.ParseNAV(tc.in)
			if !errors.Is(err, pagopa.ErrInvalidNAV) || !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("ParseNAV(%q) = %v, %v; want an Invalid error wrapping ErrInvalidNAV", tc.in, n, err)
			}
			if got := errors.Is(err, pagopa.ErrCheckDigits); got != tc.checkDigits {
				t.Errorf("ParseNAV(%q): errors.Is(err, ErrCheckDigits) = %v, want %v (err: %v)", tc.in, got, tc.checkDigits, err)
			}
		})
	}
}

func TestParseIUV(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantNAV string
		wantSeg int
	}{
		{"worked seg 00", "00000000000000104", "300000000000000104", 0},
		{"worked seg 01", "01000000000000144", "301000000000000144", 1},
		{"worked seg 12", "12202500000123479", "312202500000123479", 12},
		{"Poste DataMatrix test", "00715700000000032", "300715700000000032", 0},
		{"MBD API example", "00996299640641032", "300996299640641032", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			iuv, err := pagopa.ParseIUV(tc.in)
			if err != nil {
				t.Fatalf("ParseIUV(%q): %v", tc.in, err)
			}
			seg, ok := iuv.Segregation()
			got := []string{iuv.String(), iuv.NAV().String(), strconv.Itoa(seg), strconv.FormatBool(ok)}
			want := []string{tc.in, tc.wantNAV, strconv.Itoa(tc.wantSeg), "true"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ParseIUV(%q) [IUV NAV segregation ok] mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParseIUVRefuses(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		checkDigits bool
	}{
		{"empty", "", false},
		{"aux-0 IUV of 15 digits", "000000001234584", false},
		{"a whole NAV", "301000000000000144", false},
		{"letter", "0100000000000014x", false},
		{"wrong check digits", "01000000000000145", true},
		// An aux-2 IUV is 17 digits too, but its check digits are those of
		// "2" + IUV, so read alone as aux 3 it does not check.
		{"aux-2 IUV", "20250000000004217", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			iuv, err := pagopa.ParseIUV(tc.in)
			if !errors.Is(err, pagopa.ErrInvalidIUV) || !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("ParseIUV(%q) = %v, %v; want an Invalid error wrapping ErrInvalidIUV", tc.in, iuv, err)
			}
			if got := errors.Is(err, pagopa.ErrCheckDigits); got != tc.checkDigits {
				t.Errorf("ParseIUV(%q): errors.Is(err, ErrCheckDigits) = %v, want %v (err: %v)", tc.in, got, tc.checkDigits, err)
			}
		})
	}
}

func TestZeroValues(t *testing.T) {
	var n pagopa.NAV
	var v pagopa.IUV
	seg, ok := v.Segregation()
	got := []any{n.String(), n.Aux(), n.Grouped(), v.String(), seg, ok}
	want := []any{"", -1, "", "", 0, false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("zero values mismatch (-want +got):\n%s", diff)
	}
}

// mod93 is an independent oracle for the check digits: the 16-digit prefix
// fits in a uint64.
func mod93(prefix string) string {
	p, err := strconv.ParseUint(prefix, 10, 64)
	if err != nil {
		panic(err)
	}
	r := p % 93
	return string([]byte{byte('0' + r/10), byte('0' + r%10)})
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// FuzzParseNAV checks that ParseNAV accepts exactly the 18-digit numbers with
// aux digit 0–3 whose check digits hold (none for aux 1), and that what it
// accepts comes back unchanged through String, IUV and Grouped.
func FuzzParseNAV(f *testing.F) {
	for _, s := range []string{
		"300000000000000104", "301000000000000144", "312202500000123479",
		"012000000001234584", "220250000000004217", "300715700000000032",
		"001340000013900808", "300996299640641032", "123456789012345678",
		"311111111112222222", "347000000880099993", "3010 0000 0000 0001 44",
		"", "401000000000000144", "30100000000000014\u0664",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := pagopa.ParseNAV(s)
		want := len(s) == 18 && allDigits(s) && s[0] <= '3' &&
			(s[0] == '1' || s[16:] == mod93(s[:16]))
		if !want {
			if !errors.Is(err, pagopa.ErrInvalidNAV) {
				t.Fatalf("ParseNAV(%q) = %v, %v; want an error wrapping ErrInvalidNAV", s, n, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseNAV(%q): %v", s, err)
		}
		if n.String() != s || n.IUV().NAV() != n || strings.ReplaceAll(n.Grouped(), " ", "") != s {
			t.Fatalf("ParseNAV(%q) = %q (IUV %q, grouped %q); want it back", s, n, n.IUV(), n.Grouped())
		}
		wantIUV := s[1:]
		if s[0] == '0' {
			wantIUV = s[3:]
		}
		if iuv := n.IUV().String(); iuv != wantIUV {
			t.Fatalf("ParseNAV(%q).IUV() = %q", s, iuv)
		}
		if _, ok := n.IUV().Segregation(); ok != (s[0] == '3') {
			t.Fatalf("ParseNAV(%q).IUV().Segregation() ok = %v", s, ok)
		}
	})
}

// FuzzParseIUV checks that ParseIUV accepts exactly the 17-digit IUVs whose
// check digits hold for aux 3, that they come back through String, and that
// their notice number parses to the same IUV.
func FuzzParseIUV(f *testing.F) {
	for _, s := range []string{
		"00000000000000104", "01000000000000144", "12202500000123479",
		"00715700000000032", "20250000000004217", "000000001234584",
		"301000000000000144", "", "0100000000000014x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		iuv, err := pagopa.ParseIUV(s)
		want := len(s) == 17 && allDigits(s) && s[15:] == mod93("3"+s[:15])
		if !want {
			if !errors.Is(err, pagopa.ErrInvalidIUV) {
				t.Fatalf("ParseIUV(%q) = %v, %v; want an error wrapping ErrInvalidIUV", s, iuv, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseIUV(%q): %v", s, err)
		}
		if iuv.String() != s {
			t.Fatalf("ParseIUV(%q) = %q; want it back", s, iuv)
		}
		n, err := pagopa.ParseNAV(iuv.NAV().String())
		if err != nil || n.IUV() != iuv {
			t.Fatalf("ParseNAV(%q) = %v, %v; want the IUV's own notice number", iuv.NAV(), n, err)
		}
		seg, ok := iuv.Segregation()
		if !ok || seg != int(s[0]-'0')*10+int(s[1]-'0') {
			t.Fatalf("ParseIUV(%q).Segregation() = %d, %v", s, seg, ok)
		}
	})
}
