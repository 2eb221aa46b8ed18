package certificate

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/registry"
	"github.com/sportello/sportello/internal/tenant"
)

// RevokeInput is a registrar's revocation of an issued certificate.
type RevokeInput struct {
	Operator identity.OperatorID
	// Reason is why (a wrong datum, data corrected since): required, kept
	// for the office and in the protocol, never shown by /verifica.
	Reason string
	// Audit records the revocation in the audit log, in the same
	// transaction.
	Audit AuditFunc
}

// maxRevokeReason bounds the reason, which the protocol entry's subject
// carries.
const maxRevokeReason = 300

// Revoke withdraws an issued certificate (a wrong one, or one issued on
// data later corrected): /verifica then says "revocato". Like the
// certificate, the revocation is registered as an outgoing protocol entry
// (subject "Revoca del certificato … prot. …: reason", to the holder), and
// the row records who revoked, when, why and that entry — all in one
// transaction with the audit event. A certificate of another ente is
// NotFound; one not issued (awaiting its stamp, or revoked already) is a
// Conflict.
func (is *Issuer) Revoke(ctx context.Context, e *tenant.Ente, id ID, in RevokeInput) (*Certificate, error) {
	reason := strings.TrimSpace(in.Reason)
	switch {
	case reason == "":
		return nil, apperr.New(apperr.Invalid, "Scrivi il motivo della revoca.")
	case utf8.RuneCountInString(reason) > maxRevokeReason:
		return nil, apperr.New(apperr.Invalid, "Il motivo della revoca può avere al massimo 300 caratteri.")
	case in.Operator == 0:
		return nil, apperr.Errorf(apperr.Invalid, "certificate %d: revoked by nobody", id)
	}
	now := is.now()
	var c *Certificate
	err := is.DB.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = Get(ctx, tx, e.ID, id); err != nil {
			return err
		}
		if c.State != Issued {
			return &apperr.Error{Kind: apperr.Conflict, Public: "Si può revocare solo un certificato rilasciato e non ancora revocato.",
				Err: fmt.Errorf("certificate %d: %s, not issued", id, c.State)}
		}
		holder, err := registry.GetPerson(ctx, tx, e.ID, c.Person)
		if err != nil {
			return err
		}
		entry := &protocol.Entry{Ente: e.ID, Direction: protocol.Out,
			Subject: fmt.Sprintf("Revoca del certificato anagrafico %s n. %s (prot. %d/%07d): %s", c.Kinds, c.Code,
				c.ProtocolYear, c.ProtocolNumber, reason),
			Correspondent: holder.FullName() + " (" + holder.FiscalCode + ")", CreatedBy: fmt.Sprintf("operator:%d", in.Operator)}
		if err := is.Registrar.Register(ctx, tx, entry, now); err != nil {
			return err
		}
		const upd = `UPDATE certificate SET state = 'revoked', revoked_at = $1, revoke_reason = $2, revoked_by = $3,
				revoke_protocol_year = $4, revoke_protocol_number = $5
			WHERE ente_id = $6 AND id = $7 AND state = 'issued'`
		res, err := tx.ExecContext(ctx, upd, dbTime(now), reason, in.Operator, entry.Year, int64(entry.Number), e.ID, id)
		if err != nil {
			return fmt.Errorf("certificate %d: revoke: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return apperr.Errorf(apperr.Conflict, "certificate %d: no longer issued", id)
		}
		c.State, c.RevokedAt, c.RevokeReason = Revoked, dbTime(now), reason
		c.RevokedBy, c.RevokeProtocolYear, c.RevokeProtocolNumber = in.Operator, entry.Year, int64(entry.Number)
		if in.Audit != nil {
			return in.Audit(ctx, tx, c, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
