package web

import (
	"bytes"
	"context"
	"database/sql"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/tenant"
)

// getAs serves a GET with the citizen's cookie.
func getAs(t *testing.T, h http.Handler, path string, c *http.Cookie) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = "localhost"
	req.AddCookie(c)
	return do(t, h, req)
}

func TestFileAccessoAgliAttiOnline(t *testing.T) {
	s, d, ente, _, cookie := citizenServer(t)
	blobs, err := blob.Open(context.Background(), "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.opt.Blobs = blobs
	ctx := context.Background()

	if res, body := getAs(t, s, "/area-personale/richiesta/accesso-agli-atti", cookie); res.StatusCode != http.StatusOK || !strings.Contains(body, `name="privacy"`) {
		t.Fatalf("privacy step: status %d\n%.1000s", res.StatusCode, body)
	}
	if res, _ := postForm(t, s, "/area-personale/richiesta/accesso-agli-atti", url.Values{}, cookie); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("no consent: status %d, want 422", res.StatusCode)
	}
	res, _ := postForm(t, s, "/area-personale/richiesta/accesso-agli-atti", url.Values{"privacy": {"1"}}, cookie)
	step := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(step, "/dati-generali") {
		t.Fatalf("consent: status %d to %q", res.StatusCode, step)
	}
	// The general data are prefilled from the profile (once only).
	_, page := getAs(t, s, step, cookie)
	if !strings.Contains(page, `value="Mario"`) || !strings.Contains(page, "RSSMRA80A01A116Q") {
		t.Errorf("the general data are not prefilled:\n%.3000s", page[strings.Index(page, "<main"):])
	}
	// Missing required answers: the errors are shown, the draft is kept.
	if res, body := postForm(t, s, step, url.Values{"_action": {"next"}, "nome": {"Mario"}}, cookie); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="form-errors"`) {
		t.Errorf("incomplete step: status %d\n%.500s", res.StatusCode, body)
	}
	general := url.Values{"_action": {"next"}, "nome": {"Mario"}, "cognome": {"Rossi"}, "codice_fiscale": {"RSSMRA80A01A116Q"},
		"email": {"mario.rossi@example.org"}, "qualita": {"diretto_interessato"}}
	res, body := postForm(t, s, step, general, cookie)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("general data: status %d\n%s", res.StatusCode, errorSummary(body))
	}
	next := res.Header.Get("Location")
	service := url.Values{"_action": {"next"}, "documenti._items": {"1"}, "documenti[0].descrizione": {"Permesso di costruire del vicino"},
		"documenti[0].riferimento": {"PdC 12/2025"}, "documenti[0].anno": {"2025"},
		"motivazione": {"Devo verificare le distanze dal mio confine."}, "modalita": {"copia_semplice"}, "dichiarazione": {"1"}}
	res, body = postForm(t, s, next, service, cookie)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("service data: status %d\n%s", res.StatusCode, errorSummary(body))
	}
	summaryURL := res.Header.Get("Location")
	if !strings.HasSuffix(summaryURL, "/riepilogo") {
		t.Fatalf("after the service data: %s", summaryURL)
	}
	_, summary := getAs(t, s, summaryURL, cookie)
	if !strings.Contains(summary, "Permesso di costruire del vicino") || !strings.Contains(summary, "Conferma e invia") {
		t.Fatalf("summary page:\n%.3000s", summary[strings.Index(summary, "<main"):])
	}
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(summary)[1]
	sendURL := strings.TrimSuffix(summaryURL, "/riepilogo") + "/invio"
	// A double click: the same token twice files one pratica.
	for i := 0; i < 2; i++ {
		res, body = postForm(t, s, sendURL, url.Values{"token": {token}}, cookie)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("send %d: status %d\n%.1500s", i, res.StatusCode, body)
		}
	}
	page = res.Header.Get("Location")
	res, body = getAs(t, s, page, cookie)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Numero di protocollo") || !strings.Contains(body, "Presentata") {
		t.Fatalf("pratica page: status %d\n%.3000s", res.StatusCode, body)
	}
	entries, err := protocol.List(ctx, d, ente, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("%d protocol entries after a double click, want 1", len(entries))
	}
	list, err := pratica.ListForCitizen(ctx, d, ente, 1, pratica.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].State != pratica.Submitted {
		t.Fatalf("pratiche: %+v", list)
	}
	// The receipt is downloadable, as an attachment only.
	href := regexp.MustCompile(`href="(/area-personale/pratiche/\d+/documenti/\d+)"`).FindStringSubmatch(body)
	if href == nil {
		t.Fatalf("no document link:\n%s", body)
	}
	res, receipt := getAs(t, s, href[1], cookie)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") ||
		!strings.HasPrefix(receipt, "%PDF-") {
		t.Errorf("receipt download: status %d, disposition %q, starts %.8q", res.StatusCode, res.Header.Get("Content-Disposition"), receipt)
	}
	// The confirmation e-mail is queued only to a confirmed address; this
	// citizen has none.
	if msgs, err := mail.List(ctx, d, ente, mail.Filter{}); err != nil || len(msgs) != 0 {
		t.Errorf("mail to an unconfirmed address: %d messages, err %v", len(msgs), err)
	}
}

// errorSummary extracts a page's error summary for test messages.
func errorSummary(body string) string {
	i := strings.Index(body, `id="form-errors"`)
	if i < 0 {
		return "(no error summary)"
	}
	end := min(len(body), i+1500)
	return body[i:end]
}

// postMultipart posts a multipart form with one file.
func postMultipart(t *testing.T, h http.Handler, path string, fields map[string]string, file, name string, content []byte, c *http.Cookie) (*http.Response, string) {
	t.Helper()
	v := url.Values{}
	for k, x := range fields {
		v.Set(k, x)
	}
	return postMultipartValues(t, h, path, v, file, name, content, c)
}

func TestAnswerAnIntegrationRequestWithAFile(t *testing.T) {
	s, d, ente, citizen, cookie := citizenServer(t)
	ctx := context.Background()
	blobs, err := blob.Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.opt.Blobs = blobs
	svc, _, err := s.definition("accesso-agli-atti")
	if err != nil {
		t.Fatal(err)
	}
	office, err := tenant.GetOffice(ctx, d, ente, svc.Office)
	if err != nil {
		t.Fatal(err)
	}
	op, err := identity.CreateOperator(ctx, d, ente, identity.OperatorInput{Username: "clerk", Name: "Clerk", Email: "clerk@example.org",
		Password: "una password lunga e sicura", Grants: []identity.Grant{{Role: identity.RoleClerk, Office: office.ID}}}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.New(calendar.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var p *pratica.Pratica
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		p, err = pratica.CreateDraft(ctx, tx, ente, pratica.DraftInput{Service: svc.Slug, ServiceVersion: svc.Version, Title: svc.Title,
			Citizen: citizen, FiledBy: identity.CitizenSubject(citizen), Office: office.ID, Term: pratica.Term{Days: 30}}, testNow)
		if err != nil {
			return err
		}
		if _, err = pratica.Submit(ctx, tx, ente, p.ID, pratica.SubmitInput{IdempotencyKey: "k", Actor: identity.CitizenSubject(citizen),
			Calendar: cal}, testNow); err != nil {
			return err
		}
		if _, err = pratica.TakeInCharge(ctx, tx, ente, p.ID, op.ID, testNow); err != nil {
			return err
		}
		_, err = pratica.RequestIntegration(ctx, tx, cal, ente, p.ID, op.ID, "Manca la copia del documento.", testNow)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	path := "/area-personale/pratiche/" + strconv.FormatInt(int64(p.ID), 10)
	if _, body := getAs(t, s, path, cookie); !strings.Contains(body, "Invia la risposta") {
		t.Errorf("the pratica page offers no answer to the integration request")
	}
	// A file that is not what it claims is refused and nothing changes.
	res, _ := postMultipart(t, s, path+"/messaggi", map[string]string{"text": "Ecco"}, "files", "documento.pdf", []byte("MZ\x90\x00not a pdf"), cookie)
	if res.StatusCode == http.StatusSeeOther {
		t.Errorf("an executable named .pdf was accepted")
	}
	res, _ = postMultipart(t, s, path+"/messaggi", map[string]string{"text": "Ecco il documento."}, "files", "documento.pdf",
		[]byte("%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"), cookie)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("answer: status %d", res.StatusCode)
	}
	got, err := pratica.Get(ctx, d, ente, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != pratica.InReview {
		t.Errorf("after the answer the pratica is %s, want in_review", got.State)
	}
	found := false
	for _, a := range got.Attachments {
		found = found || (a.Kind == pratica.Integration && a.Name == "documento.pdf")
	}
	if !found {
		t.Errorf("the integration file is not among the attachments: %+v", got.Attachments)
	}
}

// postMultipartValues posts a multipart form of fields and one file.
func postMultipartValues(t *testing.T, h http.Handler, path string, fields url.Values, file, name string, content []byte, c *http.Cookie) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile(file, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Host = "localhost"
	req.AddCookie(c)
	return do(t, h, req)
}

// TestFileAServiceWithAFee files "occupazione di suolo pubblico": an
// address from the ANPR list, dates, a PDF plan uploaded and checked, and
// the €16 stamp duty that leaves the pratica awaiting payment, with its
// pagoPA notice numbered by the same transaction.
func TestFileAServiceWithAFee(t *testing.T) {
	s, d, ente, citizen, cookie := citizenServer(t)
	withPayments(t, s, d)
	s.opt.Payments.Jobs = s.opt.Jobs
	ctx := context.Background()
	blobs, err := blob.Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.opt.Blobs = blobs
	res, _ := postForm(t, s, "/area-personale/richiesta/occupazione-suolo-pubblico", url.Values{"privacy": {"1"}}, cookie)
	step := res.Header.Get("Location")
	res, body := postForm(t, s, step, url.Values{"_action": {"next"}, "nome": {"Mario"}, "cognome": {"Rossi"},
		"codice_fiscale": {"RSSMRA80A01A116Q"}, "email": {"mario.rossi@example.org"}, "telefono": {"333 123 4567"},
		"per_conto": {"proprio"}}, cookie)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("general data: status %d\n%s", res.StatusCode, errorSummary(body))
	}
	step = res.Header.Get("Location")
	service := url.Values{"_action": {"next"}, "luogo.street": {"Piazza San Giovanni"}, "luogo.number": {"1"},
		"luogo.postal_code": {"38061"}, "luogo.comune": {"Ala (TN)"}, "dal": {"2026-12-01"}, "al": {"2026-12-03"},
		"superficie": {"12,5"}, "motivo": {"trasloco"}, "bollo": {"pagopa"}, "dichiarazione": {"1"}}
	// A plan that is not a PDF is refused next to its field.
	res, body = postMultipartValues(t, s, step, service, "planimetria", "pianta.pdf", []byte("PK\x03\x04 a zip"), cookie)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "pianta.pdf") {
		t.Fatalf("a zip named .pdf: status %d\n%s", res.StatusCode, errorSummary(body))
	}
	res, body = postMultipartValues(t, s, step, service, "planimetria", "pianta.pdf",
		[]byte("%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"), cookie)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("service data: status %d\n%s", res.StatusCode, errorSummary(body))
	}
	summaryURL := res.Header.Get("Location")
	_, summary := getAs(t, s, summaryURL, cookie)
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(summary)
	if token == nil {
		t.Fatalf("no summary page at %s:\n%.2000s", summaryURL, summary)
	}
	res, body = postForm(t, s, strings.TrimSuffix(summaryURL, "/riepilogo")+"/invio", url.Values{"token": {token[1]}}, cookie)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: status %d\n%.1500s", res.StatusCode, body)
	}
	list, err := pratica.ListForCitizen(ctx, d, ente, citizen, pratica.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].State != pratica.AwaitingPayment {
		t.Fatalf("pratiche: %+v, want one awaiting payment", list)
	}
	p, err := pratica.Get(ctx, d, ente, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Fee != 1600 {
		t.Errorf("fee %d cents, want 1600", p.Fee)
	}
	kinds := map[pratica.AttachmentKind]int{}
	for _, a := range p.Attachments {
		kinds[a.Kind]++
	}
	if kinds[pratica.Upload] != 1 || kinds[pratica.Receipt] != 1 {
		t.Errorf("attachments by kind: %v, want one upload and one receipt", kinds)
	}
	_, page := getAs(t, s, praticaURL(p.ID), cookie)
	if !strings.Contains(page, "In attesa di pagamento") {
		t.Errorf("the pratica page does not say it awaits payment")
	}
	pays, err := payment.ForPraticaList(ctx, d, ente, p.ID)
	if err != nil || len(pays) != 1 || pays[0].Amount != 1600 || pays[0].State != payment.Pending || pays[0].Citizen != citizen {
		t.Fatalf("notices of the pratica: %v %+v, want one of 1600 cents, pending, the citizen's", err, pays)
	}
	if !strings.Contains(page, `href="`+paymentURL(pays[0].ID)+`"`) {
		t.Errorf("the pratica page does not link its notice")
	}
	var jobs int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = 'payment_publish'`).Scan(&jobs); err != nil || jobs != 1 {
		t.Errorf("%d publish jobs queued (%v), want 1", jobs, err)
	}
}

// TestSendingAnIncompleteDraftShowsTheStepToFix: the first step with a
// mistake is shown, so that the error summary's links land on its fields.
func TestSendingAnIncompleteDraftShowsTheStepToFix(t *testing.T) {
	s, _, _, _, cookie := citizenServer(t)
	blobs, err := blob.Open(context.Background(), "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.opt.Blobs = blobs
	res, _ := postForm(t, s, "/area-personale/richiesta/accesso-agli-atti", url.Values{"privacy": {"1"}}, cookie)
	step := res.Header.Get("Location")
	res, body := postForm(t, s, step, url.Values{"_action": {"next"}, "nome": {"Mario"}, "cognome": {"Rossi"},
		"codice_fiscale": {"RSSMRA80A01A116Q"}, "email": {"mario.rossi@example.org"}, "qualita": {"diretto_interessato"}}, cookie)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("general data: status %d\n%s", res.StatusCode, errorSummary(body))
	}
	send := strings.TrimSuffix(step, "/dati-generali") + "/invio"
	res, body = postForm(t, s, send, url.Values{"token": {"t1"}}, cookie)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("sending an incomplete draft: status %d", res.StatusCode)
	}
	doc := parse(t, body)
	if doc.Find(`[name="motivazione"]`).Length() == 0 {
		t.Errorf("the page shown is not the service data step")
	}
	doc.Find(`#form-errors a`).Each(func(_ int, a *goquery.Selection) {
		href, _ := a.Attr("href")
		if doc.Find(href).Length() == 0 {
			t.Errorf("the error link %s lands on no field of the page", href)
		}
	})
}

// TestAutosave: the page's script saves a step in the background, with the
// header that asks for 204 instead of a page; what it saved is there on the
// next visit, and nothing was validated yet (a half-filled step is fine).
func TestAutosave(t *testing.T) {
	s, _, _, _, cookie := citizenServer(t)
	res, _ := postForm(t, s, "/area-personale/richiesta/accesso-agli-atti", url.Values{"privacy": {"1"}}, cookie)
	step := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent: status %d", res.StatusCode)
	}
	_, page := getAs(t, s, step, cookie)
	for _, want := range []string{`class="js-autosave"`, `data-saved="Bozza salvata automaticamente alle %s."`, `role="status"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the step page lacks %s", want)
		}
	}
	form := url.Values{"_action": {"save"}, "nome": {"Mario"}, "cognome": {"Rossi-Autosalvato"}}
	req := httptest.NewRequest(http.MethodPost, step, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sportello-Autosave", "1")
	req.Host = "localhost"
	req.AddCookie(cookie)
	res, body := do(t, s, req)
	if res.StatusCode != http.StatusNoContent || body != "" {
		t.Fatalf("autosave: status %d, body %.200q; want 204 and nothing", res.StatusCode, body)
	}
	if _, page := getAs(t, s, step, cookie); !strings.Contains(page, `value="Rossi-Autosalvato"`) {
		t.Error("the autosaved answer is not on the step when the citizen comes back")
	}
	// Without the header, the same save is the button's: back to the page.
	if res, _ := postForm(t, s, step, form, cookie); res.StatusCode != http.StatusSeeOther {
		t.Errorf("save button: status %d, want 303", res.StatusCode)
	}
}

// TestUploadInAGroupItem: a file field inside a repeatable group takes an
// upload per item; the file is checked by its content like any other and
// becomes an attachment of the pratica under the item's field name.
func TestUploadInAGroupItem(t *testing.T) {
	s, d, ente, citizen, cookie := citizenServer(t)
	blobs, err := blob.Open(context.Background(), "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.opt.Blobs = blobs
	// Each requested document may come with a copy the citizen holds.
	s.forms["accesso-agli-atti"] = reloadForm(t, s.forms["accesso-agli-atti"], `{"id": "descrizione", "type": "text",`,
		`{"id": "copia", "type": "file", "label": {"it": "Copia in tuo possesso", "en": "Copy you hold"}, "file": {"accept": ["application/pdf"], "max_bytes": 1048576}},
		{"id": "descrizione", "type": "text",`)
	res, _ := postForm(t, s, "/area-personale/richiesta/accesso-agli-atti", url.Values{"privacy": {"1"}}, cookie)
	general := res.Header.Get("Location")
	res, body := postForm(t, s, general, url.Values{"_action": {"next"}, "nome": {"Mario"}, "cognome": {"Rossi"},
		"codice_fiscale": {"RSSMRA80A01A116Q"}, "email": {"mario.rossi@example.org"}, "qualita": {"diretto_interessato"}}, cookie)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("general data: status %d\n%s", res.StatusCode, errorSummary(body))
	}
	service := res.Header.Get("Location")
	if _, page := getAs(t, s, service, cookie); !strings.Contains(page, `enctype="multipart/form-data"`) || !strings.Contains(page, `name="documenti[0].copia"`) {
		t.Fatal("the service step offers no file input inside the group item")
	}
	fields := url.Values{"_action": {"save"}, "documenti._items": {"1"}, "documenti[0].descrizione": {"Permesso di costruire"}}
	// Wrong content for a PDF: refused next to the field, nothing kept.
	res, body = postMultipartValues(t, s, service, url.Values{"_action": {"next"}, "documenti._items": {"1"},
		"documenti[0].descrizione": {"Permesso di costruire"}}, "documenti[0].copia", "copia.pdf", []byte("MZ\x90\x00 not a pdf"), cookie)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "documenti-0-copia") {
		t.Errorf("an executable as the copy: status %d\n%s", res.StatusCode, errorSummary(body))
	}
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	if res, body := postMultipartValues(t, s, service, fields, "documenti[0].copia", "../../copia del PdC.pdf", pdf, cookie); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save with the copy: status %d\n%s", res.StatusCode, errorSummary(body))
	}
	list, err := pratica.ListForCitizen(context.Background(), d, ente, citizen, pratica.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("drafts %v, %v", list, err)
	}
	p, err := pratica.Get(context.Background(), d, ente, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range p.Attachments {
		got = append(got, a.Field+" "+a.Name+" "+a.MIME)
	}
	if diff := cmp.Diff([]string{"documenti[0].copia copia del PdC.pdf application/pdf"}, got); diff != "" {
		t.Errorf("attachments (-want +got):\n%s", diff)
	}
	if _, page := getAs(t, s, service, cookie); !strings.Contains(page, "copia del PdC.pdf") {
		t.Error("the step does not list the uploaded copy")
	}
}
