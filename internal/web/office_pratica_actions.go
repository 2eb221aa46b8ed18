package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/logging"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/pdf"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// officeAction is one thing an operator does to a pratica from its page:
// the permission it needs on the pratica's office, the form field an
// invalid input belongs to, and the change itself, which returns what the
// audit row records.
type officeAction struct {
	perm  identity.Action
	field string
	run   func(s *Server, c *actionCall) (audit.Action, string, error)
}

// actionCall is what an action works with: the request, the transaction,
// the pratica as loaded before it, and the clock.
type actionCall struct {
	ctx context.Context
	r   *http.Request
	tx  *sql.Tx
	e   *tenant.Ente
	me  identity.OperatorID
	p   *pratica.Pratica
	now time.Time
}

// officeActionsBySlug are the actions by the last segment of their route.
var officeActionsBySlug = map[string]officeAction{
	"presa-in-carico": {identity.HandlePratica, "", (*Server).takeInCharge},
	"assegna":         {identity.HandlePratica, "operator", (*Server).assign},
	"integrazione":    {identity.HandlePratica, "message", (*Server).requestIntegration},
	"nota":            {identity.HandlePratica, "note", (*Server).addNote},
	"esito":           {identity.DecidePratica, "motivation", (*Server).decide},
	"chiusura":        {identity.HandlePratica, "reason", (*Server).closePratica},
	"pagamento":       {identity.DecidePratica, "payment", (*Server).markFeePaid},
}

// praticaAct is the handler of POST /ufficio/pratiche/{id}/<slug>. The
// change and its audit row commit together; then the page is shown again
// with a flash (after a redirect), or at once with the error next to its
// field, or with the reason the state no longer allows it.
func (s *Server) praticaAct(slug string) handlerFunc {
	act, ok := officeActionsBySlug[slug]
	if !ok {
		panic("web: no office action " + slug)
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.officePratica(r, act.perm)
		if err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return apperr.Errorf(apperr.Invalid, "%s: %w", slug, err)
		}
		ctx := r.Context()
		c := &actionCall{ctx: ctx, r: r, e: enteFrom(ctx), me: principalFrom(ctx).Operator.ID, p: p, now: s.now()}
		err = s.db.InTx(ctx, func(tx *sql.Tx) error {
			c.tx = tx
			what, detail, err := act.run(s, c)
			if err != nil || what == "" {
				// An action that returns no audit action recorded its own
				// row (the payment override, which its package audits).
				return err
			}
			return s.audit(ctx, tx, r, audit.Event{Ente: c.e.ID, Actor: operatorActor(c.me), Action: what,
				Subject: praticaSubject(p.ID), Outcome: audit.Success, Detail: detail}, c.now)
		})
		if err == nil {
			http.Redirect(w, r, officePraticaURL(p.ID)+"?ok="+slug, http.StatusSeeOther)
			return nil
		}
		pg := officePraticaPage{Form: officeForm{Err: map[string]string{}, Message: r.PostForm.Get("testo"),
			Note: r.PostForm.Get("nota"), NoteVisible: r.PostForm.Get("visibile") == "1",
			Motivation: r.PostForm.Get("motivazione"), Outcome: r.PostForm.Get("esito"), Reason: r.PostForm.Get("motivo"),
			PaymentReason: r.PostForm.Get("motivo_pagamento")}}
		lang := langFrom(ctx)
		switch kind := apperr.KindOf(err); {
		case kind == apperr.Invalid && act.field != "":
			pg.Form.Err[act.field] = s.text.T(lang, "bo.error."+act.field)
			return s.renderOfficePratica(w, r, http.StatusUnprocessableEntity, p, pg)
		case kind == apperr.Conflict || kind == apperr.Forbidden:
			pg.Problem = apperr.PublicOf(err)
			if pg.Problem == "" {
				pg.Problem = s.text.T(lang, "bo.error.state")
			}
			return s.renderOfficePratica(w, r, statusOf(kind), p, pg)
		}
		return err
	}
}

// markFeePaid records by hand that the fee of a pratica awaiting payment
// was paid (a transfer seen on the treasury account, a receipt on paper):
// only with a reason, which payment.Override writes to the audit log. The
// pratica moves on as if the receipt had come.
func (s *Server) markFeePaid(c *actionCall) (audit.Action, string, error) {
	if c.p.State != pratica.AwaitingPayment {
		return "", "", apperr.Errorf(apperr.Conflict, "pratica %d is %s", c.p.ID, c.p.State)
	}
	pays, err := payment.ForPraticaList(c.ctx, c.tx, c.e.ID, c.p.ID)
	if err != nil {
		return "", "", err
	}
	var target *payment.Payment
	for _, p := range pays {
		if p.Payable() && (target == nil || p.Option < target.Option) {
			target = p
		}
	}
	if target == nil {
		return "", "", apperr.Errorf(apperr.Conflict, "pratica %d has no payable notice", c.p.ID)
	}
	cal, err := s.calendarFor(c.e)
	if err != nil {
		return "", "", err
	}
	op := principalFrom(c.ctx).Operator
	_, err = payment.Override(c.ctx, c.tx, cal, c.e.ID, target.ID, payment.OverrideInput{Operator: c.me, OperatorName: op.Name,
		Reason: c.r.PostForm.Get("motivo_pagamento"), RequestID: logging.RequestID(c.ctx), IP: s.clientIP(c.r)}, c.now)
	return "", "", err
}

// takeInCharge: the operator takes the pratica (presa in carico).
func (s *Server) takeInCharge(c *actionCall) (audit.Action, string, error) {
	_, err := pratica.TakeInCharge(c.ctx, c.tx, c.e.ID, c.p.ID, c.me, c.now)
	return auditTakenInCharge, "", err
}

// assign gives the pratica to a colleague who works on its office.
func (s *Server) assign(c *actionCall) (audit.Action, string, error) {
	to, err := s.assignee(c.ctx, c.e, c.p.Office, c.r.PostForm.Get("operatore"))
	if err != nil {
		return "", "", err
	}
	_, err = pratica.Assign(c.ctx, c.tx, c.e.ID, c.p.ID, c.me, to, c.now)
	return auditAssigned, "to " + operatorSubject(to), err
}

// requestIntegration asks the citizen for documents; the term stops, and
// the citizen is told by e-mail when they confirmed an address.
func (s *Server) requestIntegration(c *actionCall) (audit.Action, string, error) {
	text := strings.TrimSpace(c.r.PostForm.Get("testo"))
	cal, err := s.calendarFor(c.e)
	if err != nil {
		return "", "", err
	}
	if _, err := pratica.RequestIntegration(c.ctx, c.tx, cal, c.e.ID, c.p.ID, c.me, text, c.now); err != nil {
		return "", "", err
	}
	return auditIntegrationAsk, "", s.notify(c, "integration", "bo.mail.integration")
}

// addNote adds an internal note, or a message the citizen sees (and is
// told of by e-mail).
func (s *Server) addNote(c *actionCall) (audit.Action, string, error) {
	visible := c.r.PostForm.Get("visibile") == "1"
	in := pratica.MessageInput{From: identity.OperatorSubject(c.me), Internal: !visible, Text: c.r.PostForm.Get("nota")}
	if _, err := pratica.AddMessage(c.ctx, c.tx, c.e.ID, c.p.ID, in, c.now); err != nil {
		return "", "", err
	}
	if !visible {
		return auditMessageAdded, "internal note", nil
	}
	return auditMessageAdded, "message to the citizen", s.notify(c, "message", "bo.mail.message")
}

// decide concludes the pratica with the motivation: pratica.Decide renders
// the outcome letter, registers it as an outgoing protocol entry and stores
// it; the citizen's e-mail goes out with the same transaction.
func (s *Server) decide(c *actionCall) (audit.Action, string, error) {
	var accepted bool
	switch c.r.PostForm.Get("esito") {
	case "accolta":
		accepted = true
	case "respinta":
	default:
		return "", "", apperr.Errorf(apperr.Invalid, "decide: no outcome chosen")
	}
	if s.opt.Blobs == nil {
		return "", "", apperr.New(apperr.Unavailable, "")
	}
	cal, err := s.calendarFor(c.e)
	if err != nil {
		return "", "", err
	}
	in := pratica.DecideInput{Accepted: accepted, Motivation: c.r.PostForm.Get("motivazione"),
		Letter: outcomeLetter(c.e, officeByID(c.e, c.p.Office).Name), Blobs: s.opt.Blobs, Calendar: cal, EnteName: c.e.Name}
	cit, err := s.citizenContact(c.ctx, c.tx, c.e.ID, c.p)
	if err != nil {
		return "", "", err
	}
	if cit != nil {
		m, err := s.praticaMail(c, cit, "decided", "bo.mail.decided")
		if err != nil {
			return "", "", err
		}
		in.Jobs, in.Mail = s.opt.Jobs, &m
	}
	detail := "rejected"
	if accepted {
		detail = "accepted"
	}
	_, err = pratica.Decide(c.ctx, c.tx, c.e.ID, c.p.ID, c.me, in, c.now)
	return auditDecided, detail, err
}

// closePratica archives a decided or withdrawn pratica, or one whose fee
// was never paid.
func (s *Server) closePratica(c *actionCall) (audit.Action, string, error) {
	_, err := pratica.Close(c.ctx, c.tx, c.e.ID, c.p.ID, pratica.OperatorActor(c.me), c.r.PostForm.Get("motivo"), c.now)
	return auditClosed, "", err
}

// notify queues the e-mail that tells the citizen something happened to
// their pratica, when they confirmed an address.
func (s *Server) notify(c *actionCall, kind, key string) error {
	cit, err := s.citizenContact(c.ctx, c.tx, c.e.ID, c.p)
	if err != nil || cit == nil {
		return err
	}
	m, err := s.praticaMail(c, cit, kind, key)
	if err == nil {
		_, err = mail.Queue(c.ctx, c.tx, s.opt.Jobs, m, c.now)
	}
	return err
}

// praticaMail is a notification about the pratica: it names the request
// and points to the personal area, where the citizen reads the details (an
// e-mail carries no motivation or message text, which may be personal).
func (s *Server) praticaMail(c *actionCall, cit *identity.Citizen, kind, key string) (mail.Message, error) {
	cat, err := s.catalogFor(c.ctx, c.e)
	if err != nil {
		return mail.Message{}, err
	}
	title := serviceTitle(cat, c.p.Service, c.p.Title)
	return mail.Message{Ente: c.e.ID, To: cit.Email, Kind: "pratica-" + kind, Ref: praticaSubject(c.p.ID),
		Subject: s.mailText(key+".subject", c.p.ProtocolDisplay(), title),
		Text: s.mailText(key+".text", cit.GivenName, title, c.p.ProtocolDisplay(),
			s.origin(c.r)+praticaURL(c.p.ID), c.e.Name)}, nil
}

// letterSignerRole is who signs an outcome letter: only heads decide.
const letterSignerRole = "Il responsabile del procedimento"

// letterProtocol stands where the letter's own outgoing number would go:
// the number depends on the letter's hash, so it is given by the protocol
// stamp (segnatura) beside the document, as Italian offices write it.
const letterProtocol = "come da segnatura"

// outcomeLetter adapts internal/pdf's outcome letter to what pratica.Decide
// hands over.
func outcomeLetter(e *tenant.Ente, office string) func(pratica.LetterData) ([]byte, error) {
	return func(d pratica.LetterData) ([]byte, error) {
		outcome := pdf.OutcomeRejected
		if d.Accepted {
			outcome = pdf.OutcomeAccepted
		}
		lines := []string{office, "Codice fiscale " + e.FiscalCode}
		if e.PEC != "" {
			lines = append(lines, "PEC "+e.PEC)
		}
		return pdf.OutcomeLetter(pdf.LetterData{
			Letterhead: pdf.Letterhead{Ente: d.EnteName, Lines: lines},
			Protocol:   letterProtocol, Date: d.DecidedAt,
			Recipient: pdf.Person{Name: d.CitizenName, FiscalCode: d.FiscalCode},
			Service:   d.ServiceTitle, Pratica: "n. " + strconv.FormatInt(int64(d.Pratica), 10),
			RequestProtocol: d.Protocol, RequestDate: d.SubmittedAt, Outcome: outcome,
			Motivation: paragraphs(d.Motivation), Signer: d.OperatorName, SignerRole: letterSignerRole,
		})
	}
}

// maxBulk bounds the pratiche of one bulk action: a page of the queue.
const maxBulk = 500

// queueBulk is POST /ufficio/pratiche/azioni: take in charge, or assign,
// every selected pratica. Each is checked and changed on its own, in its own
// transaction, so that one pratica that moved meanwhile does not stop the
// others; the page then says how many were done and how many refused.
func (s *Server) queueBulk(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	if _, err := requireQueue(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "bulk: %w", err)
	}
	back, err := url.ParseQuery(r.PostForm.Get("filtri"))
	if err != nil {
		return apperr.Errorf(apperr.Invalid, "bulk: filters: %w", err)
	}
	q, err := parseQueueParams(back)
	if err != nil {
		return err
	}
	ids := r.PostForm["id"]
	if len(ids) == 0 || len(ids) > maxBulk {
		return apperr.Errorf(apperr.Invalid, "bulk: %d pratiche selected", len(ids))
	}
	action := r.PostForm.Get("azione")
	if action != "prendi" && action != "assegna" {
		return apperr.Errorf(apperr.Invalid, "bulk: unknown action %q", action)
	}
	me := pr.Operator.ID
	now := s.now()
	done, refused := 0, 0
	for _, raw := range ids {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n <= 0 {
			refused++
			continue
		}
		id := pratica.ID(n)
		p, err := pratica.Get(ctx, s.db, e.ID, id)
		if apperr.Is(err, apperr.NotFound) {
			refused++
			continue
		}
		if err != nil {
			return err
		}
		if p.State == pratica.Draft || !pr.Can(identity.HandlePratica, praticaResource(e.ID, p)) {
			refused++
			continue
		}
		to := me
		if action == "assegna" {
			if to, err = s.assignee(ctx, e, p.Office, r.PostForm.Get("operatore")); err != nil {
				refused++
				continue
			}
		}
		err = s.db.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			act, detail := auditTakenInCharge, "bulk"
			if action == "prendi" {
				_, err = pratica.TakeInCharge(ctx, tx, e.ID, id, me, now)
			} else {
				_, err = pratica.Assign(ctx, tx, e.ID, id, me, to, now)
				act, detail = auditAssigned, "bulk, to "+operatorSubject(to)
			}
			if err != nil {
				return err
			}
			return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: operatorActor(me), Action: act,
				Subject: praticaSubject(id), Outcome: audit.Success, Detail: detail}, now)
		})
		switch kind := apperr.KindOf(err); {
		case err == nil:
			done++
		case kind == apperr.Conflict || kind == apperr.Forbidden || kind == apperr.Invalid || kind == apperr.NotFound:
			refused++
		default:
			return err
		}
	}
	v := q.values(false)
	v.Set("ok", "bulk")
	v.Set("fatte", strconv.Itoa(done))
	v.Set("rifiutate", strconv.Itoa(refused))
	http.Redirect(w, r, "/ufficio/pratiche?"+v.Encode(), http.StatusSeeOther)
	return nil
}
