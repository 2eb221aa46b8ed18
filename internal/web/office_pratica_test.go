package web

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// fakeReceipt stands in for the receipt PDF: the back office's tests are
// about the office's work, not the document.
func fakeReceipt(d pratica.ReceiptData) ([]byte, error) {
	return fmt.Appendf(nil, "%%PDF-1.7 ricevuta %s %s", d.Protocol, d.Digest), nil
}

// filePratica files a pratica of citizen for office, as the citizen would:
// a draft with answers, submitted with a protocol number and a receipt.
func filePratica(t testing.TB, d *db.DB, blobs blob.Store, ente tenant.ID, office int64, citizen identity.CitizenID,
	service, answers, key string, at time.Time) *pratica.Pratica {
	t.Helper()
	ctx := context.Background()
	cal, err := calendar.New(calendar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var p *pratica.Pratica
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		p, err = pratica.CreateDraft(ctx, tx, ente, pratica.DraftInput{Service: service, ServiceVersion: 1, Title: "Richiesta " + service,
			Citizen: citizen, FiledBy: identity.CitizenSubject(citizen), Office: office, Term: pratica.Term{Days: 30}}, at)
		if err != nil {
			return err
		}
		if err := pratica.SaveDraft(ctx, tx, ente, p.ID, []byte(answers), nil, at); err != nil {
			return err
		}
		p, err = pratica.Submit(ctx, tx, ente, p.ID, pratica.SubmitInput{IdempotencyKey: key, Actor: identity.CitizenSubject(citizen),
			Calendar: cal}, at)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := pratica.IssueReceipt(ctx, d, blobs, fakeReceipt, ente, p.ID, at)
	if err != nil {
		t.Fatal(err)
	}
	p.Attachments = append(p.Attachments, *a)
	return p
}

// seedAccessPratica gives the access matrix a submitted pratica of citizen
// for office (office X's clerk works on it, office Y's does not).
func seedAccessPratica(t *testing.T, d *db.DB, ente tenant.ID, office int64, citizen identity.CitizenID) {
	t.Helper()
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	filePratica(t, d, blobs, ente, office, citizen, "certificati-anagrafici", `{}`, "access-matrix", testNow)
}

// officeAccessPaths finds the pratica seedAccessPratica filed: its page and
// its receipt's download.
func officeAccessPaths(f *accessFixture) (page, doc string) {
	ctx := context.Background()
	rows, _, err := pratica.Queue(ctx, f.srv.db, f.ente, pratica.QueueFilter{})
	if err != nil || len(rows) == 0 {
		return "/ufficio/pratiche/0", "/ufficio/pratiche/0/documenti/0"
	}
	p, err := pratica.Get(ctx, f.srv.db, f.ente, rows[0].ID)
	if err != nil || len(p.Attachments) == 0 {
		return "/ufficio/pratiche/0", "/ufficio/pratiche/0/documenti/0"
	}
	page = officePraticaURL(p.ID)
	return page, page + "/documenti/" + strconv.FormatInt(p.Attachments[0].ID, 10)
}

// officeEnv is the demo comune with an office's staff and two citizens:
// a head and a clerk of the pArLA office (which handles accesso agli atti),
// a clerk of Tributi, and a desk operator.
type officeEnv struct {
	s                        *Server
	d                        *db.DB
	ente                     tenant.ID
	parla, tributi           int64
	head, clerk, other, desk identity.OperatorID
	mario, laura             identity.CitizenID
	blobs                    blob.Store
	keys                     atomic.Int64
	cookies                  map[identity.OperatorID]*http.Cookie
}

func newOfficeEnv(t testing.TB) *officeEnv {
	t.Helper()
	ctx := context.Background()
	d := testdb.Open(t)
	if _, err := demo.Seed(ctx, d, testNow); err != nil {
		t.Fatal(err)
	}
	j, err := jobs.New(d, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{DB: d, Now: func() time.Time { return testNow }, TenantCacheTTL: -1, PageCacheTTL: -1, Version: "test",
		SecretKey: []byte("test-only-secret-key-32-bytes!!!"), Jobs: j, Blobs: blobs})
	if err != nil {
		t.Fatal(err)
	}
	e, err := tenant.BySlug(ctx, d, demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	env := &officeEnv{s: s, d: d, ente: e.ID, blobs: blobs, cookies: map[identity.OperatorID]*http.Cookie{}}
	for _, o := range e.Offices {
		switch o.Slug {
		case "parla":
			env.parla = o.ID
		case "tributi":
			env.tributi = o.ID
		}
	}
	operator := func(username string, g identity.Grant) identity.OperatorID {
		op, err := identity.CreateOperator(ctx, d, e.ID, identity.OperatorInput{Username: username, Name: "Op " + username,
			Email: username + "@example.org", Password: "una-password-lunga-" + username, Grants: []identity.Grant{g}}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if err := identity.SeedTOTP(ctx, d, s.idKeys, e.ID, op.ID, "JBSWY3DPEHPK3PXPJBSWY3DP"); err != nil {
			t.Fatal(err)
		}
		var token string
		err = d.InTx(ctx, func(tx *sql.Tx) error {
			token, _, err = identity.StartSession(ctx, tx, e.ID, identity.OperatorSubject(op.ID), identity.SessionInput{}, testNow)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		env.cookies[op.ID] = &http.Cookie{Name: operatorCookie, Value: token}
		return op.ID
	}
	env.head = operator("capo", identity.Grant{Role: identity.RoleHead, Office: env.parla})
	env.clerk = operator("addetto", identity.Grant{Role: identity.RoleClerk, Office: env.parla})
	env.other = operator("tributi", identity.Grant{Role: identity.RoleClerk, Office: env.tributi})
	env.desk = operator("banco", identity.Grant{Role: identity.RoleDesk})
	citizen := func(cf, given, family, email string) identity.CitizenID {
		c, _, err := identity.EnsureCitizen(ctx, d, e.ID, identity.CitizenInput{FiscalCode: cf, GivenName: given, FamilyName: family}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if email != "" {
			code, err := identity.StartContactCheck(ctx, d, e.ID, c.ID, identity.ContactEmail, email, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if err := identity.ConfirmContact(ctx, d, e.ID, c.ID, identity.ContactEmail, code, testNow); err != nil {
				t.Fatal(err)
			}
		}
		return c.ID
	}
	env.mario = citizen("RSSMRA80A01A116Q", "Mario", "Rossi", "mario@example.org")
	env.laura = citizen("BNCLRA85C41A116I", "Laura", "Bianchi", "")
	return env
}

// accessAnswers are answers to the accesso agli atti form with two
// documents, the second starting like a spreadsheet formula.
const accessAnswers = `{"nome":{"text":"Mario"},"cognome":{"text":"Rossi"},"codice_fiscale":{"text":"RSSMRA80A01A116Q"},
"email":{"text":"mario@example.org"},"qualita":{"text":"diretto_interessato"},
"documenti":{"items":[{"descrizione":{"text":"Permesso di costruire di via Roma 3"},"anno":{"text":"1998"}},
{"descrizione":{"text":"=HYPERLINK(\"x\")"},"riferimento":{"text":"prot. 12; 13"}}]},
"motivazione":{"text":"Devo vendere la casa"},"modalita":{"text":"copia_semplice"},"dichiarazione":{"checked":true}}`

// file files a pratica in the pArLA office (accesso agli atti) or, with
// office tributi, an occupazione suolo pubblico.
func (env *officeEnv) file(t testing.TB, citizen identity.CitizenID, office int64, at time.Time) *pratica.Pratica {
	t.Helper()
	service, answers := "accesso-agli-atti", accessAnswers
	if office == env.tributi {
		service, answers = "occupazione-suolo-pubblico", `{}`
	}
	key := "k" + strconv.FormatInt(env.keys.Add(1), 10)
	return filePratica(t, env.d, env.blobs, env.ente, office, citizen, service, answers, key, at)
}

func (env *officeEnv) get(t *testing.T, op identity.OperatorID, path string) (*http.Response, string) {
	t.Helper()
	return do(t, env.s, env.request(op, path))
}

// request is a GET as op.
func (env *officeEnv) request(op identity.OperatorID, path string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = "localhost"
	if c := env.cookies[op]; c != nil {
		req.AddCookie(c)
	}
	return req
}

func (env *officeEnv) post(t *testing.T, op identity.OperatorID, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	return postForm(t, env.s, path, form, env.cookies[op])
}

func (env *officeEnv) pratica(t *testing.T, id pratica.ID) *pratica.Pratica {
	t.Helper()
	p, err := pratica.Get(context.Background(), env.d, env.ente, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// auditRows lists the audit rows of one action, newest first, as
// "actor subject detail".
func (env *officeEnv) auditRows(t *testing.T, action audit.Action) []string {
	t.Helper()
	evs, err := audit.List(context.Background(), env.d, env.ente, audit.Filter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Actor.ID+" "+e.Subject+" "+e.Detail)
	}
	return out
}

func TestQueueFiltersAndPages(t *testing.T) {
	env := newOfficeEnv(t)
	day := 24 * time.Hour
	// 52 pratiche of pArLA filed 1 to 52 days ago (due 30 days after),
	// and one of Tributi.
	var filed []*pratica.Pratica
	for i := 1; i <= 52; i++ {
		filed = append(filed, env.file(t, env.mario, env.parla, testNow.Add(-time.Duration(i)*day)))
	}
	env.file(t, env.laura, env.tributi, testNow)
	ctx := context.Background()
	if err := env.d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := pratica.TakeInCharge(ctx, tx, env.ente, filed[0].ID, env.clerk, testNow)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// Due within 3 days (the expired included), as the term rules give it.
	dueSoon := 0
	for _, p := range filed {
		if !p.Due.After(calendar.DateOf(testNow.In(rome)).AddDays(3)) {
			dueSoon++
		}
	}
	res, body := env.get(t, env.clerk, "/ufficio/pratiche")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("queue: status %d\n%.500s", res.StatusCode, body)
	}
	doc := parse(t, body)
	if n := doc.Find("tbody tr").Length(); n != 50 {
		t.Errorf("first page has %d rows, want 50", n)
	}
	// The most urgent first: filed 52 days ago, expired 22 days ago.
	first := doc.Find("tbody tr").First()
	if got := first.Find("td").Eq(1).Text(); got != filed[51].ProtocolDisplay() {
		t.Errorf("first row %q, want the oldest %s", got, filed[51].ProtocolDisplay())
	}
	if !strings.Contains(first.Text(), "scaduta") || !strings.Contains(first.Text(), "Mario Rossi") {
		t.Errorf("first row lacks the expired badge or the citizen: %q", first.Text())
	}
	next, ok := doc.Find(`a[href*="dopo="]`).Attr("href")
	if !ok {
		t.Fatal("no next page link")
	}
	_, body = env.get(t, env.clerk, next)
	if n := parse(t, body).Find("tbody tr").Length(); n != 2 {
		t.Errorf("second page has %d rows, want 2", n)
	}

	for _, tc := range []struct {
		name, query string
		want        int
	}{
		{"in review", "?stato=in_review", 1},
		{"assigned to me", "?mie=1", 1},
		{"due within 3 days", "?scadenza=3", dueSoon},
		{"service", "?servizio=accesso-agli-atti&stato=tutte", 50},
		{"other service", "?servizio=cila", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := env.get(t, env.clerk, "/ufficio/pratiche"+tc.query)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if n := parse(t, body).Find("tbody tr").Length(); n != tc.want {
				t.Errorf("%d rows, want %d", n, tc.want)
			}
		})
	}
	for _, bad := range []string{"?stato=draft", "?stato=x", "?scadenza=0", "?mie=2", "?dopo=nope", "?servizio=nessuno"} {
		if res, _ := env.get(t, env.clerk, "/ufficio/pratiche"+bad); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", bad, res.StatusCode)
		}
	}
}

func TestQueuePermissions(t *testing.T) {
	env := newOfficeEnv(t)
	p := env.file(t, env.mario, env.parla, testNow)
	parla := "/ufficio/pratiche?ufficio=" + strconv.FormatInt(env.parla, 10)
	for _, tc := range []struct {
		name string
		op   identity.OperatorID
		path string
		want int
	}{
		{"clerk of the office", env.clerk, parla, http.StatusOK},
		{"clerk of another office, the office's queue", env.other, parla, http.StatusForbidden},
		{"clerk of another office, own queue", env.other, "/ufficio/pratiche", http.StatusOK},
		{"desk sees no queue", env.desk, "/ufficio/pratiche", http.StatusForbidden},
		{"clerk of the office, the pratica", env.clerk, officePraticaURL(p.ID), http.StatusOK},
		{"clerk of another office, the pratica", env.other, officePraticaURL(p.ID), http.StatusNotFound},
		{"desk, the pratica", env.desk, officePraticaURL(p.ID), http.StatusNotFound},
		{"clerk of another office, a document", env.other, officePraticaURL(p.ID) + "/documenti/" + strconv.FormatInt(p.Attachments[0].ID, 10), http.StatusNotFound},
		{"clerk of another office, the export", env.other, "/ufficio/pratiche/esporta.csv?ufficio=" + strconv.FormatInt(env.parla, 10), http.StatusForbidden},
		{"desk, the statistics", env.desk, "/ufficio/statistiche", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res, _ := env.get(t, tc.op, tc.path); res.StatusCode != tc.want {
				t.Errorf("status %d, want %d", res.StatusCode, tc.want)
			}
		})
	}
	// The other office's clerk can neither act nor find out more.
	res, _ := env.post(t, env.other, officePraticaURL(p.ID)+"/presa-in-carico", nil)
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("take in charge by another office: status %d, want 404", res.StatusCode)
	}
	if got := env.pratica(t, p.ID).State; got != pratica.Submitted {
		t.Errorf("state after a refused action: %s", got)
	}
	// The office home links to the queue only for those who have one.
	if _, body := env.get(t, env.clerk, "/ufficio"); !strings.Contains(body, `href="/ufficio/pratiche"`) {
		t.Error("the clerk's home lacks the queue")
	}
	if _, body := env.get(t, env.desk, "/ufficio"); strings.Contains(body, `href="/ufficio/pratiche"`) {
		t.Error("the desk's home links to a queue it cannot see")
	}
}

func TestPraticaPageIsAudited(t *testing.T) {
	env := newOfficeEnv(t)
	p := env.file(t, env.mario, env.parla, testNow)
	res, body := env.get(t, env.clerk, officePraticaURL(p.ID))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%.500s", res.StatusCode, body)
	}
	for _, want := range []string{"RSSMRA80A01A116Q", "Permesso di costruire di via Roma 3", "Documento 2", p.ProtocolDisplay(),
		"Presentata e protocollata", "ricevuta", "30 giorni"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	want := []string{fmt.Sprintf("%d citizen:%d pratica:%d", env.clerk, env.mario, p.ID)}
	if diff := cmp.Diff(want, env.auditRows(t, audit.ActionCitizenViewed)); diff != "" {
		t.Errorf("citizen.viewed rows (-want +got):\n%s", diff)
	}
	// Downloading a document is a view too; the file comes as an attachment.
	res, _ = env.get(t, env.clerk, officePraticaURL(p.ID)+"/documenti/"+strconv.FormatInt(p.Attachments[0].ID, 10))
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("document: status %d, headers %v", res.StatusCode, res.Header)
	}
	if n := len(env.auditRows(t, audit.ActionCitizenViewed)); n != 2 {
		t.Errorf("%d citizen.viewed rows after the download, want 2", n)
	}
	// Listing the queue is not a view of anyone's data.
	env.get(t, env.clerk, "/ufficio/pratiche")
	if n := len(env.auditRows(t, audit.ActionCitizenViewed)); n != 2 {
		t.Errorf("%d citizen.viewed rows after the queue, want 2", n)
	}
}

func TestOfficeWorksAPratica(t *testing.T) {
	env := newOfficeEnv(t)
	ctx := context.Background()
	p := env.file(t, env.mario, env.parla, testNow.Add(-48*time.Hour))
	page := officePraticaURL(p.ID)
	step := func(op identity.OperatorID, action string, form url.Values, status int) string {
		t.Helper()
		res, body := env.post(t, op, page+"/"+action, form)
		if res.StatusCode != status {
			t.Fatalf("%s: status %d, want %d\n%.2000s", action, res.StatusCode, status, body)
		}
		if status == http.StatusSeeOther {
			if loc := res.Header.Get("Location"); loc != page+"?ok="+action {
				t.Errorf("%s: redirect to %q", action, loc)
			}
			_, body = env.get(t, op, page+"?ok="+action)
		}
		return body
	}
	body := step(env.clerk, "presa-in-carico", nil, http.StatusSeeOther)
	if !strings.Contains(body, "Hai preso in carico la pratica.") {
		t.Error("no flash after taking in charge")
	}
	if got := env.pratica(t, p.ID); got.State != pratica.InReview || got.Assignee != env.clerk {
		t.Errorf("after taking in charge: %s, assignee %d", got.State, got.Assignee)
	}
	// Twice is a conflict, said on the page.
	body = step(env.clerk, "presa-in-carico", nil, http.StatusConflict)
	if !strings.Contains(body, "alert-warning") {
		t.Error("a conflict does not explain itself")
	}
	// Assigning to someone outside the office is refused next to the field.
	body = step(env.clerk, "assegna", urlValues("operatore", strconv.FormatInt(int64(env.other), 10)), http.StatusUnprocessableEntity)
	if !strings.Contains(body, `id="operator-error"`) {
		t.Error("no error next to the operator field")
	}
	step(env.clerk, "assegna", urlValues("operatore", strconv.FormatInt(int64(env.head), 10)), http.StatusSeeOther)
	if got := env.pratica(t, p.ID).Assignee; got != env.head {
		t.Errorf("assignee %d, want the head %d", got, env.head)
	}
	// A note without text is shown back with its error.
	body = step(env.clerk, "nota", urlValues("nota", "  "), http.StatusUnprocessableEntity)
	if !strings.Contains(body, `id="note-error"`) {
		t.Error("no error next to the note")
	}
	step(env.clerk, "nota", urlValues("nota", "Verificare il fascicolo in archivio."), http.StatusSeeOther)
	body = step(env.clerk, "integrazione", urlValues("testo", ""), http.StatusUnprocessableEntity)
	if !strings.Contains(body, `id="message-error"`) {
		t.Error("no error next to the integration request")
	}
	step(env.clerk, "integrazione", urlValues("testo", "Allegare la delega firmata."), http.StatusSeeOther)
	if got := env.pratica(t, p.ID); got.State != pratica.IntegrationRequested || !got.Due.IsZero() {
		t.Errorf("after the integration request: %s, due %s", got.State, got.Due)
	}
	msgs, err := pratica.Messages(ctx, env.d, env.ente, p.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Text != "Allegare la delega firmata." {
		t.Errorf("the citizen sees %+v, want only the integration request (not the internal note)", msgs)
	}
	// A clerk may not decide.
	if res, _ := env.post(t, env.clerk, page+"/esito", urlValues("esito", "respinta", "motivazione", "x")); res.StatusCode != http.StatusForbidden {
		t.Errorf("a clerk decides: status %d, want 403", res.StatusCode)
	}
	// While documents are awaited the head can only reject; a motivation is required.
	_, body = env.get(t, env.head, page)
	if strings.Contains(body, `value="accolta"`) || !strings.Contains(body, `value="respinta"`) {
		t.Error("while an integration is pending, the page offers to accept")
	}
	body = step(env.head, "esito", urlValues("esito", "respinta", "motivazione", " "), http.StatusUnprocessableEntity)
	if !strings.Contains(body, `id="motivation-error"`) {
		t.Error("no error next to the motivation")
	}
	step(env.head, "esito", urlValues("esito", "respinta", "motivazione", "La delega non è stata inviata.\n\nLa richiesta non può essere accolta."), http.StatusSeeOther)
	got := env.pratica(t, p.ID)
	if got.State != pratica.Rejected || got.OutcomeNumber == 0 {
		t.Fatalf("after the decision: %s, outcome %q", got.State, got.OutcomeDisplay())
	}
	var letter *pratica.Attachment
	for i := range got.Attachments {
		if got.Attachments[i].Kind == pratica.Outcome {
			letter = &got.Attachments[i]
		}
	}
	if letter == nil {
		t.Fatal("no outcome letter among the documents")
	}
	res, pdfBody := env.get(t, env.head, page+"/documenti/"+strconv.FormatInt(letter.ID, 10))
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(pdfBody, "%PDF-") {
		t.Errorf("outcome letter: status %d, starts %.10q", res.StatusCode, pdfBody)
	}
	step(env.clerk, "chiusura", urlValues("motivo", "Archiviata."), http.StatusSeeOther)
	if got := env.pratica(t, p.ID).State; got != pratica.Closed {
		t.Errorf("after closing: %s", got)
	}

	// Every action has its audit row, the actor and the pratica named.
	subject := praticaSubject(p.ID)
	for _, tc := range []struct {
		action audit.Action
		want   []string
	}{
		{auditTakenInCharge, []string{fmt.Sprintf("%d %s ", env.clerk, subject)}},
		{auditAssigned, []string{fmt.Sprintf("%d %s to operator:%d", env.clerk, subject, env.head)}},
		{auditMessageAdded, []string{fmt.Sprintf("%d %s internal note", env.clerk, subject)}},
		{auditIntegrationAsk, []string{fmt.Sprintf("%d %s ", env.clerk, subject)}},
		{auditDecided, []string{fmt.Sprintf("%d %s rejected", env.head, subject)}},
		{auditClosed, []string{fmt.Sprintf("%d %s ", env.clerk, subject)}},
	} {
		if diff := cmp.Diff(tc.want, env.auditRows(t, tc.action)); diff != "" {
			t.Errorf("%s rows (-want +got):\n%s", tc.action, diff)
		}
	}
	// Mario confirmed his e-mail: he was told of the request and the outcome.
	sent, err := mail.List(ctx, env.d, env.ente, mail.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range sent {
		kinds = append(kinds, m.Kind)
		if strings.Contains(m.Text, "delega") {
			t.Errorf("the e-mail %s quotes the office's text", m.Kind)
		}
	}
	if diff := cmp.Diff([]string{"pratica-decided", "pratica-integration"}, slices.Sorted(slices.Values(kinds))); diff != "" {
		t.Errorf("e-mails (-want +got):\n%s", diff)
	}
}

func TestHeadAcceptsAndMessagesTheCitizen(t *testing.T) {
	env := newOfficeEnv(t)
	p := env.file(t, env.laura, env.parla, testNow)
	page := officePraticaURL(p.ID)
	for _, a := range []struct {
		action string
		form   url.Values
	}{
		{"presa-in-carico", nil},
		{"nota", urlValues("nota", "I documenti sono pronti.", "visibile", "1")},
		{"esito", urlValues("esito", "accolta", "motivazione", "Requisiti verificati.")},
	} {
		if res, body := env.post(t, env.head, page+"/"+a.action, a.form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: status %d\n%.1000s", a.action, res.StatusCode, body)
		}
	}
	got := env.pratica(t, p.ID)
	if got.State != pratica.Accepted || got.Assignee != env.head {
		t.Errorf("state %s, assignee %d", got.State, got.Assignee)
	}
	msgs, err := pratica.Messages(context.Background(), env.d, env.ente, p.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Internal {
		t.Errorf("the citizen sees %+v, want the message", msgs)
	}
	// Laura has no confirmed address: nothing was sent.
	if sent, _ := mail.List(context.Background(), env.d, env.ente, mail.Filter{}); len(sent) != 0 {
		t.Errorf("%d e-mails to a citizen without a confirmed address", len(sent))
	}
}

func TestBulkActions(t *testing.T) {
	env := newOfficeEnv(t)
	a := env.file(t, env.mario, env.parla, testNow)
	b := env.file(t, env.laura, env.parla, testNow)
	c := env.file(t, env.laura, env.tributi, testNow)
	ids := []string{strconv.FormatInt(int64(a.ID), 10), strconv.FormatInt(int64(b.ID), 10), strconv.FormatInt(int64(c.ID), 10), "nope"}
	filters := "stato=tutte&ufficio=" + strconv.FormatInt(env.parla, 10)
	res, _ := env.post(t, env.clerk, "/ufficio/pratiche/azioni", url.Values{"id": ids, "azione": {"prendi"}, "filtri": {filters}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bulk: status %d", res.StatusCode)
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	if q := loc.Query(); q.Get("fatte") != "2" || q.Get("rifiutate") != "2" || q.Get("stato") != "tutte" {
		t.Errorf("bulk outcome %q, want 2 done, 2 refused, the filters kept", loc)
	}
	_, body := env.get(t, env.clerk, loc.String())
	if !strings.Contains(body, "Pratiche aggiornate: 2.") {
		t.Error("the queue does not report the bulk outcome")
	}
	for _, tc := range []struct {
		p    *pratica.Pratica
		want pratica.State
	}{{a, pratica.InReview}, {b, pratica.InReview}, {c, pratica.Submitted}} {
		if got := env.pratica(t, tc.p.ID).State; got != tc.want {
			t.Errorf("pratica %d: %s, want %s", tc.p.ID, got, tc.want)
		}
	}
	res, _ = env.post(t, env.clerk, "/ufficio/pratiche/azioni", url.Values{"id": ids[:2], "azione": {"assegna"},
		"operatore": {strconv.FormatInt(int64(env.head), 10)}, "filtri": {filters}})
	if loc, _ := url.Parse(res.Header.Get("Location")); loc.Query().Get("fatte") != "2" {
		t.Errorf("bulk assign: %q", loc)
	}
	if got := env.pratica(t, b.ID).Assignee; got != env.head {
		t.Errorf("assignee %d, want %d", got, env.head)
	}
	if n := len(env.auditRows(t, auditAssigned)); n != 2 {
		t.Errorf("%d audit rows of the bulk assignment, want 2", n)
	}
	for _, bad := range []url.Values{
		{"azione": {"prendi"}},
		{"id": ids, "azione": {"cancella"}},
	} {
		if res, _ := env.post(t, env.clerk, "/ufficio/pratiche/azioni", bad); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%v: status %d, want 400", bad, res.StatusCode)
		}
	}
}

func TestParseQueueParams(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  queueParams
		ok    bool
	}{
		{"", queueParams{}, true},
		{"ufficio=3&stato=in_review&servizio=cila&mie=1&scadenza=7", queueParams{Office: 3, State: "in_review", Service: "cila", Mine: true, DueDays: 7}, true},
		{"stato=tutte&dopo=2026-01-02_5", queueParams{State: stateAll, After: "2026-01-02_5"}, true},
		{"ufficio=-1", queueParams{}, false},
		{"stato=draft", queueParams{}, false},
		{"scadenza=400", queueParams{}, false},
		{"servizio=a%20b", queueParams{}, false},
		{"dopo=2026-01-02_0", queueParams{}, false},
	} {
		v, _ := url.ParseQuery(tc.query)
		got, err := parseQueueParams(v)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err %v, want ok %v", tc.query, err, tc.ok)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(queueParams{})); diff != "" {
			t.Errorf("%q mismatch (-want +got):\n%s", tc.query, diff)
		}
		// What parses writes back to the same parameters.
		if back, err := parseQueueParams(got.values(true)); err != nil || back != got {
			t.Errorf("%q: round trip %+v, %v", tc.query, back, err)
		}
	}
}

func FuzzParseQueueParams(f *testing.F) {
	for _, s := range []string{"", "ufficio=3&stato=in_review&mie=1&scadenza=7", "dopo=2026-01-02_5", "stato=x", "scadenza=-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		q, err := parseQueueParams(v)
		if err != nil {
			return
		}
		back, err := parseQueueParams(q.values(true))
		if err != nil || back != q {
			t.Errorf("%q: parsed %+v, round trip %+v, %v", query, q, back, err)
		}
	})
}

func urlValues(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}
