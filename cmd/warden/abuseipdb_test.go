package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/store"
)

// abuseStore makes a state directory whose store reported addresses
// distinct addresses (one of them twice), with one report queued, one
// rejected and a known quota.
func abuseStore(t *testing.T, addresses int, now time.Time) string {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	queue := func(ip string, at time.Time) int64 {
		id, _, err := st.QueueReport(ctx, store.Report{IP: ip, Jail: "sshd", Categories: []int{18, 22}, Attack: at, Enqueued: at})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	var sent []int64
	for i := range addresses {
		sent = append(sent, queue(fmt.Sprintf("203.0.113.%d", i%250+1), now.Add(-time.Hour)))
	}
	if addresses > 0 {
		sent = append(sent, queue("203.0.113.1", now.Add(-10*time.Minute)))
	}
	if err := st.MarkReportsSent(ctx, sent, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	queue("198.51.100.7", now)
	rej := queue("198.51.100.8", now)
	if err := st.FinishReport(ctx, rej, store.ReportRejected, "422 invalid", now); err != nil {
		t.Fatal(err)
	}
	if err := st.SetQuota(ctx, "report", store.Quota{Limit: 1000, Remaining: 990, Reset: now.Add(5 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetQuota(ctx, "bulk-report", store.Quota{Limit: 5, Remaining: 0, Reset: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestAbuseStatsAndBadge(t *testing.T) {
	now := time.Now()
	for _, n := range []int{0, 1, 12} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			dir := abuseStore(t, n, now)
			out, errs, code := runCLI(t, "abuseipdb", "stats", "--state-dir", dir, "--json")
			if code != 0 {
				t.Fatalf("stats exit %d: %s", code, errs)
			}
			var s abuseStats
			if err := json.Unmarshal([]byte(out), &s); err != nil {
				t.Fatalf("stats --json: %v\n%s", err, out)
			}
			wantSent := n
			if n > 0 {
				wantSent++
			}
			if s.Addresses != n || s.Sent != wantSent || s.Queued != 1 || s.Rejected != 1 || s.Failed != 0 {
				t.Errorf("stats %+v, want %d addresses, %d sent, 1 queued, 1 rejected", s, n, wantSent)
			}
			if len(s.Quota) != 2 || s.Quota[0].Endpoint != "bulk-report" || s.Quota[0].Remaining != 5 || s.Quota[0].Reset != nil ||
				s.Quota[1].Endpoint != "report" || s.Quota[1].Remaining != 990 || s.Quota[1].Reset == nil {
				t.Errorf("quota %+v (a passed reset gives the full quota)", s.Quota)
			}

			out, errs, code = runCLI(t, "abuseipdb", "stats", "--state-dir", dir)
			if code != 0 {
				t.Fatalf("stats exit %d: %s", code, errs)
			}
			for _, want := range []string{fmt.Sprintf("addresses reported:   %d\n", n), "queued:               1\n",
				"quota left:           bulk-report 5/5\n", "                      report 990/1000 until "} {
				if !strings.Contains(out, want) {
					t.Errorf("stats text lacks %q:\n%s", want, out)
				}
			}

			// The badge's number is stats' count of addresses, on stdout
			// or in a file.
			out, errs, code = runCLI(t, "abuseipdb", "badge", "--state-dir", dir)
			if code != 0 {
				t.Fatalf("badge exit %d: %s", code, errs)
			}
			if got := badgeCount(t, parseBadge(t, []byte(out))); got != int64(s.Addresses) {
				t.Errorf("badge shows %d, stats %d", got, s.Addresses)
			}
			file := filepath.Join(t.TempDir(), "badge.svg")
			if _, errs, code := runCLI(t, "abuseipdb", "badge", "--state-dir", dir, "--output", file); code != 0 {
				t.Fatalf("badge --output exit %d: %s", code, errs)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != out {
				t.Errorf("the file differs from stdout")
			}
		})
	}
}

func TestAbuseStatsNoStore(t *testing.T) {
	dir := t.TempDir()
	for _, cmd := range []string{"stats", "badge"} {
		out, errs, code := runCLI(t, "abuseipdb", cmd, "--state-dir", dir)
		if code != exitFailure || out != "" || !strings.Contains(errs, "no store in "+dir+": has warden run with --state-dir") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", cmd, code, out, errs)
		}
		if _, err := os.Stat(filepath.Join(dir, "warden.db")); err == nil {
			t.Fatalf("%s created a store", cmd)
		}
	}
}
