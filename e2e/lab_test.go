package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/f2btest"
	"github.com/wardenipd/warden/internal/filter"
)

// updateSamples makes the capture tests rewrite testdata/samples/NAME
// from what the real daemons logged (after the checks passed).
var updateSamples = flag.Bool("update-samples", false, "rewrite testdata/samples from the captured logs")

// The lab's addresses: one server and two clients on a bridge in the
// server's namespace. Each lab has its own namespaces, so the addresses
// are the same in every lab. They are documentation addresses (RFC 5737,
// RFC 3849): public ones, as attackers have, which AbuseIPDB accepts in
// reports, yet nobody's.
const (
	labSrv4, labAttacker4, labLegit4 = "192.0.2.1", "192.0.2.2", "192.0.2.3"
	labSrv6, labAttacker6, labLegit6 = "2001:db8:77::1", "2001:db8:77::2", "2001:db8:77::3"
	labHost                          = "wsrv" // the host name in the syslog lines
)

// lab is a server namespace with an attacker and a legitimate client, a
// syslog receiver standing in for /dev/log, and the daemons a test starts
// there, all removed when the test ends.
type lab struct {
	srv, attacker, legit *netns
	dir                  string
	syslogPath           string

	journal  bool // the server logs to a journal of its own (startJournald)
	accounts bool // the server has accounts of the lab's (addUser)

	mu    sync.Mutex
	lines []string
	out   *os.File
}

// journalMounts is the shell that gives a process of the server the
// lab's journal as a fresh Debian host has it, in its own mount
// namespace: an empty /run whose /run/systemd/journal (journald's
// sockets) and /run/log/journal (its files) are the lab's, and an empty
// /var/log (no auth.log, no syslog daemon); and the cgroup file system
// journald asks for (ip netns exec's fresh /sys lacks it).
func (l *lab) journalMounts() string {
	return `mount -t tmpfs -o mode=755 wardenrun /run
mkdir -p /run/systemd/journal /run/log/journal /run/sshd
mount --bind '` + filepath.Join(l.dir, "jsock") + `' /run/systemd/journal
mount --bind '` + filepath.Join(l.dir, "jlog") + `' /run/log/journal
mount --bind '` + filepath.Join(l.dir, "varlog") + `' /var/log
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 wardencg /sys/fs/cgroup
`
}

// startJournald runs the real systemd-journald for the server: from now
// on the programs the lab starts log to it through /dev/log, as on a
// Debian 12 host without rsyslog, and the lab's syslog file stays empty.
func (l *lab) startJournald(t *testing.T) {
	t.Helper()
	needRootAndTools(t, "/lib/systemd/systemd-journald", "journalctl")
	for _, d := range []string{"jsock", "jlog", "varlog"} {
		if err := os.MkdirAll(filepath.Join(l.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	l.journal = true
	p := l.start(t, "journald", []string{"/lib/systemd/systemd-journald"})
	p.waitFile(t, filepath.Join(l.dir, "jsock", "dev-log"))
}

func newLab(t *testing.T) *lab {
	t.Helper()
	needRootAndTools(t, "ip", "ss", "mount", "sh")
	l := &lab{dir: t.TempDir()}
	l.srv = newNetns(t, "srv")
	l.attacker = newNetns(t, "atk")
	l.legit = newNetns(t, "leg")
	// Kill whatever the test started in the namespaces (daemons fork
	// children that may leave the process group) before they are deleted.
	for _, n := range []*netns{l.srv, l.attacker, l.legit} {
		t.Cleanup(func() { n.killAll(t) })
	}
	run(t, "ip", "-n", l.srv.name, "link", "add", "br0", "type", "bridge", "forward_delay", "0")
	run(t, "ip", "-n", l.srv.name, "addr", "add", labSrv4+"/24", "dev", "br0")
	run(t, "ip", "-n", l.srv.name, "addr", "add", labSrv6+"/64", "dev", "br0", "nodad")
	run(t, "ip", "-n", l.srv.name, "link", "set", "br0", "up")
	for _, c := range []struct {
		ns     *netns
		a4, a6 string
	}{{l.attacker, labAttacker4, labAttacker6}, {l.legit, labLegit4, labLegit6}} {
		n := nsSeq.Add(1)
		ifs := fmt.Sprintf("wl%d-%ds", os.Getpid()%10000, n)
		ifc := fmt.Sprintf("wl%d-%dc", os.Getpid()%10000, n)
		run(t, "ip", "link", "add", ifs, "netns", l.srv.name, "type", "veth", "peer", "name", ifc, "netns", c.ns.name)
		run(t, "ip", "-n", l.srv.name, "link", "set", ifs, "master", "br0", "up")
		run(t, "ip", "-n", c.ns.name, "addr", "add", c.a4+"/24", "dev", ifc)
		run(t, "ip", "-n", c.ns.name, "addr", "add", c.a6+"/64", "dev", ifc, "nodad")
		run(t, "ip", "-n", c.ns.name, "link", "set", ifc, "up")
	}
	l.startSyslog(t)
	return l
}

// killAll kills every process left in the namespace.
func (n *netns) killAll(t *testing.T) {
	out, err := runErr("ip", "netns", "pids", n.name)
	if err != nil {
		return
	}
	for _, f := range strings.Fields(out) {
		if pid, err := strconv.Atoi(f); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// exec runs a program in the namespace with a timeout and returns its
// combined output.
func (n *netns) exec(t *testing.T, timeout time.Duration, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.name}, args...)...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s: timed out after %v", strings.Join(args, " "), timeout)
	}
	return string(out), err
}

// syslogTime is the date glibc's syslog() puts after the priority.
var syslogTime = regexp.MustCompile(`^[A-Z][a-z]{2} [ 0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] `)

// startSyslog receives the datagrams programs send to /dev/log and writes
// them as a classic syslog file: "Dec  2 00:40:54 wsrv sshd[123]: msg".
func (l *lab) startSyslog(t *testing.T) {
	t.Helper()
	sock := filepath.Join(l.dir, "log.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatalf("syslog receiver: %v", err)
	}
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	l.syslogPath = filepath.Join(l.dir, "syslog")
	if l.out, err = os.Create(l.syslogPath); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			l.addSyslog(string(buf[:n]))
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
		l.out.Close()
		if t.Failed() {
			t.Logf("the lab's syslog:\n%s", strings.Join(l.syslogLines(), "\n"))
		}
	})
}

func (l *lab) addSyslog(msg string) {
	msg = strings.TrimRight(msg, "\x00\r\n")
	if strings.HasPrefix(msg, "<") {
		if i := strings.IndexByte(msg, '>'); i > 0 && i < 5 {
			msg = msg[i+1:]
		}
	}
	stamp := time.Now().UTC().Format(time.Stamp)
	if syslogTime.MatchString(msg) {
		stamp, msg = msg[:15], msg[16:]
	}
	line := stamp + " " + labHost + " " + strings.ReplaceAll(msg, "\n", " ")
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	fmt.Fprintln(l.out, line)
}

// syslogLines returns the lines the lab's syslog received so far.
func (l *lab) syslogLines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// devScript runs a program in a private /dev whose /dev/log is the lab's
// receiver: `ip netns exec` gives it its own mount namespace, a tmpfs
// replaces /dev there, and the host's device nodes the daemons need are
// bound into it.
const devScript = `set -e
d=$1; shift
mkdir -p "$d/hostdev"
mount --rbind /dev "$d/hostdev"
mount -t tmpfs -o mode=755,size=1m wardenlab /dev
for n in null zero full random urandom tty; do : > /dev/$n; mount --bind "$d/hostdev/$n" /dev/$n; done
mkdir /dev/pts /dev/shm
mount --rbind "$d/hostdev/pts" /dev/pts
ln -s pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777,size=16m wardenshm /dev/shm
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin; ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr
if [ -n "$WARDEN_LAB_JOURNAL" ]; then
  ln -s /run/systemd/journal/dev-log /dev/log
else
  ln -s "$d/log.sock" /dev/log
fi
`

// proc is a daemon a test started in the lab's server namespace.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	out  string
}

// start runs argv in the server namespace, with /dev/log going to the
// lab's syslog, TZ=UTC and the extra environment given, in its own
// process group. It is stopped at the end of the test (SIGTERM, then
// SIGKILL after 5 s), and its output is shown when the test failed.
func (l *lab) start(t *testing.T, name string, argv []string, env ...string) *proc {
	t.Helper()
	p := &proc{name: name, done: make(chan struct{}), out: filepath.Join(l.dir, name+".out")}
	f, err := os.Create(p.out)
	if err != nil {
		t.Fatal(err)
	}
	script := devScript
	if l.journal {
		script += l.journalMounts()
		env = append(env, "WARDEN_LAB_JOURNAL=1")
	}
	if l.accounts {
		for _, f := range []string{"passwd", "shadow", "group"} {
			script += "mount --bind '" + filepath.Join(l.dir, "etc", f) + "' /etc/" + f + "\n"
		}
	}
	args := append([]string{"netns", "exec", l.srv.name, "sh", "-c", script + "exec \"$@\"\n", "sh", l.dir}, argv...)
	p.cmd = exec.Command("ip", args...)
	p.cmd.Env = append(append(os.Environ(), "TZ=UTC"), env...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); f.Close(); close(p.done) }()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			b, _ := os.ReadFile(p.out)
			t.Logf("%s's output:\n%s", name, b)
		}
	})
	return p
}

// stop ends the daemon: SIGTERM to its process group, SIGKILL after 5 s.
func (p *proc) stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Logf("%s did not stop within 5 s of SIGTERM: killed", p.name)
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			t.Errorf("%s did not stop", p.name)
		}
	}
}

// waitPort waits until a TCP socket listens on port in the server
// namespace (asked of the kernel with ss, so that no connection shows in
// the daemon's log), failing the test after 20 s or when the daemon
// exits.
func (l *lab) waitPort(t *testing.T, p *proc, port int) {
	t.Helper()
	p.waitFor(t, fmt.Sprintf("listen on port %d", port), func() bool {
		out, _ := runErr("ip", "netns", "exec", l.srv.name, "ss", "-Hltn", "sport", "= :"+strconv.Itoa(port))
		return strings.TrimSpace(out) != ""
	})
}

// waitFile waits until the daemon p has made the file path.
func (p *proc) waitFile(t *testing.T, path string) {
	t.Helper()
	p.waitFor(t, "make "+path, func() bool {
		_, err := os.Stat(path)
		return err == nil
	})
}

// waitFor polls cond until it holds, failing the test when the daemon p
// exits first or after 20 s.
func (p *proc) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		select {
		case <-p.done:
			b, _ := os.ReadFile(p.out)
			t.Fatalf("%s exited before it could %s:\n%s", p.name, what, b)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not %s within 20 s", p.name, what)
		}
	}
}

// waitLog waits up to 10 s for cond to hold on the lines read by lines
// (daemons log asynchronously, after the client has gone).
func waitLog(t *testing.T, what string, lines func() []string, cond func([]string) bool) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ls := lines()
		if cond(ls) {
			return ls
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not logged within 10 s; the log:\n%s", what, strings.Join(ls, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readLines returns the lines of a file ("" lines dropped), for daemons
// that write their own log files.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var ls []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			ls = append(ls, l)
		}
	}
	return ls
}

// builtinFilter compiles Warden's built-in filter ref ("sshd" or
// "sshd[mode=aggressive]") as the daemon would, dating lines without a
// year by now.
func builtinFilter(t *testing.T, ref string, now time.Time) *filter.Filter {
	t.Helper()
	r, err := config.ParseRef(ref)
	if err != nil {
		t.Fatalf("filter %q: %v", ref, err)
	}
	def, err := config.LoadFilter(r.Name, config.FilterOptions{Options: config.Options{Dir: t.TempDir()}, Args: r.Args})
	if err != nil {
		t.Fatalf("built-in filter %s: %v", ref, err)
	}
	f, err := filter.New(filter.Options{
		PrefRegex: def.PrefRegex, FailRegex: def.FailRegex, IgnoreRegex: def.IgnoreRegex,
		MaxLines: def.MaxLines, DatePattern: def.DatePattern, UseDNS: "no",
		Location: time.UTC, Now: func() time.Time { return now }, DateStartup: now,
	})
	if err != nil {
		t.Fatalf("compile built-in filter %s: %v", ref, err)
	}
	return f
}

// lineResult is what a filter found on one line: the failures with an
// address (pending multi-line parts and "nofail" matches left out).
type lineResult struct {
	line     string
	failures []filter.Failure
}

func runFilter(t *testing.T, f *filter.Filter, lines []string) []lineResult {
	t.Helper()
	res := make([]lineResult, len(lines))
	for i, ln := range lines {
		rs, err := f.ProcessLine(ln)
		if err != nil {
			t.Fatalf("filter: %v\n  line: %s", err, ln)
		}
		res[i].line = ln
		for _, r := range rs {
			if r.HasID && !r.NoFail() {
				res[i].failures = append(res[i].failures, r)
			}
		}
	}
	return res
}

// checkTruth requires Warden's built-in filter ref to find in lines
// exactly want[addr] failures for each address, and none for any other.
func checkTruth(t *testing.T, ref string, lines []string, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	for _, r := range runFilter(t, builtinFilter(t, ref, time.Now()), lines) {
		for _, f := range r.failures {
			got[f.ID]++
		}
	}
	for addr, n := range want {
		if got[addr] != n {
			t.Errorf("filter %s: %d failures for %s, want %d", ref, got[addr], addr, n)
		}
	}
	for addr, n := range got {
		if _, ok := want[addr]; !ok {
			t.Errorf("filter %s: %d failures for %s, which did nothing wrong", ref, n, addr)
		}
	}
	if t.Failed() {
		t.Logf("the lines:\n%s", strings.Join(lines, "\n"))
	}
}

// agreeWithStock requires fail2ban's stock filter stockRef (run by the
// real fail2ban-regex) and Warden's built-in filter ref (run by the warden
// binary bin) to find the same failures in the log file.
func agreeWithStock(t *testing.T, bin, logFile, ref, stockRef string) {
	t.Helper()
	f2btest.AgreeWithStock(t, bin, logFile, ref, stockRef)
}

// writeSample rewrites testdata/samples/NAME from lines when
// -update-samples is given: each line gets the failJSON expectation of
// what the built-in filter ref finds on it (call it after checkTruth and
// agreeWithStock passed, and read the diff before committing), after a
// sampleInfo header saying where the lines come from.
func writeSample(t *testing.T, name, ref, source, stock string, lines []string) {
	t.Helper()
	if !*updateSamples {
		return
	}
	if t.Failed() {
		t.Fatalf("not rewriting the %s sample: the test failed", name)
	}
	now := time.Now().UTC().Truncate(time.Second)
	info, _ := json.Marshal(map[string]string{"source": source, "stock": stock, "now": now.Format(time.RFC3339)})
	var b strings.Builder
	fmt.Fprintf(&b, "# Sample log of Warden's built-in filter %s, with fail2ban's failJSON expectations.\n", name)
	fmt.Fprintf(&b, "# sampleInfo: %s\n\n", info)
	b.WriteString(annotate(t, ref, now, lines))
	path := filepath.Join("..", "testdata", "samples", name)
	// Lines only Warden finds (or written by hand) stay in NAME-warden,
	// which the failJSON runner reads after this file.
	if _, err := os.Stat(path + "-warden"); err == nil {
		fmt.Fprintf(&b, "\n# addFILE: %q\n", name+"-warden")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d lines): review the diff", path, len(lines))
}

// writeLog writes lines to a file in dir for fail2ban-regex and warden regex.
func writeLog(t *testing.T, dir, name string, lines []string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// annotate returns lines, each after the failJSON expectation of what
// Warden's built-in filter ref finds on it, dating lines without a year
// by now.
func annotate(t *testing.T, ref string, now time.Time, lines []string) string {
	t.Helper()
	var b strings.Builder
	for _, r := range runFilter(t, builtinFilter(t, ref, now), lines) {
		exp := map[string]any{"match": false}
		if len(r.failures) > 0 {
			f := r.failures[0]
			exp = map[string]any{"match": true, "host": f.ID}
			if f.Time != 0 {
				exp["time"] = time.Unix(0, int64(f.Time*1e9)).UTC().Format("2006-01-02T15:04:05.999999")
			}
			if u := f.Users(); len(u) == 1 {
				exp["user"] = u[0]
			}
		}
		keys := make([]string, 0, len(exp))
		for k := range exp {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			v, _ := json.Marshal(exp[k])
			parts = append(parts, fmt.Sprintf("%q: %s", k, v))
		}
		fmt.Fprintf(&b, "# failJSON: { %s }\n%s\n", strings.Join(parts, ", "), r.line)
	}
	return b.String()
}

// addUser gives the programs the lab starts from now on an account with a
// password, for a daemon that logs its users in through PAM: copies of
// the host's /etc/passwd, /etc/shadow and /etc/group with the account
// added are bound over them in the programs' mount namespaces; the host's
// files are not changed.
func (l *lab) addUser(t *testing.T, name, password string) {
	t.Helper()
	needRootAndTools(t, "openssl")
	hash := strings.TrimSpace(run(t, "openssl", "passwd", "-6", password))
	etc := filepath.Join(l.dir, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ name, line string }{
		{"passwd", name + ":x:61234:61234:Warden test user:/:/bin/sh"},
		{"shadow", name + ":" + hash + ":19000:0:99999:7:::"},
		{"group", name + ":x:61234:"},
	} {
		path, src := filepath.Join(etc, f.name), "/etc/"+f.name
		if l.accounts {
			src = path // a second account joins the first in the copies
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			b = append(b, '\n')
		}
		mode := os.FileMode(0o644)
		if f.name == "shadow" {
			mode = 0o600
		}
		if err := os.WriteFile(path, append(b, f.line+"\n"...), mode); err != nil {
			t.Fatal(err)
		}
	}
	l.accounts = true
}
