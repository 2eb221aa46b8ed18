package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/registry"
)

// certificatesPage is the citizen's Documenti: the certificates they asked
// for and the form to ask for one, for themselves or a member of their
// household.
type certificatesPage struct {
	basePage
	Tabs []tab
	// InRegistry is false when the citizen is not registered in this
	// comune's anagrafe: nothing can be certified.
	InRegistry   bool
	Persons      []choiceView
	Types        []choiceView
	Exemptions   []choiceView
	ExemptText   string
	Problem      string
	Flash        string
	Certificates []certView
	StampNotice  string
}

// certificatesList shows the citizen's certificates and the request form.
func (s *Server) certificatesList(w http.ResponseWriter, r *http.Request) error {
	p := s.certificatesPage(r)
	if r.URL.Query().Get("ok") == "1" {
		p.Flash = p.T("cert.flash.issued")
	}
	if err := s.fillCertificatesPage(r, p, 0, nil, 0); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "citizen/certificati", p)
}

func (s *Server) certificatesPage(r *http.Request) *certificatesPage {
	p := &certificatesPage{basePage: s.base(r, "cert.title")}
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}, {p.T("area.title"), "/area-personale"}}
	p.Tabs = areaTabs(p.basePage, "/area-personale/certificati")
	return p
}

// fillCertificatesPage loads the household and the citizen's certificates.
func (s *Server) fillCertificatesPage(r *http.Request, p *certificatesPage, chosen registry.PersonID,
	kinds certificate.Kinds, ex certificate.Exemption) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	me, err := registry.PersonByFiscalCode(ctx, s.db, e.ID, pr.Citizen.FiscalCode)
	switch {
	case apperr.Is(err, apperr.NotFound):
	case err != nil:
		return err
	default:
		p.InRegistry = true
		persons := []*registry.Person{me}
		if me.Household != 0 {
			h, err := registry.GetHousehold(ctx, s.db, e.ID, me.Household)
			if err != nil {
				return err
			}
			for _, m := range h.Members {
				if m.ID != me.ID {
					persons = append(persons, m)
				}
			}
		}
		if chosen == 0 {
			chosen = me.ID
		}
		for _, m := range persons {
			label := m.FullName()
			if m.ID == me.ID {
				label = p.T("cert.form.myself", label)
			}
			p.Persons = append(p.Persons, choiceView{Value: strconv.FormatInt(int64(m.ID), 10), Label: label, Checked: m.ID == chosen})
		}
	}
	if len(kinds) == 0 {
		kinds = certificate.Kinds{certificate.Residence}
	}
	p.Types = certTypeChoices(p.basePage, certificate.Types(), kinds)
	p.Exemptions = exemptionChoices(p.basePage, ex)
	set, err := certificate.GetSettings(ctx, s.db, e.ID)
	if err != nil {
		return err
	}
	if set.StampOnline && set.StampCents > 0 {
		p.StampNotice = p.T("cert.form.stamp-online", euroText(set.StampCents))
	}
	list, err := certificate.ForCitizen(ctx, s.db, e.ID, pr.Citizen.ID)
	if err != nil {
		return err
	}
	for _, c := range list {
		p.Certificates = append(p.Certificates, s.certView(p.basePage, c))
	}
	return nil
}

func euroText(cents int64) string {
	return "€ " + strconv.FormatInt(cents/100, 10) + "," + strconv.FormatInt(cents%100/10, 10) + strconv.FormatInt(cents%10, 10)
}

// certificateRequest issues (or starts paying for) a certificate online.
// The holder must be the citizen or a member of their household; anyone
// else is refused with 403, whether or not the person exists.
func (s *Server) certificateRequest(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	is, err := s.issuer()
	if err != nil {
		return err
	}
	p := s.certificatesPage(r)
	personID, _ := strconv.ParseInt(r.PostFormValue("persona"), 10, 64)
	kinds, ex, exText := parseCertForm(r)
	fail := func(msg string, status int) error {
		p.Problem = msg
		if err := s.fillCertificatesPage(r, p, registry.PersonID(personID), kinds, ex); err != nil {
			return err
		}
		p.ExemptText = exText
		return s.render(w, r, status, "citizen/certificati", p)
	}
	holder, err := registry.GetPerson(ctx, s.db, e.ID, registry.PersonID(personID))
	if apperr.Is(err, apperr.NotFound) {
		return fail(p.T("cert.refused.not_household"), http.StatusForbidden)
	}
	if err != nil {
		return err
	}
	res, err := is.Issue(ctx, certificate.Order{Ente: e, Channel: certificate.Online, HolderCF: holder.FiscalCode, Holder: holder,
		Kinds: kinds, Citizen: pr.Citizen.ID, CitizenCF: pr.Citizen.FiscalCode, Exemption: ex, ExemptionText: exText,
		VerifyURL: s.verifyURL(r), ReturnTo: s.origin(r) + "/area-personale/certificati",
		Audit: func(c *certificate.Certificate) audit.Event {
			return s.auditEvent(r, audit.Event{Ente: e.ID, Actor: citizenActor(pr.Citizen.ID), Action: "certificate.issued",
				Subject: "certificate:" + strconv.FormatInt(int64(c.ID), 10), Outcome: audit.Success, Detail: "online " + c.Kinds.String()})
		}})
	if err != nil {
		msg, status, err := refusalMessage(p.basePage, err)
		if err != nil {
			return err
		}
		return fail(msg, status)
	}
	c := res.Certificate
	if c.State == certificate.AwaitingStamp {
		err := s.auditAlone(r, audit.Event{Ente: e.ID, Actor: citizenActor(pr.Citizen.ID), Action: "certificate.requested",
			Subject: "certificate:" + strconv.FormatInt(int64(c.ID), 10), Outcome: audit.Success, Detail: c.Kinds.String() + " awaiting-stamp"})
		if err != nil {
			return err
		}
	}
	if c.State == certificate.AwaitingStamp {
		http.Redirect(w, r, res.PayURL, http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/area-personale/certificati/"+strconv.FormatInt(int64(c.ID), 10)+"?ok=1", http.StatusSeeOther)
	return nil
}

// citizenCertificate reads a certificate the citizen asked for; any other
// is NotFound.
func (s *Server) citizenCertificate(r *http.Request) (*certificate.Certificate, error) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, apperr.New(apperr.NotFound, "")
	}
	c, err := certificate.Get(ctx, s.db, enteFrom(ctx).ID, certificate.ID(id))
	if err != nil {
		return nil, err
	}
	if c.Citizen != principalFrom(ctx).Citizen.ID {
		return nil, apperr.New(apperr.NotFound, "")
	}
	return c, nil
}

// certificatePage is one of the citizen's certificates.
type certificatePage struct {
	basePage
	Tabs        []tab
	Certificate certView
	Flash       string
	// Stamp says where the payment of the stamp stands, for a certificate
	// awaiting it; CanPay offers the button that (again) opens Checkout.
	Stamp  string
	CanPay bool
}

// stampHints are the return addresses' ?pagamento= values.
var stampHints = map[string]payment.CheckoutState{
	"ok": payment.CheckoutReturned, "annullato": payment.CheckoutCancelled, "errore": payment.CheckoutError}

// certificateShow shows a certificate and its download link. Back from
// Checkout (?pagamento=ok|annullato|errore) it records the hint and looks
// for the stamp's receipt, which issues the certificate when it is there.
func (s *Server) certificateShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.citizenCertificate(r)
	if err != nil {
		return err
	}
	p := &certificatePage{basePage: s.base(r, "cert.show.title")}
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}, {p.T("area.title"), "/area-personale"}, {p.T("cert.title"), "/area-personale/certificati"}}
	p.Tabs = areaTabs(p.basePage, "/area-personale/certificati")
	if c.State == certificate.AwaitingStamp && s.opt.Stamps != nil {
		e, citizen := enteFrom(ctx), principalFrom(ctx).Citizen.ID
		var sp *payment.StampPayment
		if hint, ok := stampHints[r.URL.Query().Get("pagamento")]; ok {
			sp, err = s.opt.Stamps.Returned(ctx, e.ID, citizen, c.ID, hint)
		} else {
			sp, err = payment.StampFor(ctx, s.db, e.ID, c.ID)
		}
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return err
		}
		if c, err = certificate.Get(ctx, s.db, e.ID, c.ID); err != nil {
			return err
		}
		if c.State == certificate.Issued {
			p.Flash = p.T("cert.flash.issued")
		} else if sp != nil {
			p.Stamp, p.CanPay = stampMessage(p.basePage, sp)
		}
	}
	p.Certificate = s.certView(p.basePage, c)
	if r.URL.Query().Get("ok") == "1" {
		p.Flash = p.T("cert.flash.issued")
	}
	return s.render(w, r, http.StatusOK, "citizen/certificato", p)
}

// stampMessage says where a stamp payment stands and whether the citizen
// can (again) pay it.
func stampMessage(p basePage, sp *payment.StampPayment) (string, bool) {
	switch {
	case sp.State == payment.StampRejected:
		return p.T("cert.stamp.rejected"), false
	case sp.State == payment.StampRefused:
		return p.T("cert.stamp.refused"), false
	case sp.Payment.State == payment.Paid:
		return p.T("cert.stamp.paid"), false
	case !sp.Payment.Payable():
		return p.T("cert.stamp.closed"), false
	case sp.Payment.Checkout == payment.CheckoutCancelled:
		return p.T("cert.stamp.cancelled"), true
	case sp.Payment.Checkout == payment.CheckoutError:
		return p.T("cert.stamp.error"), true
	case sp.Payment.Checkout == payment.CheckoutReturned:
		return p.T("cert.stamp.returned"), false
	}
	return p.T("cert.stamp.to-pay", euroText(sp.Payment.Amount)), true
}

// certificateStampPay sends the citizen to Checkout (again) to pay the
// stamp of their certificate awaiting it.
func (s *Server) certificateStampPay(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.citizenCertificate(r)
	if err != nil {
		return err
	}
	if s.opt.Stamps == nil {
		return apperr.New(apperr.Unavailable, "")
	}
	if c.State != certificate.AwaitingStamp {
		return &apperr.Error{Kind: apperr.Conflict, Public: "Questo certificato non attende il pagamento del bollo.",
			Err: fmt.Errorf("certificate %d is %s", c.ID, c.State)}
	}
	to, err := s.opt.Stamps.Pay(ctx, enteFrom(ctx).ID, principalFrom(ctx).Citizen.ID, c.ID,
		s.origin(r)+"/area-personale/certificati/"+strconv.FormatInt(int64(c.ID), 10))
	if err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// certificateDownload sends the citizen's certificate file.
func (s *Server) certificateDownload(w http.ResponseWriter, r *http.Request) error {
	c, err := s.citizenCertificate(r)
	if err != nil {
		return err
	}
	return s.serveCertificate(w, r, c)
}
