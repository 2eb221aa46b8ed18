package spid_test

import (
	"encoding/base64"
	"testing"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity/spid"
)

var session = spid.SessionRef{NameID: "_a1b2c3", NameQualifier: "https://idp.example", SessionIndex: "_s9"}

// outgoingXML returns the message an IdP would read, after checking its
// signature (enveloped for POST, on the query for Redirect).
func outgoingXML(t *testing.T, out *spid.Outgoing, param string, sp *spid.SP) *etree.Element {
	t.Helper()
	if out.Binding == spid.HTTPRedirect {
		root := parseDoc(t, decodeRedirect(t, out.URL, param, sp.Certificate).xml)
		if len(children(root, "Signature")) != 0 {
			t.Error("Redirect message carries an XML signature")
		}
		return root
	}
	field := out.SAMLRequest
	if param == "SAMLResponse" {
		field = out.SAMLResponse
	}
	b, err := base64.StdEncoding.DecodeString(field)
	if err != nil {
		t.Fatalf("%s is not base64: %v", param, err)
	}
	root := parseDoc(t, b)
	verifyEnveloped(t, root, sp.Certificate)
	return root
}

// summary is what a LogoutRequest or LogoutResponse says, for cmp.Diff.
type summary struct {
	Root, Destination, Version, InResponseTo string
	Issuer, IssuerFormat, IssuerQualifier    string
	NameID, NameIDFormat, NameQualifier      string
	SessionIndex, Status, SubStatus          string
	IssueInstantOK                           bool
}

func summarize(root *etree.Element) summary {
	s := summary{
		Root: root.Tag, Destination: root.SelectAttrValue("Destination", ""),
		Version: root.SelectAttrValue("Version", ""), InResponseTo: root.SelectAttrValue("InResponseTo", ""),
		IssueInstantOK: utcString.MatchString(root.SelectAttrValue("IssueInstant", "")),
	}
	if iss := root.SelectElement("Issuer"); iss != nil {
		s.Issuer, s.IssuerFormat, s.IssuerQualifier = iss.Text(), iss.SelectAttrValue("Format", ""), iss.SelectAttrValue("NameQualifier", "")
	}
	if n := root.SelectElement("NameID"); n != nil {
		s.NameID, s.NameIDFormat, s.NameQualifier = n.Text(), n.SelectAttrValue("Format", ""), n.SelectAttrValue("NameQualifier", "")
	}
	if si := root.SelectElement("SessionIndex"); si != nil {
		s.SessionIndex = si.Text()
	}
	if c := root.FindElement("./Status/StatusCode"); c != nil {
		s.Status = c.SelectAttrValue("Value", "")
		if sub := c.SelectElement("StatusCode"); sub != nil {
			s.SubStatus = sub.SelectAttrValue("Value", "")
		}
	}
	return s
}

func TestLogoutRequest(t *testing.T) {
	sp, idp := testSP(t), testIdP(t)
	for _, tc := range []struct {
		binding spid.Binding
		dest    string
	}{{spid.HTTPRedirect, idp.SLORedirect}, {spid.HTTPPost, idp.SLOPost}} {
		t.Run(string(tc.binding), func(t *testing.T) {
			out, id, err := sp.LogoutRequest(idp, session, tc.binding, "rs1", now)
			if err != nil {
				t.Fatal(err)
			}
			root := outgoingXML(t, out, "SAMLRequest", sp)
			if root.SelectAttrValue("ID", "") != id || id == "" {
				t.Errorf("returned id %q, message ID %q", id, root.SelectAttrValue("ID", ""))
			}
			want := summary{
				Root: "LogoutRequest", Destination: tc.dest, Version: "2.0", IssueInstantOK: true,
				Issuer: spEntityID, IssuerFormat: spid.NameIDEntity, IssuerQualifier: spEntityID,
				NameID: session.NameID, NameIDFormat: spid.NameIDTransient, NameQualifier: session.NameQualifier,
				SessionIndex: session.SessionIndex,
			}
			if diff := cmp.Diff(want, summarize(root)); diff != "" {
				t.Errorf("LogoutRequest mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLogoutResponse(t *testing.T) {
	sp, idp := testSP(t), testIdP(t)
	base := summary{
		Root: "LogoutResponse", Version: "2.0", InResponseTo: "_req1", IssueInstantOK: true,
		Issuer: spEntityID, IssuerFormat: spid.NameIDEntity, IssuerQualifier: spEntityID,
	}
	tests := []struct {
		name    string
		binding spid.Binding
		partial bool
		dest    string
		status  string
		sub     string
	}{
		{"redirect success", spid.HTTPRedirect, false, idp.SLORedirect, spid.StatusSuccess, ""},
		{"post success", spid.HTTPPost, false, idp.SLOPost, spid.StatusSuccess, ""},
		{"redirect partial", spid.HTTPRedirect, true, idp.SLORedirect,
			"urn:oasis:names:tc:SAML:2.0:status:Requester", "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"},
		{"post partial", spid.HTTPPost, true, idp.SLOPost,
			"urn:oasis:names:tc:SAML:2.0:status:Requester", "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := sp.LogoutResponse(idp, "_req1", tc.partial, tc.binding, "", now)
			if err != nil {
				t.Fatal(err)
			}
			if tc.binding == spid.HTTPPost && (out.SAMLRequest != "" || out.URL != tc.dest) {
				t.Errorf("POST form: action %q, SAMLRequest set %v", out.URL, out.SAMLRequest != "")
			}
			want := base
			want.Destination, want.Status, want.SubStatus = tc.dest, tc.status, tc.sub
			if diff := cmp.Diff(want, summarize(outgoingXML(t, out, "SAMLResponse", sp))); diff != "" {
				t.Errorf("LogoutResponse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLogoutRefuses(t *testing.T) {
	sp := testSP(t)
	noSLO := testIdP(t)
	noSLO.SLOPost = ""
	tests := []struct {
		name string
		call func() error
	}{
		{"request without SessionIndex", func() error {
			s := session
			s.SessionIndex = ""
			_, _, err := sp.LogoutRequest(testIdP(t), s, spid.HTTPRedirect, "", now)
			return err
		}},
		{"request without NameQualifier", func() error {
			s := session
			s.NameQualifier = ""
			_, _, err := sp.LogoutRequest(testIdP(t), s, spid.HTTPRedirect, "", now)
			return err
		}},
		{"request to IdP without POST SLO", func() error {
			_, _, err := sp.LogoutRequest(noSLO, session, spid.HTTPPost, "", now)
			return err
		}},
		{"request with URL RelayState", func() error {
			_, _, err := sp.LogoutRequest(testIdP(t), session, spid.HTTPRedirect, "http://x", now)
			return err
		}},
		{"response to nothing", func() error {
			_, err := sp.LogoutResponse(testIdP(t), "", false, spid.HTTPRedirect, "", now)
			return err
		}},
		{"response to IdP without POST SLO", func() error {
			_, err := sp.LogoutResponse(noSLO, "_r", false, spid.HTTPPost, "", now)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("err = %v, want Invalid", err)
			}
		})
	}
}
