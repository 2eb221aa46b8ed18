package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/identity"
)

// deskCertificatePage is the counter's form: the holder by codice fiscale
// (residence and family status of anyone, DPR 223/1989 art. 33; the other
// types for the holder or their household), who asked and why, the stamp.
type deskCertificatePage struct {
	basePage
	Form struct {
		HolderCF, Requester, RequesterCF, Reason, StampID, ExemptText string
		Force                                                         bool
	}
	Types      []choiceView
	Exemptions []choiceView
	Problem    string
	Issued     *certView
}

func (s *Server) deskCertificatePage(r *http.Request) *deskCertificatePage {
	p := &deskCertificatePage{basePage: s.base(r, "cert.desk.title")}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}}
	return p
}

// deskCertificateShow is the empty form.
func (s *Server) deskCertificateShow(w http.ResponseWriter, r *http.Request) error {
	p := s.deskCertificatePage(r)
	p.Types = certTypeChoices(p.basePage, certificate.Types(), certificate.Kinds{certificate.Residence})
	p.Exemptions = exemptionChoices(p.basePage, 0)
	return s.render(w, r, http.StatusOK, "desk/certificati", p)
}

// deskCertificateIssue issues a certificate at the counter and shows the
// link to print it; the operator, who asked and why are recorded with it
// and in the audit log.
func (s *Server) deskCertificateIssue(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	is, err := s.issuer()
	if err != nil {
		return err
	}
	p := s.deskCertificatePage(r)
	f := &p.Form
	f.HolderCF = strings.ToUpper(strings.TrimSpace(r.PostFormValue("cf")))
	f.Requester = strings.TrimSpace(r.PostFormValue("richiedente"))
	f.RequesterCF = strings.ToUpper(strings.TrimSpace(r.PostFormValue("richiedente_cf")))
	f.Reason = strings.TrimSpace(r.PostFormValue("motivo"))
	f.StampID = strings.TrimSpace(r.PostFormValue("marca"))
	f.Force = r.PostFormValue("forza") == "1"
	kinds, ex, exText := parseCertForm(r)
	f.ExemptText = exText
	p.Types = certTypeChoices(p.basePage, certificate.Types(), kinds)
	p.Exemptions = exemptionChoices(p.basePage, ex)
	order := certificate.Order{Ente: e, Channel: certificate.Desk, HolderCF: f.HolderCF, Kinds: kinds,
		Operator: pr.Operator.ID, Requester: f.Requester, RequesterCF: f.RequesterCF, Reason: f.Reason,
		Force: f.Force, Exemption: ex, ExemptionText: exText, StampID: f.StampID, VerifyURL: s.verifyURL(r),
		Audit: func(c *certificate.Certificate) audit.Event {
			return s.auditEvent(r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: "certificate.issued",
				Subject: "certificate:" + strconv.FormatInt(int64(c.ID), 10), Outcome: audit.Success,
				Detail: "desk " + c.Kinds.String() + "; richiedente: " + f.Requester + "; motivo: " + f.Reason})
		}}
	if f.HolderCF != "" {
		if cf, err := identity.ParseFiscalCode(f.HolderCF); err == nil {
			order.HolderCF = cf
		}
	}
	res, err := is.Issue(ctx, order)
	if apperr.Is(err, apperr.NotFound) {
		p.Problem = p.T("cert.desk.not-found")
		return s.render(w, r, http.StatusUnprocessableEntity, "desk/certificati", p)
	}
	if err != nil {
		msg, status, err := refusalMessage(p.basePage, err)
		if err != nil {
			return err
		}
		p.Problem = msg
		return s.render(w, r, status, "desk/certificati", p)
	}
	v := s.certView(p.basePage, res.Certificate)
	p.Issued = &v
	return s.render(w, r, http.StatusOK, "desk/certificati", p)
}

// deskCertificatePrint sends a certificate issued at this ente's desk.
func (s *Server) deskCertificatePrint(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "")
	}
	c, err := certificate.Get(ctx, s.db, enteFrom(ctx).ID, certificate.ID(id))
	if err != nil {
		return err
	}
	if c.Channel != certificate.Desk {
		return apperr.New(apperr.NotFound, "")
	}
	return s.serveCertificate(w, r, c)
}
