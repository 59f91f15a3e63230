package datedetect

import (
	"os"
	"os/exec"
	"testing"

	"github.com/wardenipd/warden/internal/f2btest"
)

// fail2banRoot returns the root of the unpacked fail2ban package.
func fail2banRoot(t testing.TB) string {
	t.Helper()
	return f2btest.Root(t)
}

// f2bRootIfAvailable is fail2banRoot for tests that also run without the
// reference: ok is false (and the test goes on) when it is missing,
// except under CI=true, where that is a failure.
func f2bRootIfAvailable(t testing.TB) (string, bool) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		return fail2banRoot(t), true
	}
	root, err := f2btest.Fetch()
	if err != nil {
		t.Logf("fail2ban reference unavailable, sample logs not used: %v", err)
		return "", false
	}
	return root, true
}

// python3 returns the interpreter path or fails/skips the test.
func python3(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		f2btest.Require(t, "python3: %v", err)
	}
	return p
}
