package web

import (
	"bytes"
	"context"
	"database/sql"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/registry"
	"github.com/sportello/sportello/internal/tenant"
)

// accessCerts is what the access matrix needs of certificates: citizen
// A's registry person and a certificate A asked for.
type accessCerts struct {
	personA     registry.PersonID
	certificate certificate.ID
	code        string
	pdf         []byte
}

// seedAccessCertificates puts the matrix's citizens in the registry, A and
// B in different households, gives the server an issuer with a blob store,
// and issues a certificate of A's online.
func seedAccessCertificates(t *testing.T, s *Server, d *db.DB, ente tenant.ID, citA identity.CitizenID) accessCerts {
	t.Helper()
	ctx := context.Background()
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := certificate.NewKeyStore([]byte("test-only-secret-key-32-bytes!!!"))
	if err != nil {
		t.Fatal(err)
	}
	s.certs = &certificate.Issuer{DB: d, Registrar: protocol.Builtin{}, Blobs: blobs, Keys: keys, Now: s.now}
	person := func(cf, surname, name, sex string, born calendar.Date) *registry.Person {
		return &registry.Person{FiscalCode: cf, Surname: surname, Name: name, Sex: sex, BirthDate: born, BirthPlace: "A116",
			Citizenship: "ITA", CivilStatus: registry.Single, Relationship: registry.Head, Status: registry.Resident,
			Certifiable: registry.FullyCertifiable, RegisteredOn: born}
	}
	homes := []*registry.Household{
		{Code: "A", Kind: registry.Family, Address: registry.Address{Street: "Via Roma", HouseNumber: "1", Postcode: "38061"},
			Members: []*registry.Person{person("RSSMRA80A01A116Q", "Rossi", "Mario", "M", calendar.D(1980, 1, 1))}},
		{Code: "B", Kind: registry.Family, Address: registry.Address{Street: "Via Nuova", HouseNumber: "2", Postcode: "38061"},
			Members: []*registry.Person{person("BNCLRA85C41A116I", "Bianchi", "Laura", "F", calendar.D(1985, 3, 1))}},
		{Code: "C", Kind: registry.Family, Address: registry.Address{Street: "Via Scalfi", HouseNumber: "3", Postcode: "38061"},
			Members: []*registry.Person{person("VRDGPP70E15A116K", "Verdi", "Giuseppe", "M", calendar.D(1970, 5, 15))}},
	}
	if err := d.InTx(ctx, func(tx *sql.Tx) error {
		for _, h := range homes {
			if err := registry.Save(ctx, tx, ente, h); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e, err := tenant.Get(ctx, d, ente)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.certs.Issue(ctx, certificate.Order{Ente: e, Channel: certificate.Online, HolderCF: "RSSMRA80A01A116Q",
		Kinds: certificate.Kinds{certificate.Residence}, Citizen: citA, CitizenCF: "RSSMRA80A01A116Q", Exemption: 3,
		VerifyURL: "http://localhost/verifica"})
	if err != nil {
		t.Fatal(err)
	}
	return accessCerts{personA: homes[0].Members[0].ID, certificate: res.Certificate.ID, code: res.Certificate.Code, pdf: res.PDF}
}

// certificateRows are the access matrix's rows for the certificate routes.
func certificateRows(f *accessFixture) map[string]accessCase {
	cert := "/area-personale/certificati/" + strconv.FormatInt(int64(f.certs.certificate), 10)
	personA := strconv.FormatInt(int64(f.certs.personA), 10)
	return map[string]accessCase{
		"GET /area-personale/certificati": {path: "/area-personale/certificati", want: "LAAALLLLL"},
		// Only A may have A's certificate: B and A's delegate are refused.
		"POST /area-personale/certificati": {path: "/area-personale/certificati",
			form: url.Values{"persona": {personA}, "tipo": {"8"}, "esenzione": {"3"}}, want: "LAFFLLLLL"},
		"GET /area-personale/certificati/{id}":     {path: cert, want: "LANNLLLLL"},
		"GET /area-personale/certificati/{id}/pdf": {path: cert + "/pdf", want: "LANNLLLLL"},
		// A's certificate is issued: paying its stamp is a Conflict for A
		// (or 503 without a payer), NotFound for anyone else.
		"POST /area-personale/certificati/{id}/paga": {path: cert + "/paga", want: "LANNLLLLL"},
		// Verification answers everyone, about the certificate only.
		"GET /verifica":  {path: "/verifica?codice=" + f.certs.code, want: "AAAAAAAAA"},
		"POST /verifica": {path: "/verifica", want: "AAAAAAAAA"},
		"GET /.well-known/sportello-certificati.json": {path: "/.well-known/sportello-certificati.json", want: "AAAAAAAAA"},
		// The desk: operators who file for citizens.
		"GET /sportello/certificati": {path: "/sportello/certificati", want: "LLLLAFFFL"},
		"POST /sportello/certificati": {path: "/sportello/certificati", form: url.Values{"cf": {"BNCLRA85C41A116I"},
			"tipo": {"8"}, "richiedente": {"Mario Rossi, C.I. CA00000AA"}, "marca": {"01234567890123"}}, want: "LLLLAFFFL"},
		// A desk certificate is printed at the desk; A's online one is not
		// a desk certificate (404), and citizens never reach the desk.
		"GET /sportello/certificati/{id}/pdf": {path: "/sportello/certificati/" + strconv.FormatInt(int64(f.certs.certificate), 10) + "/pdf",
			want: "LLLLNFFFL"},
		// Revocation: the registrar's desk; A's certificate is revoked by
		// the first allowed principal (the others would meet a Conflict).
		"GET /sportello/certificati/revoca": {path: "/sportello/certificati/revoca?codice=" + f.certs.code, want: "LLLLAFFFL"},
		"POST /sportello/certificati/revoca": {path: "/sportello/certificati/revoca",
			form: url.Values{"codice": {f.certs.code}, "motivo": {"dati errati"}}, want: "LLLLAFFFL"},
		// Stamp and fees: the ente's administrators.
		"GET /amministrazione-ente/certificati": {path: "/amministrazione-ente/certificati", want: "LLLLFFFAL"},
		"POST /amministrazione-ente/certificati": {path: "/amministrazione-ente/certificati",
			form: url.Values{"bollo": {"16,00"}, "diritti_sportello": {"0,52"}, "diritti_esenti": {"0,26"}, "diritti_online": {"0"}}, want: "LLLLFFFAL"},
	}
}

// formType is the content type of a posted form.
const formType = "application/x-www-form-urlencoded"

// as sends a request with body (of content type ctype, if any) as the
// principal who, logged in afresh.
func (f *accessFixture) as(t *testing.T, who int, method, path, body, ctype string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Host = "localhost"
	for _, c := range f.login(t, who) {
		req.AddCookie(c)
	}
	return do(t, f.srv, req)
}

func TestCertificateJourney(t *testing.T) {
	f := newAccessFixture(t)
	as := func(who int, method, path string, body string, ctype string) (*http.Response, string) {
		return f.as(t, who, method, path, body, ctype)
	}
	form := formType
	// A asks for a contestuale residence + family certificate.
	res, _ := as(pCitizenA, "POST", "/area-personale/certificati", url.Values{"persona": {strconv.FormatInt(int64(f.certs.personA), 10)},
		"tipo": {"8", "12"}, "esenzione": {"99"}, "esenzione_testo": {"uso all'estero"}}.Encode(), form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("request: status %d", res.StatusCode)
	}
	page := res.Header.Get("Location")
	res, body := as(pCitizenA, "GET", page, "", "")
	if res.StatusCode != 200 || !strings.Contains(body, "CERTIFICATO CONTESTUALE DI RESIDENZA E DI STATO DI FAMIGLIA") {
		t.Fatalf("certificate page: %d\n%.400s", res.StatusCode, body)
	}
	path := strings.TrimSuffix(strings.SplitN(page, "?", 2)[0], "/")
	res, pdf := as(pCitizenA, "GET", path+"/pdf", "", "")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-1.7") {
		t.Fatalf("download: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// B, of another household, cannot read it, nor ask for A's.
	if res, _ := as(pCitizenB, "GET", path+"/pdf", "", ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("B downloads A's certificate: %d", res.StatusCode)
	}
	res, body = as(pCitizenB, "POST", "/area-personale/certificati", url.Values{"persona": {strconv.FormatInt(int64(f.certs.personA), 10)},
		"tipo": {"8"}, "esenzione": {"3"}}.Encode(), form)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "solo per te e per i componenti") {
		t.Errorf("B asks for A's certificate: %d", res.StatusCode)
	}
	// Anyone verifies the file: it matches, and the page shows no holder.
	upload := func(file []byte) string {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "c.pdf")
		fw.Write(file)
		mw.Close()
		_, body := as(pCitizenB, "POST", "/verifica", buf.String(), mw.FormDataContentType())
		return body
	}
	body = upload([]byte(pdf))
	for _, want := range []string{"Valido", "esattamente quello rilasciato"} {
		if !strings.Contains(body, want) {
			t.Errorf("verification of the file lacks %q", want)
		}
	}
	for _, secret := range []string{"Rossi", "Mario", "RSSMRA80A01A116Q"} {
		if strings.Contains(body, secret) {
			t.Errorf("the verification page reveals %q", secret)
		}
	}
	// A tampered file says what changed.
	body = upload(bytes.Replace([]byte(pdf), []byte("(Rossi Mario)"), []byte("(Rossi Marco)"), 1))
	if !strings.Contains(body, "testo della pagina 1") || strings.Contains(body, "esattamente quello rilasciato") {
		t.Errorf("a tampered file:\n%.2000s", body[strings.Index(body, "esito"):])
	}
	// By code: valid; an unknown code: unknown.
	if _, body := as(pAnon, "GET", "/verifica?codice="+strings.ToLower(f.certs.code), "", ""); !strings.Contains(body, "Valido") {
		t.Error("verification by code: not valid")
	}
	if _, body := as(pAnon, "GET", "/verifica?codice=0000-0000-0000-0000", "", ""); !strings.Contains(body, "Non risulta") {
		t.Error("an unknown code: not unknown")
	}
	// The desk issues B's residence for Mario at the counter, and prints it.
	res, body = as(pDesk, "POST", "/sportello/certificati", url.Values{"cf": {"BNCLRA85C41A116I"}, "tipo": {"8"},
		"richiedente": {"Mario Rossi, C.I. CA00000AA"}, "motivo": {"contratto di affitto"}, "marca": {"01234567890123"}}.Encode(), form)
	if res.StatusCode != 200 || !strings.Contains(body, "/sportello/certificati/") {
		t.Fatalf("desk: %d\n%.300s", res.StatusCode, body)
	}
	i := strings.Index(body, "/sportello/certificati/")
	print := body[i : i+strings.Index(body[i:], `"`)]
	if res, _ := as(pDesk, "GET", print, "", ""); res.StatusCode != 200 {
		t.Errorf("desk print: %d", res.StatusCode)
	}
	// Both issuances are in the audit log, recorded by the group commit
	// with who, the certificate, the request and the address.
	events, err := audit.List(context.Background(), f.srv.db, f.ente, audit.Filter{Action: "certificate.issued"})
	if err != nil {
		t.Fatal(err)
	}
	onlineID := strings.TrimPrefix(path, "/area-personale/certificati/")
	var online, desk *audit.Event
	for i, ev := range events {
		switch {
		case ev.Subject == "certificate:"+onlineID:
			online = &events[i]
		case ev.Actor.Kind == audit.Operator && strings.Contains(ev.Detail, "contratto di affitto"):
			desk = &events[i]
		}
	}
	if online == nil || online.Actor != citizenActor(f.citizenA) || online.Detail != "online 8+12" ||
		online.RequestID == "" || online.IP == "" {
		t.Errorf("online issuance's audit event: %+v", online)
	}
	if desk == nil || !strings.Contains(desk.Detail, "richiedente: Mario Rossi") || desk.RequestID == "" {
		t.Errorf("desk issuance's audit event: %+v", desk)
	}
	if r, err := audit.Verify(context.Background(), f.srv.db, f.ente); err != nil || !r.Intact() || r.Events != r.Head {
		t.Errorf("audit log: %+v, %v", r, err)
	}
	// The desk cannot issue stato civile to a stranger.
	res, _ = as(pDesk, "POST", "/sportello/certificati", url.Values{"cf": {"BNCLRA85C41A116I"}, "tipo": {"11"},
		"richiedente": {"Mario Rossi, C.I. CA00000AA"}}.Encode(), form)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("desk, civil status of a stranger: %d", res.StatusCode)
	}
	// The published keys verify the downloaded file offline.
	_, doc := as(pAnon, "GET", "/.well-known/sportello-certificati.json", "", "")
	_, keys, err := certificate.ParseKeysDocument([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if v := certificate.Verify([]byte(pdf), keys); !v.OK() {
		t.Errorf("offline verification with the published keys: %v", v.Problems)
	}
}
