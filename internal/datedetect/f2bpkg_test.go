package datedetect

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The reference implementation is fail2ban 1.0.2 as packaged by Debian.
// Tests fetch it with apt-get download and unpack it with dpkg -x into a
// cache directory; nothing of it is kept in the repository.
const (
	f2bVersion  = "1.0.2"
	f2bCacheDir = "warden-f2b-" + f2bVersion
	f2bPyPath   = "usr/lib/python3/dist-packages"
)

var (
	f2bOnce sync.Once
	f2bRoot string
	f2bErr  string
)

// requireOrSkip fails the test when running in CI (CI=true), where the
// reference must be available, and skips it elsewhere.
func requireOrSkip(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// fail2banRoot returns the root of the unpacked fail2ban package
// (containing etc/fail2ban and usr/lib/python3/dist-packages/fail2ban).
// WARDEN_F2B_ROOT overrides the location.
func fail2banRoot(t testing.TB) string {
	t.Helper()
	f2bOnce.Do(func() { f2bRoot, f2bErr = fetchFail2ban() })
	if f2bErr != "" {
		requireOrSkip(t, "fail2ban %s reference unavailable: %s", f2bVersion, f2bErr)
	}
	return f2bRoot
}

func fetchFail2ban() (string, string) {
	if root := os.Getenv("WARDEN_F2B_ROOT"); root != "" {
		if msg := checkFail2banRoot(root); msg != "" {
			return "", msg
		}
		return root, ""
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, f2bCacheDir)
	root := filepath.Join(dir, "root")
	if checkFail2banRoot(root) == "" {
		return root, ""
	}
	for _, tool := range []string{"apt-get", "dpkg"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", tool + " not found"
		}
	}
	dl := filepath.Join(dir, "download")
	if err := os.MkdirAll(dl, 0o755); err != nil {
		return "", err.Error()
	}
	var out []byte
	for _, pkg := range []string{"fail2ban=" + f2bVersion + "-2", "fail2ban"} {
		cmd := exec.Command("apt-get", "download", pkg)
		cmd.Dir = dl
		out, err = cmd.CombinedOutput()
		if err == nil {
			break
		}
	}
	if err != nil {
		return "", "apt-get download fail2ban: " + strings.TrimSpace(string(out))
	}
	debs, _ := filepath.Glob(filepath.Join(dl, "fail2ban_*.deb"))
	if len(debs) == 0 {
		return "", "apt-get download produced no .deb"
	}
	tmp := root + ".tmp"
	os.RemoveAll(tmp)
	if out, err := exec.Command("dpkg", "-x", debs[0], tmp).CombinedOutput(); err != nil {
		return "", "dpkg -x: " + strings.TrimSpace(string(out))
	}
	if msg := checkFail2banRoot(tmp); msg != "" {
		return "", msg
	}
	os.RemoveAll(root)
	if err := os.Rename(tmp, root); err != nil {
		return "", err.Error()
	}
	return root, ""
}

// checkFail2banRoot returns "" if root holds fail2ban of the expected
// version.
func checkFail2banRoot(root string) string {
	b, err := os.ReadFile(filepath.Join(root, f2bPyPath, "fail2ban", "version.py"))
	if err != nil {
		return "no fail2ban package under " + root
	}
	if !bytes.Contains(b, []byte(`version = "`+f2bVersion+`"`)) {
		return "fail2ban under " + root + " is not version " + f2bVersion
	}
	return ""
}

// python3 returns the interpreter path or fails/skips the test.
func python3(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		requireOrSkip(t, "python3 not found: %v", err)
	}
	return p
}
