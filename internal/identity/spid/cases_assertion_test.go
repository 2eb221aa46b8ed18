package spid

// spid-sp-test's Assertion cases, 33 to 99, and the ACR matrix of cases
// 94–96. See cases_test.go for the conventions.

import (
	"fmt"
	"testing"
)

func TestSPIDAssertionCases(t *testing.T) {
	past, future := "2000-01-01T00:00:00Z", "2099-01-01T00:00:00Z"
	inRunCases(t, []inCase{
		{"33", "assertion ID empty", mSet(atAssert, "ID", ""), nil, inKO("assertion.id")},
		{"34", "assertion ID missing", mDel(atAssert, "ID"), nil, inKO("assertion.id")},
		{"35", "assertion Version not 2.0", mSet(atAssert, "Version", "1.1"), nil, inKO("assertion.version")},
		{"36", "assertion IssueInstant empty", mSet(atAssert, "IssueInstant", ""), nil, inKO("assertion.issueinstant")},
		{"37", "assertion IssueInstant missing", mDel(atAssert, "IssueInstant"), nil, inKO("assertion.issueinstant")},
		{"38", "assertion IssueInstant malformed", mSet(atAssert, "IssueInstant", "02-03-2026T10:00:25Z"), nil, inKO("assertion.issueinstant")},
		{"39", "assertion IssueInstant before the request", mSet(atAssert, "IssueInstant", past), nil, inKO("assertion.issueinstant")},
		{"40", "assertion IssueInstant in the future", mSet(atAssert, "IssueInstant", future), nil, inKO("assertion.issueinstant")},
		{"41", "Subject empty", mEmpty(atSubj), nil, inKO("assertion.nameid")},
		{"42", "Subject missing", mRm(atSubj), nil, inKO("assertion.subject")},
		{"43", "NameID empty, NameQualifier empty", mJoin(mText(atNameID, "\n  "), mSet(atNameID, "NameQualifier", "")), nil, inKO("assertion.nameid")},
		{"44", "NameID missing", mRm(atNameID), nil, inKO("assertion.nameid")},
		{"45", "NameID Format empty", mSet(atNameID, "Format", ""), nil, inKO("assertion.nameid.format")},
		{"46", "NameID Format missing", mDel(atNameID, "Format"), nil, inKO("assertion.nameid.format")},
		{"47", "NameID Format not transient", mSet(atNameID, "Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"), nil, inKO("assertion.nameid.format")},
		{"48", "NameID NameQualifier empty", mSet(atNameID, "NameQualifier", ""), nil, inKO("assertion.nameid.namequalifier")},
		{"49", "NameID NameQualifier missing", mDel(atNameID, "NameQualifier"), nil, inKO("assertion.nameid.namequalifier")},
		{"51", "SubjectConfirmation empty", mEmpty(atSC), nil, inKO("assertion.subjectconfirmation.method")},
		{"52", "SubjectConfirmation missing", mRm(atSC), nil, inKO("assertion.subjectconfirmation")},
		{"53", "SubjectConfirmation Method empty", mSet(atSC, "Method", ""), nil, inKO("assertion.subjectconfirmation.method")},
		{"54", "SubjectConfirmation Method missing", mDel(atSC, "Method"), nil, inKO("assertion.subjectconfirmation.method")},
		{"55", "SubjectConfirmation Method not bearer", mSet(atSC, "Method", "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"), nil, inKO("assertion.subjectconfirmation.method")},
		{"56", "SubjectConfirmationData missing", mRm(atSCD), nil, inKO("assertion.subjectconfirmationdata")},
		{"57", "Recipient empty", mSet(atSCD, "Recipient", ""), nil, inKO("assertion.subjectconfirmationdata.recipient")},
		{"58", "Recipient missing", mDel(atSCD, "Recipient"), nil, inKO("assertion.subjectconfirmationdata.recipient")},
		{"59", "Recipient other than the ACS", mSet(atSCD, "Recipient", "https://evil.example.com/acs"), nil, inKO("assertion.subjectconfirmationdata.recipient")},
		{"60", "SubjectConfirmationData InResponseTo empty", mSet(atSCD, "InResponseTo", ""), nil, inKO("assertion.subjectconfirmationdata.inresponseto")},
		{"61", "SubjectConfirmationData InResponseTo missing", mDel(atSCD, "InResponseTo"), nil, inKO("assertion.subjectconfirmationdata.inresponseto")},
		{"62", "SubjectConfirmationData InResponseTo other than the request ID", mSet(atSCD, "InResponseTo", "_another"), nil, inKO("assertion.subjectconfirmationdata.inresponseto")},
		{"63", "SubjectConfirmationData NotOnOrAfter empty", mSet(atSCD, "NotOnOrAfter", ""), nil, inKO("assertion.subjectconfirmationdata.notonorafter")},
		{"64", "SubjectConfirmationData NotOnOrAfter missing", mDel(atSCD, "NotOnOrAfter"), nil, inKO("assertion.subjectconfirmationdata.notonorafter")},
		{"65", "SubjectConfirmationData NotOnOrAfter malformed", mSet(atSCD, "NotOnOrAfter", "domani"), nil, inKO("assertion.subjectconfirmationdata.notonorafter")},
		{"66", "SubjectConfirmationData NotOnOrAfter already past", mSet(atSCD, "NotOnOrAfter", past), nil, inKO("assertion.subjectconfirmationdata.notonorafter")},
		{"67", "assertion Issuer empty", mText(atAIss, ""), nil, inKO("assertion.issuer")},
		{"68", "assertion Issuer missing", mRm(atAIss), nil, inKO("assertion.issuer")},
		{"69", "assertion Issuer other than the IdP entity ID", mText(atAIss, "https://other-idp.example.it"), nil, inKO("assertion.issuer")},
		{"70", "assertion Issuer Format empty", mSet(atAIss, "Format", ""), nil, inKO("assertion.issuer.format")},
		{"71", "assertion Issuer Format missing", mDel(atAIss, "Format"), nil, inKO("assertion.issuer.format")},
		{"72", "assertion Issuer Format not entity", mSet(atAIss, "Format", NameIDTransient), nil, inKO("assertion.issuer.format")},
		{"73", "Conditions empty", mEmpty(atCond), nil, inKO("assertion.conditions.notbefore")},
		{"74", "Conditions missing", mRm(atCond), nil, inKO("assertion.conditions")},
		{"75", "Conditions NotBefore empty", mSet(atCond, "NotBefore", ""), nil, inKO("assertion.conditions.notbefore")},
		{"76", "Conditions NotBefore missing", mDel(atCond, "NotBefore"), nil, inKO("assertion.conditions.notbefore")},
		{"77", "Conditions NotBefore malformed", mSet(atCond, "NotBefore", "2026-03-02 10:00:25"), nil, inKO("assertion.conditions.notbefore")},
		{"78", "Conditions NotBefore after reception", mSet(atCond, "NotBefore", future), nil, inKO("assertion.conditions.notbefore")},
		{"79", "Conditions NotOnOrAfter empty", mSet(atCond, "NotOnOrAfter", ""), nil, inKO("assertion.conditions.notonorafter")},
		{"80", "Conditions NotOnOrAfter missing", mDel(atCond, "NotOnOrAfter"), nil, inKO("assertion.conditions.notonorafter")},
		{"81", "Conditions NotOnOrAfter malformed", mSet(atCond, "NotOnOrAfter", "2026-03-02T10:05:30"), nil, inKO("assertion.conditions.notonorafter")},
		{"82", "Conditions NotOnOrAfter before reception", mSet(atCond, "NotOnOrAfter", past), nil, inKO("assertion.conditions.notonorafter")},
		{"83", "AudienceRestriction empty", mEmpty(atAR), nil, inKO("assertion.audience")},
		{"84", "AudienceRestriction missing", mRm(atAR), nil, inKO("assertion.audiencerestriction")},
		{"85", "Audience empty", mText(atAud, ""), nil, inKO("assertion.audience")},
		{"86", "Audience missing", mRm(atAud), nil, inKO("assertion.audience")},
		{"87", "Audience other than the SP entity ID", mText(atAud, "https://other-sp.example.it"), nil, inKO("assertion.audience")},
		{"88", "AuthnStatement empty", mEmpty(atAuthn), nil, inKO("assertion.authncontext")},
		{"89", "AuthnStatement missing", mRm(atAuthn), nil, inKO("assertion.authnstatement")},
		{"90", "AuthnContext empty", mEmpty(atCtx), nil, inKO("assertion.acr")},
		{"91", "AuthnContext missing", mRm(atCtx), nil, inKO("assertion.authncontext")},
		{"92", "AuthnContextClassRef empty", mText(atRef, ""), nil, inKO("assertion.acr")},
		{"93", "AuthnContextClassRef missing", mRm(atRef), nil, inKO("assertion.acr")},
		{"97", "AuthnContextClassRef of the old specification", mText(atRef, "urn:oasis:names:tc:SAML:2.0:ac:classes:SpidL1"), nil, inKO("assertion.acr")},
		{"98", "AttributeStatement without Attribute", mEmpty(atAttrs), nil, inKO("assertion.attributestatement")},
		{"99", "Attribute without AttributeValue", mBefore(func(r *inResp) { inEmpty(r.AttributeStatement.ChildElements()[0]) }), nil, inKO("assertion.attribute")},
		{"99b", "Attribute outside an AttributeStatement (upstream's template)", mBefore(func(r *inResp) {
			inRemove(r.AttributeStatement)
			at := r.Assertion.CreateElement("saml:Attribute")
			at.CreateAttr("Name", "spidCode")
		}), nil, inKO("assertion.schema")},
	})
}

// mBefore wraps one before-signing mutation.
func mBefore(f func(r *inResp)) []func(*inBuild) { return mOne(inBefore(f)) }

// TestACRMatrix is cases 94–96 over every requested level, comparison and
// returned level. The verdicts are written out, not computed, from the
// table of spid-cie.md §1.2: same level OK unless better; higher OK;
// lower OK only with maximum.
func TestACRMatrix(t *testing.T) {
	ok, ko := inOK, inKO("assertion.acr.level")
	table := []struct {
		requested Level
		cmp       Comparison
		got       Level
		want      inVerdict
	}{
		{L1, Exact, L1, ok}, {L1, Exact, L2, ok}, {L1, Exact, L3, ok},
		{L1, Minimum, L1, ok}, {L1, Minimum, L2, ok}, {L1, Minimum, L3, ok},
		{L1, Better, L1, ko}, {L1, Better, L2, ok}, {L1, Better, L3, ok},
		{L1, Maximum, L1, ok}, {L1, Maximum, L2, ok}, {L1, Maximum, L3, ok},

		{L2, Exact, L1, ko}, {L2, Exact, L2, ok}, {L2, Exact, L3, ok},
		{L2, Minimum, L1, ko}, {L2, Minimum, L2, ok}, {L2, Minimum, L3, ok},
		{L2, Better, L1, ko}, {L2, Better, L2, ko}, {L2, Better, L3, ok},
		{L2, Maximum, L1, ok}, {L2, Maximum, L2, ok}, {L2, Maximum, L3, ok},

		{L3, Exact, L1, ko}, {L3, Exact, L2, ko}, {L3, Exact, L3, ok},
		{L3, Minimum, L1, ko}, {L3, Minimum, L2, ko}, {L3, Minimum, L3, ok},
		{L3, Better, L1, ko}, {L3, Better, L2, ko}, {L3, Better, L3, ko},
		{L3, Maximum, L1, ok}, {L3, Maximum, L2, ok}, {L3, Maximum, L3, ok},

		// An empty comparison is SAML's default, exact.
		{L2, "", L1, ko}, {L2, "", L2, ok}, {L2, "", L3, ok},
	}
	var cases []inCase
	for _, row := range table {
		cases = append(cases, inCase{
			n:       fmt.Sprintf("%d", 93+int(row.got)),
			name:    fmt.Sprintf("SpidL%d returned, %q SpidL%d requested", row.got, row.cmp, row.requested),
			opts:    mOne(inLevel(row.got)),
			pending: func(p *Pending) { p.Level, p.Comparison = row.requested, row.cmp },
			want:    row.want,
		})
	}
	inRunCases(t, cases)
}
