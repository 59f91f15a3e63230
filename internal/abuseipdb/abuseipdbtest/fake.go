package abuseipdbtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the quota day is New York's on every machine

	"github.com/wardenipd/warden/internal/abuseipdb"
	"github.com/wardenipd/warden/internal/clock"
)

// DefaultKey is the key a fake accepts when Options.Keys is empty.
const DefaultKey = "fake-abuseipdb-key-0123456789abcdef"

// FreeQuotas are the free plan's daily limits per endpoint (doc §10.2).
func FreeQuotas() map[string]int {
	return map[string]int{
		abuseipdb.EndpointCheck: 1000, abuseipdb.EndpointReports: 100, abuseipdb.EndpointBlacklist: 5,
		abuseipdb.EndpointReport: 1000, abuseipdb.EndpointCheckBlock: 100, abuseipdb.EndpointBulkReport: 5,
		abuseipdb.EndpointClearAddress: 5,
	}
}

// Options configure a fake.
type Options struct {
	// Keys are the accepted API keys; default DefaultKey.
	Keys []string
	// Clock is the fake's time; default clock.Real{}.
	Clock clock.Clock
	// Quotas override FreeQuotas per endpoint (a value <= 0 removes the limit).
	Quotas map[string]int
	// NoCountRejected makes requests answered with 422 or the 15-minute
	// 429 not count against the quota. Whether the real API counts them
	// is UNVERIFIED (doc §13); by default they count, the cautious side.
	NoCountRejected bool
	// Subscriber lifts the free plan's limits: confidenceMinimum below
	// 100 is honoured, check-block goes up to a /16 and 365 days, and
	// the blacklist's limit is not capped at 10,000.
	Subscriber bool
	// Listener, when set, is where the fake serves (say, a socket made
	// in a network namespace of the test's); default 127.0.0.1.
	Listener net.Listener
}

// Received is a report the fake received (or was seeded with).
type Received struct {
	IP         string
	Categories []int
	Comment    string    // as stored: cut at 1,024 bytes
	Timestamp  time.Time // the timestamp parameter; zero when not sent
	At         time.Time // when the fake received it (the clock's time)
	Key        string    // the key that sent it; "" for a seeded report
	Endpoint   string    // "report" or "bulk-report"; "" for a seeded report
}

// reportedAt is the report's time as the API lists it.
func (r Received) reportedAt() time.Time {
	if !r.Timestamp.IsZero() {
		return r.Timestamp
	}
	return r.At
}

// Entry is what the fake knows of an address beyond its reports; a
// seeded score overrides the computed one.
type Entry struct {
	Score         int
	CountryCode   string // "" answers null
	CountryName   string
	UsageType     string
	ISP           string
	Domain        string
	Hostnames     []string
	IsWhitelisted *bool // nil answers null
	IsTor         bool
	seeded        time.Time
}

// Server is a running fake. It is safe for concurrent use.
type Server struct {
	srv   *httptest.Server
	clk   clock.Clock
	nyc   *time.Location
	keys  map[string]int // key -> reporter ID
	opts  Options
	done  chan struct{}
	close sync.Once

	mu       sync.Mutex
	quotas   map[string]int
	used     map[quotaKey]int
	requests map[string]int
	last     map[string]time.Time // key + " " + ip -> last report (the 15-minute rule)
	reports  []Received
	entries  map[string]*Entry
	down     bool
	slow     time.Duration
	inject   map[string][]Injected
}

// Injected is an answer Inject queues for an endpoint.
type Injected struct {
	Status    int
	Detail    string // "" answers the HTML error page with Status
	Parameter string // source.parameter, if any
}

type quotaKey struct {
	key, endpoint string
	day           time.Time
}

// New starts a fake on 127.0.0.1. Close it when done.
func New(o Options) *Server {
	s := newServer(o)
	if o.Listener == nil {
		s.srv = httptest.NewServer(s)
		return s
	}
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.Listener.Close()
	s.srv.Listener = o.Listener
	s.srv.Start()
	return s
}

// NewTest starts a fake that tb closes at the end of the test.
func NewTest(tb interface{ Cleanup(func()) }, o Options) *Server {
	s := New(o)
	tb.Cleanup(s.Close)
	return s
}

func newServer(o Options) *Server {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	keys := o.Keys
	if len(keys) == 0 {
		keys = []string{DefaultKey}
	}
	nyc, err := time.LoadLocation("America/New_York")
	if err != nil { // cannot happen with time/tzdata; EST is the documented zone
		nyc = time.FixedZone("EST", -5*3600)
	}
	s := &Server{clk: o.Clock, nyc: nyc, keys: map[string]int{}, opts: o, done: make(chan struct{}),
		quotas: FreeQuotas(), used: map[quotaKey]int{}, requests: map[string]int{},
		last: map[string]time.Time{}, entries: map[string]*Entry{}, inject: map[string][]Injected{}}
	for i, k := range keys {
		s.keys[k] = 1000 + i
	}
	s.opts.Keys = slices.Clone(keys)
	for ep, n := range o.Quotas {
		s.quotas[ep] = n
	}
	return s
}

// URL is the base URL to give the client: "http://127.0.0.1:port/api/v2".
func (s *Server) URL() string { return s.srv.URL + "/api/v2" }

// Close stops the server; requests held by SetSlow end at once.
func (s *Server) Close() {
	s.close.Do(func() {
		close(s.done)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// SetDown makes every request answer a Cloudflare-like HTML 502 page (doc
// §1.1: error bodies are not always JSON) until SetDown(false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// SetSlow delays every answer by d of wall-clock time (it is there to
// test the client's timeouts, which run on the wall clock); a request
// cancelled meanwhile gets no answer. 0 ends it.
func (s *Server) SetSlow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow = d
}

// SetKeys replaces the accepted keys (a key revoked, then fixed).
// Reporter IDs stay those of the keys already known.
func (s *Server) SetKeys(keys ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := map[string]int{}
	for i, k := range keys {
		if id, ok := s.keys[k]; ok {
			next[k] = id
		} else {
			next[k] = 2000 + i
		}
	}
	s.keys = next
}

// Inject makes the next n authenticated requests to endpoint (counted
// against its quota) answer a as they are: the way to get a 422, 403 or
// 500 the client would never provoke, for the caller's error handling.
func (s *Server) Inject(endpoint string, n int, a Injected) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.inject[endpoint] = append(s.inject[endpoint], a)
	}
}

// SetQuota sets an endpoint's daily limit for every key (n <= 0: none).
func (s *Server) SetQuota(endpoint string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quotas[endpoint] = n
}

// Used returns how many requests of key counted against endpoint's quota
// today (the fake clock's New York day).
func (s *Server) Used(key, endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used[quotaKey{key, endpoint, s.dayLocked()}]
}

// Requests returns how many requests reached the endpoint ("report",
// "check", ...), whatever their answer; "" counts all.
func (s *Server) Requests(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if endpoint == "" {
		n := 0
		for _, v := range s.requests {
			n += v
		}
		return n
	}
	return s.requests[endpoint]
}

// Reports returns the reports received through report and bulk-report
// (not the seeded ones), oldest first.
func (s *Server) Reports() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Received
	for _, r := range s.reports {
		if r.Key != "" {
			r.Categories = slices.Clone(r.Categories)
			out = append(out, r)
		}
	}
	return out
}

// Seed makes ip known with a score and, optionally, reports by other
// users (their At or Timestamp set by the caller; zero means now). A
// malformed ip panics: it is the test's own mistake, not input.
func (s *Server) Seed(ip string, score int, reports ...Received) {
	s.SeedEntry(ip, Entry{Score: score}, reports...)
}

// SeedEntry is Seed with the address's other details.
func (s *Server) SeedEntry(ip string, e Entry, reports ...Received) {
	a := netip.MustParseAddr(ip).Unmap()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	e.seeded = now
	e.Hostnames = slices.Clone(e.Hostnames)
	s.entries[a.String()] = &e
	for _, r := range reports {
		r.IP, r.Key, r.Endpoint = a.String(), "", ""
		if r.At.IsZero() {
			r.At = now
		}
		r.Categories = slices.Clone(r.Categories)
		s.reports = append(s.reports, r)
	}
}

// day returns the start of the quota day holding t: midnight in New York
// (doc §10.1, inferred from the documented reset time).
func (s *Server) dayOf(t time.Time) time.Time {
	y, m, d := t.In(s.nyc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, s.nyc)
}

func (s *Server) dayLocked() time.Time { return s.dayOf(s.clk.Now()) }

// resetOf is when the quota day holding t ends.
func (s *Server) resetOf(t time.Time) time.Time {
	y, m, d := t.In(s.nyc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, s.nyc)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	endpoint, ok := strings.CutPrefix(r.URL.Path, "/api/v2/")
	endpoint = strings.TrimSuffix(endpoint, "/")
	s.mu.Lock()
	s.requests[endpoint]++
	down, slow := s.down, s.slow
	s.mu.Unlock()
	if slow > 0 && !s.wait(r.Context(), slow) {
		// No answer at all: the connection is cut, as a timed-out
		// upstream would.
		panic(http.ErrAbortHandler)
	}
	if down {
		writePage(w, http.StatusBadGateway)
		return
	}
	h, known := handlerFor(endpoint)
	if !ok || !known {
		// choice: the real answer to an unknown path is not documented.
		writeErrors(w, http.StatusNotFound, apiErr{Detail: "The requested endpoint does not exist.", Status: 404})
		return
	}
	if r.Method != h.method {
		// choice: undocumented; Laravel answers 405.
		w.Header().Set("Allow", h.method)
		writeErrors(w, http.StatusMethodNotAllowed, apiErr{Detail: "The " + r.Method + " method is not supported for this route. Supported methods: " + h.method + ".", Status: 405})
		return
	}
	p, perr := readParams(r)
	key := r.Header.Get("Key")
	if key == "" && p != nil {
		key = p.get("key")
	}
	s.mu.Lock()
	_, valid := s.keys[key]
	s.mu.Unlock()
	if !valid {
		writeErrors(w, http.StatusUnauthorized, apiErr{Detail: authDetail, Status: 401})
		return
	}
	c := &call{s: s, w: w, r: r, key: key, endpoint: endpoint, p: p}
	if !c.quota() {
		return
	}
	s.mu.Lock()
	var inj *Injected
	if q := s.inject[endpoint]; len(q) > 0 {
		inj, s.inject[endpoint] = &q[0], q[1:]
	}
	s.mu.Unlock()
	if inj != nil {
		if inj.Detail == "" {
			c.headers()
			writePage(w, inj.Status)
			return
		}
		e := apiErr{Detail: inj.Detail, Status: inj.Status}
		if inj.Parameter != "" {
			e.Source = &apiSource{Parameter: inj.Parameter}
		}
		c.fail(e)
		return
	}
	if perr != nil {
		c.fail(apiErr{Detail: perr.Error(), Status: 422})
		return
	}
	h.fn(c)
}

// wait holds a request for d of wall-clock time; false when the request
// or the server ended first.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// authDetail is the current 401 wording (doc §9.2).
const authDetail = "Authentication failed. Your API key is either missing, incorrect, or revoked. Note: The APIv2 key differs from the APIv1 key."

// writePage answers a Cloudflare-like HTML error page.
func writePage(w http.ResponseWriter, status int) {
	text := http.StatusText(status)
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Server", "cloudflare")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en-US">
<head><title>api.abuseipdb.com | %[1]d: %[2]s</title></head>
<body>
<div id="cf-error-details"><h1>%[2]s <span>Error code %[1]d</span></h1>
<p>Visit <a href="https://www.cloudflare.com/5xx-error-landing">cloudflare.com</a> for more information.</p>
<p>Cloudflare Ray ID: <strong>8f0a1b2c3d4e5f60</strong> &bull; Performance &amp; security by Cloudflare</p></div>
</body>
</html>
`, status, text)
}

type handler struct {
	method string
	fn     func(*call)
}

func handlerFor(endpoint string) (handler, bool) {
	switch endpoint {
	case abuseipdb.EndpointCheck:
		return handler{http.MethodGet, (*call).check}, true
	case abuseipdb.EndpointReports:
		return handler{http.MethodGet, (*call).reportsList}, true
	case abuseipdb.EndpointBlacklist:
		return handler{http.MethodGet, (*call).blacklist}, true
	case abuseipdb.EndpointReport:
		return handler{http.MethodPost, (*call).report}, true
	case abuseipdb.EndpointCheckBlock:
		return handler{http.MethodGet, (*call).checkBlock}, true
	case abuseipdb.EndpointBulkReport:
		return handler{http.MethodPost, (*call).bulkReport}, true
	case abuseipdb.EndpointClearAddress:
		return handler{http.MethodDelete, (*call).clearAddress}, true
	}
	return handler{}, false
}
