package spididp_test

import (
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/sim/spididp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// snapshots walks every page the simulator shows, through the real flows,
// and returns them by name: login (with a problem alert), post, error
// (with a reply form), sessions (with a session) and logout.
func snapshots(t *testing.T, ti *testIdP, sp *testSP) map[string]page {
	t.Helper()
	out := map[string]page{}
	login := ti.startRedirect(t, sp, sp.authnRequest(ti.Base+"/sso", "_snap"), "relay")
	out["login"] = login
	_, values := formOf(t, login.Doc, `form[action="login"]`)
	values.Set("fault", "replay")
	out["login-problem"] = fetch(t, http.MethodPost, ti.Base+"/login", values)
	values.Set("fault", "")
	out["post"] = fetch(t, http.MethodPost, ti.Base+"/login", values)

	bad := sp.authnRequest(ti.Base+"/sso", "_snapbad")
	bad.SelectElement("NameIDPolicy").CreateAttr("AllowCreate", "true")
	out["error"] = ti.startRedirect(t, sp, bad, "")
	out["sessions"] = fetch(t, http.MethodGet, ti.Base+"/sessions", nil)

	_, values = formOf(t, out["sessions"].Doc, `form[action="logout"]`)
	sent := autoPost(t, fetch(t, http.MethodPost, ti.Base+"/logout", values))
	out["logout"] = answerLogout(t, ti, sp, sent)
	return out
}

// answerLogout has the SP confirm an IdP-initiated logout and returns the
// IdP's outcome page.
func answerLogout(t *testing.T, ti *testIdP, sp *testSP, sent spPost) page {
	t.Helper()
	lr := readLogoutID(t, sent.Value)
	resp := etree.NewElement("samlp:LogoutResponse")
	resp.CreateAttr("xmlns:samlp", nsSAMLP)
	resp.CreateAttr("xmlns:saml", nsSAML)
	resp.CreateAttr("ID", "_answer")
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", testNow.Format("2006-01-02T15:04:05Z"))
	resp.CreateAttr("InResponseTo", lr)
	resp.CreateAttr("Destination", ti.Base+"/slo")
	is := resp.CreateElement("saml:Issuer")
	is.CreateAttr("Format", fmtEntity)
	is.SetText(sp.EntityID)
	resp.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", statusSuccess)
	return fetch(t, http.MethodPost, ti.Base+"/slo", sp.postForm("SAMLResponse", resp, ""))
}

func TestPagesAreAccessibleWithoutJavaScript(t *testing.T) {
	sp := newTestSP(t)
	ti := newTestIdP(t, spididp.Config{StylesheetURL: "/static/vendor/bootstrap-italia/css/bootstrap-italia.min.css"})
	for name, p := range snapshots(t, ti, sp) {
		t.Run(name, func(t *testing.T) {
			lintPage(t, p)
		})
	}
}

// lintPage checks what can be checked without a browser: the WCAG basics
// (language, title, one h1, labels, grouped radios, captions) and the
// host's Content Security Policy (no inline script, style or handler).
func lintPage(t *testing.T, p page) {
	t.Helper()
	d := p.Doc
	if lang, _ := d.Find("html").Attr("lang"); lang != "it" {
		t.Errorf("html lang %q, want it", lang)
	}
	if strings.TrimSpace(d.Find("title").Text()) == "" || d.Find("h1").Length() != 1 || d.Find("main").Length() != 1 {
		t.Errorf("want a title, one h1 and one main")
	}
	if d.Find("style, [style]").Length() > 0 {
		t.Errorf("inline style")
	}
	d.Find("script").Each(func(_ int, s *goquery.Selection) {
		if src, _ := s.Attr("src"); src == "" {
			t.Errorf("inline script")
		}
	})
	d.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("inline handler %s", a.Key)
			}
		}
	})
	d.Find("input:not([type=hidden])").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		if id == "" || d.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("input %q has no label", id)
		}
		if typ, _ := s.Attr("type"); typ == "radio" && s.Closest("fieldset").Find("legend").Length() == 0 {
			t.Errorf("radio %q is not in a fieldset with a legend", id)
		}
	})
	d.Find("button").Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Text()) == "" {
			t.Errorf("button without text")
		}
	})
	d.Find("table").Each(func(_ int, s *goquery.Selection) {
		if s.Find("caption").Length() != 1 || s.Find("th:not([scope])").Length() > 0 {
			t.Errorf("table without caption or with th lacking scope")
		}
	})
}

// TestLoginPageGolden pins the login page's HTML; run with -update after a
// deliberate change and review the diff.
func TestLoginPageGolden(t *testing.T) {
	sp := newTestSP(t)
	ti := newTestIdP(t, spididp.Config{})
	p := ti.startRedirect(t, sp, sp.authnRequest(ti.Base+"/sso", "_golden"), "")
	got := regexp.MustCompile(`name="pending" value="_[0-9a-f]{32}"`).ReplaceAllString(p.Body, `name="pending" value="_PENDING"`)
	got = strings.ReplaceAll(got, sp.srv.URL, "http://sp.test")
	path := filepath.Join("testdata", "login.golden.html")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("login page mismatch (-want +got):\n%s", diff)
	}
}
