// Package contract validates JSON bodies against the component schemas of
// pagoPA's published OpenAPI documents, vendored unmodified in openapi/ (see
// openapi/SOURCE.md). Tests of the GPD and Checkout clients and of the
// pagoPA simulator use it, so that what the product sends and what the
// simulator answers stays within the contract the real platform publishes.
package contract

import (
	"bytes"
	"embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed openapi/*.json
var docs embed.FS

// The documents, by file name.
const (
	GPD      = "gpd.json"
	GPDv3    = "gpd_v3.json"
	Receipts = "gpd_payments.json"
	Checkout = "checkout_v1.json"
)

var (
	once     sync.Once
	compiler *jsonschema.Compiler
	loadErr  error
	mu       sync.Mutex
	compiled = map[string]*jsonschema.Schema{}
)

// load adds every document to one compiler. OpenAPI 3.0 schemas are a
// dialect of JSON Schema draft 4 (exclusiveMaximum is a boolean there), so
// the compiler reads them as draft 4.
func load() {
	compiler = jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft4)
	for _, name := range []string{GPD, GPDv3, Receipts, Checkout} {
		b, err := docs.ReadFile("openapi/" + name)
		if err != nil {
			loadErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			loadErr = fmt.Errorf("contract: %s: %w", name, err)
			return
		}
		if err := compiler.AddResource("https://pagopa.example/"+name, doc); err != nil {
			loadErr = fmt.Errorf("contract: %s: %w", name, err)
			return
		}
	}
}

// Validate checks body against the component schema named schema (e.g.
// "PaymentPositionModel") of the document doc (e.g. GPD).
func Validate(doc, schema string, body []byte) error {
	once.Do(load)
	if loadErr != nil {
		return loadErr
	}
	s, err := compile(doc, schema)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("contract: %s %s: not JSON: %w", doc, schema, err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("contract: %s %s: %w", doc, schema, err)
	}
	return nil
}

func compile(doc, schema string) (*jsonschema.Schema, error) {
	mu.Lock()
	defer mu.Unlock()
	key := doc + "#" + schema
	if s, ok := compiled[key]; ok {
		return s, nil
	}
	s, err := compiler.Compile("https://pagopa.example/" + doc + "#/components/schemas/" + schema)
	if err != nil {
		return nil, fmt.Errorf("contract: compile %s: %w", key, err)
	}
	compiled[key] = s
	return s, nil
}
