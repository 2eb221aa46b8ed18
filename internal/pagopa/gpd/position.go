// Package gpd is the client of pagoPA's GPD (Gestione Posizioni Debitorie):
// the debt-positions REST API, through which the comune creates, publishes,
// updates and invalidates the notices citizens pay, and the receipts
// service, from which it fetches the receipt of each payment. The contract
// is pagoPA's OpenAPI (gpd.json, gpd_payments.json, vendored in
// internal/pagopa/contract); the same client talks to the platform and to
// the built-in simulator (internal/sim/pagopa): only the base URLs and the
// subscription key differ.
package gpd

import (
	"time"
)

// Status is a debt position's state on the platform (v1).
type Status string

// The states of a debt position (DebtPositionStatus).
const (
	Draft         Status = "DRAFT"
	Published     Status = "PUBLISHED"
	Valid         Status = "VALID"
	Invalid       Status = "INVALID"
	Expired       Status = "EXPIRED"
	PartiallyPaid Status = "PARTIALLY_PAID"
	Paid          Status = "PAID"
	Reported      Status = "REPORTED"
)

// Payable reports whether a payer can pay a position in this state.
func (s Status) Payable() bool { return s == Valid || s == PartiallyPaid }

// Settled reports whether the position's debt is paid.
func (s Status) Settled() bool { return s == Paid || s == Reported }

// OptionStatus is a payment option's state.
type OptionStatus string

// The states of a payment option.
const (
	OptionUnpaid            OptionStatus = "PO_UNPAID"
	OptionPaid              OptionStatus = "PO_PAID"
	OptionPartiallyReported OptionStatus = "PO_PARTIALLY_REPORTED"
	OptionReported          OptionStatus = "PO_REPORTED"
)

// Position is a debt position as the comune sends it (PaymentPositionModel):
// who owes, and the options by which the debt can be paid — one option in
// full, or installments, each a notice of its own.
type Position struct {
	IUPD string `json:"iupd"`
	// Type is F (natural person) or G (legal person).
	Type        string `json:"type"`
	PayStandIn  *bool  `json:"payStandIn,omitempty"`
	FiscalCode  string `json:"fiscalCode"`
	FullName    string `json:"fullName"`
	StreetName  string `json:"streetName,omitempty"`
	CivicNumber string `json:"civicNumber,omitempty"`
	PostalCode  string `json:"postalCode,omitempty"`
	City        string `json:"city,omitempty"`
	Province    string `json:"province,omitempty"`
	Country     string `json:"country,omitempty"`
	Email       string `json:"email,omitempty"`
	Phone       string `json:"phone,omitempty"`
	// SwitchToExpired makes the position expire after the due date.
	SwitchToExpired bool   `json:"switchToExpired"`
	CompanyName     string `json:"companyName"`
	OfficeName      string `json:"officeName,omitempty"`
	// ValidityDate delays payability; nil makes a published position
	// payable at once (VALID), which fees paid on the portal need.
	ValidityDate *time.Time `json:"validityDate,omitempty"`
	Options      []Option   `json:"paymentOption,omitempty"`
}

// Option is one way to pay a position (PaymentOptionModel): the full amount
// (IsPartialPayment false) or one installment.
type Option struct {
	NAV              string     `json:"nav,omitempty"`
	IUV              string     `json:"iuv"`
	Amount           int64      `json:"amount"`
	Description      string     `json:"description"`
	IsPartialPayment bool       `json:"isPartialPayment"`
	DueDate          time.Time  `json:"dueDate"`
	RetentionDate    *time.Time `json:"retentionDate,omitempty"`
	Transfers        []Transfer `json:"transfer,omitempty"`
	Metadata         []Metadata `json:"paymentOptionMetadata,omitempty"`
}

// Transfer is where (part of) an option's amount goes: an IBAN of this or
// another ente, or a digital stamp (@e.bollo).
type Transfer struct {
	ID     string `json:"idTransfer"`
	Amount int64  `json:"amount"`
	// OrganizationFiscalCode is another ente's, for multi-beneficiary
	// payments; empty means the position's own ente.
	OrganizationFiscalCode string     `json:"organizationFiscalCode,omitempty"`
	RemittanceInformation  string     `json:"remittanceInformation"`
	Category               string     `json:"category"`
	IBAN                   string     `json:"iban,omitempty"`
	PostalIBAN             string     `json:"postalIban,omitempty"`
	Stamp                  *Stamp     `json:"stamp,omitempty"`
	CompanyName            string     `json:"companyName,omitempty"`
	Metadata               []Metadata `json:"transferMetadata,omitempty"`
}

// Stamp is a digital stamp (marca da bollo digitale) bought with the
// payment, bound to the hash of the document it is for.
type Stamp struct {
	// HashDocument is the base64 SHA-256 of the document.
	HashDocument string `json:"hashDocument"`
	// StampType is "01".
	StampType string `json:"stampType"`
	// ProvincialResidence is the payer's province, two letters.
	ProvincialResidence string `json:"provincialResidence"`
}

// Metadata is a key–value pair the ente attaches to an option or transfer.
type Metadata struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// PositionState is a debt position as the platform reports it
// (PaymentPositionModelBaseResponse): its state and, per option, whether and
// how it was paid.
type PositionState struct {
	IUPD                   string        `json:"iupd"`
	OrganizationFiscalCode string        `json:"organizationFiscalCode,omitempty"`
	Type                   string        `json:"type,omitempty"`
	CompanyName            string        `json:"companyName,omitempty"`
	OfficeName             string        `json:"officeName,omitempty"`
	InsertedDate           *time.Time    `json:"insertedDate,omitempty"`
	PublishDate            *time.Time    `json:"publishDate,omitempty"`
	ValidityDate           *time.Time    `json:"validityDate,omitempty"`
	PaymentDate            *time.Time    `json:"paymentDate,omitempty"`
	Status                 Status        `json:"status"`
	LastUpdatedDate        *time.Time    `json:"lastUpdatedDate,omitempty"`
	Options                []OptionState `json:"paymentOption,omitempty"`
}

// OptionState is one option as the platform reports it.
type OptionState struct {
	NAV                    string          `json:"nav,omitempty"`
	IUV                    string          `json:"iuv"`
	OrganizationFiscalCode string          `json:"organizationFiscalCode,omitempty"`
	Amount                 int64           `json:"amount"`
	Description            string          `json:"description,omitempty"`
	IsPartialPayment       bool            `json:"isPartialPayment"`
	DueDate                *time.Time      `json:"dueDate,omitempty"`
	PaymentDate            *time.Time      `json:"paymentDate,omitempty"`
	PaymentMethod          string          `json:"paymentMethod,omitempty"`
	Fee                    int64           `json:"fee"`
	PSPCompany             string          `json:"pspCompany,omitempty"`
	IDReceipt              string          `json:"idReceipt,omitempty"`
	Status                 OptionStatus    `json:"status"`
	Transfers              []TransferState `json:"transfer,omitempty"`
}

// TransferState is one transfer as the platform reports it.
type TransferState struct {
	OrganizationFiscalCode string `json:"organizationFiscalCode,omitempty"`
	ID                     string `json:"idTransfer"`
	Amount                 int64  `json:"amount"`
	RemittanceInformation  string `json:"remittanceInformation,omitempty"`
	Category               string `json:"category,omitempty"`
	IBAN                   string `json:"iban,omitempty"`
	PostalIBAN             string `json:"postalIban,omitempty"`
	Stamp                  *Stamp `json:"stamp,omitempty"`
	Status                 string `json:"status,omitempty"`
}

// Same reports whether the platform's position st is the one p describes:
// same IUPD and the same options (IUV and amount). A create that timed out
// and answered 409 on retry is read back and compared with Same, so that a
// position the first attempt did create is taken as ours, and a clash with
// someone else's is not.
func (p *Position) Same(st *PositionState) bool {
	if st == nil || st.IUPD != p.IUPD || len(st.Options) != len(p.Options) {
		return false
	}
	want := map[string]int64{}
	for _, o := range p.Options {
		want[o.IUV] = o.Amount
	}
	for _, o := range st.Options {
		if a, ok := want[o.IUV]; !ok || a != o.Amount {
			return false
		}
	}
	return true
}
