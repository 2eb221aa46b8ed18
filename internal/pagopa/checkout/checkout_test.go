package checkout_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pagopa/checkout"
	"github.com/sportello/sportello/internal/pagopa/contract"
)

func cart(n int) *checkout.Cart {
	c := &checkout.Cart{ReturnURLs: checkout.ReturnURLs{OK: "https://ala.example/ok", Cancel: "https://ala.example/ko", Error: "https://ala.example/err"}}
	for range n {
		c.PaymentNotices = append(c.PaymentNotices, checkout.Notice{NoticeNumber: "301000000000000144", FiscalCode: "00299740228",
			Amount: 1652, CompanyName: "Comune di Ala", Description: "Diritti"})
	}
	return c
}

// TestStart: the request is a CartRequest; a 302's Location is the answer,
// anything else an error of the right kind.
func TestStart(t *testing.T) {
	tests := []struct {
		name   string
		status int
		loc    string
		notes  int
		want   apperr.Kind
	}{
		{"redirect", http.StatusFound, "https://checkout.example/c/1", 1, 0},
		{"relative redirect", http.StatusFound, "/c/2", 5, 0},
		{"refused", http.StatusBadRequest, "", 1, apperr.Invalid},
		{"platform down", http.StatusInternalServerError, "", 1, apperr.Unavailable},
		{"no location", http.StatusFound, "", 1, apperr.Unavailable},
		{"empty cart", 0, "", 0, apperr.Invalid},
		{"too many", 0, "", 6, apperr.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				body, _ := io.ReadAll(r.Body)
				if r.URL.Path != "/checkout/ec/v1/carts" || r.Method != http.MethodPost {
					t.Errorf("%s %s", r.Method, r.URL.Path)
				}
				if err := contract.Validate(contract.Checkout, "CartRequest", body); err != nil {
					t.Error(err)
				}
				if tc.loc != "" {
					w.Header().Set("Location", tc.loc)
				}
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			c, err := checkout.New(checkout.Options{URL: srv.URL + "/checkout/ec/v1/"})
			if err != nil {
				t.Fatal(err)
			}
			u, err := c.Start(context.Background(), cart(tc.notes))
			if tc.want != 0 {
				if !apperr.Is(err, tc.want) {
					t.Fatalf("Start = %v, want kind %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !u.IsAbs() || calls != 1 {
				t.Errorf("Location %s (absolute?) after %d calls", u, calls)
			}
		})
	}
}
