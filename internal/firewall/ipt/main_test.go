package ipt

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/firewall/fwtest"
)

// TestMain runs the tests again in a fresh network namespace when it can
// (root and unshare(1)); the kernel tests run only there.
func TestMain(m *testing.M) { fwtest.Main(m) }

// variants returns the iptables binaries the kernel tests run: the host's
// default and, explicitly, the legacy one.
func variants() []string { return []string{"", "legacy"} }

func variantName(v string) string {
	if v == "" {
		return "default"
	}
	return v
}

// needKernel lets a test change the firewall only inside the fresh
// network namespace, with variant v's binaries at hand (it skips, or
// fails when CI=true, otherwise).
func needKernel(t testing.TB, v string) {
	t.Helper()
	suffix := ""
	if v != "" {
		suffix = "-" + v
	}
	fwtest.Kernel(t, "ip", "ipset", "iptables"+suffix, "ip6tables"+suffix,
		"iptables"+suffix+"-restore", "ip6tables"+suffix+"-restore")
}

// newBackend returns a Backend of variant v that is torn down when the
// test ends.
func newBackend(t testing.TB, v string) *Backend {
	t.Helper()
	needKernel(t, v)
	b, err := New(Options{Variant: v})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := b.Teardown(ctx); err != nil {
			t.Errorf("teardown: %v", err)
		}
	})
	return b
}

// command runs a binary for a test's independent view of the kernel.
func command(t testing.TB, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
