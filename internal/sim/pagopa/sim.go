// Package pagopasim simulates the parts of the pagoPA platform a comune
// talks to, as one http.Handler, faithful to the published contract (the
// OpenAPI documents vendored in internal/pagopa/contract):
//
//   - GPD, the debt-positions REST API (v1): the same paths, JSON bodies,
//     ProblemJson errors, subscription key, validations and state machine;
//   - the GPD receipts service, which returns each receipt as the
//     paSendRTV2 request the platform stores;
//   - Checkout's carts API, and the payment page it redirects to, with Pay,
//     Cancel and Error buttons that lead back to the return URLs;
//   - a payer at a tobacconist or bank: a notice paid by its number, with no
//     Checkout (Pay, and POST /test/pay), or through the ente's own station
//     as the Node would call it (SetStation, PayAtStation);
//   - the FdR API's reconciliation flows, made from the receipts (one flow
//     per PSP, PublishFlows) or added by tests (AddFlow);
//   - fault injection by notice-number pattern (AddFault, POST /test/faults)
//     and by header (X-Sim-Fault): timeouts, 5xx, 409, 429, and an @e.bollo
//     sold for the wrong document;
//   - @e.bollo: a stamp transfer's receipt carries a MarcaDaBollo bound to
//     the position's document hash and signed like a PSP's (internal/pagopa/bollo).
//
// The product reaches it through the same clients (internal/pagopa/gpd,
// internal/pagopa/checkout) and configuration it uses for the real
// platform: only base URLs and keys differ. State lives in memory; the
// clock is injectable (Options.Now) and can be advanced (Advance, POST
// /test/clock) to walk positions through validity and expiry.
//
// Paths, under wherever the handler is mounted:
//
//	/gpd/debt-positions-service/v1/organizations/{ec}/debtpositions[/{iupd}[/publish|/invalidate]]
//	/gpd/payments-receipts-service/v1/payments/{ec}/receipts[/{iuv}]
//	/fdr-org/service/v1/organizations/{ec}/fdrs[/{fdr}/revisions/{rev}/psps/{psp}[/payments]]
//	/checkout/ec/v1/carts           POST, 302 to the payment page
//	/checkout/c/{cart}              the payment page (GET) and its buttons (POST)
//	/test/pay, /test/clock, /test/faults   drivers for tests and the demo
package pagopasim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/sportello/sportello/internal/pagopa/bollo"
	"github.com/sportello/sportello/internal/pagopa/gpd"
)

// KeyHeader carries the subscription key.
const KeyHeader = "Ocp-Apim-Subscription-Key"

// Options tune New.
type Options struct {
	// Key is the subscription key every GPD call must carry; empty accepts
	// any non-empty key.
	Key string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// StrictCheckDigits refuses notice numbers whose mod-93 check digits are
	// wrong; the platform does not appear to check them, so off by default.
	StrictCheckDigits bool
	// Stylesheets are linked from the Checkout page (the host's Bootstrap
	// Italia when mounted in the demo).
	Stylesheets []string
	// Hang is how long a "timeout" fault holds a request when the caller
	// does not give up first; zero means 30 seconds.
	Hang time.Duration
	// AutoFlows makes the FdR list publish the flows of the receipts
	// issued so far (PublishFlows) before it answers, as the demo wants;
	// off, flows come only from PublishFlows and AddFlow.
	AutoFlows bool
	// BrokerID and StationID fill the receipts' idBrokerPA and idStation.
	BrokerID, StationID string
	Logger              *slog.Logger
}

// Sim is the simulated platform. It is safe for concurrent use.
type Sim struct {
	opt    Options
	mux    *http.ServeMux
	mu     sync.Mutex
	offset time.Duration
	// positions by ec+"/"+iupd; options by ec+"/"+nav and ec+"/"+iuv.
	positions map[string]*position
	byNAV     map[string]*option
	byIUV     map[string]*option
	receipts  map[string]*storedReceipt // by ec+"/"+iuv
	order     []string                  // receipt keys in arrival order
	carts     map[string]*cart
	faults    []*Fault
	// stationURL, when set, is the ente's own station a payer at a
	// counter pays through (SetStation).
	stationURL string
	// flows are the published reconciliation flows; flowed marks the
	// receipts (by key) already in one; flowSeq numbers them.
	flows   []*simFlow
	flowed  map[string]bool
	flowSeq int
	// seller signs the @e.bollo of stamp transfers; made at the first one
	// (an RSA key takes a moment).
	seller *bollo.Seller
}

type position struct {
	ec                     string
	p                      gpd.Position
	status                 gpd.Status
	inserted, updated      time.Time
	published, paymentDate *time.Time
	options                []*option
}

type option struct {
	pos         *position
	o           gpd.Option
	status      gpd.OptionStatus
	paymentDate *time.Time
	receiptID   string
	psp         string
	method      string
}

type storedReceipt struct {
	ec, iuv, debtor string
	paid            time.Time
	xml             []byte
}

// New returns a simulator with no positions.
func New(opt Options) *Sim {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Hang == 0 {
		opt.Hang = 30 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.BrokerID == "" {
		opt.BrokerID = "15376371009"
	}
	if opt.StationID == "" {
		opt.StationID = "15376371009_01"
	}
	s := &Sim{opt: opt, positions: map[string]*position{}, byNAV: map[string]*option{}, byIUV: map[string]*option{},
		receipts: map[string]*storedReceipt{}, carts: map[string]*cart{}, flowed: map[string]bool{}}
	s.routes()
	return s
}

// ServeHTTP makes Sim an http.Handler.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// SetStylesheets sets the stylesheets the Checkout page links (the host's,
// once it knows their URLs).
func (s *Sim) SetStylesheets(urls []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opt.Stylesheets = urls
}

// Now is the simulator's clock: Options.Now plus every Advance.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

func (s *Sim) now() time.Time { return s.opt.Now().Add(s.offset).UTC() }

// Advance moves the clock forward, so that validity dates arrive and due
// dates pass.
func (s *Sim) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// Status returns a position's state, as GET would, and whether it exists.
func (s *Sim) Status(ec, iupd string) (gpd.Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.positions[ec+"/"+iupd]
	if !ok {
		return "", false
	}
	s.refresh(p)
	return p.status, true
}

// Positions counts the positions held for ec.
func (s *Sim) Positions(ec string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.positions {
		if p.ec == ec {
			n++
		}
	}
	return n
}

// ReceiptCount counts the receipts issued for ec.
func (s *Sim) ReceiptCount(ec string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.receipts {
		if r.ec == ec {
			n++
		}
	}
	return n
}

// refresh applies the scheduler's transitions that are due: a published
// position becomes valid at its validity date; a valid one that may
// expire does after its last due date.
func (s *Sim) refresh(p *position) {
	now := s.now()
	if p.status == gpd.Published && (p.p.ValidityDate == nil || !p.p.ValidityDate.After(now)) {
		p.status, p.updated = gpd.Valid, now
	}
	if p.status == gpd.Valid && p.p.SwitchToExpired {
		last := time.Time{}
		for _, o := range p.options {
			if o.o.DueDate.After(last) {
				last = o.o.DueDate
			}
		}
		if now.After(last) {
			p.status, p.updated = gpd.Expired, now
		}
	}
}

// state renders p as GET answers it.
func (s *Sim) state(p *position) *gpd.PositionState {
	s.refresh(p)
	ins, upd := p.inserted, p.updated
	st := &gpd.PositionState{IUPD: p.p.IUPD, OrganizationFiscalCode: p.ec, Type: p.p.Type, CompanyName: p.p.CompanyName,
		OfficeName: p.p.OfficeName, InsertedDate: &ins, PublishDate: p.published, ValidityDate: p.p.ValidityDate,
		PaymentDate: p.paymentDate, Status: p.status, LastUpdatedDate: &upd}
	for _, o := range p.options {
		due := o.o.DueDate
		os := gpd.OptionState{NAV: o.o.NAV, IUV: o.o.IUV, OrganizationFiscalCode: p.ec, Amount: o.o.Amount,
			Description: o.o.Description, IsPartialPayment: o.o.IsPartialPayment, DueDate: &due,
			PaymentDate: o.paymentDate, PaymentMethod: o.method, PSPCompany: o.psp, IDReceipt: o.receiptID, Status: o.status}
		for _, t := range o.o.Transfers {
			ts := gpd.TransferState{OrganizationFiscalCode: t.OrganizationFiscalCode, ID: t.ID, Amount: t.Amount,
				RemittanceInformation: t.RemittanceInformation, Category: t.Category, IBAN: t.IBAN, PostalIBAN: t.PostalIBAN,
				Stamp: t.Stamp, Status: "T_UNREPORTED"}
			if ts.OrganizationFiscalCode == "" {
				ts.OrganizationFiscalCode = p.ec
			}
			os.Transfers = append(os.Transfers, ts)
		}
		st.Options = append(st.Options, os)
	}
	return st
}

// sortedPositions lists ec's positions by insertion.
func (s *Sim) sortedPositions(ec string) []*position {
	var out []*position
	for _, p := range s.positions {
		if p.ec == ec {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].inserted.Equal(out[j].inserted) {
			return out[i].inserted.Before(out[j].inserted)
		}
		return out[i].p.IUPD < out[j].p.IUPD
	})
	return out
}

// randomID is 32 hex digits, the shape of the platform's receipt ids.
func randomID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("pagopasim: random: %v", err))
	}
	return hex.EncodeToString(b[:])
}
