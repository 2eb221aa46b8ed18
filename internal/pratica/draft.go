package pratica

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// draftExpiry is the moment a draft saved at now may be purged: a year
// later, since issue 4 promises at least a year of save-and-return.
func draftExpiry(now time.Time) time.Time { return ts(now).AddDate(1, 0, 0) }

// MaxAnswers bounds the answers of one pratica, far above any real form, so
// that a bug or an attacker cannot fill the database through autosave.
const MaxAnswers = 1 << 20

// DraftInput is what the web layer knows when a citizen (or a delegate, or
// the desk) starts a request: the service card's data and who is filing.
type DraftInput struct {
	Service        string
	ServiceVersion int
	// FormVersion is the current version of the service's form; zero
	// means 1.
	FormVersion int
	Title       string
	Citizen     identity.CitizenID
	FiledBy     identity.Subject
	// Delegation is required when FiledBy is a citizen other than Citizen.
	Delegation identity.DelegationID
	Office     int64
	Term       Term
	Fee        int64
}

func (in DraftInput) validate() error {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if strings.TrimSpace(in.Service) == "" || in.ServiceVersion < 1 {
		add("service and version are required")
	}
	if in.FormVersion < 0 {
		add("form version is negative")
	}
	if strings.TrimSpace(in.Title) == "" {
		add("title is required")
	}
	if in.Citizen <= 0 || in.Office <= 0 {
		add("citizen and office are required")
	}
	switch {
	case in.FiledBy.ID <= 0:
		add("filed by nobody")
	case in.FiledBy.Kind == identity.SubjectOperator && in.Delegation != 0:
		add("a desk operator files without a delegation")
	case in.FiledBy.Kind == identity.SubjectCitizen && identity.CitizenID(in.FiledBy.ID) == in.Citizen && in.Delegation != 0:
		add("a citizen files for themselves without a delegation")
	case in.FiledBy.Kind == identity.SubjectCitizen && identity.CitizenID(in.FiledBy.ID) != in.Citizen && in.Delegation == 0:
		add("a delegate files under a delegation")
	case in.FiledBy.Kind != identity.SubjectCitizen && in.FiledBy.Kind != identity.SubjectOperator:
		add("filed by an unknown kind of subject %q", in.FiledBy.Kind)
	}
	if err := in.Term.validate(); err != nil {
		add("%v", err)
	}
	if in.Fee < 0 {
		add("fee is negative")
	}
	if len(probs) > 0 {
		return apperr.Errorf(apperr.Invalid, "%s", strings.Join(probs, "; "))
	}
	return nil
}

const insertDraft = `INSERT INTO pratica (ente_id, service, service_version, title, citizen_id, filed_by_citizen,
	filed_by_operator, delegation_id, office_id, state, answers, term_days, term_working, silent_assent, fee, due,
	created_at, updated_at, draft_expires, form_version)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', '{}', $10, $11, $12, $13, $14, $15, $15, $16, $17) RETURNING id`

// CreateDraft starts a pratica in the draft state, with empty answers, and
// records its creation event. Call it in a transaction, so that the row and
// its event are stored together. A citizen, office, delegation or operator
// that is not the ente's is Invalid.
func CreateDraft(ctx context.Context, q db.Querier, ente tenant.ID, in DraftInput, now time.Time) (*Pratica, error) {
	if err := in.validate(); err != nil {
		return nil, fmt.Errorf("pratica: create draft: %w", err)
	}
	p := &Pratica{
		Ente: ente, Service: in.Service, ServiceVersion: in.ServiceVersion, FormVersion: max(1, in.FormVersion), Title: strings.TrimSpace(in.Title),
		Citizen: in.Citizen, FiledBy: in.FiledBy, Delegation: in.Delegation, Office: in.Office, State: Draft,
		Answers: json.RawMessage(`{}`), Term: in.Term, Fee: in.Fee, CreatedAt: ts(now), UpdatedAt: ts(now),
		DraftExpires: draftExpiry(now),
	}
	var byCitizen, byOperator sql.NullInt64
	if in.FiledBy.Kind == identity.SubjectCitizen {
		byCitizen = nullInt(in.FiledBy.ID)
	} else {
		byOperator = nullInt(in.FiledBy.ID)
	}
	err := q.QueryRowContext(ctx, insertDraft, ente, p.Service, p.ServiceVersion, p.Title, p.Citizen, byCitizen,
		byOperator, nullInt(int64(p.Delegation)), p.Office, p.Term.Days, p.Term.Working, p.Term.SilentAssent, p.Fee,
		noDue, p.CreatedAt, p.DraftExpires, p.FormVersion).Scan(&p.ID)
	if db.IsForeignKeyViolation(err) {
		return nil, apperr.Errorf(apperr.Invalid, "pratica: create draft: citizen, office, delegation or operator is not of ente %d", ente)
	}
	if err != nil {
		return nil, fmt.Errorf("pratica: create draft: %w", err)
	}
	err = addEvent(ctx, q, ente, p.ID, Event{At: now, Actor: ActorOf(in.FiledBy), Kind: EventCreate, To: Draft})
	if err != nil {
		return nil, fmt.Errorf("pratica %d: create draft: %w", p.ID, err)
	}
	return p, nil
}

// checkAnswers accepts a JSON object of reasonable size, what form.Answers
// encodes to.
func checkAnswers(answers json.RawMessage) error {
	trimmed := bytes.TrimSpace(answers)
	switch {
	case len(trimmed) > MaxAnswers:
		return apperr.Errorf(apperr.Invalid, "answers larger than %d bytes", MaxAnswers)
	case len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed):
		return apperr.Errorf(apperr.Invalid, "answers are not a JSON object")
	}
	return nil
}

func (f File) validate() error {
	switch {
	case strings.TrimSpace(f.Name) == "" || len(f.Name) > 255 || !utf8.ValidString(f.Name) || strings.ContainsAny(f.Name, "/\\\x00\r\n"):
		return apperr.Errorf(apperr.Invalid, "file %q: name must be 1–255 characters without slashes", truncate(f.Name, 40))
	case strings.TrimSpace(f.MIME) == "" || len(f.MIME) > 127:
		return apperr.Errorf(apperr.Invalid, "file %q: MIME type required", f.Name)
	case f.Size < 0:
		return apperr.Errorf(apperr.Invalid, "file %q: negative size", f.Name)
	case len(f.Field) > 100:
		return apperr.Errorf(apperr.Invalid, "file %q: field id too long", f.Name)
	}
	if _, err := blob.ParseKey(f.SHA256); err != nil {
		return apperr.Errorf(apperr.Invalid, "file %q: %w", f.Name, err)
	}
	return nil
}

// SaveDraft stores the draft's answers (autosave, save-and-return) and
// moves its expiry a year past now. A nil files keeps the uploads as they
// are; a non-nil one (even empty) replaces them, as the form's file fields
// now list them. Call it in a transaction. A pratica no longer in draft is
// a Conflict: what was submitted does not change.
func SaveDraft(ctx context.Context, q db.Querier, ente tenant.ID, id ID, answers json.RawMessage, files []File, now time.Time) error {
	if err := checkAnswers(answers); err != nil {
		return fmt.Errorf("pratica %d: save draft: %w", id, err)
	}
	for _, f := range files {
		if err := f.validate(); err != nil {
			return fmt.Errorf("pratica %d: save draft: %w", id, err)
		}
	}
	res, err := q.ExecContext(ctx, `UPDATE pratica SET answers = $3, updated_at = $4, draft_expires = $5
		WHERE ente_id = $1 AND id = $2 AND state = 'draft'`, ente, id, string(bytes.TrimSpace(answers)), ts(now), draftExpiry(now))
	if err != nil {
		return fmt.Errorf("pratica %d: save draft: %w", id, err)
	}
	if err := draftChanged(ctx, q, ente, id, res); err != nil {
		return fmt.Errorf("pratica %d: save draft: %w", id, err)
	}
	if files == nil {
		return nil
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM pratica_attachment WHERE ente_id = $1 AND pratica_id = $2 AND kind = 'upload'`, ente, id); err != nil {
		return fmt.Errorf("pratica %d: save draft: %w", id, err)
	}
	if _, err := addFiles(ctx, q, ente, id, Upload, 0, files, now); err != nil {
		return fmt.Errorf("pratica %d: save draft: %w", id, err)
	}
	return nil
}

// draftChanged explains a statement on a draft that touched no row: the
// pratica does not exist (NotFound) or is no longer a draft (Conflict).
func draftChanged(ctx context.Context, q db.Querier, ente tenant.ID, id ID, res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil || n == 1 {
		return err
	}
	var state string
	err = q.QueryRowContext(ctx, `SELECT state FROM pratica WHERE ente_id = $1 AND id = $2`, ente, id).Scan(&state)
	if err != nil {
		return notFound(err)
	}
	return &apperr.Error{Kind: apperr.Conflict, Public: "La pratica è già stata inviata e non si può più modificare.",
		Err: fmt.Errorf("state is %s, not draft", state)}
}

// DeleteDraft removes a draft with its events and attachment rows (the
// blobs stay: equal files share them). A submitted pratica is never
// deleted: it is a Conflict; withdraw it instead.
func DeleteDraft(ctx context.Context, q db.Querier, ente tenant.ID, id ID) error {
	res, err := q.ExecContext(ctx, `DELETE FROM pratica WHERE ente_id = $1 AND id = $2 AND state = 'draft'`, ente, id)
	if err != nil {
		return fmt.Errorf("pratica %d: delete draft: %w", id, err)
	}
	if err := draftChanged(ctx, q, ente, id, res); err != nil {
		return fmt.Errorf("pratica %d: delete draft: %w", id, err)
	}
	return nil
}

// PurgeExpiredDrafts deletes, in every ente, the drafts not saved for a
// year (DraftExpires before now), for the daily maintenance job; it returns
// how many went.
func PurgeExpiredDrafts(ctx context.Context, q db.Querier, now time.Time) (int, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM pratica WHERE draft_expires < $1 AND state = 'draft'`, ts(now))
	if err != nil {
		return 0, fmt.Errorf("pratica: purge drafts: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
