package pagopasim

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/gpd"
)

// fdrBase is the FdR API for creditor institutions (fdr_organization.json).
const fdrBase = "/fdr-org/service/v1/organizations/{ec}/fdrs"

// simFlow is a published reconciliation flow.
type simFlow struct {
	ec        string
	f         pagopa.Flow
	published time.Time
}

// AddFlow publishes a flow for ente ec as a PSP would, for tests that need
// flows the receipts do not explain (an amount that differs, a payment the
// ente never issued).
func (s *Sim) AddFlow(ec string, f pagopa.Flow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.Revision = max(f.Revision, 1)
	s.flows = append(s.flows, &simFlow{ec: ec, f: f, published: s.now()})
}

// PublishFlows makes the reconciliation flows of the receipts issued so
// far and not yet reported: one flow per ente and PSP, one line per
// transfer credited to the ente, as PSPs do by D+2. With AutoFlows the FdR
// list calls it, so in the demo a payment is reported at the next fetch.
// It returns how many flows it published.
func (s *Sim) PublishFlows() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.publishFlows()
}

func (s *Sim) publishFlows() int {
	now := s.now()
	type key struct{ ec, psp string }
	groups := map[key]*pagopa.Flow{}
	var order []key
	for _, k := range s.order {
		if s.flowed[k] {
			continue
		}
		st := s.receipts[k]
		r, err := gpd.ParseReceipt(st.xml)
		if err != nil {
			continue
		}
		s.flowed[k] = true
		g := key{st.ec, r.IDPSP}
		f := groups[g]
		if f == nil {
			s.flowSeq++
			f = &pagopa.Flow{ID: pagopa.NewFlowID(now, r.IDPSP, s.flowSeq), Revision: 1, Date: now,
				RegulationID: "SCT" + strconv.Itoa(100000+s.flowSeq), RegulationDate: now.Truncate(24 * time.Hour),
				Sender: pagopa.FlowSender{Type: "LEGAL_PERSON", ID: r.IDPSP, PSPID: r.IDPSP, Name: r.PSPCompanyName,
					BrokerID: r.IDPSP, Channel: r.IDChannel},
				Receiver: pagopa.FlowReceiver{ID: st.ec, FiscalCode: st.ec, Name: r.CompanyName}}
			groups[g] = f
			order = append(order, g)
		}
		paid, err := r.PaidAt()
		if err != nil {
			paid = now
		}
		for _, t := range r.TransferList.Transfer {
			id, _ := strconv.Atoi(t.IDTransfer)
			a, err := pagopa.ParseEuro(t.TransferAmount)
			if err != nil || cmp.Or(t.FiscalCodePA, st.ec) != st.ec {
				continue
			}
			f.Payments = append(f.Payments, pagopa.FlowPayment{Index: int64(len(f.Payments) + 1), IUV: r.CreditorReferenceID,
				IUR: r.ReceiptID, TransferID: id, Amount: a, Outcome: pagopa.FlowExecuted, Date: paid.Truncate(24 * time.Hour)})
			f.Count++
			f.Total += a
		}
	}
	for _, g := range order {
		s.flows = append(s.flows, &simFlow{ec: g.ec, f: *groups[g], published: now})
	}
	return len(order)
}

// fdrList is GET …/fdrs: the flows published after publishedGt, paged.
func (s *Sim) fdrList(w http.ResponseWriter, r *http.Request) {
	ec := r.PathValue("ec")
	var since time.Time
	if v := r.URL.Query().Get("publishedGt"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			problem(w, http.StatusBadRequest, "BAD REQUEST", "publishedGt: "+err.Error())
			return
		}
		since = t
	}
	page, size := queryInt(r, "page", 1), queryInt(r, "size", 1000)
	if page < 1 || size < 1 || size > 1000 {
		problem(w, http.StatusBadRequest, "BAD REQUEST", "page ≥ 1, 1 ≤ size ≤ 1000")
		return
	}
	s.mu.Lock()
	if s.opt.AutoFlows {
		s.publishFlows()
	}
	type ref struct {
		FDR       string `json:"fdr"`
		PSPID     string `json:"pspId"`
		Revision  int64  `json:"revision"`
		Published string `json:"published"`
		FlowDate  string `json:"flowDate"`
	}
	var all []ref
	for _, f := range s.flows {
		if f.ec == ec && f.published.After(since) {
			all = append(all, ref{f.f.ID, f.f.Sender.PSPID, f.f.Revision, stamp(f.published), stamp(f.f.Date)})
		}
	}
	s.mu.Unlock()
	var out struct {
		Metadata struct {
			PageSize   int `json:"pageSize"`
			PageNumber int `json:"pageNumber"`
			TotPage    int `json:"totPage"`
		} `json:"metadata"`
		Count int   `json:"count"`
		Data  []ref `json:"data"`
	}
	out.Metadata.PageSize, out.Metadata.PageNumber = size, page
	out.Metadata.TotPage = max(1, (len(all)+size-1)/size)
	out.Data = all[min(len(all), (page-1)*size):min(len(all), page*size)]
	out.Data = slices.Clip(out.Data)
	if out.Data == nil {
		out.Data = []ref{}
	}
	out.Count = len(out.Data)
	writeJSON(w, http.StatusOK, out)
}

// findFlow is the flow a path names.
func (s *Sim) findFlow(r *http.Request) *simFlow {
	rev, _ := strconv.ParseInt(r.PathValue("rev"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.flows {
		if f.ec == r.PathValue("ec") && f.f.ID == r.PathValue("fdr") && f.f.Revision == rev && f.f.Sender.PSPID == r.PathValue("psp") {
			return f
		}
	}
	return nil
}

// fdrGet is GET …/fdrs/{fdr}/revisions/{rev}/psps/{psp}.
func (s *Sim) fdrGet(w http.ResponseWriter, r *http.Request) {
	f := s.findFlow(r)
	if f == nil {
		problem(w, http.StatusNotFound, "NOT FOUND", "no such flow")
		return
	}
	flow, _, err := f.f.REST(1000, f.published)
	if err != nil {
		problem(w, http.StatusInternalServerError, "INTERNAL SERVER ERROR", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(flow)
}

// fdrPayments is GET …/payments: one page of the flow's lines.
func (s *Sim) fdrPayments(w http.ResponseWriter, r *http.Request) {
	f := s.findFlow(r)
	if f == nil {
		problem(w, http.StatusNotFound, "NOT FOUND", "no such flow")
		return
	}
	page, size := queryInt(r, "page", 1), queryInt(r, "size", 1000)
	if page < 1 || size < 1 || size > 1000 {
		problem(w, http.StatusBadRequest, "BAD REQUEST", "page ≥ 1, 1 ≤ size ≤ 1000")
		return
	}
	_, pages, err := f.f.REST(size, f.published)
	if err != nil {
		problem(w, http.StatusInternalServerError, "INTERNAL SERVER ERROR", err.Error())
		return
	}
	if page > len(pages) {
		problem(w, http.StatusNotFound, "NOT FOUND", "no such page")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(pages[page-1])
}

func queryInt(r *http.Request, name string, def int) int {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
