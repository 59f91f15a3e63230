package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ftpLogins connects from the namespace to an FTP server at addr and tries
// each user and password in turn on the same connection (what curl, one
// login per connection, cannot do), until the server hangs up.
func ftpLogins(t *testing.T, ns *netns, addr string, logins [][2]string) string {
	t.Helper()
	var b strings.Builder
	ns.do(t, func() {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Errorf("connect %s: %v", addr, err)
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(15 * time.Second))
		r := bufio.NewReader(c)
		// reply reads one reply, continuation lines ("230-...") included.
		reply := func() bool {
			for {
				line, err := r.ReadString('\n')
				b.WriteString(line)
				if err != nil {
					return false
				}
				if len(line) >= 4 && line[3] == ' ' {
					return true
				}
			}
		}
		if !reply() {
			return
		}
		for _, l := range logins {
			for _, cmd := range []string{"USER " + l[0], "PASS " + l[1]} {
				fmt.Fprintf(&b, "> %s\n", cmd)
				if _, err := fmt.Fprintf(c, "%s\r\n", cmd); err != nil || !reply() {
					return
				}
			}
		}
		fmt.Fprintf(c, "QUIT\r\n")
		reply()
	})
	return b.String()
}

// curlFTP runs curl in the namespace to list the FTP server's top
// directory as user:pass.
// legitFTP is the legitimate client's good login to addr, which must
// succeed.
func legitFTP(t *testing.T, l *lab, addr string) func() (string, error) {
	return func() (string, error) {
		out, err := curlFTP(t, l.legit, addr, "wardenftp", "secret")()
		if err != nil {
			t.Errorf("legitimate login to %s: %v\n%s", addr, err, out)
		}
		return out, err
	}
}

func curlFTP(t *testing.T, ns *netns, host, user, pass string) func() (string, error) {
	return func() (string, error) {
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		return ns.exec(t, 15*time.Second, "curl", "-sS", "--max-time", "10", "-l", "--user", user+":"+pass, "ftp://"+host+"/")
	}
}

// ftpTestUser writes a virtual user file (passwd(5) format) with one user
// whose password is "secret", for the legitimate client: no account is
// made on the host.
func ftpTestUser(t *testing.T, dir, user string) string {
	t.Helper()
	hash := strings.TrimSpace(run(t, "openssl", "passwd", "-6", "-salt", "wardenlab", "secret"))
	path := filepath.Join(dir, "ftpd.passwd")
	if err := os.WriteFile(path, []byte(user+":"+hash+":65534:65534::/:/usr/sbin/nologin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCaptureProFTPD runs Debian's ProFTPD in the lab with its own log
// file (SystemLog, as Debian configures it) and attacks it: an unknown
// user twice over IPv4, a known user's wrong password over IPv6 (curl),
// and three wrong passwords for root on one connection until
// MaxLoginAttempts. The legitimate client logs in as a virtual user.
func TestCaptureProFTPD(t *testing.T) {
	needRootAndTools(t, "/usr/sbin/proftpd", "curl", "openssl", "unshare", "hostname", "dpkg-query")
	l := newLab(t)
	bin := buildWarden(t)
	users := ftpTestUser(t, l.dir, "wardenftp")
	logFile := filepath.Join(l.dir, "proftpd.log")
	pidFile := filepath.Join(l.dir, "proftpd.pid")
	cfg := filepath.Join(l.dir, "proftpd.conf")
	// Debian's settings that matter here, without its loadable modules
	// (mod_unique_id wants the host name in DNS), and with the virtual
	// user file before the system's accounts (PAM would refuse the
	// virtual user).
	conf := strings.Join([]string{
		`ServerName "Debian"`,
		`ServerType standalone`,
		`DefaultServer on`,
		`DefaultAddress ` + labSrv4,
		`Port 21`,
		`UseIPv6 on`,
		`User proftpd`,
		`Group nogroup`,
		`UseReverseDNS off`,
		`WtmpLog off`,
		`SystemLog ` + logFile,
		`TransferLog none`,
		`ScoreboardFile ` + filepath.Join(l.dir, "proftpd.scoreboard"),
		`PidFile ` + pidFile,
		`AuthUserFile ` + users,
		`AuthOrder mod_auth_file.c mod_auth_unix.c`,
		`AuthPAM off`,
		`RequireValidShell off`,
		`MaxLoginAttempts 3`,
		`<IfModule mod_delay.c>`,
		`DelayEngine off`,
		`</IfModule>`,
		`<IfModule mod_ctrls.c>`,
		`ControlsEngine off`,
		`</IfModule>`,
		``,
	}, "\n")
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// Its own UTS namespace gives the log lines the lab's host name. In
	// the foreground (-n) ProFTPD logs to stderr rather than to its
	// SystemLog file, so it runs as a daemon, as on Debian, and a shell
	// stands for it in the lab; it is killed by its pid file.
	p := l.start(t, "proftpd", []string{"unshare", "--uts", "sh", "-c", `hostname ` + labHost + ` && /usr/sbin/proftpd -c "$0" && exec sleep 300`, cfg})
	t.Cleanup(func() {
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGTERM)
			}
		}
	})
	l.waitPort(t, p, 21)

	attack(t,
		curlFTP(t, l.attacker, labSrv4, "admin", "admin"),
		curlFTP(t, l.attacker, labSrv4, "admin", "123456"),
		curlFTP(t, l.attacker, labSrv6, "wardenftp", "wrong"),
		func() (string, error) {
			return ftpLogins(t, l.attacker, labSrv4+":21", [][2]string{{"root", "toor"}, {"root", "root"}, {"root", "admin"}}), nil
		},
		legitFTP(t, l, labSrv4),
		legitFTP(t, l, labSrv6),
	)
	lines := waitLog(t, "the attacks and the logins", func() []string { return readLines(t, logFile) }, func(ls []string) bool {
		all := strings.Join(ls, "\n")
		return strings.Count(all, "no such user found") == 2 && strings.Contains(all, "Maximum login attempts") &&
			strings.Contains(all, "Incorrect password")
	})
	checkTruth(t, "proftpd", lines, map[string]int{labAttacker4: 2 + 3 + 1, labAttacker6: 1})
	agreeWithStock(t, bin, logFile, "proftpd", "proftpd")
	writeSample(t, "proftpd", "proftpd",
		"proftpd-core "+debVersion(t, "proftpd-core")+" (its SystemLog file, MaxLoginAttempts 3) in a network namespace; captured by go test ./e2e -run TestCaptureProFTPD -update-samples",
		"proftpd", lines)
}

// vsftpdBinary returns vsftpd's program and the version of its package:
// the installed one, or else the package unpacked into the user's cache
// (vsftpd conflicts with proftpd-core, which the suite installs).
func vsftpdBinary(t *testing.T) (string, string) {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/vsftpd"); err == nil {
		return "/usr/sbin/vsftpd", debVersion(t, "vsftpd")
	}
	needRootAndTools(t, "apt-get", "dpkg-deb")
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "warden", "vsftpd")
	bin := filepath.Join(dir, "root", "usr", "sbin", "vsftpd")
	version := func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "version"))
		return strings.TrimSpace(string(b))
	}
	if _, err := os.Stat(bin); err == nil {
		return bin, version()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(dir, "fetch-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	dl := exec.Command("apt-get", "download", "vsftpd")
	dl.Dir = tmp
	if out, err := dl.CombinedOutput(); err != nil {
		need(t, false, fmt.Sprintf("vsftpd's package (apt-get download vsftpd: %v: %s)", err, strings.TrimSpace(string(out))))
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "vsftpd_*.deb"))
	if len(debs) != 1 {
		t.Fatal("apt-get download vsftpd produced no .deb")
	}
	run(t, "dpkg-deb", "-x", debs[0], filepath.Join(tmp, "root"))
	v := strings.TrimSpace(run(t, "dpkg-deb", "-f", debs[0], "Version"))
	if err := os.WriteFile(filepath.Join(tmp, "root", "..", "version"), []byte(v+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "root"))
	if err := os.Rename(filepath.Join(tmp, "root"), filepath.Join(dir, "root")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(tmp, "version"), filepath.Join(dir, "version")); err != nil {
		t.Fatal(err)
	}
	return bin, v
}

// TestCaptureVsftpd runs Debian's vsftpd in the lab with its own log
// (/var/log/vsftpd.log on Debian) and PAM's messages going to syslog, and
// attacks it: two unknown users over IPv4 (curl), a known user's wrong
// password over IPv6, three wrong passwords on one connection until
// max_login_fails. The legitimate client logs in as a user the test
// creates.
func TestCaptureVsftpd(t *testing.T) {
	needRootAndTools(t, "curl", "dpkg-query")
	bin, version := vsftpdBinary(t)
	l := newLab(t)
	warden := buildWarden(t)
	l.addUser(t, "wardenftp", "secret")
	logFile := filepath.Join(l.dir, "vsftpd.log")
	empty := filepath.Join(l.dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(l.dir, "vsftpd.conf")
	// Debian's vsftpd.conf, with the lab's log file and directories.
	conf := strings.Join([]string{
		"listen=NO",
		"listen_ipv6=YES",
		"anonymous_enable=NO",
		"local_enable=YES",
		"dirmessage_enable=YES",
		"use_localtime=YES",
		"xferlog_enable=YES",
		"vsftpd_log_file=" + logFile,
		"secure_chroot_dir=" + empty,
		"pam_service_name=vsftpd",
		"ssl_enable=NO",
		"max_login_fails=3",
		"",
	}, "\n")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	p := l.start(t, "vsftpd", []string{bin, cfg})
	l.waitPort(t, p, 21)

	attack(t,
		curlFTP(t, l.attacker, labSrv4, "admin", "admin"),
		curlFTP(t, l.attacker, labSrv4, "oracle", "oracle"),
		curlFTP(t, l.attacker, labSrv6, "wardenftp", "wrong"),
		func() (string, error) {
			return ftpLogins(t, l.attacker, labSrv4+":21", [][2]string{{"ftp", "ftp"}, {"test", "test"}, {"wardenftp", "123456"}}), nil
		},
		legitFTP(t, l, labSrv4),
		legitFTP(t, l, labSrv6),
	)
	own := waitLog(t, "the attacks and the logins", func() []string { return readLines(t, logFile) }, func(ls []string) bool {
		all := strings.Join(ls, "\n")
		return strings.Count(all, "FAIL LOGIN") == 6 && strings.Count(all, "OK LOGIN") == 2
	})
	pam := waitLog(t, "PAM's messages", l.syslogLines, func(ls []string) bool {
		return strings.Count(strings.Join(ls, "\n"), "authentication failure;") == 6
	})
	// One failure for each wrong login in either log.
	want := map[string]int{labAttacker4: 2 + 3, labAttacker6: 1}
	checkTruth(t, "vsftpd", own, want)
	checkTruth(t, "vsftpd", pam, want)
	// The sample holds both logs, as a jail reading both would.
	lines := append(append([]string{}, own...), pam...)
	agreeWithStock(t, warden, writeLog(t, l.dir, "both.log", lines), "vsftpd", "vsftpd")
	writeSample(t, "vsftpd", "vsftpd",
		"vsftpd "+version+" (Debian's vsftpd.conf; its own log, then PAM's messages through syslog) in a network namespace; captured by go test ./e2e -run TestCaptureVsftpd -update-samples",
		"vsftpd", lines)
}
