// Package abuseipdb talks to the AbuseIPDB API v2: a typed client for its
// seven endpoints (check, reports, blacklist, report, check-block,
// bulk-report, clear-address), with errors that carry the API's detail,
// status and rate-limit headers. The facts it follows are in
// shared/reference/abuseipdb-api.md; the fake server in abuseipdbtest
// follows the same document.
//
// The API key is sent only in the "Key" header. It never appears in an
// error, a log line or a panic: errors quote only what the server said,
// with any echo of the key replaced by "[key]".
package abuseipdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardenipd/warden/internal/clock"
)

// DefaultBaseURL is the official API v2 endpoint.
const DefaultBaseURL = "https://api.abuseipdb.com/api/v2"

// DefaultTimeout bounds a request when Options.HTTP is not given.
const DefaultTimeout = 30 * time.Second

// MaxCommentBytes is the length the API keeps of a comment (doc §5.1, §7):
// the client cuts longer comments on a UTF-8 boundary.
const MaxCommentBytes = 1024

// Endpoint names, as used in errors, quotas and the fake.
const (
	EndpointCheck        = "check"
	EndpointReports      = "reports"
	EndpointBlacklist    = "blacklist"
	EndpointReport       = "report"
	EndpointCheckBlock   = "check-block"
	EndpointBulkReport   = "bulk-report"
	EndpointClearAddress = "clear-address"
)

// Endpoints lists every endpoint name.
func Endpoints() []string {
	return []string{EndpointCheck, EndpointReports, EndpointBlacklist, EndpointReport,
		EndpointCheckBlock, EndpointBulkReport, EndpointClearAddress}
}

const (
	maxBodyBytes  = 64 << 20 // a premium blacklist is tens of MB
	maxErrorBytes = 64 << 10
	bodySnippet   = 200
)

// Options configure a Client.
type Options struct {
	BaseURL   string        // default DefaultBaseURL
	Key       string        // sent only as the "Key" header; never logged, never in errors
	HTTP      *http.Client  // default: one with Timeout; copied, with redirects refused
	Timeout   time.Duration // default DefaultTimeout; used only when HTTP is nil
	UserAgent string        // default "warden"
	Clock     clock.Clock   // default clock.Real{}: the ReportDate of a bulk row without a timestamp
}

// Client is an AbuseIPDB API v2 client. It is safe for concurrent use.
type Client struct {
	base *url.URL
	key  string
	http *http.Client
	ua   string
	clk  clock.Clock
}

// New checks o and returns a client.
func New(o Options) (*Client, error) {
	if o.Key == "" {
		return nil, errors.New("abuseipdb: no API key")
	}
	if strings.ContainsAny(o.Key, "\r\n\x00") {
		return nil, errors.New("abuseipdb: the API key contains control characters")
	}
	raw := o.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse errors quote the URL, which is ours (never the key).
		return nil, fmt.Errorf("abuseipdb: base URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("abuseipdb: base URL %q: want http(s)://host[/path]", u.Redacted())
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	var hc http.Client
	if o.HTTP != nil {
		hc = *o.HTTP
	} else {
		hc.Timeout = o.Timeout
		if hc.Timeout <= 0 {
			hc.Timeout = DefaultTimeout
		}
	}
	// Never follow a redirect: the key header would go along, to any
	// host (Go drops only its own credential headers), and a POST would
	// become a GET. The API redirects only plain HTTP to HTTPS (doc
	// §1.1), which is a configuration error to report as it is.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	ua := o.UserAgent
	if ua == "" {
		ua = "warden"
	}
	clk := o.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	return &Client{base: u, key: o.Key, http: &hc, ua: ua, clk: clk}, nil
}

// BaseURL returns the base URL the client sends to.
func (c *Client) BaseURL() string { return c.base.String() }

// RateLimit is what the response's rate-limit headers said (doc §10.1).
// Limit is 0 when the response carried no X-RateLimit-Limit (then
// Remaining means nothing); Reset is zero when X-RateLimit-Reset was
// absent, RetryAfter when Retry-After was.
type RateLimit struct {
	Limit, Remaining int
	Reset            time.Time
	RetryAfter       time.Duration
}

// Known reports whether the response carried the limit headers.
func (r RateLimit) Known() bool { return r.Limit > 0 }

func parseRateLimit(h http.Header) RateLimit {
	var rl RateLimit
	if n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Limit"))); err == nil && n > 0 {
		rl.Limit = n
		if m, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining"))); err == nil && m >= 0 {
			rl.Remaining = m
		}
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64); err == nil && n > 0 && n < 1<<40 {
		rl.Reset = time.Unix(n, 0).UTC()
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(h.Get("Retry-After")), 10, 64); err == nil && n >= 0 && n < 1<<31 {
		rl.RetryAfter = time.Duration(n) * time.Second
	}
	return rl
}

// call sends one request and decodes a 2xx JSON body into out (when out
// is not nil). form, when not nil, goes as an x-www-form-urlencoded body;
// body/contentType, when set, are sent as they are.
type request struct {
	endpoint    string
	method      string
	query       url.Values
	form        url.Values
	body        []byte
	contentType string
	accept      string
}

type response struct {
	status int
	header http.Header
	body   []byte
	rl     RateLimit
}

func (c *Client) do(ctx context.Context, rq request) (*response, error) {
	u := *c.base
	u.Path += "/" + rq.endpoint
	if len(rq.query) > 0 {
		u.RawQuery = rq.query.Encode()
	}
	var body io.Reader
	ct := rq.contentType
	switch {
	case rq.form != nil:
		body = strings.NewReader(rq.form.Encode())
		ct = "application/x-www-form-urlencoded"
	case rq.body != nil:
		body = bytes.NewReader(rq.body)
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("abuseipdb: %s: %w", rq.endpoint, err)
	}
	req.Header.Set("Key", c.key)
	accept := rq.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.ua)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &NetworkError{Endpoint: rq.endpoint, Err: c.scrubErr(err)}
	}
	defer resp.Body.Close()
	limit := int64(maxBodyBytes)
	if resp.StatusCode/100 != 2 {
		limit = maxErrorBytes
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, &NetworkError{Endpoint: rq.endpoint, Err: c.scrubErr(err)}
	}
	r := &response{status: resp.StatusCode, header: resp.Header, body: data, rl: parseRateLimit(resp.Header)}
	if resp.StatusCode/100 != 2 {
		return nil, c.apiError(rq.endpoint, r)
	}
	return r, nil
}

// decode reads a 2xx JSON body; a body that is not JSON (a proxy's page)
// becomes an *APIError carrying its first bytes.
func (c *Client) decode(endpoint string, r *response, out any) error {
	if err := json.Unmarshal(r.body, out); err != nil {
		return &APIError{Endpoint: endpoint, Status: r.status, Detail: "response is not the expected JSON: " + c.scrub(err.Error()),
			RateLimit: r.rl, Body: c.snippet(r.body)}
	}
	return nil
}

// wireError is the API's error object (doc §9.1): status may come as a
// number or a string, source is optional.
type wireError struct {
	Detail string          `json:"detail"`
	Status json.RawMessage `json:"status"`
	Source *struct {
		Parameter string `json:"parameter"`
	} `json:"source"`
}

func (c *Client) apiError(endpoint string, r *response) *APIError {
	e := &APIError{Endpoint: endpoint, Status: r.status, RateLimit: r.rl}
	var w struct {
		Errors []wireError `json:"errors"`
	}
	if json.Unmarshal(r.body, &w) == nil && len(w.Errors) > 0 {
		details := make([]string, 0, len(w.Errors))
		for i, x := range w.Errors {
			if x.Detail != "" {
				details = append(details, c.scrub(x.Detail))
			}
			if i == 0 && x.Source != nil {
				e.Parameter = c.scrub(x.Source.Parameter)
			}
		}
		e.Detail = strings.Join(details, "; ")
		return e
	}
	e.Body = c.snippet(r.body)
	return e
}

// snippet returns the first bodySnippet bytes of b as valid UTF-8 with
// control characters other than newline and tab removed, and the key
// scrubbed.
func (c *Client) snippet(b []byte) string {
	s := c.scrub(string(b))
	if len(s) > bodySnippet {
		s = CutUTF8(s, bodySnippet)
	}
	s = strings.ToValidUTF8(s, "?")
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

func (c *Client) scrub(s string) string {
	if c.key == "" {
		return s
	}
	return strings.ReplaceAll(s, c.key, "[key]")
}

// scrubErr keeps err's chain for errors.Is/As when its text does not
// hold the key (the key is only ever in a header, so it should not).
func (c *Client) scrubErr(err error) error {
	if !strings.Contains(err.Error(), c.key) {
		return err
	}
	return scrubbedError{msg: c.scrub(err.Error()), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e scrubbedError) Error() string { return e.msg }
func (e scrubbedError) Unwrap() error { return e.err }

// CutUTF8 returns s cut to at most n bytes without splitting a rune.
func CutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// mediaType returns the media type of a Content-Type header, "" if none.
func mediaType(h http.Header) string {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}
