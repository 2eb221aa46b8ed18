package pratica_test

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/protocol"
)

func TestSubmit(t *testing.T) {
	f := setup(t)
	s := f.ala
	p := f.draft(t, s, draftInput(s), t0)
	upload, err := blob.PutBytes(ctx, f.blobs, []byte("carta d'identità"))
	if err != nil {
		t.Fatal(err)
	}
	files := []pratica.File{{Field: "documento", Name: "documento.pdf", MIME: "application/pdf", Size: 17, SHA256: string(upload)}}
	err = f.d.InTx(ctx, func(tx *sql.Tx) error {
		return pratica.SaveDraft(ctx, tx, s.ente, p.ID, []byte(`{"nome":{"text":"Mario"}}`), files, t0)
	})
	if err != nil {
		t.Fatal(err)
	}
	in := f.submitInput(s, "k1")
	in.Jobs = f.jobs(t)
	in.FormVersion = 2 // the form changed while the draft waited
	in.EnteLines, in.VerifyURL = []string{"Codice fiscale 00000000000"}, "https://ala.example/area-personale/pratiche"
	in.Mail = &mail.Message{To: "mario@example.it", Subject: "Pratica ricevuta", Text: "Abbiamo ricevuto la sua pratica.", Kind: "pratica-received"}
	at := t0.Add(time.Hour)
	sub, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) { return pratica.Submit(ctx, tx, s.ente, p.ID, in, at) })
	if err != nil {
		t.Fatal(err)
	}
	if sub.State != pratica.Submitted || sub.ProtocolDisplay() != "2026/0000001" || !sub.DraftExpires.IsZero() {
		t.Errorf("submitted pratica: state %s, protocol %q, draft expires %v", sub.State, sub.ProtocolDisplay(), sub.DraftExpires)
	}
	if sub.FormVersion != 2 {
		t.Errorf("FormVersion = %d, want the one the answers were validated against, 2", sub.FormVersion)
	}
	if want := calendar.D(2026, 4, 1); sub.Due != want {
		t.Errorf("Due = %v, want %v (30 days from 2 March)", sub.Due, want)
	}
	stored := f.get(t, s, p.ID)
	if diff := cmp.Diff(sub, stored, cmp.AllowUnexported(pratica.Pratica{})); diff != "" {
		t.Errorf("returned and stored pratica differ (-returned +stored):\n%s", diff)
	}
	entry, err := protocol.Get(ctx, f.d, s.ente, 2026, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantEntry := protocol.Entry{Direction: protocol.In, Subject: "Istanza: Dichiarazione di residenza",
		Correspondent: "Mario Rossi", DocumentSHA256: stored.Digest(), CreatedBy: fmt.Sprintf("citizen:%d", s.mario)}
	gotEntry := protocol.Entry{Direction: entry.Direction, Subject: entry.Subject, Correspondent: entry.Correspondent,
		DocumentSHA256: entry.DocumentSHA256, CreatedBy: entry.CreatedBy}
	if diff := cmp.Diff(wantEntry, gotEntry); diff != "" {
		t.Errorf("protocol entry mismatch (-want +got):\n%s", diff)
	}
	if !entry.RegisteredAt.Equal(stored.SubmittedAt) {
		t.Errorf("registered at %v, submitted at %v", entry.RegisteredAt, stored.SubmittedAt)
	}
	// The submission recorded the receipt's content; the document itself is
	// issued after the commit.
	if got := pendingReceipts(t, f, at.Add(time.Hour)); !slices.Equal(got, []pratica.ID{p.ID}) {
		t.Errorf("pending receipts %v, want [%d]", got, p.ID)
	}
	if kinds := attachmentKinds(stored.Attachments); !slices.Equal(kinds, []pratica.AttachmentKind{pratica.Upload}) {
		t.Errorf("attachments before the receipt is issued: %v", kinds)
	}
	content, err := pratica.ReceiptContent(ctx, f.d, s.ente, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got pratica.ReceiptData
	renders := 0
	render := func(d pratica.ReceiptData) ([]byte, error) { got = d; renders++; return receipt(d) }
	issued, err := pratica.IssueReceipt(ctx, f.d, f.blobs, render, s.ente, p.ID, at)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*content, got); diff != "" {
		t.Errorf("rendered data differs from the recorded content (-recorded +rendered):\n%s", diff)
	}
	// Issuing again (the job after the request) renders nothing new.
	again, err := pratica.IssueReceipt(ctx, f.d, f.blobs, render, s.ente, p.ID, at.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if renders != 1 || again.ID != issued.ID || again.SHA256 != issued.SHA256 {
		t.Errorf("second issue: %d renders, attachment %+v, first %+v", renders, again, issued)
	}
	if got := pendingReceipts(t, f, at.Add(time.Hour)); len(got) != 0 {
		t.Errorf("pending receipts after issue: %v", got)
	}
	stored = f.get(t, s, p.ID)
	wantData := pratica.ReceiptData{
		EnteName: "Comune di ala", EnteLines: []string{"Codice fiscale 00000000000"},
		VerifyURL: "https://ala.example/area-personale/pratiche", Pratica: p.ID, Service: "cambio-residenza", ServiceVersion: 1,
		ServiceTitle: "Dichiarazione di residenza", Protocol: "2026/0000001", CitizenName: "Mario Rossi", FiscalCode: cfMario,
		Summary:     []pratica.ReceiptLine{{Label: "Nome", Value: "Mario"}},
		Attachments: []pratica.ReceiptFile{{Name: "documento.pdf", Size: 17, SHA256: string(upload)}},
		Digest:      stored.Digest(), Term: pratica.Term{Days: 30}, Due: calendar.D(2026, 4, 1),
	}
	if got.RegisteredAt.Location().String() != "Europe/Rome" || got.RegisteredAt.Hour() != 11 {
		t.Errorf("receipt time %v, want 11:00 Europe/Rome", got.RegisteredAt)
	}
	got.RegisteredAt = time.Time{}
	if diff := cmp.Diff(wantData, got); diff != "" {
		t.Errorf("receipt data mismatch (-want +got):\n%s", diff)
	}
	var attKinds []pratica.AttachmentKind
	var receiptKey string
	for _, a := range stored.Attachments {
		attKinds = append(attKinds, a.Kind)
		if a.Kind == pratica.Receipt {
			receiptKey = a.SHA256
			if a.Name != "ricevuta-2026-0000001.pdf" || a.MIME != "application/pdf" {
				t.Errorf("receipt attachment %+v", a)
			}
		}
	}
	if diff := cmp.Diff([]pratica.AttachmentKind{pratica.Upload, pratica.Receipt}, attKinds); diff != "" {
		t.Errorf("attachments (-want +got):\n%s", diff)
	}
	rc, err := f.blobs.Open(ctx, blob.Key(receiptKey))
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(rc)
	rc.Close()
	if !strings.Contains(string(pdf), "2026/0000001") {
		t.Errorf("stored receipt %q lacks the protocol number", pdf)
	}
	recs, err := mail.List(ctx, f.d, s.ente, mail.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Ref != fmt.Sprintf("pratica:%d", p.ID) {
		t.Errorf("mail outbox = %+v, want one message about the pratica", recs)
	}
	evs, err := pratica.Events(ctx, f.d, s.ente, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(evs), "create:>draft submit:draft>submitted"; got != want {
		t.Errorf("events = %s, want %s", got, want)
	}
	if err := protocol.Verify(ctx, f.d, s.ente, 2026); err != nil {
		t.Error(err)
	}
}

// TestSubmitIsIdempotent: a retried POST with the same key returns the same
// pratica and number; another key is a Conflict, and so is a key reused for
// another pratica.
func TestSubmitIsIdempotent(t *testing.T) {
	f := setup(t)
	s := f.ala
	p := f.draft(t, s, draftInput(s), t0)
	submit := func(id pratica.ID, key string, at time.Time) (*pratica.Pratica, error) {
		return f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
			return pratica.Submit(ctx, tx, s.ente, id, f.submitInput(s, key), at)
		})
	}
	first, err := submit(p.ID, "same", t0)
	if err != nil {
		t.Fatal(err)
	}
	again, err := submit(p.ID, "same", t0.Add(time.Minute))
	if err != nil {
		t.Fatalf("retry with the same key: %v", err)
	}
	if diff := cmp.Diff(first, again, cmp.AllowUnexported(pratica.Pratica{})); diff != "" {
		t.Errorf("retry changed the pratica (-first +retry):\n%s", diff)
	}
	_, err = submit(p.ID, "other", t0.Add(time.Minute))
	wantKind(t, err, apperr.Conflict)
	other := f.draft(t, s, draftInput(s), t0)
	_, err = submit(other.ID, "same", t0.Add(time.Minute))
	wantKind(t, err, apperr.Conflict)
	if got := f.get(t, s, other.ID); got.State != pratica.Draft {
		t.Errorf("other pratica is %s after a refused key, want draft", got.State)
	}
	if diff := cmp.Diff([]protocol.Number{1}, numbers(t, f.d, s.ente, 2026)); diff != "" {
		t.Errorf("protocol numbers (-want +got):\n%s", diff)
	}
	// The same key is free in another ente.
	q := f.draft(t, f.avio, draftInput(f.avio), t0)
	if _, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
		return pratica.Submit(ctx, tx, f.avio.ente, q.ID, f.submitInput(f.avio, "same"), t0)
	}); err != nil {
		t.Errorf("same key in another ente: %v", err)
	}
}

// TestConcurrentSubmitsAreGapless: 64 submitters at once, on 64 pratiche,
// get 1..64, each once; two double-clicks on one pratica get one number.
func TestConcurrentSubmitsAreGapless(t *testing.T) {
	f := setup(t)
	s := f.ala
	const n = 64
	ids := make([]pratica.ID, n)
	for i := range ids {
		ids[i] = f.draft(t, s, draftInput(s), t0).ID
	}
	got := make([]protocol.Number, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			p, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
				return pratica.Submit(ctx, tx, s.ente, ids[i], f.submitInput(s, fmt.Sprintf("k%d", i)), t0)
			})
			errs[i] = err
			if err == nil {
				got[i] = protocol.Number(p.ProtocolNumber)
			}
		})
	}
	wg.Wait()
	t.Logf("%s: %d concurrent submissions in %s", f.d.Engine, n, time.Since(start))
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := make([]protocol.Number, n)
	for i := range want {
		want[i] = protocol.Number(i + 1)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("numbers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, numbers(t, f.d, s.ente, 2026)); diff != "" {
		t.Errorf("register (-want +got):\n%s", diff)
	}
	if err := protocol.Verify(ctx, f.d, s.ente, 2026); err != nil {
		t.Error(err)
	}

	// A double click: two submits of one pratica with one key.
	p := f.draft(t, s, draftInput(s), t0)
	var twice [2]*pratica.Pratica
	for i := range twice {
		wg.Go(func() {
			twice[i], errs[i] = f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
				return pratica.Submit(ctx, tx, s.ente, p.ID, f.submitInput(s, "click"), t0)
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs[:2]...); err != nil {
		t.Fatal(err)
	}
	if twice[0].ProtocolNumber != n+1 || twice[1].ProtocolNumber != n+1 {
		t.Errorf("double click numbers %d and %d, want %d for both", twice[0].ProtocolNumber, twice[1].ProtocolNumber, n+1)
	}
	if got := len(numbers(t, f.d, s.ente, 2026)); got != n+1 {
		t.Errorf("register has %d entries, want %d", got, n+1)
	}
}

// TestFailedSubmitLeavesNothing: a failure at the end of the submission's
// transaction rolls back everything — protocol entry, receipt content and
// job, mail — and the next submission takes number 1: no gap.
func TestFailedSubmitLeavesNothing(t *testing.T) {
	f := setup(t)
	s := f.ala
	p := f.draft(t, s, draftInput(s), t0)
	in := f.submitInput(s, "k")
	in.Jobs = f.jobs(t)
	in.Mail = &mail.Message{To: "mario@example.it", Subject: "Ricevuta", Text: "Ricevuta.", Kind: "pratica-received"}
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := pratica.Submit(ctx, tx, s.ente, p.ID, in, t0); err != nil {
			return err
		}
		return errBoom // what the caller does next fails
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want the caller's", err)
	}
	if _, err := pratica.ReceiptContent(ctx, f.d, s.ente, p.ID); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("receipt content after a rollback: %v", err)
	}
	if got := pendingReceipts(t, f, t0.Add(time.Hour)); len(got) != 0 {
		t.Errorf("pending receipts after a rollback: %v", got)
	}
	got := f.get(t, s, p.ID)
	if got.State != pratica.Draft || got.ProtocolNumber != 0 || len(got.Attachments) != 0 {
		t.Errorf("after a failed submit: state %s, protocol %d, %d attachments", got.State, got.ProtocolNumber, len(got.Attachments))
	}
	if n := numbers(t, f.d, s.ente, 2026); len(n) != 0 {
		t.Errorf("register holds %v after a rollback", n)
	}
	if recs, _ := mail.List(ctx, f.d, s.ente, mail.Filter{}); len(recs) != 0 {
		t.Errorf("outbox holds %d messages after a rollback", len(recs))
	}
	// The same key works once the renderer does.
	if sub := f.submitWithKey(t, s, p.ID, "k"); sub.ProtocolNumber != 1 {
		t.Errorf("next submission took number %d, want 1", sub.ProtocolNumber)
	}
}

func (f *fixture) submitWithKey(t *testing.T, s side, id pratica.ID, key string) *pratica.Pratica {
	t.Helper()
	p, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
		return pratica.Submit(ctx, tx, s.ente, id, f.submitInput(s, key), t0)
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWhoMaySubmit: the holder, the delegate who filed it, the desk
// operator; not another citizen.
func TestWhoMaySubmit(t *testing.T) {
	f := setup(t)
	s := f.ala
	deleg, err := identity.CreateDelegation(ctx, f.d, s.ente, identity.DelegationInput{
		Delegator: s.mario, DelegateFiscalCode: cfGiulia, DelegateName: "Giulia Bianchi",
		ValidUntil: calendar.D(2026, 12, 31), CreatedBy: identity.CitizenSubject(s.mario),
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	byDelegate := draftInput(s)
	byDelegate.FiledBy, byDelegate.Delegation = identity.CitizenSubject(s.giulia), deleg.ID
	atDesk := draftInput(s)
	atDesk.FiledBy = identity.OperatorSubject(s.clerk)
	tests := []struct {
		name  string
		in    pratica.DraftInput
		actor identity.Subject
		want  apperr.Kind // Internal means success
	}{
		{"holder", draftInput(s), identity.CitizenSubject(s.mario), apperr.Internal},
		{"other citizen", draftInput(s), identity.CitizenSubject(s.giulia), apperr.Forbidden},
		{"delegate", byDelegate, identity.CitizenSubject(s.giulia), apperr.Internal},
		{"desk operator", atDesk, identity.OperatorSubject(s.clerk), apperr.Internal},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := f.draft(t, s, tc.in, t0)
			in := f.submitInput(s, fmt.Sprintf("who-%d", i))
			in.Actor = tc.actor
			_, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) { return pratica.Submit(ctx, tx, s.ente, p.ID, in, t0) })
			if tc.want == apperr.Internal {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantKind(t, err, tc.want)
		})
	}
}

// TestIssueReceipt: a renderer that fails leaves the submission as it is
// and no document; the next attempt issues it; racing issuers store one.
func TestIssueReceipt(t *testing.T) {
	f := setup(t)
	s := f.ala
	p := f.draft(t, s, draftInput(s), t0)
	if _, err := pratica.IssueReceipt(ctx, f.d, f.blobs, receipt, s.ente, p.ID, t0); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("receipt of a draft: err = %v, want NotFound", err)
	}
	_, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
		return pratica.Submit(ctx, tx, s.ente, p.ID, f.submitInput(s, "k"), t0)
	})
	if err != nil {
		t.Fatal(err)
	}
	failing := func(pratica.ReceiptData) ([]byte, error) { return nil, errBoom }
	if _, err := pratica.IssueReceipt(ctx, f.d, f.blobs, failing, s.ente, p.ID, t0); !errors.Is(err, errBoom) {
		t.Errorf("err = %v, want the renderer's", err)
	}
	if got := f.get(t, s, p.ID); got.State != pratica.Submitted || len(got.Attachments) != 0 {
		t.Errorf("after a failed render: state %s, %d attachments", got.State, len(got.Attachments))
	}
	// The other ente sees no receipt of this pratica.
	if _, err := pratica.IssueReceipt(ctx, f.d, f.blobs, receipt, f.avio.ente, p.ID, t0); err == nil {
		t.Error("another ente issued this pratica's receipt")
	}
	var wg sync.WaitGroup
	got := make([]*pratica.Attachment, 8)
	errs := make([]error, len(got))
	for i := range got {
		wg.Go(func() { got[i], errs[i] = pratica.IssueReceipt(ctx, f.d, f.blobs, receipt, s.ente, p.ID, t0) })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatalf("issuer %d: %v", i, errs[i])
		}
		if got[i].ID != got[0].ID || got[i].SHA256 != got[0].SHA256 {
			t.Errorf("issuer %d got %+v, issuer 0 %+v", i, got[i], got[0])
		}
	}
	if kinds := attachmentKinds(f.get(t, s, p.ID).Attachments); !slices.Equal(kinds, []pratica.AttachmentKind{pratica.Receipt}) {
		t.Errorf("attachments after racing issuers: %v, want one receipt", kinds)
	}
}

func attachmentKinds(as []pratica.Attachment) []pratica.AttachmentKind {
	var out []pratica.AttachmentKind
	for _, a := range as {
		out = append(out, a.Kind)
	}
	return out
}

// pendingReceipts lists the pratiche whose receipt is pending before t.
func pendingReceipts(t *testing.T, f *fixture, before time.Time) []pratica.ID {
	t.Helper()
	ps, err := pratica.PendingReceipts(ctx, f.d, before, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []pratica.ID
	for _, p := range ps {
		out = append(out, p.Pratica)
	}
	return out
}

// TestReceiptSweep: the sweep issues what a crash left behind, leaves
// fresh submissions to their request, and survives a failing render.
func TestReceiptSweep(t *testing.T) {
	f := setup(t)
	var ids []pratica.ID
	for i, s := range []side{f.ala, f.ala, f.avio} {
		p := f.draft(t, s, draftInput(s), t0)
		_, err := f.tx(t, func(tx *sql.Tx) (*pratica.Pratica, error) {
			return pratica.Submit(ctx, tx, s.ente, p.ID, f.submitInput(s, fmt.Sprint("sweep-", i)), t0.Add(time.Duration(i)*time.Minute))
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	log := slog.New(slog.DiscardHandler)
	// 30 seconds after the last submission: the last is still fresh.
	n, err := pratica.IssuePendingReceipts(ctx, f.d, f.blobs, receipt, log, t0.Add(2*time.Minute+20*time.Second))
	if err != nil || n != 2 {
		t.Errorf("first sweep issued %d (err %v), want 2", n, err)
	}
	failing := func(pratica.ReceiptData) ([]byte, error) { return nil, errBoom }
	if n, err := pratica.IssuePendingReceipts(ctx, f.d, f.blobs, failing, log, t0.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("failing sweep issued %d (err %v), want 0 and no error", n, err)
	}
	if n, err := pratica.IssuePendingReceipts(ctx, f.d, f.blobs, receipt, log, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("last sweep issued %d (err %v), want 1", n, err)
	}
	for i, s := range []side{f.ala, f.ala, f.avio} {
		if kinds := attachmentKinds(f.get(t, s, ids[i]).Attachments); !slices.Equal(kinds, []pratica.AttachmentKind{pratica.Receipt}) {
			t.Errorf("pratica %d: attachments %v, want its receipt", ids[i], kinds)
		}
	}
}
