package web

import (
	"database/sql"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/desk"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/pratica"
)

// deskFiler is the desk operator filling in, with the citizen in front of
// them, a draft they filed on the citizen's behalf: the citizen's own form
// pages under /sportello, sent through the same submission, with the
// operator recorded as the actor and the citizen as the applicant.
func (s *Server) deskFiler(r *http.Request) *draftFiler {
	op := principalFrom(r.Context()).Operator.ID
	return &draftFiler{
		base:  "/sportello/pratiche/",
		actor: identity.OperatorSubject(op),
		load: func(r *http.Request) (*pratica.Pratica, error) {
			p, _, err := s.deskFiledPratica(r)
			return p, err
		},
		crumbs: func(p *basePage, _ *catalog.Service) []crumb {
			return []crumb{{p.T("office.title"), "/ufficio"}, {p.T("desk.console.title"), "/sportello"},
				{p.T("desk.filing.title"), "/sportello/pratiche/nuova"}}
		},
		sent: func(id pratica.ID) string { return deskPraticaURL(id) + "?inviata=1" },
		submitted: func(r *http.Request, tx *sql.Tx, p *pratica.Pratica) error {
			return s.audit(r.Context(), tx, r, audit.Event{Ente: p.Ente, Actor: operatorActor(op), Action: "pratica.submitted_on_behalf",
				Subject: praticaSubject(p.ID), Outcome: audit.Success, Detail: "applicant " + citizenSubject(p.Citizen)}, s.now())
		},
	}
}

// deskPraticaURL is the desk's page of a pratica filed on behalf.
func deskPraticaURL(id pratica.ID) string {
	return "/sportello/pratiche/" + strconv.FormatInt(int64(id), 10)
}

// deskFiledPratica loads the pratica of the path that the signed-in
// operator filed on a citizen's behalf and may still work on (see
// desk.Filing.SendableBy); others' filings are NotFound, a phone filing
// or one of another day is refused with the reason.
func (s *Server) deskFiledPratica(r *http.Request) (*pratica.Pratica, *desk.Filing, error) {
	ctx := r.Context()
	e := enteFrom(ctx)
	op := principalFrom(ctx).Operator.ID
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, nil, apperr.New(apperr.NotFound, "")
	}
	f, err := desk.FilingOf(ctx, s.db, e.ID, id)
	if err != nil {
		return nil, nil, err
	}
	if f.Operator != op {
		return nil, nil, apperr.Errorf(apperr.NotFound, "pratica %d was filed by operator %d", id, f.Operator)
	}
	if !f.SendableBy(op, s.now()) {
		return nil, nil, &apperr.Error{Kind: apperr.Forbidden, Public: s.t(r)("desk.filed.not-sendable"),
			Err: fmt.Errorf("pratica %d: filing by %s on %s", id, f.Mode, f.CreatedAt.Format(time.DateOnly))}
	}
	p, err := pratica.Get(ctx, s.db, e.ID, pratica.ID(id))
	if err != nil {
		return nil, nil, err
	}
	return p, f, nil
}

// deskDraftShow is a step of a draft filed at the desk.
func (s *Server) deskDraftShow(w http.ResponseWriter, r *http.Request) error {
	return s.draftShowBy(w, r, s.deskFiler(r))
}

// deskDraftSave saves a step of a draft filed at the desk.
func (s *Server) deskDraftSave(w http.ResponseWriter, r *http.Request) error {
	return s.draftSaveBy(w, r, s.deskFiler(r))
}

// deskDraftSubmit sends a draft filed at the desk, for the citizen.
func (s *Server) deskDraftSubmit(w http.ResponseWriter, r *http.Request) error {
	return s.draftSubmitBy(w, r, s.deskFiler(r))
}

// deskFiledPage is the desk's page of a request sent for a citizen: the
// protocol, the receipt to print or e-mail.
type deskFiledPage struct {
	basePage
	Pratica  *pratica.Pratica
	Protocol string
	Citizen  string
	// Receipt is the receipt's download, "" while it is being issued.
	Receipt string
	Email   string
	Errors  []fieldError
	Flash   string
}

// deskFiledShow is the page of a request filed at the desk: a draft
// continues at its first step; a sent one offers its receipt.
func (s *Server) deskFiledShow(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.deskFiledPratica(r)
	if err != nil {
		return err
	}
	if p.State == pratica.Draft {
		if _, d, err := s.enteDefinition(r, p.Service); err == nil {
			http.Redirect(w, r, s.deskFiler(r).stepURL(p.ID, d.Steps()[1]), http.StatusSeeOther)
			return nil
		}
	}
	pg, err := s.deskFiledPage(r, p)
	if err != nil {
		return err
	}
	switch {
	case r.URL.Query().Get("inviata") == "1":
		pg.Flash = pg.T("desk.filed.sent")
	case r.URL.Query().Get("email") == "1":
		pg.Flash = pg.T("desk.filed.mailed")
	}
	return s.render(w, r, http.StatusOK, "desk/filed", pg)
}

func (s *Server) deskFiledPage(r *http.Request, p *pratica.Pratica) (*deskFiledPage, error) {
	c, err := identity.GetCitizen(r.Context(), s.db, p.Ente, p.Citizen)
	if err != nil {
		return nil, err
	}
	s.ensureReceipt(r, p)
	pg := &deskFiledPage{basePage: s.base(r, ""), Pratica: p, Protocol: p.ProtocolDisplay(),
		Citizen: c.GivenName + " " + c.FamilyName, Email: c.Email}
	pg.Title = p.Title
	pg.Breadcrumb = []crumb{{pg.T("office.title"), "/ufficio"}, {pg.T("desk.console.title"), "/sportello"}}
	if _, ok := receiptOf(p); ok {
		pg.Receipt = deskPraticaURL(p.ID) + "/ricevuta"
	}
	return pg, nil
}

// receiptOf returns the pratica's receipt, if issued.
func receiptOf(p *pratica.Pratica) (pratica.Attachment, bool) {
	for _, a := range p.Attachments {
		if a.Kind == pratica.Receipt {
			return a, true
		}
	}
	return pratica.Attachment{}, false
}

// deskReceiptPrint sends the receipt of a request filed at the desk, to
// print for the citizen; audited.
func (s *Server) deskReceiptPrint(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.deskFiledPratica(r)
	if err != nil {
		return err
	}
	s.ensureReceipt(r, p)
	a, ok := receiptOf(p)
	if !ok {
		return apperr.Errorf(apperr.NotFound, "pratica %d has no receipt", p.ID)
	}
	err = s.auditAlone(r, audit.Event{Ente: p.Ente, Actor: operatorActor(principalFrom(r.Context()).Operator.ID),
		Action: "pratica.receipt_printed", Subject: praticaSubject(p.ID), Outcome: audit.Success})
	if err != nil {
		return err
	}
	return s.sendBlob(w, r, a)
}

// deskReceiptMail e-mails the receipt's particulars to the citizen, with
// the way to download the PDF from their personal area; the address is
// the one on record or the one the citizen dictates. Audited.
func (s *Server) deskReceiptMail(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	p, _, err := s.deskFiledPratica(r)
	if err != nil {
		return err
	}
	if p.State == pratica.Draft {
		return apperr.Errorf(apperr.Conflict, "pratica %d is a draft", p.ID)
	}
	pg, err := s.deskFiledPage(r, p)
	if err != nil {
		return err
	}
	to := r.PostFormValue("email")
	if err := mail.ValidateAddress(to); err != nil {
		pg.Email = to
		pg.Errors = []fieldError{{Field: "email", Message: pg.T("desk.filed.error.email")}}
		return s.render(w, r, http.StatusUnprocessableEntity, "desk/filed", pg)
	}
	if s.opt.Jobs == nil {
		return apperr.New(apperr.Unavailable, "")
	}
	detail := "to the citizen's address"
	if to != pg.Email {
		detail = "to an address given at the desk"
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := mail.Queue(ctx, tx, s.opt.Jobs, mail.Message{Ente: e.ID, To: to, Kind: "desk-receipt", Ref: praticaSubject(p.ID),
			Subject: s.mailText("mail.desk.receipt.subject", p.ProtocolDisplay(), p.Title),
			Text: s.mailText("mail.desk.receipt.text", pg.Citizen, p.Title, p.ProtocolDisplay(),
				p.SubmittedAt.In(rome).Format("02/01/2006 15:04"), s.origin(r)+praticaURL(p.ID), e.Name)}, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: operatorActor(principalFrom(ctx).Operator.ID), Action: "pratica.receipt_mailed",
			Subject: praticaSubject(p.ID), Outcome: audit.Success, Detail: detail}, now)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, deskPraticaURL(p.ID)+"?email=1", http.StatusSeeOther)
	return nil
}
