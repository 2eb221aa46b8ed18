package pagopa

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pdf"
)

// Notice is a payment notice (avviso di pagamento): what a citizen prints or
// downloads to pay a debt position at a bank, a tobacconist, a post office
// or online. It is laid out as pagoPA's notice (Allegato 2 of the avviso
// specification): one QR code per payable part, the notice code in groups of
// four, and, when the ente has a postal account, the bollettino postale
// with Poste's Data Matrix.
type Notice struct {
	// Subject is what the payment is for (AVVISO.OGGETTO), at most 140
	// characters as in GPD.
	Subject string
	Ente    NoticeEnte
	Debtor  NoticeDebtor
	// Single is the rata unica; nil when the debt is only payable in
	// installments.
	Single *NoticeOption
	// Installments are the notice's installments, each its own payable
	// notice number; empty for a single payment.
	Installments []NoticeOption
	// IssuedAt is when the notice was issued; it dates the PDF, so the
	// same notice re-renders to the same bytes.
	IssuedAt time.Time
}

// NoticeEnte is the creditor as a notice names it.
type NoticeEnte struct {
	Name string
	// Sector is the office issuing the notice ("Servizi demografici").
	Sector string
	// Info are contact lines: address, web site, PEC.
	Info []string
	// FiscalCode is the ente's 11-digit fiscal code, which the QR code,
	// the Data Matrix and every pagoPA message carry.
	FiscalCode string
	// CBILL is the ente's CBILL code, for payments through home banking.
	CBILL string
	// Logo is a PNG or JPEG, printed at the top right; nil for none.
	Logo []byte
	// Postal is the ente's postal current account; nil when it has none,
	// and then the notice has no bollettino.
	Postal *PostalAccount
}

// PostalAccount is what a bollettino postale PA needs.
type PostalAccount struct {
	// Number is the current account number, at most 12 digits.
	Number string
	// Holder is the account's name (intestatario).
	Holder string
	// Authorization is Poste's authorisation to print bollettini
	// (AUT. …), printed under the amount.
	Authorization string
}

// NoticeDebtor is who the notice is addressed to.
type NoticeDebtor struct {
	Name string
	// FiscalCode is the codice fiscale (16) or partita IVA (11).
	FiscalCode string
	Address    []string
}

// NoticeOption is one payable part of a notice.
type NoticeOption struct {
	NAV    NAV
	Amount Cents
	// DueDate is a calendar date: its year, month and day are printed as
	// they are, whatever its location.
	DueDate time.Time
}

// maxQRAmount is the largest amount the QR code's 10 digits can hold.
const maxQRAmount Cents = 9_999_999_999

// QRCode returns the text of a notice's QR code,
// PAGOPA|002|<notice number>|<ente fiscal code>|<amount in cents>, which
// every payment app reads to fill in the payment.
func QRCode(nav NAV, enteFiscalCode string, amount Cents) (string, error) {
	if err := checkPayable(nav, enteFiscalCode, amount); err != nil {
		return "", err
	}
	// The specification wants 2 to 10 digits for the amount.
	a := strconv.FormatInt(int64(amount), 10)
	if len(a) < 2 {
		a = "0" + a
	}
	return "PAGOPA|002|" + nav.String() + "|" + enteFiscalCode + "|" + a, nil
}

func checkPayable(nav NAV, enteFiscalCode string, amount Cents) error {
	switch {
	case nav.String() == "":
		return apperr.Errorf(apperr.Invalid, "pagopa: notice: no notice number")
	case len(enteFiscalCode) != 11 || nonDigit(enteFiscalCode) >= 0:
		return apperr.Errorf(apperr.Invalid, "pagopa: notice: ente fiscal code %q is not 11 digits", enteFiscalCode)
	case amount < 1 || amount > maxQRAmount:
		return apperr.Errorf(apperr.Invalid, "pagopa: notice: amount %d cents not in 1–%d: %w", int64(amount), int64(maxQRAmount), ErrInvalidAmount)
	}
	return nil
}

// Lengths of the Poste Data Matrix fields.
const (
	dmLen        = 256
	dmDebtorCF   = 16
	dmDebtorName = 40
	dmSubject    = 110
	dmFiller     = 12
	dmAccount    = 12
)

// PosteDataMatrix returns the 256 characters of the Data Matrix that Poste
// Italiane reads on a bollettino postale PA, at the offsets of pagoPA's own
// notice generator and of the IO app: codfase=NBPA;, the 50-digit codeline
// (notice number, postal account, amount, document type 896), 1P1, the
// ente's fiscal code, the debtor's code and name, the subject, a filler and
// A. Free text is folded to ASCII, cut and padded to its field.
func PosteDataMatrix(nav NAV, enteFiscalCode string, amount Cents, account string, debtor NoticeDebtor, subject string) (string, error) {
	if err := checkPayable(nav, enteFiscalCode, amount); err != nil {
		return "", err
	}
	if account == "" || len(account) > dmAccount || nonDigit(account) >= 0 {
		return "", apperr.Errorf(apperr.Invalid, "pagopa: notice: postal account %q is not 1–12 digits", account)
	}
	var b strings.Builder
	b.Grow(dmLen)
	b.WriteString("codfase=NBPA;")
	b.WriteString("18" + nav.String())
	b.WriteString("12" + strings.Repeat("0", dmAccount-len(account)) + account)
	fmt.Fprintf(&b, "10%010d", int64(amount))
	b.WriteString("3896")
	b.WriteString("1P1")
	b.WriteString(enteFiscalCode)
	b.WriteString(field(debtor.FiscalCode, dmDebtorCF))
	b.WriteString(field(debtor.Name, dmDebtorName))
	b.WriteString(field(subject, dmSubject))
	b.WriteString(strings.Repeat(" ", dmFiller))
	b.WriteString("A")
	if b.Len() != dmLen {
		return "", fmt.Errorf("pagopa: notice: Data Matrix of %d characters, want %d", b.Len(), dmLen)
	}
	return b.String(), nil
}

// field folds s to printable ASCII (accents dropped: "Niccolò" is
// "Niccolo"), then cuts or pads it with spaces to n characters, so that
// every field of the Data Matrix starts at its offset.
func field(s string, n int) string {
	out := make([]byte, 0, n)
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '\n' || r == '\t' || r == '\r':
			r = ' '
		case r < 0x20 || r > 0x7E:
			r = '?'
		}
		if len(out) == n {
			break
		}
		out = append(out, byte(r))
	}
	for len(out) < n {
		out = append(out, ' ')
	}
	return string(out)
}

// italianDate prints a calendar date as dd/mm/yyyy.
func italianDate(t time.Time) string {
	return fmt.Sprintf("%02d/%02d/%04d", t.Day(), int(t.Month()), t.Year())
}

// PDF renders the notice. Every part must be payable (a notice number, an
// amount of at least one cent) and the ente needs its 11-digit fiscal code.
func (n Notice) PDF() ([]byte, error) {
	data, err := n.pdfData()
	if err != nil {
		return nil, err
	}
	return pdf.PaymentNotice(data)
}

// pdfData turns the notice into the printed values.
func (n Notice) pdfData() (pdf.NoticeData, error) {
	if n.Single == nil && len(n.Installments) == 0 {
		return pdf.NoticeData{}, apperr.Errorf(apperr.Invalid, "pagopa: notice: nothing to pay")
	}
	if len([]rune(n.Subject)) > 140 {
		return pdf.NoticeData{}, apperr.Errorf(apperr.Invalid, "pagopa: notice: subject longer than 140 characters")
	}
	d := pdf.NoticeData{
		Subject: n.Subject,
		Ente: pdf.NoticeEnte{
			Name: n.Ente.Name, Sector: n.Ente.Sector, Info: n.Ente.Info,
			FiscalCode: n.Ente.FiscalCode, CBILL: n.Ente.CBILL, Logo: n.Ente.Logo,
		},
		Debtor:   pdf.NoticeDebtor{Name: n.Debtor.Name, FiscalCode: n.Debtor.FiscalCode, Address: n.Debtor.Address},
		IssuedAt: n.IssuedAt,
	}
	if p := n.Ente.Postal; p != nil {
		d.Postal = &pdf.NoticePostal{Account: p.Number, Holder: p.Holder, Authorization: p.Authorization}
	}
	slip := func(o NoticeOption, label string) (pdf.NoticeSlip, error) {
		qr, err := QRCode(o.NAV, n.Ente.FiscalCode, o.Amount)
		if err != nil {
			return pdf.NoticeSlip{}, err
		}
		if o.DueDate.IsZero() {
			return pdf.NoticeSlip{}, apperr.Errorf(apperr.Invalid, "pagopa: notice %s: no due date", o.NAV)
		}
		s := pdf.NoticeSlip{
			Label: label, DueDate: italianDate(o.DueDate), Amount: o.Amount.Italian(),
			Code: o.NAV.Grouped(), QR: qr,
		}
		if p := n.Ente.Postal; p != nil {
			if s.DataMatrix, err = PosteDataMatrix(o.NAV, n.Ente.FiscalCode, o.Amount, p.Number, n.Debtor, n.Subject); err != nil {
				return pdf.NoticeSlip{}, err
			}
		}
		return s, nil
	}
	if n.Single != nil {
		s, err := slip(*n.Single, "RATA UNICA")
		if err != nil {
			return pdf.NoticeData{}, err
		}
		d.Single = &s
		d.Amount, d.DueDate = s.Amount, s.DueDate
	}
	for i, o := range n.Installments {
		s, err := slip(o, fmt.Sprintf("RATA %d di %d", i+1, len(n.Installments)))
		if err != nil {
			return pdf.NoticeData{}, err
		}
		d.Installments = append(d.Installments, s)
	}
	if d.Single == nil {
		// Only installments: the head shows the total and the last due date.
		var total Cents
		for _, o := range n.Installments {
			total += o.Amount
		}
		d.Amount, d.DueDate = total.Italian(), italianDate(n.Installments[len(n.Installments)-1].DueDate)
	}
	return d, nil
}
