package spididp

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/sportello/sportello/internal/apperr"
)

// Bounds of the pending logins: a request waits at most this long for the
// tester's choice, and at most this many wait at once (the oldest go).
const (
	pendingTTL = 30 * time.Minute
	pendingMax = 1000
)

// pending is a checked AuthnRequest waiting for the tester's choice on the
// login page, keyed by an unguessable id carried in the page's form.
type pending struct {
	Key       string
	RequestID string
	SP        *spMetadata
	Checked   checked
	// RelayState goes back to the SP untouched.
	RelayState string
	Created    time.Time
}

// ssoRedirect receives an AuthnRequest by HTTP-Redirect: the signature is
// on the query string, over the parameters exactly as they were sent.
func (p *IdP) ssoRedirect(w http.ResponseWriter, r *http.Request) error {
	q, err := rawQuery(r.URL.RawQuery)
	if err != nil {
		return broken(4, "%v", err)
	}
	msg, err := q.value("SAMLRequest")
	if err != nil || msg == "" {
		return broken(4, "no SAMLRequest parameter")
	}
	relay, err := q.value("RelayState")
	if err != nil {
		return broken(4, "RelayState: %v", err)
	}
	raw, err := decodeRedirect(msg)
	if err != nil {
		return broken(4, "SAMLRequest: %v", err)
	}
	_, req, err := parseAuthnRequest(raw)
	if err != nil {
		return err
	}
	sp, err := p.requester(r, req)
	if err != nil {
		return err
	}
	if err := verifyQuery(q, "SAMLRequest", sp.Certs); err != nil {
		return broken(5, "%v", err)
	}
	return p.sso(w, r, req, sp, relay)
}

// ssoPost receives an AuthnRequest by HTTP-POST: the document carries an
// enveloped signature, and only the signed bytes are read afterwards.
func (p *IdP) ssoPost(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return broken(4, "form: %v", err)
	}
	msg := r.PostForm.Get("SAMLRequest")
	if msg == "" {
		return broken(4, "no SAMLRequest field")
	}
	raw, err := decodePost(msg)
	if err != nil {
		return broken(4, "SAMLRequest: %v", err)
	}
	doc, req, err := parseAuthnRequest(raw)
	if err != nil {
		return err
	}
	sp, err := p.requester(r, req)
	if err != nil {
		return err
	}
	verified, err := verifyEnveloped(doc.Root(), sp.Certs, p.cfg.Now())
	if err != nil {
		return broken(7, "%v", err)
	}
	signed, err := serialize(verified)
	if err != nil {
		return broken(8, "%v", err)
	}
	if _, req, err = parseAuthnRequest(signed); err != nil {
		return err
	}
	if req.issuer() != sp.EntityID {
		return broken(10, "the signed Issuer differs")
	}
	return p.sso(w, r, req, sp, r.PostForm.Get("RelayState"))
}

// requester finds the SP that sent a request from its (still unverified)
// Issuer, which is the URL of its metadata.
func (p *IdP) requester(r *http.Request, req *authnRequest) (*spMetadata, error) {
	issuer := req.issuer()
	if issuer == "" {
		return nil, broken(10, "the request needs exactly one non-empty Issuer")
	}
	sp, err := p.spByEntityID(r.Context(), issuer)
	if err != nil {
		return nil, broken(10, "SP metadata from the Issuer: %v", err)
	}
	return sp, nil
}

// sso checks a request whose signature is verified and shows the login
// page; a broken rule the SP should hear about comes with a signed error
// Response the tester can send back.
func (p *IdP) sso(w http.ResponseWriter, r *http.Request, req *authnRequest, sp *spMetadata, relay string) error {
	c, bad := p.check(r, req, sp)
	if bad != nil {
		bad.trusted = true
		if anomalies[bad.Code].Status != "" {
			acs, ok := sp.defaultACS()
			if got, bad2 := checkACS(req, sp); bad2 == nil {
				acs, ok = got, true
			}
			if ok && acs.Binding == bindingPost {
				form, err := p.anomalyForm(r, sp, acs.Location, req.ID, relay, bad.Code)
				if err != nil {
					return err
				}
				bad.reply = form
			}
		}
		return bad
	}
	pend := &pending{
		Key:        newID(),
		RequestID:  req.ID,
		SP:         sp,
		Checked:    *c,
		RelayState: relay,
		Created:    p.cfg.Now(),
	}
	p.addPending(pend)
	p.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "spididp: authn request accepted",
		slog.String("sp", sp.EntityID), slog.String("request", req.ID), slog.Int("level", c.Level))
	return p.renderLogin(w, r, http.StatusOK, pend, "")
}

// addPending stores a pending login, dropping expired ones and, past
// pendingMax, the oldest.
func (p *IdP) addPending(pend *pending) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var oldest *pending
	for k, v := range p.pending {
		if pend.Created.Sub(v.Created) > pendingTTL {
			delete(p.pending, k)
			continue
		}
		if oldest == nil || v.Created.Before(oldest.Created) {
			oldest = v
		}
	}
	if len(p.pending) >= pendingMax && oldest != nil {
		delete(p.pending, oldest.Key)
	}
	p.pending[pend.Key] = pend
}

// peekPending returns a live pending login without consuming it.
func (p *IdP) peekPending(key string) (*pending, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pend, ok := p.pending[key]
	if !ok || p.cfg.Now().Sub(pend.Created) > pendingTTL {
		delete(p.pending, key)
		return nil, apperr.New(apperr.NotFound, "La richiesta di accesso è scaduta o è già stata usata: ricomincia dal servizio.")
	}
	return pend, nil
}

// takePending consumes a pending login, so that one request gets one
// answer.
func (p *IdP) takePending(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.pending, key)
}
