package pratica_test

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pratica"
)

// expected is the state machine of issue 4 written out again, apart from
// state.go, with who may make each transition.
var expected = map[string]string{
	"draft>submitted":                 "citizen operator",
	"draft>awaiting_payment":          "citizen operator",
	"awaiting_payment>submitted":      "operator system",
	"awaiting_payment>withdrawn":      "citizen",
	"awaiting_payment>closed":         "operator system",
	"submitted>in_review":             "operator",
	"submitted>withdrawn":             "citizen",
	"in_review>integration_requested": "operator",
	"in_review>accepted":              "operator",
	"in_review>rejected":              "operator",
	"in_review>withdrawn":             "citizen",
	"integration_requested>in_review": "citizen",
	"integration_requested>rejected":  "operator",
	"integration_requested>withdrawn": "citizen",
	"accepted>closed":                 "operator system",
	"rejected>closed":                 "operator system",
	"withdrawn>closed":                "operator system",
}

var actorKinds = []pratica.ActorKind{pratica.ActorCitizen, pratica.ActorOperator, pratica.ActorSystem}

func allowed(from, to pratica.State, by pratica.ActorKind) bool {
	return slices.Contains(strings.Fields(expected[string(from)+">"+string(to)]), string(by))
}

// TestTransitionMatrix checks every (from, to, actor) of the table.
func TestTransitionMatrix(t *testing.T) {
	for _, from := range pratica.States {
		for _, to := range pratica.States {
			_, want := expected[string(from)+">"+string(to)]
			if got := pratica.CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %t, want %t", from, to, got, want)
			}
			for _, by := range actorKinds {
				if got, want := pratica.CanTransitionBy(from, to, by), allowed(from, to, by); got != want {
					t.Errorf("CanTransitionBy(%s, %s, %s) = %t, want %t", from, to, by, got, want)
				}
			}
		}
	}
	if got := len(pratica.Transitions()); got != len(expected) {
		t.Errorf("the table has %d transitions, want %d", got, len(expected))
	}
}

// op is one operation of the package, made by the actor it is meant for.
type op struct {
	name string
	to   pratica.State
	by   pratica.ActorKind
	run  func(f *fixture, s side, tx *sql.Tx, id pratica.ID) (*pratica.Pratica, error)
}

var ops = []op{
	{"submit", pratica.Submitted, pratica.ActorCitizen, func(f *fixture, s side, tx *sql.Tx, id pratica.ID) (*pratica.Pratica, error) {
		return pratica.Submit(ctx, tx, s.ente, id, f.submitInput(s, fmt.Sprintf("op-%d", f.keys.Add(1))), t0)
	}},
	{"pay", pratica.Submitted, pratica.ActorSystem, func(f *fixture, s side, tx *sql.Tx, id pratica.ID) (*pratica.Pratica, error) {
		return pratica.MarkPaid(ctx, tx, s.cal, s.ente, id, pratica.SystemActor, t0)
	}},
	{"take", pratica.InReview, pratica.ActorOperator, func(f *fixture, s side, tx *sql.Tx, id pratica.ID) (*pratica.Pratica, error) {
		return pratica.TakeInCharge(ctx, tx, s.ente, id, s.clerk, t0)
	}},
	{"request", pratica.IntegrationRequested, pratica.ActorOperator, func(f *fixture, s side, tx *sql.Tx, id pratica.ID) (*pratica.Pratica, error) {
		return pratica.RequestIntegration(ctx, tx, s.cal, s.ente, id, s.clerk, "Manca il documento.", t0)
	}},
	{"answer", pratica.InReview, pratica.ActorCitizen, func(f *fixture, s side, tx *sql.Tx, id pratica.ID) (*pratica.Pratica, error) {
		return pratica.AnswerIntegration(ctx, tx, s.cal, s.ente, id, s.mario, "Eccolo.", nil, t0)
	}},
	{"accept", pratica.Accepted, pratica.ActorOperator, func(f *fixture, s side, tx *sql.Tx, id pratica.ID) (*pratica.Pratica, error) {
		return pratica.Decide(ctx, tx, s.ente, id, s.head, f.decideInput(s, true), t0)
	}},
	{"reject", pratica.Rejected, pratica.ActorOperator, func(f *fixture, s side, tx *sql.Tx, id pratica.ID) (*pratica.Pratica, error) {
		return pratica.Decide(ctx, tx, s.ente, id, s.head, f.decideInput(s, false), t0)
	}},
	{"withdraw", pratica.Withdrawn, pratica.ActorCitizen, func(f *fixture, s side, tx *sql.Tx, id pratica.ID) (*pratica.Pratica, error) {
		return pratica.Withdraw(ctx, tx, s.ente, id, s.mario, "Non serve più.", t0)
	}},
	{"close", pratica.Closed, pratica.ActorOperator, func(f *fixture, s side, tx *sql.Tx, id pratica.ID) (*pratica.Pratica, error) {
		return pratica.Close(ctx, tx, s.ente, id, pratica.OperatorActor(s.head), "", t0)
	}},
}

func opNamed(name string) op {
	i := slices.IndexFunc(ops, func(o op) bool { return o.name == name })
	return ops[i]
}

// paths lead a new draft to each state.
var paths = map[pratica.State][]string{
	pratica.Draft:                nil,
	pratica.Submitted:            {"submit"},
	pratica.AwaitingPayment:      {"submit"}, // with a fee
	pratica.InReview:             {"submit", "take"},
	pratica.IntegrationRequested: {"submit", "take", "request"},
	pratica.Accepted:             {"submit", "take", "accept"},
	pratica.Rejected:             {"submit", "take", "reject"},
	pratica.Withdrawn:            {"submit", "withdraw"},
	pratica.Closed:               {"submit", "take", "accept", "close"},
}

// reach makes a pratica of s in state.
func (f *fixture) reach(t *testing.T, s side, state pratica.State) pratica.ID {
	t.Helper()
	in := draftInput(s)
	if state == pratica.AwaitingPayment {
		in.Fee = 1600
	}
	p := f.draft(t, s, in, t0)
	for _, name := range paths[state] {
		if _, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) { return opNamed(name).run(f, s, tx, p.ID) }); err != nil {
			t.Fatalf("reach %s: %s: %v", state, name, err)
		}
	}
	if got := f.get(t, s, p.ID).State; got != state {
		t.Fatalf("reach %s: got %s", state, got)
	}
	return p.ID
}

// TestEveryOperationInEveryState applies every operation to a stored
// pratica in every state: it succeeds, with its event, exactly when the
// table allows it, and otherwise changes nothing.
func TestEveryOperationInEveryState(t *testing.T) {
	f := setup(t)
	s := f.ala
	for _, from := range pratica.States {
		for _, o := range ops {
			t.Run(string(from)+"/"+o.name, func(t *testing.T) {
				id := f.reach(t, s, from)
				before, err := pratica.Events(ctx, f.d, s.ente, id)
				if err != nil {
					t.Fatal(err)
				}
				p, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) { return o.run(f, s, tx, id) })
				after, _ := pratica.Events(ctx, f.d, s.ente, id)
				if !allowed(from, o.to, o.by) {
					if k := apperr.KindOf(err); k != apperr.Conflict && k != apperr.Forbidden {
						t.Fatalf("err = %v, want a conflict", err)
					}
					if got := f.get(t, s, id).State; got != from || len(after) != len(before) {
						t.Errorf("refused %s changed the pratica: state %s, %d events (was %d)", o.name, got, len(after), len(before))
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if p.State != o.to || f.get(t, s, id).State != o.to {
					t.Errorf("state = %s, want %s", p.State, o.to)
				}
				last := after[len(after)-1]
				want := pratica.Event{Seq: len(before) + 1, At: last.At, Actor: last.Actor, Kind: last.Kind, From: from, To: o.to,
					Reason: last.Reason, Assignee: last.Assignee}
				if diff := cmp.Diff(want, last); diff != "" || last.Actor.Kind != o.by {
					t.Errorf("event mismatch (-want +got):\n%s(actor %v)", diff, last.Actor)
				}
			})
		}
	}
}

// TestRefusalsSayWhy: a transition not in the table is a Conflict with a
// message for the user; one in the table for another kind of actor is
// Forbidden.
func TestRefusalsSayWhy(t *testing.T) {
	f := setup(t)
	s := f.ala
	id := f.reach(t, s, pratica.Accepted)
	_, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
		return pratica.Withdraw(ctx, tx, s.ente, id, s.mario, "", t0)
	})
	wantKind(t, err, apperr.Conflict)
	if apperr.PublicOf(err) == "" {
		t.Errorf("conflict %v has no message for the user", err)
	}
	_, err = f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
		return pratica.Close(ctx, tx, s.ente, id, pratica.CitizenActor(s.mario), "", t0)
	})
	wantKind(t, err, apperr.Forbidden)
}

func TestParseState(t *testing.T) {
	for _, s := range pratica.States {
		if got, err := pratica.ParseState(string(s)); err != nil || got != s {
			t.Errorf("ParseState(%q) = %q, %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "Draft", "draft ", "open", "in review"} {
		if _, err := pratica.ParseState(bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("ParseState(%q) err = %v, want Invalid", bad, err)
		}
	}
}

func FuzzParseState(f *testing.F) {
	for _, s := range append(pratica.States, "", "closed\x00", "DRAFT") {
		f.Add(string(s))
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := pratica.ParseState(s)
		if err != nil {
			return
		}
		if string(st) != s || !slices.Contains(pratica.States, st) {
			t.Errorf("ParseState(%q) = %q", s, st)
		}
	})
}
