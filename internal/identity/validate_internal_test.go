package identity

import (
	"regexp"
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"mario.rossi@example.it", "mario.rossi@example.it"},
		{"  Mario.Rossi@Example.IT ", "Mario.Rossi@example.it"},
		{"m+tag@sub.comune.example.it", "m+tag@sub.comune.example.it"},
		{"a@xn--comune-vrs.it", "a@xn--comune-vrs.it"},
		{"Mario <mario@example.it>", ""},
		{"mario@localhost", ""},
		{"mario@[192.0.2.1]", ""},
		{"mario@-example.it", ""},
		{"mario@example..it", ""},
		{"mario@exa_mple.it", ""},
		{"mario", ""},
		{"@example.it", ""},
		{"", ""},
		{strings.Repeat("a", 250) + "@example.it", ""},
	}
	for _, tc := range tests {
		got, err := NormalizeEmail(tc.in)
		if (err == nil) != (tc.want != "") || got != tc.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"333 123 4567", "+393331234567"},
		{"+39 333 1234567", "+393331234567"},
		{"0039-333-123.4567", "+393331234567"},
		{"(0461) 123456", "+390461123456"},
		{"0461/123456", "+390461123456"},
		{"+44 20 7946 0958", "+442079460958"},
		{"+1 (202) 555-0123", "+12025550123"},
		{"333 12", ""},                 // too short for a mobile
		{"+39 5551234567", ""},         // neither mobile nor landline
		{"33312345678901", ""},         // too long for an Italian mobile
		{"555 1234567", ""},            // no prefix and not Italian
		{"+0 1234 5678", ""},           // no country starts with 0
		{"+1234567890123456", ""},      // 16 digits
		{"333 123 4567 ext 2", ""},     // letters
		{"++39 333 1234567", ""},       // two pluses
		{"333 123 4567+", ""},          // a plus at the end
		{"", ""},                       // nothing
		{"+", ""},                      // nothing but the plus
		{"٣٣٣١٢٣٤٥٦٧", ""},             // non-ASCII digits
		{"+39 0461 1234567890123", ""}, // too long
	}
	for _, tc := range tests {
		got, err := NormalizePhone(tc.in)
		if (err == nil) != (tc.want != "") || got != tc.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestValidateDocumentNumber(t *testing.T) {
	tests := []struct {
		doc    DocumentType
		number string
		ok     bool
	}{
		{DocCIE, "CA00000AA", true},
		{DocCIE, " ca 12345 ab ", true},
		{DocCIE, "CA0000AA", false},
		{DocCIE, "AA1234567", false},
		{DocPaperID, "AU1234567", true},
		{DocPaperID, "CA00000AA", false},
		{DocPassport, "YA1234567", true},
		{DocPassport, "C01X00T47", true}, // German style
		{DocPassport, "ABCDEFG", false},  // no digit
		{DocPassport, "YA12345678", false},
		{DocDrivingLicence, "U1H12345BX", true},
		{DocDrivingLicence, "TO1234567A", true},
		{DocDrivingLicence, "1234567890", false},
		{DocDrivingLicence, "U1H12345B", false},
		{"tessera", "CA00000AA", false},
		{DocCIE, "", false},
	}
	for _, tc := range tests {
		err := ValidateDocumentNumber(tc.doc, tc.number)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateDocumentNumber(%s, %q) = %v, want ok=%v", tc.doc, tc.number, err, tc.ok)
		}
	}
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"333 123 4567", "+39 0461 123456", "0044 20 7946 0958", "+", "00", "0", "3", "(0)", "+390"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizePhone(s)
		if err != nil {
			return
		}
		if !e164.MatchString(got) {
			t.Fatalf("NormalizePhone(%q) = %q, not E.164", s, got)
		}
		again, err := NormalizePhone(got)
		if err != nil || again != got {
			t.Fatalf("NormalizePhone is not idempotent on %q: %q, %v", got, again, err)
		}
	})
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"a@example.it", "A@EXAMPLE.IT", `"a b"@example.it`, "a@b", "<a@b.it>", "a@b.it.", "a@@b.it"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeEmail(s)
		if err != nil {
			return
		}
		if len(got) > maxEmail || strings.ContainsAny(got[strings.LastIndexByte(got, '@'):], "ABCDEFGHIJKLMNOPQRSTUVWXYZ <>") {
			t.Fatalf("NormalizeEmail(%q) = %q: too long, or the domain is not lower case", s, got)
		}
		again, err := NormalizeEmail(got)
		if err != nil || again != got {
			t.Fatalf("NormalizeEmail is not idempotent on %q: %q, %v", got, again, err)
		}
	})
}

func FuzzValidateDocumentNumber(f *testing.F) {
	for _, s := range []string{"CA00000AA", "AU1234567", "YA1234567", "U1H12345BX", " ca 00000 aa", "", "ß"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range DocumentTypes {
			if ValidateDocumentNumber(d, s) != nil {
				continue
			}
			// An accepted number is accepted in its canonical form too.
			canon := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
			if err := ValidateDocumentNumber(d, canon); err != nil {
				t.Fatalf("%s: %q accepted but %q refused: %v", d, s, canon, err)
			}
		}
	})
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY")
	f.Add("$argon2id$v=19$m=4294967295,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2id$v=19$m=1,t=1,p=0$$")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parsePHC(s)
		if err != nil {
			return
		}
		if p.Memory > maxMemoryKiB || p.Time == 0 || p.Time > maxTime || p.Threads == 0 || p.Threads > maxThreads ||
			p.Memory < 8*uint32(p.Threads) || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
			t.Fatalf("parsePHC(%q) accepted out-of-bounds %+v, salt %d, key %d bytes", s, p, len(salt), len(key))
		}
	})
}

func TestMaskDocumentNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"CA12345AB", "CA•••••AB"},
		{"YA1234567", "YA•••••67"},
		{"U1234567AB", "U1••••••AB"},
		{"AB12", "••••"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := MaskDocumentNumber(tc.in); got != tc.want {
			t.Errorf("MaskDocumentNumber(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
