// Package e2e holds Warden's end-to-end tests: the real binary, the real
// kernel firewall and real traffic between network namespaces the tests
// create (as root; they fail, not skip, when CI=true and something they
// need is missing).
package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// builtBin is the warden binary the tests of this run share, built once
// by the first test that needs it (in a directory TestMain removes).
var builtBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "warden-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	builtBin.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildWarden builds the warden binary once per run of the tests.
func buildWarden(t *testing.T) string {
	t.Helper()
	builtBin.once.Do(func() {
		bin := filepath.Join(builtBin.dir, "warden")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../cmd/warden").CombinedOutput(); err != nil {
			builtBin.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		builtBin.path = bin
	})
	if builtBin.err != nil {
		t.Fatal(builtBin.err)
	}
	return builtBin.path
}

// daemon is a warden run started in a namespace.
type daemon struct {
	bin, socket string
	cmd         *exec.Cmd
	done        chan struct{}
	log         *os.File
}

func startDaemon(t *testing.T, bin string, ns *netns, args ...string) *daemon {
	t.Helper()
	return startDaemonOn(t, bin, ns, daemonEnv{}, args...)
}

// daemonEnv is what a test changes around warden run: the host name
// (set in a UTS namespace of its own: the server's name in its logs) and
// shell commands run before it in its private mount namespace (e.g. a
// bind mount over /var/log).
type daemonEnv struct {
	hostname string
	setup    string
}

// startDaemonOn starts warden run in ns, in the environment env.
func startDaemonOn(t *testing.T, bin string, ns *netns, env daemonEnv, args ...string) *daemon {
	t.Helper()
	dir := t.TempDir()
	d := &daemon{bin: bin, socket: filepath.Join(dir, "warden.sock"), done: make(chan struct{})}
	var err error
	if d.log, err = os.Create(filepath.Join(dir, "warden.log")); err != nil {
		t.Fatal(err)
	}
	full := []string{"netns", "exec", ns.name}
	if env.hostname != "" || env.setup != "" {
		script := "set -e\n" + env.setup + "\n"
		if env.hostname != "" {
			script += `hostname "$1"` + "\n"
		}
		full = append(full, "unshare", "--uts", "sh", "-c", script+`shift; exec "$@"`, "sh", env.hostname)
	}
	full = append(append(full, bin, "run", "--socket", d.socket, "--ban-log", "", "--log-level", "debug"), args...)
	d.cmd = exec.Command("ip", full...)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start warden: %v", err)
	}
	go func() { _ = d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		d.signal(syscall.SIGKILL)
		d.wait(t, 10*time.Second)
		if t.Failed() {
			b, _ := os.ReadFile(d.log.Name())
			t.Logf("warden's log:\n%s", b)
		}
		d.log.Close()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := d.ctl("ping"); err == nil {
			return d
		}
		select {
		case <-d.done:
			b, _ := os.ReadFile(d.log.Name())
			t.Fatalf("warden exited at start:\n%s", b)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("warden did not answer within 30 s")
		}
	}
}

func (d *daemon) signal(sig syscall.Signal) {
	if d.cmd.Process != nil {
		_ = d.cmd.Process.Signal(sig)
	}
}

func (d *daemon) wait(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-d.done:
	case <-time.After(timeout):
		t.Errorf("warden did not stop within %v", timeout)
	}
}

// ctl runs a warden client command against the daemon.
func (d *daemon) ctl(args ...string) (string, error) {
	return runErr(append(append([]string{d.bin}, args...), "--socket", d.socket)...)
}

func (d *daemon) mustCtl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := d.ctl(args...)
	if err != nil {
		t.Fatalf("warden %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

const e2eFilter = `[Definition]
failregex = ^fail <HOST>$
datepattern = {NONE}
`

func writeConfig(t *testing.T, logs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "filter.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "filter.d", "e2e.conf"), []byte(e2eFilter), 0o644); err != nil {
		t.Fatal(err)
	}
	jail := `[DEFAULT]
filter = e2e
maxretry = 1
findtime = 1h
bantime = 1h
ignoreself = false

# A port-limited jail on the default banaction (native nftables).
[web]
enabled = true
port = 2222
logpath = ` + logs["web"] + `

# Subnet bans: one failure bans the IPv6 /64.
[net6]
enabled = true
port = 2222
banprefix.ipv6 = 64
logpath = ` + logs["net6"] + `

# Short bans, to see the kernel lift them on its own; through the name a
# fail2ban configuration uses.
[short]
enabled = true
port = 2222
bantime = 3
banaction = iptables-multiport
banaction_allports = iptables-allports
logpath = ` + logs["short"] + `
`
	if err := os.WriteFile(filepath.Join(dir, "jail.local"), []byte(jail), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestFirewallRealTraffic: bans made through warden stop real TCP traffic
// between two namespaces, port by port, for IPv4, IPv6 and a /64, and the
// kernel lifts a ban on its own when Warden is dead.
func TestFirewallRealTraffic(t *testing.T) {
	needRootAndTools(t, "ip", "nft", "iptables", "ipset", "go")
	bin := buildWarden(t)
	srv, cli := newNetns(t, "srv"), newNetns(t, "cli")
	veth(t, srv, cli, []string{"10.77.0.1/24", "fd77::1/64"}, []string{"10.77.0.2/24", "fd77::2/64", "fd77::3/64"})
	srv.listen(t, "[::]:2222")
	srv.listen(t, "[::]:8080")

	logDir := t.TempDir()
	logs := map[string]string{}
	for _, j := range []string{"web", "net6", "short"} {
		logs[j] = filepath.Join(logDir, j+".log")
		if err := os.WriteFile(logs[j], nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := writeConfig(t, logs)
	state := t.TempDir()
	d := startDaemon(t, bin, srv, "--config", cfg, "--state-dir", state)

	const wait = 700 * time.Millisecond
	conn := func(src, addr string) bool { return cli.connects(t, src, addr, wait) }
	// Bans reach the kernel a moment after warden ban returns.
	blocked := func(what, src, addr string) {
		t.Helper()
		eventually(t, 10*time.Second, what, func() bool { return !conn(src, addr) })
	}
	open := func(what, src, addr string) {
		t.Helper()
		eventually(t, 10*time.Second, what, func() bool { return conn(src, addr) })
	}
	v4, v6 := "10.77.0.1", "[fd77::1]"
	for _, a := range []string{v4 + ":2222", v4 + ":8080", v6 + ":2222", v6 + ":8080"} {
		if !conn("", a) {
			t.Fatalf("before any ban, %s does not connect", a)
		}
	}

	// IPv4, port-limited.
	d.mustCtl(t, "ban", "web", "10.77.0.2")
	blocked("banned IPv4 address blocked on the jail's port", "", v4+":2222")
	if !conn("", v4+":8080") {
		t.Error("a port outside the jail is blocked too")
	}
	if !conn("", v6+":2222") {
		t.Error("the IPv6 address is blocked by an IPv4 ban")
	}
	d.mustCtl(t, "unban", "10.77.0.2")
	open("unbanned IPv4 address connects again", "", v4+":2222")

	// IPv6.
	d.mustCtl(t, "ban", "web", "fd77::2")
	blocked("banned IPv6 address blocked", "fd77::2", v6+":2222")
	if !conn("fd77::3", v6+":2222") {
		t.Error("another IPv6 address of the same /64 is blocked by a single-address ban")
	}
	if !conn("", v4+":2222") {
		t.Error("IPv4 blocked by an IPv6 ban")
	}
	d.mustCtl(t, "unban", "fd77::2")
	open("unbanned IPv6 address connects again", "fd77::2", v6+":2222")

	// A /64, decided from a log line.
	f, err := os.OpenFile(logs["net6"], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("fail fd77::2\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	eventually(t, 10*time.Second, "ban of fd77::/64", func() bool {
		out, _ := d.ctl("banned")
		return strings.Contains(out, "fd77::/64")
	})
	blocked("fd77::2 blocked by the /64", "fd77::2", v6+":2222")
	if conn("fd77::3", v6+":2222") {
		t.Error("another address of the banned /64 still connects")
	}
	if !conn("", v4+":2222") {
		t.Error("IPv4 blocked by the /64 ban")
	}
	d.mustCtl(t, "unban", "fd77::/64")
	open("unbanned /64 connects again", "fd77::3", v6+":2222")

	// A 3-second ban, with Warden killed: the kernel lifts it.
	d.mustCtl(t, "ban", "short", "10.77.0.2")
	blocked("short ban (iptables backend) applied", "", v4+":2222")
	d.signal(syscall.SIGKILL)
	d.wait(t, 10*time.Second)
	if out, err := runErr("ip", "netns", "exec", srv.name, "ipset", "list", "-n"); err != nil || strings.TrimSpace(out) == "" {
		t.Fatalf("Warden's ipsets are gone after a kill: %v %q", err, out)
	}
	open("the kernel lifting the short ban", "", v4+":2222")

	// A restart reconciles, a clean stop removes Warden's rules.
	d2 := startDaemon(t, bin, srv, "--config", cfg, "--state-dir", state)
	if !conn("", v4+":2222") {
		t.Error("after restart, the expired ban is back")
	}
	d2.mustCtl(t, "ban", "web", "10.77.0.2")
	blocked("ban after restart applied", "", v4+":2222")
	d2.signal(syscall.SIGTERM)
	d2.wait(t, 30*time.Second)
	if out, err := runErr("ip", "netns", "exec", srv.name, "nft", "list", "table", "inet", "warden"); err == nil {
		t.Errorf("Warden's nftables table is left after a clean stop:\n%s", out)
	}
	open("after a clean stop, the address connects", "", v4+":2222")
}

// TestFirewallForward: with chain = INPUT,FORWARD a jail's bans also stop
// traffic the host forwards (to containers and VMs behind it), for both
// backends; a jail on INPUT alone leaves forwarded traffic alone.
func TestFirewallForward(t *testing.T) {
	needRootAndTools(t, "ip", "nft", "iptables", "ipset", "go")
	bin := buildWarden(t)
	cli, rtr, srv := newNetns(t, "cli"), newNetns(t, "rtr"), newNetns(t, "srv")
	veth(t, cli, rtr, []string{"10.78.1.2/24"}, []string{"10.78.1.1/24"})
	veth(t, rtr, srv, []string{"10.78.2.1/24"}, []string{"10.78.2.2/24"})
	run(t, "ip", "-n", cli.name, "route", "add", "default", "via", "10.78.1.1")
	run(t, "ip", "-n", srv.name, "route", "add", "default", "via", "10.78.2.1")
	run(t, "ip", "netns", "exec", rtr.name, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	srv.listen(t, "0.0.0.0:2222")
	srv.listen(t, "0.0.0.0:2223")
	srv.listen(t, "0.0.0.0:2224")

	logDir := t.TempDir()
	jail := "[DEFAULT]\nfilter = e2e\nmaxretry = 1\nbantime = 1h\nignoreself = false\n"
	for _, j := range []struct{ name, port, extra string }{
		{"fwdnft", "2222", "chain = INPUT,FORWARD\n"},
		{"fwdipt", "2223", "chain = INPUT,FORWARD\nbanaction = iptables-multiport\n"},
		{"inonly", "2224", ""},
	} {
		path := filepath.Join(logDir, j.name+".log")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		jail += "\n[" + j.name + "]\nenabled = true\nport = " + j.port + "\nlogpath = " + path + "\n" + j.extra
	}
	cfg := writeConfig(t, map[string]string{"web": os.DevNull, "net6": os.DevNull, "short": os.DevNull})
	if err := os.WriteFile(filepath.Join(cfg, "jail.local"), []byte(jail), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, bin, rtr, "--config", cfg, "--state-dir", t.TempDir())

	conn := func(port string) bool { return cli.connects(t, "", "10.78.2.2:"+port, 700*time.Millisecond) }
	for _, p := range []string{"2222", "2223", "2224"} {
		if !conn(p) {
			t.Fatalf("before any ban, forwarded port %s does not connect", p)
		}
	}
	for _, j := range []string{"fwdnft", "fwdipt", "inonly"} {
		d.mustCtl(t, "ban", j, "10.78.1.2")
	}
	eventually(t, 10*time.Second, "forwarded traffic blocked by nftables", func() bool { return !conn("2222") })
	eventually(t, 10*time.Second, "forwarded traffic blocked by iptables", func() bool { return !conn("2223") })
	if !conn("2224") {
		t.Error("a jail on INPUT alone blocked forwarded traffic")
	}
}
