package certificate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// Exemption is an ANPR table 39 code (field esenzioneBollo); zero means
// not exempt.
type Exemption int

// OtherExemption is code 99, which needs a free text.
const OtherExemption Exemption = 99

// exemptions is ANPR table 39: the legal basis printed on the certificate
// and whether it also waives the secretarial fees (the codes marked *).
var exemptions = map[Exemption]struct {
	text   string
	noFees bool
}{
	1:  {"ONLUS - art. 27 bis, tabella allegato B) DPR 642/1972", false},
	2:  {"società sportive - art. 8 bis, tabella allegato B) DPR 642/1972", false},
	3:  {"uso processuale - art. 18 DPR 30.5.2002, n. 115", false},
	4:  {"C.T.U. nominato dal Tribunale o dal Pubblico ministero; curatore fallimentare - art. 16, tabella allegato B) DPR 642/1972", true},
	5:  {"interdizione, inabilitazione, amministrazione di sostegno - art. 13, tabella allegato B) DPR 642/1972", false},
	6:  {"adozione, affidamento, tutela minori - art. 13, tabella allegato B) DPR 642/1972 e art. 82 L. 184/1983", true},
	7:  {"separazione/divorzio - art. 19 L. 74/1987", true},
	8:  {"variazione toponomastica stradale e numerazione civica - art. 16 c. 8 L. 537/1993", false},
	9:  {"pensione estera - art. 9, tabella allegato B) DPR 642/1972", false},
	10: {"scambio di atti e documenti fra pubbliche amministrazioni - art. 16, tabella allegato B) DPR 642/1972", true},
	99: {"altro motivo di esenzione", false},
}

// Exemptions lists the codes of table 39 in order, for the forms.
func Exemptions() []Exemption {
	return []Exemption{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99}
}

// Valid reports whether e is zero or a code of table 39.
func (e Exemption) Valid() bool { _, ok := exemptions[e]; return e == 0 || ok }

// Basis is the legal basis of the exemption as the certificate prints it.
func (e Exemption) Basis() string { return exemptions[e].text }

// maxExemptionText is ANPR's limit on the free text of code 99.
const maxExemptionText = 256

// Stamp is the stamp duty (imposta di bollo) of one certificate.
type Stamp struct {
	// Cents is the duty due: 1600, or zero when exempt or not due.
	Cents int64
	// Exemption and ExemptionText say why it is not due, when exempt.
	Exemption     Exemption
	ExemptionText string
	// ID identifies the stamp paid: the @e.bollo IUBD, or the 14-digit
	// number of a physical marca da bollo at the desk.
	ID string
}

// Exempt reports whether the certificate is exempt by a table-39 code.
func (s Stamp) Exempt() bool { return s.Exemption != 0 }

// Settings are an ente's stamp-duty and fee rules: the stamp per channel
// (ANPR started online certificates free of stamp, some comuni now charge
// it) and per type, whether citizens may claim an exemption online, and the
// secretarial fees (diritti di segreteria) in cents.
type Settings struct {
	StampCents     int64
	StampOnline    bool
	StampDesk      bool
	FeeOnlineCents int64
	FeeDeskCents   int64
	// FeeExemptCents is the fee of a stamp-exempt certificate (typically
	// half), unless its exemption also waives fees.
	FeeExemptCents int64
	// ExemptTypes owe no stamp on any channel: by default the stato civile
	// types (L. 405/1990 art. 7). A contestuale certificate owes it unless
	// every one of its types is exempt.
	ExemptTypes Kinds
	// ExemptionsOnline lets citizens claim a table-39 exemption online (a
	// self-declaration the office may check); when false, exemptions are
	// granted at the desk only.
	ExemptionsOnline bool
}

// DefaultSettings are the usual rules: €16 stamp on both channels, stato
// civile exempt, exemptions claimable online, €0.52 of fees at the desk
// (€0.26 if exempt), no fees online.
func DefaultSettings() Settings {
	return Settings{StampCents: 1600, StampOnline: true, StampDesk: true, FeeDeskCents: 52, FeeExemptCents: 26,
		ExemptTypes: civilTypes(), ExemptionsOnline: true}
}

// civilTypes are the types flagged as stato civile certificates.
func civilTypes() Kinds {
	var out Kinds
	for _, t := range Types() {
		if types[t].civil {
			out = append(out, t)
		}
	}
	return out
}

// MaxSettingCents bounds the stamp and the fees: €1,000.
const MaxSettingCents = 100000

// Validate checks settings before they are saved: amounts between zero and
// €1,000, exempt types among those issued. The message names the field
// (its form name) for the form's error summary.
func (s Settings) Validate() error {
	for _, v := range []struct {
		field string
		cents int64
	}{{"bollo", s.StampCents}, {"diritti_online", s.FeeOnlineCents}, {"diritti_sportello", s.FeeDeskCents},
		{"diritti_esenti", s.FeeExemptCents}} {
		if v.cents < 0 || v.cents > MaxSettingCents {
			return &FieldError{Field: v.field, Err: apperr.Errorf(apperr.Invalid, "certificate: settings: %s %d out of range", v.field, v.cents)}
		}
	}
	for _, t := range s.ExemptTypes {
		if !t.Valid() {
			return &FieldError{Field: "esenti", Err: apperr.Errorf(apperr.Invalid, "certificate: settings: unknown type %d", t)}
		}
	}
	return nil
}

// FieldError is a setting out of bounds, with the form field it came from.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// exemptKinds reads the stored exempt types, "" meaning none.
func exemptKinds(s string) (Kinds, error) {
	if s == "" {
		return nil, nil
	}
	return ParseKinds(s)
}

// GetSettings reads the ente's settings, or the defaults.
func GetSettings(ctx context.Context, q db.Querier, ente tenant.ID) (Settings, error) {
	const get = `SELECT stamp_cents, stamp_online, stamp_desk, fee_online_cents, fee_desk_cents, fee_exempt_cents,
			stamp_exempt_types, exemptions_online
		FROM certificate_settings WHERE ente_id = $1`
	var s Settings
	var exempt string
	err := q.QueryRowContext(ctx, get, ente).Scan(&s.StampCents, &s.StampOnline, &s.StampDesk, &s.FeeOnlineCents,
		&s.FeeDeskCents, &s.FeeExemptCents, &exempt, &s.ExemptionsOnline)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultSettings(), nil
	}
	if err != nil {
		return s, fmt.Errorf("certificate: ente %d: settings: %w", ente, err)
	}
	if s.ExemptTypes, err = exemptKinds(exempt); err != nil {
		return s, fmt.Errorf("certificate: ente %d: settings: %w", ente, err)
	}
	return s, nil
}

// SaveSettings validates and stores the ente's settings.
func SaveSettings(ctx context.Context, q db.Querier, ente tenant.ID, s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	const put = `INSERT INTO certificate_settings (ente_id, stamp_cents, stamp_online, stamp_desk, fee_online_cents,
			fee_desk_cents, fee_exempt_cents, stamp_exempt_types, exemptions_online) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (ente_id) DO UPDATE SET stamp_cents = excluded.stamp_cents, stamp_online = excluded.stamp_online,
			stamp_desk = excluded.stamp_desk, fee_online_cents = excluded.fee_online_cents,
			fee_desk_cents = excluded.fee_desk_cents, fee_exempt_cents = excluded.fee_exempt_cents,
			stamp_exempt_types = excluded.stamp_exempt_types, exemptions_online = excluded.exemptions_online`
	if _, err := q.ExecContext(ctx, put, ente, s.StampCents, s.StampOnline, s.StampDesk, s.FeeOnlineCents,
		s.FeeDeskCents, s.FeeExemptCents, normalizeExempt(s.ExemptTypes), s.ExemptionsOnline); err != nil {
		return fmt.Errorf("certificate: ente %d: save settings: %w", ente, err)
	}
	return nil
}

// normalizeExempt is the stored form of a set of exempt types: "8+12",
// sorted, or "" for none (any combination goes: this is not a request).
func normalizeExempt(ks Kinds) string {
	if len(ks) == 0 {
		return ""
	}
	out := slices.Clone(ks)
	slices.Sort(out)
	return slices.Compact(out).String()
}

// exemptBy reports whether every type of ks is in exempt.
func (ks Kinds) exemptBy(exempt Kinds) bool {
	for _, t := range ks {
		if !slices.Contains(exempt, t) {
			return false
		}
	}
	return len(ks) > 0
}

// duties works out the stamp and fees of a request: the exemption asked
// for (checked: code 99 needs its text), the type's own exemption (stato
// civile), the channel's rule, and the fees.
func (s Settings) duties(ch Channel, ks Kinds, ex Exemption, exText string) (Stamp, int64, error) {
	if !ex.Valid() {
		return Stamp{}, 0, apperr.New(apperr.Invalid, "Il motivo di esenzione dal bollo non è tra quelli previsti.")
	}
	if ex == OtherExemption && exText == "" {
		return Stamp{}, 0, apperr.New(apperr.Invalid, "Per l'esenzione «altro motivo» scrivi il motivo.")
	}
	if utf8.RuneCountInString(exText) > maxExemptionText {
		return Stamp{}, 0, apperr.New(apperr.Invalid, "Il motivo dell'esenzione può avere al massimo 256 caratteri.")
	}
	if ex != 0 && ch == Online && !s.ExemptionsOnline {
		return Stamp{}, 0, apperr.New(apperr.Invalid, "Il Comune concede le esenzioni dal bollo solo allo sportello.")
	}
	if ex != OtherExemption {
		exText = ""
	}
	fee := s.FeeDeskCents
	due := s.StampDesk
	if ch == Online {
		fee, due = s.FeeOnlineCents, s.StampOnline
	}
	st := Stamp{Exemption: ex, ExemptionText: exText}
	switch {
	case ex != 0:
		fee = min(fee, s.FeeExemptCents)
		if exemptions[ex].noFees {
			fee = 0
		}
	case ks.exemptBy(s.ExemptTypes) || !due:
	default:
		st.Cents = s.StampCents
	}
	return st, fee, nil
}

// StampPayer collects the stamp duty of a certificate through @e.bollo on
// pagoPA. The payment is bound to the certificate's data digest (the
// document before its signature, which the payment's identifier then
// joins), so the certificate is issued only by CompleteStamp, when the
// payment's receipt arrives. The pagoPA integration implements it; with
// none configured, online requests that owe the stamp are refused.
type StampPayer interface {
	// RequestStamp starts the payment and returns the address to send the
	// citizen to; returnTo is where pagoPA sends them back.
	RequestStamp(ctx context.Context, ente tenant.ID, code string, digest [32]byte, cents int64, returnTo string) (string, error)
}
