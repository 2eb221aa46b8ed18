package pratica

import (
	"fmt"
	"slices"

	"github.com/sportello/sportello/internal/apperr"
)

// State is where a pratica stands; states have names, not numbers, so that
// rows, URLs and logs read alike.
type State string

// The states of issue 4, in the order a pratica usually goes through them.
const (
	Draft                State = "draft"
	Submitted            State = "submitted"
	AwaitingPayment      State = "awaiting_payment"
	InReview             State = "in_review"
	IntegrationRequested State = "integration_requested"
	Accepted             State = "accepted"
	Rejected             State = "rejected"
	Withdrawn            State = "withdrawn"
	Closed               State = "closed"
)

// States lists every state in order, for filters and tests.
var States = []State{Draft, Submitted, AwaitingPayment, InReview, IntegrationRequested, Accepted, Rejected, Withdrawn, Closed}

// ParseState reads a state from a URL or a form value; anything but a
// state's exact name is Invalid.
func ParseState(s string) (State, error) {
	if st := State(s); slices.Contains(States, st) {
		return st, nil
	}
	return "", apperr.Errorf(apperr.Invalid, "pratica: unknown state %q", truncate(s, 40))
}

// Open reports whether the office still has to act on the pratica (or is
// waiting for the citizen): the states a queue shows by default.
func (s State) Open() bool {
	switch s {
	case Submitted, AwaitingPayment, InReview, IntegrationRequested:
		return true
	}
	return false
}

// Decided reports whether the pratica has an outcome.
func (s State) Decided() bool { return s == Accepted || s == Rejected }

// suspends reports whether the legal term stands still in s: while the
// citizen owes documents (L. 241/1990 art. 2 c. 7) or the fee, because the
// office cannot proceed without them.
func (s State) suspends() bool { return s == IntegrationRequested || s == AwaitingPayment }

// Transition is one allowed change of state and the kinds of actor who may
// make it.
type Transition struct {
	From, To State
	By       []ActorKind
}

var (
	citizen  = []ActorKind{ActorCitizen}
	operator = []ActorKind{ActorOperator}
	filer    = []ActorKind{ActorCitizen, ActorOperator}
	office   = []ActorKind{ActorOperator, ActorSystem}
)

// transitions is the state machine, in one place: a change not listed here
// is refused, whoever asks. Draft → submitted is made by the citizen, a
// delegate or a desk operator filing on their behalf; the office's work by
// operators; withdrawal by the citizen; payment and archiving also by the
// system (reconciliation, sweeps).
var transitions = []Transition{
	{Draft, Submitted, filer},
	{Draft, AwaitingPayment, filer},
	{AwaitingPayment, Submitted, office},
	{AwaitingPayment, Withdrawn, citizen},
	{AwaitingPayment, Closed, office}, // the fee was never paid
	{Submitted, InReview, operator},
	{Submitted, Withdrawn, citizen},
	{InReview, IntegrationRequested, operator},
	{InReview, Accepted, operator},
	{InReview, Rejected, operator},
	{InReview, Withdrawn, citizen},
	{IntegrationRequested, InReview, citizen},
	{IntegrationRequested, Rejected, operator}, // the documents never came
	{IntegrationRequested, Withdrawn, citizen},
	{Accepted, Closed, office},
	{Rejected, Closed, office},
	{Withdrawn, Closed, office},
}

// Transitions returns a copy of the state machine, for documentation pages
// and tests.
func Transitions() []Transition {
	out := make([]Transition, len(transitions))
	for i, t := range transitions {
		out[i] = Transition{From: t.From, To: t.To, By: slices.Clone(t.By)}
	}
	return out
}

// CanTransition reports whether the table allows from → to for anyone.
func CanTransition(from, to State) bool {
	return slices.ContainsFunc(transitions, func(t Transition) bool { return t.From == from && t.To == to })
}

// CanTransitionBy reports whether the table allows from → to for an actor
// of kind by.
func CanTransitionBy(from, to State, by ActorKind) bool {
	return slices.ContainsFunc(transitions, func(t Transition) bool {
		return t.From == from && t.To == to && slices.Contains(t.By, by)
	})
}

// checkTransition returns a Conflict error, with a message for the user,
// when the table refuses from → to for the actor.
func checkTransition(from, to State, by Actor) error {
	switch {
	case CanTransitionBy(from, to, by.Kind):
		return nil
	case CanTransition(from, to):
		return &apperr.Error{Kind: apperr.Forbidden, Public: "Questa operazione non è consentita a chi la richiede.",
			Err: fmt.Errorf("%s → %s is not for a %s", from, to, by.Kind)}
	}
	return &apperr.Error{Kind: apperr.Conflict, Public: "La pratica non si trova in uno stato che consente questa operazione.",
		Err: fmt.Errorf("cannot go from %s to %s", from, to)}
}

// assignable reports whether an operator may be (re)assigned in state s.
func assignable(s State) bool {
	return s == Submitted || s == InReview || s == IntegrationRequested
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
