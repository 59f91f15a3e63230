package ipt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// netnsEnv is set in the child that TestMain runs under `unshare -n`: its
// tests may change the firewall, which is then the namespace's own.
const netnsEnv = "WARDEN_TEST_NETNS"

// TestMain runs the tests again in a fresh network namespace when it can
// (root and a working `unshare -n`); the kernel tests run only there.
func TestMain(m *testing.M) {
	if os.Getenv(netnsEnv) == "" && os.Geteuid() == 0 {
		if code, ok := inNetns(); ok {
			os.Exit(code)
		}
	}
	if os.Getenv(netnsEnv) == "1" {
		if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "ip link set lo up: %v: %s\n", err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines leaked: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// inNetns runs this test binary under `unshare -n` and returns its exit
// code; ok is false when unshare cannot make a namespace here.
func inNetns() (code int, ok bool) {
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := exec.CommandContext(ctx, unshare, "-n", "true").Run(); err != nil {
		return 0, false
	}
	self, err := os.Executable()
	if err != nil {
		return 0, false
	}
	cmd := exec.Command(unshare, append([]string{"-n", "--", self}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), true
		}
		fmt.Fprintf(os.Stderr, "run tests under unshare -n: %v\n", err)
		return 1, true
	}
	return 0, true
}

// missing fails the test on CI (where every prerequisite must be there)
// and skips it elsewhere.
func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("prerequisite missing: %s", what)
	}
	t.Skipf("prerequisite missing: %s", what)
}

// needKernel lets a test change the firewall only inside the fresh
// network namespace.
func needKernel(t testing.TB) {
	t.Helper()
	if os.Getenv(netnsEnv) != "1" {
		missing(t, "root and `unshare -n` (kernel tests run in a fresh network namespace)")
	}
}

// variants are the iptables binaries the kernel tests run: the host's
// default and, explicitly, the legacy one.
var variants = []string{"", "legacy"}

func variantName(v string) string {
	if v == "" {
		return "default"
	}
	return v
}

// newBackend returns a Backend of variant v that is torn down when the
// test ends.
func newBackend(t testing.TB, v string) *Backend {
	t.Helper()
	needKernel(t)
	b, err := New(Options{Variant: v})
	if err != nil {
		missing(t, err.Error())
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
