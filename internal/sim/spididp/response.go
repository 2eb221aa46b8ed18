package spididp

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/beevik/etree"
)

// Fault is what the tester asks the IdP to get wrong. Each one changes one
// thing in an otherwise correct answer, so that a test learns which check of
// the SP caught it (or did not).
type Fault string

// The faults the login page offers. The anomalies are those a real IdP
// reports with "ErrorCode nrNN"; the others are defects the SP must refuse.
const (
	FaultNone Fault = ""
	// User anomalies: a signed Response with status Responder/AuthnFailed,
	// StatusMessage "ErrorCode nrNN" and no assertion.
	FaultWrongCredentials Fault = "nr19"
	FaultNoCredentials    Fault = "nr20"
	FaultTimeout          Fault = "nr21"
	FaultConsentDenied    Fault = "nr22"
	FaultBlocked          Fault = "nr23"
	FaultCancelled        Fault = "nr25"
	// FaultAudience names another SP in the AudienceRestriction.
	FaultAudience Fault = "audience"
	// FaultExpired puts the Conditions window in the past.
	FaultExpired Fault = "expired"
	// FaultConfirmationExpired puts SubjectConfirmationData's NotOnOrAfter
	// in the past, Conditions unchanged.
	FaultConfirmationExpired Fault = "confirmation-expired"
	// FaultUnsignedAssertion leaves the Assertion unsigned under a signed
	// Response (SPID case 03, which generic SAML libraries accept).
	FaultUnsignedAssertion Fault = "unsigned-assertion"
	// FaultReplay posts again the previous successful Response sent to
	// the same SP, byte for byte.
	FaultReplay Fault = "replay"
	// FaultUnknownKey signs Response and Assertion with a key the SP has
	// never seen, its certificate in KeyInfo (SPID case 05).
	FaultUnknownKey Fault = "unknown-key"
	// FaultInResponseTo answers a request the SP never sent: the
	// Response's and the SubjectConfirmationData's InResponseTo.
	FaultInResponseTo Fault = "in-response-to"
)

// faultChoice is one fault as the login page offers it.
type faultChoice struct {
	Fault Fault
	Label string
}

// faultLabels are the login page's choices, in order.
var faultLabels = []faultChoice{
	{FaultNone, "Nessuna: accesso riuscito"},
	{FaultCancelled, "L'utente annulla (ErrorCode nr25)"},
	{FaultWrongCredentials, "Credenziali errate ripetute (ErrorCode nr19)"},
	{FaultNoCredentials, "Credenziali non adeguate al livello (ErrorCode nr20)"},
	{FaultTimeout, "Tempo scaduto (ErrorCode nr21)"},
	{FaultConsentDenied, "Consenso negato (ErrorCode nr22)"},
	{FaultBlocked, "Identità sospesa o revocata (ErrorCode nr23)"},
	{FaultAudience, "Audience di un altro servizio"},
	{FaultExpired, "Asserzione scaduta (Conditions)"},
	{FaultConfirmationExpired, "Conferma del soggetto scaduta (SubjectConfirmationData)"},
	{FaultUnsignedAssertion, "Asserzione non firmata"},
	{FaultReplay, "Ripeti la risposta precedente (replay)"},
	{FaultUnknownKey, "Firma con una chiave sconosciuta"},
	{FaultInResponseTo, "InResponseTo di un'altra richiesta"},
}

// known reports whether f is one of the faults the page offers.
func (f Fault) known() bool {
	return slices.ContainsFunc(faultLabels, func(c faultChoice) bool { return c.Fault == f })
}

// anomalyCode returns the anomaly number of a user-anomaly fault.
func (f Fault) anomalyCode() (int, bool) {
	if len(f) != 4 || f[:2] != "nr" {
		return 0, false
	}
	n, err := strconv.Atoi(string(f[2:]))
	return n, err == nil
}

// Validity of what the IdP issues: SPID IdPs give five minutes.
const assertionTTL = 5 * time.Minute

// otherAudience is the SP named by FaultAudience.
const otherAudience = "https://altro-servizio.example.org/metadata"

// grant is everything a successful Response says.
type grant struct {
	Now          time.Time
	IdP          string
	SP           string
	ACS          string
	RequestID    string
	Identity     Identity
	Level        int
	Attributes   []string // names to release; nil for no AttributeStatement
	NameID       string
	SessionIndex string
	Fault        Fault
}

// newResponse starts a samlp:Response with its Issuer.
func newResponse(now time.Time, idp, acs, inResponseTo string) *etree.Element {
	resp := etree.NewElement("samlp:Response")
	resp.CreateAttr("xmlns:samlp", nsSAMLP)
	resp.CreateAttr("xmlns:saml", nsSAML)
	resp.CreateAttr("ID", newID())
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", samlTime(now))
	if inResponseTo != "" {
		resp.CreateAttr("InResponseTo", inResponseTo)
	}
	resp.CreateAttr("Destination", acs)
	issuer(resp, idp)
	return resp
}

// issuer adds a saml:Issuer with Format entity, as SPID wants everywhere.
func issuer(parent *etree.Element, entityID string) {
	is := parent.CreateElement("saml:Issuer")
	is.CreateAttr("Format", nameIDEntity)
	is.SetText(entityID)
}

// status adds a samlp:Status.
func status(parent *etree.Element, code, sub, message string) {
	st := parent.CreateElement("samlp:Status")
	sc := st.CreateElement("samlp:StatusCode")
	sc.CreateAttr("Value", code)
	if sub != "" {
		sc.CreateElement("samlp:StatusCode").CreateAttr("Value", sub)
	}
	if message != "" {
		st.CreateElement("samlp:StatusMessage").SetText(message)
	}
}

// anomalyResponse is a signed Response with the anomaly's status and
// "ErrorCode nrNN", and no assertion: how an IdP tells the SP that the user
// gave up or the request was wrong.
func (p *IdP) anomalyResponse(now time.Time, idp, acs, inResponseTo string, code int) ([]byte, error) {
	a := anomalies[code]
	resp := newResponse(now, idp, acs, inResponseTo)
	status(resp, a.Status, a.SubStatus, errorCode(code))
	if err := signEnveloped(resp, p.key, p.cert); err != nil {
		return nil, fmt.Errorf("response: %w", err)
	}
	return serialize(resp)
}

// successResponse builds the signed Response and Assertion of a login,
// changed as the grant's fault says.
func (p *IdP) successResponse(g grant) ([]byte, error) {
	key, cert := p.key, p.cert
	if g.Fault == FaultUnknownKey {
		var err error
		if key, cert, err = p.foreignPair(); err != nil {
			return nil, err
		}
	}
	inResponseTo := g.RequestID
	if g.Fault == FaultInResponseTo {
		inResponseTo = newID()
	}
	resp := newResponse(g.Now, g.IdP, g.ACS, inResponseTo)
	status(resp, statusSuccess, "", "")
	as, err := assertion(g, inResponseTo, key, cert)
	if err != nil {
		return nil, err
	}
	resp.AddChild(as)
	if err := signEnveloped(resp, key, cert); err != nil {
		return nil, fmt.Errorf("response: %w", err)
	}
	return serialize(resp)
}

// assertion builds the saml:Assertion, signed on its own (SPID requires
// it whether or not the Response is signed). It declares its namespaces
// itself so that its signature holds once moved into the Response.
func assertion(g grant, inResponseTo string, key *rsa.PrivateKey, cert *x509.Certificate) (*etree.Element, error) {
	now := g.Now
	as := etree.NewElement("saml:Assertion")
	as.CreateAttr("xmlns:saml", nsSAML)
	as.CreateAttr("xmlns:xs", nsXS)
	as.CreateAttr("xmlns:xsi", nsXSI)
	as.CreateAttr("ID", newID())
	as.CreateAttr("Version", "2.0")
	as.CreateAttr("IssueInstant", samlTime(now))
	issuer(as, g.IdP)

	subj := as.CreateElement("saml:Subject")
	nid := subj.CreateElement("saml:NameID")
	nid.CreateAttr("Format", nameIDTransient)
	nid.CreateAttr("NameQualifier", g.IdP)
	nid.SetText(g.NameID)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	scd.CreateAttr("InResponseTo", inResponseTo)
	confirmUntil := now.Add(assertionTTL)
	if g.Fault == FaultConfirmationExpired {
		// Well past any SP's tolerated clock skew (a few minutes at most),
		// so that the fault is an expiry and not a matter of clocks.
		confirmUntil = now.Add(-10 * time.Minute)
	}
	scd.CreateAttr("NotOnOrAfter", samlTime(confirmUntil))
	scd.CreateAttr("Recipient", g.ACS)

	notBefore, notAfter := now, now.Add(assertionTTL)
	if g.Fault == FaultExpired {
		notBefore, notAfter = now.Add(-2*assertionTTL), now.Add(-assertionTTL)
	}
	cond := as.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", samlTime(notBefore))
	cond.CreateAttr("NotOnOrAfter", samlTime(notAfter))
	audience := g.SP
	if g.Fault == FaultAudience {
		audience = otherAudience
	}
	cond.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(audience)

	st := as.CreateElement("saml:AuthnStatement")
	st.CreateAttr("AuthnInstant", samlTime(now))
	st.CreateAttr("SessionIndex", g.SessionIndex)
	st.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").
		SetText(fmt.Sprintf("https://www.spid.gov.it/SpidL%d", g.Level))

	if g.Attributes != nil {
		stmt := etree.NewElement("saml:AttributeStatement")
		for _, name := range g.Attributes {
			v, typ, ok := g.Identity.value(name)
			if !ok {
				continue
			}
			a := stmt.CreateElement("saml:Attribute")
			a.CreateAttr("Name", name)
			a.CreateAttr("NameFormat", attrnameBasic)
			av := a.CreateElement("saml:AttributeValue")
			av.CreateAttr("xsi:type", typ)
			av.SetText(v)
		}
		if len(stmt.ChildElements()) > 0 {
			as.AddChild(stmt)
		}
	}
	if g.Fault == FaultUnsignedAssertion {
		return as, nil
	}
	if err := signEnveloped(as, key, cert); err != nil {
		return nil, fmt.Errorf("assertion: %w", err)
	}
	return as, nil
}

// postForm is a message the browser carries to an SP by HTTP-POST.
type postForm struct {
	Action string
	// Field is SAMLResponse or SAMLRequest.
	Field      string
	Value      string
	RelayState string
	// SPName is shown to the tester.
	SPName string
}

// anomalyForm wraps an anomaly Response in a form for the SP's ACS.
func (p *IdP) anomalyForm(r *http.Request, sp *spMetadata, acs, inResponseTo, relay string, code int) (*postForm, error) {
	b, err := p.anomalyResponse(p.cfg.Now(), p.EntityID(r), acs, inResponseTo, code)
	if err != nil {
		return nil, err
	}
	return &postForm{Action: acs, Field: "SAMLResponse", Value: base64.StdEncoding.EncodeToString(b),
		RelayState: relay, SPName: sp.Name}, nil
}
