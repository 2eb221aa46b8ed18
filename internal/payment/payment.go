// Package payment is what the comune is owed and what it was paid, through
// pagoPA: each payable notice (a fee of a pratica, a spontaneous payment
// from the ente's small catalogue, an installment) with the local mirror of
// its debt position's state on the platform, and each receipt, kept as
// received.
//
// The journey: a pratica with a fee is submitted; in the same transaction
// ForPratica numbers its notice (IUV from the ente's segregation code) and
// enqueues a job that creates the debt position on GPD (Service.Publish,
// safe to retry: a create whose answer was lost is read back, not made
// twice). The citizen pays through Checkout (Service.StartCheckout) or at a
// bank or tobacconist with the notice code. The truth is the receipt: the
// poller (Service.Poll, a periodic job) fetches it from the GPD receipts
// service, and Ingest stores it once per (ente fiscal code, IUV, receiptId)
// however often it is delivered, marks the notice paid and, when the
// position is settled, moves the pratica on (pratica.MarkPaid) in the same
// transaction. An operator may mark a notice paid by hand only with a
// reason, which the audit log keeps.
package payment

import (
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// ID identifies a payment (one notice) within its ente.
type ID int64

// State is a notice's state here, derived from the platform's and from its
// receipts.
type State string

// The states of a notice.
const (
	// Pending: numbered here, not yet on the platform (the job is on it).
	Pending State = "pending"
	// Open: payable on the platform.
	Open State = "open"
	// Paid: its receipt arrived (or an operator recorded it, with a reason).
	Paid State = "paid"
	// Settled: not payable any more because the position was paid by
	// another option (the installments, or the payment in full).
	Settled State = "settled"
	// Cancelled: invalidated on the platform.
	Cancelled State = "cancelled"
	// Expired: its due date passed and the position expired.
	Expired State = "expired"
	// Failed: the platform refused the position for good (see LastError).
	Failed State = "failed"
)

// CheckoutState is what the citizen's last visit to Checkout came back
// with: a hint, never the truth (the receipt is).
type CheckoutState string

// The Checkout hints.
const (
	CheckoutNone      CheckoutState = ""
	CheckoutStarted   CheckoutState = "started"
	CheckoutReturned  CheckoutState = "returned"
	CheckoutCancelled CheckoutState = "cancelled"
	CheckoutError     CheckoutState = "error"
)

// Payment is one payable notice.
type Payment struct {
	ID   ID
	Ente tenant.ID
	// IUPD identifies the debt position on the platform; installments
	// share it. Option is 0 for the payment in full, n for installment n.
	IUPD   string
	Option int
	// Pratica is the pratica the fee is for; zero for a spontaneous payment.
	Pratica pratica.ID
	// Citizen is who owes, when a citizen of the ente.
	Citizen identity.CitizenID
	// Item is the catalogue entry of a spontaneous payment.
	Item             string
	DebtorFiscalCode string
	DebtorName       string
	IUV, NAV         string
	Amount           int64 // cents
	Description      string
	Taxonomy         string
	Due              time.Time
	State            State
	// PlatformStatus mirrors the position's status on GPD (VALID, PAID…).
	PlatformStatus string
	Checkout       CheckoutState
	CheckoutAt     time.Time
	LastError      string
	PaidAt         time.Time
	// ReportedAt is when a reconciliation flow reported the money of its
	// receipt (GPD's REPORTED); zero until then.
	ReportedAt time.Time
	Created    time.Time
	Updated    time.Time
}

// Payable reports whether the citizen can pay the notice now.
func (p *Payment) Payable() bool { return p.State == Open || p.State == Pending }

// Settings are what pagoPA assigned to the ente.
type Settings struct {
	Ente tenant.ID
	// Segregation is the code (00–49) that starts the ente's IUVs.
	Segregation int
	// IBAN receives the fees; PostalIBAN is the postal account, if any.
	IBAN, PostalIBAN string
}

// Item is an entry of the ente's catalogue of spontaneous payments.
type Item struct {
	Slug, Title string
	// Amount in cents; zero means the citizen states it.
	Amount       int64
	Taxonomy     string
	Installments int
}

// Receipt is a stored receipt.
type Receipt struct {
	ID           int64
	Payment      ID
	FiscalCode   string
	IUV          string
	ReceiptID    string
	NoticeNumber string
	Amount       int64
	PSP          string
	PaidAt       time.Time
	Source       string
	Document     []byte
	ReceivedAt   time.Time
}

// Event is one change of a payment.
type Event struct {
	At       time.Time
	Actor    string
	Kind     string
	From, To State
	Note     string
}

// iupdForPratica is the deterministic IUPD of the n-th position of a
// pratica, so that a retried create finds the first attempt's position.
func iupdForPratica(enteFiscalCode string, id pratica.ID, n int) string {
	return fmt.Sprintf("%s-P%d-%d", enteFiscalCode, id, n)
}

// iupdForIUV is the IUPD of a spontaneous payment: its first notice's IUV
// is already unique in the ente.
func iupdForIUV(enteFiscalCode, iuv string) string {
	return fmt.Sprintf("%s-S%s", enteFiscalCode, iuv)
}
