package spid

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sportello/sportello/internal/apperr"
)

func TestParseResponseReturnsTheSignedAssertion(t *testing.T) {
	var assertionID, nameID, session string
	enc := inResponse(t, inBefore(func(r *inResp) {
		assertionID = r.Assertion.SelectAttrValue("ID", "")
		nameID = r.NameID.Text()
		session = r.AuthnStatement.SelectAttrValue("SessionIndex", "")
		// The assertion is usable until the earlier of the two limits.
		r.Conditions.CreateAttr("NotOnOrAfter", inInstant(inNow.Add(4*time.Minute)))
	}))
	got, err := inSP().ParseResponse(enc, inPending(), inIdP(t), inNow)
	if err != nil {
		t.Fatal(err)
	}
	want := &Assertion{
		ID:            assertionID,
		IdP:           inIdPEntity,
		NameID:        nameID,
		NameQualifier: inIdPEntity,
		SessionIndex:  session,
		Level:         L2,
		IssuedAt:      inNow.Add(-5 * time.Second),
		NotOnOrAfter:  inNow.Add(4 * time.Minute),
		Attributes: map[string]string{
			"spidCode": "AGID-001", "name": "Mario", "familyName": "Rossi", "fiscalNumber": "TINIT-" + inCF,
			"email": "mario.rossi@example.it", "dateOfBirth": "2000-01-01",
		},
		FiscalCode: inCF,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestParseResponseCIE(t *testing.T) {
	idp := inIdP(t)
	idp.Profile = CIE
	p := inPending()
	p.Profile, p.Level, p.Comparison = CIE, L3, Minimum
	enc := inResponse(t, inLevel(L3), inAttrs(
		[2]string{"name", "Maria"}, [2]string{"familyName", "Bianchi"},
		[2]string{"fiscalNumber", "TINIT-" + inCF}, [2]string{"dateOfBirth", "1980-01-01"}))
	got, err := inSP().ParseResponse(enc, p, idp, inNow)
	if err != nil {
		t.Fatal(err)
	}
	if got.Level != L3 || got.FiscalCode != inCF {
		t.Errorf("got level %d, fiscal code %q", got.Level, got.FiscalCode)
	}
}

// inPoste rewrites the response the way Poste's IdP writes it: the
// protocol namespace as default, the assertion namespace declared again on
// every element under another prefix.
func inPoste(r *inResp) {
	var walk func(el *etree.Element)
	walk = func(el *etree.Element) {
		switch el.Space {
		case "samlp":
			el.Space = ""
		case "saml":
			el.Space = "saml2"
			el.CreateAttr("xmlns:saml2", samlNS)
		}
		for _, c := range el.ChildElements() {
			walk(c)
		}
	}
	r.Response.RemoveAttr("xmlns:samlp")
	r.Response.RemoveAttr("xmlns:saml")
	r.Response.CreateAttr("xmlns", samlpNS)
	walk(r.Response)
}

func TestResponseChecks(t *testing.T) {
	k := inKeys(t)
	skewed := func(d time.Duration) string { return inInstant(inNow.Add(d)) }
	anomalyWith := func(f func(r *inResp)) []func(*inBuild) {
		return append(inAnomalyResponse("ErrorCode nr19"), inBefore(f))
	}
	inRunCases(t, []inCase{
		{"ours", "Response and Assertion both signed", mOne(inSignedResponse), nil, inOK},
		{"ours", "Poste-style inline namespaces, both signed", mOne(inSignedResponse, inBefore(inPoste)), nil, inOK},
		{"ours", "request pending for a logout", nil, func(p *Pending) { p.Logout = true }, inKO("pending.logout")},
		{"ours", "request sent to another IdP", nil, func(p *Pending) { p.IdP = "https://other.example.it" }, inKO("pending.idp")},
		{"ours", "request without an id", nil, func(p *Pending) { p.ID = "" }, inKO("pending.id")},
		{"ours", "request for CIE, IdP of SPID", nil, func(p *Pending) { p.Profile = CIE }, inKO("pending.profile")},
		{"ours", "request without a level", nil, func(p *Pending) { p.Level = 0 }, inKO("pending.level")},
		{"ours", "request with an unknown comparison", nil, func(p *Pending) { p.Comparison = "sometimes" }, inKO("pending.comparison")},
		{"ours", "IssueInstant 60 s ahead (within the skew)", mSet(atResp, "IssueInstant", skewed(60*time.Second)), nil, inOK},
		{"ours", "IssueInstant 120 s ahead", mSet(atResp, "IssueInstant", skewed(120*time.Second)), nil, inKO("response.issueinstant")},
		{"ours", "IssueInstant 60 s before the request (within the skew)", mSet(atResp, "IssueInstant", skewed(-90*time.Second)), nil, inOK},
		{"ours", "IssueInstant 120 s before the request", mSet(atResp, "IssueInstant", skewed(-150*time.Second)), nil, inKO("response.issueinstant")},
		{"ours", "SubjectConfirmationData expired 60 s ago (within the skew)", mSet(atSCD, "NotOnOrAfter", skewed(-60*time.Second)), nil, inOK},
		{"ours", "SubjectConfirmationData expired 100 s ago", mSet(atSCD, "NotOnOrAfter", skewed(-100*time.Second)), nil, inKO("assertion.subjectconfirmationdata.notonorafter")},
		{"ours", "SubjectConfirmationData NotBefore in the future", mSet(atSCD, "NotBefore", skewed(time.Hour)), nil, inKO("assertion.subjectconfirmationdata.notbefore")},
		{"ours", "two SubjectConfirmations", mBefore(func(r *inResp) { r.Subject.AddChild(r.SC.Copy()) }), nil, inKO("assertion.subjectconfirmation")},
		{"ours", "two NameIDs", mBefore(func(r *inResp) { r.Subject.InsertChildAt(0, r.NameID.Copy()) }), nil, inKO("assertion.nameid")},
		{"ours", "element inside NameID", mBefore(func(r *inResp) { r.NameID.CreateElement("saml:Extra") }), nil, inKO("assertion.nameid")},
		{"ours", "fiscalNumber without TINIT-", mBefore(func(r *inResp) { inFiscalRaw(r, inCF) }), nil, inKO("assertion.fiscalnumber")},
		{"ours", "fiscalNumber in lower case", mBefore(func(r *inResp) { inFiscalRaw(r, "TINIT-"+strings.ToLower(inCF)) }), nil, inKO("assertion.fiscalnumber")},
		{"ours", "fiscalNumber one character short", mBefore(func(r *inResp) { inFiscalRaw(r, "TINIT-"+inCF[1:]) }), nil, inKO("assertion.fiscalnumber")},
		{"ours", "no AttributeStatement (no attributes asked)", mRm(atAttrs), nil, inOK},
		{"ours", "two AttributeStatements", mBefore(func(r *inResp) { r.Assertion.AddChild(r.AttributeStatement.Copy()) }), nil, inKO("assertion.attributestatement")},
		{"ours", "Attribute repeated", mBefore(func(r *inResp) { inAddAttr(r.AttributeStatement, "fiscalNumber", "TINIT-"+inEvilCF, true) }), nil, inKO("assertion.attribute")},
		{"ours", "Attribute with two values", mBefore(func(r *inResp) {
			at := r.AttributeStatement.ChildElements()[0]
			at.AddChild(at.ChildElements()[0].Copy())
		}), nil, inKO("assertion.attribute")},
		{"ours", "Attribute without Name", mBefore(func(r *inResp) { r.AttributeStatement.ChildElements()[0].RemoveAttr("Name") }), nil, inKO("assertion.attribute")},
		{"ours", "AttributeValue with an element inside", mBefore(func(r *inResp) {
			r.AttributeStatement.ChildElements()[0].ChildElements()[0].CreateElement("saml:Extra")
		}), nil, inKO("assertion.attribute")},
		{"ours", "empty AttributeValue", mBefore(func(r *inResp) { r.AttributeStatement.ChildElements()[0].ChildElements()[0].SetText("") }), nil, inOK},
		{"ours", "AuthzDecisionStatement in the Assertion", mBefore(func(r *inResp) { r.Assertion.CreateElement("saml:AuthzDecisionStatement") }), nil, inKO("assertion.schema")},
		{"ours", "foreign element in the Assertion", mBefore(func(r *inResp) {
			r.Assertion.CreateElement("x:Extra").CreateAttr("xmlns:x", "urn:x")
		}), nil, inKO("assertion.schema")},
		{"ours", "two AuthnStatements", mBefore(func(r *inResp) { r.Assertion.AddChild(r.AuthnStatement.Copy()) }), nil, inKO("assertion.authnstatement")},
		{"ours", "two AuthnContextClassRefs", mBefore(func(r *inResp) { r.AuthnContext.AddChild(r.ClassRef.Copy()) }), nil, inKO("assertion.acr")},
		{"ours", "unknown Condition", mBefore(func(r *inResp) { r.Conditions.CreateElement("saml:Condition") }), nil, inKO("assertion.conditions")},
		{"ours", "OneTimeUse condition", mBefore(func(r *inResp) { r.Conditions.CreateElement("saml:OneTimeUse") }), nil, inOK},
		{"ours", "second AudienceRestriction for another SP", mBefore(func(r *inResp) {
			r.Conditions.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText("https://other-sp.example.it")
		}), nil, inKO("assertion.audience")},
		{"ours", "AudienceRestriction naming us among others", mBefore(func(r *inResp) {
			r.AudienceRestriction.InsertChildAt(0, etree.NewElement("saml:Audience"))
			r.AudienceRestriction.ChildElements()[0].SetText("https://other-sp.example.it")
		}), nil, inOK},
		{"ours", "EncryptedAssertion", mBefore(func(r *inResp) { r.Response.CreateElement("saml:EncryptedAssertion") }), nil, inKO("response.encrypted")},
		{"ours", "Advice in the Assertion", mBefore(func(r *inResp) {
			r.Conditions.Parent().InsertChildAt(r.Conditions.Index()+1, etree.NewElement("saml:Advice"))
		}), nil, inKO("assertion.advice")},
		{"ours", "root is a LogoutResponse", mBefore(func(r *inResp) { r.Response.Tag = "LogoutResponse" }), nil, inKO("response.root")},
		{"ours", "Response in another namespace", mBefore(func(r *inResp) { r.Response.CreateAttr("xmlns:samlp", "urn:evil") }), nil, inKO("response.root")},
		{"ours", "DOCTYPE with an entity", mOne(inRaw(func(x string) string {
			return `<!DOCTYPE r [<!ENTITY e "x">]>` + x
		})), nil, inKO("xml")},
		{"ours", "processing instruction", mOne(inRaw(func(x string) string {
			return strings.Replace(x, "<saml:Issuer", "<?evil x?><saml:Issuer", 1)
		})), nil, inKO("xml")},
		{"ours", "two root elements", mOne(inRaw(func(x string) string { return x + "<samlp:Response/>" })), nil, inKO("xml")},
		{"ours", "repeated attribute", mOne(inRaw(func(x string) string {
			return strings.Replace(x, `Version="2.0"`, `Version="2.0" Version="2.0"`, 1)
		})), nil, inKO("xml")},
		{"ours", "undeclared entity", mOne(inRaw(func(x string) string { return strings.Replace(x, "Mario", "&evil;", 1) })), nil, inKO("xml")},
		{"ours", "anomaly in an unsigned Response", append(inAnomalyResponse("ErrorCode nr19"), func(b *inBuild) { b.signResponse = false }), nil, inAnomaly("nr19")},
		{"ours", "anomaly nr30 (identity of the wrong type)", inAnomalyResponse("ErrorCode nr30"), nil, inAnomaly("nr30")},
		{"ours", "anomaly nr16 (request refused)", inAnomalyResponse("ErrorCode nr16"), nil, inAnomaly("nr16")},
		{"ours", "anomaly nr24 (reserved)", inAnomalyResponse("ErrorCode nr24"), nil, inAnomaly("")},
		{"ours", "anomaly answering another request", anomalyWith(func(r *inResp) { r.Response.CreateAttr("InResponseTo", "_other") }), nil, inKO("response.inresponseto")},
		{"ours", "anomaly from another issuer", anomalyWith(func(r *inResp) { r.Issuer.SetText("https://other.example.it") }), nil, inKO("response.issuer")},
		{"ours", "anomaly signed by a foreign key", append(inAnomalyResponse("ErrorCode nr19"), inResponseSigner(k.evil)), nil, inKO("response.signature")},
	})
}

// inFiscalRaw sets the fiscalNumber attribute's raw value.
func inFiscalRaw(r *inResp, v string) {
	for _, at := range r.AttributeStatement.ChildElements() {
		if at.SelectAttrValue("Name", "") == "fiscalNumber" {
			at.ChildElements()[0].SetText(v)
		}
	}
}

func TestParseResponseLimits(t *testing.T) {
	sp, idp := inSP(), inIdP(t)
	for _, tc := range []struct {
		name, encoded, check string
	}{
		{"base64 too long", strings.Repeat("A", maxResponseBase64+4), "response.size"},
		{"not base64", "%%%", "response.base64"},
		{"empty", "", "xml"},
		{"not xml", "bm90IHhtbA==", "xml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sp.ParseResponse(tc.encoded, inPending(), idp, inNow)
			if got := CheckOf(err); got != tc.check {
				t.Errorf("check = %q, want %q (error %v)", got, tc.check, err)
			}
		})
	}
}

func TestMisconfiguredSPFailsClosed(t *testing.T) {
	for _, sp := range []*SP{{ACSURL: inACS, SLOURL: inSLO}, {EntityID: inSPEntity}} {
		_, err := sp.ParseResponse(inResponse(t), inPending(), inIdP(t), inNow)
		if CheckOf(err) != "sp.config" || !apperr.Is(err, apperr.Internal) {
			t.Errorf("ParseResponse with %+v: %v, want an internal sp.config error", sp, err)
		}
		r := inGet(t, paramSAMLRequest, inLogoutMsg("LogoutRequest", nil), "", &inKeys(t).idp)
		if _, err := sp.ParseLogoutRequest(r, inIdP(t), inNow); CheckOf(err) != "sp.config" {
			t.Errorf("ParseLogoutRequest with %+v: %v, want an sp.config error", sp, err)
		}
	}
}

func TestParseResponseNoCertificateFailsClosed(t *testing.T) {
	idp := inIdP(t)
	idp.Certificates = nil
	_, err := inSP().ParseResponse(inResponse(t), inPending(), idp, inNow)
	if CheckOf(err) != "assertion.signature" {
		t.Errorf("error %v, want an assertion.signature failure", err)
	}
}

func TestParseResponseExpiredCertificate(t *testing.T) {
	// A signature is mathematically valid but its certificate expired
	// before now: the IdP's key is no longer believed (fail closed; the
	// registry must be refreshed).
	old := inNewSigner("Old IdP key")
	tmpl := *old.cert
	tmpl.NotAfter = inNow.Add(-24 * time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &old.key.PublicKey, old.key)
	if err != nil {
		t.Fatal(err)
	}
	if old.cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	idp := inIdP(t)
	idp.Certificates = []*x509.Certificate{old.cert}
	_, err = inSP().ParseResponse(inResponse(t, inAssertionSigner(old)), inPending(), idp, inNow)
	if CheckOf(err) != "assertion.signature" {
		t.Errorf("error %v, want an assertion.signature failure", err)
	}
}

func TestAnomaly(t *testing.T) {
	for _, tc := range []struct {
		message, code string
		user          bool
	}{
		{"ErrorCode nr19", "nr19", true},
		{"ErrorCode nr20", "nr20", true},
		{"ErrorCode nr21", "nr21", true},
		{"ErrorCode nr22", "nr22", true},
		{"ErrorCode nr23", "nr23", true},
		{"ErrorCode nr25", "nr25", true},
		{"ErrorCode nr30", "nr30", true},
		{"errorcode NR8", "nr08", false},
		{"ErrorCode nr18", "nr18", false},
		{"ErrorCode nr24", "", false},
		{"ErrorCode nr99", "", false},
		{"Authentication cancelled", "", false},
		{"", "", false},
	} {
		a := &Anomaly{Code: anomalyCode(tc.message), StatusMessage: tc.message}
		if a.Code != tc.code || a.UserCaused() != tc.user {
			t.Errorf("%q: code %q user %v, want %q %v", tc.message, a.Code, a.UserCaused(), tc.code, tc.user)
		}
		if !strings.Contains(a.Error(), "identity provider refused") {
			t.Errorf("Error() = %q", a.Error())
		}
	}
	if CheckOf(nil) != "" || CheckOf(errors.New("x")) != "" {
		t.Error("CheckOf of a non-check error is not empty")
	}
	err := fail("assertion.audience", "detail")
	if !apperr.Is(err, apperr.Invalid) || CheckOf(err) != "assertion.audience" || err.Error() != "spid: assertion.audience: detail" {
		t.Errorf("fail() = %v", err)
	}
}

func TestTextOfJoinsCommentSplits(t *testing.T) {
	root, err := parseXML([]byte("<a> abc<!-- x -->def <!---->g </a>"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := textOf(root)
	if diff := cmp.Diff("abcdef g", got, cmpopts.EquateEmpty()); diff != "" || err != nil {
		t.Errorf("mismatch (-want +got):\n%s %v", diff, err)
	}
}

func TestErrorsKeepPersonalDataOut(t *testing.T) {
	bad := "TINIT-" + strings.ToLower(inCF)
	_, err := inSP().ParseResponse(inResponse(t, inBefore(func(r *inResp) { inFiscalRaw(r, bad) })), inPending(), inIdP(t), inNow)
	if err == nil || strings.Contains(strings.ToUpper(err.Error()), inCF) {
		t.Errorf("error %v carries the fiscal code", err)
	}
}
