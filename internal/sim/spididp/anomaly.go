package spididp

import (
	"fmt"
	"net/http"
)

// SAML status codes the anomalies use.
const (
	statusSuccess            = "urn:oasis:names:tc:SAML:2.0:status:Success"
	statusRequester          = "urn:oasis:names:tc:SAML:2.0:status:Requester"
	statusResponder          = "urn:oasis:names:tc:SAML:2.0:status:Responder"
	statusVersionMismatch    = "urn:oasis:names:tc:SAML:2.0:status:VersionMismatch"
	statusAuthnFailed        = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
	statusNoAuthnContext     = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"
	statusRequestDenied      = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
	statusRequestUnsupported = "urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported"
	statusNoPassive          = "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
)

// anomaly is one row of AgID's table of anomaly messages: what went wrong,
// and whether the IdP tells only the user (a courtesy page, HTTP 403) or
// also the SP (a Response whose StatusMessage is "ErrorCode nrNN").
type anomaly struct {
	// Scenario is the table's description, in Italian.
	Scenario string
	// Status and SubStatus are the SAML status codes sent to the SP;
	// an empty Status means the anomaly is shown to the user only.
	Status, SubStatus string
}

// anomalies are AgID's codes as the CIE ID technical manual and the SPID
// rules list them; 19, 20, 21, 22, 23 and 25 are the user's, the others
// the request's.
var anomalies = map[int]anomaly{
	4:  {Scenario: "Formato binding non corretto"},
	5:  {Scenario: "Verifica della firma fallita"},
	6:  {Scenario: "Binding su metodo HTTP errato"},
	7:  {Scenario: "Errore sulla verifica della firma della richiesta"},
	8:  {"Formato della richiesta non conforme alle specifiche SAML", statusRequester, ""},
	9:  {"Parametro version non presente, malformato o diverso da 2.0", statusVersionMismatch, ""},
	10: {Scenario: "Issuer non presente, malformato o non corrispondente all'entità che sottoscrive la richiesta"},
	11: {"Identificatore richiesta (ID) non presente, malformato o non conforme", statusRequester, ""},
	12: {"RequestedAuthnContext non presente, malformato o non previsto da SPID", statusRequester, statusNoAuthnContext},
	13: {"IssueInstant non presente, malformato o non coerente con l'orario di arrivo della richiesta", statusRequester, statusRequestDenied},
	14: {"Destination non presente, malformata o non coincidente con il gestore delle identità ricevente la richiesta", statusRequester, statusRequestUnsupported},
	15: {"Attributo IsPassive presente e valorizzato a true", statusRequester, statusNoPassive},
	16: {"AssertionConsumerService non correttamente valorizzato", statusRequester, statusRequestUnsupported},
	17: {"Attributo Format dell'elemento NameIDPolicy assente o non valorizzato secondo specifica", statusRequester, statusRequestUnsupported},
	18: {"AttributeConsumingServiceIndex malformato o che riferisce a un valore non registrato nei metadati del fornitore del servizio", statusRequester, statusRequestUnsupported},
	19: {"Autenticazione fallita per ripetuta sottomissione di credenziali errate", statusResponder, statusAuthnFailed},
	20: {"Utente privo di credenziali compatibili con il livello richiesto dal fornitore del servizio", statusResponder, statusAuthnFailed},
	21: {"Timeout durante l'autenticazione utente", statusResponder, statusAuthnFailed},
	22: {"Utente nega il consenso all'invio di dati al fornitore del servizio", statusResponder, statusAuthnFailed},
	23: {"Utente con identità sospesa, revocata o con credenziali bloccate", statusResponder, statusAuthnFailed},
	25: {"Processo di autenticazione annullato dall'utente", statusResponder, statusAuthnFailed},
}

// errorCode is the StatusMessage that names an anomaly, "ErrorCode nr25".
func errorCode(code int) string { return fmt.Sprintf("ErrorCode nr%02d", code) }

// ruleError is a request that breaks a rule of the SAML or SPID
// specification; the error page names the anomaly.
type ruleError struct {
	Code int
	// Detail says what exactly was wrong, for the developer reading the page.
	Detail string
	// trusted is set once the request's signature has been verified: only
	// then may the IdP answer the SP at all.
	trusted bool
	// reply, when the anomaly is one the SP is told about and the SP is
	// known, is a signed error Response the page offers to send back.
	reply *postForm
}

// httpStatus is 403 for a request the IdP cannot trust (bad binding,
// signature or issuer, or broken before its signature could be checked),
// which only the user is told about, and 400 for the others.
func (e *ruleError) httpStatus() int {
	if !e.trusted || anomalies[e.Code].Status == "" {
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

func (e *ruleError) Error() string { return errorCode(e.Code) + ": " + e.Detail }

func (e *ruleError) code() string { return errorCode(e.Code) }

// broken returns a ruleError for an anomaly code with a formatted detail.
func broken(code int, format string, args ...any) *ruleError {
	return &ruleError{Code: code, Detail: fmt.Sprintf(format, args...)}
}
