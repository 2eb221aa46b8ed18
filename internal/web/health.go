package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/sportello/sportello/internal/apperr"
)

// healthzShow says the process is alive; it checks nothing else, so that a
// database outage does not make the orchestrator restart every instance.
func (s *Server) healthzShow(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(map[string]string{"status": "ok", "version": s.opt.Version})
}

// readyzShow says whether this instance can serve: the database answers.
func (s *Server) readyzShow(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.PingContext(ctx); err != nil {
		return apperr.Errorf(apperr.Unavailable, "readyz: database: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(map[string]string{"status": "ready", "database": string(s.db.Engine)})
}
