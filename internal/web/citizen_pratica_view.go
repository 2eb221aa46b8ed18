package web

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/attachment"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/form"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pratica"
)

// praticheListPage is the Pratiche tab of the personal area.
type praticheListPage struct {
	basePage
	Tabs   []tab
	Rows   []praticaRow
	Drafts []praticaRow
}

// praticaRow is one pratica in a list.
type praticaRow struct {
	URL, Title, Protocol, State, Date, Due string
}

// praticheList shows the citizen's pratiche, drafts apart.
func (s *Server) praticheList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	c := principalFrom(ctx).Citizen
	p := praticheListPage{basePage: s.base(r, "area.tab.pratiche")}
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}, {p.T("area.title"), "/area-personale"}}
	p.Tabs = areaTabs(p.basePage, "/area-personale/pratiche")
	list, err := pratica.ListForCitizen(ctx, s.db, e.ID, c.ID, pratica.Filter{DelegateOn: calendar.DateOf(s.now().In(rome))})
	if err != nil {
		return err
	}
	for _, sm := range list {
		row := praticaRow{URL: praticaURL(sm.ID), Title: sm.Title, State: p.T("pratica.state." + string(sm.State)),
			Protocol: sm.ProtocolDisplay(), Date: formatTime(sm.UpdatedAt)}
		if !sm.Due.IsZero() {
			row.Due = sm.Due.In(rome).Format("02/01/2006")
		}
		if sm.State == pratica.Draft {
			p.Drafts = append(p.Drafts, row)
			continue
		}
		p.Rows = append(p.Rows, row)
	}
	return s.render(w, r, http.StatusOK, "citizen/pratiche", &p)
}

// praticaPage is one pratica for the citizen: state, next step, due date,
// timeline, documents, messages.
type praticaPage struct {
	basePage
	Pratica     *pratica.Pratica
	Flash       string
	State       string
	Next        string
	Due         string
	DueNote     string
	Protocol    string
	Summary     []form.SummarySection
	Documents   []documentRow
	Timeline    []timelineRow
	Messages    []messageRow
	CanWithdraw bool
	Integration bool
	// CanWrite shows the message form: the conversation opens once the
	// pratica is submitted and closes with it.
	CanWrite bool
	// Payments are the pratica's pagoPA notices (its fee).
	Payments []praticaPaymentRow
}

// documentRow is one downloadable file.
type documentRow struct {
	Name, URL, Kind, Size, SHA256 string
}

// timelineRow is one event of the pratica's life.
type timelineRow struct {
	When, What, Reason string
}

// messageRow is one message with the office.
type messageRow struct {
	When, From, Text string
}

// praticaShow is the pratica's page; a draft continues where it was.
func (s *Server) praticaShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	p, err := s.ownPratica(r)
	if err != nil {
		return err
	}
	if p.State == pratica.Draft {
		if _, d, err := s.definition(p.Service); err == nil {
			http.Redirect(w, r, stepURL(p.ID, d.Steps()[1]), http.StatusSeeOther)
			return nil
		}
	}
	s.ensureReceipt(r, p)
	pg := praticaPage{basePage: s.base(r, ""), Pratica: p, Protocol: p.ProtocolDisplay()}
	pg.Title = p.Title
	pg.Breadcrumb = []crumb{{pg.T("nav.home"), "/"}, {pg.T("area.title"), "/area-personale"}, {pg.T("area.tab.pratiche"), "/area-personale/pratiche"}}
	switch {
	case r.URL.Query().Get("inviata") == "1":
		pg.Flash = pg.T("pratica.sent", p.ProtocolDisplay())
	case r.URL.Query().Get("messaggio") == "1":
		pg.Flash = pg.T("pratica.message.sent")
	}
	pg.State = pg.T("pratica.state." + string(p.State))
	pg.Next = pg.T("pratica.next." + string(p.State))
	if !p.Due.IsZero() {
		pg.Due = p.Due.In(rome).Format("02/01/2006")
		if p.Term.SilentAssent {
			pg.DueNote = pg.T("pratica.due.silent-assent")
		}
	}
	pg.CanWithdraw = pratica.CanTransitionBy(p.State, pratica.Withdrawn, pratica.ActorCitizen)
	pg.Integration = p.State == pratica.IntegrationRequested
	pg.CanWrite = p.State != pratica.Draft && p.State != pratica.Withdrawn && p.State != pratica.Closed
	if p.Fee > 0 && p.State != pratica.Draft {
		pg.Payments = s.praticaPayments(r, e.ID, p.ID, principalFrom(ctx).Citizen.ID)
	}
	if d, ok := s.filedForm(p); d != nil {
		if !ok {
			s.log.WarnContext(ctx, "pratica shown with the current form", "pratica", p.ID, "form_version", p.FormVersion)
		}
		var a form.Answers
		if err := json.Unmarshal(p.Answers, &a); err == nil {
			pg.Summary = d.Summary(a, s.t(r), string(pg.Lang))
		}
	}
	for _, f := range p.Attachments {
		pg.Documents = append(pg.Documents, documentRow{Name: f.Name, Kind: pg.T("pratica.doc." + string(f.Kind)),
			URL: praticaURL(p.ID) + "/documenti/" + strconv.FormatInt(f.ID, 10), Size: attachment.SizeLabel(f.Size), SHA256: f.SHA256})
	}
	events, err := pratica.Events(ctx, s.db, e.ID, p.ID)
	if err != nil {
		return err
	}
	for _, ev := range events {
		what := pg.T("pratica.event." + string(ev.Kind))
		if ev.To != "" && ev.To != ev.From {
			what += ": " + pg.T("pratica.state."+string(ev.To))
		}
		pg.Timeline = append(pg.Timeline, timelineRow{When: formatTime(ev.At), What: what, Reason: ev.Reason})
	}
	msgs, err := pratica.Messages(ctx, s.db, e.ID, p.ID, false)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		from := pg.T("pratica.msg.office")
		if m.From.Kind == identity.SubjectCitizen {
			from = pg.T("pratica.msg.you")
		}
		pg.Messages = append(pg.Messages, messageRow{When: formatTime(m.At), From: from, Text: m.Text})
	}
	return s.render(w, r, http.StatusOK, "citizen/pratica", &pg)
}

// praticaDocument sends one of the pratica's files, always as a download.
func (s *Server) praticaDocument(w http.ResponseWriter, r *http.Request) error {
	p, err := s.ownPratica(r)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("doc"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "")
	}
	for _, f := range p.Attachments {
		if f.ID == id {
			return s.sendBlob(w, r, f)
		}
	}
	return apperr.Errorf(apperr.NotFound, "pratica %d has no document %d", p.ID, id)
}

// sendBlob sends one of a pratica's stored files as a download only
// (attachment.Serve: never rendered by the browser, whatever its bytes).
func (s *Server) sendBlob(w http.ResponseWriter, r *http.Request, a pratica.Attachment) error {
	if s.opt.Blobs == nil {
		return apperr.New(apperr.Unavailable, "")
	}
	return attachment.Serve(w, r, s.opt.Blobs, attachment.File{Name: a.Name, MIME: a.MIME, Size: a.Size, SHA256: blob.Key(a.SHA256)})
}

// praticaWithdraw withdraws a pratica the citizen filed, while the state
// table allows it.
func (s *Server) praticaWithdraw(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	c := principalFrom(ctx).Citizen
	p, err := s.ownPratica(r)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := pratica.Withdraw(ctx, tx, e.ID, p.ID, c.ID, r.PostFormValue("reason"), s.now())
		return err
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, praticaURL(p.ID), http.StatusSeeOther)
	return nil
}

// messageFiles is what a citizen may attach to a message or to the answer
// to an integration request.
var messageFiles = attachment.Rule{
	Accept:   []string{attachment.PDF, attachment.JPEG, attachment.PNG, attachment.P7M},
	MaxBytes: 20 << 20, MaxCount: 5,
}

// praticaMessage sends the office a message; while the office waits for an
// integration, the message (with its files) is the answer and the legal
// term resumes.
func (s *Server) praticaMessage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	c := principalFrom(ctx).Citizen
	p, err := s.ownPratica(r)
	if err != nil {
		return err
	}
	if err := r.ParseMultipartForm(32 << 20); err != nil && err != http.ErrNotMultipart {
		return apperr.Errorf(apperr.Invalid, "message: %w", err)
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	text := strings.TrimSpace(r.PostFormValue("text"))
	var files []pratica.File
	if r.MultipartForm != nil {
		headers := r.MultipartForm.File["files"]
		if err := messageFiles.CheckCount(len(headers)); err != nil {
			return err
		}
		for _, fh := range headers {
			if fh.Size == 0 && fh.Filename == "" {
				continue
			}
			if s.opt.Blobs == nil {
				return apperr.New(apperr.Unavailable, "")
			}
			rd, err := fh.Open()
			if err != nil {
				return err
			}
			f, err := attachment.Store(ctx, s.opt.Blobs, rd, fh.Filename, messageFiles, nil)
			rd.Close()
			if err != nil {
				return err
			}
			files = append(files, pratica.File{Field: "", Name: f.Name, MIME: f.MIME, Size: f.Size, SHA256: string(f.SHA256)})
		}
	}
	if text == "" && len(files) == 0 {
		return apperr.New(apperr.Invalid, s.text.T(langFrom(ctx), "pratica.message.empty"))
	}
	now := s.now()
	cal, err := s.calendarFor(e)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if p.State == pratica.IntegrationRequested {
			_, err := pratica.AnswerIntegration(ctx, tx, cal, e.ID, p.ID, c.ID, text, files, now)
			return err
		}
		_, err := pratica.AddMessage(ctx, tx, e.ID, p.ID, pratica.MessageInput{From: identity.CitizenSubject(c.ID), Text: text, Attachments: files}, now)
		return err
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, praticaURL(p.ID)+"?messaggio=1#messaggi", http.StatusSeeOther)
	return nil
}
