package nft_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wardenipd/warden/internal/firewall"
	"github.com/wardenipd/warden/internal/firewall/fwtest"
)

// ipRun runs ip(8) with args, for at most 10 s.
func ipRun(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

func ip(t *testing.T, args ...string) {
	t.Helper()
	if err := ipRun(args...); err != nil {
		t.Fatal(err)
	}
}

// ipCleanup runs ip(8) at cleanup.
func ipCleanup(t *testing.T, args ...string) {
	t.Cleanup(func() {
		if err := ipRun(args...); err != nil {
			t.Error(err)
		}
	})
}

// peer makes a network namespace joined to the test's by a veth pair:
// the test's end has 192.0.2.1/24 and 2001:db8:7::1/64, the peer's .2 and
// ::2. It returns the namespace's name; it is deleted at cleanup.
func peer(t *testing.T) string {
	t.Helper()
	fwtest.Kernel(t, "ip")
	ns := fmt.Sprintf("warden-fwt-%d", os.Getpid())
	ip(t, "netns", "add", ns)
	ipCleanup(t, "netns", "del", ns)
	ip(t, "link", "add", "wfw0", "type", "veth", "peer", "name", "wfw1", "netns", ns)
	ipCleanup(t, "link", "del", "wfw0")
	ip(t, "addr", "add", "192.0.2.1/24", "dev", "wfw0")
	ip(t, "addr", "add", "2001:db8:7::1/64", "dev", "wfw0", "nodad")
	ip(t, "link", "set", "wfw0", "up")
	ip(t, "-n", ns, "addr", "add", "192.0.2.2/24", "dev", "wfw1")
	ip(t, "-n", ns, "addr", "add", "2001:db8:7::2/64", "dev", "wfw1", "nodad")
	ip(t, "-n", ns, "link", "set", "wfw1", "up")
	ip(t, "-n", ns, "link", "set", "lo", "up")
	return ns
}

// serve accepts TCP connections on port of every address, closing them
// at once, until cleanup.
func serve(t *testing.T, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", fmt.Sprintf("[::]:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
}

// dialFrom connects to addr from network namespace ns: the socket is
// made on an OS thread moved into ns, which is then thrown away (the
// goroutine ends locked to it).
func dialFrom(ns, addr string, timeout time.Duration) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		f, err := os.Open("/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		c, err := net.DialTimeout("tcp", addr, timeout)
		if err == nil {
			c.Close()
		}
		errc <- err
	}()
	return <-errc
}

const dialTimeout = 300 * time.Millisecond

func wantOpen(t *testing.T, ns, addr string) {
	t.Helper()
	if err := dialFrom(ns, addr, 2*time.Second); err != nil {
		t.Errorf("connect to %s: %v, want it to connect", addr, err)
	}
}

func wantDropped(t *testing.T, ns, addr string) {
	t.Helper()
	err := dialFrom(ns, addr, dialTimeout)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("connect to %s: %v, want a timeout", addr, err)
	}
}

func wantRefused(t *testing.T, ns, addr string) {
	t.Helper()
	if err := dialFrom(ns, addr, 2*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("connect to %s: %v, want it refused", addr, err)
	}
}

// TestTraffic bans the peer namespace's addresses and subnets and checks
// what its connections to the test's namespace do.
func TestTraffic(t *testing.T) {
	b := newBackend(t)
	ns := peer(t)
	serve(t, 8022)
	serve(t, 8023)
	ctx := context.Background()
	rule := firewall.Rule{Name: "sshd", Protocols: []string{"tcp"}, Ports: []firewall.PortRange{{From: 8022, To: 8022}}, Block: firewall.Drop}
	if err := b.Setup(ctx, []firewall.Rule{rule}); err != nil {
		t.Fatal(err)
	}
	apply := func(del bool, prefix string, timeout time.Duration) {
		t.Helper()
		c := firewall.Change{Rule: "sshd", Delete: del, Entry: firewall.Entry{Prefix: netip.MustParsePrefix(prefix), Timeout: timeout}}
		if err := b.Apply(ctx, []firewall.Change{c}); err != nil {
			t.Fatal(err)
		}
	}
	const v4, v4other, v6, v6other = "192.0.2.1:8022", "192.0.2.1:8023", "[2001:db8:7::1]:8022", "[2001:db8:7::1]:8023"
	wantOpen(t, ns, v4)
	wantOpen(t, ns, v6)

	apply(false, "192.0.2.2/32", 0)
	wantDropped(t, ns, v4)
	wantOpen(t, ns, v4other) // another port
	wantOpen(t, ns, v6)      // the peer's other address
	apply(true, "192.0.2.2/32", 0)
	wantOpen(t, ns, v4)

	apply(false, "192.0.2.0/24", time.Hour)
	wantDropped(t, ns, v4)
	apply(true, "192.0.2.0/24", 0)

	apply(false, "2001:db8:7::2/128", time.Hour)
	wantDropped(t, ns, v6)
	wantOpen(t, ns, v6other)
	wantOpen(t, ns, v4)
	apply(true, "2001:db8:7::2/128", 0)
	wantOpen(t, ns, v6)

	apply(false, "2001:db8:7::/64", 0)
	wantDropped(t, ns, v6)
	wantOpen(t, ns, v6other)
	apply(true, "2001:db8:7::/64", 0)
	wantOpen(t, ns, v6)

	// Reject: the connection is refused (a TCP reset) at once.
	rule.Block = firewall.Reject
	if err := b.Setup(ctx, []firewall.Rule{rule}); err != nil {
		t.Fatal(err)
	}
	apply(false, "192.0.2.2/32", 0)
	apply(false, "2001:db8:7::2/128", 0)
	wantRefused(t, ns, v4)
	wantRefused(t, ns, v6)
	apply(true, "192.0.2.2/32", 0)
	apply(true, "2001:db8:7::2/128", 0)

	// A ban with a timeout lifts on its own, with no call.
	start := time.Now()
	apply(false, "192.0.2.2/32", 2*time.Second)
	apply(false, "2001:db8:7::/64", 2*time.Second)
	wantRefused(t, ns, v4)
	wantRefused(t, ns, v6)
	deadline := start.Add(6 * time.Second)
	for dialFrom(ns, v4, time.Second) != nil || dialFrom(ns, v6, time.Second) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the 2 s bans did not lift within 6 s")
		}
		time.Sleep(100 * time.Millisecond) // polling the kernel's clock, not a test's
	}
	if d := time.Since(start); d < 1500*time.Millisecond {
		t.Errorf("the 2 s bans lifted after %v", d)
	}
}
