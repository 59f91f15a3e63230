package abuseipdb_test

// The reporter with the real client against the fake server
// (abuseipdbtest), as the daemon runs it: issue 12's "done when" list.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wardenipd/warden/internal/abuseipdb"
	"github.com/wardenipd/warden/internal/abuseipdb/abuseipdbtest"
	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/store"
)

// liveKey looks like a real key, so that a leak is unmistakable.
const liveKey = "3f8a9c0d2b7e41f6a5c3d9e8b1f0a7c6d4e2b9f8a1c3e5d7b9f0a2c4e6d8b0f1a3c5e7d9b1f3a5c7"

// live runs a reporter whose client talks to a fake on 127.0.0.1 (through
// front, when not nil), and checks at the end that the key appears in no
// log line and no stored reason.
func live(t *testing.T, fo abuseipdbtest.Options, o abuseipdb.ReporterOptions, front func(fake http.Handler) http.Handler) (*harness, *abuseipdbtest.Server) {
	t.Helper()
	clk := clock.NewFake(t0)
	fo.Clock, fo.Keys = clk, []string{liveKey}
	fake := abuseipdbtest.NewTest(t, fo)
	base := fake.URL()
	if front != nil {
		u, err := url.Parse(fake.URL())
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(front(httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})))
		t.Cleanup(srv.Close)
		base = srv.URL + "/api/v2"
	}
	c, err := abuseipdb.New(abuseipdb.Options{BaseURL: base, Key: liveKey, Clock: clk, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, c, clk, o)
	t.Cleanup(func() {
		if strings.Contains(h.log.String(), liveKey) {
			t.Errorf("the API key is in the log:\n%s", h.log)
		}
	})
	return h, fake
}

// noKeyStored checks that no stored reason quotes the key.
func noKeyStored(t *testing.T, h *harness, ips ...string) {
	t.Helper()
	for _, ip := range ips {
		rs, err := h.box.Reports(context.Background(), ip)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if strings.Contains(r.Reason, liveKey) {
				t.Fatalf("the key is in the stored reason %q", r.Reason)
			}
		}
	}
}

func received(fake *abuseipdbtest.Server, ip string) []abuseipdbtest.Received {
	var out []abuseipdbtest.Received
	for _, r := range fake.Reports() {
		if r.IP == ip {
			out = append(out, r)
		}
	}
	return out
}

func TestLiveSeedJailReportsOnce(t *testing.T) {
	h, fake := live(t, abuseipdbtest.Options{}, abuseipdb.ReporterOptions{
		Clean: abuseipdb.CleanOptions{Hostnames: []string{"srv206"}, Addrs: []string{"10.0.0.1"}, HideUsers: true}}, nil)
	it := abuseipdb.Item{IP: "192.0.2.10", Jail: "sshd", Categories: []int{18, 21}, Time: t0.Add(-2 * time.Second),
		Matches: []string{
			"Dec  1 11:59:57 srv206 sshd[7]: Failed password for root from 192.0.2.10 port 4122 ssh2",
			"Dec  1 11:59:58 srv206 sshd[7]: Invalid user admin from 192.0.2.10 port 4123 to 10.0.0.1",
		}}
	h.enqueue(it)
	h.enqueue(it) // the same ban's event twice
	h.settle()
	got := fake.Reports()
	if len(got) != 1 {
		t.Fatalf("%d reports: %+v", len(got), got)
	}
	r := got[0]
	want := "Dec  1 11:59:57 [host] sshd[7]: Failed password for [user] from 192.0.2.10 port 4122 ssh2\n" +
		"Dec  1 11:59:58 [host] sshd[7]: Invalid user [user] from 192.0.2.10 port 4123 to [own-ip]"
	if r.IP != "192.0.2.10" || !slices.Equal(r.Categories, []int{18, 21}) || r.Comment != want ||
		!r.Timestamp.Equal(it.Time) || r.Key != liveKey || r.Endpoint != abuseipdb.EndpointReport {
		t.Fatalf("received %+v", r)
	}
	if n := fake.Requests(abuseipdb.EndpointReport); n != 1 {
		t.Errorf("%d requests", n)
	}
	st := h.stats()
	if st.ReportStats != (store.ReportStats{Sent: 1, Addresses: 1}) || st.Quotas[abuseipdb.EndpointReport].Remaining != 999 {
		t.Errorf("stats %+v", st)
	}
}

func TestLiveFifteenMinutesAndRestart(t *testing.T) {
	h, fake := live(t, abuseipdbtest.Options{}, abuseipdb.ReporterOptions{}, nil)
	h.enqueue(seedItem("192.0.2.20"))
	h.settle()
	h.advance(5 * time.Minute)
	web := seedItem("192.0.2.20")
	web.Jail, web.Time = "nginx-http-auth", h.clk.Now()
	h.enqueue(web)
	h.settle()
	h.restart()
	h.enqueue(seedItem("192.0.2.20")) // restored at start, replayed
	h.advance(5 * time.Minute)
	again := seedItem("192.0.2.20")
	again.Time = h.clk.Now()
	h.enqueue(again)
	h.settle()
	if n := len(received(fake, "192.0.2.20")); n != 1 {
		t.Fatalf("%d reports within 15 minutes", n)
	}
	if n := fake.Requests(abuseipdb.EndpointReport); n != 1 {
		t.Fatalf("%d requests: a duplicate was sent", n)
	}
	h.advance(6 * time.Minute)
	later := seedItem("192.0.2.20")
	later.Time = h.clk.Now()
	h.enqueue(later)
	h.settle()
	if n := len(received(fake, "192.0.2.20")); n != 2 {
		t.Fatalf("%d reports after 16 minutes, want 2", n)
	}
	h.wantCounts(store.ReportStats{Sent: 2, Duplicates: 2, Addresses: 1})
}

func TestLiveAPIDuplicate(t *testing.T) {
	h, fake := live(t, abuseipdbtest.Options{}, abuseipdb.ReporterOptions{}, nil)
	h.enqueue(seedItem("127.0.0.2")) // refused before: loopback
	// Another Warden with the same key reported it a minute ago: the
	// fake knows, the store does not.
	other, err := abuseipdb.New(abuseipdb.Options{BaseURL: fake.URL(), Key: liveKey})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Report(context.Background(), abuseipdb.Report{IP: "192.0.2.30", Categories: []int{18}}); err != nil {
		t.Fatal(err)
	}
	h.enqueue(seedItem("192.0.2.30"))
	h.settle()
	h.wantCounts(store.ReportStats{Duplicates: 1})
	if last, ok, err := h.box.LastReported(context.Background(), "192.0.2.30"); err != nil || !ok || !last.Equal(t0) {
		t.Fatalf("last reported %v %v %v", last, ok, err)
	}
	if n := len(fake.Reports()); n != 1 {
		t.Fatalf("%d reports", n)
	}
}

func TestLiveOutageThenRecovery(t *testing.T) {
	h, fake := live(t, abuseipdbtest.Options{}, abuseipdb.ReporterOptions{}, nil)
	fake.SetDown(true)
	h.enqueue(seedItem("192.0.2.50"))
	wait := h.settle()
	if wait != 30*time.Second {
		t.Fatalf("waits %v after a 5xx", wait)
	}
	for range 4 {
		wait = h.advance(wait)
	}
	if n := fake.Requests(abuseipdb.EndpointReport); n != 5 {
		t.Fatalf("%d requests during the outage, want 5", n)
	}
	rs, err := h.box.Reports(context.Background(), "192.0.2.50")
	if err != nil || len(rs) != 1 || rs[0].Tries != 5 || !strings.Contains(rs[0].Reason, "502") {
		t.Fatalf("queued report %+v %v", rs, err)
	}
	h.restart()
	fake.SetDown(false)
	h.advance(wait)
	h.advance(time.Hour)
	if n := len(received(fake, "192.0.2.50")); n != 1 {
		t.Fatalf("%d reports after recovery, want 1", n)
	}
	h.wantCounts(store.ReportStats{Sent: 1, Addresses: 1})
	noKeyStored(t, h, "192.0.2.50")
}

func TestLiveNetworkDown(t *testing.T) {
	// A server that holds the request until the client's timeout: the
	// fake's slow switch, with a client timeout shorter than it.
	clk := clock.NewFake(t0)
	fake := abuseipdbtest.NewTest(t, abuseipdbtest.Options{Clock: clk, Keys: []string{liveKey}})
	c, err := abuseipdb.New(abuseipdb.Options{BaseURL: fake.URL(), Key: liveKey, Clock: clk, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	fake.SetSlow(time.Hour)
	h := newHarness(t, c, clk, abuseipdb.ReporterOptions{})
	h.enqueue(seedItem("192.0.2.55"))
	if wait := h.settle(); wait != 30*time.Second {
		t.Fatalf("waits %v after a timeout", wait)
	}
	fake.SetSlow(0)
	h.advance(30 * time.Second)
	if n := len(received(fake, "192.0.2.55")); n != 1 {
		t.Fatalf("%d reports", n)
	}
	if strings.Contains(h.log.String(), liveKey) {
		t.Fatal("the key is in the log")
	}
}

func TestLiveQuotaExhaustionAndReset(t *testing.T) {
	h, fake := live(t, abuseipdbtest.Options{Quotas: map[string]int{abuseipdb.EndpointReport: 3}},
		abuseipdb.ReporterOptions{BulkThreshold: -1}, nil)
	for i := range 5 {
		h.enqueue(seedItem(fmt.Sprintf("192.0.2.%d", 60+i)))
	}
	wait := h.settle()
	if n := len(fake.Reports()); n != 3 {
		t.Fatalf("%d reports, want the quota's 3", n)
	}
	if n := fake.Requests(abuseipdb.EndpointReport); n != 3 {
		t.Fatalf("%d requests: beyond the budget", n)
	}
	q := h.stats().Quotas[abuseipdb.EndpointReport]
	// The fake's day ends at midnight in New York, 05:00 UTC in December.
	if reset := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC); q.Remaining != 0 || q.Limit != 3 || !q.Reset.Equal(reset) || !h.clk.Now().Add(wait).Equal(reset) {
		t.Fatalf("waits %v, quota %+v", wait, q)
	}
	h.restart()
	if w := h.settle(); w != wait {
		t.Fatalf("waits %v after a restart, want %v", w, wait)
	}
	h.advance(wait - time.Second)
	if n := fake.Requests(abuseipdb.EndpointReport); n != 3 {
		t.Fatalf("%d requests before the reset", n)
	}
	h.advance(time.Second)
	if n := len(fake.Reports()); n != 5 {
		t.Fatalf("%d reports after the reset, want 5\n%s", n, h.log)
	}
	h.wantCounts(store.ReportStats{Sent: 5, Addresses: 5})
}

func TestLiveQuota429FromElsewhere(t *testing.T) {
	h, fake := live(t, abuseipdbtest.Options{Quotas: map[string]int{abuseipdb.EndpointReport: 2}}, abuseipdb.ReporterOptions{}, nil)
	other, err := abuseipdb.New(abuseipdb.Options{BaseURL: fake.URL(), Key: liveKey})
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range []string{"198.51.100.1", "198.51.100.2"} {
		if _, err := other.Report(context.Background(), abuseipdb.Report{IP: ip, Categories: []int{18}}); err != nil {
			t.Fatal(err)
		}
	}
	h.enqueue(seedItem("192.0.2.70"))
	h.enqueue(seedItem("192.0.2.71"))
	wait := h.settle()
	if n := fake.Requests(abuseipdb.EndpointReport); n != 3 {
		t.Fatalf("%d requests, want 2 and one 429", n)
	}
	if wait <= 0 || wait > 25*time.Hour {
		t.Fatalf("waits %v", wait)
	}
	if !strings.Contains(h.log.String(), "daily quota used up") {
		t.Errorf("not logged:\n%s", h.log)
	}
	h.advance(wait)
	if n := len(fake.Reports()); n != 4 {
		t.Fatalf("%d reports after the reset, want 4", n)
	}
}

func TestLiveRefusedKey(t *testing.T) {
	h, fake := live(t, abuseipdbtest.Options{}, abuseipdb.ReporterOptions{}, nil)
	fake.SetKeys("another-key")
	h.enqueue(seedItem("192.0.2.80"))
	h.enqueue(seedItem("192.0.2.81"))
	if wait := h.settle(); wait != time.Hour {
		t.Fatalf("waits %v after a 401", wait)
	}
	for range 3 {
		h.advance(time.Hour)
	}
	if n := fake.Requests(abuseipdb.EndpointReport); n != 4 {
		t.Fatalf("%d requests in 3 hours with a refused key, want 4 (one an hour)", n)
	}
	if st := h.stats(); !st.KeyRejected || st.Queued != 2 {
		t.Fatalf("stats %+v", st)
	}
	if n := strings.Count(h.log.String(), "AbuseIPDB rejected the API key"); n != 1 {
		t.Fatalf("logged %d times:\n%s", n, h.log)
	}
	fake.SetKeys(liveKey) // the administrator fixed the key
	h.advance(time.Hour)
	if n := len(fake.Reports()); n != 2 {
		t.Fatalf("%d reports once the key works", n)
	}
	if !strings.Contains(h.log.String(), "accepts the API key again") {
		t.Errorf("recovery not logged:\n%s", h.log)
	}
	noKeyStored(t, h, "192.0.2.80", "192.0.2.81")
}

// documented422 answers a report of 192.0.2.91 with the documented 422
// body, as the API does for what the fake cannot be made to refuse.
func documented422(fake http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		if strings.HasSuffix(r.URL.Path, "/report") && strings.Contains(string(b), "ip=192.0.2.91") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			io.WriteString(w, `{"errors":[{"detail":"The categories field is required.","status":422,"source":{"parameter":"categories"}}]}`)
			return
		}
		fake.ServeHTTP(w, r)
	})
}

func TestLiveInvalidReport(t *testing.T) {
	h, fake := live(t, abuseipdbtest.Options{}, abuseipdb.ReporterOptions{}, documented422)
	h.enqueue(seedItem("192.0.2.90"))
	h.enqueue(seedItem("192.0.2.91"))
	// A report an older Warden queued with a category the API has not.
	if _, _, err := h.box.QueueReport(context.Background(), store.Report{IP: "192.0.2.92", Jail: "sshd",
		Categories: []int{18, 99}, Attack: t0, Enqueued: t0}); err != nil {
		t.Fatal(err)
	}
	h.settle()
	h.advance(24 * time.Hour)
	h.wantCounts(store.ReportStats{Sent: 1, Rejected: 2, Addresses: 1})
	rs, err := h.box.Reports(context.Background(), "192.0.2.91")
	if err != nil || len(rs) != 1 || !strings.Contains(rs[0].Reason, "The categories field is required.") {
		t.Fatalf("rejected report %+v %v", rs, err)
	}
	if n := fake.Requests(abuseipdb.EndpointReport); n != 1 {
		t.Errorf("%d requests reached the fake", n)
	}
	noKeyStored(t, h, "192.0.2.91", "192.0.2.92")
}

func TestLivePrivateAndIgnoredNeverSent(t *testing.T) {
	ignored := func(ip string) bool { return ip == "203.0.113.5" || strings.HasPrefix(ip, "198.51.100.") }
	h, fake := live(t, abuseipdbtest.Options{}, abuseipdb.ReporterOptions{Skip: ignored}, nil)
	for _, ip := range []string{"10.1.2.3", "172.16.5.4", "192.168.0.9", "100.64.0.1", "127.0.0.1", "169.254.3.3",
		"::1", "fe80::2", "fd00::7", "ff02::1", "0.0.0.0", "255.255.255.255", "203.0.113.5", "198.51.100.77", "::ffff:192.168.1.1"} {
		h.enqueue(seedItem(ip))
	}
	h.settle()
	if n := fake.Requests(abuseipdb.EndpointReport) + fake.Requests(abuseipdb.EndpointBulkReport); n != 0 {
		t.Fatalf("%d requests: %+v", n, fake.Reports())
	}
	h.wantCounts(store.ReportStats{})
}

func TestLiveThousandAttackers(t *testing.T) {
	h, fake := live(t, abuseipdbtest.Options{}, abuseipdb.ReporterOptions{}, nil)
	const n = 1000
	for i := range n {
		it := seedItem(fmt.Sprintf("203.0.%d.%d", 113+i/250, i%250+1))
		it.Time = t0.Add(time.Duration(i) * time.Millisecond)
		h.enqueue(it)
		if i%10 == 0 {
			h.enqueue(it) // some events twice
		}
	}
	h.settle()
	h.advance(time.Minute)
	got := fake.Reports()
	seen := map[string]bool{}
	for _, r := range got {
		if seen[r.IP] {
			t.Fatalf("%s reported twice", r.IP)
		}
		seen[r.IP] = true
	}
	if len(got) != n {
		t.Fatalf("%d reports, want %d", len(got), n)
	}
	rq, bulk := fake.Requests(abuseipdb.EndpointReport), fake.Requests(abuseipdb.EndpointBulkReport)
	if rq > 1000 || bulk > 5 {
		t.Fatalf("%d report and %d bulk-report requests: beyond the free quotas", rq, bulk)
	}
	h.wantCounts(store.ReportStats{Sent: n, Addresses: n})
	t.Logf("%d single and %d bulk requests", rq, bulk)
}

func TestLiveBacklogGoesInBulk(t *testing.T) {
	h, fake := live(t, abuseipdbtest.Options{}, abuseipdb.ReporterOptions{}, nil)
	fake.SetDown(true)
	for i := range 300 {
		h.enqueue(seedItem(fmt.Sprintf("203.0.113.%d", i%250+1)))
		if i >= 250 {
			it := seedItem(fmt.Sprintf("198.51.100.%d", i-249))
			h.enqueue(it)
		}
	}
	wait := h.settle()
	fake.SetDown(false)
	h.advance(wait)
	// The first report tried alone in the outage, then the backlog at once.
	if b, r := fake.Requests(abuseipdb.EndpointBulkReport), fake.Requests(abuseipdb.EndpointReport); b != 1 || r != 1 {
		t.Fatalf("%d bulk and %d single requests, want 1 and 1", b, r)
	}
	got := fake.Reports()
	if len(got) != 300 {
		t.Fatalf("%d reports, want 300", len(got))
	}
	for _, r := range got {
		if r.Endpoint != abuseipdb.EndpointBulkReport || !slices.Equal(r.Categories, []int{18, 21}) || r.Timestamp.IsZero() {
			t.Fatalf("received %+v", r)
		}
	}
	h.wantCounts(store.ReportStats{Sent: 300, Addresses: 300})
}

func TestLiveCommentCut(t *testing.T) {
	h, fake := live(t, abuseipdbtest.Options{}, abuseipdb.ReporterOptions{Clean: abuseipdb.CleanOptions{Hostnames: []string{"web1.example.org"}}}, nil)
	var lines []string
	for i := range 40 {
		lines = append(lines, fmt.Sprintf(`web1.example.org nginx: 192.0.2.12 - - "GET /wp-login.php?x=%d&ü=€ HTTP/1.1" 404 "admin@example.org"`, i))
	}
	h.enqueue(abuseipdb.Item{IP: "192.0.2.12", Jail: "nginx-botsearch", Categories: []int{21}, Matches: lines, Time: t0})
	h.settle()
	got := fake.Reports()
	if len(got) != 1 {
		t.Fatalf("%d reports", len(got))
	}
	c := got[0].Comment
	if len(c) > abuseipdb.MaxCommentBytes || len(c) < abuseipdb.MaxCommentBytes-4 || !utf8.ValidString(c) ||
		strings.Contains(c, "web1") || strings.Contains(c, "admin@") || strings.Contains(c, `\`) ||
		!strings.HasPrefix(c, `[host] nginx: 192.0.2.12 - - "GET /wp-login.php?x=0&ü=€ HTTP/1.1" 404 "[email]"`+"\n") {
		t.Fatalf("comment (%d bytes) %q", len(c), c)
	}
}
