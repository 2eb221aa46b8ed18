package identity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// WebAuthn limits. A ceremony may take as long as the half-way login state
// lasts; ten keys cover a spare and a few devices without letting the list
// grow unbounded.
const (
	CeremonyTTL       = 5 * time.Minute
	MaxCredentials    = 10
	maxCredentialName = 64
)

// Errors of the WebAuthn ceremonies the web layer tells apart (with
// errors.Is); each comes wrapped in an apperr.Error of the kind noted.
var (
	// ErrWebAuthnRefused (Invalid): the browser's answer does not prove
	// a registered key on this site (another key, another site, a stale
	// challenge, a tampered or malformed answer).
	ErrWebAuthnRefused = errors.New("identity: security key not accepted")
	// ErrCeremonyExpired (Invalid): no ceremony is in progress for this
	// operator and site, or it is older than CeremonyTTL; begin again.
	ErrCeremonyExpired = errors.New("identity: security key ceremony expired, begin again")
	// ErrCloneSuspected (Forbidden): the key's signature counter went
	// backwards, so two copies of it may exist; the key is refused from
	// then on and the operator must remove it.
	ErrCloneSuspected = errors.New("identity: security key may have been copied")
	// ErrNoCredential (NotFound): the operator has no usable key for the
	// site, so the browser has nothing to offer.
	ErrNoCredential = errors.New("identity: no security key for this site")
	// ErrCredentialExists (Conflict): the key is already registered.
	ErrCredentialExists = errors.New("identity: security key already registered")
	// ErrTooManyCredentials (Conflict): the operator has MaxCredentials
	// keys and must remove one first.
	ErrTooManyCredentials = errors.New("identity: too many security keys")
	// ErrCredentialName (Invalid): a key's name is empty, longer than 64
	// characters, or has control characters.
	ErrCredentialName = errors.New("identity: a security key needs a name of 1 to 64 characters")
)

// RelyingParty is the site a key is registered with and later asked for:
// browsers scope a credential to a host (the RP ID) and report the origin
// of the page that used it, so a phishing page on another host gets
// nothing.
type RelyingParty struct {
	// ID is the host without port, e.g. "servizi.comune.ala.tn.it".
	ID string
	// Origin is scheme://host[:port] as the browser shows it.
	Origin string
	// Name is what the authenticator may show (the ente's name).
	Name string
}

// NewRelyingParty describes the site from the origin the operator's browser
// used and the ente's name. A host that is an IP address cannot hold keys
// (browsers refuse it): that is Invalid, and the page offers only TOTP.
func NewRelyingParty(origin, name string) (RelyingParty, error) {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return RelyingParty{}, apperr.Errorf(apperr.Invalid, "relying party: origin %q is not scheme://host", origin)
	}
	id := strings.ToLower(u.Hostname())
	if err := protocol.ValidateRPID(id); err != nil {
		return RelyingParty{}, apperr.Errorf(apperr.Invalid, "relying party %q: %w", id, err)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = id
	}
	return RelyingParty{ID: id, Origin: u.Scheme + "://" + strings.ToLower(u.Host), Name: name}, nil
}

// library configures go-webauthn for this site: no attestation (we trust
// the key the operator registers while logged in, not its maker), user
// verification preferred, no discoverable credential needed because the
// operator has already given a username.
func (rp RelyingParty) library() (*webauthn.WebAuthn, error) {
	timeout := webauthn.TimeoutConfig{Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL}
	w, err := webauthn.New(&webauthn.Config{
		RPID:                  rp.ID,
		RPDisplayName:         rp.Name,
		RPOrigins:             []string{rp.Origin},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementDiscouraged,
			RequireResidentKey: protocol.ResidentKeyNotRequired(),
			UserVerification:   protocol.VerificationPreferred,
		},
		Timeouts: webauthn.TimeoutsConfig{Login: timeout, Registration: timeout},
		// We request no extension; an output a password manager adds
		// unasked changes nothing we rely on.
		ExtensionsUnsolicitedOutputPolicy: protocol.UnsolicitedOutputPolicyIgnore,
	})
	if err != nil {
		return nil, fmt.Errorf("relying party %q: %w", rp.ID, err)
	}
	return w, nil
}

// WebAuthnCredentialID identifies a registered key within an ente: the
// row, not the authenticator's own credential id.
type WebAuthnCredentialID int64

// WebAuthnCredential is a security key or passkey an operator registered,
// as the security page lists it.
type WebAuthnCredential struct {
	ID       WebAuthnCredentialID
	Ente     tenant.ID
	Operator OperatorID
	// RPID is the host the key works on.
	RPID string
	Name string
	// Transports are how the browser may reach the key: usb, nfc, ble,
	// smart-card, hybrid, internal.
	Transports []string
	// AAGUID names the authenticator's model, when it tells.
	AAGUID    string
	SignCount uint32
	CreatedAt time.Time
	// LastUsedAt is zero until the key is first used to log in.
	LastUsedAt time.Time
	// CloneSuspectedAt is set when the key's counter went backwards; such
	// a key is refused.
	CloneSuspectedAt time.Time
}

// storedCredential is a row with what the ceremonies need beside what the
// page shows.
type storedCredential struct {
	WebAuthnCredential
	rawID, publicKey []byte
	format           string
	flags            byte
}

// libraryCredential is the row as go-webauthn reads it.
func (c *storedCredential) libraryCredential() webauthn.Credential {
	transports := make([]protocol.AuthenticatorTransport, len(c.Transports))
	for i, t := range c.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID:                c.rawID,
		PublicKey:         c.publicKey,
		AttestationFormat: c.format,
		Transport:         transports,
		Flags:             webauthn.NewCredentialFlags(protocol.AuthenticatorFlags(c.flags)),
		Authenticator:     webauthn.Authenticator{SignCount: c.SignCount},
	}
}

// webauthnUser is an operator as go-webauthn sees them.
type webauthnUser struct {
	handle                  []byte
	username, name, display string
	credentials             []webauthn.Credential
	stored                  []*storedCredential
}

func (u *webauthnUser) WebAuthnID() []byte                         { return u.handle }
func (u *webauthnUser) WebAuthnName() string                       { return u.name }
func (u *webauthnUser) WebAuthnDisplayName() string                { return u.display }
func (u *webauthnUser) WebAuthnCredentials() []webauthn.Credential { return u.credentials }

// userHandle is the opaque id the authenticator keeps for the operator:
// stable, without personal data, different in every ente.
func userHandle(ente tenant.ID, op OperatorID) []byte {
	h := sha256.Sum256(fmt.Appendf(nil, "sportello webauthn user:%d:%d", ente, op))
	return h[:]
}

// loadUser reads the operator and their usable keys for rp, refusing a
// disabled operator and one without TOTP: keys come in addition to the
// app, never instead of it. what names the operation in errors.
func loadUser(ctx context.Context, q db.Querier, ente tenant.ID, op OperatorID, rp RelyingParty, what string) (*webauthnUser, error) {
	u := &webauthnUser{handle: userHandle(ente, op)}
	var hasTOTP, disabled bool
	err := q.QueryRowContext(ctx, `SELECT username, name, totp_enabled, disabled FROM operator WHERE ente_id = $1 AND id = $2`,
		ente, op).Scan(&u.username, &u.display, &hasTOTP, &disabled)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, notFound(err, "no such operator"))
	}
	if disabled {
		return nil, apperr.Errorf(apperr.Forbidden, "%s: %w", what, ErrDisabled)
	}
	if !hasTOTP {
		return nil, apperr.Errorf(apperr.Forbidden, "%s: %w", what, ErrTOTPRequired)
	}
	u.name = u.username
	all, err := loadCredentials(ctx, q, ente, op)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	for _, c := range all {
		if c.RPID == rp.ID && c.CloneSuspectedAt.IsZero() {
			u.stored = append(u.stored, c)
			u.credentials = append(u.credentials, c.libraryCredential())
		}
	}
	return u, nil
}

// BeginRegistration starts adding a key for a logged-in operator: it keeps
// the challenge in the database for CeremonyTTL and returns the options for
// the browser's navigator.credentials.create(), as JSON. Keys the operator
// already has on this site are excluded, so one key is not added twice.
func BeginRegistration(ctx context.Context, q db.Querier, ente tenant.ID, op OperatorID, rp RelyingParty, now time.Time) (json.RawMessage, error) {
	what := fmt.Sprintf("webauthn registration: operator %d", op)
	u, err := loadUser(ctx, q, ente, op, rp, what)
	if err != nil {
		return nil, err
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM webauthn_credential WHERE ente_id = $1 AND operator_id = $2`,
		ente, op).Scan(&n); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if n >= MaxCredentials {
		return nil, apperr.Errorf(apperr.Conflict, "%s: %d keys: %w", what, n, ErrTooManyCredentials)
	}
	out, err := beginCeremony(ctx, q, ente, op, ceremonyRegistration, rp, now,
		func(w *webauthn.WebAuthn) (any, *webauthn.SessionData, error) {
			return w.BeginRegistration(u, webauthn.WithExclusions(webauthn.Credentials(u.credentials).CredentialDescriptors()))
		})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// FinishRegistration checks the browser's answer (the PublicKeyCredential
// as JSON) against the ceremony BeginRegistration started, which it uses up
// whatever the outcome, and stores the new key under name.
func FinishRegistration(ctx context.Context, q db.Querier, ente tenant.ID, op OperatorID, rp RelyingParty, name string, response []byte, now time.Time) (*WebAuthnCredential, error) {
	what := fmt.Sprintf("webauthn registration: operator %d", op)
	name, err := credentialName(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	u, err := loadUser(ctx, q, ente, op, rp, what)
	if err != nil {
		return nil, err
	}
	session, err := takeCeremony(ctx, q, ente, op, ceremonyRegistration, rp, now)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	w, err := rp.library()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, apperr.Errorf(apperr.Invalid, "%s: %w: %w", what, ErrWebAuthnRefused, err)
	}
	cred, err := w.CreateCredential(u, *session, parsed)
	if err != nil {
		return nil, apperr.Errorf(apperr.Invalid, "%s: %w: %w", what, ErrWebAuthnRefused, err)
	}
	c := &WebAuthnCredential{Ente: ente, Operator: op, RPID: rp.ID, Name: name, Transports: knownTransports(cred.Transport),
		AAGUID: formatAAGUID(cred.Authenticator.AAGUID), SignCount: cred.Authenticator.SignCount, CreatedAt: ts(now)}
	const insert = `INSERT INTO webauthn_credential (ente_id, operator_id, rp_id, credential_id, public_key, sign_count,
		transports, aaguid, attestation_format, flags, name, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`
	err = q.QueryRowContext(ctx, insert, ente, op, rp.ID, cred.ID, cred.PublicKey, int64(c.SignCount),
		strings.Join(c.Transports, ","), c.AAGUID, cred.AttestationFormat, int(cred.Flags.ProtocolValue()), name, c.CreatedAt).Scan(&c.ID)
	if db.IsUniqueViolation(err) {
		return nil, apperr.Errorf(apperr.Conflict, "%s: %w: %w", what, ErrCredentialExists, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return c, nil
}

// BeginLogin starts the second factor with a key, after the password: it
// keeps the challenge for CeremonyTTL and returns the options for the
// browser's navigator.credentials.get(), as JSON, naming the operator's
// keys for this site. While the account is locked it refuses, as the TOTP
// check does.
func BeginLogin(ctx context.Context, q db.Querier, ente tenant.ID, op OperatorID, rp RelyingParty, now time.Time) (json.RawMessage, error) {
	what := fmt.Sprintf("webauthn login: operator %d", op)
	u, err := loadUser(ctx, q, ente, op, rp, what)
	if err != nil {
		return nil, err
	}
	if err := checkLock(ctx, q, ente, u.username, now); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(u.credentials) == 0 {
		return nil, apperr.Errorf(apperr.NotFound, "%s: %w", what, ErrNoCredential)
	}
	out, err := beginCeremony(ctx, q, ente, op, ceremonyLogin, rp, now,
		func(w *webauthn.WebAuthn) (any, *webauthn.SessionData, error) { return w.BeginLogin(u) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// beginCeremony runs go-webauthn's first step for the site, keeps its
// state for the second, and returns the options for the browser as JSON.
func beginCeremony(ctx context.Context, q db.Querier, ente tenant.ID, op OperatorID, kind string, rp RelyingParty, now time.Time,
	begin func(*webauthn.WebAuthn) (any, *webauthn.SessionData, error)) (json.RawMessage, error) {
	w, err := rp.library()
	if err != nil {
		return nil, err
	}
	options, session, err := begin(w)
	if err != nil {
		return nil, err
	}
	if err := saveCeremony(ctx, q, ente, op, kind, rp, session, now); err != nil {
		return nil, err
	}
	return json.Marshal(options)
}

// FinishLogin checks the browser's assertion (the PublicKeyCredential as
// JSON) against the ceremony BeginLogin started, which it uses up whatever
// the outcome, and returns the key used. A refused assertion counts towards
// the same lockout as a wrong password or TOTP code, and a success resets
// it, so a key completes a login exactly as a code does. A signature
// counter that did not move forward marks the key as possibly copied
// (ErrCloneSuspected): it is refused now and from then on. Call it outside
// a rolled-back transaction (see Authenticate).
func FinishLogin(ctx context.Context, q db.Querier, ente tenant.ID, op OperatorID, rp RelyingParty, response []byte, now time.Time) (*WebAuthnCredential, error) {
	what := fmt.Sprintf("webauthn login: operator %d", op)
	u, err := loadUser(ctx, q, ente, op, rp, what)
	if err != nil {
		return nil, err
	}
	if err := checkLock(ctx, q, ente, u.username, now); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	session, err := takeCeremony(ctx, q, ente, op, ceremonyLogin, rp, now)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	w, err := rp.library()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, loginFailure(ctx, q, ente, u.username, what, err, now)
	}
	cred, err := w.ValidateLogin(u, *session, parsed)
	if err != nil {
		return nil, loginFailure(ctx, q, ente, u.username, what, err, now)
	}
	i := slices.IndexFunc(u.stored, func(c *storedCredential) bool { return bytes.Equal(c.rawID, cred.ID) })
	if i < 0 {
		return nil, loginFailure(ctx, q, ente, u.username, what, errors.New("credential vanished"), now)
	}
	c := &u.stored[i].WebAuthnCredential
	if cred.Authenticator.CloneWarning {
		return nil, cloneFailure(ctx, q, c, u.username, what, now)
	}
	// The counter moves forward atomically, so that of two assertions
	// racing with one counter value only one wins; authenticators that
	// keep no counter (passkeys that sync) always send zero.
	res, err := q.ExecContext(ctx, `UPDATE webauthn_credential SET sign_count = $4, flags = $5, last_used_at = $6
		WHERE ente_id = $1 AND operator_id = $2 AND id = $3 AND clone_suspected_at IS NULL
		AND (sign_count < $4 OR (sign_count = 0 AND $4 = 0))`,
		ente, op, c.ID, int64(cred.Authenticator.SignCount), int(cred.Flags.ProtocolValue()), ts(now))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	} else if n != 1 {
		return nil, cloneFailure(ctx, q, c, u.username, what, now)
	}
	if err := clearFailures(ctx, q, ente, u.username); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	c.SignCount, c.LastUsedAt = cred.Authenticator.SignCount, ts(now)
	return c, nil
}

// loginFailure counts a refused assertion and returns the error to show:
// the lock if this failure set one.
func loginFailure(ctx context.Context, q db.Querier, ente tenant.ID, username, what string, cause error, now time.Time) error {
	if err := recordFailure(ctx, q, ente, username, now); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return apperr.Errorf(apperr.Invalid, "%s: %w: %w", what, ErrWebAuthnRefused, cause)
}

// cloneFailure marks the key as possibly copied, counts the failure, and
// returns ErrCloneSuspected (joined with the lock if this failure set one).
func cloneFailure(ctx context.Context, q db.Querier, c *WebAuthnCredential, username, what string, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE webauthn_credential SET clone_suspected_at = $3
		WHERE ente_id = $1 AND id = $2 AND clone_suspected_at IS NULL`, c.Ente, c.ID, ts(now))
	if err != nil {
		return fmt.Errorf("%s: key %d: %w", what, c.ID, err)
	}
	clone := apperr.Errorf(apperr.Forbidden, "%s: key %d: %w", what, c.ID, ErrCloneSuspected)
	if err := recordFailure(ctx, q, c.Ente, username, now); err != nil {
		return fmt.Errorf("%w; %w", clone, err)
	}
	return clone
}
