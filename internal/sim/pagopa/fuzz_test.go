package pagopasim_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/pagopa/contract"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
)

// FuzzCreatePosition: whatever body a client sends, the simulator answers
// 201 with a position or 400/409 with a ProblemJson, never anything else.
func FuzzCreatePosition(f *testing.F) {
	f.Add(`{"iupd":"x","type":"F","fiscalCode":"RSSMRA80A01H501U","fullName":"Mario Rossi","companyName":"Comune","switchToExpired":false,
"paymentOption":[{"iuv":"01000000000000144","amount":100,"description":"d","isPartialPayment":false,"dueDate":"2026-04-01T00:00:00Z",
"transfer":[{"idTransfer":"1","amount":100,"remittanceInformation":"r","category":"9/0101108TS/","iban":"IT60X0542811101000000123456"}]}]}`)
	f.Add(`{"iupd":"x","paymentOption":[{"transfer":[{"stamp":{}}]}]}`)
	f.Add(`{}`)
	f.Add(`[`)
	sim := pagopasim.New(pagopasim.Options{Key: "k", Now: func() time.Time { return t0 }})
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/gpd/debt-positions-service/v1/organizations/"+ec+"/debtpositions?toPublish=true", strings.NewReader(body))
		req.Header.Set(pagopasim.KeyHeader, "k")
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusCreated:
			if err := contract.Validate(contract.GPD, "PaymentPositionModel", rec.Body.Bytes()); err != nil {
				t.Fatalf("201 outside the contract: %v\n%s", err, rec.Body)
			}
		case http.StatusBadRequest, http.StatusConflict:
			if err := contract.Validate(contract.GPD, "ProblemJson", rec.Body.Bytes()); err != nil {
				t.Fatalf("%d without a ProblemJson: %v", rec.Code, err)
			}
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
	})
}
