package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/desk"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/tenant"
)

// The principals of the access matrix, in the order of each verdict string.
const (
	pAnon = iota
	pCitizenA
	pCitizenB
	pDelegateA
	pDesk
	pClerkX
	pClerkY
	pAdmin
	pOtherEnte
	nPrincipals
)

var principalNames = [nPrincipals]string{"anonymous", "citizen A", "citizen B", "delegate of A",
	"desk operator", "clerk of office X", "clerk of office Y", "ente administrator", "operator of another ente"}

// accessCase is how one route is called and what each principal gets:
// one letter per principal, in the order above. A: allowed (the handler
// ran: 2xx, 3xx elsewhere than a login page, 400, 409, 422); L: sent to a
// login page; F: 403; N: 404 (the thing is not theirs). A 401 is a
// refused credential on a login form, which the handler answered: A.
type accessCase struct {
	path string
	form url.Values
	want string
}

// accessMatrix classifies every route of routes.go. A route missing here
// fails TestAccessMatrix: a new route must be classified before it lands.
func accessMatrix(f *accessFixture) map[string]accessCase {
	delegation := strconv.FormatInt(int64(f.delegation), 10)
	victim := strconv.FormatInt(int64(f.victim), 10)
	draft := "/area-personale/pratiche/" + strconv.FormatInt(int64(f.draft), 10)
	victimSession := "/amministrazione-ente/sessioni/" + strconv.FormatInt(int64(f.victimSession), 10) + "/termina"
	boPage, boDoc := officeAccessPaths(f)
	deskDraft := "/sportello/pratiche/" + strconv.FormatInt(int64(f.deskDraft), 10)
	all := "AAAAAAAAA"
	return map[string]accessCase{
		"GET /healthz":     {path: "/healthz", want: all},
		"GET /readyz":      {path: "/readyz", want: all},
		"GET /metrics":     {path: "/metrics", want: all},
		"GET /static/":     {path: "/static/css/sportello.css", want: all},
		"GET /favicon.ico": {path: "/favicon.ico", want: all},

		"GET /{$}":                          {path: "/", want: all},
		"GET /amministrazione":              {path: "/amministrazione", want: all},
		"GET /amministrazione/uffici":       {path: "/amministrazione/uffici", want: all},
		"GET /novita":                       {path: "/novita", want: all},
		"GET /servizi":                      {path: "/servizi", want: all},
		"GET /servizi/{service}":            {path: "/servizi/certificati-anagrafici", want: all},
		"GET /servizi/categoria/{category}": {path: "/servizi/categoria/anagrafe-e-stato-civile", want: all},
		"GET /vivere":                       {path: "/vivere", want: all},
		"GET /argomenti":                    {path: "/argomenti", want: all},
		"GET /faq":                          {path: "/faq", want: all},
		"GET /segnalazione-disservizio":     {path: "/segnalazione-disservizio", want: all},
		"GET /privacy":                      {path: "/privacy", want: all},
		"GET /note-legali":                  {path: "/note-legali", want: all},
		"GET /accessibilita":                {path: "/accessibilita", want: all},
		"GET /cerca":                        {path: "/cerca?q=anagrafe", want: all},
		"GET /lingua/{lang}":                {path: "/lingua/en?next=/", want: all},
		"POST /valutazione":                 {path: "/valutazione", form: url.Values{"page": {"/"}, "useful": {"yes"}, "stars": {"5"}}, want: all},
		"GET /accedi":                       {path: "/accedi", want: all},
		"GET /spid/login":                   {path: "/spid/login?idp=https%3A%2F%2Funknown.example", want: all},
		"POST /spid/acs":                    {path: "/spid/acs", form: url.Values{"SAMLResponse": {"PHg+"}}, want: all},
		"GET /spid/slo":                     {path: "/spid/slo", want: all},
		"POST /spid/slo":                    {path: "/spid/slo", form: url.Values{"SAMLRequest": {"PHg+"}}, want: all},
		"GET /spid/metadata":                {path: "/spid/metadata", want: all},
		"GET /cie/metadata":                 {path: "/cie/metadata", want: all},
		"POST /esci":                        {path: "/esci", want: "LAAALLLLL"},
		"GET /area-personale":               {path: "/area-personale", want: "LAAALLLLL"},
		"GET /area-personale/profilo":       {path: "/area-personale/profilo", want: "LAAALLLLL"},
		"POST /area-personale/profilo/recapiti": {path: "/area-personale/profilo/recapiti",
			form: url.Values{"kind": {"email"}, "value": {"nuovo@example.org"}}, want: "LAAALLLLL"},
		"POST /area-personale/profilo/conferma": {path: "/area-personale/profilo/conferma",
			form: url.Values{"kind": {"email"}, "code": {"000000"}}, want: "LAAALLLLL"},
		"POST /area-personale/profilo/canali":   {path: "/area-personale/profilo/canali", form: url.Values{"channel": {"appio"}}, want: "LAAALLLLL"},
		"POST /area-personale/sessioni/termina": {path: "/area-personale/sessioni/termina", want: "LAAALLLLL"},
		"GET /area-personale/deleghe":           {path: "/area-personale/deleghe", want: "LAAALLLLL"},
		"GET /area-personale/appuntamenti":      {path: "/area-personale/appuntamenti", want: "LAAALLLLL"},

		// Booking: public; a held or booked appointment's pages need its
		// code and token, whoever asks (the case with a wrong token is
		// TestBookingNeedsTheToken).
		"GET /prenota-appuntamento":                       {path: "/prenota-appuntamento?servizio=certificati-anagrafici", want: all},
		"POST /prenota-appuntamento":                      {path: "/prenota-appuntamento", form: url.Values{"servizio": {"certificati-anagrafici"}}, want: all},
		"GET /prenota-appuntamento/data":                  {path: "/prenota-appuntamento/data?servizio=certificati-anagrafici&ufficio=parla&canale=desk", want: all},
		"POST /prenota-appuntamento/lista-attesa":         {path: "/prenota-appuntamento/lista-attesa", form: url.Values{"servizio": {"certificati-anagrafici"}, "ufficio": {"parla"}, "canale": {"desk"}}, want: all},
		"GET /prenota-appuntamento/{code}":                {path: f.booked, want: all},
		"GET /prenota-appuntamento/{code}/calendario.ics": {path: strings.Replace(f.booked, "?", "/calendario.ics?", 1), want: all},
		"GET /prenota-appuntamento/{code}/{step}":         {path: strings.Replace(f.held, "?", "/dettagli?", 1), want: all},
		"POST /prenota-appuntamento/{code}/{step}":        {path: strings.Replace(f.held, "?", "/dettagli?", 1), form: url.Values{"reason": {""}}, want: all},
		"POST /area-personale/deleghe":                    {path: "/area-personale/deleghe", form: url.Values{"delegate_cf": {"x"}}, want: "LAAALLLLL"},
		// Online services: only the citizen's own pratiche.
		"GET /area-personale/richiesta/{service}":  {path: "/area-personale/richiesta/accesso-agli-atti", want: "LAAALLLLL"},
		"POST /area-personale/richiesta/{service}": {path: "/area-personale/richiesta/accesso-agli-atti", want: "LAAALLLLL"},
		"GET /area-personale/pratiche":             {path: "/area-personale/pratiche", want: "LAAALLLLL"},
		"GET /area-personale/pratiche/{id}":        {path: draft, want: "LANNLLLLL"},
		"GET /area-personale/pratiche/{id}/{step}": {path: draft + "/" + f.draftStep, want: "LANNLLLLL"},
		"POST /area-personale/pratiche/{id}/{step}": {path: draft + "/" + f.draftStep, form: url.Values{"_action": {"save"}},
			want: "LANNLLLLL"},
		"POST /area-personale/pratiche/{id}/invio":          {path: draft + "/invio", form: url.Values{"token": {"x"}}, want: "LANNLLLLL"},
		"POST /area-personale/pratiche/{id}/ritiro":         {path: draft + "/ritiro", want: "LANNLLLLL"},
		"POST /area-personale/pratiche/{id}/messaggi":       {path: draft + "/messaggi", form: url.Values{"text": {"x"}}, want: "LANNLLLLL"},
		"GET /area-personale/pratiche/{id}/documenti/{doc}": {path: draft + "/documenti/1", want: "LNNNLLLLL"},
		// Payments: only the citizen's own notices (a delegate pays with
		// the notice code), and the avviso of the citizen's own.
		"GET /area-personale/pagamenti":                      {path: "/area-personale/pagamenti", want: "LAAALLLLL"},
		"POST /area-personale/pagamenti":                     {path: "/area-personale/pagamenti", form: url.Values{"voce": {"diritti-segreteria"}}, want: "LAAALLLLL"},
		"GET /area-personale/pagamenti/{id}":                 {path: paymentURL(f.payment), want: "LANNLLLLL"},
		"POST /area-personale/pagamenti/{id}/paga":           {path: paymentURL(f.payment) + "/paga", want: "LANNLLLLL"},
		"GET /area-personale/pagamenti/{id}/esito/{outcome}": {path: paymentURL(f.payment) + "/esito/annullato", want: "LANNLLLLL"},
		"GET /area-personale/pagamenti/{id}/avviso":          {path: paymentURL(f.payment) + "/avviso", want: "LANNLLLLL"},
		// Only the citizen who gave the delegation may revoke it.
		"POST /area-personale/deleghe/{id}/revoca": {path: "/area-personale/deleghe/" + delegation + "/revoca", want: "LANNLLLLL"},

		"GET /operatori/accedi":         {path: "/operatori/accedi", want: all},
		"POST /operatori/accedi":        {path: "/operatori/accedi", form: url.Values{"username": {"nessuno"}, "password": {"sbagliata"}}, want: "AAAAAAAAA"},
		"GET /operatori/accedi/codice":  {path: "/operatori/accedi/codice", want: "LLLLLLLLL"},
		"POST /operatori/accedi/codice": {path: "/operatori/accedi/codice", form: url.Values{"code": {"123456"}}, want: "LLLLLLLLL"},
		"POST /operatori/esci":          {path: "/operatori/esci", want: "LLLLAAAAL"},

		// Security keys: nobody in the matrix is half-way through a login;
		// an operator removes only their own keys (999999 is nobody's).
		"POST /operatori/accedi/webauthn/inizio":        {path: "/operatori/accedi/webauthn/inizio", want: "LLLLLLLLL"},
		"POST /operatori/accedi/webauthn/fine":          {path: "/operatori/accedi/webauthn/fine", want: "LLLLLLLLL"},
		"GET /ufficio/sicurezza":                        {path: "/ufficio/sicurezza", want: "LLLLAAAAL"},
		"POST /ufficio/sicurezza/webauthn/inizio":       {path: "/ufficio/sicurezza/webauthn/inizio", want: "LLLLAAAAL"},
		"POST /ufficio/sicurezza/webauthn/fine":         {path: "/ufficio/sicurezza/webauthn/fine", form: url.Values{"name": {"x"}}, want: "LLLLAAAAL"},
		"POST /ufficio/sicurezza/webauthn/{id}/rimuovi": {path: "/ufficio/sicurezza/webauthn/999999/rimuovi", want: "LLLLNNNNL"},

		"GET /ufficio":                   {path: "/ufficio", want: "LLLLAAAAL"},
		"GET /sportello/deleghe":         {path: "/sportello/deleghe", want: "LLLLAFFAL"},
		"GET /sportello":                 {path: "/sportello", want: "LLLLAFFFL"},
		"GET /sportello/domicilio":       {path: "/sportello/domicilio", want: "LLLLAFFFL"},
		"POST /sportello/accoglienza":    {path: "/sportello/accoglienza", form: url.Values{"label": {"Prova"}}, want: "LLLLAFFFL"},
		"POST /sportello/chiama":         {path: "/sportello/chiama", want: "LLLLAFFFL"},
		"POST /sportello/esito/{id}":     {path: "/sportello/esito/999999", form: url.Values{"esito": {"served"}}, want: "LLLLAFFFL"},
		"GET /sportello/contatti":        {path: "/sportello/contatti", want: "LLLLAFFFL"},
		"POST /sportello/contatti":       {path: "/sportello/contatti", form: url.Values{"kind": {"other"}}, want: "LLLLAFFFL"},
		"GET /sportello/statistiche":     {path: "/sportello/statistiche", want: "LLLLAFFFL"},
		"GET /sportello/cittadini":       {path: "/sportello/cittadini?q=prova", want: "LLLLAFFFL"},
		"GET /sportello/cittadini/{id}":  {path: "/sportello/cittadini/" + strconv.FormatInt(int64(f.citizenA), 10), want: "LLLLAFFFL"},
		"GET /sportello/pratiche/nuova":  {path: "/sportello/pratiche/nuova", want: "LLLLAFFFL"},
		"POST /sportello/pratiche/nuova": {path: "/sportello/pratiche/nuova", form: url.Values{"fiscal_code": {"x"}}, want: "LLLLAFFFL"},
		// Filing on behalf in person: the operator who filed it, on the day
		// (an empty send is 422; the draft has no receipt yet: 404).
		"GET /sportello/pratiche/{id}":                        {path: deskDraft, want: "LLLLAFFFL"},
		"GET /sportello/pratiche/{id}/{step}":                 {path: deskDraft + "/" + f.draftStep, want: "LLLLAFFFL"},
		"POST /sportello/pratiche/{id}/{step}":                {path: deskDraft + "/" + f.draftStep, form: url.Values{"_action": {"save"}}, want: "LLLLAFFFL"},
		"POST /sportello/pratiche/{id}/invio":                 {path: deskDraft + "/invio", form: url.Values{"token": {"matrix"}}, want: "LLLLAFFFL"},
		"GET /sportello/pratiche/{id}/ricevuta":               {path: deskDraft + "/ricevuta", want: "LLLLNFFFL"},
		"POST /sportello/pratiche/{id}/ricevuta":              {path: deskDraft + "/ricevuta", form: url.Values{"email": {"a@example.org"}}, want: "LLLLAFFFL"},
		"GET /coda/{office}":                                  {path: "/coda/parla", want: all},
		"POST /sportello/deleghe":                             {path: "/sportello/deleghe", form: url.Values{"doc_type": {"cie"}}, want: "LLLLAFFAL"},
		"GET /amministrazione-ente/operatori":                 {path: "/amministrazione-ente/operatori", want: "LLLLFFFAL"},
		"POST /amministrazione-ente/operatori":                {path: "/amministrazione-ente/operatori", form: url.Values{"role": {"desk"}}, want: "LLLLFFFAL"},
		"POST /amministrazione-ente/operatori/{id}/disattiva": {path: "/amministrazione-ente/operatori/" + victim + "/disattiva", want: "LLLLFFFAL"},
		"GET /amministrazione-ente/sessioni":                  {path: "/amministrazione-ente/sessioni", want: "LLLLFFFAL"},
		"POST /amministrazione-ente/sessioni/{id}/termina":    {path: victimSession, want: "LLLLFFFAL"},
		"GET /amministrazione-ente/registro":                  {path: "/amministrazione-ente/registro", want: "LLLLFFFAL"},
		// The catalogue: ente administrators only (an empty form is 422).
		"GET /amministrazione-ente/servizi":                      {path: "/amministrazione-ente/servizi", want: "LLLLFFFAL"},
		"GET /amministrazione-ente/servizi/{service}":            {path: "/amministrazione-ente/servizi/cila", want: "LLLLFFFAL"},
		"POST /amministrazione-ente/servizi/{service}/anteprima": {path: "/amministrazione-ente/servizi/cila/anteprima", want: "LLLLFFFAL"},
		"POST /amministrazione-ente/servizi/{service}":           {path: "/amministrazione-ente/servizi/cila", want: "LLLLFFFAL"},
		// Booking calendars and closures: ente administrators only (an
		// empty form is 422).
		"GET /amministrazione-ente/calendari":           {path: "/amministrazione-ente/calendari", want: "LLLLFFFAL"},
		"GET /amministrazione-ente/calendari/nuovo":     {path: "/amministrazione-ente/calendari/nuovo", want: "LLLLFFFAL"},
		"POST /amministrazione-ente/calendari":          {path: "/amministrazione-ente/calendari", want: "LLLLFFFAL"},
		"GET /amministrazione-ente/calendari/{id}":      {path: "/amministrazione-ente/calendari/" + f.calendar, want: "LLLLFFFAL"},
		"POST /amministrazione-ente/calendari/{id}":     {path: "/amministrazione-ente/calendari/" + f.calendar, want: "LLLLFFFAL"},
		"POST /amministrazione-ente/calendari/chiusure": {path: "/amministrazione-ente/calendari/chiusure", want: "LLLLFFFAL"},
		// No closure 999999: the administrators get NotFound, the others
		// never reach the lookup.
		"POST /amministrazione-ente/calendari/chiusure/{id}/elimina": {path: "/amministrazione-ente/calendari/chiusure/999999/elimina", want: "LLLLFFFNL"},

		// The back office's pratiche: a queue for clerks and heads of some
		// office (its pratiche only, or 404), decisions for heads only.
		"GET /ufficio/pratiche": {path: "/ufficio/pratiche", want: "LLLLFAAFL"},
		"POST /ufficio/pratiche/azioni": {path: "/ufficio/pratiche/azioni", form: url.Values{"id": {strings.TrimPrefix(boPage, "/ufficio/pratiche/")},
			"azione": {"prendi"}}, want: "LLLLFAAFL"},
		"GET /ufficio/pratiche/esporta.csv":           {path: "/ufficio/pratiche/esporta.csv", want: "LLLLFAAFL"},
		"GET /ufficio/pratiche/esporta.xlsx":          {path: "/ufficio/pratiche/esporta.xlsx", want: "LLLLFAAFL"},
		"GET /ufficio/pratiche/{id}":                  {path: boPage, want: "LLLLNANNL"},
		"GET /ufficio/pratiche/{id}/documenti/{doc}":  {path: boDoc, want: "LLLLNANNL"},
		"POST /ufficio/pratiche/{id}/presa-in-carico": {path: boPage + "/presa-in-carico", want: "LLLLNANNL"},
		"POST /ufficio/pratiche/{id}/assegna":         {path: boPage + "/assegna", want: "LLLLNANNL"},
		"POST /ufficio/pratiche/{id}/integrazione":    {path: boPage + "/integrazione", form: url.Values{"testo": {"Serve la delega."}}, want: "LLLLNANNL"},
		"POST /ufficio/pratiche/{id}/nota":            {path: boPage + "/nota", form: url.Values{"nota": {"Nota."}}, want: "LLLLNANNL"},
		"POST /ufficio/pratiche/{id}/esito":           {path: boPage + "/esito", form: url.Values{"esito": {"accolta"}, "motivazione": {"x"}}, want: "LLLLNFNNL"},
		"POST /ufficio/pratiche/{id}/chiusura":        {path: boPage + "/chiusura", want: "LLLLNANNL"},
		// Marking a fee paid by hand is a head's decision, like the outcome.
		"POST /ufficio/pratiche/{id}/pagamento": {path: boPage + "/pagamento", form: url.Values{"motivo_pagamento": {"Bonifico visto in tesoreria"}}, want: "LLLLNFNNL"},
		"GET /ufficio/statistiche":              {path: "/ufficio/statistiche", want: "LLLLFAAFL"},
		// Appointments: each clerk their office's; another office's is 404.
		"GET /ufficio/appuntamenti":        {path: "/ufficio/appuntamenti?ufficio=anagrafe", want: "LLLLFANFL"},
		"GET /tempi-medi-dei-procedimenti": {path: "/tempi-medi-dei-procedimenti", want: all},

		"/": {path: "/non-esiste", want: "NNNNNNNNN"},
	}
}

// accessFixture holds the principals of the matrix on the demo ente
// (localhost) and a second ente.
type accessFixture struct {
	srv  *Server
	ente tenant.ID
	// login mints a fresh session for a principal and returns its cookies,
	// so that a route that ends sessions doesn't affect the next case.
	login         func(t *testing.T, who int) []*http.Cookie
	delegation    identity.DelegationID
	victim        identity.OperatorID
	victimSession identity.SessionID
	// draft is a draft pratica of citizen A, draftStep its first data step.
	draft     pratica.ID
	draftStep string
	// calendar is a booking calendar of the ente's, by id.
	calendar string
	// deskDraft is a draft of citizen A that the desk operator filed at
	// the desk, today.
	deskDraft pratica.ID
	// held and booked are appointments' pages, with their tokens.
	held, booked string
	citizenA     identity.CitizenID
	certs        accessCerts
	// payment is a notice of citizen A's.
	payment payment.ID
}

func newAccessFixture(t *testing.T) *accessFixture {
	t.Helper()
	s, d := newTestServer(t)
	ctx := context.Background()
	a, err := tenant.BySlug(ctx, d, "ala")
	if err != nil {
		t.Fatal(err)
	}
	b := otherEnte(t, d)
	offices, err := tenant.Offices(ctx, d, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	office := func(slug string) int64 {
		for _, o := range offices {
			if o.Slug == slug {
				return o.ID
			}
		}
		t.Fatalf("no office %s", slug)
		return 0
	}
	f := &accessFixture{srv: s, ente: a.ID}
	type subject struct {
		ente tenant.ID
		sub  identity.Subject
	}
	var subjects [nPrincipals]*subject
	citizen := func(cf, name string) identity.CitizenID {
		res, err := identity.LoginCitizen(ctx, d, a.ID, identity.LoginInput{FiscalCode: cf, GivenName: name, FamilyName: "Prova",
			IdP: "https://idp.example", Level: 2}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		return res.Citizen.ID
	}
	operator := func(ente tenant.ID, username string, g identity.Grant) identity.OperatorID {
		op, err := identity.CreateOperator(ctx, d, ente, identity.OperatorInput{Username: username, Name: username,
			Email: username + "@example.org", Password: "una-password-lunga-" + username, Grants: []identity.Grant{g}}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if err := identity.SeedTOTP(ctx, d, s.idKeys, ente, op.ID, "JBSWY3DPEHPK3PXPJBSWY3DP"); err != nil {
			t.Fatal(err)
		}
		return op.ID
	}
	citA := citizen("RSSMRA80A01A116Q", "Mario")
	citB := citizen("BNCLRA85C41A116I", "Laura")
	deleg := citizen("VRDGPP70E15A116K", "Giuseppe")
	subjects[pCitizenA] = &subject{a.ID, identity.CitizenSubject(citA)}
	subjects[pCitizenB] = &subject{a.ID, identity.CitizenSubject(citB)}
	subjects[pDelegateA] = &subject{a.ID, identity.CitizenSubject(deleg)}
	deskOp := operator(a.ID, "desk", identity.Grant{Role: identity.RoleDesk})
	subjects[pDesk] = &subject{a.ID, identity.OperatorSubject(deskOp)}
	subjects[pClerkX] = &subject{a.ID, identity.OperatorSubject(operator(a.ID, "clerkx", identity.Grant{Role: identity.RoleClerk, Office: office("anagrafe")}))}
	subjects[pClerkY] = &subject{a.ID, identity.OperatorSubject(operator(a.ID, "clerky", identity.Grant{Role: identity.RoleClerk, Office: office("edilizia")}))}
	subjects[pAdmin] = &subject{a.ID, identity.OperatorSubject(operator(a.ID, "admin", identity.Grant{Role: identity.RoleAdmin}))}
	subjects[pOtherEnte] = &subject{b, identity.OperatorSubject(operator(b, "adminb", identity.Grant{Role: identity.RoleAdmin}))}
	f.victim = operator(a.ID, "victim", identity.Grant{Role: identity.RoleDesk})
	_, vs, err := identity.StartSession(ctx, d, a.ID, identity.OperatorSubject(f.victim), identity.SessionInput{}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	f.victimSession = vs.ID
	dg, err := identity.CreateDelegation(ctx, d, a.ID, identity.DelegationInput{Delegator: citA, DelegateFiscalCode: "VRDGPP70E15A116K",
		DelegateName: "Giuseppe Prova", ValidUntil: calendar.DateOf(testNow).AddDays(30), CreatedBy: identity.CitizenSubject(citA)}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	f.delegation = dg.ID
	svc, def, err := s.definition("accesso-agli-atti")
	if err != nil {
		t.Fatal(err)
	}
	pd, err := pratica.CreateDraft(ctx, d, a.ID, pratica.DraftInput{Service: svc.Slug, ServiceVersion: svc.Version,
		Title: svc.Title, Citizen: citA, FiledBy: identity.CitizenSubject(citA), Office: office("parla"),
		Term: pratica.Term{Days: svc.TermDays}}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	f.draft, f.draftStep = pd.ID, def.Steps()[1].Slug()
	f.deskDraft = seedDeskFiling(t, d, a.ID, office("parla"), citA, deskOp)
	cals, err := booking.Calendars(ctx, d, a.ID, booking.CalendarFilter{})
	if err != nil || len(cals) == 0 {
		t.Fatalf("the demo's calendars: %d, %v", len(cals), err)
	}
	f.calendar = strconv.FormatInt(int64(cals[0].ID), 10)
	seedAccessPratica(t, d, a.ID, office("anagrafe"), citA)
	f.held, f.booked = seedAccessBooking(t, s, a.ID)
	f.citizenA = citA
	f.certs = seedAccessCertificates(t, s, d, a.ID, citA)
	withPayments(t, s, d)
	setFinanceOffice(t, d, a.ID, office("anagrafe"))
	f.payment = spontaneous(t, d, a.ID, citA, "diritti-segreteria").ID
	f.login = func(t *testing.T, who int) []*http.Cookie {
		sj := subjects[who]
		if sj == nil {
			return nil
		}
		var token string
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			in := identity.SessionInput{}
			if sj.sub.Kind == identity.SubjectCitizen {
				in = identity.SessionInput{IdP: "https://idp.example", Level: 2}
			}
			token, _, err = identity.StartSession(ctx, tx, sj.ente, sj.sub, in, testNow)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		name := citizenCookie
		if sj.sub.Kind == identity.SubjectOperator {
			name = operatorCookie
		}
		return []*http.Cookie{{Name: name, Value: token}}
	}
	return f
}

// otherEnte creates a second comune answering on b.example.
func otherEnte(t *testing.T, d interface {
	InTx(context.Context, func(*sql.Tx) error) error
}) tenant.ID {
	t.Helper()
	e := &tenant.Ente{Slug: "brentonico", Name: "Comune di Brentonico", IstatCode: "022025", Belfiore: "B153",
		IPACode: "c_b153", FiscalCode: "00190390223", Province: "TN", Hosts: []string{"b.example"}}
	err := d.InTx(context.Background(), func(tx *sql.Tx) error { return tenant.Create(context.Background(), tx, e, testNow) })
	if err != nil {
		t.Fatal(err)
	}
	return e.ID
}

// verdict classifies a response as the matrix's letter.
func verdict(res *http.Response) string {
	switch res.StatusCode {
	case http.StatusForbidden:
		return "F"
	case http.StatusNotFound:
		return "N"
	case http.StatusSeeOther, http.StatusFound:
		loc := res.Header.Get("Location")
		// A visitor sent to sign in; "uscito" marks the page after a logout.
		if (strings.HasPrefix(loc, "/accedi") || strings.HasPrefix(loc, "/operatori/accedi") &&
			!strings.HasPrefix(loc, "/operatori/accedi/codice")) && !strings.Contains(loc, "uscito=1") {
			return "L"
		}
	}
	// 503 is a handler's honest "cannot do it now" (no mail relay in this
	// test server), after the access check passed.
	if res.StatusCode >= 500 && res.StatusCode != http.StatusServiceUnavailable {
		return "E"
	}
	return "A"
}

func TestAccessMatrix(t *testing.T) {
	f := newAccessFixture(t)
	matrix := accessMatrix(f)
	for k, v := range certificateRows(f) {
		matrix[k] = v
	}
	for k, v := range pagopaRows(f) {
		matrix[k] = v
	}
	seen := map[string]bool{}
	for _, rt := range f.srv.routes() {
		seen[rt.pattern] = true
		c, ok := matrix[rt.pattern]
		if !ok {
			t.Errorf("route %q is not classified in accessMatrix: add it with each principal's verdict", rt.pattern)
			continue
		}
		if len(c.want) != nPrincipals {
			t.Fatalf("%s: verdict %q has %d letters, want %d", rt.pattern, c.want, len(c.want), nPrincipals)
		}
		method, _, found := strings.Cut(rt.pattern, " ")
		if !found {
			method = http.MethodGet
		}
		for who := 0; who < nPrincipals; who++ {
			var req *http.Request
			if method == http.MethodPost {
				req = httptest.NewRequest(method, c.path, strings.NewReader(c.form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			} else {
				req = httptest.NewRequest(method, c.path, nil)
			}
			req.Host = "localhost"
			for _, ck := range f.login(t, who) {
				req.AddCookie(ck)
			}
			res, body := do(t, f.srv, req)
			if got, want := verdict(res), c.want[who:who+1]; got != want {
				t.Errorf("%s as %s: status %d (Location %q) = %s, want %s\n%.300s", rt.pattern, principalNames[who],
					res.StatusCode, res.Header.Get("Location"), got, want, body)
			}
		}
	}
	for pattern := range matrix {
		if !seen[pattern] {
			t.Errorf("accessMatrix classifies %q, which routes.go no longer has", pattern)
		}
	}
}

// seedDeskFiling files a draft for citizen at the desk, by operator, with
// a document checked.
func seedDeskFiling(t *testing.T, d *db.DB, ente tenant.ID, office int64, citizen identity.CitizenID, operator identity.OperatorID) pratica.ID {
	t.Helper()
	ctx := context.Background()
	var id pratica.ID
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		p, err := pratica.CreateDraft(ctx, tx, ente, pratica.DraftInput{Service: "accesso-agli-atti", ServiceVersion: 1,
			Title: "Accesso agli atti", Citizen: citizen, FiledBy: identity.OperatorSubject(operator), Office: office,
			Term: pratica.Term{Days: 30}}, testNow)
		if err != nil {
			return err
		}
		id = p.ID
		return desk.RecordFiling(ctx, tx, ente, &desk.Filing{Pratica: int64(p.ID), Citizen: citizen, Operator: operator,
			Mode: "desk", DocType: identity.DocCIE, DocNumber: "CA00000AA", Consent: true, CreatedAt: testNow})
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
