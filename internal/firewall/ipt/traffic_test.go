//go:build linux

package ipt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/wardenipd/warden/internal/firewall"
)

// peer is a network namespace of the test's own, joined to the test's
// namespace by a veth pair: the host side has .1 and ::1, the peer .2 and
// ::2.
type peer struct {
	ns         string
	host4, me4 string
	host6, me6 string
}

// newPeer creates the namespace and the veth pair; both are deleted when
// the test ends. n tells apart the peers of one test process.
func newPeer(t *testing.T, n int) peer {
	t.Helper()
	needKernel(t, "")
	id := strconv.Itoa(os.Getpid()%100000) + "x" + strconv.Itoa(n)
	p := peer{ns: "wdn-ipt-test-" + id,
		host4: "10.231.7.1", me4: "10.231.7.2", host6: "fd00:7::1", me6: "fd00:7::2"}
	hostIf, peerIf := "wdnh"+id, "wdnp"+id
	command(t, "ip", "netns", "add", p.ns)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// Deleting the namespace deletes the veth pair with it.
		if out, err := exec.CommandContext(ctx, "ip", "netns", "del", p.ns).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", p.ns, err, out)
		}
	})
	command(t, "ip", "link", "add", hostIf, "type", "veth", "peer", "name", peerIf, "netns", p.ns)
	command(t, "ip", "addr", "add", p.host4+"/24", "dev", hostIf)
	command(t, "ip", "addr", "add", p.host6+"/64", "dev", hostIf, "nodad")
	command(t, "ip", "link", "set", hostIf, "up")
	in := []string{"netns", "exec", p.ns, "ip"}
	command(t, "ip", append(in, "addr", "add", p.me4+"/24", "dev", peerIf)...)
	command(t, "ip", append(in, "addr", "add", p.me6+"/64", "dev", peerIf, "nodad")...)
	command(t, "ip", append(in, "link", "set", peerIf, "up")...)
	command(t, "ip", append(in, "link", "set", "lo", "up")...)
	return p
}

// How long a dial waits: short where a ban should make it time out,
// long where it should connect or be refused, which a loaded machine may
// delay (a dial of a fresh veth pair also waits for ARP).
const (
	blockedWait = 400 * time.Millisecond
	openWait    = 5 * time.Second
)

// dial connects from the peer's namespace to addr:port, waiting at most
// wait. The socket is made on a thread moved into the namespace.
func (p peer) dial(addr string, port int, wait time.Duration) error {
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer self.Close()
	target, err := os.Open("/run/netns/" + p.ns)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := setns(target); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter %s: %w", p.ns, err)
	}
	d := net.Dialer{Timeout: wait}
	c, dialErr := d.Dial("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
	if err := setns(self); err != nil {
		// The thread stays in the peer's namespace: leave it locked, so
		// that it ends with this goroutine's caller.
		panic(fmt.Sprintf("return from %s: %v", p.ns, err))
	}
	runtime.UnlockOSThread()
	if dialErr != nil {
		return dialErr
	}
	return c.Close()
}

func setns(f *os.File) error {
	return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
}

// serve accepts and closes connections on a port of every address until
// the test ends.
func serve(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().(*net.TCPAddr).Port
}

func timedOut(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestTraffic checks with real connections between two namespaces that
// bans block the ports they name, lift when deleted, and lift on their
// own when their timeout passes.
func TestTraffic(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // the last cleanup: after the servers'
	for i, v := range variants() {
		t.Run(variantName(v), func(t *testing.T) { testTraffic(t, v, i) })
	}
}

func testTraffic(t *testing.T, v string, n int) {
	p := newPeer(t, n)
	b := newBackend(t, v)
	ctx := testCtx(t)
	banned, other := serve(t), serve(t)
	rule := firewall.Rule{Name: "traffic", Protocols: []string{"tcp"},
		Ports: []firewall.PortRange{{From: uint16(banned), To: uint16(banned)}}}
	if err := b.Setup(ctx, []firewall.Rule{rule}); err != nil {
		t.Fatal(err)
	}
	hosts := []string{p.host4, p.host6}
	for _, h := range hosts {
		if err := p.dial(h, banned, openWait); err != nil {
			t.Fatalf("before any ban: %v", err)
		}
	}

	// The peer's address and its /64 are banned on one port.
	if err := b.Apply(ctx, []firewall.Change{add("traffic", p.me4, 0), add("traffic", "fd00:7::/64", 0)}); err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		if err := p.dial(h, banned, blockedWait); !timedOut(err) {
			t.Errorf("banned, to %s port %d: %v, want a timeout", h, banned, err)
		}
		if err := p.dial(h, other, openWait); err != nil {
			t.Errorf("banned, to %s on the port not banned: %v", h, err)
		}
	}

	if err := b.Apply(ctx, []firewall.Change{del("traffic", p.me4), del("traffic", "fd00:7::/64")}); err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		if err := p.dial(h, banned, openWait); err != nil {
			t.Errorf("after the delete, to %s: %v", h, err)
		}
	}

	// A ban of 2 s lifts on its own.
	start := time.Now()
	if err := b.Apply(ctx, []firewall.Change{
		add("traffic", p.me4, 2*time.Second), add("traffic", "fd00:7::/64", 2*time.Second),
	}); err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		if err := p.dial(h, banned, blockedWait); !timedOut(err) {
			t.Errorf("banned for 2 s, to %s: %v, want a timeout", h, err)
		}
	}
	for _, h := range hosts {
		for {
			err := p.dial(h, banned, blockedWait)
			if err == nil {
				break
			}
			if time.Since(start) > 6*time.Second {
				t.Fatalf("a 2 s ban of %s has not lifted after 6 s: %v", h, err)
			}
		}
	}
	if d := time.Since(start); d < 1500*time.Millisecond {
		t.Errorf("a 2 s ban lifted after %v", d)
	}

	// Reject answers at once with a reset: the connection is refused,
	// not timed out. (Linux's TCP over IPv6 did not fail a connect on
	// an ICMPv6 port unreachable in our tests, hence the reset.)
	rule.Block = firewall.Reject
	rule.Ports = nil
	if err := b.Setup(ctx, []firewall.Rule{rule}); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(ctx, []firewall.Change{add("traffic", p.me4, 0), add("traffic", p.me6, 0)}); err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		for _, port := range []int{banned, other} {
			if err := p.dial(h, port, openWait); !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("rejected, all tcp ports, to %s port %d: %v, want connection refused", h, port, err)
			}
		}
	}
}
