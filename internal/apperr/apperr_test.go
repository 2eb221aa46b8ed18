package apperr

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindOf(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name       string
		err        error
		wantKind   Kind
		wantPublic string
	}{
		{"plain error is internal", base, Internal, ""},
		{"new", New(NotFound, "Pagina non trovata"), NotFound, "Pagina non trovata"},
		{"wrapped", fmt.Errorf("ente 3: %w", New(Forbidden, "Vietato")), Forbidden, "Vietato"},
		{"errorf keeps cause", Errorf(Conflict, "save: %w", base), Conflict, ""},
		{"outer public wins", &Error{Kind: Invalid, Public: "Codice non valido", Err: New(NotFound, "x")}, Invalid, "Codice non valido"},
		{"inner public found", &Error{Kind: Invalid, Err: New(NotFound, "x")}, Invalid, "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := KindOf(tc.err); got != tc.wantKind {
				t.Errorf("KindOf = %v, want %v", got, tc.wantKind)
			}
			if got := PublicOf(tc.err); got != tc.wantPublic {
				t.Errorf("PublicOf = %q, want %q", got, tc.wantPublic)
			}
		})
	}
	if !errors.Is(Errorf(Conflict, "save: %w", base), base) {
		t.Error("Errorf does not wrap its cause")
	}
	if Is(nil, Internal) {
		t.Error("Is(nil) = true")
	}
}
