package gpd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pagopa"
)

// NamespacePaForNode is the namespace of the station messages
// (paForNode.xsd); their child elements are unqualified.
const NamespacePaForNode = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"

// ErrInvalidReceipt is a receipt document that cannot be read.
var ErrInvalidReceipt = errors.New("gpd: invalid receipt")

// SendRT is a paSendRTV2 request (paSendRTV2Request): the envelope in which
// the platform delivers a receipt to the ente, and the document the
// receipts service returns.
type SendRT struct {
	XMLName    xml.Name `xml:"paSendRTV2Request"`
	IDPA       string   `xml:"idPA"`
	IDBrokerPA string   `xml:"idBrokerPA"`
	IDStation  string   `xml:"idStation"`
	Receipt    Receipt  `xml:"receipt"`
}

// Receipt is a payment receipt (ctReceiptV2), in the XSD's element order.
// Amounts are decimal euros with two digits, as on the wire; Amount and
// FeeCents convert them.
type Receipt struct {
	ReceiptID           string  `xml:"receiptId"`
	NoticeNumber        string  `xml:"noticeNumber"`
	FiscalCode          string  `xml:"fiscalCode"`
	Outcome             string  `xml:"outcome"`
	CreditorReferenceID string  `xml:"creditorReferenceId"`
	PaymentAmount       string  `xml:"paymentAmount"`
	Description         string  `xml:"description"`
	CompanyName         string  `xml:"companyName"`
	OfficeName          string  `xml:"officeName,omitempty"`
	Debtor              Subject `xml:"debtor"`
	TransferList        struct {
		Transfer []ReceiptTransfer `xml:"transfer"`
	} `xml:"transferList"`
	IDPSP              string   `xml:"idPSP"`
	PSPFiscalCode      string   `xml:"pspFiscalCode,omitempty"`
	PSPPartitaIVA      string   `xml:"pspPartitaIVA,omitempty"`
	PSPCompanyName     string   `xml:"PSPCompanyName"`
	IDChannel          string   `xml:"idChannel"`
	ChannelDescription string   `xml:"channelDescription"`
	Payer              *Subject `xml:"payer,omitempty"`
	PaymentMethod      string   `xml:"paymentMethod,omitempty"`
	PaymentNote        string   `xml:"paymentNote,omitempty"`
	Fee                string   `xml:"fee,omitempty"`
	PaymentDateTime    string   `xml:"paymentDateTime,omitempty"`
	ApplicationDate    string   `xml:"applicationDate,omitempty"`
	TransferDate       string   `xml:"transferDate,omitempty"`
	StandIn            *bool    `xml:"standIn,omitempty"`
}

// Subject is the debtor or the payer (ctSubject).
type Subject struct {
	UniqueIdentifier struct {
		Type  string `xml:"entityUniqueIdentifierType"`
		Value string `xml:"entityUniqueIdentifierValue"`
	} `xml:"uniqueIdentifier"`
	FullName string `xml:"fullName"`
}

// ReceiptTransfer is one transfer of a receipt (ctTransferPAReceiptV2):
// an IBAN or, for a digital stamp, the MarcaDaBollo document (base64).
type ReceiptTransfer struct {
	IDTransfer            string `xml:"idTransfer"`
	TransferAmount        string `xml:"transferAmount"`
	FiscalCodePA          string `xml:"fiscalCodePA"`
	CompanyName           string `xml:"companyName,omitempty"`
	IBAN                  string `xml:"IBAN,omitempty"`
	MBDAttachment         string `xml:"MBDAttachment,omitempty"`
	RemittanceInformation string `xml:"remittanceInformation"`
	TransferCategory      string `xml:"transferCategory"`
}

// Amount is the amount paid, in cents.
func (r *Receipt) Amount() (pagopa.Cents, error) { return pagopa.ParseEuro(r.PaymentAmount) }

// PaidAt is the payment's time; the platform always sends it, though the
// XSD lets it be absent.
func (r *Receipt) PaidAt() (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, r.PaymentDateTime); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: paymentDateTime %q", ErrInvalidReceipt, r.PaymentDateTime)
}

// ParseReceipt reads a receipt document: a paSendRTV2Request, or the
// paSendRTReq of version 1 (same receipt fields for what is read here),
// bare or inside a SOAP envelope. It checks the identifiers a receipt is
// keyed on: an ente fiscal code of 11 digits, an IUV, a notice number, a
// receipt id, an amount.
func ParseReceipt(b []byte) (*Receipt, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil, apperr.Errorf(apperr.Invalid, "%w: no paSendRT request", ErrInvalidReceipt)
		}
		if err != nil {
			return nil, apperr.Errorf(apperr.Invalid, "%w: %w", ErrInvalidReceipt, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "Envelope", "Body":
			continue
		case "Header":
			// A SOAP header, as the Node's paSendRTV2 carries: nothing of
			// the receipt is in it.
			if err := dec.Skip(); err != nil {
				return nil, apperr.Errorf(apperr.Invalid, "%w: %w", ErrInvalidReceipt, err)
			}
			continue
		case "paSendRTV2Request", "paSendRTReq":
			var s SendRT
			if err := dec.DecodeElement(&s, &se); err != nil {
				return nil, apperr.Errorf(apperr.Invalid, "%w: %w", ErrInvalidReceipt, err)
			}
			if err := s.Receipt.check(); err != nil {
				return nil, err
			}
			return &s.Receipt, nil
		default:
			return nil, apperr.Errorf(apperr.Invalid, "%w: unexpected element %s", ErrInvalidReceipt, se.Name.Local)
		}
	}
}

func (r *Receipt) check() error {
	bad := func(what string) error {
		return apperr.Errorf(apperr.Invalid, "%w: %s", ErrInvalidReceipt, what)
	}
	switch {
	case r.ReceiptID == "" || len(r.ReceiptID) > 35:
		return bad("receiptId missing or too long")
	case len(r.FiscalCode) != 11 || !digits(r.FiscalCode):
		return bad("fiscalCode is not 11 digits")
	case r.CreditorReferenceID == "" || len(r.CreditorReferenceID) > 35:
		return bad("creditorReferenceId missing or too long")
	case len(r.NoticeNumber) != 18 || !digits(r.NoticeNumber):
		return bad("noticeNumber is not 18 digits")
	case r.Outcome != "OK" && r.Outcome != "KO":
		return bad("outcome is neither OK nor KO")
	}
	if _, err := r.Amount(); err != nil {
		return bad("paymentAmount: " + err.Error())
	}
	return nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Marshal writes s as the receipts service returns it: the request element
// in the paForNode namespace with unqualified children.
func (s *SendRT) Marshal() ([]byte, error) {
	type alias SendRT
	out := struct {
		XMLName xml.Name `xml:"pafn:paSendRTV2Request"`
		NS      string   `xml:"xmlns:pafn,attr"`
		alias
	}{NS: NamespacePaForNode, alias: alias(*s)}
	b, err := xml.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("gpd: marshal receipt: %w", err)
	}
	return append([]byte(xml.Header), b...), nil
}
