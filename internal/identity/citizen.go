package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/codfisc"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// Channel is a way the ente may reach a citizen with notices.
type Channel string

// The notification channels a citizen may choose.
const (
	ChannelEmail Channel = "email"
	ChannelSMS   Channel = "sms"
	ChannelAppIO Channel = "appio"
)

// Channels lists every channel, in the order a form shows them.
var Channels = []Channel{ChannelEmail, ChannelSMS, ChannelAppIO}

// Citizen is a person known to the ente by codice fiscale. It holds only
// what the services need: no birth place, no document numbers.
type Citizen struct {
	ID         CitizenID
	Ente       tenant.ID
	FiscalCode string
	GivenName  string
	FamilyName string
	// Email and Phone are suggestions until verified: an IdP's values are
	// stored unverified, and only ConfirmContact sets the flags.
	Email         string
	EmailVerified bool
	Phone         string
	PhoneVerified bool
	Channels      []Channel
	CreatedAt     time.Time
	// LastLoginAt is zero for a citizen registered at the desk who has never
	// logged in.
	LastLoginAt time.Time
}

// Reachable reports whether a notice may go to c on ch: the citizen chose
// it and, for e-mail and SMS, confirmed the address; App IO needs only the
// codice fiscale.
func (c *Citizen) Reachable(ch Channel) bool {
	if !slices.Contains(c.Channels, ch) {
		return false
	}
	switch ch {
	case ChannelEmail:
		return c.EmailVerified && c.Email != ""
	case ChannelSMS:
		return c.PhoneVerified && c.Phone != ""
	}
	return ch == ChannelAppIO
}

// LoginInput is what an identity provider asserted about the person, as the
// spid package hands it over.
type LoginInput struct {
	// FiscalCode is the fiscalNumber attribute, with or without "TINIT-".
	FiscalCode string
	GivenName  string
	FamilyName string
	Email      string
	Phone      string
	// IdP is the identity provider's entity ID.
	IdP string
	// Level is the SPID/CIE level of the authentication, 1 to 3.
	Level int
}

// LoginResult tells the web layer what to say after a login.
type LoginResult struct {
	Citizen *Citizen
	// NewIdP is true when this IdP was never used by this person before
	// and another one was: a notice ("new access with …") is due.
	NewIdP bool
	// FirstLogin is true when the citizen was created by this login.
	FirstLogin bool
}

// ParseFiscalCode accepts a codice fiscale as IdPs send it ("TINIT-…") or
// as people type it, and returns the validated upper-case code.
func ParseFiscalCode(s string) (string, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "TINIT-"), "tinit-")
	code, err := codfisc.Parse(s)
	if err != nil {
		return "", apperr.Errorf(apperr.Invalid, "codice fiscale: %w", err)
	}
	return string(code), nil
}

const (
	insertCitizen = `INSERT INTO citizen (ente_id, fiscal_code, given_name, family_name, email, phone, created_at, last_login_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (ente_id, fiscal_code) DO NOTHING RETURNING id`
	// updateLogin refreshes the name from the IdP (unless it sent none) and
	// fills e-mail and phone only where the citizen has none.
	updateLogin = `UPDATE citizen SET last_login_at = $5,
		given_name = CASE WHEN $3 = '' THEN given_name ELSE $3 END,
		family_name = CASE WHEN $4 = '' THEN family_name ELSE $4 END,
		email = CASE WHEN email = '' THEN $6 ELSE email END,
		phone = CASE WHEN phone = '' THEN $7 ELSE phone END
		WHERE ente_id = $1 AND fiscal_code = $2 RETURNING id`
	insertIdP = `INSERT INTO citizen_idp (ente_id, citizen_id, idp, last_level, first_used_at, last_used_at)
		VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (ente_id, citizen_id, idp) DO NOTHING RETURNING idp`
	touchIdP = `UPDATE citizen_idp SET last_used_at = $4, last_level = $5
		WHERE ente_id = $1 AND citizen_id = $2 AND idp = $3`
	countOtherIdPs = `SELECT count(*) FROM citizen_idp WHERE ente_id = $1 AND citizen_id = $2 AND idp <> $3`
)

// LoginCitizen finds the citizen with the asserted codice fiscale in the
// ente, creating them on their first login, and records the IdP used. The
// codice fiscale is the key, never the SAML NameID, which is transient. Two
// concurrent first logins of one person create one citizen.
func LoginCitizen(ctx context.Context, q db.Querier, ente tenant.ID, in LoginInput, now time.Time) (LoginResult, error) {
	cf, err := ParseFiscalCode(in.FiscalCode)
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	if strings.TrimSpace(in.IdP) == "" || in.Level < 1 || in.Level > 3 {
		return LoginResult{}, apperr.Errorf(apperr.Invalid, "login: missing IdP or level %d out of 1–3", in.Level)
	}
	// Contacts the IdP asserted are only suggestions: a malformed one is
	// dropped rather than failing the login.
	email, _ := NormalizeEmail(in.Email)
	phone, _ := NormalizePhone(in.Phone)
	given, family := strings.TrimSpace(in.GivenName), strings.TrimSpace(in.FamilyName)
	at := ts(now)
	var res LoginResult
	var id CitizenID
	err = q.QueryRowContext(ctx, insertCitizen, ente, cf, given, family, email, phone, at, at).Scan(&id)
	switch {
	case err == nil:
		res.FirstLogin = true
	case errors.Is(err, sql.ErrNoRows):
		if err := q.QueryRowContext(ctx, updateLogin, ente, cf, given, family, at, email, phone).Scan(&id); err != nil {
			return LoginResult{}, fmt.Errorf("login: update citizen: %w", err)
		}
	default:
		return LoginResult{}, fmt.Errorf("login: create citizen: %w", err)
	}
	var idp string
	err = q.QueryRowContext(ctx, insertIdP, ente, id, in.IdP, in.Level, at).Scan(&idp)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := q.ExecContext(ctx, touchIdP, ente, id, in.IdP, at, in.Level); err != nil {
			return LoginResult{}, fmt.Errorf("login: citizen %d: record IdP: %w", id, err)
		}
	case err != nil:
		return LoginResult{}, fmt.Errorf("login: citizen %d: record IdP: %w", id, err)
	default:
		var others int
		if err := q.QueryRowContext(ctx, countOtherIdPs, ente, id, in.IdP).Scan(&others); err != nil {
			return LoginResult{}, fmt.Errorf("login: citizen %d: IdPs: %w", id, err)
		}
		res.NewIdP = others > 0
	}
	res.Citizen, err = GetCitizen(ctx, q, ente, id)
	if err != nil {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	return res, nil
}

// IdPUse is one identity provider a citizen has logged in with, for the
// profile page ("you have used Poste ID since …").
type IdPUse struct {
	IdP string
	// Level is the level of the last login with this IdP.
	Level     int
	FirstUsed time.Time
	LastUsed  time.Time
}

// CitizenIdPs lists the IdPs a citizen of the ente has used, most recent
// first.
func CitizenIdPs(ctx context.Context, q db.Querier, ente tenant.ID, id CitizenID) ([]IdPUse, error) {
	rows, err := q.QueryContext(ctx, `SELECT idp, last_level, first_used_at, last_used_at FROM citizen_idp
		WHERE ente_id = $1 AND citizen_id = $2 ORDER BY last_used_at DESC, idp`, ente, id)
	if err != nil {
		return nil, fmt.Errorf("citizen %d: IdPs: %w", id, err)
	}
	defer rows.Close()
	var out []IdPUse
	for rows.Next() {
		var u IdPUse
		if err := rows.Scan(&u.IdP, &u.Level, &u.FirstUsed, &u.LastUsed); err != nil {
			return nil, fmt.Errorf("citizen %d: IdPs: %w", id, err)
		}
		u.FirstUsed, u.LastUsed = u.FirstUsed.UTC(), u.LastUsed.UTC()
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("citizen %d: IdPs: %w", id, err)
	}
	return out, nil
}

// CitizenInput names a person registered without a login, e.g. at the desk
// before filing on their behalf.
type CitizenInput struct {
	FiscalCode string
	GivenName  string
	FamilyName string
}

// EnsureCitizen returns the ente's citizen with in's codice fiscale,
// creating them (without a login) if needed, so that the desk can file for
// someone who never used SPID; created says which happened. An existing
// citizen's name is left as their IdP gave it.
func EnsureCitizen(ctx context.Context, q db.Querier, ente tenant.ID, in CitizenInput, now time.Time) (c *Citizen, created bool, err error) {
	cf, err := ParseFiscalCode(in.FiscalCode)
	if err != nil {
		return nil, false, fmt.Errorf("register citizen: %w", err)
	}
	given, family := strings.TrimSpace(in.GivenName), strings.TrimSpace(in.FamilyName)
	if given == "" || family == "" {
		return nil, false, apperr.Errorf(apperr.Invalid, "register citizen: name and surname are required")
	}
	var id CitizenID
	err = q.QueryRowContext(ctx, insertCitizen, ente, cf, given, family, "", "", ts(now), nil).Scan(&id)
	switch {
	case err == nil:
		c, err = GetCitizen(ctx, q, ente, id)
		return c, true, err
	case errors.Is(err, sql.ErrNoRows):
		c, err = CitizenByFiscalCode(ctx, q, ente, cf)
		return c, false, err
	}
	return nil, false, fmt.Errorf("register citizen: %w", err)
}

const selectCitizen = `SELECT id, ente_id, fiscal_code, given_name, family_name, email, email_verified, phone,
	phone_verified, channels, created_at, last_login_at FROM citizen`

func scanCitizen(s scanner) (*Citizen, error) {
	c := &Citizen{}
	var channels string
	var last sql.NullTime
	err := s.Scan(&c.ID, &c.Ente, &c.FiscalCode, &c.GivenName, &c.FamilyName, &c.Email, &c.EmailVerified,
		&c.Phone, &c.PhoneVerified, &channels, &c.CreatedAt, &last)
	if err != nil {
		return nil, err
	}
	c.CreatedAt, c.LastLoginAt = c.CreatedAt.UTC(), timeOf(last)
	c.Channels = parseChannels(channels)
	return c, nil
}

// GetCitizen returns one citizen of the ente.
func GetCitizen(ctx context.Context, q db.Querier, ente tenant.ID, id CitizenID) (*Citizen, error) {
	c, err := scanCitizen(q.QueryRowContext(ctx, selectCitizen+` WHERE ente_id = $1 AND id = $2`, ente, id))
	if err != nil {
		return nil, fmt.Errorf("citizen %d: %w", id, notFound(err, "no such citizen"))
	}
	return c, nil
}

// CitizenByFiscalCode finds a citizen of the ente by codice fiscale, as the
// desk searches; an invalid code is Invalid, an unknown one NotFound.
func CitizenByFiscalCode(ctx context.Context, q db.Querier, ente tenant.ID, fiscalCode string) (*Citizen, error) {
	cf, err := ParseFiscalCode(fiscalCode)
	if err != nil {
		return nil, err
	}
	c, err := scanCitizen(q.QueryRowContext(ctx, selectCitizen+` WHERE ente_id = $1 AND fiscal_code = $2`, ente, cf))
	if err != nil {
		return nil, fmt.Errorf("citizen by fiscal code: %w", notFound(err, "no such citizen"))
	}
	return c, nil
}

// Contacts are a citizen's e-mail and phone as typed in the profile or at
// the desk; empty clears one.
type Contacts struct {
	Email string
	Phone string
}

// UpdateContacts replaces the citizen's e-mail and phone without verifying
// them: a changed value loses its verification, and the channels that
// needed it stop being Reachable until ConfirmContact. Unchanged values
// keep their state.
func UpdateContacts(ctx context.Context, q db.Querier, ente tenant.ID, id CitizenID, in Contacts) error {
	var err error
	email, phone := strings.TrimSpace(in.Email), strings.TrimSpace(in.Phone)
	if email != "" {
		if email, err = NormalizeEmail(email); err != nil {
			return fmt.Errorf("citizen %d: contacts: %w", id, err)
		}
	}
	if phone != "" {
		if phone, err = NormalizePhone(phone); err != nil {
			return fmt.Errorf("citizen %d: contacts: %w", id, err)
		}
	}
	const update = `UPDATE citizen SET
		email_verified = CASE WHEN email = $3 THEN email_verified ELSE FALSE END, email = $3,
		phone_verified = CASE WHEN phone = $4 THEN phone_verified ELSE FALSE END, phone = $4
		WHERE ente_id = $1 AND id = $2`
	return execOne(ctx, q, fmt.Sprintf("citizen %d: contacts", id), update, ente, id, email, phone)
}

// UpdateChannels sets the channels the citizen wants notices on. E-mail and
// SMS need a verified address, so that notices never go to a typo.
func UpdateChannels(ctx context.Context, q db.Querier, ente tenant.ID, id CitizenID, channels []Channel) error {
	c, err := GetCitizen(ctx, q, ente, id)
	if err != nil {
		return err
	}
	var set []Channel
	for _, ch := range Channels {
		if !slices.Contains(channels, ch) {
			continue
		}
		if (ch == ChannelEmail && !c.EmailVerified) || (ch == ChannelSMS && !c.PhoneVerified) {
			return apperr.Errorf(apperr.Invalid, "citizen %d: channel %s needs a verified contact", id, ch)
		}
		set = append(set, ch)
	}
	for _, ch := range channels {
		if !slices.Contains(Channels, ch) {
			return apperr.Errorf(apperr.Invalid, "citizen %d: unknown channel %q", id, ch)
		}
	}
	return execOne(ctx, q, fmt.Sprintf("citizen %d: channels", id),
		`UPDATE citizen SET channels = $3 WHERE ente_id = $1 AND id = $2`, ente, id, formatChannels(set))
}

func formatChannels(cs []Channel) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ",")
}

func parseChannels(s string) []Channel {
	if s == "" {
		return nil
	}
	var out []Channel
	for _, p := range strings.Split(s, ",") {
		out = append(out, Channel(p))
	}
	return out
}

// execOne runs an UPDATE or DELETE that must touch exactly one row of the
// ente, so that another ente's id is NotFound.
func execOne(ctx context.Context, q db.Querier, what, query string, args ...any) error {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return apperr.Errorf(apperr.NotFound, "%s: not found", what)
	}
	return nil
}
