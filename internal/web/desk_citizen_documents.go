package web

import (
	"net/http"
	"strconv"

	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/desk"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pratica"
)

// deskCitizenDocs is the Documenti section of the desk's citizen view:
// what the ente gave the citizen (receipts and outcomes of their pratiche,
// certificates) and the identity documents the desk checked for them, the
// numbers masked (docs/decisions/0009-identity-document-number.md). It is
// part of the view, shown and audited with the view's reason.
type deskCitizenDocs struct {
	Documents    []deskDocumentRow
	Certificates []certView
	IDChecks     []deskIDCheckRow
}

// deskDocumentRow is a receipt or an outcome of one of the citizen's pratiche.
type deskDocumentRow struct {
	When, Kind, Name, Pratica string
	PraticaID                 int64
}

// deskIDCheckRow is an identity document checked at the desk.
type deskIDCheckRow struct {
	When, For, Document, Number string
}

// deskCitizenDocuments loads the Documenti section for citizen c.
func (s *Server) deskCitizenDocuments(r *http.Request, p basePage, c *identity.Citizen) (deskCitizenDocs, error) {
	ctx := r.Context()
	var out deskCitizenDocs
	docs, err := pratica.DocumentsOf(ctx, s.db, c.Ente, c.ID, 50)
	if err != nil {
		return out, err
	}
	for _, d := range docs {
		out.Documents = append(out.Documents, deskDocumentRow{When: d.Attachment.CreatedAt.In(rome).Format("02/01/2006"),
			Kind: p.T("desk.citizen.doc-kind." + string(d.Attachment.Kind)), Name: d.Attachment.Name, Pratica: d.Title,
			PraticaID: int64(d.Pratica)})
	}
	certs, err := certificate.ForCitizen(ctx, s.db, c.Ente, c.ID)
	if err != nil {
		return out, err
	}
	for _, x := range certs {
		out.Certificates = append(out.Certificates, s.certView(p, x))
	}
	filings, err := desk.FilingsOf(ctx, s.db, c.Ente, c.ID, 50)
	if err != nil {
		return out, err
	}
	for _, f := range filings {
		if f.DocType == "" {
			continue // by phone: no document
		}
		out.IDChecks = append(out.IDChecks, deskIDCheckRow{When: f.CreatedAt.In(rome).Format("02/01/2006"),
			For: p.T("desk.citizen.id-for-filing", strconv.FormatInt(f.Pratica, 10)), Document: p.T(docTypeKey(f.DocType)),
			Number: identity.MaskDocumentNumber(f.DocNumber)})
	}
	delegations, err := identity.ListDelegations(ctx, s.db, c.Ente, identity.DelegationFilter{DelegateFiscalCode: c.FiscalCode})
	if err != nil {
		return out, err
	}
	for _, d := range delegations {
		if d.DocumentType == "" {
			continue // made online
		}
		out.IDChecks = append(out.IDChecks, deskIDCheckRow{When: d.CreatedAt.In(rome).Format("02/01/2006"),
			For: p.T("desk.citizen.id-for-delegation"), Document: p.T(docTypeKey(d.DocumentType)),
			Number: identity.MaskDocumentNumber(d.DocumentNumber)})
	}
	return out, nil
}

// docTypeKey is the label's key of a document type the desk checks.
func docTypeKey(t identity.DocumentType) string {
	for _, d := range deskDocTypes {
		if d.value == t {
			return d.key
		}
	}
	return "desk.doc.other"
}
