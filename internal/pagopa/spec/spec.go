// Package spec holds the official pagoPA interface files (WSDL, XSD,
// OpenAPI) as the project's contract, and the loaded schema that tests use to
// validate every pagoPA message the project writes, reads or simulates.
//
// Only tests import it, so the files are not linked into the product.
package spec

import (
	"embed"
	"sync"

	"github.com/sportello/sportello/internal/xsd"
)

// Files are the vendored specification files; see SOURCE.md.
//
//go:embed wsdl xsd-common openapi SOURCE.md
var Files embed.FS

// Namespaces of the documents the schema declares.
const (
	NSPaForNode = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"
	NSNodeForPa = "http://ws.pagamenti.telematici.gov/"
	NSCommon    = "http://pagopa-api.pagopa.gov.it/xsd/common-types/v1.0.0/"
	NSSOAP      = "http://schemas.xmlsoap.org/soap/envelope/"
	NSBollo     = "http://www.agenziaentrate.gov.it/2014/MarcaDaBollo"
	NSFlusso    = "http://www.digitpa.gov.it/schemas/2011/Pagamenti/"
	NSDSig      = "http://www.w3.org/2000/09/xmldsig#"
)

// Schema returns every schema of the set loaded together: a SOAP envelope
// validates with its body (lax wildcard, resolved to paForNode or
// nodeForPa), a MarcaDaBollo with its signature, a FlussoRiversamento alone.
var Schema = sync.OnceValues(func() (*xsd.Schema, error) {
	return xsd.Load(Files,
		"xsd-common/envelope.xsd",
		"wsdl/xsd/paForNode.xsd",
		"wsdl/xsd/nodeForPa.xsd",
		"xsd-common/MarcaDaBollo.xsd",
		"xsd-common/FlussoRiversamento_1_0_4.xsd",
	)
})

// Validate checks doc against the schema set, for tests.
func Validate(doc []byte) error {
	s, err := Schema()
	if err != nil {
		return err
	}
	return s.Validate(doc)
}
