package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/abuseipdb/abuseipdbtest"
	"github.com/wardenipd/warden/internal/firewall"
)

// syncBuffer is a log sink safe for the daemon's goroutines.
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

// TestAbuseIPDBReports is issue 12's seed jail through the daemon, against
// the local AbuseIPDB stand-in: an attacker is banned and reported once
// with categories 18,21 and the matched lines as comment; a private
// attacker is banned, never reported; a restart reports nothing again; an
// address AbuseIPDB scores high is banned at its first failure
// (abuseipdb_ban_score); the key appears in no log line nor status.
func TestAbuseIPDBReports(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	fake := abuseipdbtest.NewTest(t, abuseipdbtest.Options{Keys: []string{key}})
	fake.Seed("198.51.100.66", 100)
	dir := t.TempDir()
	newConfig(t, dir, "")
	writeFile(t, filepath.Join(dir, "etc", "jail.d", "abuse.local"), `[web]
action = %(action_)s
         %(action_abuseipdb)s[abuseipdb_apikey="`+key+`", abuseipdb_category="18,21", abuseipdb_ban_score=90]
`)
	writeFile(t, filepath.Join(dir, "etc", "action.d", "abuseipdb.local"), "[Init]\nabuseipdb_url = "+fake.URL()+"\n")
	logs := &syncBuffer{}
	nft := newKernel("nftables")
	live := func(o *Options) {
		o.DryRun = false
		o.Firewall = opener(nft)
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	d := startWith(t, dir, live)
	web := filepath.Join(dir, "web.log")
	appendLines(t, web, failLine("203.0.113.7"), failLine("203.0.113.7"), failLine("203.0.113.7"))
	appendLines(t, web, failLine("10.1.2.3"), failLine("10.1.2.3"), failLine("10.1.2.3"))
	d.eventually("the report of 203.0.113.7", func() bool { return len(fake.Reports()) == 1 })
	r := fake.Reports()[0]
	if r.IP != "203.0.113.7" || !slices.Equal(r.Categories, []int{18, 21}) || r.Key != key {
		t.Errorf("report: %+v", r)
	}
	if !strings.Contains(r.Comment, "login failed from 203.0.113.7") || strings.Contains(r.Comment, "\\") {
		t.Errorf("comment: %q", r.Comment)
	}
	d.eventually("10.1.2.3 banned", func() bool { return slices.Contains(d.status("web").BannedIPs, "10.1.2.3") })

	// Reputation: one failure of a high-scoring address bans it.
	appendLines(t, web, failLine("198.51.100.66"))
	d.eventually("198.51.100.66 banned at its first failure", func() bool {
		return slices.Contains(d.status("web").BannedIPs, "198.51.100.66")
	})

	// A restart restores the bans and reports none of them again; a new
	// ban after it is reported (so the reporter runs).
	d.stop()
	d = startWith(t, dir, live)
	appendLines(t, web, failLine("203.0.113.8"), failLine("203.0.113.8"), failLine("203.0.113.8"))
	d.eventually("the report of 203.0.113.8", func() bool {
		for _, r := range fake.Reports() {
			if r.IP == "203.0.113.8" {
				return true
			}
		}
		return false
	})
	count := map[string]int{}
	for _, r := range fake.Reports() {
		count[r.IP]++
	}
	if count["203.0.113.7"] != 1 || count["10.1.2.3"] != 0 {
		t.Errorf("reports per address: %v (want 203.0.113.7 once, 10.1.2.3 never)", count)
	}
	o, err := d.client.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, _ := json.Marshal(o)
	d.stop()
	for what, text := range map[string]string{"the log": logs.String(), "status": string(st)} {
		if strings.Contains(text, key) || strings.Contains(text, key[:20]) {
			t.Errorf("%s shows the API key", what)
		}
	}
	if !strings.Contains(logs.String(), "198.51.100.66") {
		t.Error("the log says nothing of the reputation ban")
	}
}

// TestAbuseIPDBBlacklist: with abuseipdb_blacklist_score, the blacklist is
// imported at start into a firewall rule of its own, blocking every port,
// with a timeout of twice the interval; a restart that finds the list in
// the kernel does not fetch it again.
func TestAbuseIPDBBlacklist(t *testing.T) {
	const key = "feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface"
	fake := abuseipdbtest.NewTest(t, abuseipdbtest.Options{Keys: []string{key}})
	fake.Seed("203.0.113.50", 100)
	fake.Seed("2001:db8::50", 100)
	fake.Seed("203.0.113.60", 40)
	dir := t.TempDir()
	newConfig(t, dir, "")
	writeFile(t, filepath.Join(dir, "etc", "jail.d", "abuse.local"), `[web]
action = %(action_)s
         %(action_abuseipdb)s[abuseipdb_apikey="`+key+`", abuseipdb_category="18", abuseipdb_blacklist_score=100, abuseipdb_blacklist_interval=12h]
`)
	writeFile(t, filepath.Join(dir, "etc", "action.d", "abuseipdb.local"), "[Init]\nabuseipdb_url = "+fake.URL()+"\n")
	nft := newKernel("nftables")
	live := func(o *Options) { o.DryRun = false; o.Firewall = opener(nft); o.KeepFirewall = true }
	d := startWith(t, dir, live)
	r, ok := nft.rule(blacklistRule.Name)
	if !ok || len(r.Ports) != 0 || len(r.Protocols) != 0 || r.Block != firewall.Drop {
		t.Fatalf("blacklist rule: %+v, %v", r, ok)
	}
	d.eventually("the blacklist in the kernel", func() bool {
		_, a := nft.has(blacklistRule.Name, "203.0.113.50")
		_, b := nft.has(blacklistRule.Name, "2001:db8::50")
		return a && b
	})
	if _, ok := nft.has(blacklistRule.Name, "203.0.113.60"); ok {
		t.Error("an address below the score is blocked")
	}
	if to, _ := nft.has(blacklistRule.Name, "203.0.113.50"); to != 24*time.Hour {
		t.Errorf("timeout %v, want twice the 12h interval", to)
	}
	if got := d.status("web").BannedIPs; len(got) != 0 {
		t.Errorf("blacklisted addresses shown as the jail's bans: %v", got)
	}
	d.stop()
	calls := fake.Requests("blacklist")
	d = startWith(t, dir, live)
	d.stop()
	if n := fake.Requests("blacklist"); n != calls {
		t.Errorf("a restart fetched the blacklist again (%d calls, was %d)", n, calls)
	}
}

// TestAbuseIPDBThousandAttackers: with the seed jail, a brute force by
// 1,000 distinct addresses ends in exactly 1,000 reports, none twice,
// within the stand-in's free-plan limits.
func TestAbuseIPDBThousandAttackers(t *testing.T) {
	const key = "c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffee0000"
	fake := abuseipdbtest.NewTest(t, abuseipdbtest.Options{Keys: []string{key}})
	dir := t.TempDir()
	newConfig(t, dir, "")
	writeFile(t, filepath.Join(dir, "etc", "jail.d", "abuse.local"), `[web]
action = %(action_)s
         %(action_abuseipdb)s[abuseipdb_apikey="`+key+`", abuseipdb_category="18,21"]
`)
	writeFile(t, filepath.Join(dir, "etc", "action.d", "abuseipdb.local"), "[Init]\nabuseipdb_url = "+fake.URL()+"\n")
	nft := newKernel("nftables")
	d := startWith(t, dir, func(o *Options) { o.DryRun = false; o.Firewall = opener(nft) })
	var lines []string
	for round := 0; round < 3; round++ {
		for i := 0; i < 1000; i++ {
			lines = append(lines, failLine(fmt.Sprintf("203.0.%d.%d", 100+i/250, 1+i%250)))
		}
	}
	appendLines(t, filepath.Join(dir, "web.log"), lines...)
	deadline := time.Now().Add(60 * time.Second)
	for len(fake.Reports()) < 1000 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // a duplicate would come now
	seen := map[string]int{}
	for _, r := range fake.Reports() {
		seen[r.IP]++
		if !slices.Equal(r.Categories, []int{18, 21}) {
			t.Fatalf("report with categories %v", r.Categories)
		}
	}
	if len(fake.Reports()) != 1000 || len(seen) != 1000 {
		t.Fatalf("%d reports of %d addresses, want 1,000 of 1,000", len(fake.Reports()), len(seen))
	}
	if n := d.status("web").CurrentlyBanned; n != 1000 {
		t.Errorf("%d banned, want 1,000", n)
	}
	t.Logf("requests: report %d, bulk-report %d", fake.Requests("report"), fake.Requests("bulk-report"))
}
