package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// debVersion is the installed version of a Debian package, for the
// source of a sample.
func debVersion(t *testing.T, pkg string) string {
	t.Helper()
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", pkg).Output()
	if err != nil {
		return "(version unknown)"
	}
	return strings.TrimSpace(string(out))
}

// privsepDir makes sshd's privilege separation directory, /run/sshd, as
// ssh.service would, when it is missing, and removes it at the end.
func privsepDir(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/run/sshd"); errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove("/run/sshd") })
	}
}

// attack runs the clients concurrently and waits for them all; their
// errors are expected (wrong passwords), their output is logged when the
// test fails.
func attack(t *testing.T, clients ...func() (string, error)) {
	t.Helper()
	var wg sync.WaitGroup
	outs := make([]string, len(clients))
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := c()
			outs[i] = fmt.Sprintf("client %d: %v\n%s", i, err, out)
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the clients' output:\n%s", strings.Join(outs, "\n"))
		}
	})
}

// sendRaw connects from the namespace to addr, writes msg (nothing when
// empty) and reads until the server closes the connection.
func sendRaw(t *testing.T, ns *netns, addr, msg string) {
	t.Helper()
	ns.do(t, func() {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Errorf("connect %s: %v", addr, err)
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if msg != "" {
			if _, err := c.Write([]byte(msg)); err != nil {
				t.Errorf("write %s: %v", addr, err)
				return
			}
		} else {
			// Read the server's banner, then leave without a word.
			_, _ = bufio.NewReader(c).ReadString('\n')
			return
		}
		_, _ = bufio.NewReader(c).ReadString(0)
	})
}

// TestCaptureSSHD runs Debian's OpenSSH server in the lab, logging through
// syslog, and attacks it: wrong passwords for unknown users (over IPv4 and
// IPv6) and for root until MaxAuthTries, an HTTP request instead of an SSH
// banner, a connection that leaves before its banner and a client offering
// only an old key exchange. The legitimate client logs in as root with a
// key. Warden's built-in sshd filter must find exactly the attacker's
// failures, in normal and in aggressive mode, and the stock filter the
// same ones.
func TestCaptureSSHD(t *testing.T) {
	needRootAndTools(t, "/usr/sbin/sshd", "ssh", "ssh-keygen", "sshpass", "dpkg-query")
	privsepDir(t)
	l := newLab(t)
	bin := buildWarden(t)

	hostKey := filepath.Join(l.dir, "host_ed25519")
	userKey := filepath.Join(l.dir, "legit_ed25519")
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey)
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", userKey)
	pub, err := os.ReadFile(userKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	authKeys := filepath.Join(l.dir, "authorized_keys")
	if err := os.WriteFile(authKeys, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	// Debian's defaults (UsePAM, passwords, root by key only, syslog's
	// auth facility at INFO), with the lab's keys and addresses. The keys
	// live in the test's temporary directory, which StrictModes would
	// refuse (/tmp is writable by all).
	cfg := filepath.Join(l.dir, "sshd_config")
	conf := strings.Join([]string{
		"ListenAddress " + labSrv4 + ":22",
		"ListenAddress [" + labSrv6 + "]:22",
		"HostKey " + hostKey,
		"PidFile " + filepath.Join(l.dir, "sshd.pid"),
		"UsePAM yes",
		"KbdInteractiveAuthentication no",
		"PasswordAuthentication yes",
		"PermitRootLogin prohibit-password",
		"AuthorizedKeysFile " + authKeys,
		"StrictModes no",
		"MaxAuthTries 3",
		"PrintMotd no",
		"PrintLastLog no",
		"SyslogFacility AUTH",
		"LogLevel INFO",
		"",
	}, "\n")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	askpass := filepath.Join(l.dir, "askpass")
	if err := os.WriteFile(askpass, []byte("#!/bin/sh\necho wrong\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := l.start(t, "sshd", []string{"/usr/sbin/sshd", "-D", "-f", cfg})
	l.waitPort(t, p, 22)

	client := []string{"ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR"}
	password := func(prompts int) []string {
		return append([]string{"sshpass", "-p", "wrong"}, append(client,
			"-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password",
			"-o", fmt.Sprintf("NumberOfPasswordPrompts=%d", prompts))...)
	}
	wrong := func(prompts int, target string) func() (string, error) {
		return func() (string, error) {
			return l.attacker.exec(t, 20*time.Second, append(password(prompts), target, "true")...)
		}
	}
	// The legitimate client logs in with its key, over both protocols,
	// while the attacks go on.
	legit := func(dst string) func() (string, error) {
		return func() (string, error) {
			args := append(append([]string{}, client...), "-i", userKey, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "root@"+dst, "true")
			out, err := l.legit.exec(t, 20*time.Second, args...)
			if err != nil {
				t.Errorf("legitimate login to %s: %v\n%s", dst, err, out)
			}
			return out, err
		}
	}
	attack(t,
		legit(labSrv4),
		legit(labSrv6),
		// Unknown users, one password each: "Invalid user" and "Failed
		// password for invalid user".
		wrong(1, "admin@"+labSrv4),
		wrong(1, "oracle@"+labSrv4),
		wrong(1, "admin@"+labSrv6),
		// root, until MaxAuthTries: three "Failed password for root" and
		// "maximum authentication attempts exceeded". sshpass gives up at
		// the second prompt; ssh's askpass program answers them all.
		func() (string, error) {
			args := append([]string{"env", "SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force"}, password(3)[3:]...)
			return l.attacker.exec(t, 20*time.Second, append(args, "root@"+labSrv4, "true")...)
		},
		// Only a key exchange the server does not offer: "Unable to
		// negotiate" (extra and aggressive mode).
		func() (string, error) {
			return l.attacker.exec(t, 20*time.Second, append(client, "-o", "KexAlgorithms=diffie-hellman-group1-sha1", "nobody@"+labSrv4, "true")...)
		},
		// An HTTP request instead of an SSH banner: "banner exchange: ...
		// invalid format" (ddos and aggressive mode).
		func() (string, error) {
			sendRaw(t, l.attacker, labSrv4+":22", "GET / HTTP/1.0\r\n\r\n")
			return "", nil
		},
		// A connection that leaves before saying anything
		// ("kex_exchange_identification: Connection closed by remote host").
		func() (string, error) {
			sendRaw(t, l.attacker, "["+labSrv6+"]:22", "")
			return "", nil
		},
	)
	lines := waitLog(t, "the attacks and the logins", l.syslogLines, func(ls []string) bool {
		all := strings.Join(ls, "\n")
		return strings.Count(all, "Accepted publickey") == 2 && strings.Count(all, "maximum authentication attempts exceeded") == 1 &&
			strings.Count(all, "Failed password") == 6 && strings.Contains(all, "banner exchange") && strings.Contains(all, "Unable to negotiate") &&
			strings.Count(all, "Connection closed by invalid user") == 3 &&
			strings.Contains(all, "Connection closed by "+labAttacker6) && strings.Count(all, "Disconnected from user root") == 2
	})

	// Normal mode: per unknown-user connection "Invalid user" and "Failed
	// password" (2 x 2 over IPv4, 2 over IPv6); for root three "Failed
	// password" and "maximum authentication attempts exceeded".
	checkTruth(t, "sshd", lines, map[string]int{labAttacker4: 8, labAttacker6: 2})
	// Aggressive mode adds the unknown users' connections closed before
	// authentication ("Connection closed by invalid user ... [preauth]"),
	// one for the HTTP request (its kex_exchange_identification line,
	// whose address the banner exchange line of the connection gives), one
	// for the silent connection (the same, the address from its
	// "Connection closed" line) and the refused key exchange. root's
	// connection ends with "Disconnecting ...: Too many authentication
	// failures", which neither mode counts.
	checkTruth(t, "sshd[mode=aggressive]", lines, map[string]int{labAttacker4: 8 + 2 + 1 + 1, labAttacker6: 2 + 1 + 1})
	agreeWithStock(t, bin, l.syslogPath, "sshd", "sshd")
	agreeWithStock(t, bin, l.syslogPath, "sshd[mode=aggressive]", "sshd[mode=aggressive]")
	writeSample(t, "sshd", "sshd",
		"openssh-server "+debVersion(t, "openssh-server")+" (sshd -D, UsePAM, MaxAuthTries 3) in a network namespace, logging through syslog; captured by go test ./e2e -run TestCaptureSSHD -update-samples",
		"sshd", lines)
}
