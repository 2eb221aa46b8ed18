package web

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/attachment"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/form"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/pdf"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// stepPage is one page of an online service's flow: the privacy notice,
// a data step, or the summary with "Conferma e invia".
type stepPage struct {
	basePage
	Service  *catalog.Service
	Steps    form.StepsView
	Step     string
	Action   string
	Form     form.FormView
	Summary  []form.SummarySection
	Problem  string
	Flash    string
	NextText string
	SaveText string
	// Token makes the submission idempotent: the summary page carries one,
	// a double click or a retried POST sends it twice, one pratica is filed.
	Token string
}

// definition returns the service's form, or NotFound when the service
// cannot be requested online.
func (s *Server) definition(slug string) (*catalog.Service, *form.Definition, error) {
	return s.definitionIn(s.catalog, slug)
}

// enteDefinition is definition in the request's ente's catalogue, so that
// a draft is filed under the version the ente publishes.
func (s *Server) enteDefinition(r *http.Request, slug string) (*catalog.Service, *form.Definition, error) {
	cat, err := s.catalogFor(r.Context(), enteFrom(r.Context()))
	if err != nil {
		return nil, nil, err
	}
	return s.definitionIn(cat, slug)
}

func (s *Server) definitionIn(cat *catalog.Catalog, slug string) (*catalog.Service, *form.Definition, error) {
	svc, err := cat.Get(slug)
	if err != nil {
		return nil, nil, err
	}
	d, ok := s.forms[slug]
	if !ok || !svc.Online() || !svc.Active {
		return nil, nil, apperr.Errorf(apperr.NotFound, "service %q has no online form", slug)
	}
	return svc, d, nil
}

// filedForm is the form p's answers were given under: the current one for
// a draft or when the versions agree, else the archived version p was
// filed with. false when no form of that version exists any more (then the
// current form is returned, the best there is).
func (s *Server) filedForm(p *pratica.Pratica) (*form.Definition, bool) {
	cur, ok := s.forms[p.Service]
	if !ok {
		return nil, false
	}
	if p.State == pratica.Draft || p.FormVersion == cur.Version {
		return cur, true
	}
	if d, ok := s.formArchive[p.Service][p.FormVersion]; ok {
		return d, true
	}
	return cur, false
}

// t is the translator the form package takes, in the request's language.
func (s *Server) t(r *http.Request) func(string, ...any) string {
	lang := langFrom(r.Context())
	return func(key string, args ...any) string { return s.text.T(lang, key, args...) }
}

// serviceStart is the first step, the privacy notice, before any draft.
func (s *Server) serviceStart(w http.ResponseWriter, r *http.Request) error {
	svc, d, err := s.enteDefinition(r, r.PathValue("service"))
	if err != nil {
		return err
	}
	return s.renderPrivacy(w, r, http.StatusOK, svc, d, "")
}

func (s *Server) renderPrivacy(w http.ResponseWriter, r *http.Request, status int, svc *catalog.Service, d *form.Definition, problem string) error {
	p := stepPage{basePage: s.base(r, ""), Service: svc, Step: "privacy", Problem: problem,
		Action: "/area-personale/richiesta/" + svc.Slug, NextText: s.t(r)(form.KeyActionNext)}
	p.Title = svc.Title
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}, {p.T("nav.services"), "/servizi"}, {svc.Title, "/servizi/" + svc.Slug}}
	p.Steps = form.Steps{Flow: d.Steps(), Current: form.StepPrivacy, Reached: form.StepPrivacy}.View(s.t(r), func(form.Step) string { return "" })
	return s.render(w, r, status, "citizen/pratica-step", &p)
}

// serviceCreate records the consent and starts the draft.
func (s *Server) serviceCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	svc, d, err := s.enteDefinition(r, r.PathValue("service"))
	if err != nil {
		return err
	}
	if r.PostFormValue("privacy") != "1" {
		return s.renderPrivacy(w, r, http.StatusUnprocessableEntity, svc, d, s.t(r)("pratica.privacy.required"))
	}
	office, err := tenant.GetOffice(ctx, s.db, e.ID, svc.Office)
	if err != nil {
		return fmt.Errorf("service %s: office %q: %w", svc.Slug, svc.Office, err)
	}
	c := pr.Citizen
	answers := d.Prefill(form.Profile{GivenName: c.GivenName, FamilyName: c.FamilyName, FiscalCode: c.FiscalCode,
		Email: c.Email, Phone: c.Phone})
	raw, err := json.Marshal(answers)
	if err != nil {
		return err
	}
	now := s.now()
	var p *pratica.Pratica
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		p, err = pratica.CreateDraft(ctx, tx, e.ID, pratica.DraftInput{
			Service: svc.Slug, ServiceVersion: svc.Version, FormVersion: d.Version, Title: svc.Title, Citizen: c.ID,
			FiledBy: identity.CitizenSubject(c.ID), Office: office.ID, Fee: svc.FeeCents,
			Term: pratica.Term{Days: svc.TermDays, Working: svc.TermWorkingDays, SilentAssent: svc.SilentAssent},
		}, now)
		if err != nil {
			return err
		}
		return pratica.SaveDraft(ctx, tx, e.ID, p.ID, raw, nil, now)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, stepURL(p.ID, d.Steps()[1]), http.StatusSeeOther)
	return nil
}

// stepURL is the address of a draft's step in the personal area.
func stepURL(id pratica.ID, st form.Step) string {
	return "/area-personale/pratiche/" + strconv.FormatInt(int64(id), 10) + "/" + st.Slug()
}

// draftFiler is who fills in a draft's form pages: the citizen in their
// personal area, or a desk operator for the citizen in front of them (see
// desk_filing_form.go). The form engine, its pages and its checks are the
// same; the addresses, the breadcrumb, who is recorded as acting and what
// follows the sending differ.
type draftFiler struct {
	// base is where the draft's pages live: base + id + "/" + step.
	base string
	// actor is who is recorded as filling in and sending.
	actor identity.Subject
	// load returns the pratica this filer may work on; anything else is
	// NotFound, so that ids cannot be probed.
	load func(*http.Request) (*pratica.Pratica, error)
	// crumbs is the breadcrumb above the form.
	crumbs func(p *basePage, svc *catalog.Service) []crumb
	// sent is where the browser goes once the pratica is filed.
	sent func(id pratica.ID) string
	// submitted, when set, runs in the submission's transaction (the
	// desk's audit record).
	submitted func(r *http.Request, tx *sql.Tx, p *pratica.Pratica) error
}

// stepURL is the address of a draft's step for this filer.
func (f *draftFiler) stepURL(id pratica.ID, st form.Step) string {
	return f.base + strconv.FormatInt(int64(id), 10) + "/" + st.Slug()
}

// citizenFiler is the signed-in citizen filling in their own draft.
func (s *Server) citizenFiler(r *http.Request) *draftFiler {
	return &draftFiler{
		base:  "/area-personale/pratiche/",
		actor: identity.CitizenSubject(principalFrom(r.Context()).Citizen.ID),
		load:  s.ownPratica,
		crumbs: func(p *basePage, svc *catalog.Service) []crumb {
			return []crumb{{p.T("nav.home"), "/"}, {p.T("area.title"), "/area-personale"}, {svc.Title, "/servizi/" + svc.Slug}}
		},
		sent: func(id pratica.ID) string { return praticaURL(id) + "?inviata=1" },
	}
}

// ownPratica loads a pratica of the signed-in citizen: one held or filed by
// them; anything else is NotFound, so that ids cannot be probed.
func (s *Server) ownPratica(r *http.Request) (*pratica.Pratica, error) {
	ctx := r.Context()
	e := enteFrom(ctx)
	c := principalFrom(ctx).Citizen
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, apperr.New(apperr.NotFound, "")
	}
	p, err := pratica.Get(ctx, s.db, e.ID, pratica.ID(id))
	if err != nil {
		return nil, err
	}
	if p.Citizen != c.ID && p.FiledBy != identity.CitizenSubject(c.ID) {
		return nil, apperr.Errorf(apperr.NotFound, "pratica %d is not citizen %d's", id, c.ID)
	}
	return p, nil
}

// draftStep loads the filer's draft and the step named in the path.
func (s *Server) draftStep(r *http.Request, f *draftFiler) (*pratica.Pratica, *catalog.Service, *form.Definition, form.Step, form.Answers, error) {
	p, err := f.load(r)
	if err != nil {
		return nil, nil, nil, 0, nil, err
	}
	if p.State != pratica.Draft {
		return nil, nil, nil, 0, nil, apperr.Errorf(apperr.Conflict, "pratica %d is already %s", p.ID, p.State)
	}
	svc, d, err := s.enteDefinition(r, p.Service)
	if err != nil {
		return nil, nil, nil, 0, nil, err
	}
	st, ok := form.ParseStep(r.PathValue("step"))
	if !ok || st == form.StepPrivacy || st == form.StepSend || !slices.Contains(d.Steps(), st) {
		return nil, nil, nil, 0, nil, apperr.New(apperr.NotFound, "")
	}
	var a form.Answers
	if err := json.Unmarshal(p.Answers, &a); err != nil {
		return nil, nil, nil, 0, nil, fmt.Errorf("pratica %d: answers: %w", p.ID, err)
	}
	return p, svc, d, st, a, nil
}

// draftShow renders a data step or the summary of the citizen's draft.
func (s *Server) draftShow(w http.ResponseWriter, r *http.Request) error {
	return s.draftShowBy(w, r, s.citizenFiler(r))
}

// draftShowBy renders a data step or the summary of a draft for a filer.
func (s *Server) draftShowBy(w http.ResponseWriter, r *http.Request, f *draftFiler) error {
	p, svc, d, st, a, err := s.draftStep(r, f)
	if err != nil {
		return err
	}
	flash := ""
	if r.URL.Query().Get("salvato") == "1" {
		flash = s.t(r)("pratica.saved")
	}
	return s.renderStep(w, r, http.StatusOK, f, p, svc, d, st, a, nil, "", flash)
}

func (s *Server) renderStep(w http.ResponseWriter, r *http.Request, status int, f *draftFiler, p *pratica.Pratica, svc *catalog.Service,
	d *form.Definition, st form.Step, a form.Answers, errs form.Errors, problem, flash string) error {
	t := s.t(r)
	lang := string(langFrom(r.Context()))
	pg := stepPage{basePage: s.base(r, ""), Service: svc, Step: st.Slug(), Action: f.stepURL(p.ID, st),
		Problem: problem, Flash: flash, NextText: t(form.KeyActionNext), SaveText: t(form.KeyActionSave)}
	pg.Title = svc.Title
	pg.Breadcrumb = f.crumbs(&pg.basePage, svc)
	pg.Steps = form.Steps{Flow: d.Steps(), Current: st, Reached: st}.View(t, func(x form.Step) string {
		if x == form.StepPrivacy || x == form.StepSend {
			return ""
		}
		return f.stepURL(p.ID, x)
	})
	if st == form.StepSummary {
		pg.Summary = d.Summary(a, t, lang)
		for i := range pg.Summary {
			pg.Summary[i].EditURL = f.stepURL(p.ID, pg.Summary[i].Step)
		}
		pg.Token = randomToken(18)
		pg.Action = f.base + strconv.FormatInt(int64(p.ID), 10) + "/invio"
		pg.NextText = t("pratica.send")
	} else {
		pg.Form = d.ForStep(st).View(a, errs, t, lang)
	}
	return s.render(w, r, status, "citizen/pratica-step", &pg)
}

// draftSave reads a step's answers of the citizen's draft.
func (s *Server) draftSave(w http.ResponseWriter, r *http.Request) error {
	return s.draftSaveBy(w, r, s.citizenFiler(r))
}

// draftSaveBy reads a step's answers, saves them (autosave on every
// button), and moves on, or shows the errors next to the fields.
func (s *Server) draftSaveBy(w http.ResponseWriter, r *http.Request, f *draftFiler) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	p, svc, d, st, prior, err := s.draftStep(r, f)
	if err != nil {
		return err
	}
	if st == form.StepSummary {
		return apperr.New(apperr.NotFound, "")
	}
	// A step with a file field posts multipart/form-data; the files are
	// streamed to disk by the parser (32 MiB in memory at most), checked
	// and stored one by one below.
	if err := r.ParseMultipartForm(32 << 20); err != nil && err != http.ErrNotMultipart {
		return apperr.Errorf(apperr.Invalid, "step: %w", err)
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	now := s.now()
	today := calendar.DateOf(now.In(rome))
	step := d.ForStep(st)
	files, err := s.storeUploads(r, step, prior)
	if err != nil {
		return err
	}
	a, errs := step.Parse(form.Submission{Values: r.PostForm, Files: files, Prior: prior, Today: today})
	act := form.ReadAction(r.PostForm)
	if act.Kind == form.ActionAdd || act.Kind == form.ActionRemove || act.Kind == form.ActionRemoveFile {
		if a, err = d.Apply(a, act); err != nil {
			return err
		}
		errs = nil
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if err := pratica.SaveDraft(ctx, s.db, e.ID, p.ID, raw, uploads(d, a), now); err != nil {
		return err
	}
	switch {
	case act.Kind == form.ActionSave && r.Header.Get(autosaveHeader) == "1":
		// The page's script saved the draft in the background.
		w.WriteHeader(http.StatusNoContent)
		return nil
	case act.Kind == form.ActionSave:
		http.Redirect(w, r, f.stepURL(p.ID, st)+"?salvato=1", http.StatusSeeOther)
		return nil
	case act.Kind != form.ActionNext:
		return s.renderStep(w, r, http.StatusOK, f, p, svc, d, st, a, nil, "", "")
	case len(errs) > 0:
		return s.renderStep(w, r, http.StatusUnprocessableEntity, f, p, svc, d, st, a, errs, "", "")
	}
	flow := d.Steps()
	next := flow[slices.Index(flow, st)+1]
	http.Redirect(w, r, f.stepURL(p.ID, next), http.StatusSeeOther)
	return nil
}

// autosaveHeader marks the background save of a form step by the page's
// script (ui/static/js/sportello.js), answered with 204 instead of a page.
const autosaveHeader = "Sportello-Autosave"

// storeUploads stores the files posted to the step's file fields, each
// checked by its content against the field's rule, and returns every
// field's files after this request (those kept plus the new ones). A file
// the store refuses is passed on without a reference, with the type it
// claims, so that the form's own checks explain the refusal next to the
// field; nothing of it is kept.
func (s *Server) storeUploads(r *http.Request, step *form.Definition, prior form.Answers) (map[string][]form.FileInfo, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File) == 0 {
		return nil, nil
	}
	out := map[string][]form.FileInfo{}
	for name, headers := range r.MultipartForm.File {
		f, priorFiles, ok := step.FileField(name, prior)
		if !ok {
			continue // not a file field of this step: ignored
		}
		kept := slices.Clone(priorFiles)
		for _, fh := range headers {
			if fh.Size == 0 && fh.Filename == "" {
				continue // the browser's empty file input
			}
			if s.opt.Blobs == nil {
				return nil, apperr.New(apperr.Unavailable, "")
			}
			rd, err := fh.Open()
			if err != nil {
				return nil, err
			}
			stored, err := attachment.Store(r.Context(), s.opt.Blobs, rd, fh.Filename,
				attachment.Rule{Accept: f.File.Accept, MaxBytes: f.File.MaxBytes, MaxCount: f.File.MaxCount}, nil)
			rd.Close()
			var refused *attachment.Error
			switch {
			case errors.As(err, &refused):
				kept = append(kept, form.FileInfo{Name: attachment.SanitizeName(fh.Filename), Size: fh.Size, Type: "application/octet-stream"})
			case err != nil:
				return nil, err
			default:
				kept = append(kept, form.FileInfo{Name: stored.Name, Size: stored.Size, Type: stored.MIME, Ref: string(stored.SHA256)})
			}
		}
		out[name] = kept
	}
	return out, nil
}

// uploads lists the stored files of the answers' file fields, top-level
// and inside group items, which the pratica keeps as its attachments (the
// receipt lists their hashes).
func uploads(d *form.Definition, a form.Answers) []pratica.File {
	out := []pratica.File{}
	for _, f := range d.Uploads(a) {
		if f.Ref != "" {
			out = append(out, pratica.File{Field: f.Field, Name: f.Name, MIME: f.Type, Size: f.Size, SHA256: f.Ref})
		}
	}
	return out
}

// draftSubmit files the citizen's draft.
func (s *Server) draftSubmit(w http.ResponseWriter, r *http.Request) error {
	return s.draftSubmitBy(w, r, s.citizenFiler(r))
}

// draftSubmitBy files the draft: the whole form is validated again, then
// the pratica, its protocol number, its receipt and the e-mail to the
// citizen are stored in one transaction. The token makes a retried POST
// harmless. The filer is recorded as the actor; the applicant is always
// the pratica's citizen.
func (s *Server) draftSubmitBy(w http.ResponseWriter, r *http.Request, f *draftFiler) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	p, err := f.load(r)
	if err != nil {
		return err
	}
	token := r.PostFormValue("token")
	if p.State != pratica.Draft {
		// Already filed: a retried POST lands on the pratica.
		http.Redirect(w, r, f.sent(p.ID), http.StatusSeeOther)
		return nil
	}
	// The acknowledgement goes to whoever signed in to send it (the
	// holder, or their delegate); from the desk, to the holder.
	c := principalFrom(ctx).Citizen
	if c == nil {
		if c, err = identity.GetCitizen(ctx, s.db, e.ID, p.Citizen); err != nil {
			return err
		}
	}
	svc, d, err := s.enteDefinition(r, p.Service)
	if err != nil {
		return err
	}
	var a form.Answers
	if err := json.Unmarshal(p.Answers, &a); err != nil {
		return fmt.Errorf("pratica %d: answers: %w", p.ID, err)
	}
	now := s.now()
	today := calendar.DateOf(now.In(rome))
	if _, errs := d.Validate(a, today); len(errs) > 0 {
		// Show the first step with a mistake, with its own errors, so that
		// every link of the error summary lands on a field of the page.
		for _, st := range d.Steps() {
			if st == form.StepPrivacy || st == form.StepSummary || st == form.StepSend {
				continue
			}
			if _, stepErrs := d.ForStep(st).Validate(a, today); len(stepErrs) > 0 {
				return s.renderStep(w, r, http.StatusUnprocessableEntity, f, p, svc, d, st, a, stepErrs, s.t(r)("pratica.incomplete"), "")
			}
		}
		return s.renderStep(w, r, http.StatusUnprocessableEntity, f, p, svc, d, d.Steps()[1], a, errs, s.t(r)("pratica.incomplete"), "")
	}
	if s.opt.Blobs == nil {
		return apperr.New(apperr.Unavailable, "")
	}
	t := s.t(r)
	var summary []pratica.ReceiptLine
	for _, sec := range d.Summary(a, t, string(langFrom(ctx))) {
		for _, row := range sec.Rows {
			summary = append(summary, pratica.ReceiptLine{Label: row.Label, Value: summaryText(row)})
		}
	}
	cal, err := s.calendarFor(e)
	if err != nil {
		return err
	}
	in := pratica.SubmitInput{
		IdempotencyKey: "web:" + token, Actor: f.actor, Calendar: cal, EnteName: e.Name,
		EnteLines: letterheadLines(e), VerifyURL: s.origin(r) + "/area-personale/pratiche",
		Summary: summary, Jobs: s.opt.Jobs, FormVersion: d.Version,
	}
	var filed *pratica.Pratica
	// Concurrent submissions share one durable commit, each in its own
	// savepoint: the commit's fsync, not the work, bounds how many a
	// second SQLite takes.
	err = s.submits.Do(ctx, func(tx *sql.Tx) error {
		var err error
		if filed, err = pratica.Submit(ctx, tx, e.ID, p.ID, in, now); err != nil {
			return err
		}
		if s.opt.Payments != nil && filed.State == pratica.AwaitingPayment {
			// The fee's notice, numbered in the same transaction; a job
			// publishes it on pagoPA.
			if _, err := payment.ForPratica(ctx, tx, s.opt.Payments.Jobs, filed, now); err != nil {
				return err
			}
		}
		if f.submitted != nil {
			if err := f.submitted(r, tx, filed); err != nil {
				return err
			}
		}
		if s.opt.Jobs == nil || c.Email == "" || !c.EmailVerified {
			return nil
		}
		_, err = mail.Queue(ctx, tx, s.opt.Jobs, mail.Message{
			Ente: e.ID, To: c.Email, Kind: "pratica-received", Ref: "pratica:" + strconv.FormatInt(int64(filed.ID), 10),
			Subject: t("mail.pratica-received.subject", filed.ProtocolDisplay(), svc.Title),
			Text: t("mail.pratica-received.text", c.GivenName, svc.Title, filed.ProtocolDisplay(),
				filed.SubmittedAt.In(rome).Format("02/01/2006 15:04"), s.origin(r)+praticaURL(filed.ID), e.Name),
		}, now)
		return err
	})
	if err != nil {
		return err
	}
	// The submission is committed: the receipt is rendered now, outside
	// the database's write lock; if this fails, the job queued with the
	// submission renders it.
	if _, err := pratica.IssueReceiptGrouped(ctx, s.db, s.submits, s.opt.Blobs, RenderReceipt, e.ID, filed.ID, s.now()); err != nil {
		s.log.WarnContext(ctx, "receipt left to its job", "pratica", filed.ID, "err", err)
	}
	http.Redirect(w, r, f.sent(filed.ID), http.StatusSeeOther)
	return nil
}

// summaryText joins a summary row's value for the receipt.
func summaryText(row form.SummaryRow) string {
	switch {
	case len(row.Items) > 0:
		var parts []string
		for _, it := range row.Items {
			var cells []string
			for _, sub := range it.Rows {
				cells = append(cells, sub.Label+": "+summaryText(sub))
			}
			parts = append(parts, it.Title+" — "+strings.Join(cells, "; "))
		}
		return strings.Join(parts, "\n")
	case len(row.Lines) > 0:
		return strings.Join(row.Lines, "\n")
	}
	return row.Value
}

// ensureReceipt issues the receipt of a submitted pratica whose receipt is
// not there yet (its submitting request died after the commit and the job
// has not run): the citizen never sees a submission without it. A failure
// is logged; the page shows the pratica without the document, and the job
// retries.
func (s *Server) ensureReceipt(r *http.Request, p *pratica.Pratica) {
	if p.State == pratica.Draft || s.opt.Blobs == nil {
		return
	}
	for _, a := range p.Attachments {
		if a.Kind == pratica.Receipt {
			return
		}
	}
	a, err := pratica.IssueReceipt(r.Context(), s.db, s.opt.Blobs, RenderReceipt, p.Ente, p.ID, s.now())
	if err != nil {
		s.log.WarnContext(r.Context(), "receipt not issued", "pratica", p.ID, "err", err)
		return
	}
	p.Attachments = append(p.Attachments, *a)
}

// RenderReceipt is the ricevuta of a submission as internal/pdf lays it
// out: what pratica.IssueReceipt and its job render.
func RenderReceipt(d pratica.ReceiptData) ([]byte, error) {
	r := pdf.ReceiptData{
		Letterhead: pdf.Letterhead{Ente: d.EnteName, Lines: d.EnteLines},
		Service:    d.ServiceTitle, Pratica: "n. " + strconv.FormatInt(int64(d.Pratica), 10),
		Protocol: d.Protocol, RegisteredAt: d.RegisteredAt,
		FiledBy: pdf.Person{Name: d.CitizenName, FiscalCode: d.FiscalCode},
	}
	for _, l := range d.Summary {
		r.Summary = append(r.Summary, pdf.Field{Label: l.Label, Value: l.Value})
	}
	for _, f := range d.Attachments {
		r.Attachments = append(r.Attachments, pdf.Attachment{Name: f.Name, Size: f.Size, SHA256: f.SHA256})
	}
	r.Summary = append(r.Summary, pdf.Field{Label: "Impronta SHA-256 dell'istanza", Value: d.Digest})
	r.VerifyURL = d.VerifyURL
	return pdf.Receipt(r)
}

// letterheadLines are the lines under the ente's name on its documents.
func letterheadLines(e *tenant.Ente) []string {
	return []string{"Codice fiscale " + e.FiscalCode, e.PEC}
}

// praticaURL is the address of a pratica's page in the personal area.
func praticaURL(id pratica.ID) string {
	return "/area-personale/pratiche/" + strconv.FormatInt(int64(id), 10)
}
