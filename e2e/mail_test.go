package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMailStory: a mail server (Postfix asking Dovecot for SASL) guessed at
// over SMTP AUTH. Warden with the built-in postfix-sasl and dovecot jails
// turned on as a fail2ban user would (reading the mail log) bans the
// guesser in the kernel on the ports of both jails: SMTP, submission and
// IMAP are refused to it, while the legitimate client still sends mail and
// reads its mailbox.
func TestMailStory(t *testing.T) {
	needRootAndTools(t, "postfix", "dovecot", "curl", "nft")
	bin := buildWarden(t)
	l := newLab(t)
	opensToDaemons(t, l.dir)
	dp, sock := startDovecot(t, l, "imap")
	dp.waitFile(t, sock)
	l.waitPort(t, dp, 143)
	p := startPostfix(t, l, sock)
	l.waitPort(t, p, 25)
	l.waitPort(t, p, 587)

	cfg := t.TempDir()
	jails := "[sshd]\nenabled = false\n"
	for _, j := range []string{"postfix-sasl", "dovecot"} {
		jails += "[" + j + "]\nenabled = true\nmaxretry = 3\nbantime = 1h\nbackend = auto\nlogpath = " + l.syslogPath + "\n"
	}
	if err := os.WriteFile(filepath.Join(cfg, "jail.local"), []byte(jails), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemonOn(t, bin, l.srv, daemonEnv{hostname: labHost}, "--config", cfg, "--state-dir", t.TempDir())

	imap := "imap://" + labSrv4
	send := []string{"smtp://" + labSrv4 + ":587/legit.example", "--user", mailUser + ":" + mailPassword,
		"--mail-from", mailUser + "@" + mailDomain, "--mail-rcpt", "friend@example.org", "-T", "/dev/null"}
	curlOK(t, l.legit, send...)
	curlOK(t, l.legit, imap, "--user", mailUser+":"+mailPassword)

	// Three guesses (maxretry): each a SASL failure for postfix-sasl and
	// a passdb failure Dovecot's auth process reports for dovecot.
	for _, user := range []string{"admin:admin", mailUser + ":wrong", "info:123456"} {
		curlFails(t, l.attacker, "smtp://"+labSrv4+"/atk.example", "--user", user,
			"--mail-from", "a@atk.example", "--mail-rcpt", "x@example.org", "-T", "/dev/null")
	}
	for _, jail := range []string{"postfix-sasl", "dovecot"} {
		eventually(t, 20*time.Second, "the attacker banned by "+jail, func() bool {
			out, _ := d.ctl("status", jail)
			return strings.Contains(out, labAttacker4)
		})
	}
	for _, port := range []string{"25", "587", "143"} {
		if !refused(t, l.attacker, labSrv4+":"+port) {
			t.Errorf("the banned attacker still connects to port %s", port)
		}
	}
	curlOK(t, l.legit, send...)
	curlOK(t, l.legit, imap, "--user", mailUser+":"+mailPassword)
	if out := d.mustCtl(t, "status", "postfix-sasl"); strings.Contains(out, labLegit4) {
		t.Errorf("the legitimate client is banned:\n%s", out)
	}
}
