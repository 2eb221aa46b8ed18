package web

import (
	"database/sql"
	"net/http"
	"strconv"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/identity"
)

// sessionsPage lists every open session of the ente.
type sessionsPage struct {
	basePage
	Flash    string
	Sessions []sessionView
}

// sessionsList shows the open sessions, citizens' and operators'.
func (s *Server) sessionsList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	p := sessionsPage{basePage: s.base(r, "admin.sessions")}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}}
	if r.URL.Query().Get("ok") == "terminata" {
		p.Flash = p.T("admin.sess.ended")
	}
	sessions, err := identity.ListAllSessions(ctx, s.db, e.ID, s.now())
	if err != nil {
		return err
	}
	for _, sess := range sessions {
		who := p.T("admin.sess.citizen", sess.Subject.ID)
		if sess.Subject.Kind == identity.SubjectOperator {
			who = p.T("admin.sess.operator", strconv.FormatInt(sess.Subject.ID, 10))
		}
		p.Sessions = append(p.Sessions, sessionView{ID: int64(sess.ID), Who: who, Started: formatTime(sess.CreatedAt),
			Seen: formatTime(sess.LastSeenAt), Device: sess.UserAgent})
	}
	return s.render(w, r, http.StatusOK, "admin/sessions", &p)
}

// sessionEnd ends any session of the ente; every instance refuses it from
// the next request on, because sessions are looked up in the database.
func (s *Server) sessionEnd(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	now := s.now()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "")
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := identity.EndSession(ctx, tx, e.ID, identity.SessionID(id), now); err != nil {
			return err
		}
		return s.audit(ctx, tx, r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: audit.ActionSessionEnded,
			Subject: "session:" + strconv.FormatInt(id, 10), Outcome: audit.Success}, now)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/amministrazione-ente/sessioni?ok=terminata", http.StatusSeeOther)
	return nil
}
