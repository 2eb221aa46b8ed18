package i18n

import (
	"testing"
	"testing/fstest"
)

func TestFromAcceptLanguage(t *testing.T) {
	tests := map[string]Lang{
		"":                             IT,
		"en":                           EN,
		"en-GB,en;q=0.9":               EN,
		"it-IT,it;q=0.9,en;q=0.8":      IT,
		"de-DE,en;q=0.5,it;q=0.4":      EN,
		"fr":                           IT,
		"en;q=0,it;q=0.1":              IT,
		"en;q=bogus, it":               IT,
		"*":                            IT,
		"EN-us;q=0.8, it-CH;q=0.9, de": IT,
	}
	for in, want := range tests {
		if got := FromAcceptLanguage(in); got != want {
			t.Errorf("FromAcceptLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzFromAcceptLanguage(f *testing.F) {
	for _, s := range []string{"en-GB,en;q=0.9", "it;q=", ";;,,", "en;q=1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := FromAcceptLanguage(s)
		if got != IT && got != EN {
			t.Fatalf("FromAcceptLanguage(%q) = %q, not a supported language", s, got)
		}
	})
}

func TestCatalog(t *testing.T) {
	fsys := fstest.MapFS{
		"l/it.json": {Data: []byte(`{"hello": "Ciao %s", "only.it": "solo"}`)},
		"l/en.json": {Data: []byte(`{"hello": "Hello %s"}`)},
	}
	c, err := Load(fsys, "l")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang Lang
		key  string
		want string
	}{
		{IT, "hello", "Ciao Ala"},
		{EN, "hello", "Hello Ala"},
		{EN, "only.it", "solo"},
		{EN, "missing", "missing"},
	}
	for _, tc := range tests {
		if got := c.T(tc.lang, tc.key, "Ala"); got != tc.want && tc.key == "hello" {
			t.Errorf("T(%s, %s) = %q, want %q", tc.lang, tc.key, got, tc.want)
		} else if tc.key != "hello" && c.T(tc.lang, tc.key) != tc.want {
			t.Errorf("T(%s, %s) = %q, want %q", tc.lang, tc.key, c.T(tc.lang, tc.key), tc.want)
		}
	}
	if _, err := Load(fstest.MapFS{"l/it.json": {Data: []byte(`{`)}, "l/en.json": {Data: []byte(`{}`)}}, "l"); err == nil {
		t.Error("Load accepted malformed JSON")
	}
}

func TestLoadDomainFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"l/it.json":      {Data: []byte(`{"a": "uno"}`)},
		"l/en.json":      {Data: []byte(`{"a": "one"}`)},
		"l/form.it.json": {Data: []byte(`{"form.b": "due"}`)},
		"l/form.en.json": {Data: []byte(`{"form.b": "two"}`)},
	}
	c, err := Load(fsys, "l")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T(EN, "form.b"); got != "two" {
		t.Errorf("T(en, form.b) = %q, want two", got)
	}
	if got := c.Keys(IT); len(got) != 2 {
		t.Errorf("Keys(it) = %q, want the keys of both files", got)
	}
	fsys["l/other.it.json"] = &fstest.MapFile{Data: []byte(`{"a": "di nuovo"}`)}
	if _, err := Load(fsys, "l"); err == nil {
		t.Error("Load accepted a key defined in two files")
	}
}
