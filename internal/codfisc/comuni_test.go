package codfisc

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLookupComune(t *testing.T) {
	on := date(2026, 1, 1)
	roma := []Comune{{"H501", "ROMA", "RM"}}
	tests := []struct {
		name, query string
		want        []Comune
	}{
		{"capitals", "ROMA", roma},
		{"any case and spaces", "  roma ", roma},
		{"String form", "ROMA (RM)", roma},
		{"province without parentheses", "Roma rm", roma},
		{"Belfiore code", "H501", roma},
		{"accents optional", "forli", []Comune{{"D704", "FORLÌ", "FC"}}},
		{"apostrophe optional", "L Aquila", []Comune{{"A345", "L'AQUILA", "AQ"}}},
		{"homonyms", "Castro", []Comune{{"C337", "CASTRO", "BG"}, {"M261", "CASTRO", "LE"}}},
		{"homonym chosen by province", "castro (le)", []Comune{{"M261", "CASTRO", "LE"}}},
		{"wrong province", "Roma (MI)", nil},
		{"name or name and province", "Cameri no", []Comune{{"B473", "CAMERI", "NO"}, {"B474", "CAMERINO", "MC"}}},
		{"name and province in parentheses", "Cameri (NO)", []Comune{{"B473", "CAMERI", "NO"}}},
		{"merged comune", "Ro", nil},
		{"ceased comune", "Abbadia Alpina", nil},
		{"foreign state code", "Z404", nil},
		{"unknown code", "A000", nil},
		{"empty", "", nil},
		{"gibberish", "((", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, LookupComune(tc.query, on)); diff != "" {
				t.Errorf("LookupComune(%q) mismatch (-want +got):\n%s", tc.query, diff)
			}
		})
	}
	// On a past date the comune is found under the name it had then.
	if got := LookupComune("Abbadia Alpina", date(1900, 1, 1)); len(got) != 1 || got[0].Province != "TO" {
		t.Errorf("LookupComune(Abbadia Alpina, 1900) = %v", got)
	}
}

func TestComuni(t *testing.T) {
	all := Comuni(date(2026, 1, 1))
	// ISTAT counted 7,896 comuni in 2025; the ANPR archive adds a few
	// recent mergers' dates, so allow a small margin.
	if len(all) < 7850 || len(all) > 7950 {
		t.Fatalf("Comuni(2026) returned %d comuni", len(all))
	}
	for i, c := range all {
		if isForeign(c.Belfiore) || len(c.Province) != 2 || c.Name == "" {
			t.Fatalf("Comuni()[%d] = %+v", i, c)
		}
		if i > 0 && (all[i-1].Name > c.Name || all[i-1].Name == c.Name && all[i-1].Province >= c.Province) {
			t.Fatalf("Comuni() not sorted at %d: %v then %v", i, all[i-1], c)
		}
		if got := LookupComune(c.String(), date(2026, 1, 1)); len(got) != 1 || got[0] != c {
			t.Fatalf("LookupComune(%q) = %v, want only %v", c.String(), got, c)
		}
	}
	if got := (Comune{"H501", "ROMA", "RM"}).String(); got != "ROMA (RM)" {
		t.Errorf("String() = %q", got)
	}
}
