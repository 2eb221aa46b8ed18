package form

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/calendar"
)

// today is the ente's date in every test.
var today = calendar.D(2026, time.March, 15)

// load reads a definition from testdata or definitions.
func load(t testing.TB, path string) *Definition {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := Load(f)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return d
}

// locale reads ui/locales/form.<lang>.json.
func locale(t testing.TB, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../ui/locales/form." + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("form.%s.json: %v", lang, err)
	}
	return m
}

// translator returns a t function over the locale file that fails the test
// on a missing key or a message whose verbs do not match the arguments.
func translator(t testing.TB, lang string) func(string, ...any) string {
	msgs := locale(t, lang)
	return func(key string, args ...any) string {
		msg, ok := msgs[key]
		if !ok {
			t.Errorf("key %q is missing in form.%s.json", key, lang)
			return key
		}
		if len(args) == 0 {
			return msg
		}
		out := fmt.Sprintf(msg, args...)
		if containsBadVerb(out) {
			t.Errorf("key %q in %s with %v gives %q", key, lang, args, out)
		}
		return out
	}
}

// containsBadVerb reports fmt's marks of a verb/argument mismatch.
func containsBadVerb(s string) bool {
	return strings.Contains(s, "%!")
}
