package catalog

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/sportello/sportello/internal/apperr"
)

func TestShippedCatalogue(t *testing.T) {
	c, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.All()); n < 15 {
		t.Errorf("the shipped catalogue has %d services, want at least 15", n)
	}
	offices := map[string]bool{"parla": true, "anagrafe": true, "edilizia": true, "tributi": true, "polizia-locale": true}
	for _, s := range c.All() {
		if !offices[s.Office] {
			t.Errorf("%s: office %q is not a demo office", s.Slug, s.Office)
		}
		if got, err := c.Get(s.Slug); err != nil || got != s {
			t.Errorf("Get(%q) = %v, %v", s.Slug, got, err)
		}
	}
	if _, err := c.Get("nope"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("Get(nope) err = %v, want NotFound", err)
	}
}

const valid = `{"slug":"accesso","version":1,"title":"Accesso agli atti","description":"d","category":"autorizzazioni",
"topics":["Trasparenza"],"active":true,"addressed":"a","how_to":"h","needed":["n"],"achieved":"a","times":"t",
"deadlines":[{"when":"30 giorni","text":"x"}],"conditions":"c","channels":["online","desk"],"spid_level":2,
"office":"parla","term_days":30,"output":"o","life_events":["e"]}`

func TestLoadRejectsBadDefinitions(t *testing.T) {
	tests := []struct {
		name, file, body, want string
	}{
		{"unknown field", "accesso.json", strings.Replace(valid, `"version":1`, `"version":1,"colour":"red"`, 1), "unknown field"},
		{"bad category", "accesso.json", strings.Replace(valid, "autorizzazioni", "pesca", 1), "category"},
		{"empty section", "accesso.json", strings.Replace(valid, `"how_to":"h"`, `"how_to":" "`, 1), "how_to is empty"},
		{"bad channel", "accesso.json", strings.Replace(valid, `"desk"]`, `"fax"]`, 1), "channel"},
		{"inactive without reason", "accesso.json", strings.Replace(valid, `"active":true`, `"active":false`, 1), "inactive_reason"},
		{"slug not file name", "altro.json", valid, "file name"},
		{"two objects", "accesso.json", valid + valid, "after the object"},
		{"negative fee", "accesso.json", strings.Replace(valid, `"term_days":30`, `"term_days":30,"fee_cents":-1`, 1), "fee_cents"},
		{"silent assent without a term", "accesso.json", strings.Replace(valid, `"term_days":30`, `"term_days":0,"silent_assent":true`, 1), "silent_assent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(fstest.MapFS{"s/" + tc.file: {Data: []byte(tc.body)}}, "s")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
	c, err := Load(fstest.MapFS{"s/accesso.json": {Data: []byte(valid)}}, "s")
	if err != nil || len(c.All()) != 1 {
		t.Fatalf("valid definition: %v", err)
	}
	name := func(slug string) string { return "Autorizzazioni" }
	for q, want := range map[string]int{"": 1, "ACCESSO atti": 1, "autorizz": 1, "trasparenza": 1, "accesso mensa": 0} {
		if got := len(c.Search(q, name)); got != want {
			t.Errorf("Search(%q) found %d, want %d", q, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"slug":"x","version":-1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err == nil && s.Validate() != nil {
			t.Fatalf("Parse accepted an invalid definition: %+v", s)
		}
	})
}
