// Package fdr is the client of pagoPA's reconciliation-flows API for
// creditor institutions (FdR, fdr_organization.json): the flows published
// for the ente, and each flow with its pages of payments, parsed by
// pagopa.ParseFlowREST. The simulator serves the same paths, so the demo
// and the tests reach it through this very client.
package fdr

import (
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

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pagopa"
)

// DefaultTimeout bounds one call when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// maxBody caps one answer: a page of 1,000 payments is about 150 KB.
const maxBody = 8 << 20

// pageSize is how many payments a page asks for (the API's maximum).
const pageSize = 1000

// Options configure a Client.
type Options struct {
	// URL is the API up to /v1: https://api.platform.pagopa.it/fdr-org/service/v1
	URL string
	// Key is the subscription key (Ocp-Apim-Subscription-Key).
	Key string
	// HTTP is the client to use; nil means a new one.
	HTTP *http.Client
	// Timeout bounds each call; zero means DefaultTimeout.
	Timeout time.Duration
}

// Client reads reconciliation flows. It is safe for concurrent use.
type Client struct {
	base, key string
	http      *http.Client
	timeout   time.Duration
}

// New checks the options and returns a client.
func New(o Options) (*Client, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("fdr: new: %q is not an absolute http(s) URL", o.URL)
	}
	if o.Key == "" {
		return nil, errors.New("fdr: new: no subscription key")
	}
	c := &Client{base: strings.TrimRight(o.URL, "/"), key: o.Key, http: o.HTTP, timeout: o.Timeout}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
}

// Ref names one published flow (FlowByPSP).
type Ref struct {
	FlowID    string    `json:"fdr"`
	PSP       string    `json:"pspId"`
	Revision  int64     `json:"revision"`
	Published time.Time `json:"published"`
	FlowDate  time.Time `json:"flowDate"`
}

type refPage struct {
	Metadata struct {
		PageNumber int `json:"pageNumber"`
		TotPage    int `json:"totPage"`
	} `json:"metadata"`
	Data []Ref `json:"data"`
}

// List returns the flows published for ente ec after since (every page);
// a zero since lets the API use its default (the start of last month).
func (c *Client) List(ctx context.Context, ec string, since time.Time) ([]Ref, error) {
	var out []Ref
	for page := 1; ; page++ {
		q := url.Values{"page": {strconv.Itoa(page)}, "size": {strconv.Itoa(pageSize)}}
		if !since.IsZero() {
			q.Set("publishedGt", since.UTC().Format("2006-01-02T15:04:05.000Z"))
		}
		b, err := c.get(ctx, "/organizations/"+url.PathEscape(ec)+"/fdrs?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("fdr: list %s: %w", ec, err)
		}
		var p refPage
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, apperr.Errorf(apperr.Unavailable, "fdr: list %s: %w", ec, err)
		}
		out = append(out, p.Data...)
		if page >= p.Metadata.TotPage || len(p.Data) == 0 {
			return out, nil
		}
	}
}

// Get reads one flow with every page of its payments, as received (flow,
// pages) and parsed.
func (c *Client) Get(ctx context.Context, ec string, r Ref) (pagopa.Flow, []byte, [][]byte, error) {
	path := "/organizations/" + url.PathEscape(ec) + "/fdrs/" + url.PathEscape(r.FlowID) + "/revisions/" +
		strconv.FormatInt(r.Revision, 10) + "/psps/" + url.PathEscape(r.PSP)
	flow, err := c.get(ctx, path)
	if err != nil {
		return pagopa.Flow{}, nil, nil, fmt.Errorf("fdr: flow %s: %w", r.FlowID, err)
	}
	var pages [][]byte
	for page := 1; ; page++ {
		b, err := c.get(ctx, path+"/payments?"+url.Values{"page": {strconv.Itoa(page)}, "size": {strconv.Itoa(pageSize)}}.Encode())
		if err != nil {
			return pagopa.Flow{}, nil, nil, fmt.Errorf("fdr: flow %s: payments page %d: %w", r.FlowID, page, err)
		}
		pages = append(pages, b)
		var p refPage
		if err := json.Unmarshal(b, &p); err != nil {
			return pagopa.Flow{}, nil, nil, apperr.Errorf(apperr.Unavailable, "fdr: flow %s: %w", r.FlowID, err)
		}
		if page >= p.Metadata.TotPage {
			break
		}
	}
	f, err := pagopa.ParseFlowREST(flow, pages...)
	if err != nil {
		return pagopa.Flow{}, nil, nil, err
	}
	return f, flow, pages, nil
}

// get makes one call and returns the body of a 200; anything else is an
// error of kind Unavailable (retry later), NotFound or Forbidden.
func (c *Client) get(ctx context.Context, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Ocp-Apim-Subscription-Key", c.key)
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return nil, apperr.Errorf(apperr.Unavailable, "%w", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return nil, apperr.Errorf(apperr.Unavailable, "%w", err)
	}
	switch {
	case res.StatusCode == http.StatusOK:
		return b, nil
	case res.StatusCode == http.StatusNotFound:
		return nil, apperr.Errorf(apperr.NotFound, "HTTP 404")
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return nil, apperr.Errorf(apperr.Forbidden, "HTTP %d: check the subscription key", res.StatusCode)
	}
	return nil, apperr.Errorf(apperr.Unavailable, "HTTP %d", res.StatusCode)
}
