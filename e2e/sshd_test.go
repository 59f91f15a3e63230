package e2e

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/abuseipdb/abuseipdbtest"
)

// sshd is a real OpenSSH server in the lab's server namespace: password
// logins (always wrong: no account has one it accepts), root by key for
// the legitimate client, logging through syslog to the lab's file.
type sshd struct {
	key string // the legitimate client's private key
}

func startSSHD(t *testing.T, l *lab) *sshd {
	t.Helper()
	needRootAndTools(t, "/usr/sbin/sshd", "ssh", "ssh-keygen", "sshpass")
	privsepDir(t)
	dir := filepath.Join(l.dir, "sshd")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s := &sshd{key: filepath.Join(dir, "client")}
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "hostkey"))
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", s.key)
	pub, err := os.ReadFile(s.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "sshd_config")
	conf := `Port 22
ListenAddress 0.0.0.0
ListenAddress ::
HostKey ` + filepath.Join(dir, "hostkey") + `
PidFile ` + filepath.Join(dir, "sshd.pid") + `
AuthorizedKeysFile ` + filepath.Join(dir, "authorized_keys") + `
StrictModes no
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
SyslogFacility AUTH
LogLevel INFO
`
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	p := l.start(t, "sshd", []string{"/usr/sbin/sshd", "-D", "-f", cfg})
	l.waitPort(t, p, 22)
	return s
}

// sshArgs are the client options of the tests: no configuration or known
// hosts of this machine's, a short connection timeout.
var sshArgs = []string{"ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
	"-o", "ConnectTimeout=3", "-o", "LogLevel=ERROR"}

// wrongPassword tries one wrong password for user from the namespace.
func (s *sshd) wrongPassword(t *testing.T, ns *netns, user string) {
	t.Helper()
	args := append([]string{"sshpass", "-p", "wrong-password"}, sshArgs...)
	args = append(args, "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password",
		"-o", "NumberOfPasswordPrompts=1", user+"@"+labSrv4, "true")
	if out, err := ns.exec(t, 20*time.Second, args...); err == nil {
		t.Fatalf("a wrong password logged in:\n%s", out)
	}
}

// login logs in as root with the legitimate client's key.
func (s *sshd) login(t *testing.T, ns *netns) error {
	t.Helper()
	args := append(append([]string{}, sshArgs...), "-i", s.key, "-o", "BatchMode=yes", "root@"+labSrv4, "echo", "logged-in")
	out, err := ns.exec(t, 20*time.Second, args...)
	if err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	if !strings.Contains(out, "logged-in") {
		return fmt.Errorf("no greeting: %s", out)
	}
	return nil
}

// refused tells whether a TCP connection from ns to addr is refused at
// once, as fail2ban's default blocktype (reject) answers a banned address.
func refused(t *testing.T, ns *netns, addr string) bool {
	t.Helper()
	var err error
	ns.do(t, func() {
		var c net.Conn
		c, err = net.DialTimeout("tcp", addr, 3*time.Second)
		if err == nil {
			c.Close()
		}
	})
	return err != nil && (errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH))
}

// TestSSHDStory is the whole story of the README: a real sshd attacked
// with wrong passwords; Warden with the built-in sshd filter, fail2ban's
// action idioms and the AbuseIPDB action pointed at the local stand-in
// bans the attacker in the kernel firewall, reports it once with the
// jail's categories and a cleaned comment, keeps the ban and reports
// nothing more across a restart, and unbans it.
func TestSSHDStory(t *testing.T) {
	needRootAndTools(t, "ip", "nft", "go", "unshare", "hostname")
	bin := buildWarden(t)
	l := newLab(t)
	s := startSSHD(t, l)

	// The AbuseIPDB stand-in, on the server namespace's loopback, where
	// Warden reaches it.
	var ln net.Listener
	var err error
	l.srv.do(t, func() { ln, err = net.Listen("tcp", "127.0.0.1:0") })
	if err != nil {
		t.Fatal(err)
	}
	fake := abuseipdbtest.NewTest(t, abuseipdbtest.Options{Listener: ln})

	cfg := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(cfg, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The jail of the issue, word for word, plus where this test's sshd
	// logs (a file: this machine has no journal).
	write("jail.local", `[sshd]
enabled = true
maxretry = 3
bantime = 1h
action = %(action_)s
         %(action_abuseipdb)s[abuseipdb_apikey="`+abuseipdbtest.DefaultKey+`", abuseipdb_category="18,22"]
backend = auto
logpath = `+l.syslogPath+`
`)
	write("action.d/abuseipdb.local", "[Init]\nabuseipdb_url = "+fake.URL()+"\n")
	state := t.TempDir()
	d := startDaemonOn(t, bin, l.srv, daemonEnv{hostname: labHost}, "--config", cfg, "--state-dir", state)

	if err := s.login(t, l.legit); err != nil {
		t.Fatalf("the legitimate client cannot log in before any ban: %v", err)
	}
	// Wrong passwords until the ban (maxretry = 3); a banned attacker's
	// attempts fail at once.
	for i := 0; i < 3; i++ {
		s.wrongPassword(t, l.attacker, []string{"root", "admin", "oracle"}[i])
	}
	eventually(t, 15*time.Second, "the attacker banned", func() bool {
		out, _ := d.ctl("status", "sshd")
		return strings.Contains(out, labAttacker4)
	})
	if !refused(t, l.attacker, labSrv4+":22") {
		t.Error("the banned attacker still connects to port 22")
	}
	if err := s.login(t, l.legit); err != nil {
		t.Errorf("the legitimate client cannot log in while the attacker is banned: %v", err)
	}
	status := d.mustCtl(t, "status", "sshd")
	for _, want := range []string{"Currently banned:\t1", "Banned IP list:\t" + labAttacker4} {
		if !strings.Contains(status, want) {
			t.Errorf("warden status sshd lacks %q:\n%s", want, status)
		}
	}

	// Exactly one report, with the jail's categories and a cleaned comment.
	eventually(t, 15*time.Second, "the report", func() bool { return len(fake.Reports()) > 0 })
	checkReports := func(when string) {
		t.Helper()
		var mine []abuseipdbtest.Received
		for _, r := range fake.Reports() {
			if r.IP == labAttacker4 {
				mine = append(mine, r)
			}
		}
		if len(mine) != 1 {
			t.Fatalf("%s: %d reports of %s, want 1: %+v", when, len(mine), labAttacker4, mine)
		}
		r := mine[0]
		t.Logf("%s: the report of %s: categories %v, comment:\n%s", when, r.IP, r.Categories, r.Comment)
		if !slices.Equal(r.Categories, []int{18, 22}) {
			t.Errorf("categories %v, want [18 22]", r.Categories)
		}
		if !strings.Contains(r.Comment, "Failed password for") || !strings.Contains(r.Comment, labAttacker4) {
			t.Errorf("the comment does not show the failures:\n%s", r.Comment)
		}
		if strings.Contains(r.Comment, labHost) || !strings.Contains(r.Comment, "[host]") {
			t.Errorf("the comment names the server (%s) instead of [host]:\n%s", labHost, r.Comment)
		}
	}
	checkReports("after the ban")

	// A restart keeps the ban in the kernel and reports nothing again. A
	// ban by hand after it is reported: once its report is in, a second
	// report of the attacker would have come before it.
	d.signal(syscall.SIGTERM)
	d.wait(t, 30*time.Second)
	d = startDaemonOn(t, bin, l.srv, daemonEnv{hostname: labHost}, "--config", cfg, "--state-dir", state)
	if !strings.Contains(d.mustCtl(t, "status", "sshd"), labAttacker4) {
		t.Error("after a restart, warden status sshd does not show the ban")
	}
	eventually(t, 10*time.Second, "the ban back in the kernel", func() bool { return refused(t, l.attacker, labSrv4+":22") })
	const barrier = "198.51.100.9"
	d.mustCtl(t, "ban", "sshd", barrier)
	eventually(t, 15*time.Second, "the report of a ban after the restart", func() bool {
		for _, r := range fake.Reports() {
			if r.IP == barrier {
				return true
			}
		}
		return false
	})
	checkReports("after a restart")
	if err := s.login(t, l.legit); err != nil {
		t.Errorf("the legitimate client cannot log in after the restart: %v", err)
	}

	// Unban: the attacker reaches sshd again.
	d.mustCtl(t, "unban", labAttacker4)
	eventually(t, 10*time.Second, "the attacker connects after unban", func() bool {
		return l.attacker.connects(t, "", labSrv4+":22", 3*time.Second)
	})
	if strings.Contains(d.mustCtl(t, "status", "sshd"), labAttacker4) {
		t.Error("warden status sshd still shows the unbanned address")
	}
}

// TestNoConfigJournalProtectsSSH: on a host as Debian 12 installs it
// (systemd-journald, no syslog daemon, no /var/log/auth.log), `warden run`
// with no configuration at all reads sshd's failures from the journal
// and bans the attacker. The server runs the real systemd-journald, sshd
// logs to it through /dev/log, and Warden reads it with journalctl.
func TestNoConfigJournalProtectsSSH(t *testing.T) {
	needRootAndTools(t, "ip", "nft", "go", "unshare", "hostname", "mount", "journalctl")
	bin := buildWarden(t)
	l := newLab(t)
	start := time.Now()
	l.startJournald(t)
	s := startSSHD(t, l)
	t.Logf("journald and sshd up after %v", time.Since(start))
	setup := l.journalMounts() + `if [ -e /etc/warden ]; then mount -t tmpfs nothing /etc/warden; fi`
	t.Setenv("WARDEN_CONFIG", "")
	d := startDaemonOn(t, bin, l.srv, daemonEnv{hostname: labHost, setup: setup}, "--state-dir", t.TempDir())
	t.Logf("warden up after %v", time.Since(start))
	out := d.mustCtl(t, "status", "sshd")
	if !strings.Contains(out, "Journal matches:") || !strings.Contains(out, "_COMM=sshd") {
		t.Fatalf("with a journal, the built-in sshd jail does not read it:\n%s", out)
	}
	banned := func() bool {
		out, _ := d.ctl("status", "sshd")
		return strings.Contains(out, labAttacker4)
	}
	for i := 0; i < 6 && !banned(); i++ {
		s.wrongPassword(t, l.attacker, "admin")
	}
	eventually(t, 15*time.Second, "the attacker banned through the journal", banned)
	t.Logf("attacker banned after %v", time.Since(start))
	if !refused(t, l.attacker, labSrv4+":22") {
		t.Error("the banned attacker still connects to port 22")
	}
	if err := s.login(t, l.legit); err != nil {
		t.Errorf("the legitimate client cannot log in while the attacker is banned: %v", err)
	}
	if ls := l.syslogLines(); len(ls) != 0 {
		t.Errorf("sshd logged to the lab's syslog file, not (only) to the journal: %q", ls)
	}

}

// TestNoConfigProtectsSSH: `warden run` with no configuration at all (no
// /etc/warden, no --config) protects SSH on a Debian host whose sshd logs
// to /var/log/auth.log: the built-in sshd jail bans an address that
// keeps failing. (This machine has no journal; the test gives Warden the
// lab's log as /var/log, in a mount namespace of its own.)
func TestNoConfigProtectsSSH(t *testing.T) {
	needRootAndTools(t, "ip", "nft", "go", "unshare", "hostname", "mount")
	bin := buildWarden(t)
	l := newLab(t)
	s := startSSHD(t, l)
	varlog := filepath.Join(l.dir, "varlog")
	if err := os.Mkdir(varlog, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(l.syslogPath, filepath.Join(varlog, "auth.log")); err != nil {
		t.Fatal(err)
	}
	setup := `mount --bind '` + varlog + `' /var/log
if [ -e /etc/warden ]; then mount -t tmpfs nothing /etc/warden; fi`
	t.Setenv("WARDEN_CONFIG", "")
	d := startDaemonOn(t, bin, l.srv, daemonEnv{hostname: labHost, setup: setup}, "--state-dir", t.TempDir())
	status := d.mustCtl(t, "status")
	if !strings.Contains(status, "Jail list:\tsshd") {
		t.Fatalf("with no configuration, the jails are not [sshd] alone:\n%s", status)
	}
	if out := d.mustCtl(t, "status", "sshd"); !strings.Contains(out, "/var/log/auth.log") {
		t.Errorf("the sshd jail does not read /var/log/auth.log:\n%s", out)
	}
	// The built-in jail bans after 5 failures: an invalid user counts
	// twice ("Invalid user", "Failed password for invalid user").
	banned := func() bool {
		out, _ := d.ctl("status", "sshd")
		return strings.Contains(out, labAttacker4)
	}
	for i := 0; i < 6 && !banned(); i++ {
		s.wrongPassword(t, l.attacker, "admin")
	}
	eventually(t, 15*time.Second, "the attacker banned by the built-in sshd jail", banned)
	if !refused(t, l.attacker, labSrv4+":22") {
		t.Error("the banned attacker still connects to port 22")
	}
	if err := s.login(t, l.legit); err != nil {
		t.Errorf("the legitimate client cannot log in while the attacker is banned: %v", err)
	}
}
