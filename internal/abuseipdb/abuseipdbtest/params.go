package abuseipdbtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenipd/warden/internal/abuseipdb"
)

// maxBody bounds what the fake reads of a request body: above the bulk
// file's 2 MB limit, so that limit can be answered properly.
const maxBody = 4 << 20

// params are a request's parameters from the query string and the body
// (form, multipart or JSON; doc §1.4). The body wins over the query.
type params struct {
	v     url.Values
	files map[string][]byte
}

func (p *params) get(k string) string { return strings.TrimSpace(p.v.Get(k)) }

// has reports a flag parameter: present means true, whatever its value
// (doc §1.5).
func (p *params) has(k string) bool { _, ok := p.v[k]; return ok }

// list reads a comma-separated parameter, also given repeated or as
// k[]=, k[0]= (doc §4.1).
func (p *params) list(k string) []string {
	var out []string
	for _, v := range p.v[k] {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}

// normKey turns "onlyCountries[0]" and "categories[]" into their base name.
func normKey(k string) string {
	if i := strings.IndexByte(k, '['); i > 0 && strings.HasSuffix(k, "]") {
		return k[:i]
	}
	return k
}

func readParams(r *http.Request) (*params, error) {
	p := &params{v: url.Values{}, files: map[string][]byte{}}
	q := r.URL.Query()
	// Sorted, so that k[0]=, k[1]= keep their order.
	for _, k := range slices.Sorted(maps.Keys(q)) {
		p.v[normKey(k)] = append(p.v[normKey(k)], q[k]...)
	}
	if r.Body == nil {
		return p, nil
	}
	mt, mp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body := map[string][]string{}
	switch mt {
	case "application/x-www-form-urlencoded":
		data, err := readAll(r.Body)
		if err != nil {
			return p, err
		}
		vs, err := url.ParseQuery(string(data))
		if err != nil {
			return p, errors.New("The request body could not be parsed.") //nolint:staticcheck // an API message
		}
		for _, k := range slices.Sorted(maps.Keys(vs)) {
			body[normKey(k)] = append(body[normKey(k)], vs[k]...)
		}
	case "multipart/form-data":
		data, err := readAll(r.Body)
		if err != nil {
			return p, err
		}
		mr := multipartReader(data, mp["boundary"])
		if mr == nil {
			return p, errors.New("The request body could not be parsed.")
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return p, errors.New("The request body could not be parsed.")
			}
			v, err := io.ReadAll(part)
			if err != nil {
				return p, errors.New("The request body could not be parsed.")
			}
			name := normKey(part.FormName())
			if part.FileName() != "" {
				p.files[name] = v
				continue
			}
			body[name] = append(body[name], string(v))
		}
	case "application/json":
		data, err := readAll(r.Body)
		if err != nil {
			return p, err
		}
		if len(bytes.TrimSpace(data)) == 0 {
			break
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return p, errors.New("The request body is not valid JSON.")
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if s, ok := jsonValue(m[k]); ok {
				body[normKey(k)] = append(body[normKey(k)], s)
			}
		}
	}
	for k, v := range body {
		p.v[k] = v
	}
	return p, nil
}

func readAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return nil, errors.New("The request body could not be read.")
	}
	if len(data) > maxBody {
		return nil, errors.New("The request body is too large.")
	}
	return data, nil
}

// jsonValue writes a JSON value as a parameter: arrays joined with commas
// (categories may be [18,22], doc §1.4), booleans as 1 or 0; null and
// objects are left out.
func jsonValue(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		if x {
			return "1", true
		}
		return "0", true
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := jsonValue(e); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ","), true
	}
	return "", false
}

// apiErr is one error object of the API's error body (doc §9.1).
type apiErr struct {
	Detail string     `json:"detail"`
	Status int        `json:"status"`
	Source *apiSource `json:"source,omitempty"`
}

type apiSource struct {
	Parameter string `json:"parameter"`
}

func errParam(status int, detail, param string) apiErr {
	return apiErr{Detail: detail, Status: status, Source: &apiSource{Parameter: param}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func writeErrors(w http.ResponseWriter, status int, errs ...apiErr) {
	writeJSON(w, status, map[string]any{"errors": errs})
}

// call is one authenticated request being answered.
type call struct {
	s        *Server
	w        http.ResponseWriter
	r        *http.Request
	key      string
	endpoint string
	p        *params
	counted  quotaKey
	limit    int
}

// quota counts the request against the key's daily quota for the
// endpoint, or answers the quota 429 (doc §10) and returns false.
func (c *call) quota() bool {
	s := c.s
	s.mu.Lock()
	now := s.clk.Now()
	k := quotaKey{c.key, c.endpoint, s.dayOf(now)}
	limit := s.quotas[c.endpoint]
	c.limit = limit
	if limit <= 0 {
		s.mu.Unlock()
		return true
	}
	if s.used[k] >= limit {
		s.mu.Unlock()
		reset := s.resetOf(now)
		h := c.w.Header()
		h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(reset.Sub(now).Seconds())), 10))
		writeErrors(c.w, http.StatusTooManyRequests, apiErr{Status: 429,
			Detail: fmt.Sprintf("Daily rate limit of %d requests exceeded for this endpoint. See headers for additional details.", limit)})
		return false
	}
	s.used[k]++
	c.counted = k
	s.mu.Unlock()
	return true
}

// headers sets X-RateLimit-Limit and -Remaining, which every answer of a
// limited endpoint carries (doc §10.1).
func (c *call) headers() {
	if c.limit <= 0 {
		return
	}
	c.s.mu.Lock()
	left := max(c.limit-c.s.used[c.counted], 0)
	c.s.mu.Unlock()
	c.w.Header().Set("X-RateLimit-Limit", strconv.Itoa(c.limit))
	c.w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(left))
}

func (c *call) ok(v any) {
	c.headers()
	writeJSON(c.w, http.StatusOK, v)
}

// fail answers an error; with Options.NoCountRejected a 422 or a
// 15-minute 429 gives the request back to the quota.
func (c *call) fail(e apiErr) {
	if c.s.opts.NoCountRejected && c.limit > 0 && (e.Status == 422 || e.Status == 429) {
		c.s.mu.Lock()
		if c.s.used[c.counted] > 0 {
			c.s.used[c.counted]--
		}
		c.s.mu.Unlock()
	}
	c.headers()
	writeErrors(c.w, e.Status, e)
}

func (c *call) now() time.Time { return c.s.clk.Now() }

// apiTime writes a time as the API does: "2019-03-21T16:35:16+00:00".
func apiTime(t time.Time) string { return t.UTC().Format(abuseipdb.TimeLayout) }

// nullable returns nil for "", so that it is written as null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
