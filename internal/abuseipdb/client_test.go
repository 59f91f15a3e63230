package abuseipdb_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wardenipd/warden/internal/abuseipdb"
	"github.com/wardenipd/warden/internal/abuseipdb/abuseipdbtest"
	"github.com/wardenipd/warden/internal/clock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start is 2026-01-15 12:00 UTC: 07:00 in New York, whose midnight (05:00
// UTC in winter) ends the quota day.
var start = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func setup(t *testing.T, o abuseipdbtest.Options) (*abuseipdb.Client, *abuseipdbtest.Server, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(start)
	o.Clock = clk
	fake := abuseipdbtest.NewTest(t, o)
	key := abuseipdbtest.DefaultKey
	if len(o.Keys) > 0 {
		key = o.Keys[0]
	}
	c := newClient(t, fake.URL(), key, clk)
	return c, fake, clk
}

func newClient(t *testing.T, url, key string, clk clock.Clock) *abuseipdb.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := abuseipdb.New(abuseipdb.Options{BaseURL: url, Key: key, Clock: clk,
		HTTP: &http.Client{Transport: tr, Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// noKey fails when err's text holds the key.
func noKey(t *testing.T, err error, key string) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), key) {
		t.Fatalf("the error holds the key: %v", err)
	}
}

func TestReport(t *testing.T) {
	c, fake, _ := setup(t, abuseipdbtest.Options{})
	ctx := context.Background()
	attack := time.Date(2026, 1, 15, 6, 59, 1, 0, time.FixedZone("", -5*3600))
	res, err := c.Report(ctx, abuseipdb.Report{IP: "203.0.113.7", Categories: []int{18, 21}, Comment: "sshd: Failed password", Timestamp: attack})
	if err != nil {
		t.Fatal(err)
	}
	if res.IPAddress != "203.0.113.7" || res.AbuseConfidenceScore != 25 {
		t.Errorf("result %+v", res)
	}
	if got, want := res.RateLimit, (abuseipdb.RateLimit{Limit: 1000, Remaining: 999}); got != want {
		t.Errorf("rate limit %+v, want %+v", got, want)
	}
	got := fake.Reports()
	if len(got) != 1 {
		t.Fatalf("fake got %d reports", len(got))
	}
	r := got[0]
	if r.IP != "203.0.113.7" || abuseipdb.JoinCategories(r.Categories) != "18,21" || r.Comment != "sshd: Failed password" ||
		!r.Timestamp.Equal(attack) || r.Key != abuseipdbtest.DefaultKey || r.Endpoint != "report" || !r.At.Equal(start) {
		t.Errorf("received %+v", r)
	}
	if _, off := r.Timestamp.Zone(); off != -5*3600 {
		t.Errorf("timestamp offset %d, want the attack's -05:00", off)
	}
	if n := fake.Requests("report"); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func TestReportCommentCut(t *testing.T) {
	c, fake, _ := setup(t, abuseipdbtest.Options{})
	long := strings.Repeat("é", 600) // 1,200 bytes
	if _, err := c.Report(context.Background(), abuseipdb.Report{IP: "2001:db8::1", Categories: []int{18}, Comment: long}); err != nil {
		t.Fatal(err)
	}
	got := fake.Reports()[0].Comment
	if len(got) != 1024 || got != strings.Repeat("é", 512) {
		t.Errorf("comment of %d bytes", len(got))
	}
}

func TestReportDuplicate(t *testing.T) {
	c, fake, clk := setup(t, abuseipdbtest.Options{})
	ctx := context.Background()
	rp := abuseipdb.Report{IP: "198.51.100.4", Categories: []int{18, 22}}
	if _, err := c.Report(ctx, rp); err != nil {
		t.Fatal(err)
	}
	clk.Advance(14*time.Minute + 59*time.Second)
	_, err := c.Report(ctx, rp)
	var ae *abuseipdb.APIError
	if !errors.As(err, &ae) || !ae.IsDuplicate() || ae.IsQuota() || ae.Status != 429 || ae.Parameter != "ip" ||
		ae.Detail != "You can only report the same IP address (`198.51.100.4`) once in 15 minutes." {
		t.Fatalf("second report: %#v", err)
	}
	if !abuseipdb.IsDuplicate(err) || abuseipdb.IsTemporary(err) || abuseipdb.IsInvalid(err) {
		t.Error("helpers disagree")
	}
	clk.Advance(time.Second)
	if _, err := c.Report(ctx, rp); err != nil {
		t.Fatalf("after 15 minutes: %v", err)
	}
	if n := len(fake.Reports()); n != 2 {
		t.Errorf("%d reports", n)
	}
	// The test address always answers the 15-minute 429 (doc §5.2).
	_, err = c.Report(ctx, abuseipdb.Report{IP: "127.0.0.2", Categories: []int{18}})
	if !abuseipdb.IsDuplicate(err) || !strings.Contains(err.Error(), "(`127.0.0.2`) once in 15 minutes") {
		t.Errorf("127.0.0.2: %v", err)
	}
}

func TestQuota(t *testing.T) {
	c, fake, clk := setup(t, abuseipdbtest.Options{})
	fake.SetQuota("report", 2)
	ctx := context.Background()
	for _, ip := range []string{"192.0.2.1", "192.0.2.2"} {
		if _, err := c.Report(ctx, abuseipdb.Report{IP: ip, Categories: []int{18}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.Report(ctx, abuseipdb.Report{IP: "192.0.2.3", Categories: []int{18}})
	var ae *abuseipdb.APIError
	if !errors.As(err, &ae) || !ae.IsQuota() || ae.IsDuplicate() ||
		ae.Detail != "Daily rate limit of 2 requests exceeded for this endpoint. See headers for additional details." {
		t.Fatalf("third report: %v", err)
	}
	reset := time.Date(2026, 1, 16, 5, 0, 0, 0, time.UTC) // midnight in New York
	if want := (abuseipdb.RateLimit{Limit: 2, Remaining: 0, Reset: reset, RetryAfter: 17 * time.Hour}); ae.RateLimit != want {
		t.Errorf("rate limit %+v, want %+v", ae.RateLimit, want)
	}
	// Other endpoints have their own quota.
	if _, err := c.Check(ctx, "192.0.2.1", 0, false); err != nil {
		t.Fatal(err)
	}
	clk.Set(reset.Add(-time.Second))
	if _, err := c.Report(ctx, abuseipdb.Report{IP: "192.0.2.3", Categories: []int{18}}); !abuseipdb.IsQuota(err) {
		t.Fatalf("a second before the reset: %v", err)
	}
	clk.Set(reset)
	res, err := c.Report(ctx, abuseipdb.Report{IP: "192.0.2.3", Categories: []int{18}})
	if err != nil {
		t.Fatalf("after the reset: %v", err)
	}
	if res.RateLimit.Remaining != 1 {
		t.Errorf("remaining %d", res.RateLimit.Remaining)
	}
	if n := len(fake.Reports()); n != 3 {
		t.Errorf("%d reports", n)
	}
}

func TestAuth(t *testing.T) {
	c, fake, _ := setup(t, abuseipdbtest.Options{Keys: []string{"the-right-key"}})
	_ = c
	const wrong = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	bad := newClient(t, fake.URL(), wrong, clock.Real{})
	_, err := bad.Report(context.Background(), abuseipdb.Report{IP: "192.0.2.1", Categories: []int{18}})
	var ae *abuseipdb.APIError
	if !errors.As(err, &ae) || !ae.IsAuth() || ae.Status != 401 ||
		ae.Detail != "Authentication failed. Your API key is either missing, incorrect, or revoked. Note: The APIv2 key differs from the APIv1 key." {
		t.Fatalf("wrong key: %v", err)
	}
	noKey(t, err, wrong)
	if len(fake.Reports()) != 0 {
		t.Error("a report with a wrong key was stored")
	}
}

func TestDownAndNetwork(t *testing.T) {
	c, fake, _ := setup(t, abuseipdbtest.Options{})
	fake.SetDown(true)
	_, err := c.Report(context.Background(), abuseipdb.Report{IP: "192.0.2.1", Categories: []int{18}})
	var ae *abuseipdb.APIError
	if !errors.As(err, &ae) || ae.Status != 502 || !ae.Temporary() || !abuseipdb.IsTemporary(err) ||
		!strings.Contains(ae.Body, "Bad Gateway") || len(ae.Body) > 200 || ae.Detail != "" {
		t.Fatalf("down: %#v", err)
	}
	fake.SetDown(false)
	if _, err := c.Report(context.Background(), abuseipdb.Report{IP: "192.0.2.1", Categories: []int{18}}); err != nil {
		t.Fatal(err)
	}
	url := fake.URL()
	fake.Close()
	_, err = newClient(t, url, "k", clock.Real{}).Check(context.Background(), "192.0.2.1", 0, false)
	var ne *abuseipdb.NetworkError
	if !errors.As(err, &ne) || !abuseipdb.IsTemporary(err) || errors.As(err, &ae) {
		t.Fatalf("closed server: %v", err)
	}
}

func TestSlow(t *testing.T) {
	_, fake, _ := setup(t, abuseipdbtest.Options{})
	fake.SetSlow(time.Minute)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c, err := abuseipdb.New(abuseipdb.Options{BaseURL: fake.URL(), Key: abuseipdbtest.DefaultKey,
		HTTP: &http.Client{Transport: tr, Timeout: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Check(context.Background(), "192.0.2.1", 0, false)
	var ne *abuseipdb.NetworkError
	if !errors.As(err, &ne) || !abuseipdb.IsTemporary(err) {
		t.Fatalf("slow: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Check(ctx, "192.0.2.1", 0, false)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestLocalValidation(t *testing.T) {
	c, fake, _ := setup(t, abuseipdbtest.Options{})
	ctx := context.Background()
	for name, f := range map[string]func() error{
		"bad ip":      func() error { _, err := c.Report(ctx, abuseipdb.Report{IP: "1.", Categories: []int{18}}); return err },
		"no category": func() error { _, err := c.Report(ctx, abuseipdb.Report{IP: "192.0.2.1"}); return err },
		"category 0": func() error {
			_, err := c.Report(ctx, abuseipdb.Report{IP: "192.0.2.1", Categories: []int{0}})
			return err
		},
		"category 24": func() error {
			_, err := c.Report(ctx, abuseipdb.Report{IP: "192.0.2.1", Categories: []int{18, 24}})
			return err
		},
		"age 366":      func() error { _, err := c.Check(ctx, "192.0.2.1", 366, false); return err },
		"perPage 101":  func() error { _, err := c.Reports(ctx, "192.0.2.1", 0, 1, 101); return err },
		"network":      func() error { _, err := c.CheckBlock(ctx, "192.0.2.1", 0); return err },
		"min score 10": func() error { _, err := c.Blacklist(ctx, abuseipdb.BlacklistQuery{ConfidenceMinimum: 10}); return err },
		"country": func() error {
			_, err := c.Blacklist(ctx, abuseipdb.BlacklistQuery{OnlyCountries: []string{"USA"}})
			return err
		},
		"bulk empty":    func() error { _, err := c.BulkReport(ctx, nil); return err },
		"bulk too many": func() error { _, err := c.BulkReport(ctx, make([]abuseipdb.Report, 10000)); return err },
		"clear bad ip":  func() error { _, err := c.ClearAddress(ctx, "nope"); return err },
	} {
		if err := f(); !errors.Is(err, abuseipdb.ErrInvalid) || !abuseipdb.IsInvalid(err) || abuseipdb.IsTemporary(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := fake.Requests(""); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

func TestNew(t *testing.T) {
	for _, o := range []abuseipdb.Options{
		{},
		{Key: "k\n"},
		{Key: "k", BaseURL: "ftp://example.org"},
		{Key: "k", BaseURL: "::"},
		{Key: "k", BaseURL: "http://"},
	} {
		if _, err := abuseipdb.New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	c, err := abuseipdb.New(abuseipdb.Options{Key: "k"})
	if err != nil || c.BaseURL() != abuseipdb.DefaultBaseURL {
		t.Fatalf("default: %v %v", c, err)
	}
	c, err = abuseipdb.New(abuseipdb.Options{Key: "k", BaseURL: "http://127.0.0.1:1/api/v2/?x=1"})
	if err != nil || c.BaseURL() != "http://127.0.0.1:1/api/v2" {
		t.Fatalf("trailing slash: %v %v", c.BaseURL(), err)
	}
}

// TestThousandAttackers: 1,000 distinct addresses reported concurrently
// fit the free plan's 1,000 reports a day exactly; the next is refused.
func TestThousandAttackers(t *testing.T) {
	c, fake, _ := setup(t, abuseipdbtest.Options{})
	ctx := context.Background()
	errs := make(chan error, 1000)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 1000; i += 4 {
				ip := netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}).String()
				_, err := c.Report(ctx, abuseipdb.Report{IP: ip, Categories: []int{18, 21}, Comment: "x"})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := fake.Reports()
	seen := map[string]bool{}
	for _, r := range got {
		seen[r.IP] = true
	}
	if len(got) != 1000 || len(seen) != 1000 || fake.Requests("report") != 1000 {
		t.Errorf("%d reports of %d addresses in %d requests", len(got), len(seen), fake.Requests("report"))
	}
	_, err := c.Report(ctx, abuseipdb.Report{IP: "198.19.0.1", Categories: []int{18}})
	if !abuseipdb.IsQuota(err) {
		t.Errorf("report 1,001: %v", err)
	}
}

func TestInject(t *testing.T) {
	c, fake, _ := setup(t, abuseipdbtest.Options{})
	ctx := context.Background()
	fake.Inject("report", 1, abuseipdbtest.Injected{Status: 422, Detail: "The ip must not be your own.", Parameter: "ip"})
	fake.Inject("report", 1, abuseipdbtest.Injected{Status: 503})
	fake.Inject("report", 1, abuseipdbtest.Injected{Status: 403, Detail: "Forbidden."})
	rp := abuseipdb.Report{IP: "192.0.2.1", Categories: []int{18}}
	_, err := c.Report(ctx, rp)
	var ae *abuseipdb.APIError
	if !errors.As(err, &ae) || !ae.IsInvalid() || ae.Parameter != "ip" || ae.Detail != "The ip must not be your own." || ae.RateLimit.Remaining != 999 {
		t.Errorf("first: %v", err)
	}
	if _, err = c.Report(ctx, rp); !abuseipdb.IsTemporary(err) || !strings.Contains(err.Error(), "Service Unavailable") {
		t.Errorf("second: %v", err)
	}
	if _, err = c.Report(ctx, rp); !abuseipdb.IsAuth(err) {
		t.Errorf("third: %v", err)
	}
	if _, err = c.Report(ctx, rp); err != nil {
		t.Errorf("fourth: %v", err)
	}
	if n := len(fake.Reports()); n != 1 {
		t.Errorf("%d reports", n)
	}
}
