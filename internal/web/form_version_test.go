package web

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/form"
)

// TestPraticaShownWithItsFormVersion: after a form changes, a pratica filed
// under the earlier version is shown with the earlier labels, one filed
// under the new version with the new ones, and a version no longer shipped
// falls back to the raw answers rather than to labels it was never given.
func TestPraticaShownWithItsFormVersion(t *testing.T) {
	env := newOfficeEnv(t)
	old := env.file(t, env.mario, env.parla, testNow)
	if old.FormVersion != 1 {
		t.Fatalf("filed under form v%d, want 1", old.FormVersion)
	}
	v1 := env.s.forms["accesso-agli-atti"]
	v2 := reloadForm(t, v1, `"Descrizione del documento"`, `"Che cosa vuoi vedere"`)
	v2.Version = 2
	env.s.forms[v2.Service] = v2
	env.s.formArchive = map[string]map[int]*form.Definition{v1.Service: {1: v1}}
	neu := env.file(t, env.mario, env.parla, testNow)
	if err := env.d.QueryRowContext(t.Context(), `UPDATE pratica SET form_version = 2 WHERE id = $1 RETURNING form_version`, neu.ID).Scan(&neu.FormVersion); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		id        int64
		want, not string
	}{
		{"filed under v1", int64(old.ID), "Descrizione del documento", "Che cosa vuoi vedere"},
		{"filed under v2", int64(neu.ID), "Che cosa vuoi vedere", "Descrizione del documento"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, body := env.get(t, env.clerk, "/ufficio/pratiche/"+strconv.FormatInt(tc.id, 10))
			if !strings.Contains(body, tc.want) || strings.Contains(body, tc.not) {
				t.Errorf("page shows %q: %v, %q: %v", tc.want, strings.Contains(body, tc.want), tc.not, strings.Contains(body, tc.not))
			}
		})
	}
	// v1 no longer kept: the answers are shown as they are stored.
	env.s.formArchive = nil
	_, body := env.get(t, env.clerk, "/ufficio/pratiche/"+strconv.FormatInt(int64(old.ID), 10))
	if strings.Contains(body, "Che cosa vuoi vedere") || !strings.Contains(body, "descrizione") {
		t.Error("a pratica of a lost form version is shown with the current labels, or without its answers")
	}
}

// reloadForm is d with one piece of its JSON file replaced, loaded anew.
func reloadForm(t *testing.T, d *form.Definition, from, to string) *form.Definition {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "form", "definitions", d.Service+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(from)) {
		t.Fatalf("%s has no %s", d.Service, from)
	}
	nd, err := form.Load(bytes.NewReader(bytes.ReplaceAll(b, []byte(from), []byte(to))))
	if err != nil {
		t.Fatal(err)
	}
	return nd
}
