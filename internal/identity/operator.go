package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// Operator is a member of the ente's staff (or of the consortium) who logs
// in with a username, a password and a TOTP code.
type Operator struct {
	ID       OperatorID
	Ente     tenant.ID
	Username string
	Name     string
	Email    string
	Grants   []Grant
	// TOTPEnabled is true once a second factor is confirmed; until then
	// the operator may only enroll one.
	TOTPEnabled bool
	Disabled    bool
	CreatedAt   time.Time
}

// Has reports whether the operator holds role r (for any office).
func (o *Operator) Has(r Role) bool {
	return slices.ContainsFunc(o.Grants, func(g Grant) bool { return g.Role == r })
}

// OperatorInput is what an administrator fills in to create an operator.
type OperatorInput struct {
	Username string
	Name     string
	Email    string
	Password string
	Grants   []Grant
}

var usernameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

// normalizeUsername is the one form a username is stored, looked up and
// locked under, so that "Mario.Rossi" and "mario.rossi " are one account.
func normalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CreateOperator stores a new operator with a hashed password and grants.
// The operator has no second factor yet: their first login must enroll one.
// Clerk and head grants must name an office of the same ente.
func CreateOperator(ctx context.Context, q db.Querier, ente tenant.ID, in OperatorInput, now time.Time) (*Operator, error) {
	username := normalizeUsername(in.Username)
	if !usernameRe.MatchString(username) {
		return nil, apperr.Errorf(apperr.Invalid, "operator %q: username must be 3–64 letters, digits, dots, dashes or underscores", in.Username)
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, apperr.Errorf(apperr.Invalid, "operator %q: name is required", username)
	}
	email := strings.TrimSpace(in.Email)
	if email != "" {
		var err error
		if email, err = NormalizeEmail(email); err != nil {
			return nil, fmt.Errorf("operator %q: %w", username, err)
		}
	}
	grants, err := normalizeGrants(in.Grants)
	if err != nil {
		return nil, fmt.Errorf("operator %q: %w", username, err)
	}
	if err := CheckPasswordPolicy(in.Password, username); err != nil {
		return nil, fmt.Errorf("operator %q: %w", username, err)
	}
	if err := checkOffices(ctx, q, ente, grants); err != nil {
		return nil, fmt.Errorf("operator %q: %w", username, err)
	}
	hash, err := hashPassword(in.Password, passwordParams)
	if err != nil {
		return nil, fmt.Errorf("operator %q: %w", username, err)
	}
	const insert = `INSERT INTO operator (ente_id, username, name, email, password_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
	o := &Operator{Ente: ente, Username: username, Name: name, Email: email, CreatedAt: ts(now)}
	err = q.QueryRowContext(ctx, insert, ente, username, name, email, hash, o.CreatedAt).Scan(&o.ID)
	if db.IsUniqueViolation(err) {
		return nil, apperr.Errorf(apperr.Conflict, "operator %q: username already used: %w", username, err)
	}
	if err != nil {
		return nil, fmt.Errorf("operator %q: create: %w", username, err)
	}
	if err := insertGrants(ctx, q, ente, o.ID, grants); err != nil {
		return nil, fmt.Errorf("operator %q: %w", username, err)
	}
	o.Grants = grants
	return o, nil
}

// checkOffices makes sure every office a grant names is an office of the
// ente, before anything is written.
func checkOffices(ctx context.Context, q db.Querier, ente tenant.ID, grants []Grant) error {
	for _, g := range grants {
		if g.Office == 0 {
			continue
		}
		var n int
		err := q.QueryRowContext(ctx, `SELECT count(*) FROM office WHERE ente_id = $1 AND id = $2`, ente, g.Office).Scan(&n)
		if err != nil {
			return fmt.Errorf("grant %s: %w", g.Role, err)
		}
		if n == 0 {
			return apperr.Errorf(apperr.Invalid, "grant %s: office %d is not an office of this ente", g.Role, g.Office)
		}
	}
	return nil
}

func insertGrants(ctx context.Context, q db.Querier, ente tenant.ID, id OperatorID, grants []Grant) error {
	for _, g := range grants {
		office := sql.NullInt64{Int64: g.Office, Valid: g.Office != 0}
		_, err := q.ExecContext(ctx, `INSERT INTO operator_grant (ente_id, operator_id, role, office_id) VALUES ($1, $2, $3, $4)`,
			ente, id, string(g.Role), office)
		if db.IsForeignKeyViolation(err) {
			return apperr.Errorf(apperr.Invalid, "grant %s: office %d is not an office of this ente", g.Role, g.Office)
		}
		if err != nil {
			return fmt.Errorf("grant %s: %w", g.Role, err)
		}
	}
	return nil
}

// SetGrants replaces all of an operator's grants. Who may give which grant
// is Principal.CanGrant's business, checked by the caller.
func SetGrants(ctx context.Context, q db.Querier, ente tenant.ID, id OperatorID, grants []Grant) error {
	grants, err := normalizeGrants(grants)
	if err != nil {
		return fmt.Errorf("operator %d: %w", id, err)
	}
	if _, err := GetOperator(ctx, q, ente, id); err != nil {
		return err
	}
	if err := checkOffices(ctx, q, ente, grants); err != nil {
		return fmt.Errorf("operator %d: %w", id, err)
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM operator_grant WHERE ente_id = $1 AND operator_id = $2`, ente, id); err != nil {
		return fmt.Errorf("operator %d: grants: %w", id, err)
	}
	if err := insertGrants(ctx, q, ente, id, grants); err != nil {
		return fmt.Errorf("operator %d: %w", id, err)
	}
	return nil
}

// Disable stops an operator from logging in and ends their sessions at
// once, on every instance.
func Disable(ctx context.Context, q db.Querier, ente tenant.ID, id OperatorID, now time.Time) error {
	what := fmt.Sprintf("operator %d: disable", id)
	if err := execOne(ctx, q, what, `UPDATE operator SET disabled = TRUE WHERE ente_id = $1 AND id = $2`, ente, id); err != nil {
		return err
	}
	if _, err := EndAllSessions(ctx, q, ente, OperatorSubject(id), now); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Enable lets a disabled operator log in again.
func Enable(ctx context.Context, q db.Querier, ente tenant.ID, id OperatorID) error {
	return execOne(ctx, q, fmt.Sprintf("operator %d: enable", id),
		`UPDATE operator SET disabled = FALSE WHERE ente_id = $1 AND id = $2`, ente, id)
}

// SetPassword replaces an operator's password after checking the policy.
// The caller proves the old one (Authenticate) or is an administrator.
func SetPassword(ctx context.Context, q db.Querier, ente tenant.ID, id OperatorID, password string) error {
	o, err := GetOperator(ctx, q, ente, id)
	if err != nil {
		return err
	}
	if err := CheckPasswordPolicy(password, o.Username); err != nil {
		return fmt.Errorf("operator %d: %w", id, err)
	}
	hash, err := hashPassword(password, passwordParams)
	if err != nil {
		return fmt.Errorf("operator %d: %w", id, err)
	}
	return execOne(ctx, q, fmt.Sprintf("operator %d: set password", id),
		`UPDATE operator SET password_hash = $3 WHERE ente_id = $1 AND id = $2`, ente, id, hash)
}

const selectOperator = `SELECT id, ente_id, username, name, email, totp_enabled, disabled, created_at FROM operator`

func scanOperator(s scanner) (*Operator, error) {
	o := &Operator{}
	err := s.Scan(&o.ID, &o.Ente, &o.Username, &o.Name, &o.Email, &o.TOTPEnabled, &o.Disabled, &o.CreatedAt)
	o.CreatedAt = o.CreatedAt.UTC()
	return o, err
}

// GetOperator returns one operator of the ente with their grants.
func GetOperator(ctx context.Context, q db.Querier, ente tenant.ID, id OperatorID) (*Operator, error) {
	o, err := scanOperator(q.QueryRowContext(ctx, selectOperator+` WHERE ente_id = $1 AND id = $2`, ente, id))
	if err != nil {
		return nil, fmt.Errorf("operator %d: %w", id, notFound(err, "no such operator"))
	}
	grants, err := loadGrants(ctx, q, ente, &id)
	if err != nil {
		return nil, err
	}
	o.Grants = grants[o.ID]
	return o, nil
}

// ListOperators returns the ente's operators by username, with grants.
func ListOperators(ctx context.Context, q db.Querier, ente tenant.ID) ([]*Operator, error) {
	rows, err := q.QueryContext(ctx, selectOperator+` WHERE ente_id = $1 ORDER BY username`, ente)
	if err != nil {
		return nil, fmt.Errorf("list operators: %w", err)
	}
	defer rows.Close()
	var out []*Operator
	for rows.Next() {
		o, err := scanOperator(rows)
		if err != nil {
			return nil, fmt.Errorf("list operators: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list operators: %w", err)
	}
	rows.Close()
	grants, err := loadGrants(ctx, q, ente, nil)
	if err != nil {
		return nil, err
	}
	for _, o := range out {
		o.Grants = grants[o.ID]
	}
	return out, nil
}

// loadGrants returns the grants of one operator (id non-nil) or of the
// whole ente, in normalizeGrants order.
func loadGrants(ctx context.Context, q db.Querier, ente tenant.ID, id *OperatorID) (map[OperatorID][]Grant, error) {
	query, args := `SELECT operator_id, role, office_id FROM operator_grant WHERE ente_id = $1`, []any{ente}
	if id != nil {
		query, args = query+` AND operator_id = $2`, append(args, *id)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	defer rows.Close()
	out := map[OperatorID][]Grant{}
	for rows.Next() {
		var op OperatorID
		var role string
		var office sql.NullInt64
		if err := rows.Scan(&op, &role, &office); err != nil {
			return nil, fmt.Errorf("grants: %w", err)
		}
		out[op] = append(out[op], Grant{Role: Role(role), Office: office.Int64})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	for op, gs := range out {
		out[op], _ = normalizeGrants(gs)
	}
	return out, nil
}

// Authenticate checks an operator's username and password: the first of
// the two factors. A wrong password or unknown username is ErrBadCredentials
// (Unauthorized) and counts towards the lockout; while locked, a Forbidden
// error wraps a *LockedError. An unknown username costs one argon2 hash
// like a known one, so that timing does not reveal it. The count is reset
// only by a complete login (VerifySecondFactor or ConfirmTOTP), so that
// knowing the password does not reopen the guessing of codes.
//
// Call it on the database, not in a transaction that a failure rolls back:
// the failure it counts must be kept; and the hash takes tens of
// milliseconds that should not hold a write lock.
func Authenticate(ctx context.Context, q db.Querier, ente tenant.ID, username, password string, now time.Time) (*Operator, error) {
	u := normalizeUsername(username)
	if err := checkLock(ctx, q, ente, u, now); err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	var id OperatorID
	var hash string
	var disabled bool
	err := q.QueryRowContext(ctx, `SELECT id, password_hash, disabled FROM operator WHERE ente_id = $1 AND username = $2`,
		ente, u).Scan(&id, &hash, &disabled)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, _, _ = verifyPassword(dummyHash(), password, passwordParams)
		return nil, authFailure(ctx, q, ente, u, now)
	case err != nil:
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	ok, rehash, err := verifyPassword(hash, password, passwordParams)
	if err != nil {
		return nil, fmt.Errorf("authenticate: operator %d: %w", id, err)
	}
	if !ok {
		return nil, authFailure(ctx, q, ente, u, now)
	}
	if disabled {
		return nil, apperr.Errorf(apperr.Forbidden, "authenticate: operator %d: %w", id, ErrDisabled)
	}
	if rehash {
		if h, err := hashPassword(password, passwordParams); err == nil {
			if _, err := q.ExecContext(ctx, `UPDATE operator SET password_hash = $3 WHERE ente_id = $1 AND id = $2`, ente, id, h); err != nil {
				return nil, fmt.Errorf("authenticate: operator %d: rehash: %w", id, err)
			}
		}
	}
	return GetOperator(ctx, q, ente, id)
}

// authFailure counts a failed attempt and returns the error to show: the
// lock if this failure set one, bad credentials otherwise.
func authFailure(ctx context.Context, q db.Querier, ente tenant.ID, username string, now time.Time) error {
	if err := recordFailure(ctx, q, ente, username, now); err != nil {
		return fmt.Errorf("authenticate: %w", err)
	}
	return apperr.Errorf(apperr.Unauthorized, "authenticate: %w", ErrBadCredentials)
}
