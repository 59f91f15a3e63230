package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/f2btest"
)

// The mail captures: a real Dovecot (IMAP, POP3 and the SASL service
// Postfix asks) and a real Postfix in the lab's server namespace, each
// with its own configuration, state and queue under the lab's directory,
// logging through syslog(3) to the lab's /dev/log as on a Debian host
// with rsyslog or journald. The lab has no TLS, so plaintext logins are
// allowed; nothing is relayed (Postfix discards what it accepts).

// The one mailbox user of the lab's Dovecot, in its passwd-file.
const (
	mailUser     = "good"
	mailPassword = "good-secret-1"
	mailDomain   = "warden.test"
)

// opensToDaemons lets the daemons' unprivileged users (dovecot, postfix)
// reach files under the lab's directory: t.TempDir() makes it and its
// parent mode 0700.
func opensToDaemons(t *testing.T, dir string) {
	t.Helper()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func lookupIDs(t *testing.T, name string) (uid, gid int) {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		need(t, false, "the "+name+" user (installed with the package)")
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid
}

func writeConf(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startDovecot runs Dovecot in the lab's server namespace serving
// protocols ("imap pop3", or "none" for the SASL service alone) and
// returns the path of its authentication socket for Postfix. The user
// good logs in with mailPassword; the auth process logs every failure
// (auth_verbose) and answers at once (no auth_failure_delay, which would
// add 2 s to each failed attempt). POP3 refuses plaintext logins, so a
// client sending USER/PASS shows that failure too.
func startDovecot(t *testing.T, l *lab, protocols string) (*proc, string) {
	t.Helper()
	uid, gid := lookupIDs(t, "dovecot")
	lookupIDs(t, "dovenull")
	dir := filepath.Join(l.dir, "dovecot")
	home := filepath.Join(dir, "home", mailUser)
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, uid, gid); err != nil {
		t.Fatal(err)
	}
	writeConf(t, filepath.Join(dir, "passwd"), mailUser+":{PLAIN}"+mailPassword+"\n")
	sock := filepath.Join(dir, "auth-postfix")
	conf := filepath.Join(dir, "dovecot.conf")
	writeConf(t, conf, fmt.Sprintf(`# Warden's lab: Dovecot with everything under %[1]s.
base_dir = %[1]s/run
state_dir = %[1]s/state
protocols = %[2]s
listen = *, ::
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_failure_delay = 0
syslog_facility = mail
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=%[1]s/home/%%u
}
service auth {
  unix_listener %[3]s {
    mode = 0666
  }
}
protocol pop3 {
  disable_plaintext_auth = yes
}
`, dir, protocols, sock))
	p := l.start(t, "dovecot", []string{"dovecot", "-F", "-c", conf})
	return p, sock
}

// startPostfix runs Postfix (master and its daemons, not chrooted) in the
// lab's server namespace: SMTP on 25 and submission on 587 (logging as
// postfix/submission/smtpd, as Debian's master.cf does), SASL through
// Dovecot's socket authSock, clients named unknown[ADDR] (no reverse DNS
// in the lab), mail for good@warden.test and for relaying by
// authenticated clients discarded. The restrictions make the usual
// rejections happen: relaying, unknown recipients, a HELO name that is
// not fully qualified, pipelining before the greeting, errors.
func startPostfix(t *testing.T, l *lab, authSock string) *proc {
	t.Helper()
	uid, _ := lookupIDs(t, "postfix")
	if _, err := user.LookupGroup("postdrop"); err != nil {
		need(t, false, "the postdrop group (installed with postfix)")
	}
	// The configuration apart from the queue: postfix-script wants all of
	// the configuration directory owned by root.
	dir := filepath.Join(l.dir, "postfix")
	conf := filepath.Join(dir, "etc")
	for _, d := range []string{"spool", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(filepath.Join(dir, "data"), uid, -1); err != nil {
		t.Fatal(err)
	}
	writeConf(t, filepath.Join(conf, "main.cf"), fmt.Sprintf(`# Warden's lab: Postfix with everything under %[1]s.
compatibility_level = 3.6
queue_directory = %[1]s/spool
data_directory = %[1]s/data
myhostname = mail.%[2]s
mydomain = %[2]s
mydestination =
relay_domains =
inet_interfaces = all
inet_protocols = all
smtpd_banner = $myhostname ESMTP
biff = no
alias_maps =
alias_database =
smtpd_peername_lookup = no
smtpd_tls_security_level = none
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = %[3]s
smtpd_sasl_security_options = noanonymous
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_helo_required = yes
smtpd_helo_restrictions = reject_non_fqdn_helo_hostname
smtpd_forbid_unauth_pipelining = yes
smtpd_soft_error_limit = 1
smtpd_hard_error_limit = 2
smtpd_error_sleep_time = 0
virtual_mailbox_domains = %[2]s
virtual_mailbox_maps = inline:{ %[4]s@%[2]s=ok }
virtual_transport = discard:
default_transport = discard:
relay_transport = discard:
local_transport = discard:
`, dir, mailDomain, authSock, mailUser))
	writeConf(t, filepath.Join(conf, "master.cf"), `# Warden's lab: no chroot, no pickup of local mail, no outgoing SMTP.
smtp       inet n - n - - smtpd
submission inet n - n - - smtpd -o syslog_name=postfix/submission
cleanup    unix n - n - 0 cleanup
qmgr       unix n - n 300 1 qmgr
rewrite    unix - - n - - trivial-rewrite
bounce     unix - - n - 0 bounce
defer      unix - - n - 0 bounce
trace      unix - - n - 0 bounce
verify     unix - - n - 1 verify
proxymap   unix - - n - - proxymap
showq      unix n - n - - showq
error      unix - - n - - error
retry      unix - - n - - error
discard    unix - - n - - discard
anvil      unix - - n - 1 anvil
scache     unix - - n - 1 scache
`)
	// postfix check makes the queue's directories; it takes seconds (and
	// more on a busy machine), so it runs before the daemon, which then
	// starts at once (quick-start skips the same checks).
	chk := l.start(t, "postfix-check", []string{"postfix", "-c", conf, "check"})
	select {
	case <-chk.done:
	case <-time.After(60 * time.Second):
		t.Fatal("postfix check did not finish within 60 s")
	}
	if !chk.cmd.ProcessState.Success() {
		b, _ := os.ReadFile(chk.out)
		t.Fatalf("postfix check: %v\n%s", chk.cmd.ProcessState, b)
	}
	if err := os.WriteFile(filepath.Join(dir, "spool", "quick-start"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return l.start(t, "postfix", []string{"postfix", "-c", conf, "start-fg"})
}

// rawSession connects from ns to the server's port and sends script in
// one write (one TCP segment: a shell's printf may write it in pieces,
// which the server would not count as pipelining), before the greeting
// when early, after it otherwise, then reads until the server closes.
func rawSession(t *testing.T, ns *netns, port int, early bool, script string) string {
	t.Helper()
	var c net.Conn
	var err error
	ns.do(t, func() {
		c, err = net.DialTimeout("tcp", net.JoinHostPort(labSrv4, strconv.Itoa(port)), 5*time.Second)
	})
	if err != nil {
		t.Fatalf("connect to port %d: %v", port, err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	var said strings.Builder
	if !early {
		greeting, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("port %d: no greeting: %v", port, err)
		}
		said.WriteString(greeting)
	}
	if _, err := c.Write([]byte(script)); err != nil {
		t.Fatalf("port %d: %v", port, err)
	}
	rest, _ := io.ReadAll(r) // until the server closes (or the deadline)
	said.Write(rest)
	return said.String()
}

// curlFails runs a curl that must fail (a refused login or command).
func curlFails(t *testing.T, ns *netns, args ...string) {
	t.Helper()
	out, err := ns.exec(t, 15*time.Second, append([]string{"curl", "-sS", "-m", "10"}, args...)...)
	if err == nil {
		t.Fatalf("curl %s succeeded, want a refusal:\n%s", strings.Join(args, " "), out)
	}
}

func curlOK(t *testing.T, ns *netns, args ...string) {
	t.Helper()
	out, err := ns.exec(t, 15*time.Second, append([]string{"curl", "-sS", "-m", "10"}, args...)...)
	if err != nil {
		t.Fatalf("curl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func countContaining(lines []string, s string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// keepLines returns the lines containing s.
func keepLines(lines []string, s string) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// addSampleHeader puts header lines after the sampleInfo line of the
// sample writeSample just wrote (the filterOptions of the mode the capture
// was checked in).
func addSampleHeader(t *testing.T, name string, header ...string) {
	t.Helper()
	if !*updateSamples {
		return
	}
	path := filepath.Join("..", "testdata", "samples", name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	done := false
	for _, line := range strings.Split(string(b), "\n") {
		out = append(out, line)
		if !done && strings.HasPrefix(line, "# sampleInfo:") {
			out = append(out, header...)
			done = true
		}
	}
	if !done {
		t.Fatalf("%s: no sampleInfo line", path)
	}
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCaptureDovecot: a real Dovecot refuses IMAP and POP3 logins from
// the attacker (an unknown user over IPv4, a wrong password over IPv6, a
// plaintext POP3 login where plaintext is refused, a connection that
// never logs in) while the legitimate client logs in. The built-in
// dovecot filter finds exactly the attacker's failures (the auth
// process's report and the login process's, for each refused login),
// fail2ban's stock filter the same, in normal and aggressive mode.
func TestCaptureDovecot(t *testing.T) {
	needRootAndTools(t, "dovecot", "curl")
	l := newLab(t)
	opensToDaemons(t, l.dir)
	bin := buildWarden(t)
	p, _ := startDovecot(t, l, "imap pop3")
	l.waitPort(t, p, 143)
	l.waitPort(t, p, 110)

	// One refused password per attacker address: Dovecot's auth penalty
	// holds each further failure from an address 2 s and more.
	imap4, imap6 := "imap://"+labSrv4, "imap://["+labSrv6+"]"
	curlFails(t, l.attacker, imap4, "--user", "admin:admin")
	curlFails(t, l.attacker, imap6, "--user", mailUser+":wrong")
	// USER/PASS on POP3, which refuses plaintext logins here.
	rawSession(t, l.attacker, 110, false, "USER root\r\nPASS root\r\nQUIT\r\n")
	// A connection that never tries to log in (aggressive mode only).
	rawSession(t, l.attacker, 143, false, "a LOGOUT\r\n")
	curlOK(t, l.legit, imap4, "--user", mailUser+":"+mailPassword)

	lines := waitLog(t, "the sessions' ends", l.syslogLines, func(ls []string) bool {
		return countContaining(ls, "-login: Disconnected") >= 4 && countContaining(ls, "Logged out") >= 1
	})
	lines = keepLines(lines, " dovecot: ")
	// A refused password: the auth process's report and the login
	// process's; the POP3 plaintext login: the login process's.
	checkTruth(t, "dovecot", lines, map[string]int{labAttacker4: 3, labAttacker6: 2})
	checkTruth(t, "dovecot[mode=aggressive]", lines, map[string]int{labAttacker4: 4, labAttacker6: 2})
	logFile := writeLog(t, l.dir, "dovecot.log", lines)
	agreeWithStock(t, bin, logFile, "dovecot", "dovecot")
	agreeWithStock(t, bin, logFile, "dovecot[mode=aggressive]", "dovecot[mode=aggressive]")
	writeSample(t, "dovecot", "dovecot",
		"dovecot-imapd and dovecot-pop3d "+debVersion(t, "dovecot-core")+" in a network namespace, logging through syslog; "+
			"captured by go test ./e2e -run TestCaptureDovecot -update-samples",
		"dovecot", lines)
}

// TestCapturePostfix: a real Postfix, asking the lab's Dovecot for SASL,
// refuses the attacker's SMTP AUTH (PLAIN on port 25 over IPv4, LOGIN on
// submission over IPv6), relaying, an unknown recipient, a HELO name
// that is not fully qualified, commands sent before the greeting, and
// garbage commands, while the legitimate client authenticates and sends
// a message. The built-in postfix filter finds exactly the attacker's
// failures in the default mode (rejections), in auth mode (SASL; the
// postfix-sasl jail) and in aggressive mode (both, plus the connections
// dropped after a failed AUTH), and fail2ban's stock filter the same.
func TestCapturePostfix(t *testing.T) {
	needRootAndTools(t, "postfix", "dovecot", "curl")
	l := newLab(t)
	opensToDaemons(t, l.dir)
	bin := buildWarden(t)
	dp, sock := startDovecot(t, l, "none")
	dp.waitFile(t, sock)
	p := startPostfix(t, l, sock)
	l.waitPort(t, p, 25)
	l.waitPort(t, p, 587)

	smtp4 := "smtp://" + labSrv4 + "/atk.example"
	sub6 := "smtp://[" + labSrv6 + "]:587/atk.example"
	mail := func(rcpt string) []string {
		return []string{"--mail-from", "a@atk.example", "--mail-rcpt", rcpt, "-T", "/dev/null"}
	}
	// Failed SASL logins: an unknown user, a wrong password; one per
	// attacker address (Dovecot's auth penalty holds each further failure
	// from an address 2 s and more).
	curlFails(t, l.attacker, append([]string{smtp4, "--user", "admin:admin"}, mail("x@example.org")...)...)
	curlFails(t, l.attacker, append([]string{sub6, "--login-options", "AUTH=LOGIN", "--user", mailUser + ":wrong"}, mail("x@example.org")...)...)
	// Rejections: relaying, an unknown recipient, a bare HELO name.
	curlFails(t, l.attacker, append([]string{smtp4}, mail("x@example.org")...)...)
	curlFails(t, l.attacker, append([]string{smtp4}, mail("nobody@"+mailDomain)...)...)
	curlFails(t, l.attacker, append([]string{"smtp://" + labSrv4 + "/winpc"}, mail(mailUser+"@"+mailDomain)...)...)
	// Commands before the greeting; garbage commands up to the limit.
	rawSession(t, l.attacker, 25, true, "EHLO atk.example\r\nMAIL FROM:<a@atk.example>\r\n")
	rawSession(t, l.attacker, 25, false, "FOO\r\nBAR\r\nBAZ\r\n")
	// The legitimate client authenticates and sends a message.
	curlOK(t, l.legit, append([]string{"smtp://" + labSrv4 + ":587/legit.example", "--user", mailUser + ":" + mailPassword}, mail("friend@example.org")...)...)

	lines := waitLog(t, "the sessions' ends", l.syslogLines, func(ls []string) bool {
		return countContaining(ls, "]: disconnect from ") >= 8 && countContaining(ls, ": removed") >= 1
	})
	lines = keepLines(lines, " postfix/")
	checkTruth(t, "postfix", lines, map[string]int{labAttacker4: 5})
	checkTruth(t, "postfix[mode=auth]", lines, map[string]int{labAttacker4: 1, labAttacker6: 1})
	// Each failed AUTH: the SASL warning, "lost connection after AUTH" and
	// "disconnect ... auth=0/1".
	aggressive := map[string]int{labAttacker4: 5 + 3, labAttacker6: 3}
	checkTruth(t, "postfix[mode=aggressive]", lines, aggressive)
	logFile := writeLog(t, l.dir, "postfix.log", lines)
	// The stock comparison in the default mode and in aggressive mode,
	// which has all of auth mode's failures (fail2ban-regex takes seconds
	// a run).
	for _, ref := range []string{"postfix", "postfix[mode=aggressive]"} {
		agreeWithStock(t, bin, logFile, ref, ref)
	}
	writeSample(t, "postfix", "postfix[mode=aggressive]",
		"postfix "+debVersion(t, "postfix")+" with SASL by dovecot-core "+debVersion(t, "dovecot-core")+
			" in a network namespace, logging through syslog; captured by go test ./e2e -run TestCapturePostfix -update-samples",
		"postfix[mode=aggressive]", lines)
	addSampleHeader(t, "postfix", `# filterOptions: [{"mode": "aggressive"}]`)
}

// wardenOnly starts the part of a NAME-warden file with the lines only
// Warden finds; the hand-written lines before it agree with the stock
// filter.
const wardenOnly = "# Warden only:"

// TestMailFormatSamples: on the hand-written lines of the mail filters'
// NAME-warden files (the log formats and modes the captures do not
// produce), fail2ban's stock filter and Warden's built-in one find the
// same failures in every mode; on the lines after "# Warden only:", the
// stock filter finds fewer (in the default mode).
func TestMailFormatSamples(t *testing.T) {
	f2btest.RequirePython(t)
	bin := buildWarden(t)
	for _, c := range []struct {
		name  string
		modes []string
	}{
		// normal is more; extra is auth and normal.
		{"postfix", []string{"", "rbl", "auth", "errors", "ddos", "aggressive"}},
		{"dovecot", []string{"", "aggressive"}},
	} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "samples", c.name+"-warden"))
		if err != nil {
			t.Fatal(err)
		}
		agreeing, only, found := strings.Cut(string(b), "\n"+wardenOnly)
		if !found {
			t.Fatalf("%s-warden: no %q line", c.name, wardenOnly)
		}
		formats := writeLog(t, t.TempDir(), c.name+"-formats", strings.Split(agreeing, "\n"))
		more := writeLog(t, t.TempDir(), c.name+"-only", strings.Split(only, "\n"))
		for _, m := range c.modes {
			ref := c.name
			if m != "" {
				ref += "[mode=" + m + "]"
			}
			t.Run(ref, func(t *testing.T) {
				agreeWithStock(t, bin, formats, ref, ref)
			})
		}
		if !stockMisses(t, bin, more, c.name) {
			t.Errorf("%s-warden: the stock filter finds everything after %q", c.name, wardenOnly)
		}
	}
}

// stockMisses tells whether fail2ban's stock filter finds fewer failures
// than Warden's built-in one (both named ref) in logFile.
func stockMisses(t *testing.T, bin, logFile, ref string) bool {
	t.Helper()
	return len(f2btest.StockRows(t, logFile, ref)) < len(f2btest.WardenRows(t, bin, logFile, ref))
}
