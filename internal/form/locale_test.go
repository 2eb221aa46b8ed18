package form

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLocales checks that form.it.json and form.en.json have the same keys,
// all prefixed "form.", with the same format verbs, and that every key the
// package uses exists and every key that exists is used.
func TestLocales(t *testing.T) {
	it, en := locale(t, "it"), locale(t, "en")
	keys := func(m map[string]string) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	if diff := cmp.Diff(keys(it), keys(en)); diff != "" {
		t.Errorf("keys differ (-it +en):\n%s", diff)
	}
	verbs := regexp.MustCompile(`%[dsvq]`)
	for k, msg := range it {
		if !strings.HasPrefix(k, "form.") {
			t.Errorf("key %q lacks the form. prefix", k)
		}
		if diff := cmp.Diff(verbs.FindAllString(msg, -1), verbs.FindAllString(en[k], -1)); diff != "" {
			t.Errorf("%s: format verbs differ (-it +en):\n%s", k, diff)
		}
		if strings.TrimSpace(msg) == "" || strings.TrimSpace(en[k]) == "" {
			t.Errorf("%s: empty message", k)
		}
	}

	used := map[string]bool{}
	for _, k := range errorKeys {
		used[k] = true
	}
	for _, s := range AllSteps {
		used[s.Key()] = true
	}
	for _, p := range append(slices.Clone(addressParts), "comune.help") {
		used["form.address."+p] = true
	}
	used["form.declaration.legend.46"], used["form.declaration.legend.47"] = true, true
	literal := regexp.MustCompile(`"(form\.[a-z0-9_.\-]*[a-z0-9_\-])"`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	for k := range used {
		if _, ok := it[k]; !ok {
			t.Errorf("key %q is used but missing in form.it.json", k)
		}
	}
	for k := range it {
		if !used[k] {
			t.Errorf("key %q is in the locale files but never used", k)
		}
	}
}
