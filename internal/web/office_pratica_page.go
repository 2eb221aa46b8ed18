package web

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/attachment"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/form"
	"github.com/sportello/sportello/internal/i18n"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// officePratica loads the pratica named in the path for an operator who
// sees its office's queue and may do perm on it. A pratica of an office the
// operator does not see, a draft, or another ente's is NotFound, so that
// ids cannot be probed; one they see but may not act on this way is
// Forbidden.
func (s *Server) officePratica(r *http.Request, perm identity.Action) (*pratica.Pratica, error) {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		return nil, apperr.New(apperr.NotFound, "")
	}
	p, err := pratica.Get(ctx, s.db, e.ID, pratica.ID(n))
	if err != nil {
		return nil, err
	}
	res := praticaResource(e.ID, p)
	if p.State == pratica.Draft || !pr.Can(identity.ViewOfficeQueue, res) {
		return nil, apperr.Errorf(apperr.NotFound, "pratica %d: not in a queue of operator %d", n, pr.Operator.ID)
	}
	if !pr.Can(perm, res) {
		return nil, apperr.Errorf(apperr.Forbidden, "pratica %d: operator %d lacks %s", n, pr.Operator.ID, perm)
	}
	return p, nil
}

// officePraticaPage is a pratica as the office works on it.
type officePraticaPage struct {
	basePage
	Flash, Problem string
	Errors         []fieldError
	ID             int64
	Protocol       string
	Outcome        string
	Service        string
	State          string
	Citizen        string
	FiscalCode     string
	FiledBy        string
	Submitted      string
	Decided        string
	Due            string
	Term           string
	Badge          string
	BadgeClass     string
	Assignee       string
	Summary        []form.SummarySection
	// RawAnswers shows the answers as stored when the service's form is
	// no longer shipped.
	RawAnswers string
	Documents  []officeDocument
	Timeline   []officeEvent
	Messages   []officeMessage
	QueueURL   string
	Actions    officeActions
	Form       officeForm
}

// officeDocument is one file of the pratica, with its download link.
type officeDocument struct {
	Name, URL, Kind, Size, SHA256, When string
}

// officeEvent is one step of the pratica's history.
type officeEvent struct {
	When, Who, What, Reason string
}

// officeMessage is one message of the conversation, or an internal note.
type officeMessage struct {
	When, From, Text string
	Internal         bool
	Files            []officeDocument
}

// officeActions says which forms the page offers: those the state table
// and the operator's role both allow.
type officeActions struct {
	Take, Assign, Integrate, Note, Close bool
	// Decide offers the decision; Accept is false while an integration is
	// pending (the pratica can then only be rejected).
	Decide, Accept bool
	// DecideHeadOnly explains why a clerk sees no decision form.
	DecideHeadOnly bool
	// MarkPaid offers recording the fee as paid by hand, with a reason.
	MarkPaid  bool
	Assignees []choiceView
}

// officeForm holds what the operator typed when a form comes back with an
// error, and the errors by field.
type officeForm struct {
	Message, Note, Motivation, Outcome, Reason string
	PaymentReason                              string
	NoteVisible                                bool
	Err                                        map[string]string
}

// praticaOfficeShow is GET /ufficio/pratiche/{id}: the whole pratica for
// the office, audited as a view of the citizen's data.
func (s *Server) praticaOfficeShow(w http.ResponseWriter, r *http.Request) error {
	p, err := s.officePratica(r, identity.ViewOfficeQueue)
	if err != nil {
		return err
	}
	s.ensureReceipt(r, p)
	ctx := r.Context()
	e := enteFrom(ctx)
	err = s.auditAlone(r, audit.Event{Ente: e.ID, Actor: operatorActor(principalFrom(ctx).Operator.ID),
		Action: audit.ActionCitizenViewed, Subject: citizenSubject(p.Citizen), Outcome: audit.Success,
		Detail: praticaSubject(p.ID)})
	if err != nil {
		return err
	}
	pg := officePraticaPage{}
	pg.Form.Err = map[string]string{}
	if ok := r.URL.Query().Get("ok"); ok != "" && s.text.Has(langFrom(ctx), "bo.done."+ok) {
		pg.Flash = s.text.T(langFrom(ctx), "bo.done."+ok)
	}
	return s.renderOfficePratica(w, r, http.StatusOK, p, pg)
}

// renderOfficePratica fills the page of p around what pg already holds
// (flash, problem, form values and errors).
func (s *Server) renderOfficePratica(w http.ResponseWriter, r *http.Request, status int, p *pratica.Pratica, pg officePraticaPage) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	pg.basePage = s.base(r, "")
	cat, err := s.catalogFor(ctx, e)
	if err != nil {
		return err
	}
	pg.Title = serviceTitle(cat, p.Service, p.Title)
	pg.Breadcrumb = []crumb{{pg.T("office.title"), "/ufficio"}, {pg.T("bo.queue.title"), "/ufficio/pratiche?ufficio=" + strconv.FormatInt(p.Office, 10)}}
	pg.ID, pg.Protocol, pg.Outcome, pg.Service = int64(p.ID), p.ProtocolDisplay(), p.OutcomeDisplay(), pg.Title
	pg.State = pg.T("bo.state." + string(p.State))
	pg.QueueURL = "/ufficio/pratiche?ufficio=" + strconv.FormatInt(p.Office, 10)
	pg.Submitted, pg.Decided = formatTime(p.SubmittedAt), ""
	if !p.DecidedAt.IsZero() {
		pg.Decided = formatTime(p.DecidedAt)
	}
	today := calendar.DateOf(s.now().In(rome))
	if !p.Due.IsZero() {
		pg.Due = p.Due.In(rome).Format("02/01/2006")
	}
	pg.Term = termText(pg.basePage, p.Term)
	pg.Badge, pg.BadgeClass = termBadge(pg.basePage, p.TermStatus(today), p.Due, today)
	st, err := s.staff(ctx, e.ID)
	if err != nil {
		return err
	}
	ops := st.names
	pg.Assignee = ops[p.Assignee]
	c, err := identity.GetCitizen(ctx, s.db, e.ID, p.Citizen)
	if err != nil {
		return err
	}
	pg.Citizen, pg.FiscalCode = strings.TrimSpace(c.GivenName+" "+c.FamilyName), c.FiscalCode
	// The delegate who filed, if any, is the only other citizen who acts.
	delegate := pg.T("bo.who.delegate")
	if p.FiledBy.Kind == identity.SubjectCitizen && identity.CitizenID(p.FiledBy.ID) != p.Citizen {
		if d, err := identity.GetCitizen(ctx, s.db, e.ID, identity.CitizenID(p.FiledBy.ID)); err == nil {
			delegate = pg.T("bo.who.delegate-named", strings.TrimSpace(d.GivenName+" "+d.FamilyName))
		}
	}
	names := func(sub identity.Subject) string {
		switch {
		case sub.Kind == identity.SubjectOperator:
			return pg.T("bo.who.operator", ops[identity.OperatorID(sub.ID)])
		case identity.CitizenID(sub.ID) == p.Citizen:
			return pg.Citizen
		}
		return delegate
	}
	pg.FiledBy = names(p.FiledBy)
	s.fillAnswers(r, p, &pg)
	for _, a := range p.Attachments {
		if a.Message == 0 {
			pg.Documents = append(pg.Documents, officeDoc(pg.basePage, p.ID, a))
		}
	}
	events, err := pratica.Events(ctx, s.db, e.ID, p.ID)
	if err != nil {
		return err
	}
	for _, ev := range events {
		pg.Timeline = append(pg.Timeline, eventRow(pg.basePage, ev, ops, names))
	}
	msgs, err := pratica.Messages(ctx, s.db, e.ID, p.ID, true)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		om := officeMessage{When: formatTime(m.At), From: names(m.From), Text: m.Text, Internal: m.Internal}
		for _, a := range m.Attachments {
			om.Files = append(om.Files, officeDoc(pg.basePage, p.ID, a))
		}
		pg.Messages = append(pg.Messages, om)
	}
	res := praticaResource(e.ID, p)
	handle := pr.Can(identity.HandlePratica, res)
	op := pratica.ActorOperator
	pg.Actions = officeActions{
		Take:      handle && p.State == pratica.Submitted,
		Assign:    handle && (p.State == pratica.Submitted || p.State == pratica.InReview || p.State == pratica.IntegrationRequested),
		Integrate: handle && pratica.CanTransitionBy(p.State, pratica.IntegrationRequested, op),
		Note:      handle,
		Close:     handle && pratica.CanTransitionBy(p.State, pratica.Closed, op),
		Accept:    pratica.CanTransitionBy(p.State, pratica.Accepted, op),
	}
	decidable := pratica.CanTransitionBy(p.State, pratica.Rejected, op)
	pg.Actions.Decide = decidable && pr.Can(identity.DecidePratica, res)
	pg.Actions.DecideHeadOnly = decidable && !pg.Actions.Decide
	pg.Actions.MarkPaid = p.State == pratica.AwaitingPayment && pr.Can(identity.DecidePratica, res)
	if pg.Actions.Assign {
		pg.Actions.Assignees = st.assignees(e.ID, p.Office, p.Assignee)
	}
	for _, f := range []string{"message", "note", "outcome", "motivation", "operator", "reason", "payment"} {
		if msg := pg.Form.Err[f]; msg != "" {
			pg.Errors = append(pg.Errors, fieldError{Field: f, Message: msg})
		}
	}
	return s.render(w, r, status, "office/pratica", &pg)
}

// fillAnswers puts the answers on the page as the summary of the form they
// were filed under, or as the stored JSON when that version of the form is
// not shipped any more.
func (s *Server) fillAnswers(r *http.Request, p *pratica.Pratica, pg *officePraticaPage) {
	if d, ok := s.filedForm(p); ok {
		if a, err := answersOf(p); err == nil {
			pg.Summary = d.Summary(a, s.t(r), string(langFrom(r.Context())))
			return
		}
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, p.Answers, "", "  "); err != nil {
		pg.RawAnswers = string(p.Answers)
		return
	}
	pg.RawAnswers = buf.String()
}

// termText describes a legal term: "30 giorni", "20 giorni lavorativi, silenzio assenso".
func termText(p basePage, t pratica.Term) string {
	if t.Days == 0 {
		return p.T("bo.term.none")
	}
	key := "bo.term.days"
	if t.Working {
		key = "bo.term.working-days"
	}
	out := p.T(key, t.Days)
	if t.SilentAssent {
		out += ", " + p.T("bo.term.silent_assent")
	}
	return out
}

func officeDoc(p basePage, id pratica.ID, a pratica.Attachment) officeDocument {
	return officeDocument{Name: a.Name, Kind: p.T("bo.doc." + string(a.Kind)), Size: attachment.SizeLabel(a.Size),
		SHA256: a.SHA256, When: formatTime(a.CreatedAt),
		URL: officePraticaURL(id) + "/documenti/" + strconv.FormatInt(a.ID, 10)}
}

// eventRow writes one event of the timeline for the office: who did what,
// the state it led to, and the reason given.
func eventRow(p basePage, ev pratica.Event, ops map[identity.OperatorID]string, names func(identity.Subject) string) officeEvent {
	row := officeEvent{When: formatTime(ev.At), What: p.T("bo.event." + string(ev.Kind)), Reason: ev.Reason}
	switch ev.Actor.Kind {
	case pratica.ActorOperator:
		row.Who = names(identity.OperatorSubject(identity.OperatorID(ev.Actor.ID)))
	case pratica.ActorCitizen:
		row.Who = names(identity.CitizenSubject(identity.CitizenID(ev.Actor.ID)))
	default:
		row.Who = p.T("bo.who.system")
	}
	if ev.From != "" && ev.To != ev.From {
		row.What += " → " + p.T("bo.state."+string(ev.To))
	}
	if ev.Assignee != 0 {
		row.What += " (" + p.T("bo.event.assignee", ops[ev.Assignee]) + ")"
	}
	return row
}

// praticaDocumentOffice is GET /ufficio/pratiche/{id}/documenti/{doc}: a
// file of the pratica as a download, audited like the page.
func (s *Server) praticaDocumentOffice(w http.ResponseWriter, r *http.Request) error {
	p, err := s.officePratica(r, identity.ViewOfficeQueue)
	if err != nil {
		return err
	}
	doc, err := strconv.ParseInt(r.PathValue("doc"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "")
	}
	for _, a := range p.Attachments {
		if a.ID != doc {
			continue
		}
		ctx := r.Context()
		err := s.auditAlone(r, audit.Event{Ente: enteFrom(ctx).ID, Actor: operatorActor(principalFrom(ctx).Operator.ID),
			Action: audit.ActionCitizenViewed, Subject: citizenSubject(p.Citizen), Outcome: audit.Success,
			Detail: praticaSubject(p.ID) + " document " + strconv.FormatInt(a.ID, 10)})
		if err != nil {
			return err
		}
		return s.sendBlob(w, r, a)
	}
	return apperr.Errorf(apperr.NotFound, "pratica %d has no document %d", p.ID, doc)
}

// citizenContact returns the address to notify the holder of p at, when
// they confirmed one and e-mail is wired; "" otherwise.
func (s *Server) citizenContact(ctx context.Context, q *sql.Tx, e tenant.ID, p *pratica.Pratica) (*identity.Citizen, error) {
	if s.opt.Jobs == nil {
		return nil, nil
	}
	c, err := identity.GetCitizen(ctx, q, e, p.Citizen)
	if err != nil || c.Email == "" || !c.EmailVerified {
		return nil, err
	}
	return c, nil
}

// mailText is a notification's text, always in Italian: the citizen's
// language is not known outside their session.
func (s *Server) mailText(key string, args ...any) string { return s.text.T(i18n.IT, key, args...) }
