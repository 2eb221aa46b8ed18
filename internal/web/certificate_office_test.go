package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/certificate"
)

// TestCertificateRevokePage: the desk finds A's certificate by its code,
// a revocation without a reason is refused with the error linked to the
// field, a revocation with one goes through, and /verifica then says
// "Revocato" without the reason.
func TestCertificateRevokePage(t *testing.T) {
	f := newAccessFixture(t)
	as := func(who int, method, path string, form url.Values) (*http.Response, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Host = "localhost"
		for _, c := range f.login(t, who) {
			req.AddCookie(c)
		}
		return do(t, f.srv, req)
	}
	tests := []struct {
		name       string
		method     string
		path       string
		form       url.Values
		wantStatus int
		wantText   string
	}{
		{"unknown code", "GET", "/sportello/certificati/revoca?codice=0000-0000-0000-0000", nil, 404, `href="#codice"`},
		{"found", "GET", "/sportello/certificati/revoca?codice=" + f.certs.code, nil, 200, "Rossi Mario"},
		{"no reason", "POST", "/sportello/certificati/revoca", url.Values{"codice": {f.certs.code}, "motivo": {" "}}, 422, `href="#motivo"`},
		{"revoked", "POST", "/sportello/certificati/revoca", url.Values{"codice": {f.certs.code}, "motivo": {"indirizzo errato"}}, 303, ""},
		{"says so", "GET", "/sportello/certificati/revoca?ok=1&codice=" + f.certs.code, nil, 200, "Motivo: indirizzo errato"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := as(pDesk, tc.method, tc.path, tc.form)
			if res.StatusCode != tc.wantStatus || !strings.Contains(body, tc.wantText) {
				t.Fatalf("status %d, want %d with %q\n%.600s", res.StatusCode, tc.wantStatus, tc.wantText, body)
			}
		})
	}
	res, body := as(pAnon, "GET", "/verifica?codice="+f.certs.code, nil)
	if res.StatusCode != 200 || !strings.Contains(body, "Revocato") || strings.Contains(body, "indirizzo errato") {
		t.Errorf("/verifica after the revocation: %d\n%.600s", res.StatusCode, body)
	}
}

// TestCertificateSettingsPage: an amount that is not one is refused with
// the error linked to its field and nothing saved; good settings are saved.
func TestCertificateSettingsPage(t *testing.T) {
	f := newAccessFixture(t)
	post := func(form url.Values) (*http.Response, string) {
		req := httptest.NewRequest("POST", "/amministrazione-ente/certificati", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Host = "localhost"
		for _, c := range f.login(t, pAdmin) {
			req.AddCookie(c)
		}
		return do(t, f.srv, req)
	}
	good := url.Values{"bollo": {"16,00"}, "bollo_online": {"1"}, "diritti_sportello": {"0,52"}, "diritti_esenti": {"0,26"},
		"diritti_online": {"0,10"}, "esenti": {"11", "8"}}
	bad := url.Values{}
	for k, v := range good {
		bad[k] = v
	}
	bad["bollo"] = []string{"sedici"}
	bad["diritti_online"] = []string{"2000"}
	res, body := post(bad)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#bollo"`) || !strings.Contains(body, `href="#diritti_online"`) {
		t.Fatalf("bad amounts: %d\n%.600s", res.StatusCode, body)
	}
	if set, err := certificate.GetSettings(context.Background(), f.srv.db, f.ente); err != nil || set.StampCents != 1600 || set.FeeOnlineCents != 0 {
		t.Fatalf("saved after a refusal: %+v %v", set, err)
	}
	if res, _ := post(good); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("good settings: %d", res.StatusCode)
	}
	set, err := certificate.GetSettings(context.Background(), f.srv.db, f.ente)
	if err != nil {
		t.Fatal(err)
	}
	want := certificate.Settings{StampCents: 1600, StampOnline: true, FeeDeskCents: 52, FeeExemptCents: 26, FeeOnlineCents: 10,
		ExemptTypes: certificate.Kinds{certificate.Residence, certificate.CivilStatus}}
	if diff := cmp.Diff(want, set); diff != "" {
		t.Errorf("saved settings mismatch (-want +got):\n%s", diff)
	}
}
