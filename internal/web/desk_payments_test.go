package web

import (
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/audit"
)

// TestDeskPrintsAvviso: the desk's citizen view lists the citizen's
// notices with the avviso of each payable one; printing it needs the
// view's reason, is audited with it, and reaches only that citizen's
// notices.
func TestDeskPrintsAvviso(t *testing.T) {
	env := newOfficeEnv(t)
	withPayments(t, env.s, env.d)
	mine := spontaneous(t, env.d, env.ente, env.mario, "mensa-scolastica")
	lauras := spontaneous(t, env.d, env.ente, env.laura, "diritti-segreteria")
	mario := "/sportello/cittadini/" + strconv.FormatInt(int64(env.mario), 10)

	res, body := env.get(t, env.desk, mario+"?motivo=phone")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("citizen view: %d", res.StatusCode)
	}
	link := mario + "/pagamenti/" + strconv.FormatInt(int64(mine.ID), 10) + "/avviso?motivo=phone"
	for _, want := range []string{"Mensa scolastica (trimestre)", "240,00 €", strings.Join(regexp.MustCompile(`.{1,4}`).FindAllString(mine.NAV, -1), " "),
		`href="` + html.EscapeString(link) + `"`, "Stampa l&#39;avviso"} {
		if !strings.Contains(body, want) {
			t.Errorf("the citizen view lacks %q", want)
		}
	}
	if strings.Contains(body, lauras.NAV) || strings.Contains(body, groupsOfFour(lauras.NAV)) {
		t.Error("Mario's view shows Laura's notice")
	}

	res, pdf := env.get(t, env.desk, link)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("avviso: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var printed []string
	for _, row := range env.auditRows(t, audit.ActionCitizenViewed) {
		if strings.Contains(row, "avviso") {
			printed = append(printed, row)
		}
	}
	want := []string{strconv.FormatInt(int64(env.desk), 10) + " citizen:" + strconv.FormatInt(int64(env.mario), 10) +
		" desk printed the avviso of payment " + strconv.FormatInt(int64(mine.ID), 10) + ", reason phone"}
	if diff := cmp.Diff(want, printed); diff != "" {
		t.Errorf("audit mismatch (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name string
		path string
		want int
	}{
		{"without a reason", mario + "/pagamenti/" + strconv.FormatInt(int64(mine.ID), 10) + "/avviso", http.StatusBadRequest},
		{"another citizen's notice under Mario", mario + "/pagamenti/" + strconv.FormatInt(int64(lauras.ID), 10) + "/avviso?motivo=desk", http.StatusNotFound},
		{"no such notice", mario + "/pagamenti/999999/avviso?motivo=desk", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res, _ := env.get(t, env.desk, tc.path); res.StatusCode != tc.want {
				t.Errorf("%d, want %d", res.StatusCode, tc.want)
			}
		})
	}
}
