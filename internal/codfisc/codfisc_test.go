package codfisc

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// decoded is everything a Code says about its holder, for one cmp.Diff.
type decoded struct {
	Surname, Name string
	Born          time.Time
	Sex           string
	Place         string
	Omocode       int
	Canonical     Code
}

func decode(t *testing.T, c Code, ref time.Time) decoded {
	t.Helper()
	born, err := c.BirthDate(ref)
	if err != nil {
		t.Fatalf("BirthDate(%s): %v", c, err)
	}
	return decoded{c.Surname(), c.Name(), born, string(c.Sex()), c.BirthPlace(), c.Omocode(), c.Canonical()}
}

// stdnumRef is when python-stdnum's vectors were written, so that "23"
// resolves to 1923 as they expect.
var stdnumRef = date(2014, time.January, 1)

func TestParseVectors(t *testing.T) {
	ref := date(2026, time.January, 1)
	tests := []struct {
		name string
		in   string
		ref  time.Time
		want decoded
	}{
		// domain.md §5 test vectors.
		{"Mario Rossi", "RSSMRA80A01H501U", ref, decoded{"RSS", "MRA", date(1980, 1, 1), "M", "H501", 0, "RSSMRA80A01H501U"}},
		{"Giulia Bianchi", "BNCGLI92L55L378V", ref, decoded{"BNC", "GLI", date(1992, 7, 15), "F", "L378", 0, "BNCGLI92L55L378V"}},
		{"Giulia Bianchi omocodic", "BNCGLI92L55L37US", ref, decoded{"BNC", "GLI", date(1992, 7, 15), "F", "L378", 1, "BNCGLI92L55L378V"}},
		{"Gianfranco De Luca", "DLCGFR50B28A372I", ref, decoded{"DLC", "GFR", date(1950, 2, 28), "M", "A372", 0, "DLCGFR50B28A372I"}},
		{"Al Fo", "FOXLAX69R09H612M", ref, decoded{"FOX", "LAX", date(1969, 10, 9), "M", "H612", 0, "FOXLAX69R09H612M"}},
		{"lower case and spaces", "  rssmra80a01h501u\t", ref, decoded{"RSS", "MRA", date(1980, 1, 1), "M", "H501", 0, "RSSMRA80A01H501U"}},
		// python-stdnum vectors, including the omocodic sequence of RSSMRA45C12F205C.
		{"MRTNTN23M02D969P", "MRTNTN23M02D969P", stdnumRef, decoded{"MRT", "NTN", date(1923, 8, 2), "M", "D969", 0, "MRTNTN23M02D969P"}},
		{"RCCMNL83S18D969H", "RCCMNL83S18D969H", stdnumRef, decoded{"RCC", "MNL", date(1983, 11, 18), "M", "D969", 0, "RCCMNL83S18D969H"}},
		{"MRSMSR81D60Z611H", "MRSMSR81D60Z611H", stdnumRef, decoded{"MRS", "MSR", date(1981, 4, 20), "F", "Z611", 0, "MRSMSR81D60Z611H"}},
		{"CNTCHR83T41D969D", "CNTCHR83T41D969D", stdnumRef, decoded{"CNT", "CHR", date(1983, 12, 1), "F", "D969", 0, "CNTCHR83T41D969D"}},
		{"FOXDRA26C24H872Y", "FOXDRA26C24H872Y", stdnumRef, decoded{"FOX", "DRA", date(1926, 3, 24), "M", "H872", 0, "FOXDRA26C24H872Y"}},
		{"MAILCU91A25F839D", "MAILCU91A25F839D", stdnumRef, decoded{"MAI", "LCU", date(1991, 1, 25), "M", "F839", 0, "MAILCU91A25F839D"}},
		{"RCDLSN84S16D969Z", "RCDLSN84S16D969Z", stdnumRef, decoded{"RCD", "LSN", date(1984, 11, 16), "M", "D969", 0, "RCDLSN84S16D969Z"}},
		{"BNCSFN85T58G702W", "BNCSFN85T58G702W", stdnumRef, decoded{"BNC", "SFN", date(1985, 12, 18), "F", "G702", 0, "BNCSFN85T58G702W"}},
		{"RSSMRA45C12F205C", "RSSMRA45C12F205C", stdnumRef, decoded{"RSS", "MRA", date(1945, 3, 12), "M", "F205", 0, "RSSMRA45C12F205C"}},
		{"RSSMRA45C12F20RX", "RSSMRA45C12F20RX", stdnumRef, decoded{"RSS", "MRA", date(1945, 3, 12), "M", "F205", 1, "RSSMRA45C12F205C"}},
		{"RSSMRA45C12F2L5N", "RSSMRA45C12F2L5N", stdnumRef, decoded{"RSS", "MRA", date(1945, 3, 12), "M", "F205", 1, "RSSMRA45C12F205C"}},
		{"RSSMRA45C12F2LRI", "RSSMRA45C12F2LRI", stdnumRef, decoded{"RSS", "MRA", date(1945, 3, 12), "M", "F205", 2, "RSSMRA45C12F205C"}},
		{"RSSMRAQRCMNFNLRG", "RSSMRAQRCMNFNLRG", stdnumRef, decoded{"RSS", "MRA", date(1945, 3, 12), "M", "F205", 7, "RSSMRA45C12F205C"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, decode(t, c, tc.ref)); diff != "" {
				t.Errorf("decode mismatch (-want +got):\n%s", diff)
			}
			if err := ValidatePlace(c, tc.ref); err != nil {
				t.Errorf("ValidatePlace: %v", err)
			}
		})
	}
}

// TestOmocodiaEachPosition substitutes one digit at a time in each of the
// seven positions; the check characters come from an independent script.
func TestOmocodiaEachPosition(t *testing.T) {
	base := decoded{"RSS", "MRA", date(1980, 1, 1), "M", "H501", 1, "RSSMRA80A01H501U"}
	tests := []struct {
		pos  int
		code string
	}{
		{15, "RSSMRA80A01H50MM"},
		{14, "RSSMRA80A01H5L1F"},
		{13, "RSSMRA80A01HR01P"},
		{11, "RSSMRA80A0MH501M"},
		{10, "RSSMRA80AL1H501F"},
		{8, "RSSMRA8LA01H501F"},
		{7, "RSSMRAU0A01H501R"},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			c, err := Parse(tc.code)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(base, decode(t, c, date(2026, 1, 1))); diff != "" {
				t.Errorf("position %d: decode mismatch (-want +got):\n%s", tc.pos, diff)
			}
			// The same substitution with the base form's check character is wrong.
			wrong := tc.code[:15] + "U"
			if tc.code[15] != 'U' {
				if _, err := Parse(wrong); !isReason(err, ReasonCheck) {
					t.Errorf("Parse(%s) = %v, want a check error", wrong, err)
				}
			}
		})
	}
}

func isReason(err error, r Reason) bool {
	var e *Error
	return errors.As(err, &e) && e.Reason == r
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Error
	}{
		{"empty", "", &Error{Reason: ReasonLength, Got: "0", Want: "16"}},
		{"too short", "RSSMRA80A01H501", &Error{Reason: ReasonLength, Got: "15", Want: "16"}},
		{"too long", "RSSMRA80A01H501UX", &Error{Reason: ReasonLength, Got: "17", Want: "16"}},
		{"inner space", "RSSMRA 80A01H501", &Error{Reason: ReasonDigit, Pos: 7, Got: " ", Want: "0–9 or LMNPQRSTUV"}},
		{"digit in surname", "R5SMRA80A01H501U", &Error{Reason: ReasonLetter, Pos: 2, Got: "5", Want: "A–Z"}},
		{"accented letter counts as one", "RSSMRÀ80A01H501U", &Error{Reason: ReasonLetter, Pos: 6, Got: "À", Want: "A–Z"}},
		{"accented check is not upper-cased", "RSSMRA80A01H501à", &Error{Reason: ReasonLetter, Pos: 16, Got: "à", Want: "A–Z"}},
		{"dotless i is not I", "RSSMRA80A01H50ı1", &Error{Reason: ReasonDigit, Pos: 15, Got: "ı", Want: "0–9 or LMNPQRSTUV"}},
		{"invalid UTF-8 after ASCII", "RSSMRA80A01H501\xff", &Error{Reason: ReasonLetter, Pos: 16, Got: "\xff", Want: "A–Z"}},
		{"17 runes", "RSSMRA80A01H501UÀ", &Error{Reason: ReasonLength, Got: "17", Want: "16"}},
		{"non-omocodia letter in year", "RSSMRA8AA01H501U", &Error{Reason: ReasonDigit, Pos: 8, Got: "A", Want: "0–9 or LMNPQRSTUV"}},
		{"stdnum: I is no month", "CSTNGL22I10D086I", &Error{Reason: ReasonMonth, Pos: 9, Got: "I", Want: "ABCDEHLMPRST"}},
		{"digit for place letter", "RSSMRA80A011501U", &Error{Reason: ReasonLetter, Pos: 12, Got: "1", Want: "A–Z"}},
		{"digit as check", "RSSMRA80A01H5011", &Error{Reason: ReasonLetter, Pos: 16, Got: "1", Want: "A–Z"}},
		{"stdnum: day 32", "CNTCHR83T32D969H", &Error{Reason: ReasonDay, Pos: 10, Got: "32", Want: "01–31 or 41–71"}},
		{"day 00", "RSSMRA80A00H501U", &Error{Reason: ReasonDay, Pos: 10, Got: "00", Want: "01–31 or 41–71"}},
		{"day 40", "RSSMRA80A40H501U", &Error{Reason: ReasonDay, Pos: 10, Got: "40", Want: "01–31 or 41–71"}},
		{"day 72", "RSSMRA80A72H501U", &Error{Reason: ReasonDay, Pos: 10, Got: "72", Want: "01–31 or 41–71"}},
		{"31 April", "RSSMRA80D31H501U", &Error{Reason: ReasonDay, Pos: 10, Got: "31", Want: "01–30 or 41–70"}},
		{"29 February, not a leap year", "RSSMRA81B29H501U", &Error{Reason: ReasonDay, Pos: 10, Got: "29", Want: "01–28 or 41–68"}},
		{"omocodic day 3Q", "RSSMRA80AP2H501U", &Error{Reason: ReasonDay, Pos: 10, Got: "P2", Want: "01–31 or 41–71"}},
		{"stdnum: wrong check", "FOXDRA26C24H872A", &Error{Reason: ReasonCheck, Pos: 16, Got: "A", Want: "Y"}},
		{"wrong check", "RSSMRA80A01H501A", &Error{Reason: ReasonCheck, Pos: 16, Got: "A", Want: "U"}},
		{"omocodic with base check", "BNCGLI92L55L37UV", &Error{Reason: ReasonCheck, Pos: 16, Got: "V", Want: "S"}},
		{"base with omocodic check", "BNCGLI92L55L378S", &Error{Reason: ReasonCheck, Pos: 16, Got: "S", Want: "V"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.in)
			var got *Error
			if !errors.As(err, &got) {
				t.Fatalf("Parse(%q) = %q, %v; want *Error", tc.in, c, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if got.Error() == "" {
				t.Error("empty Error()")
			}
		})
	}
}

func TestLeapDay(t *testing.T) {
	// 29 February 2000 exists; 29 February 1900 does not, and 1800 is more
	// than 120 years before any reference in this century.
	c, err := Parse("RSSMRA00B29H501Y")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.BirthDate(date(2026, 1, 1))
	if err != nil || !got.Equal(date(2000, 2, 29)) {
		t.Errorf("BirthDate(2026) = %v, %v; want 2000-02-29", got, err)
	}
	if _, err := c.BirthDate(date(1999, 12, 31)); !isReason(err, ReasonBirthDate) {
		t.Errorf("BirthDate(1999) error = %v, want ReasonBirthDate", err)
	}
}

func TestBirthDateCentury(t *testing.T) {
	tests := []struct {
		name string
		code string
		ref  time.Time
		want time.Time
	}{
		{"same century", "RSSMRA80A01H501U", date(2026, 6, 1), date(1980, 1, 1)},
		{"this year, already born", "RSSMRA26A01Z404J", date(2026, 1, 1), date(2026, 1, 1)},
		{"this year, not yet born", "RSSMRA26A01Z404J", date(2025, 12, 31), date(1926, 1, 1)},
		{"born on ref day counts", "RSSMRA07A01H501J", date(2007, 1, 1), date(2007, 1, 1)},
		{"ref in another zone uses its calendar date", "RSSMRA07A01H501J", time.Date(2007, 1, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)), date(2007, 1, 1)},
		{"recent century wins over 106 years", "RSSMRA20A01Z404D", date(2026, 1, 1), date(2020, 1, 1)},
		{"99 before 2000", "RSSMRA99A01H501F", date(2026, 1, 1), date(1999, 1, 1)},
		{"stdnum written in 2014: 1923", "MRTNTN23M02D969P", date(2014, 1, 1), date(1923, 8, 2)},
		{"same code read in 2026: 2023", "MRTNTN23M02D969P", date(2026, 1, 1), date(2023, 8, 2)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.code)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.BirthDate(tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("BirthDate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnparsedCode(t *testing.T) {
	// Methods on a Code built by conversion must not panic.
	for _, c := range []Code{"", "ABC", "RSSMRA80A01H501UX"} {
		got := decoded{c.Surname(), c.Name(), time.Time{}, string(c.Sex()), c.BirthPlace(), c.Omocode(), c.Canonical()}
		want := decoded{Sex: "\x00", Canonical: c}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q mismatch (-want +got):\n%s", c, diff)
		}
		if _, err := c.BirthDate(date(2026, 1, 1)); !isReason(err, ReasonLength) {
			t.Errorf("%q: BirthDate error = %v, want ReasonLength", c, err)
		}
	}
}
