package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWebJailsBan: warden run with the built-in wordpress and
// nginx-http-auth jails turned on (as a user would, naming only where the
// logs are) bans, in the kernel, a client that fails WordPress logins and
// then one that guesses HTTP passwords, on the web ports only; the
// legitimate client keeps browsing and logging in.
func TestWebJailsBan(t *testing.T) {
	needRootAndTools(t, "nginx", "curl", "htpasswd", "go", "mount", "nft", "unshare", "hostname")
	bin := buildWarden(t)
	l := newLab(t)
	errLog, accLog := startNginx(t, l)
	// A service on another port, which the web jails must leave alone.
	l.srv.listen(t, labSrv4+":2222")

	cfg := t.TempDir()
	if err := os.WriteFile(filepath.Join(cfg, "jail.local"), []byte(`[sshd]
enabled = false

[wordpress]
enabled = true
logpath = `+accLog+`
maxretry = 3

[nginx-http-auth]
enabled = true
logpath = `+errLog+`
maxretry = 3
`), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemonOn(t, bin, l.srv, daemonEnv{hostname: labHost}, "--config", cfg, "--state-dir", t.TempDir())

	base := "http://" + labSrv4
	legitVisit := func(when string) {
		t.Helper()
		wantStatus(t, l.legit, "200", base+"/")
		wantStatus(t, l.legit, "302", "-d", "log="+webUser+"&pwd="+webPassword, base+"/wp-login.php")
		wantStatus(t, l.legit, "200", "-u", webUser+":"+webPassword, base+"/private/")
		if t.Failed() {
			t.Fatalf("the legitimate client, %s, is not served", when)
		}
	}
	legitVisit("before any ban")
	banned := func(jail string) func() bool {
		return func() bool {
			out, _ := d.ctl("status", jail)
			return strings.Contains(out, labAttacker4)
		}
	}

	// Failed WordPress logins: banned by the wordpress jail on ports 80
	// and 443, not on 2222.
	for _, pw := range []string{"123456", "password", "qwerty"} {
		wantStatus(t, l.attacker, "200", "-d", "log=admin&pwd="+pw, base+"/wp-login.php")
	}
	eventually(t, 15*time.Second, "the attacker banned by the wordpress jail", banned("wordpress"))
	if !refused(t, l.attacker, labSrv4+":80") {
		t.Error("the banned attacker still connects to port 80")
	}
	if !l.attacker.connects(t, "", labSrv4+":2222", 3*time.Second) {
		t.Error("the wordpress jail's ban blocks port 2222 too (port = http,https)")
	}
	legitVisit("while the attacker is banned")

	// Unbanned, the attacker guesses HTTP passwords: the nginx-http-auth
	// jail bans it.
	d.mustCtl(t, "unban", labAttacker4)
	eventually(t, 10*time.Second, "the attacker connects after unban", func() bool {
		return l.attacker.connects(t, "", labSrv4+":80", 3*time.Second)
	})
	for _, u := range []string{"admin:admin", webUser + ":letmein", "root:toor"} {
		wantStatus(t, l.attacker, "401", "-u", u, base+"/private/")
	}
	eventually(t, 15*time.Second, "the attacker banned by the nginx-http-auth jail", banned("nginx-http-auth"))
	if !refused(t, l.attacker, labSrv4+":80") {
		t.Error("the banned attacker still connects to port 80")
	}
	legitVisit("after the second ban")
	if out := d.mustCtl(t, "status", "wordpress"); strings.Contains(out, labLegit4) {
		t.Errorf("the legitimate client is banned:\n%s", out)
	}
}
