package pratica_test

import (
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pratica"
)

func TestCreateDraft(t *testing.T) {
	f := setup(t)
	s := f.ala
	p := f.draft(t, s, draftInput(s), t0)
	want := &pratica.Pratica{
		ID: p.ID, Ente: s.ente, Service: "cambio-residenza", ServiceVersion: 1, FormVersion: 1, Title: "Dichiarazione di residenza",
		Citizen: s.mario, FiledBy: identity.CitizenSubject(s.mario), Office: s.anagrafe, State: pratica.Draft,
		Answers: json.RawMessage(`{"nome":{"text":"Mario"}}`), Term: pratica.Term{Days: 30},
		CreatedAt: t0, UpdatedAt: t0, DraftExpires: t0.AddDate(1, 0, 0),
	}
	if diff := cmp.Diff(want, f.get(t, s, p.ID), cmp.AllowUnexported(pratica.Pratica{})); diff != "" {
		t.Errorf("stored draft (-want +got):\n%s", diff)
	}
	evs, err := pratica.Events(ctx, f.d, s.ente, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]pratica.Event{{Seq: 1, At: t0, Actor: pratica.CitizenActor(s.mario), Kind: pratica.EventCreate, To: pratica.Draft}}, evs); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestCreateDraftRefuses(t *testing.T) {
	f := setup(t)
	s := f.ala
	with := func(change func(in *pratica.DraftInput)) pratica.DraftInput {
		in := draftInput(s)
		change(&in)
		return in
	}
	tests := []struct {
		name string
		in   pratica.DraftInput
	}{
		{"no service", with(func(in *pratica.DraftInput) { in.Service = "" })},
		{"no version", with(func(in *pratica.DraftInput) { in.ServiceVersion = 0 })},
		{"no title", with(func(in *pratica.DraftInput) { in.Title = " " })},
		{"no citizen", with(func(in *pratica.DraftInput) { in.Citizen = 0 })},
		{"no office", with(func(in *pratica.DraftInput) { in.Office = 0 })},
		{"nobody filed", with(func(in *pratica.DraftInput) { in.FiledBy = identity.Subject{} })},
		{"delegate without delegation", with(func(in *pratica.DraftInput) { in.FiledBy = identity.CitizenSubject(s.giulia) })},
		{"holder with a delegation", with(func(in *pratica.DraftInput) { in.Delegation = 1 })},
		{"operator with a delegation", with(func(in *pratica.DraftInput) {
			in.FiledBy, in.Delegation = identity.OperatorSubject(s.clerk), 1
		})},
		{"negative term", with(func(in *pratica.DraftInput) { in.Term.Days = -1 })},
		{"negative fee", with(func(in *pratica.DraftInput) { in.Fee = -1 })},
		{"office of another ente", with(func(in *pratica.DraftInput) { in.Office = f.avio.anagrafe })},
		{"citizen of another ente", with(func(in *pratica.DraftInput) {
			in.Citizen = f.avio.mario
			in.FiledBy = identity.CitizenSubject(f.avio.mario)
		})},
		{"operator of another ente", with(func(in *pratica.DraftInput) { in.FiledBy = identity.OperatorSubject(f.avio.clerk) })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := f.d.InTx(ctx, func(tx *sql.Tx) error {
				_, err := pratica.CreateDraft(ctx, tx, s.ente, tc.in, t0)
				return err
			})
			wantKind(t, err, apperr.Invalid)
		})
	}
}

func TestSaveDraft(t *testing.T) {
	f := setup(t)
	s := f.ala
	p := f.draft(t, s, draftInput(s), t0)
	key, _ := blob.PutBytes(ctx, f.blobs, []byte("documento"))
	file := pratica.File{Field: "doc", Name: "doc.pdf", MIME: "application/pdf", Size: 9, SHA256: string(key)}
	save := func(id pratica.ID, answers string, files []pratica.File, at time.Time) error {
		return f.d.InTx(ctx, func(tx *sql.Tx) error { return pratica.SaveDraft(ctx, tx, s.ente, id, []byte(answers), files, at) })
	}
	later := t0.Add(48 * time.Hour)
	if err := save(p.ID, `{"nome":{"text":"Maria"}}`, []pratica.File{file, file}, later); err != nil {
		t.Fatal(err)
	}
	got := f.get(t, s, p.ID)
	if string(got.Answers) != `{"nome":{"text":"Maria"}}` || !got.DraftExpires.Equal(later.AddDate(1, 0, 0)) || len(got.Attachments) != 2 {
		t.Errorf("saved: answers %s, expires %v, %d files", got.Answers, got.DraftExpires, len(got.Attachments))
	}
	if err := save(p.ID, `{}`, nil, later); err != nil || len(f.get(t, s, p.ID).Attachments) != 2 {
		t.Errorf("nil files dropped the uploads (err %v)", err)
	}
	if err := save(p.ID, `{}`, []pratica.File{}, later); err != nil || len(f.get(t, s, p.ID).Attachments) != 0 {
		t.Errorf("empty files kept the uploads (err %v)", err)
	}
	for _, bad := range []string{``, `[]`, `{"a":`, `"x"`, `null`} {
		wantKind(t, save(p.ID, bad, nil, later), apperr.Invalid)
	}
	wantKind(t, save(p.ID, `{}`, []pratica.File{{Name: "x", MIME: "a/b", SHA256: "00"}}, later), apperr.Invalid)
	wantKind(t, save(p.ID+1000, `{}`, nil, later), apperr.NotFound)
	f.submit(t, s, p.ID, later)
	wantKind(t, save(p.ID, `{}`, nil, later), apperr.Conflict)
}

func TestDeleteAndPurgeDrafts(t *testing.T) {
	f := setup(t)
	s := f.ala
	old := f.draft(t, s, draftInput(s), t0)
	kept := f.draft(t, s, draftInput(s), t0.AddDate(0, 6, 0))
	gone := f.draft(t, s, draftInput(s), t0)
	submitted := f.draft(t, s, draftInput(s), t0)
	f.submit(t, s, submitted.ID, t0)
	if err := pratica.DeleteDraft(ctx, f.d, s.ente, gone.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, pratica.DeleteDraft(ctx, f.d, s.ente, gone.ID), apperr.NotFound)
	wantKind(t, pratica.DeleteDraft(ctx, f.d, s.ente, submitted.ID), apperr.Conflict)
	// A day short of a year nothing goes; a year and a day after, the old
	// draft goes and the submitted pratica stays.
	if n, err := pratica.PurgeExpiredDrafts(ctx, f.d, t0.AddDate(1, 0, -1)); err != nil || n != 0 {
		t.Errorf("early purge removed %d (err %v)", n, err)
	}
	if n, err := pratica.PurgeExpiredDrafts(ctx, f.d, t0.AddDate(1, 0, 1)); err != nil || n != 1 {
		t.Errorf("purge removed %d (err %v), want 1", n, err)
	}
	for id, want := range map[pratica.ID]bool{old.ID: false, kept.ID: true, submitted.ID: true} {
		_, err := pratica.Get(ctx, f.d, s.ente, id)
		if exists := err == nil; exists != want {
			t.Errorf("pratica %d exists = %t, want %t (err %v)", id, exists, want, err)
		}
	}
}
