package pratica

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

// Summary is a pratica as a list shows it: no answers, no attachments, so
// that a page of a queue reads a few index entries and rows.
type Summary struct {
	ID             ID
	Service        string
	Title          string
	Citizen        identity.CitizenID
	CitizenName    string
	FiledBy        identity.Subject
	Office         int64
	State          State
	ProtocolYear   int
	ProtocolNumber int64
	SubmittedAt    time.Time
	DecidedAt      time.Time
	Term           Term
	Due            calendar.Date
	Assignee       identity.OperatorID
	UpdatedAt      time.Time
}

// ProtocolDisplay is the incoming protocol number, "2026/0000042", or "".
func (s *Summary) ProtocolDisplay() string { return protocolDisplay(s.ProtocolYear, s.ProtocolNumber) }

// TermStatus is Pratica.TermStatus for a list row.
func (s *Summary) TermStatus(today calendar.Date) TermStatus { return s.pratica().TermStatus(today) }

// DaysLeft is Pratica.DaysLeft for a list row.
func (s *Summary) DaysLeft(today calendar.Date) (int, bool) { return s.pratica().DaysLeft(today) }

func (s *Summary) pratica() *Pratica {
	return &Pratica{State: s.State, SubmittedAt: s.SubmittedAt, DecidedAt: s.DecidedAt, Term: s.Term, Due: s.Due}
}

const summaryColumns = `p.id, p.service, p.title, p.citizen_id, c.given_name, c.family_name, p.filed_by_citizen,
	p.filed_by_operator, p.office_id, p.state, p.protocol_year, p.protocol_number, p.submitted_at, p.decided_at,
	p.term_days, p.term_working, p.silent_assent, p.due, p.assignee_id, p.updated_at`

func scanSummary(s scanner) (Summary, error) {
	var r Summary
	var given, family, state, due string
	var filedCitizen, filedOperator, year, number, assignee sql.NullInt64
	var submitted, decided sql.NullTime
	err := s.Scan(&r.ID, &r.Service, &r.Title, &r.Citizen, &given, &family, &filedCitizen, &filedOperator,
		&r.Office, &state, &year, &number, &submitted, &decided, &r.Term.Days, &r.Term.Working,
		&r.Term.SilentAssent, &due, &assignee, &r.UpdatedAt)
	if err != nil {
		return r, err
	}
	r.CitizenName = strings.TrimSpace(given + " " + family)
	r.FiledBy = identity.OperatorSubject(identity.OperatorID(filedOperator.Int64))
	if filedCitizen.Valid {
		r.FiledBy = identity.CitizenSubject(identity.CitizenID(filedCitizen.Int64))
	}
	r.State, r.ProtocolYear, r.ProtocolNumber = State(state), int(year.Int64), number.Int64
	r.SubmittedAt, r.DecidedAt, r.UpdatedAt = timeOf(submitted), timeOf(decided), r.UpdatedAt.UTC()
	r.Assignee = identity.OperatorID(assignee.Int64)
	r.Due, err = dueOf(due)
	return r, err
}

// Filter narrows a citizen's list of pratiche.
type Filter struct {
	// States keeps only these states; empty keeps all, drafts included.
	States  []State
	Service string
	// DelegateOn, when set, adds the pratiche the citizen filed for others
	// as a delegate, as long as the delegation holds on that day: a
	// delegate follows what they filed, but not after the delegator
	// revoked the delegation or it ran out.
	DelegateOn calendar.Date
	// Limit is the page size: 0 means 100, at most 500.
	Limit int
	// Before continues a list after its last row (the newest come first).
	Before ID
}

// ListForCitizen returns the pratiche the citizen holds, newest first, and
// those they filed as a delegate when f.DelegateOn says so (see Filter).
func ListForCitizen(ctx context.Context, q db.Querier, ente tenant.ID, citizen identity.CitizenID, f Filter) ([]Summary, error) {
	limit := pageSize(f.Limit, 100)
	args := []any{ente, citizen}
	where := `p.ente_id = $1 AND p.citizen_id = $2`
	if !f.DelegateOn.IsZero() {
		where = `p.ente_id = $1 AND (p.citizen_id = $2 OR p.filed_by_citizen = $2)`
	}
	if len(f.States) > 0 {
		var ph []string
		for _, s := range f.States {
			args = append(args, string(s))
			ph = append(ph, "$"+strconv.Itoa(len(args)))
		}
		where += ` AND p.state IN (` + strings.Join(ph, ", ") + `)`
	}
	if f.Service != "" {
		args = append(args, f.Service)
		where += ` AND p.service = $` + strconv.Itoa(len(args))
	}
	if f.Before > 0 {
		args = append(args, f.Before)
		where += ` AND p.id < $` + strconv.Itoa(len(args))
	}
	rows, err := q.QueryContext(ctx, `SELECT `+summaryColumns+`, p.delegation_id FROM pratica p
		JOIN citizen c ON c.ente_id = p.ente_id AND c.id = p.citizen_id
		WHERE `+where+` ORDER BY p.id DESC LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("pratica: list for citizen %d: %w", citizen, err)
	}
	var out []Summary
	var deleg []identity.DelegationID // parallel to out
	for rows.Next() {
		var d sql.NullInt64
		s, err := scanSummary(scanFunc(func(dest ...any) error { return rows.Scan(append(dest, &d)...) }))
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("pratica: list for citizen %d: %w", citizen, err)
		}
		out, deleg = append(out, s), append(deleg, identity.DelegationID(d.Int64))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pratica: list for citizen %d: %w", citizen, err)
	}
	if f.DelegateOn.IsZero() {
		return out, nil
	}
	return dropLapsed(ctx, q, ente, citizen, out, deleg, f.DelegateOn)
}

// dropLapsed removes from out the pratiche filed for others under a
// delegation (deleg[i] for out[i]) that no longer holds on day.
func dropLapsed(ctx context.Context, q db.Querier, ente tenant.ID, citizen identity.CitizenID, out []Summary, deleg []identity.DelegationID, day calendar.Date) ([]Summary, error) {
	active := map[identity.DelegationID]bool{}
	kept := out[:0]
	for i, s := range out {
		if s.Citizen == citizen {
			kept = append(kept, s)
			continue
		}
		ok, seen := active[deleg[i]]
		if !seen && deleg[i] != 0 {
			d, err := identity.GetDelegation(ctx, q, ente, deleg[i])
			if err != nil {
				return nil, fmt.Errorf("pratica: list for citizen %d: %w", citizen, err)
			}
			ok = d.ActiveOn(day)
			active[deleg[i]] = ok
		}
		if ok {
			kept = append(kept, s)
		}
	}
	return kept, nil
}

// scanFunc adapts a function to the scanner interface.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

func pageSize(n, def int) int {
	switch {
	case n <= 0:
		return def
	case n > 500:
		return 500
	}
	return n
}

// QueueFilter picks an office's pratiche for the back office.
type QueueFilter struct {
	// Office is the office whose queue it is; zero means every office.
	Office int64
	// States keeps only these states; empty means every state but Draft
	// (drafts are the citizen's own business and never listed).
	States  []State
	Service string
	// Assignee keeps the pratiche assigned to one operator ("assigned to
	// me").
	Assignee identity.OperatorID
	// DueBefore keeps pratiche whose deadline falls on or before this day
	// ("due soon"); pratiche with no running deadline are left out.
	DueBefore calendar.Date
	// Limit is the page size: 0 means 50, at most 500.
	Limit int
	// After continues from the previous page's cursor.
	After Cursor
}

// Queue returns one page of an office's pratiche, the most urgent first
// (ordered by due date, then id; those with no running deadline last), and
// the cursor of the next page ("" on the last).
//
// It is built for a table of millions of rows: each state is read as its
// own short range of an index that ends in (state, due, id) — chosen by the
// most selective filter given: assignee, service, office, or none — limited
// to one page, and the ranges are merged; the other filters are written so
// that the planner cannot prefer their index over the chosen one. A page
// thus costs about (states × page) index entries whatever the table's size.
func Queue(ctx context.Context, q db.Querier, ente tenant.ID, f QueueFilter) ([]Summary, Cursor, error) {
	query, args, limit, err := queueQuery(ente, f)
	if err != nil {
		return nil, "", fmt.Errorf("pratica: queue: %w", err)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("pratica: queue: %w", err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		s, err := scanSummary(rows)
		if err != nil {
			return nil, "", fmt.Errorf("pratica: queue: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("pratica: queue: %w", err)
	}
	if len(out) <= limit {
		return out, "", nil
	}
	out = out[:limit]
	last := out[limit-1]
	return out, newCursor(dueColumn(last.Due), last.ID), nil
}

// queueQuery writes Queue's SQL; see Queue for the shape.
func queueQuery(ente tenant.ID, f QueueFilter) (string, []any, int, error) {
	states := f.States
	if len(states) == 0 {
		states = States[1:]
	}
	for _, s := range states {
		if s == Draft || !slices.Contains(States, s) {
			return "", nil, 0, apperr.Errorf(apperr.Invalid, "state %q cannot be queued", s)
		}
	}
	states = slices.Compact(slices.Sorted(slices.Values(states)))
	limit := pageSize(f.Limit, 50)
	args := []any{ente}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	// The first filter present picks the index; the others are disguised
	// (office_id + 0, service || '') so that no planner uses theirs.
	var cond []string
	switch {
	case f.Assignee != 0:
		cond = append(cond, "assignee_id = "+arg(f.Assignee))
		if f.Service != "" {
			cond = append(cond, "service || '' = "+arg(f.Service))
		}
		if f.Office != 0 {
			cond = append(cond, "office_id + 0 = "+arg(f.Office))
		}
	case f.Service != "":
		cond = append(cond, "service = "+arg(f.Service))
		if f.Office != 0 {
			cond = append(cond, "office_id + 0 = "+arg(f.Office))
		}
	case f.Office != 0:
		cond = append(cond, "office_id = "+arg(f.Office))
	}
	if !f.DueBefore.IsZero() {
		cond = append(cond, "due <= "+arg(f.DueBefore.String()))
	}
	if f.After != "" {
		due, id, err := f.After.decode()
		if err != nil {
			return "", nil, 0, err
		}
		cond = append(cond, "(due, id) > ("+arg(due)+", "+arg(int64(id))+")")
	}
	common := ""
	for _, c := range cond {
		common += " AND " + c
	}
	page := strconv.Itoa(limit + 1)
	arms := make([]string, len(states))
	for i, s := range states {
		arms[i] = `SELECT id, due FROM (SELECT id, due FROM pratica WHERE ente_id = $1 AND state = ` + arg(string(s)) +
			common + ` ORDER BY due, id LIMIT ` + page + `) AS s` + strconv.Itoa(i)
	}
	// CROSS JOIN fixes the join order on SQLite, which without statistics
	// would rather scan the ente's pratiche and probe the page; PostgreSQL
	// plans it as the inner join it is.
	query := `SELECT ` + summaryColumns + ` FROM (` + strings.Join(arms, " UNION ALL ") + `) AS k
		CROSS JOIN pratica p CROSS JOIN citizen c
		WHERE p.ente_id = $1 AND p.id = k.id AND c.ente_id = p.ente_id AND c.id = p.citizen_id
		ORDER BY k.due, k.id LIMIT ` + page
	return query, args, limit, nil
}

// Cursor marks where a queue page ended. It travels in URLs and is opaque
// to callers: ParseCursor checks one that comes back.
type Cursor string

func newCursor(due string, id ID) Cursor { return Cursor(due + "_" + strconv.FormatInt(int64(id), 10)) }

// ParseCursor checks a cursor taken from a request; a malformed one is
// Invalid.
func ParseCursor(s string) (Cursor, error) {
	c := Cursor(s)
	if _, _, err := c.decode(); err != nil {
		return "", err
	}
	return c, nil
}

func (c Cursor) decode() (due string, id ID, err error) {
	d, n, ok := strings.Cut(string(c), "_")
	bad := apperr.Errorf(apperr.Invalid, "pratica: malformed cursor %q", truncate(string(c), 40))
	if !ok {
		return "", 0, bad
	}
	if _, err := calendar.ParseDate(d); err != nil {
		return "", 0, bad
	}
	v, err := strconv.ParseInt(n, 10, 64)
	if err != nil || v <= 0 || strconv.FormatInt(v, 10) != n {
		return "", 0, bad
	}
	return d, ID(v), nil
}

// Document is one of the documents the ente gave a citizen about a pratica
// they hold: a receipt or an outcome, for the desk's view of the citizen.
type Document struct {
	Pratica    ID
	Title      string
	Attachment Attachment
}

// DocumentsOf returns the receipts and outcomes of the pratiche a citizen
// holds, newest first, at most limit.
func DocumentsOf(ctx context.Context, q db.Querier, ente tenant.ID, citizen identity.CitizenID, limit int) ([]Document, error) {
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.title, a.id, a.field, a.name, a.mime, a.size, a.sha256, a.kind,
		a.message_id, a.created_at FROM pratica p
		JOIN pratica_attachment a ON a.ente_id = p.ente_id AND a.pratica_id = p.id
		WHERE p.ente_id = $1 AND p.citizen_id = $2 AND a.kind IN ('receipt', 'outcome')
		ORDER BY a.id DESC LIMIT `+strconv.Itoa(pageSize(limit, 100)), ente, citizen)
	if err != nil {
		return nil, fmt.Errorf("pratica: documents of citizen %d: %w", citizen, err)
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		var d Document
		var kind string
		var msg sql.NullInt64
		a := &d.Attachment
		if err := rows.Scan(&d.Pratica, &d.Title, &a.ID, &a.Field, &a.Name, &a.MIME, &a.Size, &a.SHA256, &kind, &msg,
			&a.CreatedAt); err != nil {
			return nil, fmt.Errorf("pratica: documents of citizen %d: %w", citizen, err)
		}
		a.Kind, a.Message, a.CreatedAt = AttachmentKind(kind), msg.Int64, a.CreatedAt.UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}
