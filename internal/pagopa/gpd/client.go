package gpd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds one call when Options.Timeout is zero. The platform
// answers in well under a second; a call that takes longer is retried by
// the job that made it.
const DefaultTimeout = 15 * time.Second

// maxBody caps what is read from the platform: a position is a few KiB, a
// receipt a few tens.
const maxBody = 4 << 20

// Options configure a Client.
type Options struct {
	// PositionsURL is the debt-positions service, up to /v1:
	// https://api.platform.pagopa.it/gpd/debt-positions-service/v1
	PositionsURL string
	// ReceiptsURL is the receipts service, up to /v1:
	// https://api.platform.pagopa.it/gpd/payments-receipts-service/v1
	ReceiptsURL string
	// Key is the subscription key (Ocp-Apim-Subscription-Key).
	Key string
	// HTTP is the client to use; nil means a new one.
	HTTP *http.Client
	// Timeout bounds each call; zero means DefaultTimeout.
	Timeout time.Duration
}

// Client calls GPD. It is safe for concurrent use.
type Client struct {
	positions, receipts string
	key                 string
	http                *http.Client
	timeout             time.Duration
}

// New checks the options and returns a client.
func New(o Options) (*Client, error) {
	for _, u := range []string{o.PositionsURL, o.ReceiptsURL} {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("gpd: new: %q is not an absolute http(s) URL", u)
		}
	}
	if o.Key == "" {
		return nil, errors.New("gpd: new: no subscription key")
	}
	c := &Client{positions: strings.TrimRight(o.PositionsURL, "/"), receipts: strings.TrimRight(o.ReceiptsURL, "/"),
		key: o.Key, http: o.HTTP, timeout: o.Timeout}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
}

// Create sends a new position; publish makes it payable at once (VALID, or
// PUBLISHED until its validity date). A position whose IUPD, IUV or NAV
// exists answers ErrConflict: see Ensure.
func (c *Client) Create(ctx context.Context, ec string, p *Position, publish bool) (*Position, error) {
	var out Position
	q := url.Values{"toPublish": {strconv.FormatBool(publish)}}
	if err := c.do(ctx, http.MethodPost, c.positionsPath(ec, "", "")+"?"+q.Encode(), p, &out, http.StatusCreated); err != nil {
		return nil, fmt.Errorf("gpd: create %s: %w", p.IUPD, err)
	}
	return &out, nil
}

// Ensure creates p, published, unless the platform already holds it: a
// create that timed out may have been applied, and its retry then answers
// 409. Ensure reads the position back and returns it when it is p (same
// IUPD, IUVs and amounts); a different position under the same identifiers
// is ErrConflict. Ensure never creates a position twice.
func (c *Client) Ensure(ctx context.Context, ec string, p *Position) (*PositionState, error) {
	_, err := c.Create(ctx, ec, p, true)
	if err != nil && !errors.Is(err, ErrConflict) {
		return nil, err
	}
	st, gerr := c.Get(ctx, ec, p.IUPD)
	if gerr != nil {
		if err != nil && errors.Is(gerr, ErrNotFound) {
			// 409 on another identifier (an IUV taken by another IUPD).
			return nil, err
		}
		return nil, gerr
	}
	if err != nil && !p.Same(st) {
		return nil, fmt.Errorf("gpd: ensure %s: %w: the platform holds a different position", p.IUPD, ErrConflict)
	}
	if st.Status == Draft {
		// Created by an attempt that did not publish (or by hand): finish it.
		if st, err = c.Publish(ctx, ec, p.IUPD); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// Get reads a position and its options' payment state.
func (c *Client) Get(ctx context.Context, ec, iupd string) (*PositionState, error) {
	var out PositionState
	if err := c.do(ctx, http.MethodGet, c.positionsPath(ec, iupd, ""), nil, &out, http.StatusOK); err != nil {
		return nil, fmt.Errorf("gpd: get %s: %w", iupd, err)
	}
	return &out, nil
}

// PositionPage is one page of positions (PaymentPositionsInfo).
type PositionPage struct {
	Positions []PositionState `json:"payment_position_list"`
	Page      struct {
		Page       int `json:"page"`
		Limit      int `json:"limit"`
		ItemsFound int `json:"items_found"`
		TotalPages int `json:"total_pages"`
	} `json:"page_info"`
}

// List reads a page (from 0) of the ente's positions, limit ≤ 50,
// optionally only those in status.
func (c *Client) List(ctx context.Context, ec string, page, limit int, status Status) (*PositionPage, error) {
	q := url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(limit)}}
	if status != "" {
		q.Set("status", string(status))
	}
	var out PositionPage
	if err := c.do(ctx, http.MethodGet, c.positionsPath(ec, "", "")+"?"+q.Encode(), nil, &out, http.StatusOK); err != nil {
		return nil, fmt.Errorf("gpd: list: %w", err)
	}
	return &out, nil
}

// Update replaces a position that has not been paid.
func (c *Client) Update(ctx context.Context, ec string, p *Position, publish bool) (*PositionState, error) {
	var out PositionState
	q := url.Values{"toPublish": {strconv.FormatBool(publish)}}
	if err := c.do(ctx, http.MethodPut, c.positionsPath(ec, p.IUPD, "")+"?"+q.Encode(), p, &out, http.StatusOK); err != nil {
		return nil, fmt.Errorf("gpd: update %s: %w", p.IUPD, err)
	}
	return &out, nil
}

// Publish makes a draft position payable.
func (c *Client) Publish(ctx context.Context, ec, iupd string) (*PositionState, error) {
	return c.action(ctx, ec, iupd, "publish")
}

// Invalidate cancels a published or valid position: it can no longer be paid.
func (c *Client) Invalidate(ctx context.Context, ec, iupd string) (*PositionState, error) {
	return c.action(ctx, ec, iupd, "invalidate")
}

// Delete removes a position nobody paid.
func (c *Client) Delete(ctx context.Context, ec, iupd string) error {
	if err := c.do(ctx, http.MethodDelete, c.positionsPath(ec, iupd, ""), nil, nil, http.StatusOK); err != nil {
		return fmt.Errorf("gpd: delete %s: %w", iupd, err)
	}
	return nil
}

func (c *Client) action(ctx context.Context, ec, iupd, verb string) (*PositionState, error) {
	var out PositionState
	if err := c.do(ctx, http.MethodPost, c.positionsPath(ec, iupd, verb), nil, &out, http.StatusOK); err != nil {
		return nil, fmt.Errorf("gpd: %s %s: %w", verb, iupd, err)
	}
	return &out, nil
}

func (c *Client) positionsPath(ec, iupd, verb string) string {
	p := c.positions + "/organizations/" + url.PathEscape(ec) + "/debtpositions"
	if iupd != "" {
		p += "/" + url.PathEscape(iupd)
	}
	if verb != "" {
		p += "/" + verb
	}
	return p
}

// ReceiptXML fetches the receipt of the notice with this IUV, as the
// platform stores it (the paSendRT request, XML), and parses it. A notice
// not paid yet is ErrNotFound.
func (c *Client) ReceiptXML(ctx context.Context, ec, iuv string) ([]byte, *Receipt, error) {
	u := c.receipts + "/payments/" + url.PathEscape(ec) + "/receipts/" + url.PathEscape(iuv)
	raw, err := c.send(ctx, http.MethodGet, u, nil, http.StatusOK)
	if err != nil {
		return nil, nil, fmt.Errorf("gpd: receipt %s: %w", iuv, err)
	}
	r, err := ParseReceipt(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("gpd: receipt %s: %w", iuv, err)
	}
	return raw, r, nil
}

// ReceiptPage is one page of the receipts list (PaymentsResult).
type ReceiptPage struct {
	CurrentPageNumber int               `json:"currentPageNumber"`
	Length            int               `json:"length"`
	TotalPages        int               `json:"totalPages"`
	Results           []json.RawMessage `json:"results"`
}

// Receipts lists a page (from 0) of the ente's receipts, pageSize ≤ 100.
func (c *Client) Receipts(ctx context.Context, ec string, page, pageSize int) (*ReceiptPage, error) {
	q := url.Values{"pageNum": {strconv.Itoa(page)}, "pageSize": {strconv.Itoa(pageSize)}}
	var out ReceiptPage
	if err := c.do(ctx, http.MethodGet, c.receipts+"/payments/"+url.PathEscape(ec)+"/receipts?"+q.Encode(), nil, &out, http.StatusOK); err != nil {
		return nil, fmt.Errorf("gpd: receipts: %w", err)
	}
	return &out, nil
}

// do sends in as JSON (when not nil) and decodes a want-status answer into
// out (when not nil).
func (c *Client) do(ctx context.Context, method, u string, in, out any, want int) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	raw, err := c.send(ctx, method, u, body, want)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &Error{Kind: ErrUnavailable, Status: want, Detail: "malformed answer: " + err.Error()}
	}
	return nil
}

// send makes one call with the subscription key and the timeout, and turns
// any status but want into an *Error.
func (c *Client) send(ctx context.Context, method, u string, body []byte, want int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Ocp-Apim-Subscription-Key", c.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, &Error{Kind: ErrTimeout, Detail: err.Error()}
		}
		return nil, &Error{Kind: ErrUnavailable, Detail: err.Error()}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		if ctx.Err() != nil {
			return nil, &Error{Kind: ErrTimeout, Status: res.StatusCode, Detail: err.Error()}
		}
		return nil, &Error{Kind: ErrUnavailable, Status: res.StatusCode, Detail: err.Error()}
	}
	if res.StatusCode == want {
		return raw, nil
	}
	return nil, problem(res, raw)
}
