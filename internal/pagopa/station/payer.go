package station

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sportello/sportello/internal/pagopa"
)

// PSP is the payment service provider a Payer pretends to be.
type PSP struct {
	ID, FiscalCode, PartitaIVA, CompanyName string
	Channel, ChannelDescription             string
	PaymentMethod                           string
	Fee                                     pagopa.Cents
}

// Payer plays the pagoPA Node against an ente's station, as the simulator
// does in own-station mode: verify, get the payment (again, as after an
// expired token, when RepeatGet), then deliver the receipt, retrying as
// the Node does when the station times out, fails or answers KO. It talks
// SOAP over HTTP through the same code paths a real Node's messages take
// in the station.
type Payer struct {
	// URL is the station's endpoint.
	URL string
	// Client sends the requests; its timeout is the Node's.
	Client              *http.Client
	BrokerID, StationID string
	PSP                 PSP
	// Attempts bounds paSendRTV2 deliveries (5 when zero).
	Attempts int
	// Backoff is the wait before the n-th retry (n from 1); nil waits
	// nothing.
	Backoff func(n int) time.Duration
	// Now is the payer's clock, which dates the receipts.
	Now func() time.Time
	// ReceiptID mints receipt ids; nil makes random ones.
	ReceiptID func() string
	// Stamp makes the @e.bollo (MarcaDaBollo XML) a PSP sells for a stamp
	// transfer; nil refuses positions with stamps.
	Stamp func(t Transfer, at time.Time) ([]byte, error)
	// RepeatGet asks paGetPaymentV2 twice, as after an expired payment
	// token, and requires the same answer.
	RepeatGet bool
	// StandIn marks receipts as taken while the station was down.
	StandIn bool
	// Route, if set, gives the station URL of another beneficiary ente, so
	// that each ente named in the transfers gets its own receipt; nil
	// sends only to the position's ente.
	Route func(idPA string) (url string, ok bool)
}

// Verified is what paVerifyPaymentNotice tells a payer.
type Verified struct {
	Amount                               pagopa.Cents
	DueDate                              time.Time
	Description, CompanyName, OfficeName string
	AllCCP                               bool
}

// ErrDelivery is wrapped when a receipt could not be delivered within the
// attempts: on the platform the receipt stays pending for a support
// ticket.
var ErrDelivery = errors.New("station: receipt not delivered")

// Verify asks the station about a notice.
func (p *Payer) Verify(ctx context.Context, ente string, nav pagopa.NAV) (Verified, error) {
	var res verifyRes
	req := verifyReq{xmlHeader: p.header(ente), QrCode: xmlQrCode{ente, nav.String()}}
	if err := p.call(ctx, p.URL, opVerifyReq, opVerifyRes, req, &res); err != nil {
		return Verified{}, err
	}
	if err := outcome(res.Outcome, res.Fault); err != nil {
		return Verified{}, err
	}
	if res.PaymentList == nil {
		return Verified{}, &Fault{Code: FaultSemantic, Description: "verify OK without paymentList"}
	}
	o := res.PaymentList.Option
	amount, err := pagopa.ParseEuro(o.Amount)
	if err != nil {
		return Verified{}, err
	}
	v := Verified{Amount: amount, Description: res.PaymentDescription, CompanyName: res.CompanyName, OfficeName: res.OfficeName, AllCCP: o.AllCCP}
	if o.DueDate != "" {
		if v.DueDate, err = time.Parse(time.DateOnly, o.DueDate); err != nil {
			return Verified{}, err
		}
	}
	return v, nil
}

// GetPayment asks the station for the payment's data; postal asks for the
// post office's accounts.
func (p *Payer) GetPayment(ctx context.Context, ente string, nav pagopa.NAV, postal bool) (Position, error) {
	var res getRes
	req := getReq{xmlHeader: p.header(ente), QrCode: xmlQrCode{ente, nav.String()}, TransferType: "PAGOPA"}
	if postal {
		req.TransferType = "POSTAL"
	}
	if err := p.call(ctx, p.URL, opGetReq, opGetRes, req, &res); err != nil {
		return Position{}, err
	}
	if err := outcome(res.Outcome, res.Fault); err != nil {
		return Position{}, err
	}
	if res.Data == nil {
		return Position{}, &Fault{Code: FaultSemantic, Description: "getPayment OK without data"}
	}
	return positionFromWire(*res.Data)
}

// positionFromWire reads paGetPaymentV2's data.
func positionFromWire(d xmlPaymentV2) (Position, error) {
	amount, err := pagopa.ParseEuro(d.PaymentAmount)
	if err != nil {
		return Position{}, err
	}
	pos := Position{
		Status: StatusValid, IUV: d.CreditorReferenceID, Amount: amount, Description: d.Description,
		CompanyName: d.CompanyName, OfficeName: d.OfficeName, Debtor: subjectFromWire(d.Debtor),
		Metadata: metadataFromWire(d.Metadata),
	}
	if pos.DueDate, err = time.Parse(time.DateOnly, d.DueDate); err != nil {
		return Position{}, err
	}
	var sum pagopa.Cents
	for _, t := range d.TransferList.Transfer {
		a, err := pagopa.ParseEuro(t.TransferAmount)
		if err != nil {
			return Position{}, err
		}
		sum += a
		tr := Transfer{
			ID: t.IDTransfer, Amount: a, FiscalCodePA: t.FiscalCodePA, CompanyName: t.CompanyName, IBAN: t.IBAN,
			Remittance: t.RemittanceInformation, Category: t.TransferCategory, Metadata: metadataFromWire(t.Metadata),
		}
		if s := t.RichiestaMarcaDaBollo; s != nil {
			tr.Stamp = &StampRequest{DocumentHash: s.HashDocumento, Type: s.TipoBollo, Province: s.ProvinciaResidenza}
		}
		pos.Transfers = append(pos.Transfers, tr)
	}
	if sum != amount || len(pos.Transfers) == 0 {
		return Position{}, &Fault{Code: FaultSemantic, Description: fmt.Sprintf("transfers add up to %d cents, the payment is %d", sum, amount)}
	}
	return pos, nil
}

// SendRT delivers a receipt to the station at url for idPA, retrying on
// transport errors, HTTP errors and KO answers up to Attempts; an answer
// PAA_RECEIPT_DUPLICATA means the station already has it and counts as
// delivered.
func (p *Payer) SendRT(ctx context.Context, url, idPA string, r Receipt) error {
	x, err := receiptToWire(r)
	if err != nil {
		return err
	}
	req := sendRTReq{xmlHeader: p.header(idPA), Receipt: x}
	attempts := p.Attempts
	if attempts <= 0 {
		attempts = 5
	}
	var last error
	for n := 0; n < attempts; n++ {
		if n > 0 && p.Backoff != nil {
			t := time.NewTimer(p.Backoff(n))
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		var res sendRTRes
		err := p.call(ctx, url, opSendRTReq, opSendRTRes, req, &res)
		if err == nil {
			err = outcome(res.Outcome, res.Fault)
		}
		var f *Fault
		switch {
		case err == nil:
			return nil
		case errors.As(err, &f) && f.Code == FaultReceiptDuplicate:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		}
		last = err
	}
	return fmt.Errorf("%w after %d attempts: %w", ErrDelivery, attempts, last)
}

// Pay pays a notice end to end and returns the receipt the station got.
func (p *Payer) Pay(ctx context.Context, ente string, nav pagopa.NAV) (Receipt, error) {
	v, err := p.Verify(ctx, ente, nav)
	if err != nil {
		return Receipt{}, fmt.Errorf("verify: %w", err)
	}
	pos, err := p.GetPayment(ctx, ente, nav, false)
	if err != nil {
		return Receipt{}, fmt.Errorf("getPayment: %w", err)
	}
	if pos.Amount != v.Amount {
		return Receipt{}, &Fault{Code: FaultSemantic, Description: fmt.Sprintf("verify said %d cents, getPayment %d", v.Amount, pos.Amount)}
	}
	if p.RepeatGet {
		again, err := p.GetPayment(ctx, ente, nav, false)
		if err != nil {
			return Receipt{}, fmt.Errorf("getPayment again: %w", err)
		}
		if again.Amount != pos.Amount || again.IUV != pos.IUV || len(again.Transfers) != len(pos.Transfers) {
			return Receipt{}, &Fault{Code: FaultSemantic, Description: "a repeated getPayment answered differently"}
		}
	}
	r, err := p.receipt(ente, nav, pos)
	if err != nil {
		return Receipt{}, err
	}
	if err := p.SendRT(ctx, p.URL, ente, r); err != nil {
		return r, err
	}
	sent := map[string]bool{ente: true}
	for _, t := range r.Transfers {
		if sent[t.FiscalCodePA] || p.Route == nil {
			continue
		}
		sent[t.FiscalCodePA] = true
		if url, ok := p.Route(t.FiscalCodePA); ok {
			if err := p.SendRT(ctx, url, t.FiscalCodePA, r); err != nil {
				return r, err
			}
		}
	}
	return r, nil
}

// receipt builds the receipt a PSP issues for a position.
func (p *Payer) receipt(ente string, nav pagopa.NAV, pos Position) (Receipt, error) {
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	id := ""
	if p.ReceiptID != nil {
		id = p.ReceiptID()
	} else {
		b := make([]byte, 16)
		rand.Read(b)
		id = hex.EncodeToString(b)
	}
	r := Receipt{
		ReceiptID: id, NoticeNumber: nav, FiscalCode: ente, Outcome: "OK", IUV: pos.IUV, Amount: pos.Amount,
		Description: pos.Description, CompanyName: pos.CompanyName, OfficeName: pos.OfficeName, Debtor: pos.Debtor,
		IDPSP: p.PSP.ID, PSPFiscalCode: p.PSP.FiscalCode, PSPPartitaIVA: p.PSP.PartitaIVA, PSPCompanyName: p.PSP.CompanyName,
		IDChannel: p.PSP.Channel, ChannelDescription: p.PSP.ChannelDescription, PaymentMethod: p.PSP.PaymentMethod,
		PaymentDateTime: now, ApplicationDate: now, TransferDate: now.AddDate(0, 0, 1), StandIn: p.StandIn,
		Metadata: pos.Metadata,
	}
	if p.PSP.Fee > 0 {
		fee := p.PSP.Fee
		r.Fee = &fee
	}
	for _, t := range pos.Transfers {
		rt := ReceiptTransfer{
			ID: t.ID, Amount: t.Amount, FiscalCodePA: t.FiscalCodePA, CompanyName: t.CompanyName, IBAN: t.IBAN,
			Remittance: t.Remittance, Category: t.Category, Metadata: t.Metadata,
		}
		if t.Stamp != nil {
			if p.Stamp == nil {
				return Receipt{}, &Fault{Code: FaultSemantic, Description: "a stamp transfer and no stamp seller"}
			}
			b, err := p.Stamp(t, now)
			if err != nil {
				return Receipt{}, err
			}
			rt.MBDAttachment = b
		}
		r.Transfers = append(r.Transfers, rt)
	}
	return r, nil
}

func (p *Payer) header(idPA string) xmlHeader {
	return xmlHeader{IDPA: idPA, IDBrokerPA: p.BrokerID, IDStation: p.StationID}
}

// outcome turns a KO answer into a *Fault.
func outcome(o string, f *xmlFault) error {
	switch {
	case o == "OK":
		return nil
	case f == nil:
		return &Fault{Code: FaultSystem, Description: "outcome " + o + " without fault"}
	}
	return &Fault{Code: f.FaultCode, String: f.FaultString, Description: f.Description}
}

// call posts one SOAP request and decodes the answer's body element.
func (p *Payer) call(ctx context.Context, url, op, resOp string, req, res any) error {
	body, err := envelope(op, req)
	if err != nil {
		return err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", "text/xml; charset=utf-8")
	hr.Header.Set("SOAPAction", soapAction(op))
	client := p.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(hr)
	if err != nil {
		return fmt.Errorf("station: %s: %w", op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("station: %s: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("station: %s: HTTP %d", op, resp.StatusCode)
	}
	return decodeResponse(b, resOp, res)
}

// decodeResponse reads the answer's body element into res.
func decodeResponse(b []byte, resOp string, res any) error {
	d, start, err := openBody(b)
	if err != nil {
		return fmt.Errorf("station: %s: %w", resOp, err)
	}
	if start.Name.Local != resOp {
		return fmt.Errorf("station: answer %s, want %s", start.Name.Local, resOp)
	}
	if err := d.DecodeElement(res, &start); err != nil {
		return fmt.Errorf("station: %s: %w", resOp, err)
	}
	return nil
}

func soapAction(op string) string {
	switch op {
	case opVerifyReq:
		return "paVerifyPaymentNotice"
	case opGetReq:
		return "paGetPaymentV2"
	}
	return "paSendRTV2"
}
