package web

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/i18n"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/logging"
)

// audit appends e to the ente's audit log inside tx, with the request's id
// and the client's address, so that the audited change and its record
// commit together.
func (s *Server) audit(ctx context.Context, tx *sql.Tx, r *http.Request, e audit.Event, now time.Time) error {
	e = s.fromRequest(ctx, r, e)
	return audit.Record(ctx, tx, &e, now)
}

// auditEvent is e with the request's id and the client's address, for a
// caller that records it later (a group commit).
func (s *Server) auditEvent(r *http.Request, e audit.Event) audit.Event {
	return s.fromRequest(r.Context(), r, e)
}

// fromRequest fills in e's request id (from ctx) and client address.
func (s *Server) fromRequest(ctx context.Context, r *http.Request, e audit.Event) audit.Event {
	e.RequestID = logging.RequestID(ctx)
	e.IP = s.clientIP(r)
	return e
}

// auditAlone records an event that has no other change to commit with (a
// failed login, a page view).
func (s *Server) auditAlone(r *http.Request, e audit.Event) error {
	ctx := r.Context()
	now := s.now()
	return s.db.InTx(ctx, func(tx *sql.Tx) error { return s.audit(ctx, tx, r, e, now) })
}

func citizenActor(id identity.CitizenID) audit.Actor {
	return audit.Actor{Kind: audit.Citizen, ID: strconv.FormatInt(int64(id), 10)}
}

func operatorActor(id identity.OperatorID) audit.Actor {
	return audit.Actor{Kind: audit.Operator, ID: strconv.FormatInt(int64(id), 10)}
}

func citizenSubject(id identity.CitizenID) string {
	return "citizen:" + strconv.FormatInt(int64(id), 10)
}

func operatorSubject(id identity.OperatorID) string {
	return "operator:" + strconv.FormatInt(int64(id), 10)
}

// formatTime shows an instant in Italian local time, or "–" for none.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.In(rome).Format("02/01/2006 15:04")
}

// humanDuration says how long to wait in words ("3 minuti", "1 h").
func humanDuration(d time.Duration, lang i18n.Lang) string {
	if d < time.Minute {
		d = time.Minute
	}
	if d < time.Hour {
		n := int((d + time.Minute - 1) / time.Minute)
		if lang == i18n.EN {
			if n == 1 {
				return "1 minute"
			}
			return strconv.Itoa(n) + " minutes"
		}
		if n == 1 {
			return "1 minuto"
		}
		return strconv.Itoa(n) + " minuti"
	}
	n := int((d + time.Hour - 1) / time.Hour)
	if lang == i18n.EN {
		if n == 1 {
			return "1 hour"
		}
		return strconv.Itoa(n) + " hours"
	}
	if n == 1 {
		return "1 ora"
	}
	return strconv.Itoa(n) + " ore"
}
