package station

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// Namespaces of the SOAP envelope and of the paForNode body elements. The
// body element is qualified; its children are not (elementFormDefault is
// unqualified in paForNode.xsd).
const (
	NSSOAP      = "http://schemas.xmlsoap.org/soap/envelope/"
	NSPaForNode = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"
)

// Body element names of the primitives the station answers.
const (
	opVerifyReq = "paVerifyPaymentNoticeReq"
	opVerifyRes = "paVerifyPaymentNoticeRes"
	opGetReq    = "paGetPaymentV2Request"
	opGetRes    = "paGetPaymentV2Response"
	opSendRTReq = "paSendRTV2Request"
	opSendRTRes = "paSendRTV2Response"
)

// The wire types below mirror paForNode.xsd element by element, in schema
// order, so that encoding/xml writes what the schema wants; the domain
// types in station.go are what the rest of the code sees.

type xmlQrCode struct {
	FiscalCode   string `xml:"fiscalCode"`
	NoticeNumber string `xml:"noticeNumber"`
}

type xmlHeader struct {
	IDPA       string `xml:"idPA"`
	IDBrokerPA string `xml:"idBrokerPA"`
	IDStation  string `xml:"idStation"`
}

type verifyReq struct {
	xmlHeader
	QrCode xmlQrCode `xml:"qrCode"`
}

type xmlFault struct {
	FaultCode   string `xml:"faultCode"`
	FaultString string `xml:"faultString"`
	ID          string `xml:"id"`
	Description string `xml:"description,omitempty"`
}

type xmlOptionDesc struct {
	Amount            string `xml:"amount"`
	Options           string `xml:"options"`
	DueDate           string `xml:"dueDate,omitempty"`
	DetailDescription string `xml:"detailDescription,omitempty"`
	AllCCP            bool   `xml:"allCCP"`
}

type xmlPaymentList struct {
	Option xmlOptionDesc `xml:"paymentOptionDescription"`
}

type verifyRes struct {
	Outcome            string          `xml:"outcome"`
	Fault              *xmlFault       `xml:"fault,omitempty"`
	PaymentList        *xmlPaymentList `xml:"paymentList,omitempty"`
	PaymentDescription string          `xml:"paymentDescription,omitempty"`
	FiscalCodePA       string          `xml:"fiscalCodePA,omitempty"`
	CompanyName        string          `xml:"companyName,omitempty"`
	OfficeName         string          `xml:"officeName,omitempty"`
}

type getReq struct {
	xmlHeader
	QrCode       xmlQrCode `xml:"qrCode"`
	Amount       string    `xml:"amount,omitempty"`
	PaymentNote  string    `xml:"paymentNote,omitempty"`
	TransferType string    `xml:"transferType,omitempty"`
	DueDate      string    `xml:"dueDate,omitempty"`
}

type xmlMapEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type xmlMetadata struct {
	Entries []xmlMapEntry `xml:"mapEntry"`
}

type xmlUniqueID struct {
	Type  string `xml:"entityUniqueIdentifierType"`
	Value string `xml:"entityUniqueIdentifierValue"`
}

type xmlSubject struct {
	UniqueIdentifier    xmlUniqueID `xml:"uniqueIdentifier"`
	FullName            string      `xml:"fullName"`
	StreetName          string      `xml:"streetName,omitempty"`
	CivicNumber         string      `xml:"civicNumber,omitempty"`
	PostalCode          string      `xml:"postalCode,omitempty"`
	City                string      `xml:"city,omitempty"`
	StateProvinceRegion string      `xml:"stateProvinceRegion,omitempty"`
	Country             string      `xml:"country,omitempty"`
	Email               string      `xml:"e-mail,omitempty"`
}

type xmlStampRequest struct {
	HashDocumento      string `xml:"hashDocumento"`
	TipoBollo          string `xml:"tipoBollo"`
	ProvinciaResidenza string `xml:"provinciaResidenza"`
}

type xmlTransferV2 struct {
	IDTransfer            int              `xml:"idTransfer"`
	TransferAmount        string           `xml:"transferAmount"`
	FiscalCodePA          string           `xml:"fiscalCodePA"`
	CompanyName           string           `xml:"companyName,omitempty"`
	IBAN                  string           `xml:"IBAN,omitempty"`
	RichiestaMarcaDaBollo *xmlStampRequest `xml:"richiestaMarcaDaBollo,omitempty"`
	RemittanceInformation string           `xml:"remittanceInformation"`
	TransferCategory      string           `xml:"transferCategory"`
	Metadata              *xmlMetadata     `xml:"metadata,omitempty"`
}

type xmlTransferList struct {
	Transfer []xmlTransferV2 `xml:"transfer"`
}

type xmlPaymentV2 struct {
	CreditorReferenceID string          `xml:"creditorReferenceId"`
	PaymentAmount       string          `xml:"paymentAmount"`
	DueDate             string          `xml:"dueDate"`
	Description         string          `xml:"description"`
	CompanyName         string          `xml:"companyName"`
	OfficeName          string          `xml:"officeName,omitempty"`
	Debtor              xmlSubject      `xml:"debtor"`
	TransferList        xmlTransferList `xml:"transferList"`
	Metadata            *xmlMetadata    `xml:"metadata,omitempty"`
}

type getRes struct {
	Outcome string        `xml:"outcome"`
	Fault   *xmlFault     `xml:"fault,omitempty"`
	Data    *xmlPaymentV2 `xml:"data,omitempty"`
}

type xmlReceiptTransfer struct {
	IDTransfer            int          `xml:"idTransfer"`
	TransferAmount        string       `xml:"transferAmount"`
	FiscalCodePA          string       `xml:"fiscalCodePA"`
	CompanyName           string       `xml:"companyName,omitempty"`
	IBAN                  string       `xml:"IBAN,omitempty"`
	MBDAttachment         string       `xml:"MBDAttachment,omitempty"`
	RemittanceInformation string       `xml:"remittanceInformation"`
	TransferCategory      string       `xml:"transferCategory"`
	Metadata              *xmlMetadata `xml:"metadata,omitempty"`
}

type xmlReceiptTransferList struct {
	Transfer []xmlReceiptTransfer `xml:"transfer"`
}

type xmlReceiptV2 struct {
	ReceiptID            string                 `xml:"receiptId"`
	NoticeNumber         string                 `xml:"noticeNumber"`
	FiscalCode           string                 `xml:"fiscalCode"`
	Outcome              string                 `xml:"outcome"`
	CreditorReferenceID  string                 `xml:"creditorReferenceId"`
	PaymentAmount        string                 `xml:"paymentAmount"`
	Description          string                 `xml:"description"`
	CompanyName          string                 `xml:"companyName"`
	OfficeName           string                 `xml:"officeName,omitempty"`
	Debtor               xmlSubject             `xml:"debtor"`
	TransferList         xmlReceiptTransferList `xml:"transferList"`
	IDPSP                string                 `xml:"idPSP"`
	PSPFiscalCode        string                 `xml:"pspFiscalCode,omitempty"`
	PSPPartitaIVA        string                 `xml:"pspPartitaIVA,omitempty"`
	PSPCompanyName       string                 `xml:"PSPCompanyName"`
	IDChannel            string                 `xml:"idChannel"`
	ChannelDescription   string                 `xml:"channelDescription"`
	Payer                *xmlSubject            `xml:"payer,omitempty"`
	PaymentMethod        string                 `xml:"paymentMethod,omitempty"`
	PaymentNote          string                 `xml:"paymentNote,omitempty"`
	Fee                  string                 `xml:"fee,omitempty"`
	PrimaryCiIncurredFee string                 `xml:"primaryCiIncurredFee,omitempty"`
	IDBundle             string                 `xml:"idBundle,omitempty"`
	IDCiBundle           string                 `xml:"idCiBundle,omitempty"`
	PaymentDateTime      string                 `xml:"paymentDateTime,omitempty"`
	ApplicationDate      string                 `xml:"applicationDate,omitempty"`
	TransferDate         string                 `xml:"transferDate,omitempty"`
	Metadata             *xmlMetadata           `xml:"metadata,omitempty"`
	StandIn              *bool                  `xml:"standIn,omitempty"`
}

type sendRTReq struct {
	xmlHeader
	Receipt xmlReceiptV2 `xml:"receipt"`
}

type sendRTRes struct {
	Outcome string    `xml:"outcome"`
	Fault   *xmlFault `xml:"fault,omitempty"`
}

// envelope writes a SOAP 1.1 envelope whose body is the paForNode element
// op with v's fields as its unqualified children.
func envelope(op string, v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<soapenv:Envelope xmlns:soapenv="` + NSSOAP + `" xmlns:pafn="` + NSPaForNode + `"><soapenv:Header/><soapenv:Body>`)
	enc := xml.NewEncoder(&b)
	// The prefixed name keeps the children unqualified: encoding/xml would
	// otherwise declare a default namespace that they would inherit.
	if err := enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: "pafn:" + op}}); err != nil {
		return nil, fmt.Errorf("station: encode %s: %w", op, err)
	}
	if err := enc.Flush(); err != nil {
		return nil, fmt.Errorf("station: encode %s: %w", op, err)
	}
	b.WriteString(`</soapenv:Body></soapenv:Envelope>`)
	return b.Bytes(), nil
}

// errNotSOAP is wrapped when a body is not a SOAP envelope with a
// paForNode element in its body.
var errNotSOAP = errors.New("not a SOAP envelope with a paForNode body")

// maxBody bounds what the station reads of a request: a receipt with five
// transfers and their @e.bollo attachments is a few tens of kilobytes.
const maxBody = 1 << 20

// openBody walks an envelope to its body element, checking the envelope
// and body namespaces, and returns a decoder positioned after the element's
// start tag and the element's local name.
func openBody(doc []byte) (*xml.Decoder, xml.StartElement, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, xml.StartElement{}, fmt.Errorf("%w: no body element", errNotSOAP)
		}
		if err != nil {
			return nil, xml.StartElement{}, fmt.Errorf("%w: %w", errNotSOAP, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			if _, end := tok.(xml.EndElement); end {
				depth--
			}
			continue
		}
		switch depth {
		case 0:
			if se.Name.Space != NSSOAP || se.Name.Local != "Envelope" {
				return nil, se, fmt.Errorf("%w: root %s", errNotSOAP, se.Name.Local)
			}
			depth++
		case 1:
			if se.Name.Space != NSSOAP {
				return nil, se, fmt.Errorf("%w: %s in the envelope", errNotSOAP, se.Name.Local)
			}
			if se.Name.Local == "Header" {
				if err := d.Skip(); err != nil {
					return nil, se, fmt.Errorf("%w: %w", errNotSOAP, err)
				}
				continue
			}
			if se.Name.Local != "Body" {
				return nil, se, fmt.Errorf("%w: %s in the envelope", errNotSOAP, se.Name.Local)
			}
			depth++
		default:
			if se.Name.Space != NSPaForNode {
				return nil, se, fmt.Errorf("%w: body element %s in namespace %q", errNotSOAP, se.Name.Local, se.Name.Space)
			}
			return d, se, nil
		}
	}
}
