package pagopa

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
)

// NSFlow is the namespace of the XML reconciliation flow
// (FlussoRiversamento_1_0_4.xsd).
const NSFlow = "http://www.digitpa.gov.it/schemas/2011/Pagamenti/"

// ErrInvalidFlow is wrapped by every error for a reconciliation flow that
// cannot be read.
var ErrInvalidFlow = errors.New("pagopa: invalid reconciliation flow")

// FlowOutcome is the outcome of one line of a flow, with the REST API's
// names; the XML codes are 0, 3 and 9.
type FlowOutcome string

// The outcomes of a flow line.
const (
	FlowExecuted      FlowOutcome = "EXECUTED"        // 0: paid
	FlowRevoked       FlowOutcome = "REVOKED"         // 3: revoked, the money goes back
	FlowStandIn       FlowOutcome = "STAND_IN"        // 4: paid while the station was down
	FlowStandInNoRPT  FlowOutcome = "STAND_IN_NO_RPT" // 8
	FlowExecutedNoRPT FlowOutcome = "NO_RPT"          // 9: paid without a payment request
)

// Flow is a reconciliation flow (flusso di rendicontazione, FdR): what a
// PSP transferred to one of the ente's accounts in one SEPA credit transfer,
// line by line, so that the treasury's cash entry can be matched to
// receipts. The same flow comes as XML (FlussoRiversamento, legacy SOAP
// and GPD) or JSON (the FdR REST API).
type Flow struct {
	// ID is identificativoFlusso, "<YYYY-MM-DD><idPSP>-<progressive>".
	ID string
	// Revision is the REST API's version of the flow; 0 for XML.
	Revision int64
	// Date is when the PSP made the flow (dataOraFlusso, fdrDate).
	Date time.Time
	// RegulationID identifies the SEPA credit transfer (the treasury's
	// AT-05 reference); RegulationDate is its date.
	RegulationID   string
	RegulationDate time.Time
	// BIC is the bank the money was poured into, when given.
	BIC      string
	Sender   FlowSender
	Receiver FlowReceiver
	// Count and Total are what the flow declares; Payments are its lines.
	Count    int64
	Total    Cents
	Payments []FlowPayment
}

// FlowSender is the PSP that sent the flow.
type FlowSender struct {
	// Type is LEGAL_PERSON, ABI_CODE or BIC_CODE (XML G, A, B).
	Type string
	// ID is the PSP's identifier in the flow (a BIC, an ABI code or a
	// fiscal code); PSPID its domain identifier on the platform.
	ID, PSPID, Name   string
	BrokerID, Channel string
}

// FlowReceiver is the ente the money went to.
type FlowReceiver struct {
	// ID is the ente's identifier in the flow; FiscalCode its domain
	// identifier (organizationId); Name its name.
	ID, FiscalCode, Name string
}

// FlowPayment is one line of a flow: one paid transfer.
type FlowPayment struct {
	// Index is the line's position (REST index; XML order from 1).
	Index int64
	IUV   string
	// IUR is the collection identifier the PSP gives the payment.
	IUR string
	// TransferID is the transfer of the payment (1–5); 0 when an XML line
	// leaves it out.
	TransferID int
	Amount     Cents
	Outcome    FlowOutcome
	// Date is the line's date (dataEsitoSingoloPagamento, payDate).
	Date time.Time
}

// Problems lists how a flow contradicts itself: a declared count or total
// that its lines do not add up to.
func (f Flow) Problems() []string {
	var out []string
	if int64(len(f.Payments)) != f.Count {
		out = append(out, fmt.Sprintf("flow %s declares %d payments and lists %d", f.ID, f.Count, len(f.Payments)))
	}
	var sum Cents
	for _, p := range f.Payments {
		sum += p.Amount
	}
	if sum != f.Total {
		out = append(out, fmt.Sprintf("flow %s declares %s and its lines add up to %s", f.ID, f.Total.Italian(), sum.Italian()))
	}
	return out
}

// NewFlowID makes a flow identifier as PSPs do: the date, the PSP's id and
// a progressive of seven digits.
func NewFlowID(day time.Time, pspID string, n int) string {
	return fmt.Sprintf("%s%s-%07d", day.Format(time.DateOnly), pspID, n)
}

// The XML wire form.
type xmlFlow struct {
	XMLName         xml.Name        `xml:"http://www.digitpa.gov.it/schemas/2011/Pagamenti/ FlussoRiversamento"`
	Versione        string          `xml:"versioneOggetto"`
	ID              string          `xml:"identificativoFlusso"`
	DataOra         string          `xml:"dataOraFlusso"`
	Regolamento     string          `xml:"identificativoUnivocoRegolamento"`
	DataRegolamento string          `xml:"dataRegolamento"`
	Mittente        xmlFlowParty    `xml:"istitutoMittente"`
	BIC             string          `xml:"codiceBicBancaDiRiversamento,omitempty"`
	Ricevente       xmlFlowReceiver `xml:"istitutoRicevente"`
	NumeroTotale    string          `xml:"numeroTotalePagamenti"`
	ImportoTotale   string          `xml:"importoTotalePagamenti"`
	Pagamenti       []xmlFlowLine   `xml:"datiSingoliPagamenti"`
}

type xmlFlowID struct {
	Tipo   string `xml:"tipoIdentificativoUnivoco"`
	Codice string `xml:"codiceIdentificativoUnivoco"`
}

type xmlFlowParty struct {
	ID   xmlFlowID `xml:"identificativoUnivocoMittente"`
	Name string    `xml:"denominazioneMittente,omitempty"`
}

type xmlFlowReceiver struct {
	ID   xmlFlowID `xml:"identificativoUnivocoRicevente"`
	Name string    `xml:"denominazioneRicevente,omitempty"`
}

type xmlFlowLine struct {
	IUV    string `xml:"identificativoUnivocoVersamento"`
	IUR    string `xml:"identificativoUnivocoRiscossione"`
	Indice string `xml:"indiceDatiSingoloPagamento,omitempty"`
	Amount string `xml:"singoloImportoPagato"`
	Esito  string `xml:"codiceEsitoSingoloPagamento"`
	Data   string `xml:"dataEsitoSingoloPagamento"`
}

var (
	senderTypes = map[string]string{"G": "LEGAL_PERSON", "A": "ABI_CODE", "B": "BIC_CODE"}
	xmlOutcomes = map[string]FlowOutcome{"0": FlowExecuted, "3": FlowRevoked, "9": FlowExecutedNoRPT}
)

func invalidFlow(format string, args ...any) error {
	return apperr.Errorf(apperr.Invalid, "pagopa: %w: %s", ErrInvalidFlow, fmt.Sprintf(format, args...))
}

// ParseFlowXML reads a FlussoRiversamento, as the Node's
// nodoChiediFlussoRendicontazione (base64-decoded) or GPD return it. The
// receiver in the XML has no organizationId: FiscalCode is its
// codiceIdentificativoUnivoco, which for an ente is its fiscal code.
func ParseFlowXML(b []byte) (Flow, error) {
	var x xmlFlow
	d := xml.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&x); err != nil {
		return Flow{}, invalidFlow("%v", err)
	}
	if x.XMLName.Space != NSFlow {
		return Flow{}, invalidFlow("namespace %q, want %q", x.XMLName.Space, NSFlow)
	}
	f := Flow{
		ID: x.ID, RegulationID: x.Regolamento, BIC: x.BIC,
		Sender:   FlowSender{Type: senderTypes[x.Mittente.ID.Tipo], ID: x.Mittente.ID.Codice, Name: x.Mittente.Name},
		Receiver: FlowReceiver{ID: x.Ricevente.ID.Codice, FiscalCode: x.Ricevente.ID.Codice, Name: x.Ricevente.Name},
	}
	if f.ID == "" || f.RegulationID == "" || f.Sender.Type == "" {
		return Flow{}, invalidFlow("missing identificativoFlusso, identificativoUnivocoRegolamento or a known sender type")
	}
	var err error
	if f.Date, err = ParseDateTime(x.DataOra); err != nil {
		return Flow{}, invalidFlow("dataOraFlusso: %v", err)
	}
	if f.RegulationDate, err = time.Parse(time.DateOnly, x.DataRegolamento); err != nil {
		return Flow{}, invalidFlow("dataRegolamento: %v", err)
	}
	if f.Count, err = strconv.ParseInt(x.NumeroTotale, 10, 64); err != nil {
		return Flow{}, invalidFlow("numeroTotalePagamenti %q", x.NumeroTotale)
	}
	if f.Total, err = ParseEuro(x.ImportoTotale); err != nil {
		return Flow{}, invalidFlow("importoTotalePagamenti: %v", err)
	}
	for i, l := range x.Pagamenti {
		p := FlowPayment{Index: int64(i + 1), IUV: l.IUV, IUR: l.IUR}
		if p.IUV == "" || p.IUR == "" {
			return Flow{}, invalidFlow("line %d without IUV or IUR", i+1)
		}
		if l.Indice != "" {
			if p.TransferID, err = strconv.Atoi(l.Indice); err != nil || p.TransferID < 1 || p.TransferID > 5 {
				return Flow{}, invalidFlow("line %d: indiceDatiSingoloPagamento %q", i+1, l.Indice)
			}
		}
		if p.Amount, err = ParseEuro(l.Amount); err != nil {
			return Flow{}, invalidFlow("line %d: %v", i+1, err)
		}
		var ok bool
		if p.Outcome, ok = xmlOutcomes[l.Esito]; !ok {
			return Flow{}, invalidFlow("line %d: outcome %q", i+1, l.Esito)
		}
		if p.Date, err = time.Parse(time.DateOnly, l.Data); err != nil {
			return Flow{}, invalidFlow("line %d: date: %v", i+1, err)
		}
		f.Payments = append(f.Payments, p)
	}
	if len(f.Payments) == 0 {
		return Flow{}, invalidFlow("no lines")
	}
	return f, nil
}

// XML writes the flow as a FlussoRiversamento (version 1.0), for the
// simulator. Stand-in outcomes, which the XML schema predates, are written
// as 0 (paid) and 9 (paid without a request).
func (f Flow) XML() ([]byte, error) {
	total, err := f.Total.SOAP()
	if err != nil {
		return nil, err
	}
	// dataOraFlusso is written as the Node writes it: Italian time
	// without a zone.
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return nil, err
	}
	x := xmlFlow{
		XMLName: xml.Name{Space: NSFlow, Local: "FlussoRiversamento"}, Versione: "1.0", ID: f.ID,
		DataOra: f.Date.In(loc).Format("2006-01-02T15:04:05"), Regolamento: f.RegulationID,
		DataRegolamento: f.RegulationDate.Format(time.DateOnly), BIC: f.BIC,
		NumeroTotale: strconv.FormatInt(f.Count, 10), ImportoTotale: total,
		Ricevente: xmlFlowReceiver{ID: xmlFlowID{Tipo: "G", Codice: f.Receiver.FiscalCode}, Name: f.Receiver.Name},
	}
	for code, name := range senderTypes {
		if name == f.Sender.Type {
			x.Mittente.ID.Tipo = code
		}
	}
	x.Mittente.ID.Codice, x.Mittente.Name = f.Sender.ID, f.Sender.Name
	for _, p := range f.Payments {
		a, err := p.Amount.SOAP()
		if err != nil {
			return nil, err
		}
		l := xmlFlowLine{IUV: p.IUV, IUR: p.IUR, Amount: a, Data: p.Date.Format(time.DateOnly)}
		if p.TransferID > 0 {
			l.Indice = strconv.Itoa(p.TransferID)
		}
		switch p.Outcome {
		case FlowExecuted, FlowStandIn:
			l.Esito = "0"
		case FlowRevoked:
			l.Esito = "3"
		default:
			l.Esito = "9"
		}
		x.Pagamenti = append(x.Pagamenti, l)
	}
	out, err := xml.Marshal(x)
	if err != nil {
		return nil, fmt.Errorf("pagopa: flow %s: %w", f.ID, err)
	}
	return append([]byte(xml.Header), out...), nil
}

// ParseDateTime reads an xs:dateTime as pagoPA's messages carry it, with a
// zone or without one, which the Node means as Italian time (receipts,
// flows, marche da bollo).
func ParseDateTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return time.Time{}, err
	}
	return time.ParseInLocation("2006-01-02T15:04:05.999999999", s, loc)
}

// The REST wire form (fdr_organization.json).
type restFlow struct {
	Status             string       `json:"status,omitempty"`
	Revision           int64        `json:"revision"`
	Created            string       `json:"created,omitempty"`
	Updated            string       `json:"updated,omitempty"`
	FDR                string       `json:"fdr"`
	FDRDate            string       `json:"fdrDate"`
	Regulation         string       `json:"regulation"`
	RegulationDate     string       `json:"regulationDate"`
	BIC                string       `json:"bicCodePouringBank,omitempty"`
	Sender             restSender   `json:"sender"`
	Receiver           restReceiver `json:"receiver"`
	Published          string       `json:"published,omitempty"`
	ComputedTotPayment int64        `json:"computedTotPayments"`
	ComputedSum        json.Number  `json:"computedSumPayments"`
	TotPayments        int64        `json:"totPayments"`
	SumPayments        json.Number  `json:"sumPayments"`
}

type restSender struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	PSPID       string `json:"pspId"`
	PSPName     string `json:"pspName"`
	PSPBrokerID string `json:"pspBrokerId"`
	ChannelID   string `json:"channelId"`
}

type restReceiver struct {
	ID               string `json:"id"`
	OrganizationID   string `json:"organizationId"`
	OrganizationName string `json:"organizationName"`
}

type restPayment struct {
	Index      int64       `json:"index"`
	IUV        string      `json:"iuv"`
	IUR        string      `json:"iur"`
	IDTransfer int         `json:"idTransfer"`
	Pay        json.Number `json:"pay"`
	PayStatus  string      `json:"payStatus"`
	PayDate    string      `json:"payDate"`
}

type restPage struct {
	Metadata struct {
		PageSize   int `json:"pageSize"`
		PageNumber int `json:"pageNumber"`
		TotPage    int `json:"totPage"`
	} `json:"metadata"`
	Count int64         `json:"count"`
	Data  []restPayment `json:"data"`
}

// RESTAmount parses a REST amount, a JSON number of euros with at most two
// decimals ("pay": 16.52), without going through a float.
func RESTAmount(n json.Number) (Cents, error) {
	s := string(n)
	if strings.ContainsAny(s, "eE+-") {
		return 0, apperr.Errorf(apperr.Invalid, "pagopa: amount %s: %w", s, ErrInvalidAmount)
	}
	return ParseEuro(s)
}

// restAmount writes cents as a JSON number with two decimals.
func restAmount(c Cents) (json.Number, error) {
	s, err := c.SOAP()
	return json.Number(s), err
}

// ParseFlowREST reads a flow from the FdR REST API: the flow
// (GET …/fdrs/{fdr}/revisions/{rev}/psps/{psp}) and every page of its
// payments (GET …/payments).
func ParseFlowREST(flow []byte, pages ...[]byte) (Flow, error) {
	var x restFlow
	d := json.NewDecoder(bytes.NewReader(flow))
	d.UseNumber()
	if err := d.Decode(&x); err != nil {
		return Flow{}, invalidFlow("%v", err)
	}
	f := Flow{
		ID: x.FDR, Revision: x.Revision, RegulationID: x.Regulation, BIC: x.BIC, Count: x.TotPayments,
		Sender: FlowSender{Type: x.Sender.Type, ID: x.Sender.ID, PSPID: x.Sender.PSPID, Name: x.Sender.PSPName,
			BrokerID: x.Sender.PSPBrokerID, Channel: x.Sender.ChannelID},
		Receiver: FlowReceiver{ID: x.Receiver.ID, FiscalCode: x.Receiver.OrganizationID, Name: x.Receiver.OrganizationName},
	}
	if f.ID == "" || f.RegulationID == "" || f.Receiver.FiscalCode == "" {
		return Flow{}, invalidFlow("missing fdr, regulation or receiver.organizationId")
	}
	var err error
	if f.Date, err = time.Parse(time.RFC3339Nano, x.FDRDate); err != nil {
		return Flow{}, invalidFlow("fdrDate: %v", err)
	}
	if f.RegulationDate, err = time.Parse(time.DateOnly, x.RegulationDate); err != nil {
		return Flow{}, invalidFlow("regulationDate: %v", err)
	}
	if f.Total, err = RESTAmount(x.SumPayments); err != nil {
		return Flow{}, invalidFlow("sumPayments: %v", err)
	}
	for n, page := range pages {
		var pg restPage
		d := json.NewDecoder(bytes.NewReader(page))
		d.UseNumber()
		if err := d.Decode(&pg); err != nil {
			return Flow{}, invalidFlow("payments page %d: %v", n+1, err)
		}
		for _, p := range pg.Data {
			line := FlowPayment{Index: p.Index, IUV: p.IUV, IUR: p.IUR, TransferID: p.IDTransfer, Outcome: FlowOutcome(p.PayStatus)}
			switch line.Outcome {
			case FlowExecuted, FlowRevoked, FlowStandIn, FlowStandInNoRPT, FlowExecutedNoRPT:
			default:
				return Flow{}, invalidFlow("payment %d: payStatus %q", p.Index, p.PayStatus)
			}
			if line.IUV == "" || line.IUR == "" || line.TransferID < 1 || line.TransferID > 5 {
				return Flow{}, invalidFlow("payment %d: iuv, iur or idTransfer missing", p.Index)
			}
			if line.Amount, err = RESTAmount(p.Pay); err != nil {
				return Flow{}, invalidFlow("payment %d: %v", p.Index, err)
			}
			if line.Date, err = time.Parse(time.RFC3339Nano, p.PayDate); err != nil {
				return Flow{}, invalidFlow("payment %d: payDate: %v", p.Index, err)
			}
			f.Payments = append(f.Payments, line)
		}
	}
	return f, nil
}

// REST writes the flow as the FdR REST API serves it: the flow and its
// payments in pages of pageSize, for the simulator.
func (f Flow) REST(pageSize int, published time.Time) (flow []byte, pages [][]byte, err error) {
	if pageSize < 1 {
		return nil, nil, fmt.Errorf("pagopa: flow %s: page size %d", f.ID, pageSize)
	}
	sum, err := restAmount(f.Total)
	if err != nil {
		return nil, nil, err
	}
	var computed Cents
	for _, p := range f.Payments {
		computed += p.Amount
	}
	csum, err := restAmount(computed)
	if err != nil {
		return nil, nil, err
	}
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
	x := restFlow{
		Status: "PUBLISHED", Revision: max(f.Revision, 1), Created: ts(f.Date), Updated: ts(published), FDR: f.ID,
		FDRDate: ts(f.Date), Regulation: f.RegulationID, RegulationDate: f.RegulationDate.Format(time.DateOnly), BIC: f.BIC,
		Sender: restSender{Type: f.Sender.Type, ID: f.Sender.ID, PSPID: f.Sender.PSPID, PSPName: f.Sender.Name,
			PSPBrokerID: f.Sender.BrokerID, ChannelID: f.Sender.Channel},
		Receiver:           restReceiver{ID: f.Receiver.ID, OrganizationID: f.Receiver.FiscalCode, OrganizationName: f.Receiver.Name},
		Published:          ts(published),
		ComputedTotPayment: int64(len(f.Payments)), ComputedSum: csum, TotPayments: f.Count, SumPayments: sum,
	}
	if flow, err = json.Marshal(x); err != nil {
		return nil, nil, err
	}
	total := int(math.Ceil(float64(len(f.Payments)) / float64(pageSize)))
	for i := 0; i < len(f.Payments); i += pageSize {
		var pg restPage
		pg.Metadata.PageSize, pg.Metadata.PageNumber, pg.Metadata.TotPage = pageSize, i/pageSize+1, total
		for _, p := range f.Payments[i:min(i+pageSize, len(f.Payments))] {
			a, err := restAmount(p.Amount)
			if err != nil {
				return nil, nil, err
			}
			pg.Data = append(pg.Data, restPayment{Index: p.Index, IUV: p.IUV, IUR: p.IUR, IDTransfer: max(p.TransferID, 1),
				Pay: a, PayStatus: string(p.Outcome), PayDate: ts(p.Date)})
		}
		pg.Count = int64(len(pg.Data))
		b, err := json.Marshal(pg)
		if err != nil {
			return nil, nil, err
		}
		pages = append(pages, b)
	}
	return flow, pages, nil
}
