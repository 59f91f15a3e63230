package abuseipdb_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/abuseipdb"
	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/store"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// syncBuffer is a log sink safe for the reporter's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness runs a Reporter on a store in a temporary directory, with a
// fake clock, until the test ends.
type harness struct {
	t      *testing.T
	clk    *clock.Fake
	path   string
	box    *store.Store
	api    abuseipdb.API
	opts   abuseipdb.ReporterOptions
	log    *syncBuffer
	r      *abuseipdb.Reporter
	idle   chan idleEvent
	cancel context.CancelFunc
	done   chan error
}

type idleEvent struct {
	seen uint64
	wait time.Duration
}

func newHarness(t *testing.T, api abuseipdb.API, clk *clock.Fake, o abuseipdb.ReporterOptions) *harness {
	t.Helper()
	h := &harness{t: t, clk: clk, path: filepath.Join(t.TempDir(), "warden.db"), api: api, opts: o, log: &syncBuffer{}}
	h.start()
	t.Cleanup(h.stop)
	return h
}

// start opens the store and runs a new Reporter on it.
func (h *harness) start() {
	h.t.Helper()
	box, err := store.Open(h.path)
	if err != nil {
		h.t.Fatal(err)
	}
	h.box = box
	log := slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.r = abuseipdb.NewReporter(h.api, box, h.clk, log, h.opts)
	h.idle = make(chan idleEvent, 1000)
	idle := h.idle
	abuseipdb.SetIdleHook(h.r, func(seen uint64, wait time.Duration) { idle <- idleEvent{seen, wait} })
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.r.Run(ctx) }()
}

// stop stops Run and closes the store (a shutdown of the daemon).
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Errorf("Run: %v", err)
	}
	h.cancel = nil
	if err := h.box.Close(); err != nil {
		h.t.Error(err)
	}
}

// restart is a restart of the daemon: a new Reporter on the same database.
func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	h.start()
}

// settle waits until Run has done all it can at the clock's time, and
// returns how long it then sleeps (0: until an Enqueue).
func (h *harness) settle() time.Duration {
	h.t.Helper()
	target := abuseipdb.Kick(h.r)
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev := <-h.idle:
			if ev.seen >= target {
				return ev.wait
			}
		case <-deadline:
			h.t.Fatal("the reporter did not settle")
		}
	}
}

// advance moves the clock and settles.
func (h *harness) advance(d time.Duration) time.Duration {
	h.clk.Advance(d)
	return h.settle()
}

func (h *harness) enqueue(it abuseipdb.Item) {
	h.t.Helper()
	if err := h.r.Enqueue(context.Background(), it); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) stats() abuseipdb.Stats {
	h.t.Helper()
	st, err := h.r.Stats(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

func (h *harness) wantCounts(want store.ReportStats) {
	h.t.Helper()
	if got := h.stats().ReportStats; got != want {
		h.t.Fatalf("stats %+v, want %+v", got, want)
	}
}

// fakeAPI is a hand-written stand-in for the API, following the doc's
// rules: 15 minutes per address, a daily quota per endpoint with its
// headers, a key that may be refused, a down switch.
type fakeAPI struct {
	clk *clock.Fake

	mu          sync.Mutex
	sent        []abuseipdb.Report
	bulkCalls   int
	last        map[string]time.Time
	down        bool
	keyBad      bool
	invalid     map[string]string // ip -> 422 detail
	limit       map[string]int
	used        map[string]int
	reset       time.Time
	calls       map[string]int
	bulkInvalid bool
}

func newFakeAPI(clk *clock.Fake) *fakeAPI {
	return &fakeAPI{clk: clk, last: map[string]time.Time{}, invalid: map[string]string{},
		limit: map[string]int{"report": 1000, "bulk-report": 5}, used: map[string]int{},
		reset: t0.Truncate(24 * time.Hour).Add(29 * time.Hour), calls: map[string]int{}}
}

func (f *fakeAPI) rateLimit(endpoint string) abuseipdb.RateLimit {
	return abuseipdb.RateLimit{Limit: f.limit[endpoint], Remaining: max(0, f.limit[endpoint]-f.used[endpoint]), Reset: f.reset}
}

// admit applies the key, the outage and the quota of endpoint.
func (f *fakeAPI) admit(endpoint string) error {
	f.calls[endpoint]++
	now := f.clk.Now()
	if !now.Before(f.reset) {
		f.used = map[string]int{}
		f.reset = f.reset.Add(24 * time.Hour)
	}
	switch {
	case f.down:
		return &abuseipdb.APIError{Endpoint: endpoint, Status: 502, Body: "<html>502 Bad Gateway</html>"}
	case f.keyBad:
		return &abuseipdb.APIError{Endpoint: endpoint, Status: 401, Detail: "Authentication failed. Your API key is either missing, incorrect, or revoked. Note: The APIv2 key differs from the APIv1 key."}
	case f.used[endpoint] >= f.limit[endpoint]:
		rl := f.rateLimit(endpoint)
		rl.RetryAfter = f.reset.Sub(now).Truncate(time.Second)
		return &abuseipdb.APIError{Endpoint: endpoint, Status: 429, RateLimit: rl,
			Detail: fmt.Sprintf("Daily rate limit of %d requests exceeded for this endpoint. See headers for additional details.", f.limit[endpoint])}
	}
	f.used[endpoint]++
	return nil
}

func (f *fakeAPI) Report(ctx context.Context, r abuseipdb.Report) (*abuseipdb.ReportResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.admit("report"); err != nil {
		return nil, err
	}
	if d, ok := f.invalid[r.IP]; ok {
		return nil, &abuseipdb.APIError{Endpoint: "report", Status: 422, Detail: d, Parameter: "ip"}
	}
	now := f.clk.Now()
	if last, ok := f.last[r.IP]; ok && now.Sub(last) < 15*time.Minute {
		return nil, &abuseipdb.APIError{Endpoint: "report", Status: 429, Parameter: "ip",
			Detail: "You can only report the same IP address (`" + r.IP + "`) once in 15 minutes."}
	}
	f.last[r.IP] = now
	f.sent = append(f.sent, r)
	return &abuseipdb.ReportResult{RateLimit: f.rateLimit("report")}, nil
}

func (f *fakeAPI) BulkReport(ctx context.Context, rs []abuseipdb.Report) (*abuseipdb.BulkResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.admit("bulk-report"); err != nil {
		return nil, err
	}
	f.bulkCalls++
	if f.bulkInvalid {
		return nil, &abuseipdb.APIError{Endpoint: "bulk-report", Status: 422, Detail: "The csv file could not be parsed.", Parameter: "csv"}
	}
	res := &abuseipdb.BulkResult{RateLimit: f.rateLimit("bulk-report")}
	for i, r := range rs {
		if d, ok := f.invalid[r.IP]; ok {
			res.InvalidReports = append(res.InvalidReports, abuseipdb.InvalidReport{Error: d, Input: r.IP, RowNumber: i + 2})
			continue
		}
		f.last[r.IP] = f.clk.Now()
		f.sent = append(f.sent, r)
		res.SavedReports++
	}
	return res, nil
}

func (f *fakeAPI) set(fn func(f *fakeAPI)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeAPI) reports() []abuseipdb.Report {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]abuseipdb.Report(nil), f.sent...)
}

func (f *fakeAPI) count(endpoint string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[endpoint]
}

func seedItem(ip string) abuseipdb.Item {
	return abuseipdb.Item{IP: ip, Jail: "sshd", Categories: []int{18, 21},
		Matches: []string{"Dec  1 11:59:58 srv206 sshd[1]: Failed password for root from " + ip + " port 4 ssh2"},
		Time:    t0.Add(-time.Second)}
}

func TestReporterReportsOnceWithCategories(t *testing.T) {
	clk := clock.NewFake(t0)
	api := newFakeAPI(clk)
	h := newHarness(t, api, clk, abuseipdb.ReporterOptions{Clean: abuseipdb.CleanOptions{Hostnames: []string{"srv206"}, HideUsers: true}})
	h.enqueue(seedItem("192.0.2.10"))
	h.enqueue(seedItem("192.0.2.10")) // the same ban's event again
	if wait := h.settle(); wait != 0 {
		t.Errorf("sleeps %v with nothing queued", wait)
	}
	got := api.reports()
	if len(got) != 1 {
		t.Fatalf("%d reports: %+v", len(got), got)
	}
	r := got[0]
	if r.IP != "192.0.2.10" || fmt.Sprint(r.Categories) != "[18 21]" || !r.Timestamp.Equal(t0.Add(-time.Second)) ||
		r.Comment != "Dec  1 11:59:58 [host] sshd[1]: Failed password for [user] from 192.0.2.10 port 4 ssh2" {
		t.Fatalf("report %+v", r)
	}
	h.wantCounts(store.ReportStats{Sent: 1, Addresses: 1})
}

func TestReporterFifteenMinuteRuleAcrossJailsAndRestarts(t *testing.T) {
	clk := clock.NewFake(t0)
	api := newFakeAPI(clk)
	h := newHarness(t, api, clk, abuseipdb.ReporterOptions{})
	h.enqueue(seedItem("192.0.2.20"))
	h.settle()
	h.advance(5 * time.Minute)
	web := seedItem("192.0.2.20")
	web.Jail, web.Time = "nginx", clk.Now()
	h.enqueue(web) // another jail, 5 minutes later: dropped
	h.settle()
	h.restart()
	h.enqueue(seedItem("192.0.2.20")) // the first ban's event again after a restart: already queued once
	again := seedItem("192.0.2.20")
	again.Time = clk.Now()
	h.enqueue(again) // a new ban within 15 minutes of the report, after a restart: dropped
	h.settle()
	if n := len(api.reports()); n != 1 {
		t.Fatalf("%d reports within 15 minutes", n)
	}
	if c := api.count("report"); c != 1 {
		t.Fatalf("%d requests, want 1 (the duplicates are dropped before sending)", c)
	}
	h.wantCounts(store.ReportStats{Sent: 1, Duplicates: 2, Addresses: 1})
	h.advance(11 * time.Minute)
	later := seedItem("192.0.2.20")
	later.Time = clk.Now()
	h.enqueue(later)
	h.settle()
	if n := len(api.reports()); n != 2 {
		t.Fatalf("%d reports, want 2 after 16 minutes", n)
	}
}

func TestReporterAPIDuplicateRecordedAsReported(t *testing.T) {
	clk := clock.NewFake(t0)
	api := newFakeAPI(clk)
	api.last["192.0.2.30"] = t0.Add(-time.Minute) // reported by another installation with the same key
	h := newHarness(t, api, clk, abuseipdb.ReporterOptions{})
	h.enqueue(seedItem("192.0.2.30"))
	h.settle()
	h.wantCounts(store.ReportStats{Duplicates: 1})
	if last, ok, err := h.box.LastReported(context.Background(), "192.0.2.30"); err != nil || !ok || !last.Equal(t0) {
		t.Fatalf("last reported %v %v %v", last, ok, err)
	}
}

func TestReporterRestartDoesNotReReport(t *testing.T) {
	clk := clock.NewFake(t0)
	api := newFakeAPI(clk)
	h := newHarness(t, api, clk, abuseipdb.ReporterOptions{})
	h.enqueue(seedItem("192.0.2.40"))
	h.settle()
	h.restart()
	h.advance(time.Hour)
	h.enqueue(seedItem("192.0.2.40")) // the ban restored at start, its event replayed
	h.settle()
	if n := len(api.reports()); n != 1 {
		t.Fatalf("%d reports after a restart", n)
	}
}

func TestReporterOutageThenRecovery(t *testing.T) {
	clk := clock.NewFake(t0)
	api := newFakeAPI(clk)
	api.down = true
	h := newHarness(t, api, clk, abuseipdb.ReporterOptions{})
	h.enqueue(seedItem("192.0.2.50"))
	h.enqueue(seedItem("192.0.2.51"))
	waits := []time.Duration{h.settle()}
	for range 8 {
		waits = append(waits, h.advance(waits[len(waits)-1]))
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("back-off %v, want %v", waits, want)
	}
	if c := api.count("report"); c != 9 {
		t.Errorf("%d requests during the outage, want 9 (one per try, the other report waits)", c)
	}
	if st := h.stats(); st.Queued != 2 || st.PausedUntil.IsZero() {
		t.Fatalf("stats during the outage %+v", st)
	}
	h.restart() // the queue survives a restart during the outage
	api.set(func(f *fakeAPI) { f.down = false })
	h.advance(time.Hour)
	if n := len(api.reports()); n != 2 {
		t.Fatalf("%d reports after recovery", n)
	}
	h.advance(2 * time.Hour)
	if n := len(api.reports()); n != 2 {
		t.Fatalf("%d reports: delivered twice", n)
	}
	h.wantCounts(store.ReportStats{Sent: 2, Addresses: 2})
	if !strings.Contains(h.log.String(), "AbuseIPDB unreachable") {
		t.Errorf("the outage is not logged:\n%s", h.log)
	}
}

func TestReporterQuotaExhaustionAndReset(t *testing.T) {
	clk := clock.NewFake(t0)
	api := newFakeAPI(clk)
	api.limit["report"] = 3
	h := newHarness(t, api, clk, abuseipdb.ReporterOptions{BulkThreshold: -1})
	for i := range 5 {
		h.enqueue(seedItem(fmt.Sprintf("192.0.2.%d", 60+i)))
	}
	wait := h.settle()
	if n := len(api.reports()); n != 3 {
		t.Fatalf("%d reports, want the quota's 3", n)
	}
	if want := api.reset.Sub(clk.Now()); wait != want {
		t.Fatalf("waits %v, want until the reset in %v", wait, want)
	}
	if c := api.count("report"); c != 3 {
		t.Errorf("%d requests: the budget of 3 was exceeded", c)
	}
	h.restart() // the quota state survives
	if w := h.settle(); w != wait {
		t.Fatalf("after a restart waits %v, want %v", w, wait)
	}
	if c := api.count("report"); c != 3 {
		t.Errorf("%d requests after a restart with the quota used up", c)
	}
	h.advance(wait)
	if n := len(api.reports()); n != 5 {
		t.Fatalf("%d reports after the reset, want 5", n)
	}
	h.wantCounts(store.ReportStats{Sent: 5, Addresses: 5})
}

func TestReporterQuota429(t *testing.T) {
	clk := clock.NewFake(t0)
	api := newFakeAPI(clk)
	api.used["report"] = 1000 // used up by another program with the same key
	h := newHarness(t, api, clk, abuseipdb.ReporterOptions{})
	h.enqueue(seedItem("192.0.2.70"))
	h.enqueue(seedItem("192.0.2.71"))
	wait := h.settle()
	if c := api.count("report"); c != 1 {
		t.Fatalf("%d requests after a quota 429", c)
	}
	if want := api.reset.Sub(t0); wait != want {
		t.Fatalf("waits %v, want %v", wait, want)
	}
	if !strings.Contains(h.log.String(), "daily quota used up") {
		t.Errorf("not logged:\n%s", h.log)
	}
	h.advance(wait)
	if n := len(api.reports()); n != 2 {
		t.Fatalf("%d reports after the reset", n)
	}
}

func TestReporterRefusedKeyAndInvalidReport(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	clk := clock.NewFake(t0)
	api := newFakeAPI(clk)
	api.keyBad = true
	api.invalid["192.0.2.81"] = "The categories field is required."
	h := newHarness(t, api, clk, abuseipdb.ReporterOptions{})
	h.enqueue(seedItem("192.0.2.80"))
	h.enqueue(seedItem("192.0.2.81"))
	if wait := h.settle(); wait != time.Hour {
		t.Fatalf("waits %v after a 401, want an hour", wait)
	}
	h.advance(time.Hour)
	if c := api.count("report"); c != 2 {
		t.Fatalf("%d requests in an hour with a refused key, want 2", c)
	}
	if st := h.stats(); !st.KeyRejected || st.Queued != 2 {
		t.Fatalf("stats %+v", st)
	}
	if n := strings.Count(h.log.String(), "AbuseIPDB rejected the API key"); n != 1 {
		t.Fatalf("the refused key is logged %d times:\n%s", n, h.log)
	}
	api.set(func(f *fakeAPI) { f.keyBad = false })
	h.advance(time.Hour)
	h.wantCounts(store.ReportStats{Sent: 1, Rejected: 1, Addresses: 1})
	rs, err := h.box.Reports(context.Background(), "192.0.2.81")
	if err != nil || len(rs) != 1 || !strings.Contains(rs[0].Reason, "The categories field is required.") {
		t.Fatalf("rejected report %+v %v", rs, err)
	}
	h.advance(24 * time.Hour)
	if c := api.count("report"); c != 4 {
		t.Errorf("%d requests: a 422 was retried", c)
	}
	if strings.Contains(h.log.String(), key) {
		t.Fatal("the key is in the log")
	}
}

func TestReporterNeverSendsPrivateOrSkipped(t *testing.T) {
	clk := clock.NewFake(t0)
	api := newFakeAPI(clk)
	h := newHarness(t, api, clk, abuseipdb.ReporterOptions{Skip: func(ip string) bool { return ip == "203.0.113.9" }})
	for _, ip := range []string{"10.0.0.5", "192.168.1.1", "127.0.0.1", "::1", "fe80::1", "100.64.1.1", "fd00::1", "203.0.113.9", "::ffff:10.0.0.1"} {
		h.enqueue(seedItem(ip))
	}
	h.enqueue(seedItem("::ffff:203.0.113.10"))
	h.settle()
	got := api.reports()
	if len(got) != 1 || got[0].IP != "203.0.113.10" {
		t.Fatalf("reports %+v", got)
	}
	if err := h.r.Enqueue(context.Background(), abuseipdb.Item{IP: "192.0.2.1", Jail: "sshd"}); err == nil {
		t.Error("no categories accepted")
	}
	if err := h.r.Enqueue(context.Background(), abuseipdb.Item{IP: "192.0.2.1", Jail: "sshd", Categories: []int{24}}); err == nil {
		t.Error("category 24 accepted")
	}
	if err := h.r.Enqueue(context.Background(), abuseipdb.Item{IP: "not an ip", Categories: []int{18}}); err == nil {
		t.Error("a bad address accepted")
	}
}

func TestReporterBulkBacklog(t *testing.T) {
	clk := clock.NewFake(t0)
	api := newFakeAPI(clk)
	api.down = true
	api.invalid["192.0.2.99"] = "Invalid Category"
	h := newHarness(t, api, clk, abuseipdb.ReporterOptions{})
	for i := range 100 {
		h.enqueue(seedItem(fmt.Sprintf("192.0.2.%d", i)))
	}
	h.settle()
	api.set(func(f *fakeAPI) { f.down = false })
	h.advance(time.Hour)
	if b := api.count("bulk-report"); b < 1 || b > 2 {
		t.Fatalf("%d bulk reports", b)
	}
	if n := len(api.reports()); n != 99 {
		t.Fatalf("%d reports", n)
	}
	h.wantCounts(store.ReportStats{Sent: 99, Rejected: 1, Addresses: 99})
}

func TestReporterBulkFileSize(t *testing.T) {
	clk := clock.NewFake(t0)
	api := newFakeAPI(clk)
	api.down = true
	h := newHarness(t, api, clk, abuseipdb.ReporterOptions{})
	abuseipdb.SetBulkBytes(h.r, 40*(100+1000))
	long := strings.Repeat("x", 1000)
	for i := range 100 {
		it := seedItem(fmt.Sprintf("192.0.2.%d", i))
		it.Matches = []string{long}
		h.enqueue(it)
	}
	h.settle()
	api.set(func(f *fakeAPI) { f.down = false })
	h.advance(time.Hour)
	// 40 and 40 in bulk; the last 20, under the threshold, one by one.
	if b, r := api.count("bulk-report"), api.count("report"); b != 2 || r != 1+20 {
		t.Fatalf("%d bulk and %d single requests", b, r)
	}
	h.wantCounts(store.ReportStats{Sent: 100, Addresses: 100})
}

func TestReporterHostileItems(t *testing.T) {
	clk := clock.NewFake(t0)
	api := newFakeAPI(clk)
	h := newHarness(t, api, clk, abuseipdb.ReporterOptions{Clean: abuseipdb.CleanOptions{HideUsers: true, Hostnames: []string{""}, Addrs: []string{"x"}}})
	huge := make([]string, 100000)
	for i := range huge {
		huge[i] = strings.Repeat("user=\x00\xff'\"\\ ", 10)
	}
	h.enqueue(abuseipdb.Item{IP: "192.0.2.200", Jail: "a\x00b'\"; DROP TABLE x", Categories: []int{18, 18, 23}, Matches: huge})
	h.enqueue(abuseipdb.Item{IP: "192.0.2.201", Categories: []int{1}, Time: t0.Add(time.Hour)}) // a future time is sent as now
	h.enqueue(abuseipdb.Item{IP: "192.0.2.202", Categories: []int{1}, Time: t0.Add(-61 * 24 * time.Hour)})
	for _, it := range []abuseipdb.Item{{IP: "192.0.2.1/24", Categories: []int{1}}, {IP: "", Categories: []int{1}},
		{IP: "192.0.2.1", Categories: []int{0}}, {IP: "192.0.2.1", Categories: []int{-1}}} {
		if err := h.r.Enqueue(context.Background(), it); err == nil {
			t.Errorf("accepted %+v", it)
		}
	}
	h.settle()
	got := api.reports()
	if len(got) != 2 || len(got[0].Comment) > abuseipdb.MaxCommentBytes || !got[1].Timestamp.Equal(t0) {
		t.Fatalf("reports %+v", got)
	}
	h.wantCounts(store.ReportStats{Sent: 2, Failed: 1, Addresses: 2})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := h.r.Run(ctx); err == nil {
		t.Fatal("a second Run ran")
	}
}

func TestReporterBulkRefusedFallsBackToSingles(t *testing.T) {
	clk := clock.NewFake(t0)
	api := newFakeAPI(clk)
	api.down, api.bulkInvalid = true, true
	h := newHarness(t, api, clk, abuseipdb.ReporterOptions{})
	for i := range 60 {
		h.enqueue(seedItem(fmt.Sprintf("192.0.2.%d", i)))
	}
	h.settle()
	api.set(func(f *fakeAPI) { f.down = false })
	h.advance(time.Hour)
	if b, r := api.count("bulk-report"), api.count("report"); b != 1 || r != 1+60 {
		t.Fatalf("%d bulk and %d single requests", b, r)
	}
	h.wantCounts(store.ReportStats{Sent: 60, Addresses: 60})
	if !strings.Contains(h.log.String(), "refused a bulk report") {
		t.Errorf("not logged:\n%s", h.log)
	}
}
