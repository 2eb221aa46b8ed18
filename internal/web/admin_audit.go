package web

import (
	"net/http"
	"strconv"

	"github.com/sportello/sportello/internal/audit"
)

// auditPage shows the latest audit events and the state of the chain.
type auditPage struct {
	basePage
	// Checked is true when the chain was verified on this request: a walk
	// of the whole log, done on demand rather than at every view.
	Checked   bool
	ChainOK   bool
	ChainText string
	Events    []auditRow
	More      string
}

// auditRow is one event as shown.
type auditRow struct {
	Seq                                   int64
	When, Actor, Action, Subject, Outcome string
}

// auditPageSize is how many events a page shows.
const auditPageSize = 100

// auditList shows the audit log newest first, with keyset pagination, and
// verifies the whole chain.
func (s *Server) auditList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	p := auditPage{basePage: s.base(r, "admin.audit")}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}}
	before, _ := strconv.ParseInt(r.URL.Query().Get("prima"), 10, 64)
	events, err := audit.List(ctx, s.db, e.ID, audit.Filter{Limit: auditPageSize, BeforeSeq: before})
	if err != nil {
		return err
	}
	for _, ev := range events {
		actor := string(ev.Actor.Kind)
		if ev.Actor.ID != "" {
			actor += " " + ev.Actor.ID
		}
		p.Events = append(p.Events, auditRow{Seq: ev.Seq, When: formatTime(ev.At), Actor: actor, Action: string(ev.Action),
			Subject: ev.Subject, Outcome: string(ev.Outcome)})
	}
	if len(events) == auditPageSize {
		p.More = "/amministrazione-ente/registro?prima=" + strconv.FormatInt(events[len(events)-1].Seq, 10)
	}
	if r.URL.Query().Get("verifica") != "1" {
		return s.render(w, r, http.StatusOK, "admin/audit", &p)
	}
	p.Checked = true
	rep, err := audit.Verify(ctx, s.db, e.ID)
	if err != nil {
		return err
	}
	p.ChainOK = rep.Intact()
	if p.ChainOK {
		p.ChainText = p.T("admin.audit.chain-ok", rep.Events)
	} else {
		p.ChainText = p.T("admin.audit.chain-broken", rep.Seq, rep.Reason)
	}
	return s.render(w, r, http.StatusOK, "admin/audit", &p)
}
