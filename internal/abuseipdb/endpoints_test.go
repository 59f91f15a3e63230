package abuseipdb_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/abuseipdb"
	"github.com/wardenipd/warden/internal/abuseipdb/abuseipdbtest"
)

func TestCheck(t *testing.T) {
	c, fake, clk := setup(t, abuseipdbtest.Options{})
	ctx := context.Background()
	yes := true
	fake.SeedEntry("192.0.2.10", abuseipdbtest.Entry{Score: 87, CountryCode: "NL", CountryName: "Netherlands", ISP: "Example BV",
		UsageType: "Data Center/Web Hosting/Transit", Domain: "example.nl", Hostnames: []string{"scan.example.nl"}, IsWhitelisted: &yes},
		abuseipdbtest.Received{Categories: []int{14}, Comment: "old", At: start.Add(-40 * 24 * time.Hour)},
		abuseipdbtest.Received{Categories: []int{18, 22}, Comment: "seeded"})
	clk.Advance(time.Hour)
	if _, err := c.Report(ctx, abuseipdb.Report{IP: "192.0.2.10", Categories: []int{18}, Comment: "mine"}); err != nil {
		t.Fatal(err)
	}
	res, err := c.Check(ctx, "192.0.2.10", 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.IPAddress != "192.0.2.10" || res.IPVersion != 4 || res.AbuseConfidenceScore != 87 || res.CountryCode != "NL" ||
		res.CountryName != "" || res.Reports != nil || res.ISP != "Example BV" || res.IsWhitelisted == nil || !*res.IsWhitelisted ||
		res.TotalReports != 2 || res.NumDistinctUsers != 2 || !res.LastReportedAt.Equal(start.Add(time.Hour)) ||
		!slices.Equal(res.Hostnames, []string{"scan.example.nl"}) || res.RateLimit.Limit != 1000 {
		t.Errorf("check: %+v", res)
	}
	res, err = c.Check(ctx, "192.0.2.10", 365, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.TotalReports != 3 || len(res.Reports) != 3 || res.CountryName != "Netherlands" ||
		res.Reports[0].Comment != "mine" || res.Reports[2].Comment != "old" || !slices.Equal(res.Reports[1].Categories, []int{18, 22}) {
		t.Errorf("verbose: %+v", res)
	}
	// An unknown address: score 0, nulls, no report.
	res, err = c.Check(ctx, "2001:db8::5", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.IPVersion != 6 || res.AbuseConfidenceScore != 0 || res.TotalReports != 0 || !res.LastReportedAt.IsZero() ||
		res.IsWhitelisted != nil || len(res.Reports) != 0 {
		t.Errorf("unknown: %+v", res)
	}
}

func TestReportsPages(t *testing.T) {
	c, fake, clk := setup(t, abuseipdbtest.Options{})
	var seeded []abuseipdbtest.Received
	for i := range 30 {
		seeded = append(seeded, abuseipdbtest.Received{Categories: []int{18}, Comment: fmt.Sprint(i), At: start.Add(time.Duration(i) * time.Minute)})
	}
	fake.Seed("198.51.100.9", 100, seeded...)
	clk.Advance(time.Hour)
	ctx := context.Background()
	p, err := c.Reports(ctx, "198.51.100.9", 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 30 || p.Page != 1 || p.Count != 25 || p.PerPage != 25 || p.LastPage != 2 || p.NextPageURL == "" ||
		p.PreviousPageURL != "" || p.Results[0].Comment != "29" {
		t.Errorf("page 1: %+v", p)
	}
	p, err = c.Reports(ctx, "198.51.100.9", 0, 2, 25)
	if err != nil {
		t.Fatal(err)
	}
	if p.Count != 5 || p.NextPageURL != "" || p.PreviousPageURL == "" || p.Results[4].Comment != "0" {
		t.Errorf("page 2: %+v", p)
	}
}

func TestBlacklist(t *testing.T) {
	c, fake, clk := setup(t, abuseipdbtest.Options{})
	fake.SeedEntry("192.0.2.1", abuseipdbtest.Entry{Score: 100, CountryCode: "CN"})
	clk.Advance(time.Minute)
	fake.SeedEntry("192.0.2.2", abuseipdbtest.Entry{Score: 100, CountryCode: "US"})
	fake.SeedEntry("2001:db8::1", abuseipdbtest.Entry{Score: 100})
	fake.Seed("192.0.2.3", 60)
	ctx := context.Background()
	bl, err := c.Blacklist(ctx, abuseipdb.BlacklistQuery{ConfidenceMinimum: 50})
	if err != nil {
		t.Fatal(err)
	}
	var ips []string
	for _, e := range bl.Entries {
		ips = append(ips, e.IPAddress)
	}
	// Free plan: confidenceMinimum degrades to 100; newest first among equals.
	if want := []string{"192.0.2.2", "2001:db8::1", "192.0.2.1"}; !slices.Equal(ips, want) {
		t.Errorf("blacklist %v, want %v", ips, want)
	}
	if !bl.GeneratedAt.Equal(clk.Now()) || bl.RateLimit.Limit != 5 || bl.RateLimit.Remaining != 4 || bl.Entries[2].CountryCode != "CN" {
		t.Errorf("blacklist %+v", bl)
	}
	bl, err = c.Blacklist(ctx, abuseipdb.BlacklistQuery{IPVersion: 4, ExceptCountries: []string{"us"}, Plaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(bl.Entries) != 1 || bl.Entries[0].IPAddress != "192.0.2.1" || !bl.GeneratedAt.Equal(clk.Now()) {
		t.Errorf("plaintext %+v", bl)
	}
	for range 3 {
		if _, err := c.Blacklist(ctx, abuseipdb.BlacklistQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	// The sixth call of the day: errors stay JSON in plaintext mode.
	_, err = c.Blacklist(ctx, abuseipdb.BlacklistQuery{Plaintext: true})
	if !abuseipdb.IsQuota(err) || !strings.Contains(err.Error(), "Daily rate limit of 5 requests") {
		t.Errorf("sixth: %v", err)
	}

	sub, fake2, _ := setup(t, abuseipdbtest.Options{Subscriber: true})
	fake2.Seed("192.0.2.3", 60)
	fake2.Seed("192.0.2.4", 20)
	bl, err = sub.Blacklist(ctx, abuseipdb.BlacklistQuery{ConfidenceMinimum: 50})
	if err != nil || len(bl.Entries) != 1 || bl.Entries[0].AbuseConfidenceScore != 60 {
		t.Errorf("subscriber: %+v %v", bl, err)
	}
}

func TestCheckBlock(t *testing.T) {
	c, fake, clk := setup(t, abuseipdbtest.Options{})
	fake.Seed("192.0.2.77", 90, abuseipdbtest.Received{Categories: []int{18}}, abuseipdbtest.Received{Categories: []int{22}})
	fake.Seed("192.0.3.1", 90, abuseipdbtest.Received{Categories: []int{18}})
	clk.Advance(time.Minute)
	ctx := context.Background()
	b, err := c.CheckBlock(ctx, "192.0.2.9/24", 0)
	if err != nil {
		t.Fatal(err)
	}
	if b.NetworkAddress != "192.0.2.0" || b.Netmask != "255.255.255.0" || b.MinAddress != "192.0.2.1" || b.MaxAddress != "192.0.2.254" ||
		b.NumPossibleHosts != 254 || len(b.ReportedAddress) != 1 || b.ReportedAddress[0].NumReports != 2 ||
		!b.ReportedAddress[0].MostRecentReport.Equal(start) {
		t.Errorf("check-block %+v", b)
	}
	_, err = c.CheckBlock(ctx, "192.0.2.0/24", 31)
	var ae *abuseipdb.APIError
	if !errors.As(err, &ae) || !ae.IsPaymentRequired() || ae.Detail != "Must be subscribed to search beyond 30 days" || ae.Parameter != "maxAgeInDays" {
		t.Errorf("31 days: %v", err)
	}
	if _, err := c.CheckBlock(ctx, "192.0.0.0/16", 0); !errors.As(err, &ae) || ae.Status != 402 {
		t.Errorf("/16: %v", err)
	}
}

func TestBulkReport(t *testing.T) {
	c, fake, _ := setup(t, abuseipdbtest.Options{})
	ctx := context.Background()
	attack := start.Add(-time.Hour)
	res, err := c.BulkReport(ctx, []abuseipdb.Report{
		{IP: "192.0.2.1", Categories: []int{18, 22}, Comment: `a "quoted", comma` + "\nline two\\", Timestamp: attack},
		{IP: "192.0.2.2", Categories: []int{21}},
		{IP: "192.0.2.1", Categories: []int{18}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.SavedReports != 2 || len(res.InvalidReports) != 1 ||
		res.InvalidReports[0] != (abuseipdb.InvalidReport{Error: "Duplicate IP", Input: "192.0.2.1", RowNumber: 4}) ||
		res.RateLimit.Limit != 5 {
		t.Errorf("bulk %+v", res)
	}
	got := fake.Reports()
	if len(got) != 2 || got[0].Comment != "a 'quoted', comma\nline two" || !got[0].Timestamp.Equal(attack) ||
		!slices.Equal(got[0].Categories, []int{18, 22}) || got[1].Endpoint != "bulk-report" || !got[1].Timestamp.Equal(start) {
		t.Errorf("received %+v", got)
	}
	// The bulk rows count for the 15-minute rule of single reports.
	if _, err := c.Report(ctx, abuseipdb.Report{IP: "192.0.2.2", Categories: []int{18}}); !abuseipdb.IsDuplicate(err) {
		t.Errorf("report after bulk: %v", err)
	}
}

func TestClearAddress(t *testing.T) {
	c, fake, clk := setup(t, abuseipdbtest.Options{})
	ctx := context.Background()
	fake.Seed("192.0.2.5", 10, abuseipdbtest.Received{Categories: []int{18}})
	if _, err := c.Report(ctx, abuseipdb.Report{IP: "192.0.2.5", Categories: []int{18}}); err != nil {
		t.Fatal(err)
	}
	n, err := c.ClearAddress(ctx, "192.0.2.5")
	if err != nil || n != 1 {
		t.Fatalf("clear: %d %v", n, err)
	}
	res, err := c.Check(ctx, "192.0.2.5", 0, false)
	if err != nil || res.TotalReports != 1 {
		t.Errorf("after clear: %+v %v", res, err)
	}
	_ = clk
	// Cleared: the 15-minute rule starts again.
	if _, err := c.Report(ctx, abuseipdb.Report{IP: "192.0.2.5", Categories: []int{18}}); err != nil {
		t.Errorf("report after clear: %v", err)
	}
	n, rl, err := c.ClearAddressRL(ctx, "192.0.2.200")
	if err != nil || n != 0 || rl.Limit != 5 || rl.Remaining != 3 {
		t.Errorf("clear unknown: %d %+v %v", n, rl, err)
	}
}

func TestParseCategories(t *testing.T) {
	for in, want := range map[string]string{
		"18,22":                        "18,22",
		" 18, 22 ,18":                  "18,22",
		"ssh,brute-force":              "22,18",
		"SSH, Brute-Force":             "22,18",
		"SSH Brute-Force":              "",
		"web_app_attack;port-scan":     "21,14",
		"DDoS,23":                      "4,23",
		"Web App Attack":               "21",
		" , ":                          "",
		"<abuseipdb_category>":         "",
		"":                             "",
		"0":                            "",
		"24":                           "",
		"18,x":                         "",
		strings.Repeat("99999999", 20): "",
	} {
		got, err := abuseipdb.ParseCategories(in)
		if want == "" {
			if err == nil {
				t.Errorf("ParseCategories(%q) = %v, want an error", in, got)
			}
			if err != nil && !errors.Is(err, abuseipdb.ErrInvalid) {
				t.Errorf("ParseCategories(%q): %v does not wrap ErrInvalid", in, err)
			}
			continue
		}
		if err != nil || abuseipdb.JoinCategories(got) != want {
			t.Errorf("ParseCategories(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	if abuseipdb.BruteForce.Name() != "Brute-Force" || abuseipdb.Category(0).Name() != "" || abuseipdb.Category(99).String() != "category 99" ||
		abuseipdb.WebAppAttack.Slug() != "web-app-attack" {
		t.Error("names")
	}
}

func TestCutUTF8(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{{"abc", 5, "abc"}, {"abc", 2, "ab"}, {"aé", 2, "a"}, {"aé", 3, "aé"}, {"€", 2, ""}, {"x", 0, ""}, {"x", -1, ""}} {
		if got := abuseipdb.CutUTF8(tc.in, tc.n); got != tc.want {
			t.Errorf("CutUTF8(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
