package fwtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// netnsEnv marks the test binary that Main re-ran in a network namespace
// of its own; its value is the parent's namespace (readlink
// /proc/self/ns/net), which the child's must differ from.
const netnsEnv = "WARDEN_TEST_NETNS"

// Main is a kernel test package's TestMain: run as root with unshare(1)
// at hand, it runs the test binary again under "unshare -n" (a fresh
// network namespace, so the tests never touch the host's firewall),
// brings lo up there, and exits with the child's status. Otherwise the
// tests run as they are, and Kernel skips (or fails, when CI=true) the
// tests that need the kernel.
func Main(m *testing.M) {
	if os.Getenv(netnsEnv) == "" && os.Geteuid() == 0 {
		if unshare, err := exec.LookPath("unshare"); err == nil {
			cmd := exec.Command(unshare, append([]string{"-n", "--", os.Args[0]}, os.Args[1:]...)...)
			host, err := os.Readlink("/proc/self/ns/net")
			if err != nil {
				fmt.Fprintf(os.Stderr, "fwtest: %v\n", err)
				os.Exit(2)
			}
			cmd.Env = append(os.Environ(), netnsEnv+"="+host)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
			// unshare execs the tests in its own process: they die with
			// this one.
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			err = cmd.Run()
			var exit *exec.ExitError
			switch {
			case err == nil:
				os.Exit(0)
			case errors.As(err, &exit) && exit.ExitCode() > 0:
				os.Exit(exit.ExitCode())
			}
			fmt.Fprintf(os.Stderr, "fwtest: run the tests under unshare -n: %v\n", err)
			os.Exit(2)
		}
	}
	if os.Getenv(netnsEnv) != "" {
		if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "fwtest: ip link set lo up: %v: %s\n", err, out)
			os.Exit(2)
		}
	}
	os.Exit(m.Run())
}

// Kernel skips the test (fails it when CI=true) unless it runs in a
// network namespace of its own, as Main arranges: never in the host's.
// It also requires the programs named (found in $PATH).
func Kernel(t testing.TB, programs ...string) {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	host := os.Getenv(netnsEnv)
	if host == "" {
		missing("needs root and unshare(1): the kernel tests run in a network namespace of their own")
	}
	if self, err := os.Readlink("/proc/self/ns/net"); err != nil || self == host {
		missing("not in a private network namespace (%s, %v; the parent's %s)", self, err, host)
	}
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			missing("needs %s: %v", p, err)
		}
	}
}
