package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/f2btest"
	"golang.org/x/sys/unix"
)

// need fails the test when CI=true and a prerequisite is missing, and
// skips it otherwise.
func need(t *testing.T, ok bool, what string) {
	t.Helper()
	if !ok {
		f2btest.Require(t, "%s", what)
	}
}

func needRootAndTools(t *testing.T, tools ...string) {
	t.Helper()
	need(t, os.Geteuid() == 0, "root (network namespaces and the kernel firewall)")
	for _, tool := range tools {
		_, err := exec.LookPath(tool)
		need(t, err == nil, tool+" in PATH")
	}
}

// run runs a command with a timeout and fails the test on error.
func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runErr(args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func runErr(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	return string(out), err
}

var nsSeq atomic.Int64

// netns is a network namespace made by the test, deleted at its end.
type netns struct {
	name string
}

func newNetns(t *testing.T, role string) *netns {
	t.Helper()
	name := fmt.Sprintf("wd%d-%s-%d", os.Getpid()%100000, role, nsSeq.Add(1))
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := runErr("ip", "netns", "del", name); err != nil {
			t.Logf("ip netns del %s: %v\n%s", name, err, out)
		}
	})
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return &netns{name: name}
}

// do runs f with the calling goroutine's thread in the namespace: a
// socket made by f belongs to the namespace for good.
func (n *netns) do(t *testing.T, f func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatalf("open own netns: %v", err)
	}
	defer orig.Close()
	target, err := os.Open(filepath.Join("/run/netns", n.name))
	if err != nil {
		t.Fatalf("open netns %s: %v", n.name, err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		t.Fatalf("setns %s: %v", n.name, err)
	}
	defer func() {
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			// The thread is in the wrong namespace: let it die with
			// the goroutine rather than serve others.
			panic(fmt.Sprintf("setns back: %v", err))
		}
	}()
	f()
}

// veth joins two namespaces: a gets addr4a/addr6a, b the others.
func veth(t *testing.T, a, b *netns, addrsA, addrsB []string) {
	t.Helper()
	n := nsSeq.Add(1)
	ifa := fmt.Sprintf("wv%d-%da", os.Getpid()%10000, n)
	ifb := fmt.Sprintf("wv%d-%db", os.Getpid()%10000, n)
	run(t, "ip", "link", "add", ifa, "netns", a.name, "type", "veth", "peer", "name", ifb, "netns", b.name)
	for _, x := range []struct {
		ns    *netns
		ifc   string
		addrs []string
	}{{a, ifa, addrsA}, {b, ifb, addrsB}} {
		for _, ad := range x.addrs {
			args := []string{"ip", "-n", x.ns.name, "addr", "add", ad, "dev", x.ifc}
			if strings.Contains(ad, ":") {
				args = append(args, "nodad")
			}
			run(t, args...)
		}
		run(t, "ip", "-n", x.ns.name, "link", "set", x.ifc, "up")
	}
}

// listen starts a TCP server in n that accepts and closes connections.
func (n *netns) listen(t *testing.T, addr string) {
	t.Helper()
	var l net.Listener
	var err error
	n.do(t, func() { l, err = net.Listen("tcp", addr) })
	if err != nil {
		t.Fatalf("listen %s in %s: %v", addr, n.name, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
}

// connects tells whether a TCP connection from n (from the source address
// src, when given) to addr succeeds within the timeout.
func (n *netns) connects(t *testing.T, src, addr string, timeout time.Duration) bool {
	t.Helper()
	var c net.Conn
	var err error
	n.do(t, func() {
		d := net.Dialer{Timeout: timeout}
		if src != "" {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
		}
		c, err = d.Dial("tcp", addr)
	})
	if err != nil {
		return false
	}
	c.Close()
	return true
}
