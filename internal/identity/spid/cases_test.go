package spid

// The response cases of spid-sp-test (italia/spid-sp-test,
// src/spid_sp_test/responses/settings.py), ported as table rows: the
// number and meaning of each case, a mutation of a good SPID response
// (applied before signing, so that only the check under test can fail, or
// after signing, to test the signature), and the verdict. "Non
// specificato" cases set the value empty, "mancante" ones remove it.
// Assertion cases (33–99) are in cases_assertion_test.go.
//
// Numbers with no case to port: 06, 07, 50, 101, 102 are not defined in
// spid-sp-test. Cases 25, 67, 84 and 91 are commented out there as
// duplicates of 22, 29, 73 and 88; they are kept here (each tests a
// distinct element), and 29 checks the Response Issuer while 67 checks the
// Assertion's, as spid-sp-test PR #128 proposes. Case 103 (attributes other
// than those requested) is accepted: the set released is the caller's
// concern. The XSLT and XSW cases are in xsw_test.go.

import (
	"errors"
	"testing"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
)

// inVerdict is the outcome of parsing a response: accepted, refused by a
// named check, or an IdP anomaly with its code.
type inVerdict struct {
	OK      bool
	Check   string
	Anomaly string
}

var inOK = inVerdict{OK: true}

func inKO(check string) inVerdict     { return inVerdict{Check: check} }
func inAnomaly(code string) inVerdict { return inVerdict{Check: "-", Anomaly: code} }
func inVerdictOf(err error) inVerdict {
	if err == nil {
		return inOK
	}
	var a *Anomaly
	if errors.As(err, &a) {
		if !apperr.Is(err, apperr.Unauthorized) {
			return inVerdict{Check: "anomaly of kind " + apperr.KindOf(err).String()}
		}
		return inVerdict{Check: "-", Anomaly: a.Code}
	}
	if !apperr.Is(err, apperr.Invalid) {
		return inVerdict{Check: "error of kind " + apperr.KindOf(err).String() + ": " + err.Error()}
	}
	return inVerdict{Check: CheckOf(err)}
}

// inCase is one row: a response built with opts, parsed against the
// pending request (changed by pending when set).
type inCase struct {
	n, name string
	opts    []func(*inBuild)
	pending func(*Pending)
	want    inVerdict
}

// inRunCases parses each row's response and compares the verdict.
func inRunCases(t *testing.T, cases []inCase) {
	t.Helper()
	sp, idp := inSP(), inIdP(t)
	for _, tc := range cases {
		t.Run(tc.n+" "+tc.name, func(t *testing.T) {
			p := inPending()
			if tc.pending != nil {
				tc.pending(&p)
			}
			got, err := sp.ParseResponse(inResponse(t, tc.opts...), p, idp, inNow)
			if diff := cmp.Diff(tc.want, inVerdictOf(err)); diff != "" {
				t.Errorf("verdict mismatch (-want +got):\n%s\nerror: %v", diff, err)
			}
			if err == nil && (got == nil || got.ID == "" || got.FiscalCode == "" && got.Attributes["fiscalNumber"] != "") {
				t.Errorf("accepted with an incomplete assertion: %+v", got)
			}
		})
	}
}

// Element pickers and mutations, for short rows.
type inPick func(*inResp) *etree.Element

var (
	atResp   inPick = func(r *inResp) *etree.Element { return r.Response }
	atIssuer inPick = func(r *inResp) *etree.Element { return r.Issuer }
	atStatus inPick = func(r *inResp) *etree.Element { return r.Status }
	atCode   inPick = func(r *inResp) *etree.Element { return r.StatusCode }
	atAssert inPick = func(r *inResp) *etree.Element { return r.Assertion }
	atAIss   inPick = func(r *inResp) *etree.Element { return r.AIssuer }
	atSubj   inPick = func(r *inResp) *etree.Element { return r.Subject }
	atNameID inPick = func(r *inResp) *etree.Element { return r.NameID }
	atSC     inPick = func(r *inResp) *etree.Element { return r.SC }
	atSCD    inPick = func(r *inResp) *etree.Element { return r.SCD }
	atCond   inPick = func(r *inResp) *etree.Element { return r.Conditions }
	atAR     inPick = func(r *inResp) *etree.Element { return r.AudienceRestriction }
	atAud    inPick = func(r *inResp) *etree.Element { return r.Audience }
	atAuthn  inPick = func(r *inResp) *etree.Element { return r.AuthnStatement }
	atCtx    inPick = func(r *inResp) *etree.Element { return r.AuthnContext }
	atRef    inPick = func(r *inResp) *etree.Element { return r.ClassRef }
	atAttrs  inPick = func(r *inResp) *etree.Element { return r.AttributeStatement }
)

// mSet, mDel, mRm, mText and mEmpty mutate the picked element before signing.
func mSet(p inPick, k, v string) []func(*inBuild) {
	return []func(*inBuild){inBefore(func(r *inResp) { p(r).CreateAttr(k, v) })}
}
func mDel(p inPick, k string) []func(*inBuild) {
	return []func(*inBuild){inBefore(func(r *inResp) { inDelAttr(p(r), k) })}
}
func mRm(p inPick) []func(*inBuild) {
	return []func(*inBuild){inBefore(func(r *inResp) { inRemove(p(r)) })}
}
func mText(p inPick, v string) []func(*inBuild) {
	return []func(*inBuild){inBefore(func(r *inResp) { p(r).SetText(v) })}
}
func mEmpty(p inPick) []func(*inBuild) {
	return []func(*inBuild){inBefore(func(r *inResp) {
		inEmpty(p(r))
		for _, a := range append([]etree.Attr(nil), p(r).Attr...) {
			if a.Space != "xmlns" {
				p(r).RemoveAttr(a.FullKey())
			}
		}
	})}
}

// mJoin joins option lists; mOne makes one of options.
func mJoin(lists ...[]func(*inBuild)) []func(*inBuild) {
	var out []func(*inBuild)
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func mOne(o ...func(*inBuild)) []func(*inBuild) { return o }

// inAnomalyResponse is the shape of case-anomalie-utente.xml: no
// Assertion, a Responder status with the AuthnFailed sub-status and the
// "ErrorCode nrNN" message, the Response signed.
func inAnomalyResponse(message string) []func(*inBuild) {
	return mOne(inSignedResponse, inBefore(func(r *inResp) {
		inRemove(r.Assertion)
		r.StatusCode.CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Responder")
		sub := r.StatusCode.CreateElement("samlp:StatusCode")
		sub.CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed")
		msg := r.Status.CreateElement("samlp:StatusMessage")
		msg.SetText(message)
	}))
}

// inAllInstants sets every time attribute of the response to v.
func inAllInstants(v string) []func(*inBuild) {
	return mOne(inBefore(func(r *inResp) {
		for _, el := range []*etree.Element{r.Response, r.Assertion, r.Conditions, r.AuthnStatement} {
			for _, k := range []string{"IssueInstant", "NotBefore", "AuthnInstant"} {
				if el.SelectAttr(k) != nil {
					el.CreateAttr(k, v)
				}
			}
		}
	}))
}

func TestSPIDResponseCases(t *testing.T) {
	k := inKeys(t)
	inRunCases(t, []inCase{
		{"01", "correct response", nil, nil, inOK},
		{"02", "response unsigned, assertion unsigned", mOne(inUnsignedAssertion), nil, inKO("assertion.signature")},
		{"03", "response signed, assertion unsigned", mOne(inSignedResponse, inUnsignedAssertion), nil, inKO("assertion.signature")},
		{"04", "response and assertion signed with a certificate other than the IdP's",
			mOne(inSignedResponse, inResponseSigner(k.evil), inAssertionSigner(k.evil)), nil, inKO("response.signature")},
		{"04b", "response signed with a foreign certificate, assertion good",
			mOne(inSignedResponse, inResponseSigner(k.evil)), nil, inKO("response.signature")},
		{"05", "assertion signed with a foreign key, its X509 certificate in KeyInfo",
			mOne(inAssertionSigner(k.evil)), nil, inKO("assertion.signature")},
		{"08", "response ID empty", mSet(atResp, "ID", ""), nil, inKO("response.id")},
		{"08b", "signed response, ID empty", mJoin(mOne(inSignedResponse), mSet(atResp, "ID", "")), nil, inKO("response.id")},
		{"09", "response ID missing", mDel(atResp, "ID"), nil, inKO("response.id")},
		{"10", "response Version not 2.0", mSet(atResp, "Version", "1.0"), nil, inKO("response.version")},
		{"11", "response IssueInstant empty", mSet(atResp, "IssueInstant", ""), nil, inKO("response.issueinstant")},
		{"12", "response IssueInstant missing", mDel(atResp, "IssueInstant"), nil, inKO("response.issueinstant")},
		{"13", "response IssueInstant malformed", mSet(atResp, "IssueInstant", "2026/03/02 10:00:25"), nil, inKO("response.issueinstant")},
		{"13b", "response IssueInstant without a time zone", mSet(atResp, "IssueInstant", "2026-03-02T10:00:25"), nil, inKO("response.issueinstant")},
		{"13c", "response IssueInstant not in UTC", mSet(atResp, "IssueInstant", "2026-03-02T11:00:25+01:00"), nil, inKO("response.issueinstant")},
		{"13d", "response IssueInstant out of range", mSet(atResp, "IssueInstant", "2026-13-45T10:00:25Z"), nil, inKO("response.issueinstant")},
		{"14", "response IssueInstant before the request", mSet(atResp, "IssueInstant", "2018-01-01T00:00:00Z"), nil, inKO("response.issueinstant")},
		{"15", "response IssueInstant after reception", mSet(atResp, "IssueInstant", "2099-01-01T00:00:00Z"), nil, inKO("response.issueinstant")},
		{"16", "response InResponseTo empty", mSet(atResp, "InResponseTo", ""), nil, inKO("response.inresponseto")},
		{"17", "response InResponseTo missing", mDel(atResp, "InResponseTo"), nil, inKO("response.inresponseto")},
		{"18", "InResponseTo other than the request ID (response and assertion)",
			mJoin(mSet(atResp, "InResponseTo", "inresponsetodiversodaidrequest"), mSet(atSCD, "InResponseTo", "inresponsetodiversodaidrequest")),
			nil, inKO("response.inresponseto")},
		{"19", "response Destination empty", mSet(atResp, "Destination", ""), nil, inKO("response.destination")},
		{"20", "response Destination missing", mDel(atResp, "Destination"), nil, inKO("response.destination")},
		{"21", "Destination other than the ACS (response and Recipient)",
			mJoin(mSet(atResp, "Destination", "diversodaassertionconsumerserviceurl"), mSet(atSCD, "Recipient", "diversodaassertionconsumerserviceurl")),
			nil, inKO("response.destination")},
		{"22", "Status empty", mEmpty(atStatus), nil, inKO("response.status")},
		{"23", "Status missing", mRm(atStatus), nil, inKO("response.status")},
		{"24", "StatusCode Value empty", mSet(atCode, "Value", ""), nil, inKO("response.status")},
		{"25", "StatusCode missing", mRm(atCode), nil, inKO("response.status")},
		{"26", "StatusCode not Success, no error code", mSet(atCode, "Value", "urn:oasis:names:tc:SAML:2.0:status:Requester"), nil, inAnomaly("")},
		{"27", "response Issuer empty", mText(atIssuer, ""), nil, inKO("response.issuer")},
		{"28", "response Issuer missing", mRm(atIssuer), nil, inKO("response.issuer")},
		{"29", "response Issuer other than the IdP entity ID", mText(atIssuer, "https://other-idp.example.it"), nil, inKO("response.issuer")},
		{"30", "response Issuer Format other than entity", mSet(atIssuer, "Format", NameIDTransient), nil, inKO("response.issuer.format")},
		{"31", "response Issuer Format omitted", mDel(atIssuer, "Format"), nil, inOK},
		{"32", "status Success, Assertion missing", mRm(atAssert), nil, inKO("response.assertion")},

		{"100", "assertion signed with a foreign key, no KeyInfo",
			mOne(inAssertionSigner(k.evil), inAfter(func(r *inResp) { inRemove(childrenOf(inSignature(r.Assertion), dsigNS, "KeyInfo")[0]) })),
			nil, inKO("assertion.signature")},
		{"103", "attributes other than those requested", mOne(inAttrs([2]string{"spidCode", "AGID-001"}, [2]string{"address", "via Test"})), nil, inOK},
		{"104", "anomaly 19: repeated wrong credentials", inAnomalyResponse("ErrorCode nr19"), nil, inAnomaly("nr19")},
		{"105", "anomaly 20: no credentials of the level asked", inAnomalyResponse("ErrorCode nr20"), nil, inAnomaly("nr20")},
		{"106", "anomaly 21: timeout", inAnomalyResponse("ErrorCode nr21"), nil, inAnomaly("nr21")},
		{"107", "anomaly 22: consent denied", inAnomalyResponse("ErrorCode nr22"), nil, inAnomaly("nr22")},
		{"108", "anomaly 23: identity suspended or revoked", inAnomalyResponse("ErrorCode nr23"), nil, inAnomaly("nr23")},
		{"109", "attributes without NameFormat", mOne(inBefore(func(r *inResp) {
			for _, at := range r.AttributeStatement.ChildElements() {
				at.RemoveAttr("NameFormat")
			}
		})), nil, inOK},
		{"110", "instants with milliseconds", inAllInstants("2026-03-02T10:00:25.123Z"), nil, inOK},
		{"111", "anomaly 25: cancelled by the user", inAnomalyResponse("ErrorCode nr25"), nil, inAnomaly("nr25")},
	})
}
