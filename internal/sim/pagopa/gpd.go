package pagopasim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/iban"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/gpd"
)

const (
	gpdBase      = "/gpd/debt-positions-service/v1/organizations/{ec}/debtpositions"
	receiptsBase = "/gpd/payments-receipts-service/v1/payments/{ec}/receipts"
)

func (s *Sim) routes() {
	m := http.NewServeMux()
	m.HandleFunc("POST "+gpdBase, s.guard("create", s.create))
	m.HandleFunc("GET "+gpdBase, s.guard("list", s.list))
	m.HandleFunc("GET "+gpdBase+"/{iupd}", s.guard("get", s.get))
	m.HandleFunc("PUT "+gpdBase+"/{iupd}", s.guard("update", s.update))
	m.HandleFunc("DELETE "+gpdBase+"/{iupd}", s.guard("delete", s.remove))
	m.HandleFunc("POST "+gpdBase+"/{iupd}/publish", s.guard("publish", s.publish))
	m.HandleFunc("POST "+gpdBase+"/{iupd}/invalidate", s.guard("invalidate", s.invalidate))
	m.HandleFunc("GET "+receiptsBase, s.guard("receipts", s.receiptList))
	m.HandleFunc("GET "+receiptsBase+"/{iuv}", s.guard("receipt", s.receipt))
	m.HandleFunc("GET "+fdrBase, s.guard("fdr", s.fdrList))
	m.HandleFunc("GET "+fdrBase+"/{fdr}/revisions/{rev}/psps/{psp}", s.guard("fdr", s.fdrGet))
	m.HandleFunc("GET "+fdrBase+"/{fdr}/revisions/{rev}/psps/{psp}/payments", s.guard("fdr", s.fdrPayments))
	m.HandleFunc("POST /checkout/ec/v1/carts", s.faulty("cart", s.cartCreate))
	m.HandleFunc("GET /checkout/c/{cart}", s.cartPage)
	m.HandleFunc("POST /checkout/c/{cart}", s.cartAction)
	m.HandleFunc("POST /test/pay", s.testPay)
	m.HandleFunc("POST /test/clock", s.testClock)
	m.HandleFunc("POST /test/faults", s.testFaults)
	m.HandleFunc("DELETE /test/faults", s.testFaultsClear)
	m.HandleFunc("GET /{$}", s.index)
	s.mux = m
}

// guard checks the subscription key, then applies any fault, then serves.
func (s *Sim) guard(op string, h http.HandlerFunc) http.HandlerFunc {
	inner := s.faulty(op, h)
	return func(w http.ResponseWriter, r *http.Request) {
		k := r.Header.Get(KeyHeader)
		if k == "" || (s.opt.Key != "" && k != s.opt.Key) {
			// APIM answers 401 with its own body, not a ProblemJson.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"statusCode":401,"message":"Access denied due to missing or invalid subscription key."}`)
			return
		}
		inner(w, r)
	}
}

// problem writes a ProblemJson.
func problem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(gpd.Problem{Title: title, Status: status, Detail: detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// readPosition decodes the body, refusing unknown fields as the platform's
// strict binding does.
func readPosition(r *http.Request) (*gpd.Position, error) {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	var p gpd.Position
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

func toPublish(r *http.Request) (bool, error) {
	v := r.URL.Query().Get("toPublish")
	if v == "" {
		return false, nil
	}
	return strconv.ParseBool(v)
}

// validate applies the checks of GPD's DebtPositionValidation, plus the
// schema's required fields and limits.
func (s *Sim) validate(p *gpd.Position, creating bool) error {
	now := s.now()
	switch {
	case p.IUPD == "" || p.FiscalCode == "" || p.FullName == "" || p.CompanyName == "":
		return fmt.Errorf("iupd, fiscalCode, fullName and companyName are required")
	case p.Type != "F" && p.Type != "G":
		return fmt.Errorf("type must be F or G")
	case len(p.CompanyName) > 140 || len(p.OfficeName) > 140:
		return fmt.Errorf("companyName and officeName are at most 140 characters")
	case len(p.Options) == 0:
		return fmt.Errorf("at least one payment option is required")
	case creating && p.ValidityDate != nil && !p.ValidityDate.After(now):
		return fmt.Errorf("validityDate must be in the future")
	}
	from := now
	if p.ValidityDate != nil {
		from = *p.ValidityDate
	}
	seen := map[string]bool{}
	for i, o := range p.Options {
		where := fmt.Sprintf("paymentOption[%d]", i)
		if o.IUV == "" || o.Amount < 1 || len(o.Description) > 140 {
			return fmt.Errorf("%s: iuv, an amount ≥ 1 and a description of at most 140 characters are required", where)
		}
		nav := o.NAV
		if nav == "" {
			nav = "3" + o.IUV
		}
		if s.opt.StrictCheckDigits {
			if _, err := pagopa.ParseNAV(nav); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		} else if len(nav) != 18 || strings.Trim(nav, "0123456789") != "" {
			return fmt.Errorf("%s: notice number %q is not 18 digits", where, nav)
		}
		if seen[o.IUV] || seen["nav:"+nav] {
			return fmt.Errorf("%s: duplicate iuv or nav in the request", where)
		}
		seen[o.IUV], seen["nav:"+nav] = true, true
		if o.DueDate.Before(from) {
			return fmt.Errorf("%s: dueDate must not be before the validity date", where)
		}
		if o.RetentionDate != nil && o.RetentionDate.Before(o.DueDate) {
			return fmt.Errorf("%s: retentionDate must not be before dueDate", where)
		}
		if len(o.Metadata) > 10 {
			return fmt.Errorf("%s: at most 10 metadata", where)
		}
		if len(o.Transfers) == 0 || len(o.Transfers) > 5 {
			return fmt.Errorf("%s: 1 to 5 transfers", where)
		}
		var sum int64
		ids := map[string]bool{}
		for j, t := range o.Transfers {
			tw := fmt.Sprintf("%s.transfer[%d]", where, j)
			if t.ID < "1" || t.ID > "5" || len(t.ID) != 1 || ids[t.ID] {
				return fmt.Errorf("%s: idTransfer must be a distinct 1–5", tw)
			}
			ids[t.ID] = true
			if t.Amount < 1 {
				return fmt.Errorf("%s: amount must be ≥ 1", tw)
			}
			sum += t.Amount
			if (t.IBAN != "") == (t.Stamp != nil) {
				return fmt.Errorf("%s: exactly one of iban and stamp", tw)
			}
			if t.Stamp != nil && t.PostalIBAN != "" {
				return fmt.Errorf("%s: postalIban cannot go with a stamp", tw)
			}
			if t.IBAN != "" {
				if _, err := iban.Parse(t.IBAN); err != nil {
					return fmt.Errorf("%s: iban not registered: %w", tw, err)
				}
			}
			if t.Stamp != nil && (t.Stamp.StampType == "" || len(t.Stamp.HashDocument) > 72 || len(t.Stamp.ProvincialResidence) != 2) {
				return fmt.Errorf("%s: stamp needs stampType, hashDocument ≤ 72 and a province", tw)
			}
			if _, err := pagopa.ParseTaxonomyCode(t.Category); err != nil {
				return fmt.Errorf("%s: category: %w", tw, err)
			}
			if len(t.RemittanceInformation) > 140 {
				return fmt.Errorf("%s: remittanceInformation is at most 140 characters", tw)
			}
		}
		if sum != o.Amount {
			return fmt.Errorf("%s: amount %d is not the sum of its transfers (%d)", where, o.Amount, sum)
		}
	}
	return nil
}

// create is POST /debtpositions.
func (s *Sim) create(w http.ResponseWriter, r *http.Request) {
	ec := r.PathValue("ec")
	publish, err := toPublish(r)
	if err != nil {
		problem(w, http.StatusBadRequest, "BAD REQUEST", "toPublish: "+err.Error())
		return
	}
	p, err := readPosition(r)
	if err != nil {
		problem(w, http.StatusBadRequest, "BAD REQUEST", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.validate(p, true); err != nil {
		problem(w, http.StatusBadRequest, "BAD REQUEST", err.Error())
		return
	}
	if _, ok := s.positions[ec+"/"+p.IUPD]; ok {
		problem(w, http.StatusConflict, "CONFLICT", "debt position with iupd "+p.IUPD+" already exists")
		return
	}
	for _, o := range p.Options {
		nav := o.NAV
		if nav == "" {
			nav = "3" + o.IUV
		}
		if s.byIUV[ec+"/"+o.IUV] != nil || s.byNAV[ec+"/"+nav] != nil {
			problem(w, http.StatusConflict, "CONFLICT", "iuv "+o.IUV+" or its notice number already exists")
			return
		}
	}
	now := s.now()
	pos := &position{ec: ec, p: *p, status: gpd.Draft, inserted: now, updated: now}
	s.reindex(pos)
	if publish {
		pos.status, pos.published = gpd.Published, &now
		s.refresh(pos)
	}
	out := *p
	out.Options = nil
	for _, o := range pos.options {
		out.Options = append(out.Options, o.o)
	}
	writeJSON(w, http.StatusCreated, &out)
}

// reindex (re)builds pos's options and their lookups.
func (s *Sim) reindex(pos *position) {
	for _, o := range pos.options {
		delete(s.byIUV, pos.ec+"/"+o.o.IUV)
		delete(s.byNAV, pos.ec+"/"+o.o.NAV)
	}
	pos.options = pos.options[:0]
	for _, o := range pos.p.Options {
		if o.NAV == "" {
			o.NAV = "3" + o.IUV
		}
		opt := &option{pos: pos, o: o, status: gpd.OptionUnpaid}
		pos.options = append(pos.options, opt)
		s.byIUV[pos.ec+"/"+o.IUV] = opt
		s.byNAV[pos.ec+"/"+o.NAV] = opt
	}
	s.positions[pos.ec+"/"+pos.p.IUPD] = pos
}

func (s *Sim) find(w http.ResponseWriter, r *http.Request) *position {
	p, ok := s.positions[r.PathValue("ec")+"/"+r.PathValue("iupd")]
	if !ok {
		problem(w, http.StatusNotFound, "NOT FOUND", "debt position "+r.PathValue("iupd")+" not found")
		return nil
	}
	s.refresh(p)
	return p
}

// get is GET /debtpositions/{iupd}.
func (s *Sim) get(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.find(w, r); p != nil {
		writeJSON(w, http.StatusOK, s.state(p))
	}
}

// list is GET /debtpositions: one page, newest last, limit ≤ 50.
func (s *Sim) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, page := 50, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			problem(w, http.StatusBadRequest, "BAD REQUEST", "limit must be 1–50")
			return
		}
		limit = n
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			problem(w, http.StatusBadRequest, "BAD REQUEST", "page must be ≥ 0")
			return
		}
		page = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := []*gpd.PositionState{}
	for _, p := range s.sortedPositions(r.PathValue("ec")) {
		st := s.state(p)
		if want := q.Get("status"); want != "" && string(st.Status) != want {
			continue
		}
		all = append(all, st)
	}
	from := min(page*limit, len(all))
	to := min(from+limit, len(all))
	total := (len(all) + limit - 1) / limit
	writeJSON(w, http.StatusOK, map[string]any{
		"payment_position_list": all[from:to],
		"page_info":             map[string]int{"page": page, "limit": limit, "items_found": to - from, "total_pages": total},
	})
}

// update is PUT /debtpositions/{iupd}.
func (s *Sim) update(w http.ResponseWriter, r *http.Request) {
	publish, err := toPublish(r)
	if err != nil {
		problem(w, http.StatusBadRequest, "BAD REQUEST", "toPublish: "+err.Error())
		return
	}
	np, err := readPosition(r)
	if err != nil {
		problem(w, http.StatusBadRequest, "BAD REQUEST", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(w, r)
	if p == nil {
		return
	}
	if np.IUPD != p.p.IUPD {
		problem(w, http.StatusBadRequest, "BAD REQUEST", "iupd in the body differs from the path")
		return
	}
	switch p.status {
	case gpd.Invalid, gpd.PartiallyPaid, gpd.Paid, gpd.Reported:
		problem(w, http.StatusConflict, "CONFLICT", "debt position in state "+string(p.status)+" cannot be updated")
		return
	}
	if err := s.validate(np, true); err != nil {
		problem(w, http.StatusBadRequest, "BAD REQUEST", err.Error())
		return
	}
	for _, o := range np.Options {
		if other := s.byIUV[p.ec+"/"+o.IUV]; other != nil && other.pos != p {
			problem(w, http.StatusConflict, "CONFLICT", "iuv "+o.IUV+" belongs to another position")
			return
		}
	}
	now := s.now()
	p.p, p.updated, p.status = *np, now, gpd.Draft
	if publish {
		p.status, p.published = gpd.Published, &now
	}
	s.reindex(p)
	writeJSON(w, http.StatusOK, s.state(p))
}

// remove is DELETE /debtpositions/{iupd}.
func (s *Sim) remove(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(w, r)
	if p == nil {
		return
	}
	for _, o := range p.options {
		if o.status != gpd.OptionUnpaid {
			problem(w, http.StatusConflict, "CONFLICT", "a payment exists for this position")
			return
		}
	}
	for _, o := range p.options {
		delete(s.byIUV, p.ec+"/"+o.o.IUV)
		delete(s.byNAV, p.ec+"/"+o.o.NAV)
	}
	delete(s.positions, p.ec+"/"+p.p.IUPD)
	writeJSON(w, http.StatusOK, map[string]string{"iupd": p.p.IUPD})
}

// publish is POST /debtpositions/{iupd}/publish: only from DRAFT.
func (s *Sim) publish(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(w, r)
	if p == nil {
		return
	}
	if p.status != gpd.Draft {
		problem(w, http.StatusConflict, "CONFLICT", "only a DRAFT position can be published, this one is "+string(p.status))
		return
	}
	now := s.now()
	if p.p.ValidityDate != nil && !p.p.ValidityDate.After(now) {
		problem(w, http.StatusBadRequest, "BAD REQUEST", "validityDate has passed")
		return
	}
	p.status, p.published, p.updated = gpd.Published, &now, now
	writeJSON(w, http.StatusOK, s.state(p))
}

// invalidate is POST /debtpositions/{iupd}/invalidate: from PUBLISHED or VALID.
func (s *Sim) invalidate(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(w, r)
	if p == nil {
		return
	}
	if p.status != gpd.Published && p.status != gpd.Valid {
		problem(w, http.StatusConflict, "CONFLICT", "only a PUBLISHED or VALID position can be invalidated, this one is "+string(p.status))
		return
	}
	p.status, p.updated = gpd.Invalid, s.now()
	writeJSON(w, http.StatusOK, s.state(p))
}

// receipt is GET /payments/{ec}/receipts/{iuv}: the paSendRTV2 XML.
func (s *Sim) receipt(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rc, ok := s.receipts[r.PathValue("ec")+"/"+r.PathValue("iuv")]
	s.mu.Unlock()
	if !ok {
		problem(w, http.StatusNotFound, "NOT FOUND", "no receipt for iuv "+r.PathValue("iuv"))
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Write(rc.xml)
}

// receiptList is GET /payments/{ec}/receipts (PaymentsResult).
func (s *Sim) receiptList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, size := 0, 20
	if v := q.Get("pageNum"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			page = n
		}
	}
	if v := q.Get("pageSize"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 && n <= 100 {
			size = n
		}
	}
	ec := r.PathValue("ec")
	s.mu.Lock()
	var rows []map[string]string
	for _, k := range s.order {
		rc := s.receipts[k]
		if rc.ec != ec {
			continue
		}
		if d := q.Get("debtor"); d != "" && d != rc.debtor {
			continue
		}
		rows = append(rows, map[string]string{"organizationFiscalCode": rc.ec, "iuv": rc.iuv, "debtor": rc.debtor,
			"paymentDateTime": rc.paid.Format(time.RFC3339)})
	}
	s.mu.Unlock()
	from := min(page*size, len(rows))
	to := min(from+size, len(rows))
	results := rows[from:to]
	if results == nil {
		results = []map[string]string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"currentPageNumber": page, "length": len(results),
		"totalPages": (len(rows) + size - 1) / size, "results": results})
}
