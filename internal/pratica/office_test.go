package pratica_test

import (
	"database/sql"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/protocol"
)

// TestIntegrationSuspendsTheTerm follows a pratica through an integration:
// the deadline disappears while the office waits and comes back later by
// the days the citizen took.
func TestIntegrationSuspendsTheTerm(t *testing.T) {
	f := setup(t)
	s := f.ala
	p := f.draft(t, s, draftInput(s), day(calendar.D(2026, 3, 2)))
	f.submit(t, s, p.ID, day(calendar.D(2026, 3, 2)))
	run := func(fn func(tx *sql.Tx) (*pratica.Pratica, error)) *pratica.Pratica {
		t.Helper()
		got, err := f.tx(t, fn)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := run(func(tx *sql.Tx) (*pratica.Pratica, error) {
		return pratica.TakeInCharge(ctx, tx, s.ente, p.ID, s.clerk, day(calendar.D(2026, 3, 3)))
	})
	if got.Assignee != s.clerk || got.Due != calendar.D(2026, 4, 1) {
		t.Errorf("taken: assignee %d, due %v", got.Assignee, got.Due)
	}
	got = run(func(tx *sql.Tx) (*pratica.Pratica, error) {
		return pratica.RequestIntegration(ctx, tx, s.cal, s.ente, p.ID, s.clerk, "Allegare la planimetria.", day(calendar.D(2026, 3, 10)))
	})
	today := calendar.D(2026, 3, 15)
	if got.State != pratica.IntegrationRequested || !got.Due.IsZero() || got.TermStatus(today) != pratica.TermSuspended {
		t.Errorf("requested: state %s, due %v, status %s", got.State, got.Due, got.TermStatus(today))
	}
	key, err := blob.PutBytes(ctx, f.blobs, []byte("planimetria"))
	if err != nil {
		t.Fatal(err)
	}
	files := []pratica.File{{Name: "planimetria.pdf", MIME: "application/pdf", Size: 11, SHA256: string(key)}}
	// Only the holder (or the delegate who filed) answers.
	_, err = f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
		return pratica.AnswerIntegration(ctx, tx, s.cal, s.ente, p.ID, s.giulia, "Eccola.", files, day(calendar.D(2026, 3, 20)))
	})
	wantKind(t, err, apperr.Forbidden)
	got = run(func(tx *sql.Tx) (*pratica.Pratica, error) {
		return pratica.AnswerIntegration(ctx, tx, s.cal, s.ente, p.ID, s.mario, "Eccola.", files, day(calendar.D(2026, 3, 20)))
	})
	if got.State != pratica.InReview || got.Due != calendar.D(2026, 4, 13) {
		t.Errorf("answered: state %s, due %v, want in_review and 2026-04-13 (10 days added, Saturday moved)", got.State, got.Due)
	}
	last := got.Attachments[len(got.Attachments)-1]
	if last.Kind != pratica.Integration || last.SHA256 != string(key) || last.Message == 0 {
		t.Errorf("integration file %+v", last)
	}
	msgs, err := pratica.Messages(ctx, f.d, s.ente, p.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range msgs {
		texts = append(texts, fmt.Sprintf("%s:%s:%d", m.From.Kind, m.Text, len(m.Attachments)))
	}
	if diff := cmp.Diff([]string{"operator:Allegare la planimetria.:0", "citizen:Eccola.:1"}, texts); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	evs, err := pratica.Events(ctx, f.d, s.ente, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "create:>draft submit:draft>submitted take_in_charge:submitted>in_review " +
		"request_integration:in_review>integration_requested answer_integration:integration_requested>in_review"
	if got := kinds(evs); got != want {
		t.Errorf("events\n got %s\nwant %s", got, want)
	}
}

func TestDecide(t *testing.T) {
	f := setup(t)
	s := f.ala
	id := f.reach(t, s, pratica.InReview)
	in := f.decideInput(s, false)
	var data pratica.LetterData
	in.Letter = func(d pratica.LetterData) ([]byte, error) { data = d; return letter(d) }
	in.Jobs = f.jobs(t)
	in.Mail = &mail.Message{To: "mario@example.it", Subject: "Esito", Text: "La pratica è conclusa.", Kind: "pratica-decided"}
	in.Motivation = "Manca il requisito della residenza."
	_, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
		bad := in
		bad.Motivation = " "
		return pratica.Decide(ctx, tx, s.ente, id, s.head, bad, t0)
	})
	wantKind(t, err, apperr.Invalid)
	p, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) { return pratica.Decide(ctx, tx, s.ente, id, s.head, in, t0) })
	if err != nil {
		t.Fatal(err)
	}
	if p.State != pratica.Rejected || p.OutcomeDisplay() != "2026/0000002" || !p.DecidedAt.Equal(t0) {
		t.Errorf("decided: state %s, outcome %q, at %v", p.State, p.OutcomeDisplay(), p.DecidedAt)
	}
	if data.Accepted || data.Protocol != "2026/0000001" || data.OperatorName != "Operatore responsabile" || data.FiscalCode != cfMario {
		t.Errorf("letter data %+v", data)
	}
	out, err := protocol.Get(ctx, f.d, s.ente, 2026, 2)
	if err != nil {
		t.Fatal(err)
	}
	var letterKey string
	for _, a := range p.Attachments {
		if a.Kind == pratica.Outcome {
			letterKey = a.SHA256
		}
	}
	if out.Direction != protocol.Out || out.DocumentSHA256 != letterKey || letterKey == "" || out.Correspondent != "Mario Rossi" {
		t.Errorf("outgoing entry %+v, letter %q", out, letterKey)
	}
	if recs, _ := mail.List(ctx, f.d, s.ente, mail.Filter{}); len(recs) != 1 {
		t.Errorf("outbox has %d messages, want 1", len(recs))
	}
	evs, _ := pratica.Events(ctx, f.d, s.ente, id)
	if last := evs[len(evs)-1]; last.Reason != in.Motivation || last.Kind != pratica.EventDecide {
		t.Errorf("last event %+v", last)
	}
}

func TestAssign(t *testing.T) {
	f := setup(t)
	s := f.ala
	id := f.reach(t, s, pratica.Submitted)
	assign := func(to identity.OperatorID) (*pratica.Pratica, error) {
		return f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) { return pratica.Assign(ctx, tx, s.ente, id, s.head, to, t0) })
	}
	p, err := assign(s.clerk)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != pratica.InReview || p.Assignee != s.clerk {
		t.Errorf("assigned a submitted pratica: state %s, assignee %d", p.State, p.Assignee)
	}
	if p, err = assign(s.head); err != nil || p.State != pratica.InReview || p.Assignee != s.head {
		t.Errorf("reassigned: %v, %+v", err, p)
	}
	_, err = assign(f.avio.clerk)
	wantKind(t, err, apperr.Invalid)
	evs, _ := pratica.Events(ctx, f.d, s.ente, id)
	want := "create:>draft submit:draft>submitted assign:submitted>in_review assign:in_review>in_review"
	if got := kinds(evs); got != want || evs[3].Assignee != s.head {
		t.Errorf("events %s (assignee %d), want %s", got, evs[3].Assignee, want)
	}
	done := f.reach(t, s, pratica.Accepted)
	_, err = f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
		return pratica.Assign(ctx, tx, s.ente, done, s.head, s.clerk, t0)
	})
	wantKind(t, err, apperr.Conflict)
}

func TestMarkPaidStartsTheTerm(t *testing.T) {
	f := setup(t)
	s := f.ala
	in := draftInput(s)
	in.Fee = 1600
	p := f.draft(t, s, in, t0)
	sub := f.submit(t, s, p.ID, day(calendar.D(2026, 3, 2)))
	if sub.State != pratica.AwaitingPayment || !sub.Due.IsZero() {
		t.Errorf("submitted with a fee: state %s, due %v", sub.State, sub.Due)
	}
	paid, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
		return pratica.MarkPaid(ctx, tx, s.cal, s.ente, p.ID, pratica.SystemActor, day(calendar.D(2026, 3, 5)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if paid.State != pratica.Submitted || paid.Due != calendar.D(2026, 4, 7) {
		t.Errorf("paid: state %s, due %v, want submitted and 2026-04-07", paid.State, paid.Due)
	}
}

func TestMessages(t *testing.T) {
	f := setup(t)
	s := f.ala
	draft := f.draft(t, s, draftInput(s), t0)
	id := f.reach(t, s, pratica.InReview)
	key, _ := blob.PutBytes(ctx, f.blobs, []byte("foto"))
	add := func(id pratica.ID, in pratica.MessageInput) error {
		return f.d.InTx(ctx, func(tx *sql.Tx) error {
			_, err := pratica.AddMessage(ctx, tx, s.ente, id, in, t0)
			return err
		})
	}
	tests := []struct {
		name string
		id   pratica.ID
		in   pratica.MessageInput
		want apperr.Kind
	}{
		{"citizen", id, pratica.MessageInput{From: identity.CitizenSubject(s.mario), Text: "Quando?",
			Attachments: []pratica.File{{Name: "foto.jpg", MIME: "image/jpeg", Size: 4, SHA256: string(key)}}}, apperr.Internal},
		{"operator", id, pratica.MessageInput{From: identity.OperatorSubject(s.clerk), Text: "A breve."}, apperr.Internal},
		{"internal note", id, pratica.MessageInput{From: identity.OperatorSubject(s.clerk), Internal: true, Text: "Verificare."}, apperr.Internal},
		{"citizen's internal note", id, pratica.MessageInput{From: identity.CitizenSubject(s.mario), Internal: true, Text: "x"}, apperr.Forbidden},
		{"another citizen", id, pratica.MessageInput{From: identity.CitizenSubject(s.giulia), Text: "x"}, apperr.Forbidden},
		{"empty", id, pratica.MessageInput{From: identity.OperatorSubject(s.clerk), Text: " "}, apperr.Invalid},
		{"bad file", id, pratica.MessageInput{From: identity.OperatorSubject(s.clerk), Text: "x",
			Attachments: []pratica.File{{Name: "a", MIME: "text/plain", SHA256: "nothex"}}}, apperr.Invalid},
		{"draft", draft.ID, pratica.MessageInput{From: identity.CitizenSubject(s.mario), Text: "x"}, apperr.Conflict},
		{"operator of another ente", id, pratica.MessageInput{From: identity.OperatorSubject(f.avio.clerk), Text: "x"}, apperr.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := add(tc.id, tc.in)
			if tc.want == apperr.Internal {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantKind(t, err, tc.want)
		})
	}
	summary := func(ms []pratica.Message) []string {
		var out []string
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%s %t %q %d", m.From.Kind, m.Internal, m.Text, len(m.Attachments)))
		}
		return out
	}
	public, err := pratica.Messages(ctx, f.d, s.ente, id, false)
	if err != nil {
		t.Fatal(err)
	}
	all, err := pratica.Messages(ctx, f.d, s.ente, id, true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{`citizen false "Quando?" 1`, `operator false "A breve." 0`}, summary(public)); diff != "" {
		t.Errorf("citizen's view (-want +got):\n%s", diff)
	}
	if len(all) != 3 || !all[2].Internal {
		t.Errorf("office's view: %v", summary(all))
	}
}
