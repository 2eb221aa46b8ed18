package pagopasim_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/sportello/sportello/internal/pagopa/spec"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
)

// TestReceiptMatchesXSD: the receipt the receipts service returns is a
// paSendRTV2Request valid against paForNode.xsd (internal/pagopa/spec's
// validator, and xmllint where installed); the same document without its
// required idPSP is refused, so the check can fail.
func TestReceiptMatchesXSD(t *testing.T) {
	sim, _, g, _, nav := setup(t)
	if _, err := sim.Pay(ec, nav, pagopasim.Tobacconist); err != nil {
		t.Fatal(err)
	}
	raw, _, err := g.ReceiptXML(context.Background(), ec, nav[1:])
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(raw); err != nil {
		t.Errorf("receipt outside paForNode.xsd: %v\n%s", err, raw)
	}
	if err := spec.Xmllint(raw); err != nil && !errors.Is(err, spec.ErrNoXmllint) {
		t.Errorf("xmllint: %v", err)
	}
	broken := regexp.MustCompile(`<idPSP>[^<]*</idPSP>`).ReplaceAll(raw, nil)
	if bytes.Equal(broken, raw) {
		t.Fatal("no idPSP to remove")
	}
	if err := spec.Validate(broken); err == nil {
		t.Error("a receipt without idPSP validates")
	}
}
