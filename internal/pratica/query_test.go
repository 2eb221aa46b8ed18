package pratica_test

import (
	"database/sql"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pratica"
)

// make files a pratica for service in office on submitted (zero: stays a
// draft) and applies the named operations.
func (f *fixture) make(t *testing.T, s side, service string, office int64, submitted calendar.Date, opNames ...string) pratica.ID {
	t.Helper()
	in := draftInput(s)
	in.Service, in.Office = service, office
	p := f.draft(t, s, in, t0)
	if submitted.IsZero() {
		return p.ID
	}
	f.submit(t, s, p.ID, day(submitted))
	for _, name := range opNames {
		if _, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) { return opNamed(name).run(f, s, tx, p.ID) }); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return p.ID
}

func ids(ss []pratica.Summary) []pratica.ID {
	out := []pratica.ID{}
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

func TestQueue(t *testing.T) {
	f := setup(t)
	s := f.ala
	p1 := f.make(t, s, "a", s.anagrafe, calendar.D(2026, 3, 2))                    // due 1 April
	p2 := f.make(t, s, "a", s.anagrafe, calendar.D(2026, 3, 3), "take")            // due 2 April, clerk
	p3 := f.make(t, s, "b", s.anagrafe, calendar.D(2026, 3, 4))                    // due 3 April
	p4 := f.make(t, s, "a", s.anagrafe, calendar.D(2026, 3, 2), "take", "request") // suspended: last
	p5 := f.make(t, s, "c", s.tributi, calendar.D(2026, 3, 2))                     // another office
	p7 := f.make(t, s, "a", s.anagrafe, calendar.D(2026, 3, 2), "take", "accept")  // decided, due 1 April
	f.make(t, s, "a", s.anagrafe, calendar.Date{})                                 // a draft: never queued
	f.make(t, f.avio, "a", f.avio.anagrafe, calendar.D(2026, 3, 2))                // another ente
	if _, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
		return pratica.Assign(ctx, tx, s.ente, p3, s.head, s.head, t0)
	}); err != nil {
		t.Fatal(err)
	}
	open := []pratica.State{pratica.Submitted, pratica.InReview, pratica.IntegrationRequested}
	tests := []struct {
		name string
		f    pratica.QueueFilter
		want []pratica.ID
	}{
		{"office", pratica.QueueFilter{Office: s.anagrafe}, []pratica.ID{p1, p7, p2, p3, p4}},
		{"office, open", pratica.QueueFilter{Office: s.anagrafe, States: open}, []pratica.ID{p1, p2, p3, p4}},
		{"other office", pratica.QueueFilter{Office: s.tributi}, []pratica.ID{p5}},
		{"every office", pratica.QueueFilter{States: open}, []pratica.ID{p1, p5, p2, p3, p4}},
		{"service", pratica.QueueFilter{Service: "a"}, []pratica.ID{p1, p7, p2, p4}},
		{"service and office", pratica.QueueFilter{Service: "a", Office: s.tributi}, []pratica.ID{}},
		{"assigned to the clerk", pratica.QueueFilter{Office: s.anagrafe, Assignee: s.clerk}, []pratica.ID{p7, p2, p4}},
		{"assigned, one state", pratica.QueueFilter{Assignee: s.clerk, States: []pratica.State{pratica.InReview}}, []pratica.ID{p2}},
		{"assigned, service", pratica.QueueFilter{Assignee: s.head, Service: "b"}, []pratica.ID{p3}},
		{"due by 2 April", pratica.QueueFilter{Office: s.anagrafe, States: open, DueBefore: calendar.D(2026, 4, 2)}, []pratica.ID{p1, p2}},
		{"one state", pratica.QueueFilter{States: []pratica.State{pratica.Accepted}}, []pratica.ID{p7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, next, err := pratica.Queue(ctx, f.d, s.ente, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(got)); diff != "" || next != "" {
				t.Errorf("queue (-want +got):\n%s(next %q)", diff, next)
			}
		})
	}

	// Pages of two, through the cursor, read the same list.
	var paged []pratica.ID
	filter := pratica.QueueFilter{Office: s.anagrafe, Limit: 2}
	for range 5 {
		got, next, err := pratica.Queue(ctx, f.d, s.ente, filter)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, ids(got)...)
		if next == "" {
			break
		}
		if filter.After, err = pratica.ParseCursor(string(next)); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]pratica.ID{p1, p7, p2, p3, p4}, paged); diff != "" {
		t.Errorf("paged queue (-want +got):\n%s", diff)
	}

	got, _, err := pratica.Queue(ctx, f.d, s.ente, pratica.QueueFilter{Office: s.anagrafe, Assignee: s.clerk, States: []pratica.State{pratica.InReview}})
	if err != nil {
		t.Fatal(err)
	}
	want := pratica.Summary{ID: p2, Service: "a", Title: "Dichiarazione di residenza", Citizen: s.mario, CitizenName: "Mario Rossi",
		FiledBy: identity.CitizenSubject(s.mario), Office: s.anagrafe, State: pratica.InReview, ProtocolYear: 2026,
		ProtocolNumber: 2, SubmittedAt: day(calendar.D(2026, 3, 3)), Term: pratica.Term{Days: 30}, Due: calendar.D(2026, 4, 2),
		Assignee: s.clerk, UpdatedAt: got[0].UpdatedAt}
	if diff := cmp.Diff([]pratica.Summary{want}, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if left, ok := got[0].DaysLeft(calendar.D(2026, 3, 30)); !ok || left != 3 {
		t.Errorf("DaysLeft = %d, %t", left, ok)
	}

	for _, bad := range []pratica.QueueFilter{{States: []pratica.State{pratica.Draft}}, {States: []pratica.State{"nope"}}, {After: "x_1"}} {
		if _, _, err := pratica.Queue(ctx, f.d, s.ente, bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("Queue(%+v) err = %v, want Invalid", bad, err)
		}
	}
}

func TestParseCursor(t *testing.T) {
	for _, good := range []string{"2026-04-01_12", "9999-12-31_1"} {
		if c, err := pratica.ParseCursor(good); err != nil || string(c) != good {
			t.Errorf("ParseCursor(%q) = %q, %v", good, c, err)
		}
	}
	for _, bad := range []string{"", "_", "2026-04-01", "2026-04-01_", "2026-04-01_0", "2026-04-01_-1", "2026-02-30_1",
		"2026-04-01_01", "2026-04-01_1_2", "2026-04-01_99999999999999999999"} {
		if _, err := pratica.ParseCursor(bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("ParseCursor(%q) err = %v, want Invalid", bad, err)
		}
	}
}

func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"2026-04-01_12", "9999-12-31_1", "", "x_1", "2026-04-01_0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := pratica.ParseCursor(s)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("ParseCursor(%q) err = %v, want Invalid", s, err)
			}
			return
		}
		if string(c) != s {
			t.Errorf("ParseCursor(%q) = %q", s, c)
		}
	})
}

func TestListForCitizen(t *testing.T) {
	f := setup(t)
	s := f.ala
	deleg, err := identity.CreateDelegation(ctx, f.d, s.ente, identity.DelegationInput{
		Delegator: s.mario, DelegateFiscalCode: cfGiulia, DelegateName: "Giulia Bianchi",
		ValidUntil: calendar.D(2026, 12, 31), CreatedBy: identity.CitizenSubject(s.mario),
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	own := f.make(t, s, "a", s.anagrafe, calendar.D(2026, 3, 2))
	draft := f.make(t, s, "b", s.anagrafe, calendar.Date{})
	in := draftInput(s)
	in.FiledBy, in.Delegation = identity.CitizenSubject(s.giulia), deleg.ID
	forMario := f.draft(t, s, in, t0).ID
	in = draftInput(s)
	in.Citizen, in.FiledBy = s.giulia, identity.CitizenSubject(s.giulia)
	giulias := f.draft(t, s, in, t0).ID
	today := calendar.D(2026, 3, 10)
	tests := []struct {
		name    string
		citizen identity.CitizenID
		f       pratica.Filter
		want    []pratica.ID
	}{
		{"holder", s.mario, pratica.Filter{}, []pratica.ID{forMario, draft, own}},
		{"holder, drafts", s.mario, pratica.Filter{States: []pratica.State{pratica.Draft}}, []pratica.ID{forMario, draft}},
		{"holder, service", s.mario, pratica.Filter{Service: "a"}, []pratica.ID{own}},
		{"holder, page", s.mario, pratica.Filter{Limit: 1, Before: draft}, []pratica.ID{own}},
		{"delegate, own only", s.giulia, pratica.Filter{}, []pratica.ID{giulias}},
		{"delegate, with what she filed", s.giulia, pratica.Filter{DelegateOn: today}, []pratica.ID{giulias, forMario}},
		{"delegate, after the delegation ran out", s.giulia, pratica.Filter{DelegateOn: calendar.D(2027, 1, 1)}, []pratica.ID{giulias}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pratica.ListForCitizen(ctx, f.d, s.ente, tc.citizen, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
				t.Errorf("list (-want +got):\n%s", diff)
			}
		})
	}
	if err := identity.RevokeDelegation(ctx, f.d, s.ente, s.mario, deleg.ID, t0); err != nil {
		t.Fatal(err)
	}
	got, err := pratica.ListForCitizen(ctx, f.d, s.ente, s.giulia, pratica.Filter{DelegateOn: today})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]pratica.ID{giulias}, ids(got)); diff != "" {
		t.Errorf("after revocation (-want +got):\n%s", diff)
	}
}

func TestExport(t *testing.T) {
	f := setup(t)
	s := f.ala
	a := f.make(t, s, "a", s.anagrafe, calendar.D(2026, 3, 2))
	b := f.make(t, s, "b", s.anagrafe, calendar.D(2026, 3, 5), "take")
	f.make(t, s, "c", s.tributi, calendar.D(2026, 3, 2))
	f.make(t, s, "a", s.anagrafe, calendar.Date{})
	f.make(t, f.avio, "a", f.avio.anagrafe, calendar.D(2026, 3, 2))
	collect := func(ef pratica.ExportFilter) []pratica.ID {
		var out []pratica.ID
		err := pratica.Export(ctx, f.d, s.ente, ef, func(p *pratica.Pratica) error {
			if len(p.Answers) == 0 {
				t.Errorf("pratica %d exported without answers", p.ID)
			}
			out = append(out, p.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if diff := cmp.Diff([]pratica.ID{a, b}, collect(pratica.ExportFilter{Office: s.anagrafe})); diff != "" {
		t.Errorf("office export (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]pratica.ID{b}, collect(pratica.ExportFilter{SubmittedFrom: day(calendar.D(2026, 3, 3)), States: []pratica.State{pratica.InReview}})); diff != "" {
		t.Errorf("filtered export (-want +got):\n%s", diff)
	}
	err := pratica.Export(ctx, f.d, s.ente, pratica.ExportFilter{}, func(*pratica.Pratica) error { return errBoom })
	if !errors.Is(err, errBoom) {
		t.Errorf("Export err = %v, want fn's", err)
	}
}

// TestEntiAreIsolated: every function given another ente's id finds
// nothing, and lists never mix enti.
func TestEntiAreIsolated(t *testing.T) {
	f := setup(t)
	ala, avio := f.ala, f.avio
	draft := f.make(t, ala, "a", ala.anagrafe, calendar.Date{})
	sub := f.make(t, ala, "a", ala.anagrafe, calendar.D(2026, 3, 2))
	calls := map[string]func() error{
		"Get":      func() error { _, err := pratica.Get(ctx, f.d, avio.ente, sub); return err },
		"Events":   func() error { _, err := pratica.Events(ctx, f.d, avio.ente, sub); return err },
		"Messages": func() error { _, err := pratica.Messages(ctx, f.d, avio.ente, sub, true); return err },
		"SaveDraft": func() error {
			return pratica.SaveDraft(ctx, f.d, avio.ente, draft, []byte(`{}`), nil, t0)
		},
		"DeleteDraft": func() error { return pratica.DeleteDraft(ctx, f.d, avio.ente, draft) },
		"AddMessage": func() error {
			_, err := pratica.AddMessage(ctx, f.d, avio.ente, sub, pratica.MessageInput{From: identity.OperatorSubject(avio.clerk), Text: "x"}, t0)
			return err
		},
		"Submit": func() error {
			_, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
				return pratica.Submit(ctx, tx, avio.ente, draft, f.submitInput(avio, "iso"), t0)
			})
			return err
		},
		"TakeInCharge": func() error {
			_, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
				return pratica.TakeInCharge(ctx, tx, avio.ente, sub, avio.clerk, t0)
			})
			return err
		},
		"Withdraw": func() error {
			_, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
				return pratica.Withdraw(ctx, tx, avio.ente, sub, avio.mario, "", t0)
			})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) { wantKind(t, call(), apperr.NotFound) })
	}
	if got := f.get(t, ala, draft); got.State != pratica.Draft {
		t.Errorf("ala's draft is %s", got.State)
	}
	q, _, err := pratica.Queue(ctx, f.d, avio.ente, pratica.QueueFilter{})
	if err != nil || len(q) != 0 {
		t.Errorf("avio's queue = %v (err %v), want empty", ids(q), err)
	}
	// Avio's Mario is another person with the same codice fiscale.
	l, err := pratica.ListForCitizen(ctx, f.d, avio.ente, avio.mario, pratica.Filter{})
	if err != nil || len(l) != 0 {
		t.Errorf("avio's Mario sees %v (err %v)", ids(l), err)
	}
	l, err = pratica.ListForCitizen(ctx, f.d, avio.ente, ala.mario, pratica.Filter{})
	if err != nil || len(l) != 0 {
		t.Errorf("ala's Mario through avio sees %v (err %v)", ids(l), err)
	}
	n := 0
	if err := pratica.Export(ctx, f.d, avio.ente, pratica.ExportFilter{}, func(*pratica.Pratica) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("avio's export has %d rows (err %v)", n, err)
	}
	st, err := pratica.Stats(ctx, f.d, avio.ente, t0.AddDate(0, -1, 0), t0.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st.Months {
		if m.Submitted != 0 {
			t.Errorf("avio's stats count ala's submissions: %+v", m)
		}
	}
}
