// Package station is the ente's own pagoPA station (the optional
// synchronous mode): the SOAP service the Node calls to verify a notice
// (paVerifyPaymentNotice), to get the payment's data with its transfers
// (paGetPaymentV2) and to deliver the receipt (paSendRTV2), as defined by
// paForNode.wsdl; and the Payer, which plays the Node against a station, for
// the simulator and the tests.
//
// The station does not own the debt positions: it asks a Positions (the
// payments store in production, Memory in tests and the simulator) and maps
// the position's state to the fault the reference prescribes.
package station

import (
	"context"
	"errors"
	"time"

	"github.com/sportello/sportello/internal/pagopa"
)

// Status is the state of a debt position as GPD names it; the station maps
// it to the fault a payer gets.
type Status string

// The states of a debt position (GPD).
const (
	StatusDraft         Status = "DRAFT"
	StatusPublished     Status = "PUBLISHED"
	StatusValid         Status = "VALID"
	StatusInvalid       Status = "INVALID"
	StatusExpired       Status = "EXPIRED"
	StatusPartiallyPaid Status = "PARTIALLY_PAID"
	StatusPaid          Status = "PAID"
	StatusReported      Status = "REPORTED"
)

// Fault codes an ente's station returns (paForNode).
const (
	FaultSyntax           = "PAA_SINTASSI_XSD"
	FaultSyntaxExtra      = "PAA_SINTASSI_EXTRAXSD"
	FaultWrongDomain      = "PAA_ID_DOMINIO_ERRATO"
	FaultWrongBroker      = "PAA_ID_INTERMEDIARIO_ERRATO"
	FaultWrongStation     = "PAA_STAZIONE_INT_ERRATA"
	FaultUnknown          = "PAA_PAGAMENTO_SCONOSCIUTO"
	FaultExpired          = "PAA_PAGAMENTO_SCADUTO"
	FaultCancelled        = "PAA_PAGAMENTO_ANNULLATO"
	FaultDuplicate        = "PAA_PAGAMENTO_DUPLICATO"
	FaultReceiptDuplicate = "PAA_RECEIPT_DUPLICATA"
	FaultSemantic         = "PAA_SEMANTICA"
	FaultSystem           = "PAA_SYSTEM_ERROR"
)

// faultStrings are the faultString texts that go with each code.
var faultStrings = map[string]string{
	FaultSyntax:           "Errore di sintassi XSD.",
	FaultSyntaxExtra:      "Errore di sintassi extra XSD.",
	FaultWrongDomain:      "La PA non è servita da questa stazione.",
	FaultWrongBroker:      "Identificativo intermediario errato.",
	FaultWrongStation:     "Stazione intermediario errata.",
	FaultUnknown:          "Pagamento in attesa risulta sconosciuto all'Ente Creditore.",
	FaultExpired:          "Pagamento in attesa risulta scaduto all'Ente Creditore.",
	FaultCancelled:        "Pagamento in attesa risulta annullato all'Ente Creditore.",
	FaultDuplicate:        "Pagamento in attesa risulta concluso all'Ente Creditore.",
	FaultReceiptDuplicate: "La ricevuta è già stata acquisita.",
	FaultSemantic:         "Errore semantico.",
	FaultSystem:           "Errore di sistema.",
}

// Fault is a KO answer of a station: the code of the table above and the
// station's description. As an error it lets the Payer tell a station's
// refusal from a transport failure.
type Fault struct {
	Code        string
	String      string
	Description string
}

func (f *Fault) Error() string {
	if f.Description != "" {
		return "station: " + f.Code + ": " + f.Description
	}
	return "station: " + f.Code
}

// Subject is a debtor or a payer: a natural (F) or legal (G) person.
type Subject struct {
	// Type is "F" for a codice fiscale, "G" for a partita IVA; "ANONIMO" as
	// Value for an anonymous spontaneous payment.
	Type, ID                                                  string
	FullName                                                  string
	Street, Civic, PostalCode, City, Province, Country, Email string
}

// MapEntry is one metadata pair (at most 10 on a position in GPD, 15 on
// the wire).
type MapEntry struct{ Key, Value string }

// StampRequest asks for an @e.bollo instead of crediting an IBAN: the PSP
// sells a marca da bollo bound to the document's hash.
type StampRequest struct {
	// DocumentHash is the base64 of the SHA-256 of the document.
	DocumentHash string
	// Type is "01", the only stamp type.
	Type string
	// Province is the payer's province of residence, two letters.
	Province string
}

// Transfer is one beneficiary share of a payment: an IBAN (and a postal
// IBAN for payments at the post office) or a stamp request.
type Transfer struct {
	ID           int
	Amount       pagopa.Cents
	FiscalCodePA string
	CompanyName  string
	IBAN         string
	PostalIBAN   string
	Stamp        *StampRequest
	Remittance   string
	Category     string
	Metadata     []MapEntry
}

// Position is what the station needs to know of one notice: its state, its
// current amount (always the current one: the Node asks again), its
// description and transfers.
type Position struct {
	Status Status
	// Paid says this notice (an installment or the single payment) has been
	// paid even though the position as a whole is still payable.
	Paid bool
	// PayableFrom, if set, is when an installment becomes payable; before
	// it the notice is unknown to payers.
	PayableFrom time.Time
	IUV         string
	Amount      pagopa.Cents
	// DueDate is a calendar date.
	DueDate     time.Time
	Description string
	CompanyName string
	OfficeName  string
	Debtor      Subject
	Transfers   []Transfer
	Metadata    []MapEntry
}

// Receipt is a paSendRTV2 receipt: proof that a payment was made, as the
// Node delivered it. Raw is the whole request as received, kept so that
// the ente stores what it was sent and not a re-encoding.
type Receipt struct {
	ReceiptID    string
	NoticeNumber pagopa.NAV
	FiscalCode   string
	Outcome      string
	IUV          string
	Amount       pagopa.Cents
	Description  string
	CompanyName  string
	OfficeName   string
	Debtor       Subject
	Transfers    []ReceiptTransfer

	IDPSP, PSPFiscalCode, PSPPartitaIVA, PSPCompanyName string
	IDChannel, ChannelDescription                       string

	Payer                *Subject
	PaymentMethod        string
	PaymentNote          string
	Fee                  *pagopa.Cents
	PrimaryCiIncurredFee *pagopa.Cents
	IDBundle, IDCiBundle string
	PaymentDateTime      time.Time
	ApplicationDate      time.Time
	TransferDate         time.Time
	Metadata             []MapEntry
	StandIn              bool

	Raw []byte
}

// ReceiptTransfer is a transfer as the receipt reports it: with the
// @e.bollo (MarcaDaBollo XML) instead of the IBAN for stamps.
type ReceiptTransfer struct {
	ID            int
	Amount        pagopa.Cents
	FiscalCodePA  string
	CompanyName   string
	IBAN          string
	MBDAttachment []byte
	Remittance    string
	Category      string
	Metadata      []MapEntry
}

// ErrDuplicateReceipt is returned by Positions.StoreReceipt for a receipt
// already stored under the same (ente fiscal code, IUV, receiptId): the
// station then answers PAA_RECEIPT_DUPLICATA, which the Node takes as
// delivered.
var ErrDuplicateReceipt = errors.New("station: receipt already acquired")

// Positions is what the station needs from the payments store: the
// position behind a notice, for verify and for getPayment, and a durable
// place for receipts. Errors of kind apperr.NotFound mean an unknown
// notice; any other error is a system error.
type Positions interface {
	// Verify returns the position of a notice of the ente.
	Verify(ctx context.Context, ente string, nav pagopa.NAV) (Position, error)
	// Get returns the position of a notice about to be paid, with its
	// transfers.
	Get(ctx context.Context, ente string, nav pagopa.NAV) (Position, error)
	// StoreReceipt stores a receipt durably before the station answers OK,
	// idempotently on (FiscalCode, IUV, ReceiptID): a replay returns
	// ErrDuplicateReceipt and changes nothing.
	StoreReceipt(ctx context.Context, r Receipt) error
}
