// Package spec holds the official pagoPA interface files (WSDL, XSD,
// OpenAPI) as the project's contract, and the loaded schema that tests use to
// validate every pagoPA message the project writes, reads or simulates.
//
// The station imports the schema to validate what it receives; the rest
// is for tests.
package spec

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// ErrNoXmllint is returned by Xmllint on a machine without xmllint.
var ErrNoXmllint = errors.New("spec: xmllint not installed (apt-get install libxml2-utils)")

var onDisk = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "pagopa-spec-")
	if err != nil {
		return "", err
	}
	if err := os.CopyFS(dir, Files); err != nil {
		return "", err
	}
	wrapper := `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:import namespace="` + NSSOAP + `" schemaLocation="xsd-common/envelope.xsd"/>
<xs:import namespace="` + NSPaForNode + `" schemaLocation="wsdl/xsd/paForNode.xsd"/>
<xs:import namespace="` + NSNodeForPa + `" schemaLocation="wsdl/xsd/nodeForPa.xsd"/>
<xs:import namespace="` + NSBollo + `" schemaLocation="xsd-common/MarcaDaBollo.xsd"/>
<xs:import namespace="` + NSFlusso + `" schemaLocation="xsd-common/FlussoRiversamento_1_0_4.xsd"/>
</xs:schema>`
	return dir, os.WriteFile(filepath.Join(dir, "all.xsd"), []byte(wrapper), 0o644)
})

// Xmllint validates doc with libxml2's xmllint against the same schema
// set, so that tests can check that internal/xsd and a complete
// implementation agree on the project's messages. It returns ErrNoXmllint
// when the tool is missing, and xmllint's report when doc is invalid.
func Xmllint(doc []byte) error {
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		return ErrNoXmllint
	}
	dir, err := onDisk()
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "--noout", "--nonet", "--schema", filepath.Join(dir, "all.xsd"), "-")
	cmd.Stdin = bytes.NewReader(doc)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("xmllint: %w: %s", err, out)
	}
	return nil
}
