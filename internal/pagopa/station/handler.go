package station

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/xsd"
)

// Station answers the Node's SOAP calls for the entes it serves. It is an
// http.Handler mounted at the URL registered on the pagoPA back office.
type Station struct {
	// BrokerID is the intermediary (idBrokerPA) the station belongs to,
	// usually the ente's own fiscal code.
	BrokerID string
	// StationID is the station's id (idStation), "<broker>_01".
	StationID string
	// Entes are the fiscal codes (idPA) the station serves, when Serves
	// is nil.
	Entes []string
	// Serves, if set, says at each request whether the station serves an
	// idPA, so that an ente added to a running deployment is served at
	// once (cmd/sportello asks the database); an error answers
	// PAA_SYSTEM_ERROR.
	Serves func(ctx context.Context, idPA string) (bool, error)
	// Positions answers for the debt positions and stores receipts.
	Positions Positions
	// Schema, if set, validates every request against paForNode.xsd
	// before it is read, so that a malformed one gets PAA_SINTASSI_XSD with
	// the schema's reason rather than a guess.
	Schema *xsd.Schema
	// Now is the station's clock (installments not yet payable).
	Now func() time.Time
	// Log receives one line per refused request; nil discards.
	Log *slog.Logger
}

// ServeHTTP reads one SOAP request and writes its answer. Application
// outcomes (OK, KO with a PAA fault) are HTTP 200, as the Node expects; a
// request that is not SOAP at all gets a SOAP Fault with 500.
func (s *Station) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		soapFault(w, "soapenv:Client", "request unreadable or too large")
		return
	}
	resp, err := s.Handle(r.Context(), body)
	if err != nil {
		s.log().Warn("station: request refused", "err", err)
		soapFault(w, "soapenv:Client", err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Write(resp)
}

// Handle answers one SOAP request body; it is ServeHTTP without HTTP, for
// callers that carry SOAP over something else and for tests. An error means
// the body is not a paForNode request at all.
func (s *Station) Handle(ctx context.Context, body []byte) ([]byte, error) {
	d, start, err := openBody(body)
	if err != nil {
		return nil, err
	}
	var op string
	switch start.Name.Local {
	case opVerifyReq:
		op = opVerifyRes
	case opGetReq:
		op = opGetRes
	case opSendRTReq:
		op = opSendRTRes
	default:
		return nil, fmt.Errorf("station: %s is not supported", start.Name.Local)
	}
	if s.Schema != nil {
		if err := s.Schema.Validate(body); err != nil {
			return s.ko(op, FaultSyntax, "", err.Error())
		}
	}
	switch start.Name.Local {
	case opVerifyReq:
		var req verifyReq
		if err := d.DecodeElement(&req, &start); err != nil {
			return s.ko(op, FaultSyntax, "", err.Error())
		}
		return s.verify(ctx, req)
	case opGetReq:
		var req getReq
		if err := d.DecodeElement(&req, &start); err != nil {
			return s.ko(op, FaultSyntax, "", err.Error())
		}
		return s.get(ctx, req)
	default:
		var req sendRTReq
		if err := d.DecodeElement(&req, &start); err != nil {
			return s.ko(op, FaultSyntax, "", err.Error())
		}
		return s.sendRT(ctx, req, body)
	}
}

func (s *Station) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Station) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// checkHeader applies the identity checks every request goes through, in
// the order the Node's own checks run: the ente, the broker, the station.
func (s *Station) checkHeader(ctx context.Context, h xmlHeader) string {
	served := slices.Contains(s.Entes, h.IDPA)
	if s.Serves != nil {
		var err error
		if served, err = s.Serves(ctx, h.IDPA); err != nil {
			s.log().Error("station: the ente cannot be looked up", "idPA", h.IDPA, "err", err)
			return FaultSystem
		}
	}
	switch {
	case !served:
		return FaultWrongDomain
	case h.IDBrokerPA != s.BrokerID:
		return FaultWrongBroker
	case h.IDStation != s.StationID:
		return FaultWrongStation
	}
	return ""
}

// FaultFor is the reference's state → fault table: what a payer is told
// about a notice given its position, or the error looking it up gave. It
// returns "" for a payable notice.
func FaultFor(p Position, err error, now time.Time) string {
	switch {
	case apperr.Is(err, apperr.NotFound):
		return FaultUnknown
	case err != nil:
		return FaultSystem
	}
	switch p.Status {
	case StatusDraft, StatusPublished:
		return FaultUnknown
	case StatusExpired:
		return FaultExpired
	case StatusInvalid:
		return FaultCancelled
	case StatusPaid, StatusReported:
		return FaultDuplicate
	case StatusValid, StatusPartiallyPaid:
		switch {
		case p.Paid:
			return FaultDuplicate
		case !p.PayableFrom.IsZero() && now.Before(p.PayableFrom):
			return FaultUnknown
		}
		return ""
	}
	return FaultSystem
}

// lookup parses the notice number, checks that the QR code's ente is the
// request's, and asks the store.
func (s *Station) lookup(ctx context.Context, h xmlHeader, qr xmlQrCode, get bool) (Position, string, string) {
	if f := s.checkHeader(ctx, h); f != "" {
		return Position{}, f, ""
	}
	if qr.FiscalCode != h.IDPA {
		return Position{}, FaultSemantic, "qrCode.fiscalCode differs from idPA"
	}
	nav, err := pagopa.ParseNAV(qr.NoticeNumber)
	if err != nil && !errors.Is(err, pagopa.ErrCheckDigits) {
		return Position{}, FaultSyntax, err.Error()
	}
	if err != nil {
		return Position{}, FaultUnknown, "wrong check digits"
	}
	var p Position
	if get {
		p, err = s.Positions.Get(ctx, h.IDPA, nav)
	} else {
		p, err = s.Positions.Verify(ctx, h.IDPA, nav)
	}
	f := FaultFor(p, err, s.now())
	if f == FaultSystem {
		s.log().Error("station: position lookup failed", "err", err)
	}
	return p, f, ""
}

func (s *Station) verify(ctx context.Context, req verifyReq) ([]byte, error) {
	p, fault, desc := s.lookup(ctx, req.xmlHeader, req.QrCode, false)
	if fault != "" {
		return s.ko(opVerifyRes, fault, req.IDPA, desc)
	}
	amount, err := p.Amount.SOAP()
	if err != nil || p.Amount <= 0 {
		return s.ko(opVerifyRes, FaultSystem, req.IDPA, "position amount out of range")
	}
	res := verifyRes{
		Outcome: "OK",
		PaymentList: &xmlPaymentList{Option: xmlOptionDesc{
			Amount: amount, Options: "EQ", DueDate: isoDate(p.DueDate),
			DetailDescription: text(p.Description, 140), AllCCP: allCCP(p.Transfers),
		}},
		PaymentDescription: text(p.Description, 140),
		FiscalCodePA:       req.IDPA,
		CompanyName:        text(p.CompanyName, 140),
		OfficeName:         text(p.OfficeName, 140),
	}
	return envelope(opVerifyRes, res)
}

// allCCP says whether every transfer can be credited to a postal account,
// which lets a payer pay at the post office.
func allCCP(ts []Transfer) bool {
	for _, t := range ts {
		if t.Stamp == nil && t.PostalIBAN == "" {
			return false
		}
	}
	return len(ts) > 0
}

func (s *Station) get(ctx context.Context, req getReq) ([]byte, error) {
	p, fault, desc := s.lookup(ctx, req.xmlHeader, req.QrCode, true)
	if fault != "" {
		return s.ko(opGetRes, fault, req.IDPA, desc)
	}
	data, err := paymentToWire(p, req.TransferType == "POSTAL")
	if err != nil {
		s.log().Error("station: position cannot be sent", "err", err)
		return s.ko(opGetRes, FaultSystem, req.IDPA, "")
	}
	return envelope(opGetRes, getRes{Outcome: "OK", Data: data})
}

func (s *Station) sendRT(ctx context.Context, req sendRTReq, raw []byte) ([]byte, error) {
	if f := s.checkHeader(ctx, req.xmlHeader); f != "" {
		return s.ko(opSendRTRes, f, req.IDPA, "")
	}
	r, err := receiptFromWire(req.Receipt)
	if err != nil {
		return s.ko(opSendRTRes, FaultSemantic, req.IDPA, err.Error())
	}
	r.Raw = bytes.Clone(raw)
	switch err := s.Positions.StoreReceipt(ctx, r); {
	case errors.Is(err, ErrDuplicateReceipt):
		return s.ko(opSendRTRes, FaultReceiptDuplicate, req.IDPA, "")
	case apperr.Is(err, apperr.NotFound):
		return s.ko(opSendRTRes, FaultUnknown, req.IDPA, "")
	case err != nil:
		s.log().Error("station: receipt not stored", "err", err)
		return s.ko(opSendRTRes, FaultSystem, req.IDPA, "")
	}
	return envelope(opSendRTRes, sendRTRes{Outcome: "OK"})
}

// ko writes a KO answer with a fault; id is the fault's id, the idPA (or
// the station when the request did not say).
func (s *Station) ko(op, code, id, desc string) ([]byte, error) {
	if id == "" {
		id = s.StationID
	}
	f := &xmlFault{FaultCode: code, FaultString: faultStrings[code], ID: id, Description: text(desc, 1000)}
	switch op {
	case opVerifyRes:
		return envelope(op, verifyRes{Outcome: "KO", Fault: f})
	case opGetRes:
		return envelope(op, getRes{Outcome: "KO", Fault: f})
	}
	return envelope(op, sendRTRes{Outcome: "KO", Fault: f})
}

// soapFault answers a request that could not be read as paForNode at all.
func soapFault(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	var b bytes.Buffer
	b.WriteString(xml.Header + `<soapenv:Envelope xmlns:soapenv="` + NSSOAP + `"><soapenv:Body><soapenv:Fault><faultcode>` + code + `</faultcode><faultstring>`)
	xml.EscapeText(&b, []byte(msg))
	b.WriteString(`</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`)
	w.Write(b.Bytes())
}

// text cuts s to n characters (the schema's stText limits), so that a long
// description never makes a whole answer invalid.
func text(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

func isoDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// paymentToWire builds paGetPaymentV2's data. With postal, transfers that
// have a postal IBAN are credited there (the payer is at a post office).
func paymentToWire(p Position, postal bool) (*xmlPaymentV2, error) {
	amount, err := p.Amount.SOAP()
	if err != nil || p.Amount <= 0 {
		return nil, fmt.Errorf("station: amount %d: %w", p.Amount, pagopa.ErrInvalidAmount)
	}
	if len(p.Transfers) < 1 || len(p.Transfers) > 5 {
		return nil, fmt.Errorf("station: %d transfers, want 1–5", len(p.Transfers))
	}
	d := &xmlPaymentV2{
		CreditorReferenceID: p.IUV,
		PaymentAmount:       amount,
		DueDate:             isoDate(p.DueDate),
		Description:         text(p.Description, 140),
		CompanyName:         text(p.CompanyName, 140),
		OfficeName:          text(p.OfficeName, 140),
		Debtor:              subjectToWire(p.Debtor),
		Metadata:            metadataToWire(p.Metadata),
	}
	var sum pagopa.Cents
	for _, t := range p.Transfers {
		ta, err := t.Amount.SOAP()
		if err != nil || t.Amount <= 0 {
			return nil, fmt.Errorf("station: transfer %d amount %d: %w", t.ID, t.Amount, pagopa.ErrInvalidAmount)
		}
		sum += t.Amount
		x := xmlTransferV2{
			IDTransfer: t.ID, TransferAmount: ta, FiscalCodePA: t.FiscalCodePA,
			CompanyName:           text(t.CompanyName, 140),
			RemittanceInformation: text(t.Remittance, 140),
			TransferCategory:      t.Category,
			Metadata:              metadataToWire(t.Metadata),
		}
		switch {
		case t.Stamp != nil:
			x.RichiestaMarcaDaBollo = &xmlStampRequest{HashDocumento: t.Stamp.DocumentHash, TipoBollo: t.Stamp.Type, ProvinciaResidenza: t.Stamp.Province}
		case postal && t.PostalIBAN != "":
			x.IBAN = t.PostalIBAN
		default:
			x.IBAN = t.IBAN
		}
		d.TransferList.Transfer = append(d.TransferList.Transfer, x)
	}
	if sum != p.Amount {
		return nil, fmt.Errorf("station: transfers add up to %d, the payment is %d", sum, p.Amount)
	}
	return d, nil
}

func subjectToWire(s Subject) xmlSubject {
	return xmlSubject{
		UniqueIdentifier: xmlUniqueID{Type: s.Type, Value: s.ID},
		FullName:         text(s.FullName, 70),
		StreetName:       text(s.Street, 70), CivicNumber: text(s.Civic, 16), PostalCode: text(s.PostalCode, 16),
		City: text(s.City, 35), StateProvinceRegion: text(s.Province, 35), Country: s.Country, Email: s.Email,
	}
}

func subjectFromWire(x xmlSubject) Subject {
	return Subject{
		Type: x.UniqueIdentifier.Type, ID: x.UniqueIdentifier.Value, FullName: x.FullName,
		Street: x.StreetName, Civic: x.CivicNumber, PostalCode: x.PostalCode, City: x.City,
		Province: x.StateProvinceRegion, Country: x.Country, Email: x.Email,
	}
}

func metadataToWire(m []MapEntry) *xmlMetadata {
	if len(m) == 0 {
		return nil
	}
	x := &xmlMetadata{}
	for _, e := range m[:min(len(m), 15)] {
		x.Entries = append(x.Entries, xmlMapEntry{Key: text(e.Key, 140), Value: text(e.Value, 140)})
	}
	return x
}

func metadataFromWire(x *xmlMetadata) []MapEntry {
	if x == nil {
		return nil
	}
	out := make([]MapEntry, len(x.Entries))
	for i, e := range x.Entries {
		out[i] = MapEntry(e)
	}
	return out
}

// receiptFromWire checks and converts a receipt: the notice number, the
// amounts (the transfers must add up to the payment) and the dates.
func receiptFromWire(x xmlReceiptV2) (Receipt, error) {
	// The ente mints only notice numbers with the right check digits, so
	// one with wrong digits cannot be one of its own.
	nav, err := pagopa.ParseNAV(x.NoticeNumber)
	if err != nil {
		return Receipt{}, err
	}
	r := Receipt{
		ReceiptID: x.ReceiptID, NoticeNumber: nav, FiscalCode: x.FiscalCode, Outcome: x.Outcome,
		IUV: x.CreditorReferenceID, Description: x.Description, CompanyName: x.CompanyName, OfficeName: x.OfficeName,
		Debtor: subjectFromWire(x.Debtor), IDPSP: x.IDPSP, PSPFiscalCode: x.PSPFiscalCode, PSPPartitaIVA: x.PSPPartitaIVA,
		PSPCompanyName: x.PSPCompanyName, IDChannel: x.IDChannel, ChannelDescription: x.ChannelDescription,
		PaymentMethod: x.PaymentMethod, PaymentNote: x.PaymentNote, IDBundle: x.IDBundle, IDCiBundle: x.IDCiBundle,
		Metadata: metadataFromWire(x.Metadata), StandIn: x.StandIn != nil && *x.StandIn,
	}
	if r.ReceiptID == "" || r.IUV == "" || r.FiscalCode == "" {
		return Receipt{}, errors.New("receipt without receiptId, creditorReferenceId or fiscalCode")
	}
	if x.Payer != nil {
		p := subjectFromWire(*x.Payer)
		r.Payer = &p
	}
	if r.Amount, err = pagopa.ParseEuro(x.PaymentAmount); err != nil {
		return Receipt{}, err
	}
	for _, f := range []struct {
		s   string
		dst **pagopa.Cents
	}{{x.Fee, &r.Fee}, {x.PrimaryCiIncurredFee, &r.PrimaryCiIncurredFee}} {
		if f.s == "" {
			continue
		}
		c, err := pagopa.ParseEuro(f.s)
		if err != nil {
			return Receipt{}, err
		}
		*f.dst = &c
	}
	if x.PaymentDateTime != "" {
		if r.PaymentDateTime, err = pagopa.ParseDateTime(x.PaymentDateTime); err != nil {
			return Receipt{}, err
		}
	}
	for _, d := range []struct {
		s   string
		dst *time.Time
	}{{x.ApplicationDate, &r.ApplicationDate}, {x.TransferDate, &r.TransferDate}} {
		if d.s == "" {
			continue
		}
		if *d.dst, err = time.Parse(time.DateOnly, d.s); err != nil {
			return Receipt{}, err
		}
	}
	var sum pagopa.Cents
	for _, t := range x.TransferList.Transfer {
		a, err := pagopa.ParseEuro(t.TransferAmount)
		if err != nil {
			return Receipt{}, err
		}
		sum += a
		rt := ReceiptTransfer{
			ID: t.IDTransfer, Amount: a, FiscalCodePA: t.FiscalCodePA, CompanyName: t.CompanyName, IBAN: t.IBAN,
			Remittance: t.RemittanceInformation, Category: t.TransferCategory, Metadata: metadataFromWire(t.Metadata),
		}
		if t.MBDAttachment != "" {
			if rt.MBDAttachment, err = base64.StdEncoding.DecodeString(t.MBDAttachment); err != nil {
				return Receipt{}, fmt.Errorf("transfer %d: MBDAttachment: %w", t.IDTransfer, err)
			}
		}
		r.Transfers = append(r.Transfers, rt)
	}
	if len(r.Transfers) == 0 || sum != r.Amount {
		return Receipt{}, fmt.Errorf("transfers add up to %d cents, the payment is %d", sum, r.Amount)
	}
	return r, nil
}

// receiptToWire writes a receipt for paSendRTV2.
func receiptToWire(r Receipt) (xmlReceiptV2, error) {
	amount, err := r.Amount.SOAP()
	if err != nil {
		return xmlReceiptV2{}, err
	}
	x := xmlReceiptV2{
		ReceiptID: r.ReceiptID, NoticeNumber: r.NoticeNumber.String(), FiscalCode: r.FiscalCode, Outcome: cmp.Or(r.Outcome, "OK"),
		CreditorReferenceID: r.IUV, PaymentAmount: amount, Description: text(r.Description, 140),
		CompanyName: text(r.CompanyName, 140), OfficeName: text(r.OfficeName, 140), Debtor: subjectToWire(r.Debtor),
		IDPSP: r.IDPSP, PSPFiscalCode: r.PSPFiscalCode, PSPPartitaIVA: r.PSPPartitaIVA, PSPCompanyName: text(r.PSPCompanyName, 70),
		IDChannel: r.IDChannel, ChannelDescription: text(r.ChannelDescription, 35), PaymentMethod: r.PaymentMethod,
		PaymentNote: text(r.PaymentNote, 210), IDBundle: r.IDBundle, IDCiBundle: r.IDCiBundle,
		ApplicationDate: isoDate(r.ApplicationDate), TransferDate: isoDate(r.TransferDate), Metadata: metadataToWire(r.Metadata),
	}
	if !r.PaymentDateTime.IsZero() {
		x.PaymentDateTime = r.PaymentDateTime.Format("2006-01-02T15:04:05.000Z07:00")
	}
	if r.Payer != nil {
		p := subjectToWire(*r.Payer)
		x.Payer = &p
	}
	if r.StandIn {
		t := true
		x.StandIn = &t
	}
	for _, f := range []struct {
		c   *pagopa.Cents
		dst *string
	}{{r.Fee, &x.Fee}, {r.PrimaryCiIncurredFee, &x.PrimaryCiIncurredFee}} {
		if f.c == nil {
			continue
		}
		if *f.dst, err = f.c.SOAP(); err != nil {
			return xmlReceiptV2{}, err
		}
	}
	for _, t := range r.Transfers {
		a, err := t.Amount.SOAP()
		if err != nil {
			return xmlReceiptV2{}, err
		}
		xt := xmlReceiptTransfer{
			IDTransfer: t.ID, TransferAmount: a, FiscalCodePA: t.FiscalCodePA, CompanyName: text(t.CompanyName, 140),
			IBAN: t.IBAN, RemittanceInformation: text(t.Remittance, 140), TransferCategory: t.Category,
			Metadata: metadataToWire(t.Metadata),
		}
		if len(t.MBDAttachment) > 0 {
			xt.IBAN = ""
			xt.MBDAttachment = base64.StdEncoding.EncodeToString(t.MBDAttachment)
		}
		x.TransferList.Transfer = append(x.TransferList.Transfer, xt)
	}
	return x, nil
}
