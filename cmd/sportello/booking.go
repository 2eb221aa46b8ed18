package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/i18n"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/tenant"
	"github.com/sportello/sportello/ui"
)

// bookingMails writes, in Italian from the locale files, naming the service
// from the ente's catalogue and the office, the reminder of an appointment
// and the e-mail offering a freed slot to the next person on the waiting
// list, whose link starts with baseURL (SPORTELLO_BASE_URL).
func bookingMails(baseURL string) (booking.Compose, booking.OfferCompose, error) {
	text, err := i18n.Load(ui.Locales, "locales")
	if err != nil {
		return nil, nil, err
	}
	shipped, err := catalog.Shipped()
	if err != nil {
		return nil, nil, err
	}
	baseURL = strings.TrimRight(baseURL, "/")
	compose := func(ctx context.Context, q db.Querier, a *booking.Appointment, token string) (mail.Message, error) {
		e, err := tenant.Get(ctx, q, a.Ente)
		if err != nil {
			return mail.Message{}, err
		}
		title := a.Service
		if cat, err := catalog.ForEnte(ctx, q, e.ID, shipped); err == nil {
			if svc, err := cat.Get(a.Service); err == nil {
				title = svc.Title
			}
		}
		var office tenant.Office
		for _, o := range e.Offices {
			if o.ID == a.Office {
				office = o
			}
		}
		rome := booking.Rome()
		t := func(key string, args ...any) string { return text.T(i18n.IT, key, args...) }
		if token == "" {
			return mail.Message{Ente: e.ID, To: a.Email, Kind: "booking-reminder", Ref: "appointment:" + a.Code,
				Subject: t("mail.booking.reminder.subject", a.Code, e.Name),
				Text: t("mail.booking.reminder.text", a.Name, title, a.Start.In(rome).Format("02/01/2006 15:04"), office.Name,
					fmt.Sprintf("%s, %s %s", office.Street, office.PostalCode, office.City), a.Code, e.Name)}, nil
		}
		// The link is the one web's bookingURL writes for the offer's page.
		link := baseURL + "/prenota-appuntamento/" + url.PathEscape(a.Code) + "?t=" + url.QueryEscape(token)
		return mail.Message{Ente: e.ID, To: a.Email, Kind: "booking-offer", Ref: "appointment:" + a.Code,
			Subject: t("mail.booking.offer.subject", a.Code, e.Name),
			Text: t("mail.booking.offer.text", a.Name, title, a.Start.In(rome).Format("02/01/2006 15:04"), office.Name,
				fmt.Sprintf("%s, %s %s", office.Street, office.PostalCode, office.City), a.Code, link, e.Name)}, nil
	}
	reminder := func(ctx context.Context, q db.Querier, a *booking.Appointment) (mail.Message, error) {
		return compose(ctx, q, a, "")
	}
	offer := func(ctx context.Context, q db.Querier, o *booking.Offer) (mail.Message, error) {
		return compose(ctx, q, o.Appointment, o.Token)
	}
	return reminder, offer, nil
}
