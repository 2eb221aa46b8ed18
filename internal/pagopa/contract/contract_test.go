package contract_test

import (
	"testing"

	"github.com/sportello/sportello/internal/pagopa/contract"
)

// TestValidate shows the validator both accepts and refuses: a test of the
// contract that cannot fail would prove nothing about the clients.
func TestValidate(t *testing.T) {
	tests := []struct {
		name, doc, schema, body string
		ok                      bool
	}{
		{"position ok", contract.GPD, "PaymentPositionModel",
			`{"iupd":"x","type":"F","fiscalCode":"RSSMRA80A01H501U","fullName":"Mario Rossi","companyName":"Comune","switchToExpired":false}`, true},
		{"position without iupd", contract.GPD, "PaymentPositionModel",
			`{"type":"F","fiscalCode":"RSSMRA80A01H501U","fullName":"Mario Rossi","companyName":"Comune","switchToExpired":false}`, false},
		{"transfer id 6", contract.GPD, "TransferModel",
			`{"idTransfer":"6","amount":100,"remittanceInformation":"x","category":"9/0101100IM/"}`, false},
		{"amount zero", contract.GPD, "PaymentOptionModel",
			`{"iuv":"1","amount":0,"description":"x","isPartialPayment":false,"dueDate":"2026-01-01T00:00:00Z"}`, false},
		{"cart ok", contract.Checkout, "CartRequest",
			`{"paymentNotices":[{"noticeNumber":"301000000000000144","fiscalCode":"12345678903","amount":1652,"companyName":"C","description":"D"}],"returnUrls":{"returnOkUrl":"https://a/ok","returnCancelUrl":"https://a/ko","returnErrorUrl":"https://a/err"}}`, true},
		{"cart short notice", contract.Checkout, "CartRequest",
			`{"paymentNotices":[{"noticeNumber":"3010","fiscalCode":"12345678903","amount":1652,"companyName":"C","description":"D"}],"returnUrls":{"returnOkUrl":"https://a/ok","returnCancelUrl":"https://a/ko","returnErrorUrl":"https://a/err"}}`, false},
		{"problem", contract.GPD, "ProblemJson", `{"title":"Not Found","status":404,"detail":"x"}`, true},
		{"problem status 700", contract.GPD, "ProblemJson", `{"title":"x","status":700}`, false},
		{"receipts page", contract.Receipts, "PaymentsResult", `{"currentPageNumber":0,"length":0,"totalPages":0,"results":[]}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := contract.Validate(tc.doc, tc.schema, []byte(tc.body))
			if (err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
