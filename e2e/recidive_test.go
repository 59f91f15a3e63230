package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRecidiveReadsBanLog: the built-in recidive jail, pointed at the ban
// log of the daemon it runs in, bans an address the other jails banned
// twice, on every port, and does not count its own ban.
func TestRecidiveReadsBanLog(t *testing.T) {
	needRootAndTools(t, "ip", "nft")
	bin := buildWarden(t)
	srv := newNetns(t, "srv")
	dir := t.TempDir()
	banLog := filepath.Join(dir, "warden.log")
	failLog := filepath.Join(dir, "app.log")
	for _, p := range []string{banLog, failLog} {
		if err := os.WriteFile(p, nil, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "cfg", "filter.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cfg", "filter.d", "e2e.conf"), []byte(e2eFilter), 0o644); err != nil {
		t.Fatal(err)
	}
	// The built-in [recidive] with its own settings (a week's ban on all
	// ports), turned on and given the ban log and two bans as the limit.
	jail := `[DEFAULT]
ignoreself = false

[sshd]
enabled = false

[app]
enabled = true
filter = e2e
port = 2222
maxretry = 1
bantime = 2
logpath = ` + failLog + `

[recidive]
enabled = true
maxretry = 2
logpath = ` + banLog + `
`
	if err := os.WriteFile(filepath.Join(dir, "cfg", "jail.local"), []byte(jail), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, bin, srv, "--config", filepath.Join(dir, "cfg"), "--state-dir", filepath.Join(dir, "state"), "--ban-log", banLog)
	fail := func() {
		f, err := os.OpenFile(failLog, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString("fail 192.0.2.2\n"); err != nil {
			t.Fatal(err)
		}
	}
	banned := func(jail string) bool {
		out, _ := d.ctl("status", jail)
		return strings.Contains(out, "192.0.2.2")
	}
	// First ban by [app], lifted after 2 s: recidive has seen one ban.
	fail()
	eventually(t, 15*time.Second, "[app] bans 192.0.2.2", func() bool { return banned("app") })
	eventually(t, 15*time.Second, "[app] lifts its ban", func() bool { return !banned("app") })
	if banned("recidive") {
		t.Fatal("recidive banned after one ban")
	}
	// Second ban: recidive bans the address on every port.
	fail()
	eventually(t, 15*time.Second, "[recidive] bans 192.0.2.2", func() bool { return banned("recidive") })
	status := d.mustCtl(t, "status", "recidive")
	b, _ := os.ReadFile(banLog)
	log := string(b)
	if strings.Count(log, "[app] Ban 192.0.2.2") != 2 || strings.Count(log, "[recidive] Ban 192.0.2.2") != 1 {
		t.Errorf("ban log:\n%s", log)
	}
	// Its own ban is not a failure: recidive counted the two bans only.
	if !strings.Contains(status, "Total failed:\t2\n") {
		t.Errorf("recidive's status, want 2 failures in all:\n%s", status)
	}
	// The ban is the built-in jail's: a week, on every port (a set no
	// port narrows).
	rules := run(t, "ip", "netns", "exec", srv.name, "nft", "list", "ruleset")
	set, _, _ := strings.Cut(rules[strings.Index(rules, "set recidive-a4 {")+1:], "}")
	if !strings.Contains(set, "192.0.2.2 timeout 7d") || strings.Contains(rules, "dport @recidive") {
		t.Errorf("recidive's kernel rules, want 192.0.2.2 for 7d on every port:\n%s", rules)
	}
}
