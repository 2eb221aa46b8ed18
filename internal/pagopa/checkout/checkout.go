// Package checkout is the client of pagoPA Checkout's carts API
// (checkout_v1.json): the portal posts the notices a citizen is about to
// pay and sends the browser to the Location the platform answers with. The
// return URLs the citizen comes back to are only a hint: the payment is
// true when its receipt arrives (see internal/payment).
package checkout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
)

// DefaultTimeout bounds the cart call when Options.Timeout is zero: the
// citizen is waiting for the redirect.
const DefaultTimeout = 10 * time.Second

// MaxNotices is the most notices a cart holds.
const MaxNotices = 5

// ErrRefused is a cart the platform did not accept (400, 5xx, no Location).
var ErrRefused = errors.New("checkout: cart refused")

// Cart is a CartRequest.
type Cart struct {
	EmailNotice    string     `json:"emailNotice,omitempty"`
	PaymentNotices []Notice   `json:"paymentNotices"`
	ReturnURLs     ReturnURLs `json:"returnUrls"`
	IDCart         string     `json:"idCart,omitempty"`
	AllCCP         bool       `json:"allCCP,omitempty"`
}

// Notice is one notice to pay (PaymentNotice); Amount is in cents.
type Notice struct {
	NoticeNumber string `json:"noticeNumber"`
	FiscalCode   string `json:"fiscalCode"`
	Amount       int64  `json:"amount"`
	CompanyName  string `json:"companyName"`
	Description  string `json:"description"`
}

// ReturnURLs are where Checkout sends the citizen back.
type ReturnURLs struct {
	OK     string `json:"returnOkUrl"`
	Cancel string `json:"returnCancelUrl"`
	Error  string `json:"returnErrorUrl"`
}

// Options configure a Client.
type Options struct {
	// URL is the carts API base, up to /v1:
	// https://api.platform.pagopa.it/checkout/ec/v1
	URL string
	// Key is a subscription key, sent when not empty.
	Key string
	// HTTP is the client; nil means a new one. Redirects are never followed.
	HTTP    *http.Client
	Timeout time.Duration
}

// Client posts carts.
type Client struct {
	url, key string
	http     *http.Client
	timeout  time.Duration
}

// New checks the options and returns a client.
func New(o Options) (*Client, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("checkout: new: %q is not an absolute http(s) URL", o.URL)
	}
	h := &http.Client{}
	if o.HTTP != nil {
		c := *o.HTTP
		h = &c
	}
	// The 302 is the answer: its Location is for the citizen's browser.
	h.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &Client{url: strings.TrimRight(o.URL, "/"), key: o.Key, http: h, timeout: o.Timeout}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
}

// Start posts the cart and returns the URL to send the citizen to.
func (c *Client) Start(ctx context.Context, cart *Cart) (*url.URL, error) {
	if n := len(cart.PaymentNotices); n == 0 || n > MaxNotices {
		return nil, apperr.Errorf(apperr.Invalid, "checkout: %d notices, want 1–%d", n, MaxNotices)
	}
	body, err := json.Marshal(cart)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/carts", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.key != "" {
		req.Header.Set("Ocp-Apim-Subscription-Key", c.key)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, apperr.Errorf(apperr.Unavailable, "checkout: cart: %w", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther {
		kind := apperr.Unavailable
		if res.StatusCode == http.StatusBadRequest {
			kind = apperr.Invalid
		}
		return nil, apperr.Errorf(kind, "checkout: cart: %w: status %d: %.200s", ErrRefused, res.StatusCode, raw)
	}
	loc, err := res.Location()
	if err != nil {
		return nil, apperr.Errorf(apperr.Unavailable, "checkout: cart: %w: %w", ErrRefused, err)
	}
	return loc, nil
}
