package datedetect

import (
	"os"
	"testing"

	"github.com/wardenipd/warden/internal/f2btest"
)

// f2bRootIfAvailable is fail2banRoot for tests that also run without the
// reference: ok is false (and the test goes on) when it is missing,
// except under CI=true, where that is a failure.
func f2bRootIfAvailable(t testing.TB) (string, bool) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		return f2btest.Root(t), true
	}
	root, err := f2btest.Fetch()
	if err != nil {
		t.Logf("fail2ban reference unavailable, sample logs not used: %v", err)
		return "", false
	}
	return root, true
}
