package web

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/i18n"
	"github.com/sportello/sportello/ui"
)

// TestLocalesComplete checks that Italian and English have the same keys and
// that every key a template names literally exists.
func TestLocalesComplete(t *testing.T) {
	cat, err := i18n.Load(ui.Locales, "locales")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cat.Keys(i18n.IT), cat.Keys(i18n.EN)); diff != "" {
		t.Errorf("locale keys differ (-it +en):\n%s", diff)
	}
	literal := regexp.MustCompile(`\.T "([^"]+)"`)
	used := 0
	err = fs.WalkDir(ui.Templates, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(ui.Templates, p)
		if err != nil {
			return err
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			used++
			for _, l := range i18n.Langs {
				if !cat.Has(l, m[1]) {
					t.Errorf("%s uses key %q, missing in %s.json", p, m[1], l)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if used < 50 {
		t.Errorf("found only %d literal keys in the templates: the pattern no longer matches", used)
	}
}
