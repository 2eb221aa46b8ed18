package web

import (
	"context"
	"database/sql"
	"net/http"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/mail"
)

// sendContactCode delivers a confirmation code inside the transaction that
// stored it: an e-mail is queued in the outbox (sent by a job, never lost
// once the page says "sent"). Phones need an SMS gateway, which the
// deployment does not have yet: the demo shows the code on the page instead,
// and production says the check is unavailable rather than pretend.
func (s *Server) sendContactCode(ctx context.Context, tx *sql.Tx, r *http.Request, c *identity.Citizen, kind identity.ContactKind, value, code string) error {
	if kind != identity.ContactEmail || s.opt.Jobs == nil {
		if s.opt.Demo {
			return nil
		}
		return apperr.New(apperr.Unavailable, s.text.T(langFrom(ctx), "profile.contacts.unavailable"))
	}
	e := enteFrom(ctx)
	lang := langFrom(ctx)
	to, err := identity.NormalizeEmail(value)
	if err != nil {
		return err
	}
	_, err = mail.Queue(ctx, tx, s.opt.Jobs, mail.Message{
		Ente: e.ID, To: to, Kind: "contact-code", Ref: citizenSubject(c.ID),
		Subject: s.text.T(lang, "mail.contact-code.subject", e.Name),
		Text:    s.text.T(lang, "mail.contact-code.text", c.GivenName, code, e.Name),
	}, s.now())
	return err
}
