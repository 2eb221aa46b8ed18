package spec_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/pagopa/spec"
)

// TestSchemaLoads: every vendored schema loads, and a message valid for
// one and invalid for another is told apart, by this package and by
// xmllint alike.
func TestSchemaLoads(t *testing.T) {
	const verifyRes = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body><pafn:paVerifyPaymentNoticeRes><outcome>OK</outcome><paymentList><paymentOptionDescription><amount>AMOUNT</amount><options>EQ</options><dueDate>2026-12-31</dueDate><allCCP>false</allCCP></paymentOptionDescription></paymentList></pafn:paVerifyPaymentNoticeRes></soapenv:Body></soapenv:Envelope>`
	for _, tc := range []struct {
		amount string
		valid  bool
	}{{"16.52", true}, {"16.5", false}, {"0.00", false}, {"1000000000.00", false}, {"16,52", false}} {
		doc := []byte(strings.Replace(verifyRes, "AMOUNT", tc.amount, 1))
		if err := spec.Validate(doc); (err == nil) != tc.valid {
			t.Errorf("amount %s: Validate = %v, want valid %v", tc.amount, err, tc.valid)
		}
		switch err := spec.Xmllint(doc); {
		case errors.Is(err, spec.ErrNoXmllint):
		case (err == nil) != tc.valid:
			t.Errorf("amount %s: xmllint = %v, want valid %v", tc.amount, err, tc.valid)
		}
	}
	if _, err := os.Stat("SOURCE.md"); err != nil {
		t.Error(err)
	}
}
