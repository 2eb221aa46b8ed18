package pratica_test

import (
	"database/sql"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/pratica"
)

// TestTermWarnings: a running term is warned about once per level (7, 3, 1
// working days left), to the assignee or else the office; a suspended term
// is not; a new due date starts the levels again; each ente's sweep sees
// its own pratiche only.
func TestTermWarnings(t *testing.T) {
	f := setup(t)
	j := f.jobs(t)
	// Due 1 April 2026 (30 days from Monday 2 March).
	unassigned := f.submit(t, f.ala, f.draft(t, f.ala, draftInput(f.ala), t0).ID, t0)
	assigned := f.submit(t, f.ala, f.draft(t, f.ala, draftInput(f.ala), t0).ID, t0)
	suspended := f.submit(t, f.ala, f.draft(t, f.ala, draftInput(f.ala), t0).ID, t0)
	other := f.submit(t, f.avio, f.draft(t, f.avio, draftInput(f.avio), t0).ID, t0)
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := pratica.TakeInCharge(ctx, tx, f.ala.ente, assigned.ID, f.ala.clerk, t0); err != nil {
			return err
		}
		if _, err := pratica.TakeInCharge(ctx, tx, f.ala.ente, suspended.ID, f.ala.clerk, t0); err != nil {
			return err
		}
		_, err := pratica.RequestIntegration(ctx, tx, f.ala.cal, f.ala.ente, suspended.ID, f.ala.clerk, "Manca il documento.", t0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	type sent struct{ To, Subject string }
	outbox := func() []sent {
		var out []sent
		for _, s := range []side{f.ala, f.avio} {
			recs, err := mail.List(ctx, f.d, s.ente, mail.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if r.Kind == "term-warning" {
					out = append(out, sent{r.To, r.Subject})
				}
			}
		}
		return out
	}
	subject := func(p *pratica.Pratica) string {
		return fmt.Sprintf("Termine in scadenza il 01/04/2026: pratica n. %d (%s)", p.ID, p.ProtocolDisplay())
	}
	for _, step := range []struct {
		on   calendar.Date
		want int
	}{
		{calendar.D(2026, 3, 20), 0}, // 8 working days left
		{calendar.D(2026, 3, 23), 3}, // 7: the three running terms
		{calendar.D(2026, 3, 23), 0}, // the same day again: nothing new
		{calendar.D(2026, 3, 25), 0}, // 5 left, still level 7
		{calendar.D(2026, 3, 27), 3}, // 3 left
		{calendar.D(2026, 3, 31), 3}, // 1 left
		{calendar.D(2026, 4, 2), 0},  // expired: expiry is not a warning
	} {
		n, err := pratica.SendTermWarnings(ctx, f.d, j, day(step.on))
		if err != nil {
			t.Fatal(err)
		}
		if n != step.want {
			t.Errorf("on %v: %d warnings, want %d", step.on, n, step.want)
		}
	}
	var want []sent
	for range 3 {
		want = append(want, sent{"anagrafe@ala.example", subject(unassigned)}, sent{"impiegato@ala.example", subject(assigned)},
			sent{"anagrafe@avio.example", subject(other)})
	}
	less := func(a, b sent) bool { return a.To+a.Subject < b.To+b.Subject }
	if diff := cmp.Diff(want, outbox(), cmpopts.SortSlices(less)); diff != "" {
		t.Errorf("warnings sent (-want +got):\n%s", diff)
	}
	// The assigned pratica, warned at level 1, is suspended on 31 March
	// and resumes on 2 April with a new due date: its levels start again.
	err = f.d.InTx(ctx, func(tx *sql.Tx) error {
		at := day(calendar.D(2026, 3, 31))
		if _, err := pratica.RequestIntegration(ctx, tx, f.ala.cal, f.ala.ente, assigned.ID, f.ala.clerk, "Manca la firma.", at); err != nil {
			return err
		}
		_, err := pratica.AnswerIntegration(ctx, tx, f.ala.cal, f.ala.ente, assigned.ID, f.ala.mario, "Ecco la firma.", nil, day(calendar.D(2026, 4, 2)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	resumed := f.get(t, f.ala, assigned.ID)
	if !resumed.Due.After(calendar.D(2026, 4, 1)) {
		t.Fatalf("resumed due %v, want after 1 April", resumed.Due)
	}
	ws, err := pratica.DueWarnings(ctx, f.d, f.ala.cal, f.ala.ente, resumed.Due)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].Pratica != assigned.ID || ws[0].Level != 1 || ws[0].Left != 0 {
		t.Errorf("on the new due date %v: warnings %+v, want level 1 for pratica %d", resumed.Due, ws, assigned.ID)
	}
}
