package codfisc

import (
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"RSSMRA80A01H501U", "BNCGLI92L55L378V", "BNCGLI92L55L37US", "DLCGFR50B28A372I", "FOXLAX69R09H612M",
		"RSSMRAQRCMNFNLRG", "RSSMRA45C12F2L5N", "FOXDRA26C24H872A", "CSTNGL22I10D086I", "CNTCHR83T32D969H",
		"RSSMRA00B29H501Y", "MRSMSR81D60Z611H", " rssmra80a01h501u ", "", "RSSMRÀ80A01H501U", "RSSMRA80A01H501\xff",
	} {
		f.Add(s)
	}
	refs := []time.Time{date(2026, 1, 1), date(1999, 12, 31), date(2100, 3, 1)}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse(%q) error %v is not *Error", s, err)
			}
			return
		}
		canon := c.Canonical()
		back, err := Parse(string(canon))
		if err != nil {
			t.Fatalf("Parse(%q) ok but Parse(Canonical() = %q): %v", s, canon, err)
		}
		if back != canon || back.Omocode() != 0 || back.Canonical() != canon {
			t.Fatalf("%q: canonical form %q is not a fixed point", c, canon)
		}
		if c.Sex() != back.Sex() || c.BirthPlace() != back.BirthPlace() || c.Surname() != back.Surname() || c.Name() != back.Name() {
			t.Fatalf("%q and its canonical form %q decode differently", c, canon)
		}
		for _, ref := range refs {
			d1, err1 := c.BirthDate(ref)
			d2, err2 := back.BirthDate(ref)
			if !d1.Equal(d2) || (err1 == nil) != (err2 == nil) {
				t.Fatalf("%q and %q: BirthDate(%v) = %v, %v and %v, %v", c, canon, ref, d1, err1, d2, err2)
			}
			if err1 == nil && (d1.After(ref) || d1.Before(ref.AddDate(-121, 0, 0))) {
				t.Fatalf("%q: BirthDate(%v) = %v out of range", c, ref, d1)
			}
			if (ValidatePlace(c, ref) == nil) != (ValidatePlace(back, ref) == nil) {
				t.Fatalf("%q and %q: ValidatePlace disagrees", c, canon)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	for _, s := range []string{"RSSMRA80A01H501U", "RSSMRAQRCMNFNLRG", " rssmra80a01h501u "} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseDecode(b *testing.B) {
	ref := date(2026, 1, 1)
	b.ReportAllocs()
	for b.Loop() {
		c, err := Parse("BNCGLI92L55L37US")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.BirthDate(ref); err != nil {
			b.Fatal(err)
		}
		_ = c.Canonical()
		_ = c.BirthPlace()
	}
}
