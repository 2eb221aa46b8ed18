package pagopasim

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/bollo"
	"github.com/sportello/sportello/internal/pagopa/gpd"
)

// The faults a payer meets, as the platform maps a position's state to the
// creditor's fault code (pagopa-gpd-payments' PartnerService).
var (
	ErrUnknown   = errors.New("PAA_PAGAMENTO_SCONOSCIUTO")
	ErrExpired   = errors.New("PAA_PAGAMENTO_SCADUTO")
	ErrCancelled = errors.New("PAA_PAGAMENTO_ANNULLATO")
	ErrDuplicate = errors.New("PAA_PAGAMENTO_DUPLICATO")
)

// Payer describes who pays and through whom.
type Payer struct {
	PSP, PSPName, Channel, Method string
}

// Tobacconist is a payment at a tobacconist's counter (a PSP of the
// network), with no Checkout.
var Tobacconist = Payer{PSP: "SIM_TABACCHI", PSPName: "Tabaccheria simulata", Channel: "SIM_TABACCHI_01", Method: "CASH"}

// online is a payment through the Checkout page.
var online = Payer{PSP: "SIM_PSP_CARD", PSPName: "PSP simulato (carta)", Channel: "SIM_PSP_CARD_01", Method: "CP"}

// Pay pays the notice nav of ente ec as payer would at a counter: the
// position must be payable and the option unpaid; it issues the receipt the
// receipts service will return and moves the position on. It returns the
// receipt id.
func (s *Sim) Pay(ec, nav string, payer Payer) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pay(ec, nav, payer, randomID())
}

// pay pays the notice with a receipt of id id.
func (s *Sim) pay(ec, nav string, payer Payer, id string) (string, error) {
	o, ok := s.byNAV[ec+"/"+nav]
	if !ok {
		return "", ErrUnknown
	}
	p := o.pos
	s.refresh(p)
	switch p.status {
	case gpd.Draft, gpd.Published:
		return "", ErrUnknown
	case gpd.Expired:
		return "", ErrExpired
	case gpd.Invalid:
		return "", ErrCancelled
	case gpd.Paid, gpd.Reported:
		return "", ErrDuplicate
	}
	if o.status != gpd.OptionUnpaid {
		return "", ErrDuplicate
	}
	if p.status == gpd.PartiallyPaid && !o.o.IsPartialPayment {
		// After an installment, the payment in full is refused.
		return "", ErrDuplicate
	}
	wrongStamp := s.payFault(nav) == WrongStamp
	now := s.now()
	o.status, o.paymentDate, o.receiptID, o.psp, o.method = gpd.OptionPaid, &now, id, payer.PSPName, payer.Method
	p.updated = now
	if !o.o.IsPartialPayment {
		p.status, p.paymentDate = gpd.Paid, &now
	} else {
		p.status = gpd.Paid
		for _, other := range p.options {
			if other.o.IsPartialPayment && other.status == gpd.OptionUnpaid {
				p.status = gpd.PartiallyPaid
			}
		}
		if p.status == gpd.Paid {
			p.paymentDate = &now
		}
	}
	amount, err := pagopa.Cents(o.o.Amount).SOAP()
	if err != nil {
		return "", err
	}
	rt := gpd.SendRT{IDPA: ec, IDBrokerPA: s.opt.BrokerID, IDStation: s.opt.StationID, Receipt: gpd.Receipt{
		ReceiptID: id, NoticeNumber: o.o.NAV, FiscalCode: ec, Outcome: "OK", CreditorReferenceID: o.o.IUV,
		PaymentAmount: amount, Description: o.o.Description, CompanyName: p.p.CompanyName, OfficeName: p.p.OfficeName,
		IDPSP: payer.PSP, PSPCompanyName: payer.PSPName, IDChannel: payer.Channel, ChannelDescription: "simulated",
		PaymentMethod: payer.Method, Fee: "1.00", PaymentDateTime: now.Format("2006-01-02T15:04:05.000Z"),
		ApplicationDate: now.Format("2006-01-02"), TransferDate: now.Format("2006-01-02"),
	}}
	rt.Receipt.Debtor.UniqueIdentifier.Type = p.p.Type
	rt.Receipt.Debtor.UniqueIdentifier.Value = p.p.FiscalCode
	rt.Receipt.Debtor.FullName = truncate(p.p.FullName, 70)
	for _, t := range o.o.Transfers {
		ta, err := pagopa.Cents(t.Amount).SOAP()
		if err != nil {
			return "", err
		}
		rtt := gpd.ReceiptTransfer{IDTransfer: t.ID, TransferAmount: ta, FiscalCodePA: t.OrganizationFiscalCode,
			IBAN: t.IBAN, RemittanceInformation: t.RemittanceInformation, TransferCategory: t.Category}
		if rtt.FiscalCodePA == "" {
			rtt.FiscalCodePA = ec
		}
		if t.Stamp != nil {
			if rtt.MBDAttachment, err = s.sellStamp(t, wrongStamp, now); err != nil {
				return "", err
			}
		}
		rt.Receipt.TransferList.Transfer = append(rt.Receipt.TransferList.Transfer, rtt)
	}
	b, err := rt.Marshal()
	if err != nil {
		return "", err
	}
	key := ec + "/" + o.o.IUV
	s.receipts[key] = &storedReceipt{ec: ec, iuv: o.o.IUV, debtor: p.p.FiscalCode, paid: now, xml: b}
	s.order = append(s.order, key)
	s.opt.Logger.Info("pagopa sim: notice paid", "ec", ec, "iuv", o.o.IUV, "psp", payer.PSP)
	return id, nil
}

// sellStamp is the MarcaDaBollo a PSP sells for stamp transfer t, bound to
// the document hash the position names (or, with the WrongStamp fault, to
// another), base64 as the receipt carries it. s.mu is held.
func (s *Sim) sellStamp(t gpd.Transfer, wrong bool, now time.Time) (string, error) {
	hash, err := base64.StdEncoding.DecodeString(t.Stamp.HashDocument)
	if err != nil || len(hash) != sha256.Size {
		// GPD takes any text of up to 72 characters; a PSP stamps its hash.
		h := sha256.Sum256([]byte(t.Stamp.HashDocument))
		hash = h[:]
	}
	if wrong {
		h := sha256.Sum256(append([]byte("another document: "), hash...))
		hash = h[:]
	}
	if s.seller == nil {
		if s.seller, err = bollo.NewSimulatorSeller("15376371009", "PSP simulato (@e.bollo)", now); err != nil {
			return "", err
		}
	}
	doc, err := s.seller.Sell(hash, pagopa.Cents(t.Amount), now)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(doc), nil
}

// verify checks that nav of ec could be paid now for amount cents, as
// Checkout does before showing the payment page.
func (s *Sim) verify(ec, nav string, amount int64) (*option, error) {
	o, ok := s.byNAV[ec+"/"+nav]
	if !ok {
		return nil, ErrUnknown
	}
	s.refresh(o.pos)
	switch o.pos.status {
	case gpd.Draft, gpd.Published:
		return nil, ErrUnknown
	case gpd.Expired:
		return nil, ErrExpired
	case gpd.Invalid:
		return nil, ErrCancelled
	case gpd.Paid, gpd.Reported:
		return nil, ErrDuplicate
	}
	if o.status != gpd.OptionUnpaid {
		return nil, ErrDuplicate
	}
	if o.o.Amount != amount {
		return nil, fmt.Errorf("amount %d differs from the notice's %d", amount, o.o.Amount)
	}
	return o, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
