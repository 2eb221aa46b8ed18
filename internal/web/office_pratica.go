package web

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// The back office's queue: each office's pratiche, the most urgent first,
// with filters that travel in the URL (so that a filtered queue can be
// bookmarked and exported as it is shown) and bulk actions.
//
// Listing a citizen's name in the queue is not audited as viewing their
// data: a name is what tells one row from another, and the row shows
// nothing of the request itself. Opening the pratica (answers, codice
// fiscale, documents) is audited as citizen.viewed, and so is every export,
// which carries the answers.

// openStates are the states the queue shows unless asked otherwise: those
// where the office still has to act or waits for the citizen.
var openStates = []pratica.State{pratica.Submitted, pratica.AwaitingPayment, pratica.InReview, pratica.IntegrationRequested}

// dueSoonDays is how near a deadline must be for the queue to flag it.
const dueSoonDays = 7

// maxDueDays bounds the "due within N days" filter.
const maxDueDays = 366

// The audit actions of the back office, in audit's dotted form.
const (
	auditTakenInCharge   audit.Action = "pratica.taken_in_charge"
	auditAssigned        audit.Action = "pratica.assigned"
	auditIntegrationAsk  audit.Action = "pratica.integration_requested"
	auditMessageAdded    audit.Action = "pratica.message_added"
	auditDecided         audit.Action = "pratica.decided"
	auditClosed          audit.Action = "pratica.closed"
	auditPraticheExports audit.Action = "pratiche.exported"
)

// queueParams are the queue's filters as the URL carries them.
type queueParams struct {
	// Office is the office whose queue it is; zero picks the operator's
	// first.
	Office int64
	// State is "" (the open states), "tutte" (every state but drafts) or
	// one state's name.
	State   string
	Service string
	// Mine keeps the pratiche assigned to the operator.
	Mine bool
	// DueDays keeps the pratiche due within this many days (expired
	// included); zero does not filter.
	DueDays int
	After   pratica.Cursor
}

// stateAll is the value of the state filter that shows every state.
const stateAll = "tutte"

// parseQueueParams reads the filters of a queue URL; anything malformed is
// Invalid, so that a mistyped link says so rather than showing another
// queue.
func parseQueueParams(v url.Values) (queueParams, error) {
	var q queueParams
	bad := func(what string) (queueParams, error) {
		return queueParams{}, apperr.Errorf(apperr.Invalid, "queue: malformed %s", what)
	}
	if o := v.Get("ufficio"); o != "" {
		n, err := strconv.ParseInt(o, 10, 64)
		if err != nil || n <= 0 {
			return bad("office")
		}
		q.Office = n
	}
	switch st := v.Get("stato"); st {
	case "", stateAll:
		q.State = st
	default:
		parsed, err := pratica.ParseState(st)
		if err != nil || parsed == pratica.Draft {
			return bad("state")
		}
		q.State = st
	}
	q.Service = v.Get("servizio")
	if len(q.Service) > 100 || strings.ContainsAny(q.Service, " /?#%") {
		return bad("service")
	}
	switch v.Get("mie") {
	case "":
	case "1":
		q.Mine = true
	default:
		return bad("assigned-to-me flag")
	}
	if d := v.Get("scadenza"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > maxDueDays {
			return bad("due-within days")
		}
		q.DueDays = n
	}
	if a := v.Get("dopo"); a != "" {
		c, err := pratica.ParseCursor(a)
		if err != nil {
			return queueParams{}, err
		}
		q.After = c
	}
	return q, nil
}

// values writes the filters back as URL parameters, the cursor left out
// unless withCursor.
func (q queueParams) values(withCursor bool) url.Values {
	v := url.Values{}
	if q.Office != 0 {
		v.Set("ufficio", strconv.FormatInt(q.Office, 10))
	}
	if q.State != "" {
		v.Set("stato", q.State)
	}
	if q.Service != "" {
		v.Set("servizio", q.Service)
	}
	if q.Mine {
		v.Set("mie", "1")
	}
	if q.DueDays != 0 {
		v.Set("scadenza", strconv.Itoa(q.DueDays))
	}
	if withCursor && q.After != "" {
		v.Set("dopo", string(q.After))
	}
	return v
}

// states turns the state filter into the package's list.
func (q queueParams) states() []pratica.State {
	switch q.State {
	case "":
		return openStates
	case stateAll:
		return nil
	}
	return []pratica.State{pratica.State(q.State)}
}

// filter is the pratica package's filter for these parameters.
func (q queueParams) filter(me identity.OperatorID, today calendar.Date) pratica.QueueFilter {
	f := pratica.QueueFilter{Office: q.Office, States: q.states(), Service: q.Service, After: q.After}
	if q.Mine {
		f.Assignee = me
	}
	if q.DueDays > 0 {
		f.DueBefore = today.AddDays(q.DueDays)
	}
	return f
}

// queueOffices returns the offices whose queue pr may see, in the ente's
// order: one for a clerk or a head, every one for the consortium, none for
// the desk and administrators, whose roles do not include the queue.
func queueOffices(pr identity.Principal, e *tenant.Ente) []tenant.Office {
	var out []tenant.Office
	for _, o := range e.Offices {
		if pr.Can(identity.ViewOfficeQueue, identity.Resource{Ente: e.ID, Office: o.ID}) {
			out = append(out, o)
		}
	}
	return out
}

// requireQueue returns the offices whose queue the signed-in operator
// sees, Forbidden when none: the back office's pages are for clerks and
// heads.
func requireQueue(r *http.Request) ([]tenant.Office, error) {
	pr := principalFrom(r.Context())
	offices := queueOffices(pr, enteFrom(r.Context()))
	if len(offices) == 0 {
		return nil, apperr.Errorf(apperr.Forbidden, "operator %d sees no office's queue", pr.Operator.ID)
	}
	return offices, nil
}

// resolveQueue checks the filters against what the operator may see and
// fills in the office: their first when none is asked for. It returns the
// ente's catalogue too, which the filters are checked against and the
// pages take the services' titles from.
func (s *Server) resolveQueue(r *http.Request) (queueParams, []tenant.Office, *catalog.Catalog, error) {
	ctx := r.Context()
	pr := principalFrom(ctx)
	offices, err := requireQueue(r)
	if err != nil {
		return queueParams{}, nil, nil, err
	}
	q, err := parseQueueParams(r.URL.Query())
	if err != nil {
		return queueParams{}, nil, nil, err
	}
	if q.Office == 0 {
		q.Office = offices[0].ID
	}
	if !slices.ContainsFunc(offices, func(o tenant.Office) bool { return o.ID == q.Office }) {
		return queueParams{}, nil, nil, apperr.Errorf(apperr.Forbidden, "operator %d may not see office %d", pr.Operator.ID, q.Office)
	}
	cat, err := s.catalogFor(ctx, enteFrom(ctx))
	if err != nil {
		return queueParams{}, nil, nil, err
	}
	if q.Service != "" {
		if _, err := cat.Get(q.Service); err != nil {
			return queueParams{}, nil, nil, apperr.Errorf(apperr.Invalid, "queue: %w", err)
		}
	}
	return q, offices, cat, nil
}

// queuePage is an office's queue.
type queuePage struct {
	basePage
	Flash    string
	Offices  []choiceView
	States   []choiceView
	Services []choiceView
	DueDays  []choiceView
	Mine     bool
	Rows     []queueRow
	// Filters are the current filters as hidden fields of the bulk form,
	// so that it comes back to the same queue.
	Filters   string
	NextURL   string
	FirstURL  string
	CSVURL    string
	XLSXURL   string
	Assignees []choiceView
}

// queueRow is one pratica of the queue.
type queueRow struct {
	ID                                    int64
	URL, Protocol, Service, Citizen       string
	State, Due, Badge, BadgeClass, Assign string
}

// queueShow is GET /ufficio/pratiche.
func (s *Server) queueShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	q, offices, cat, err := s.resolveQueue(r)
	if err != nil {
		return err
	}
	today := calendar.DateOf(s.now().In(rome))
	rows, next, err := pratica.Queue(ctx, s.db, e.ID, q.filter(pr.Operator.ID, today))
	if err != nil {
		return err
	}
	ops, err := s.staff(ctx, e.ID)
	if err != nil {
		return err
	}
	p := queuePage{basePage: s.base(r, "bo.queue.title"), Mine: q.Mine}
	p.Breadcrumb = []crumb{{p.T("office.title"), "/ufficio"}}
	p.Flash = bulkFlash(p.basePage, r.URL.Query())
	for _, o := range offices {
		p.Offices = append(p.Offices, choiceView{Value: strconv.FormatInt(o.ID, 10), Label: o.Name, Selected: o.ID == q.Office})
	}
	p.States = append(p.States, choiceView{Value: "", Label: p.T("bo.filter.open"), Selected: q.State == ""},
		choiceView{Value: stateAll, Label: p.T("bo.filter.all"), Selected: q.State == stateAll})
	for _, st := range pratica.States[1:] {
		p.States = append(p.States, choiceView{Value: string(st), Label: p.T("bo.state." + string(st)), Selected: q.State == string(st)})
	}
	p.Services = append(p.Services, choiceView{Value: "", Label: p.T("bo.filter.any-service")})
	office := officeByID(e, q.Office)
	for _, svc := range cat.All() {
		if svc.Office == office.Slug || svc.Slug == q.Service {
			p.Services = append(p.Services, choiceView{Value: svc.Slug, Label: svc.Title, Selected: svc.Slug == q.Service})
		}
	}
	p.DueDays = append(p.DueDays, choiceView{Value: "", Label: p.T("bo.filter.any-due")})
	for _, n := range []int{3, 7, 15, 30} {
		p.DueDays = append(p.DueDays, choiceView{Value: strconv.Itoa(n), Label: p.T("bo.filter.due-within", n), Selected: q.DueDays == n})
	}
	if q.DueDays != 0 && !slices.Contains([]int{3, 7, 15, 30}, q.DueDays) {
		p.DueDays = append(p.DueDays, choiceView{Value: strconv.Itoa(q.DueDays), Label: p.T("bo.filter.due-within", q.DueDays), Selected: true})
	}
	for _, sm := range rows {
		p.Rows = append(p.Rows, queueRowOf(p.basePage, cat, &sm, ops.names, today))
	}
	p.Filters = q.values(false).Encode()
	if next != "" {
		n := q
		n.After = next
		p.NextURL = "/ufficio/pratiche?" + n.values(true).Encode()
	}
	if q.After != "" {
		p.FirstURL = "/ufficio/pratiche?" + q.values(false).Encode()
	}
	p.CSVURL = "/ufficio/pratiche/esporta.csv?" + q.values(false).Encode()
	p.XLSXURL = "/ufficio/pratiche/esporta.xlsx?" + q.values(false).Encode()
	p.Assignees = ops.assignees(e.ID, q.Office, 0)
	return s.render(w, r, http.StatusOK, "office/queue", &p)
}

// queueRowOf writes one row of the queue.
func queueRowOf(p basePage, cat *catalog.Catalog, sm *pratica.Summary, ops map[identity.OperatorID]string, today calendar.Date) queueRow {
	row := queueRow{ID: int64(sm.ID), URL: officePraticaURL(sm.ID), Protocol: sm.ProtocolDisplay(),
		Service: serviceTitle(cat, sm.Service, sm.Title), Citizen: sm.CitizenName,
		State: p.T("bo.state." + string(sm.State)), Assign: ops[sm.Assignee]}
	if !sm.Due.IsZero() {
		row.Due = sm.Due.In(rome).Format("02/01/2006")
	}
	row.Badge, row.BadgeClass = termBadge(p, sm.TermStatus(today), sm.Due, today)
	return row
}

// termBadge is the word and the colour the queue and the pratica page put
// beside a deadline: expired, silent assent, due soon, suspended.
func termBadge(p basePage, st pratica.TermStatus, due, today calendar.Date) (string, string) {
	switch st {
	case pratica.TermExpired:
		return p.T("bo.term.expired"), "bg-danger"
	case pratica.TermSilentAssent:
		return p.T("bo.term.silent_assent"), "bg-danger"
	case pratica.TermSuspended:
		return p.T("bo.term.suspended"), "bg-secondary"
	case pratica.TermRunning:
		if left := due.Sub(today); left <= dueSoonDays {
			return p.T("bo.term.due-soon", left), "bg-warning text-dark"
		}
	}
	return "", ""
}

// serviceTitle is the ente's catalogue's title of a service, or fallback
// when the service has left the catalogue.
func serviceTitle(cat *catalog.Catalog, slug, fallback string) string {
	if svc, err := cat.Get(slug); err == nil {
		return svc.Title
	}
	return cmp.Or(fallback, slug)
}

// officeByID returns the ente's office with id (the zero Office if none).
func officeByID(e *tenant.Ente, id int64) tenant.Office {
	for _, o := range e.Offices {
		if o.ID == id {
			return o
		}
	}
	return tenant.Office{}
}

// officePraticaURL is the address of a pratica in the back office.
func officePraticaURL(id pratica.ID) string {
	return "/ufficio/pratiche/" + strconv.FormatInt(int64(id), 10)
}

// staff is the ente's operators, read once per page: their names for
// assignees, timelines and messages, and the list to assign from.
type staff struct {
	ops   []*identity.Operator
	names map[identity.OperatorID]string
}

func (s *Server) staff(ctx context.Context, ente tenant.ID) (staff, error) {
	ops, err := identity.ListOperators(ctx, s.db, ente)
	if err != nil {
		return staff{}, err
	}
	st := staff{ops: ops, names: make(map[identity.OperatorID]string, len(ops))}
	for _, o := range ops {
		st.names[o.ID] = o.Name
	}
	return st, nil
}

// canHandle reports whether op, were they signed in, could work on the
// pratiche of office: the one rule of identity.Principal.Can decides whom a
// pratica may be assigned to.
func canHandle(e tenant.ID, op *identity.Operator, office int64) bool {
	if op.Disabled {
		return false
	}
	p := identity.Principal{Ente: e, Operator: op, Session: &identity.Session{Ente: e,
		Subject: identity.OperatorSubject(op.ID), Level: identity.OperatorLevel}}
	return p.Can(identity.HandlePratica, identity.Resource{Ente: e, Office: office})
}

// assignees lists the operators a pratica of office may be assigned to,
// selected marking the current assignee.
func (st staff) assignees(e tenant.ID, office int64, selected identity.OperatorID) []choiceView {
	var out []choiceView
	for _, o := range st.ops {
		if canHandle(e, o, office) {
			out = append(out, choiceView{Value: strconv.FormatInt(int64(o.ID), 10), Label: o.Name, Selected: o.ID == selected})
		}
	}
	return out
}

// assignee reads the operator chosen in a form and checks that they may
// work on the office's pratiche.
func (s *Server) assignee(ctx context.Context, e *tenant.Ente, office int64, value string) (identity.OperatorID, error) {
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.Errorf(apperr.Invalid, "assign: no operator chosen")
	}
	op, err := identity.GetOperator(ctx, s.db, e.ID, identity.OperatorID(n))
	if apperr.Is(err, apperr.NotFound) {
		return 0, apperr.Errorf(apperr.Invalid, "assign: operator %d: %w", n, err)
	}
	if err != nil {
		return 0, err
	}
	if !canHandle(e.ID, op, office) {
		return 0, apperr.Errorf(apperr.Invalid, "assign: operator %d does not work on office %d", n, office)
	}
	return op.ID, nil
}

// bulkFlash is the outcome of a bulk action, read back from the redirect.
func bulkFlash(p basePage, v url.Values) string {
	done, _ := strconv.Atoi(v.Get("fatte"))
	refused, _ := strconv.Atoi(v.Get("rifiutate"))
	if v.Get("ok") != "bulk" {
		return ""
	}
	msg := p.T("bo.bulk.done", done)
	if refused > 0 {
		msg += " " + p.T("bo.bulk.refused", refused)
	}
	return msg
}

// praticaResource is what a permission check on p concerns.
func praticaResource(e tenant.ID, p *pratica.Pratica) identity.Resource {
	return identity.Resource{Ente: e, Office: p.Office, Citizen: p.Citizen, Service: p.Service}
}

// praticaSubject names a pratica in the audit log.
func praticaSubject(id pratica.ID) string {
	return "pratica:" + strconv.FormatInt(int64(id), 10)
}
