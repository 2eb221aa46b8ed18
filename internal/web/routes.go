package web

import (
	"net/http"

	"github.com/sportello/sportello/internal/identity"
)

// handlerFunc is what every handler is: it writes a response or returns an
// error, which handleError turns into a status page.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one entry of the routing table.
type route struct {
	pattern string
	h       handlerFunc
	// global routes answer on any host and see no ente (probes, metrics).
	global bool
	// personal pages are never cached by browsers or proxies.
	personal bool
	// cached pages are the same for every visitor: their rendering is kept
	// for a few seconds (see pageCache) when asked for without a query.
	cached bool
	// maxBody overrides the default cap on the request body (1 MiB).
	maxBody int64
	// audience says who may call the route (public when zero); perm is the
	// permission an operator route needs on the ente as a whole, checked
	// before the handler, which checks finer ones itself.
	audience audience
	perm     identity.Action
	// crossSite routes accept POSTs from other sites: the identity
	// providers' SAML bindings. They are protected by XML signatures and
	// a browser-bound request id instead of the Origin check.
	crossSite bool
}

const defaultMaxBody = 1 << 20

// routes is the whole routing table of the server: every route is here.
func (s *Server) routes() []route {
	return []route{
		// Probes and metrics, for load balancers and monitoring.
		{pattern: "GET /healthz", h: s.healthzShow, global: true},
		{pattern: "GET /readyz", h: s.readyzShow, global: true},
		{pattern: "GET /metrics", h: s.metricsShow, global: true},
		{pattern: "GET /static/", h: s.staticShow, global: true},
		{pattern: "GET /favicon.ico", h: s.faviconShow, global: true},

		// The comune's public site.
		{pattern: "GET /{$}", h: s.homeShow, cached: true},
		{pattern: "GET /amministrazione", h: s.sectionShow("amministrazione"), cached: true},
		{pattern: "GET /amministrazione/uffici", h: s.officesList, cached: true},
		{pattern: "GET /novita", h: s.sectionShow("novita"), cached: true},
		{pattern: "GET /servizi", h: s.servicesList, cached: true},
		{pattern: "GET /servizi/{service}", h: s.serviceShow, cached: true},
		{pattern: "GET /servizi/categoria/{category}", h: s.categoryShow, cached: true},
		{pattern: "GET /vivere", h: s.sectionShow("vivere"), cached: true},
		{pattern: "GET /argomenti", h: s.sectionShow("argomenti"), cached: true},
		{pattern: "GET /faq", h: s.infoShow("faq"), cached: true},
		{pattern: "GET /segnalazione-disservizio", h: s.infoShow("disservizio"), cached: true},
		{pattern: "GET /privacy", h: s.infoShow("privacy"), cached: true},
		{pattern: "GET /note-legali", h: s.infoShow("note-legali"), cached: true},
		{pattern: "GET /accessibilita", h: s.infoShow("accessibilita"), cached: true},
		{pattern: "GET /cerca", h: s.searchShow},
		{pattern: "GET /lingua/{lang}", h: s.languageSet},
		{pattern: "POST /valutazione", h: s.ratingCreate},

		// Appointments: the booking flow, with or without login; the held or
		// booked appointment is reached by its code and secret token.
		{pattern: "GET /prenota-appuntamento", h: s.bookingStart, personal: true},
		{pattern: "POST /prenota-appuntamento", h: s.bookingHold, personal: true},
		{pattern: "GET /prenota-appuntamento/data", h: s.bookingDays, personal: true},
		{pattern: "POST /prenota-appuntamento/lista-attesa", h: s.bookingWaitlist, personal: true},
		{pattern: "GET /prenota-appuntamento/{code}", h: s.bookingShow, personal: true},
		{pattern: "GET /prenota-appuntamento/{code}/calendario.ics", h: s.bookingICS, personal: true},
		{pattern: "GET /prenota-appuntamento/{code}/{step}", h: s.bookingStepShow, personal: true},
		{pattern: "POST /prenota-appuntamento/{code}/{step}", h: s.bookingStepSave, personal: true},

		// Citizens' login with SPID and CIE (SAML).
		{pattern: "GET /accedi", h: s.loginShow, personal: true},
		{pattern: "GET /spid/login", h: s.spidLogin, personal: true},
		{pattern: "POST /spid/acs", h: s.spidACS, personal: true, crossSite: true},
		{pattern: "GET /spid/slo", h: s.spidSLO, personal: true},
		{pattern: "POST /spid/slo", h: s.spidSLO, personal: true, crossSite: true},
		{pattern: "GET /spid/metadata", h: s.spidMetadata},
		{pattern: "GET /cie/metadata", h: s.cieMetadata},
		{pattern: "POST /esci", h: s.logout, personal: true, audience: citizens},

		// The citizen's personal area.
		{pattern: "GET /area-personale", h: s.dashboardShow, personal: true, audience: citizens},
		{pattern: "GET /area-personale/profilo", h: s.profileShow, personal: true, audience: citizens},
		{pattern: "POST /area-personale/profilo/recapiti", h: s.contactUpdate, personal: true, audience: citizens},
		{pattern: "POST /area-personale/profilo/conferma", h: s.contactConfirm, personal: true, audience: citizens},
		{pattern: "POST /area-personale/profilo/canali", h: s.channelsUpdate, personal: true, audience: citizens},
		{pattern: "POST /area-personale/sessioni/termina", h: s.sessionsEndAll, personal: true, audience: citizens},
		{pattern: "GET /area-personale/deleghe", h: s.delegationsList, personal: true, audience: citizens},
		{pattern: "POST /area-personale/deleghe", h: s.delegationCreate, personal: true, audience: citizens},
		{pattern: "POST /area-personale/deleghe/{id}/revoca", h: s.delegationRevoke, personal: true, audience: citizens},
		{pattern: "GET /area-personale/appuntamenti", h: s.appointmentsList, personal: true, audience: citizens},

		// Online services: the flow of a request, the citizen's pratiche.
		{pattern: "GET /area-personale/richiesta/{service}", h: s.serviceStart, personal: true, audience: citizens},
		{pattern: "POST /area-personale/richiesta/{service}", h: s.serviceCreate, personal: true, audience: citizens},
		{pattern: "GET /area-personale/pratiche", h: s.praticheList, personal: true, audience: citizens},
		{pattern: "GET /area-personale/pratiche/{id}", h: s.praticaShow, personal: true, audience: citizens},
		{pattern: "GET /area-personale/pratiche/{id}/{step}", h: s.draftShow, personal: true, audience: citizens},
		{pattern: "POST /area-personale/pratiche/{id}/{step}", h: s.draftSave, personal: true, audience: citizens, maxBody: 64 << 20},
		{pattern: "POST /area-personale/pratiche/{id}/invio", h: s.draftSubmit, personal: true, audience: citizens},
		{pattern: "POST /area-personale/pratiche/{id}/ritiro", h: s.praticaWithdraw, personal: true, audience: citizens},
		{pattern: "POST /area-personale/pratiche/{id}/messaggi", h: s.praticaMessage, personal: true, audience: citizens, maxBody: 110 << 20},
		{pattern: "GET /area-personale/pratiche/{id}/documenti/{doc}", h: s.praticaDocument, personal: true, audience: citizens},

		// Registry certificates: the citizen's own and their household's,
		// issued at once and kept among their documents.
		{pattern: "GET /area-personale/certificati", h: s.certificatesList, personal: true, audience: citizens},
		{pattern: "POST /area-personale/certificati", h: s.certificateRequest, personal: true, audience: citizens},
		{pattern: "GET /area-personale/certificati/{id}", h: s.certificateShow, personal: true, audience: citizens},
		{pattern: "GET /area-personale/certificati/{id}/pdf", h: s.certificateDownload, personal: true, audience: citizens},
		{pattern: "POST /area-personale/certificati/{id}/paga", h: s.certificateStampPay, personal: true, audience: citizens},
		// Anyone checks a certificate: a code, a scanned QR, or the file;
		// the ente's public keys for offline verification.
		{pattern: "GET /verifica", h: s.verifyShow},
		{pattern: "POST /verifica", h: s.verifyUpload, maxBody: verifyMaxBody + 64<<10},
		{pattern: "GET /.well-known/sportello-certificati.json", h: s.certificateKeys},
		// Payments (pagoPA): the Pagamenti tab, a notice, paying it through
		// Checkout and coming back, the avviso, a spontaneous payment.
		{pattern: "GET /area-personale/pagamenti", h: s.paymentsList, personal: true, audience: citizens},
		{pattern: "POST /area-personale/pagamenti", h: s.paymentCreate, personal: true, audience: citizens},
		{pattern: "GET /area-personale/pagamenti/{id}", h: s.paymentShow, personal: true, audience: citizens},
		{pattern: "POST /area-personale/pagamenti/{id}/paga", h: s.paymentPay, personal: true, audience: citizens},
		{pattern: "GET /area-personale/pagamenti/{id}/esito/{outcome}", h: s.paymentReturn, personal: true, audience: citizens},
		{pattern: "GET /area-personale/pagamenti/{id}/avviso", h: s.paymentNotice, personal: true, audience: citizens},
		// The own pagoPA station: the Node's SOAP calls, for every ente the
		// station serves (it tells them apart by idPA, not by host).
		{pattern: "POST /pagopa/stazione", h: s.stationServe, global: true, maxBody: stationMaxBody},

		// Operators: login with password and second factor.
		{pattern: "GET /operatori/accedi", h: s.operatorLoginShow, personal: true},
		{pattern: "POST /operatori/accedi", h: s.operatorLoginCreate, personal: true},
		{pattern: "GET /operatori/accedi/codice", h: s.secondFactorShow, personal: true, audience: halfOperators},
		{pattern: "POST /operatori/accedi/codice", h: s.secondFactorCreate, personal: true, audience: halfOperators},
		{pattern: "POST /operatori/esci", h: s.operatorLogout, personal: true, audience: operators},

		// Operators' security keys (WebAuthn), an option beside TOTP: the
		// second factor of a login, and the page to add and remove keys.
		{pattern: "POST /operatori/accedi/webauthn/inizio", h: s.webauthnLoginBegin, personal: true, audience: halfOperators, maxBody: webauthnMaxBody},
		{pattern: "POST /operatori/accedi/webauthn/fine", h: s.webauthnLoginFinish, personal: true, audience: halfOperators, maxBody: webauthnMaxBody},
		{pattern: "GET /ufficio/sicurezza", h: s.securityShow, personal: true, audience: operators},
		{pattern: "POST /ufficio/sicurezza/webauthn/inizio", h: s.webauthnRegistrationBegin, personal: true, audience: operators, maxBody: webauthnMaxBody},
		{pattern: "POST /ufficio/sicurezza/webauthn/fine", h: s.webauthnRegistrationFinish, personal: true, audience: operators, maxBody: webauthnMaxBody},
		{pattern: "POST /ufficio/sicurezza/webauthn/{id}/rimuovi", h: s.webauthnCredentialRemove, personal: true, audience: operators},

		// The back office.
		{pattern: "GET /ufficio", h: s.officeHome, personal: true, audience: operators},
		// The desk console: today's appointments and the queue, the mobile
		// operator's home visits, the interaction log and its statistics,
		// the citizen view (every view audited with its reason).
		{pattern: "GET /sportello", h: s.deskShow(false), personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "GET /sportello/domicilio", h: s.deskShow(true), personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "POST /sportello/accoglienza", h: s.deskCheckIn, personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "POST /sportello/chiama", h: s.deskCallNext, personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "POST /sportello/esito/{id}", h: s.deskOutcome, personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "GET /sportello/contatti", h: s.deskContactsShow, personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "POST /sportello/contatti", h: s.deskContactCreate, personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "GET /sportello/statistiche", h: s.deskStats, personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "GET /sportello/cittadini", h: s.deskCitizenSearch, personal: true, audience: operators, perm: identity.ViewCitizenData},
		{pattern: "GET /sportello/cittadini/{id}", h: s.deskCitizenShow, personal: true, audience: operators, perm: identity.ViewCitizenData},
		{pattern: "GET /sportello/cittadini/{id}/pagamenti/{payment}/avviso", h: s.deskNoticePrint, personal: true, audience: operators, perm: identity.ViewCitizenData},
		{pattern: "GET /sportello/pratiche/nuova", h: s.deskFilingShow, personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "POST /sportello/pratiche/nuova", h: s.deskFilingCreate, personal: true, audience: operators, perm: identity.FileOnBehalf},
		// Filing on behalf, in person: the citizen's form pages filled in
		// at the desk, sent, and the receipt printed or e-mailed.
		{pattern: "GET /sportello/pratiche/{id}", h: s.deskFiledShow, personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "GET /sportello/pratiche/{id}/{step}", h: s.deskDraftShow, personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "POST /sportello/pratiche/{id}/{step}", h: s.deskDraftSave, personal: true, audience: operators, perm: identity.FileOnBehalf, maxBody: 64 << 20},
		{pattern: "POST /sportello/pratiche/{id}/invio", h: s.deskDraftSubmit, personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "GET /sportello/pratiche/{id}/ricevuta", h: s.deskReceiptPrint, personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "POST /sportello/pratiche/{id}/ricevuta", h: s.deskReceiptMail, personal: true, audience: operators, perm: identity.FileOnBehalf},
		// The waiting room's screen: public, numbers only.
		{pattern: "GET /coda/{office}", h: s.queueScreen},
		{pattern: "GET /sportello/deleghe", h: s.deskDelegationShow, personal: true, audience: operators, perm: identity.ManageDelegations},
		{pattern: "POST /sportello/deleghe", h: s.deskDelegationCreate, personal: true, audience: operators, perm: identity.ManageDelegations},
		{pattern: "GET /sportello/certificati", h: s.deskCertificateShow, personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "POST /sportello/certificati", h: s.deskCertificateIssue, personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "GET /sportello/certificati/{id}/pdf", h: s.deskCertificatePrint, personal: true, audience: operators, perm: identity.FileOnBehalf},
		// The registrar revokes a certificate issued on wrong data.
		{pattern: "GET /sportello/certificati/revoca", h: s.certificateRevokeShow, personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "POST /sportello/certificati/revoca", h: s.certificateRevoke, personal: true, audience: operators, perm: identity.FileOnBehalf},
		{pattern: "GET /amministrazione-ente/operatori", h: s.operatorsList, personal: true, audience: operators, perm: identity.ManageOperators},
		{pattern: "POST /amministrazione-ente/operatori", h: s.operatorCreate, personal: true, audience: operators, perm: identity.ManageOperators},
		{pattern: "POST /amministrazione-ente/operatori/{id}/disattiva", h: s.operatorDisable, personal: true, audience: operators, perm: identity.ManageOperators},
		{pattern: "GET /amministrazione-ente/sessioni", h: s.sessionsList, personal: true, audience: operators, perm: identity.EndAnySession},
		{pattern: "POST /amministrazione-ente/sessioni/{id}/termina", h: s.sessionEnd, personal: true, audience: operators, perm: identity.EndAnySession},
		{pattern: "GET /amministrazione-ente/registro", h: s.auditList, personal: true, audience: operators, perm: identity.ViewAudit},
		// Certificates' stamp duty and fees.
		{pattern: "GET /amministrazione-ente/certificati", h: s.certSettingsShow, personal: true, audience: operators, perm: identity.ManageEnte},
		{pattern: "POST /amministrazione-ente/certificati", h: s.certSettingsSave, personal: true, audience: operators, perm: identity.ManageEnte},
		// The service catalogue, edited by the ente's administrators: the
		// list, the editor, a preview that stores nothing, the publication.
		{pattern: "GET /amministrazione-ente/servizi", h: s.catalogList, personal: true, audience: operators, perm: identity.ManageEnte},
		{pattern: "GET /amministrazione-ente/servizi/{service}", h: s.serviceEdit, personal: true, audience: operators, perm: identity.ManageEnte},
		{pattern: "POST /amministrazione-ente/servizi/{service}/anteprima", h: s.servicePreview, personal: true, audience: operators, perm: identity.ManageEnte},
		{pattern: "POST /amministrazione-ente/servizi/{service}", h: s.servicePublish, personal: true, audience: operators, perm: identity.ManageEnte},
		// The offices' booking calendars and closures, by the ente's
		// administrators.
		{pattern: "GET /amministrazione-ente/calendari", h: s.calendarsList, personal: true, audience: operators, perm: identity.ManageEnte},
		{pattern: "GET /amministrazione-ente/calendari/nuovo", h: s.calendarNew, personal: true, audience: operators, perm: identity.ManageEnte},
		{pattern: "POST /amministrazione-ente/calendari", h: s.calendarCreate, personal: true, audience: operators, perm: identity.ManageEnte},
		{pattern: "GET /amministrazione-ente/calendari/{id}", h: s.calendarEdit, personal: true, audience: operators, perm: identity.ManageEnte},
		{pattern: "POST /amministrazione-ente/calendari/{id}", h: s.calendarUpdate, personal: true, audience: operators, perm: identity.ManageEnte},
		{pattern: "POST /amministrazione-ente/calendari/chiusure", h: s.closureCreate, personal: true, audience: operators, perm: identity.ManageEnte},
		{pattern: "POST /amministrazione-ente/calendari/chiusure/{id}/elimina", h: s.closureDelete, personal: true, audience: operators, perm: identity.ManageEnte},

		// The back office's pratiche: each office's queue and its exports,
		// the pratica with the office's actions, the statistics. The office
		// checks are the handlers': clerks and heads hold their roles per
		// office (see officePratica, queueOffices).
		{pattern: "GET /ufficio/pratiche", h: s.queueShow, personal: true, audience: operators},
		{pattern: "POST /ufficio/pratiche/azioni", h: s.queueBulk, personal: true, audience: operators},
		{pattern: "GET /ufficio/pratiche/esporta.csv", h: s.queueExportCSV, personal: true, audience: operators},
		{pattern: "GET /ufficio/pratiche/esporta.xlsx", h: s.queueExportXLSX, personal: true, audience: operators},
		{pattern: "GET /ufficio/pratiche/{id}", h: s.praticaOfficeShow, personal: true, audience: operators},
		{pattern: "GET /ufficio/pratiche/{id}/documenti/{doc}", h: s.praticaDocumentOffice, personal: true, audience: operators},
		{pattern: "POST /ufficio/pratiche/{id}/presa-in-carico", h: s.praticaAct("presa-in-carico"), personal: true, audience: operators},
		{pattern: "POST /ufficio/pratiche/{id}/assegna", h: s.praticaAct("assegna"), personal: true, audience: operators},
		{pattern: "POST /ufficio/pratiche/{id}/integrazione", h: s.praticaAct("integrazione"), personal: true, audience: operators},
		{pattern: "POST /ufficio/pratiche/{id}/nota", h: s.praticaAct("nota"), personal: true, audience: operators},
		{pattern: "POST /ufficio/pratiche/{id}/esito", h: s.praticaAct("esito"), personal: true, audience: operators},
		{pattern: "POST /ufficio/pratiche/{id}/chiusura", h: s.praticaAct("chiusura"), personal: true, audience: operators},
		{pattern: "POST /ufficio/pratiche/{id}/pagamento", h: s.praticaAct("pagamento"), personal: true, audience: operators},
		{pattern: "GET /ufficio/statistiche", h: s.statsShow, personal: true, audience: operators},
		// The finance office's reconciliation of payments with the PSPs'
		// flows (its clerks and heads: see requireFinance).
		{pattern: "GET /ufficio/riconciliazione", h: s.reconciliationShow, personal: true, audience: operators},
		// An office's appointments, today and the days ahead, for its
		// clerks and head (the office check is the handler's).
		{pattern: "GET /ufficio/appuntamenti", h: s.officeAppointments, personal: true, audience: operators},
		// Transparency: the same processing times, for everyone.
		{pattern: "GET /tempi-medi-dei-procedimenti", h: s.tempiShow, cached: true},

		// Anything else: the ente's own "page not found".
		{pattern: "/", h: s.notFound},
	}
}
