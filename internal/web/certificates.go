package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/attachment"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/protocol"
)

// This file holds what the citizen's, the desk's and the public
// certificate pages share: the issuer, the form's choices and the views.

// newCertificates builds the certificate issuer when the server can seal
// keys (a secret key) and store files (a blob store); without them the
// certificate pages answer 503.
func newCertificates(opt Options) (*certificate.Issuer, error) {
	if opt.Certificates != nil {
		return opt.Certificates, nil
	}
	if len(opt.SecretKey) != 32 || opt.Blobs == nil {
		return nil, nil
	}
	keys, err := certificate.NewKeyStore(opt.SecretKey)
	if err != nil {
		return nil, err
	}
	return &certificate.Issuer{DB: opt.DB, Registrar: protocol.Builtin{}, Blobs: opt.Blobs, Keys: keys,
		FilesInDatabase: certificate.FilesInDatabaseFor(opt.DB), Now: opt.Now}, nil
}

// issuer returns the certificate issuer, or Unavailable.
func (s *Server) issuer() (*certificate.Issuer, error) {
	if s.certs == nil {
		return nil, apperr.New(apperr.Unavailable, "")
	}
	return s.certs, nil
}

// verifyURL is the ente's verification page as printed under the QR.
func (s *Server) verifyURL(r *http.Request) string {
	return s.origin(r) + "/verifica"
}

// certTypeChoices are the types a form offers, checked as in chosen.
func certTypeChoices(p basePage, offered []certificate.Type, chosen certificate.Kinds) []choiceView {
	out := make([]choiceView, 0, len(offered))
	for _, t := range offered {
		checked := false
		for _, c := range chosen {
			checked = checked || c == t
		}
		out = append(out, choiceView{Value: strconv.Itoa(int(t)), Label: p.T(t.Key()), Checked: checked})
	}
	return out
}

// exemptionChoices lists "no exemption" and ANPR table 39.
func exemptionChoices(p basePage, chosen certificate.Exemption) []choiceView {
	out := []choiceView{{Value: "0", Label: p.T("cert.exemption.none"), Selected: chosen == 0}}
	for _, e := range certificate.Exemptions() {
		out = append(out, choiceView{Value: strconv.Itoa(int(e)), Label: strconv.Itoa(int(e)) + " – " + e.Basis(),
			Selected: e == chosen})
	}
	return out
}

// parseCertForm reads the types and the exemption every form has.
func parseCertForm(r *http.Request) (certificate.Kinds, certificate.Exemption, string) {
	var kinds certificate.Kinds
	for _, v := range r.PostForm["tipo"] {
		n, err := strconv.Atoi(v)
		if err == nil && certificate.Type(n).Valid() {
			kinds = append(kinds, certificate.Type(n))
		}
	}
	ex, _ := strconv.Atoi(r.PostFormValue("esenzione"))
	return kinds, certificate.Exemption(ex), r.PostFormValue("esenzione_testo")
}

// refusalMessage turns an issuing error into a message for the page and
// its status, or returns the error for the error page.
func refusalMessage(p basePage, err error) (string, int, error) {
	var refusal *certificate.Refusal
	if errors.As(err, &refusal) {
		return p.T("cert.refused." + string(refusal.Reason)), http.StatusForbidden, nil
	}
	if apperr.Is(err, apperr.Invalid) {
		return apperr.PublicOf(err), http.StatusUnprocessableEntity, nil
	}
	return "", 0, err
}

// certView is one certificate in a list or on its page.
type certView struct {
	ID         int64
	Code       string
	Title      string
	Status     string
	StatusKey  string
	Issued     string
	ValidUntil string
	Protocol   string
	Stamp      string
	Awaiting   bool
}

func (s *Server) certView(p basePage, c *certificate.Certificate) certView {
	v := certView{ID: int64(c.ID), Code: c.Code, Title: c.Kinds.Title(), Awaiting: c.State == certificate.AwaitingStamp}
	st := c.StatusOn(calendar.DateOf(s.now().In(rome)))
	v.Status, v.StatusKey = string(st), "cert.status."+string(st)
	if !c.Issued.IsZero() {
		v.Issued = c.Issued.In(rome).Format("02/01/2006 15:04")
	}
	if c.ValidUntil.IsZero() {
		v.ValidUntil = p.T("cert.validity.unlimited")
	} else {
		v.ValidUntil = c.ValidUntil.In(rome).Format("02/01/2006")
	}
	if c.ProtocolNumber != 0 {
		v.Protocol = strconv.Itoa(c.ProtocolYear) + "/" + protocol.Number(c.ProtocolNumber).String()
	}
	return v
}

// serveCertificate sends an issued certificate's file as a download.
func (s *Server) serveCertificate(w http.ResponseWriter, r *http.Request, c *certificate.Certificate) error {
	if c.State == certificate.AwaitingStamp {
		return apperr.New(apperr.NotFound, "")
	}
	k, err := blob.ParseKey(c.DocumentSHA256)
	if err != nil {
		return apperr.Errorf(apperr.NotFound, "certificate %d: %w", c.ID, err)
	}
	pdf, err := s.certs.File(r.Context(), c)
	if err != nil {
		return err
	}
	return attachment.ServeContent(w, r, attachment.File{Name: "certificato-" + c.Code + ".pdf",
		MIME: attachment.PDF, SHA256: k}, pdf)
}
