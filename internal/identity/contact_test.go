package identity_test

import (
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity"
)

// wrong returns a 6-digit code different from code.
func wrong(code string) string {
	var n int
	fmt.Sscanf(code, "%d", &n)
	return fmt.Sprintf("%06d", (n+1)%1_000_000)
}

func TestContactCheck(t *testing.T) {
	type step struct {
		name string
		// code picks the code to send from the last one started.
		code func(last string) string
		at   time.Duration
		kind apperr.Kind
		is   error
	}
	right := func(c string) string { return c }
	tests := []struct {
		name      string
		kind      identity.ContactKind
		value     string
		steps     []step
		wantValue string
		verified  bool
	}{
		{
			name: "right code at once", kind: identity.ContactEmail, value: "Mario.Rossi@Example.IT",
			steps:     []step{{"right", right, time.Minute, ok, nil}},
			wantValue: "Mario.Rossi@example.it", verified: true,
		},
		{
			name: "phone after two mistakes", kind: identity.ContactPhone, value: "+39 347 123 4567",
			steps: []step{
				{"wrong 1", wrong, time.Minute, apperr.Invalid, identity.ErrBadCode},
				{"wrong 2", wrong, 2 * time.Minute, apperr.Invalid, identity.ErrBadCode},
				{"right", right, 3 * time.Minute, ok, nil},
			},
			wantValue: "+393471234567", verified: true,
		},
		{
			name: "five wrong codes use the check up", kind: identity.ContactEmail, value: "a@example.it",
			steps: []step{
				{"wrong 1", wrong, 0, apperr.Invalid, identity.ErrBadCode},
				{"wrong 2", wrong, 0, apperr.Invalid, identity.ErrBadCode},
				{"wrong 3", wrong, 0, apperr.Invalid, identity.ErrBadCode},
				{"wrong 4", wrong, 0, apperr.Invalid, identity.ErrBadCode},
				{"wrong 5", wrong, 0, apperr.Invalid, identity.ErrBadCode},
				{"right, too late", right, 0, apperr.Invalid, identity.ErrCodeExpired},
			},
		},
		{
			name: "expired after 15 minutes", kind: identity.ContactEmail, value: "a@example.it",
			steps: []step{
				{"right at 14:59", func(string) string { return "000000x" }, 15*time.Minute - time.Second, apperr.Invalid, identity.ErrBadCode},
				{"right at 15:00", right, 15 * time.Minute, apperr.Invalid, identity.ErrCodeExpired},
			},
		},
	}
	f := setup(t)
	people := []string{cfMario, cfGiulia, cfLuigi, cfFrancesca}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := f.login(t, f.ente, people[i])
			code, err := identity.StartContactCheck(ctx, f.d, f.ente, c.ID, tc.kind, tc.value, t0)
			wantKind(t, "StartContactCheck", err, ok)
			if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) {
				t.Fatalf("code %q is not six digits", code)
			}
			for _, s := range tc.steps {
				err := identity.ConfirmContact(ctx, f.d, f.ente, c.ID, tc.kind, s.code(code), t0.Add(s.at))
				wantKind(t, s.name, err, s.kind, opt(s.is)...)
			}
			got, err := identity.GetCitizen(ctx, f.d, f.ente, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			value, verified := got.Email, got.EmailVerified
			if tc.kind == identity.ContactPhone {
				value, verified = got.Phone, got.PhoneVerified
			}
			if value != tc.wantValue || verified != tc.verified {
				t.Errorf("%s = %q verified %v, want %q %v", tc.kind, value, verified, tc.wantValue, tc.verified)
			}
		})
	}
}

func opt(err error) []error {
	if err == nil {
		return nil
	}
	return []error{err}
}

func TestContactCheckRules(t *testing.T) {
	f := setup(t)
	c := f.login(t, f.ente, cfMario)

	_, err := identity.StartContactCheck(ctx, f.d, f.ente, c.ID, identity.ContactEmail, "not-an-address", t0)
	wantKind(t, "invalid e-mail", err, apperr.Invalid)
	_, err = identity.StartContactCheck(ctx, f.d, f.ente, c.ID, identity.ContactPhone, "555-CALL-ME", t0)
	wantKind(t, "invalid phone", err, apperr.Invalid)
	_, err = identity.StartContactCheck(ctx, f.d, f.ente, c.ID, "fax", "0461 123456", t0)
	wantKind(t, "unknown kind", err, apperr.Invalid)
	_, err = identity.StartContactCheck(ctx, f.d, f.other, c.ID, identity.ContactEmail, "a@example.it", t0)
	wantKind(t, "citizen of another ente", err, apperr.NotFound)

	err = identity.ConfirmContact(ctx, f.d, f.ente, c.ID, identity.ContactEmail, "123456", t0)
	wantKind(t, "no pending check", err, apperr.NotFound)

	// Starting again replaces the code and resets the attempts.
	first, _ := identity.StartContactCheck(ctx, f.d, f.ente, c.ID, identity.ContactEmail, "old@example.it", t0)
	for range identity.ContactCodeAttempts - 1 {
		_ = identity.ConfirmContact(ctx, f.d, f.ente, c.ID, identity.ContactEmail, wrong(first), t0)
	}
	second, err := identity.StartContactCheck(ctx, f.d, f.ente, c.ID, identity.ContactEmail, "new@example.it", t0)
	wantKind(t, "restart", err, ok)
	if first != second {
		err = identity.ConfirmContact(ctx, f.d, f.ente, c.ID, identity.ContactEmail, first, t0)
		wantKind(t, "the replaced code", err, apperr.Invalid, identity.ErrBadCode)
	}
	err = identity.ConfirmContact(ctx, f.d, f.other, c.ID, identity.ContactEmail, second, t0)
	wantKind(t, "confirm from another ente", err, apperr.NotFound)
	err = identity.ConfirmContact(ctx, f.d, f.ente, c.ID, identity.ContactEmail, " "+second+" ", t0)
	wantKind(t, "the new code, with spaces", err, ok)
	got, _ := identity.GetCitizen(ctx, f.d, f.ente, c.ID)
	if got.Email != "new@example.it" || !got.EmailVerified {
		t.Errorf("email = %q verified %v, want the new address verified", got.Email, got.EmailVerified)
	}
	err = identity.ConfirmContact(ctx, f.d, f.ente, c.ID, identity.ContactEmail, second, t0)
	wantKind(t, "a used code", err, apperr.NotFound)
}

// TestContactCheckConcurrentGuesses fires many wrong guesses at once: no
// more than ContactCodeAttempts may be compared.
func TestContactCheckConcurrentGuesses(t *testing.T) {
	f := setup(t)
	c := f.login(t, f.ente, cfMario)
	code, err := identity.StartContactCheck(ctx, f.d, f.ente, c.ID, identity.ContactPhone, "3331234567", t0)
	if err != nil {
		t.Fatal(err)
	}
	const n = 12
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = identity.ConfirmContact(ctx, f.d, f.ente, c.ID, identity.ContactPhone, wrong(code), t0)
		})
	}
	wg.Wait()
	compared := 0
	for _, err := range errs {
		if apperr.KindOf(err) == apperr.Invalid && !isExpired(err) {
			compared++
		}
	}
	if compared != identity.ContactCodeAttempts {
		t.Errorf("%d guesses were compared, want %d", compared, identity.ContactCodeAttempts)
	}
}

func isExpired(err error) bool {
	return err != nil && apperr.Is(err, apperr.Invalid) && errors.Is(err, identity.ErrCodeExpired)
}
