package spididp

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/sportello/sportello/internal/apperr"
)

// Bounds of the sessions kept for logout, and of the IdP-initiated
// logouts waiting for the SP's answer.
const (
	sessionTTL = 12 * time.Hour
	sessionMax = 500
)

// session is a login the IdP granted, kept so that either side can end it.
type session struct {
	// Index is the assertion's SessionIndex.
	Index   string
	SP      *spMetadata
	NameID  string
	Person  string
	Level   int
	Created time.Time
}

// sentLogout is an IdP-initiated LogoutRequest awaiting its response.
type sentLogout struct {
	SP *spMetadata
	At time.Time
}

// addSession records a session, dropping expired ones and, past
// sessionMax, the oldest.
func (p *IdP) addSession(s *session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var oldest *session
	for k, v := range p.sessions {
		if s.Created.Sub(v.Created) > sessionTTL {
			delete(p.sessions, k)
			continue
		}
		if oldest == nil || v.Created.Before(oldest.Created) {
			oldest = v
		}
	}
	if len(p.sessions) >= sessionMax && oldest != nil {
		delete(p.sessions, oldest.Index)
	}
	p.sessions[s.Index] = s
}

// logoutMessage is a LogoutRequest or a LogoutResponse.
type logoutMessage struct {
	XMLName      xml.Name
	ID           string `xml:"ID,attr"`
	Version      string `xml:"Version,attr"`
	IssueInstant string `xml:"IssueInstant,attr"`
	Destination  string `xml:"Destination,attr"`
	InResponseTo string `xml:"InResponseTo,attr"`
	Issuer       []struct {
		Value  string `xml:",chardata"`
		Format string `xml:"Format,attr"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	NameID []struct {
		Value         string `xml:",chardata"`
		Format        string `xml:"Format,attr"`
		NameQualifier string `xml:"NameQualifier,attr"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion NameID"`
	SessionIndex []string `xml:"urn:oasis:names:tc:SAML:2.0:protocol SessionIndex"`
	Status       struct {
		Code struct {
			Value string `xml:"Value,attr"`
			Sub   struct {
				Value string `xml:"Value,attr"`
			} `xml:"urn:oasis:names:tc:SAML:2.0:protocol StatusCode"`
		} `xml:"urn:oasis:names:tc:SAML:2.0:protocol StatusCode"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:protocol Status"`
}

// parseLogout reads a decoded logout message; like parseAuthnRequest, its
// values count only after the signature check.
func parseLogout(b []byte) (*etree.Document, *logoutMessage, error) {
	doc, err := parseXML(b)
	if err != nil {
		return nil, nil, broken(8, "%v", err)
	}
	var m logoutMessage
	if err := xml.Unmarshal(b, &m); err != nil {
		return nil, nil, broken(8, "xml: %v", err)
	}
	if m.XMLName.Space != nsSAMLP || (m.XMLName.Local != "LogoutRequest" && m.XMLName.Local != "LogoutResponse") {
		return nil, nil, broken(8, "root element %s is not a SAML logout message", m.XMLName.Local)
	}
	if len(m.Issuer) != 1 || strings.TrimSpace(m.Issuer[0].Value) == "" {
		return nil, nil, broken(10, "the message needs exactly one non-empty Issuer")
	}
	return doc, &m, nil
}

// sloRedirect receives a logout message by HTTP-Redirect.
func (p *IdP) sloRedirect(w http.ResponseWriter, r *http.Request) error {
	q, err := rawQuery(r.URL.RawQuery)
	if err != nil {
		return broken(4, "%v", err)
	}
	field := "SAMLRequest"
	if _, ok := q[field]; !ok {
		field = "SAMLResponse"
	}
	v, err := q.value(field)
	if err != nil || v == "" {
		return broken(4, "no SAMLRequest or SAMLResponse parameter")
	}
	relay, _ := q.value("RelayState")
	raw, err := decodeRedirect(v)
	if err != nil {
		return broken(4, "%s: %v", field, err)
	}
	_, m, err := parseLogout(raw)
	if err != nil {
		return err
	}
	sp, err := p.spByEntityID(r.Context(), strings.TrimSpace(m.Issuer[0].Value))
	if err != nil {
		return broken(10, "SP metadata from the Issuer: %v", err)
	}
	if err := verifyQuery(q, field, sp.Certs); err != nil {
		return broken(5, "%v", err)
	}
	return trusted(p.slo(w, r, m, sp, relay))
}

// sloPost receives a logout message by HTTP-POST, enveloped-signed.
func (p *IdP) sloPost(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return broken(4, "form: %v", err)
	}
	v := r.PostForm.Get("SAMLRequest")
	if v == "" {
		v = r.PostForm.Get("SAMLResponse")
	}
	raw, err := decodePost(v)
	if err != nil || v == "" {
		return broken(4, "no SAMLRequest or SAMLResponse field")
	}
	doc, m, err := parseLogout(raw)
	if err != nil {
		return err
	}
	sp, err := p.spByEntityID(r.Context(), strings.TrimSpace(m.Issuer[0].Value))
	if err != nil {
		return broken(10, "SP metadata from the Issuer: %v", err)
	}
	verified, err := verifyEnveloped(doc.Root(), sp.Certs, p.cfg.Now())
	if err != nil {
		return broken(7, "%v", err)
	}
	signed, err := serialize(verified)
	if err != nil {
		return broken(8, "%v", err)
	}
	if _, m, err = parseLogout(signed); err != nil {
		return err
	}
	if strings.TrimSpace(m.Issuer[0].Value) != sp.EntityID {
		return broken(10, "the signed Issuer differs")
	}
	return trusted(p.slo(w, r, m, sp, r.PostForm.Get("RelayState")))
}

// trusted marks a broken rule found after the signature check, which the
// error page reports as a bad request rather than an untrusted one.
func trusted(err error) error {
	var re *ruleError
	if errors.As(err, &re) {
		re.trusted = true
	}
	return err
}

// slo handles a verified logout message: an SP-initiated LogoutRequest
// ends the session and is answered; a LogoutResponse closes an
// IdP-initiated logout.
func (p *IdP) slo(w http.ResponseWriter, r *http.Request, m *logoutMessage, sp *spMetadata, relay string) error {
	now := p.cfg.Now()
	if m.Version != "2.0" {
		return broken(9, "Version is %q, want 2.0", m.Version)
	}
	if m.Issuer[0].Format != nameIDEntity {
		return broken(10, "Issuer Format is %q, want %s", m.Issuer[0].Format, nameIDEntity)
	}
	if !xsID.MatchString(m.ID) {
		return broken(11, "ID %q is not an xs:ID", m.ID)
	}
	if d := m.Destination; d != p.url(r, "/slo") {
		return broken(14, "Destination is %q, want %q", d, p.url(r, "/slo"))
	}
	if m.XMLName.Local == "LogoutResponse" {
		return p.logoutDone(w, r, m, sp)
	}
	if len(m.NameID) != 1 || m.NameID[0].Format != nameIDTransient || m.NameID[0].NameQualifier != p.EntityID(r) {
		return broken(8, "LogoutRequest needs one transient NameID qualified by %q", p.EntityID(r))
	}
	if len(m.SessionIndex) == 0 {
		return broken(8, "LogoutRequest has no SessionIndex")
	}
	p.mu.Lock()
	for _, idx := range m.SessionIndex {
		if s, ok := p.sessions[idx]; ok && s.SP.EntityID == sp.EntityID && s.NameID == strings.TrimSpace(m.NameID[0].Value) {
			delete(p.sessions, idx)
		}
	}
	p.mu.Unlock()

	target, ok := sp.slo()
	if !ok {
		return apperr.Errorf(apperr.Invalid, "sp %s has no SingleLogoutService", sp.EntityID)
	}
	dest := target.Location
	if target.ResponseLocation != "" {
		dest = target.ResponseLocation
	}
	resp := etree.NewElement("samlp:LogoutResponse")
	resp.CreateAttr("xmlns:samlp", nsSAMLP)
	resp.CreateAttr("xmlns:saml", nsSAML)
	resp.CreateAttr("ID", newID())
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", samlTime(now))
	resp.CreateAttr("InResponseTo", m.ID)
	resp.CreateAttr("Destination", dest)
	issuer(resp, p.EntityID(r))
	status(resp, statusSuccess, "", "")
	p.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "spididp: logout request answered", slog.String("sp", sp.EntityID))
	return p.send(w, r, resp, "SAMLResponse", target.Binding, dest, relay, sp.Name)
}

// logoutDone shows the SP's answer to an IdP-initiated logout.
func (p *IdP) logoutDone(w http.ResponseWriter, r *http.Request, m *logoutMessage, sp *spMetadata) error {
	p.mu.Lock()
	sent, ok := p.logouts[m.InResponseTo]
	delete(p.logouts, m.InResponseTo)
	p.mu.Unlock()
	if !ok || sent.SP.EntityID != sp.EntityID {
		return apperr.New(apperr.Conflict, "Questa risposta non corrisponde a una disconnessione avviata dal simulatore.")
	}
	code := m.Status.Code.Value
	if sub := m.Status.Code.Sub.Value; sub != "" {
		code += " / " + sub
	}
	return p.render(w, r, http.StatusOK, "logout.html", logoutPage{
		chrome: p.chrome("Disconnessione"), SPName: sp.Name, Success: m.Status.Code.Value == statusSuccess, Status: code,
	})
}

// send delivers a signed message to an SP: an auto-submitted form for
// HTTP-POST (enveloped signature), a redirect for HTTP-Redirect (query
// signature).
func (p *IdP) send(w http.ResponseWriter, r *http.Request, msg *etree.Element, field, binding, dest, relay, spName string) error {
	if binding == bindingRedirect {
		b, err := serialize(msg)
		if err != nil {
			return err
		}
		q, err := signQuery(field, b, relay, p.key)
		if err != nil {
			return err
		}
		sep := "?"
		if strings.Contains(dest, "?") {
			sep = "&"
		}
		http.Redirect(w, r, dest+sep+q, http.StatusFound)
		return nil
	}
	if err := signEnveloped(msg, p.key, p.cert); err != nil {
		return err
	}
	b, err := serialize(msg)
	if err != nil {
		return err
	}
	return p.render(w, r, http.StatusOK, "post.html", postPage{
		chrome: p.chrome("Ritorno al servizio"), Auto: true,
		Form: postForm{Action: dest, Field: field, Value: base64.StdEncoding.EncodeToString(b), RelayState: relay, SPName: spName},
	})
}

// sessionsList shows the open sessions, each with a logout button, and the
// demo identities.
func (p *IdP) sessionsList(w http.ResponseWriter, r *http.Request) error {
	page := sessionsPage{chrome: p.chrome("Sessioni"), EntityID: p.EntityID(r), Identities: p.cfg.Identities}
	if r.URL.Query().Get("fatto") != "" {
		page.Done = "Sessione chiusa."
	}
	p.mu.Lock()
	list := make([]*session, 0, len(p.sessions))
	for _, s := range p.sessions {
		list = append(list, s)
	}
	p.mu.Unlock()
	slices.SortFunc(list, func(a, b *session) int { return b.Created.Compare(a.Created) })
	for _, s := range list {
		page.Sessions = append(page.Sessions, sessionRow{
			Index: s.Index, Person: s.Person, SPName: s.SP.Name, Level: s.Level,
			Created: s.Created.Local().Format("02/01/2006 15:04:05"),
		})
	}
	return p.render(w, r, http.StatusOK, "sessions.html", page)
}

// sessionsLogout starts an IdP-initiated logout: the session ends here and
// a signed LogoutRequest goes to the SP's SingleLogoutService.
func (p *IdP) sessionsLogout(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginForm)
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "logout form: %w", err)
	}
	now := p.cfg.Now()
	p.mu.Lock()
	s, ok := p.sessions[r.PostForm.Get("session")]
	delete(p.sessions, r.PostForm.Get("session"))
	p.mu.Unlock()
	if !ok {
		return apperr.New(apperr.NotFound, "Sessione non trovata: forse è già stata chiusa.")
	}
	target, ok := s.SP.slo()
	if !ok {
		http.Redirect(w, r, "sessions?fatto=1", http.StatusSeeOther)
		return nil
	}
	idp := p.EntityID(r)
	req := etree.NewElement("samlp:LogoutRequest")
	req.CreateAttr("xmlns:samlp", nsSAMLP)
	req.CreateAttr("xmlns:saml", nsSAML)
	id := newID()
	req.CreateAttr("ID", id)
	req.CreateAttr("Version", "2.0")
	req.CreateAttr("IssueInstant", samlTime(now))
	req.CreateAttr("Destination", target.Location)
	is := req.CreateElement("saml:Issuer")
	is.CreateAttr("Format", nameIDEntity)
	is.CreateAttr("NameQualifier", idp)
	is.SetText(idp)
	nid := req.CreateElement("saml:NameID")
	nid.CreateAttr("Format", nameIDTransient)
	nid.CreateAttr("NameQualifier", idp)
	nid.SetText(s.NameID)
	req.CreateElement("samlp:SessionIndex").SetText(s.Index)

	p.mu.Lock()
	for k, v := range p.logouts {
		if now.Sub(v.At) > sessionTTL {
			delete(p.logouts, k)
		}
	}
	if len(p.logouts) < sessionMax {
		p.logouts[id] = sentLogout{SP: s.SP, At: now}
	}
	p.mu.Unlock()
	p.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "spididp: logout request sent", slog.String("sp", s.SP.EntityID))
	return p.send(w, r, req, "SAMLRequest", target.Binding, target.Location, "", s.SP.Name)
}
