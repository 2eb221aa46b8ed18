package pagopasim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// FaultHeader asks for a fault on the request that carries it; its value is
// a FaultKind.
const FaultHeader = "X-Sim-Fault"

// FaultKind is what an injected fault does.
type FaultKind string

// The kinds of fault.
const (
	// Timeout holds the request, without acting, until the caller gives up.
	Timeout FaultKind = "timeout"
	// TimeoutAfter acts, then holds the answer until the caller gives up:
	// the caller cannot tell whether its call was applied.
	TimeoutAfter FaultKind = "timeout-after"
	Error500     FaultKind = "500"
	Error503     FaultKind = "503"
	Conflict409  FaultKind = "409"
	TooMany429   FaultKind = "429"
	// WrongStamp (op "pay", matched on the notice number) makes the PSP
	// sell the @e.bollo of a notice for another document: the MarcaDaBollo
	// is well signed but bound to a different hash, which the ente must
	// refuse.
	WrongStamp FaultKind = "wrong-stamp"
)

// Fault is a rule: requests of operation Op (create, get, update, delete,
// publish, invalidate, list, receipt, receipts, cart, pay; "" for any
// but pay, which only a rule naming it matches) whose
// path or body contains Match (a notice number, IUV or IUPD prefix; "" for
// any) fail as Kind, Times times (0: until cleared).
type Fault struct {
	Op    string    `json:"op,omitempty"`
	Match string    `json:"match,omitempty"`
	Kind  FaultKind `json:"kind"`
	Times int       `json:"times,omitempty"`
	used  int
}

// AddFault adds a rule; the first matching rule applies.
func (s *Sim) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every rule.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// pick returns the fault for this request, if any, and spends one use.
func (s *Sim) pick(op string, r *http.Request, body []byte) FaultKind {
	if k := FaultKind(r.Header.Get(FaultHeader)); k != "" {
		return k
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.Times > 0 && f.used >= f.Times {
			continue
		}
		if f.Op != "" && f.Op != op {
			continue
		}
		if f.Match != "" && !strings.Contains(r.URL.Path, f.Match) && !strings.Contains(string(body), f.Match) {
			continue
		}
		f.used++
		return f.Kind
	}
	return ""
}

// payFault returns the fault for paying notice nav, if any, and spends one
// use; s.mu is held.
func (s *Sim) payFault(nav string) FaultKind {
	for _, f := range s.faults {
		if f.Times > 0 && f.used >= f.Times || f.Op != "pay" || !strings.Contains(nav, f.Match) {
			continue
		}
		f.used++
		return f.Kind
	}
	return ""
}

// faulty applies an injected fault before or around h.
func (s *Sim) faulty(op string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
			r.Body = io.NopCloser(strings.NewReader(string(body)))
		}
		switch k := s.pick(op, r, body); k {
		case "":
			h(w, r)
		case Timeout:
			s.hang(r)
		case TimeoutAfter:
			h(discard{header: http.Header{}}, r)
			s.hang(r)
		case Error500:
			problem(w, http.StatusInternalServerError, "INTERNAL SERVER ERROR", "simulated failure")
		case Error503:
			problem(w, http.StatusServiceUnavailable, "SERVICE UNAVAILABLE", "simulated failure")
		case Conflict409:
			problem(w, http.StatusConflict, "CONFLICT", "simulated conflict")
		case TooMany429:
			w.Header().Set("Retry-After", "1")
			problem(w, http.StatusTooManyRequests, "TOO MANY REQUESTS", "simulated rate limit")
		default:
			problem(w, http.StatusBadRequest, "BAD REQUEST", "unknown fault "+string(k))
		}
	}
}

// hang holds the request until the caller leaves or Hang passes.
func (s *Sim) hang(r *http.Request) {
	t := time.NewTimer(s.opt.Hang)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-t.C:
	}
}

// discard swallows the answer of a request that acted but must look lost.
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}

// testFaults is POST /test/faults with a Fault as JSON.
func (s *Sim) testFaults(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&f); err != nil || f.Kind == "" {
		problem(w, http.StatusBadRequest, "BAD REQUEST", "want a fault as JSON: {\"op\":…,\"match\":…,\"kind\":…,\"times\":…}")
		return
	}
	s.AddFault(f)
	w.WriteHeader(http.StatusNoContent)
}

// testFaultsClear is DELETE /test/faults.
func (s *Sim) testFaultsClear(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}
