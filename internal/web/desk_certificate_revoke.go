package web

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/registry"
)

// revokePage finds a certificate by its code and revokes it: the
// registrar's page, for a certificate issued on wrong data.
type revokePage struct {
	basePage
	Code   string
	Reason string
	Errors []fieldError
	Flash  string
	// Found is the certificate, with its holder's name (the office sees
	// it; /verifica never does).
	Found     *certView
	Holder    string
	Revoked   string
	CanRevoke bool
}

// certificateRevokeShow is GET /sportello/certificati/revoca[?codice=].
func (s *Server) certificateRevokeShow(w http.ResponseWriter, r *http.Request) error {
	p := s.revokePage(r)
	p.Code = strings.TrimSpace(r.URL.Query().Get("codice"))
	if r.URL.Query().Get("ok") == "1" {
		p.Flash = p.T("cert.revoke.done")
	}
	status := http.StatusOK
	if p.Code != "" {
		if err := s.findForRevoke(r, p); err != nil {
			return err
		}
		if p.Found == nil {
			status = http.StatusNotFound
		}
	}
	return s.render(w, r, status, "desk/certificato-revoca", p)
}

func (s *Server) revokePage(r *http.Request) *revokePage {
	p := &revokePage{basePage: s.base(r, "cert.revoke.title")}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}, {p.T("cert.desk.title"), "/sportello/certificati"}}
	return p
}

// findForRevoke looks the code up in this ente only.
func (s *Server) findForRevoke(r *http.Request, p *revokePage) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	code, ok := certificate.NormalizeCode(p.Code)
	var c *certificate.Certificate
	var err error
	if ok {
		c, err = certificate.ByCode(ctx, s.db, e.ID, code)
	}
	if !ok || apperr.Is(err, apperr.NotFound) {
		p.Errors = []fieldError{{Field: "codice", Message: p.T("cert.revoke.unknown")}}
		return nil
	}
	if err != nil {
		return err
	}
	holder, err := registry.GetPerson(ctx, s.db, e.ID, c.Person)
	if err != nil {
		return err
	}
	v := s.certView(p.basePage, c)
	p.Found, p.Holder, p.Code = &v, holder.FullName(), c.Code
	p.CanRevoke = c.State == certificate.Issued
	if c.State == certificate.Revoked {
		p.Revoked = p.T("cert.revoke.already", c.RevokedAt.In(rome).Format("02/01/2006 15:04"), c.RevokeReason)
	}
	return nil
}

// certificateRevoke is POST /sportello/certificati/revoca (codice, motivo):
// the revocation, registered in the protocol and audited.
func (s *Server) certificateRevoke(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e, pr := enteFrom(ctx), principalFrom(ctx)
	is, err := s.issuer()
	if err != nil {
		return err
	}
	p := s.revokePage(r)
	p.Code, p.Reason = strings.TrimSpace(r.PostFormValue("codice")), r.PostFormValue("motivo")
	if err := s.findForRevoke(r, p); err != nil {
		return err
	}
	if p.Found == nil {
		return s.render(w, r, http.StatusNotFound, "desk/certificato-revoca", p)
	}
	_, err = is.Revoke(ctx, e, certificate.ID(p.Found.ID), certificate.RevokeInput{Operator: pr.Operator.ID, Reason: p.Reason,
		Audit: func(ctx context.Context, tx *sql.Tx, c *certificate.Certificate, now time.Time) error {
			return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: "certificate.revoked",
				Subject: "certificate:" + strconv.FormatInt(int64(c.ID), 10), Outcome: audit.Success, Detail: c.RevokeReason}, now)
		}})
	switch {
	case apperr.Is(err, apperr.Invalid):
		p.Errors = []fieldError{{Field: "motivo", Message: apperr.PublicOf(err)}}
		return s.render(w, r, http.StatusUnprocessableEntity, "desk/certificato-revoca", p)
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/sportello/certificati/revoca?ok=1&codice="+p.Code, http.StatusSeeOther)
	return nil
}
