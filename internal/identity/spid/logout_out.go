package spid

import (
	"time"

	"github.com/sportello/sportello/internal/apperr"
)

// SessionRef names the IdP session a logout ends: the NameID (with its
// NameQualifier) and SessionIndex of the assertion that opened it, which
// the SP keeps with its own session for exactly this purpose.
type SessionRef struct {
	NameID, NameQualifier, SessionIndex string
}

// Status codes of a LogoutResponse (SAML core §3.2.2.2).
const (
	sloRequester     = "urn:oasis:names:tc:SAML:2.0:status:Requester"
	sloPartialLogout = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"
)

// LogoutRequest builds the signed, SP-initiated LogoutRequest of checklist
// item 25 (Regole tecniche "Single logout"): Issuer with entity format and
// NameQualifier, the session's transient NameID with its NameQualifier,
// and its SessionIndex, addressed to the IdP's SLO endpoint for the
// binding. It returns the request ID, which the caller stores (as a
// Pending with Logout set) to match the IdP's LogoutResponse. Kill the
// local session before sending it: the IdP may never answer.
func (sp *SP) LogoutRequest(idp *IdP, s SessionRef, binding Binding, relayState string, now time.Time) (*Outgoing, string, error) {
	if err := sp.checkSigner(); err != nil {
		return nil, "", err
	}
	if idp == nil {
		return nil, "", apperr.Errorf(apperr.Invalid, "spid: logout request: no IdP")
	}
	if s.NameID == "" || s.NameQualifier == "" || s.SessionIndex == "" {
		return nil, "", apperr.Errorf(apperr.Invalid, "spid: logout request: session has no NameID, NameQualifier or SessionIndex")
	}
	if err := opaqueRelayState(relayState, false); err != nil {
		return nil, "", err
	}
	dest, err := idpEndpoint(idp.SLORedirect, idp.SLOPost, binding, idp.EntityID, "SLO")
	if err != nil {
		return nil, "", err
	}
	id, err := newMessageID()
	if err != nil {
		return nil, "", err
	}
	req := sp.newProtocolMessage("LogoutRequest", id, dest, now)
	nid := req.CreateElement("saml:NameID")
	nid.CreateAttr("Format", NameIDTransient)
	nid.CreateAttr("NameQualifier", s.NameQualifier)
	nid.SetText(s.NameID)
	req.CreateElement("samlp:SessionIndex").SetText(s.SessionIndex)

	out, err := sp.send(req, binding, dest, formSAMLRequest, relayState)
	if err != nil {
		return nil, "", err
	}
	return out, id, nil
}

// LogoutResponse answers an IdP-initiated LogoutRequest (already verified
// by ParseLogoutRequest) with a signed LogoutResponse: Success when the
// local session is gone, or Requester with the second-level status
// PartialLogout when it could not be ended entirely, as SPID's single
// logout rules allow.
func (sp *SP) LogoutResponse(idp *IdP, inResponseTo string, partial bool, binding Binding, relayState string, now time.Time) (*Outgoing, error) {
	if err := sp.checkSigner(); err != nil {
		return nil, err
	}
	if idp == nil {
		return nil, apperr.Errorf(apperr.Invalid, "spid: logout response: no IdP")
	}
	if inResponseTo == "" {
		return nil, apperr.Errorf(apperr.Invalid, "spid: logout response: no request to answer")
	}
	if err := opaqueRelayState(relayState, false); err != nil {
		return nil, err
	}
	dest, err := idpEndpoint(idp.SLORedirect, idp.SLOPost, binding, idp.EntityID, "SLO")
	if err != nil {
		return nil, err
	}
	id, err := newMessageID()
	if err != nil {
		return nil, err
	}
	res := sp.newProtocolMessage("LogoutResponse", id, dest, now)
	res.CreateAttr("InResponseTo", inResponseTo)
	code := res.CreateElement("samlp:Status").CreateElement("samlp:StatusCode")
	if partial {
		code.CreateAttr("Value", sloRequester)
		code.CreateElement("samlp:StatusCode").CreateAttr("Value", sloPartialLogout)
	} else {
		code.CreateAttr("Value", StatusSuccess)
	}
	return sp.send(res, binding, dest, formSAMLResponse, relayState)
}
