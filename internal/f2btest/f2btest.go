// Package f2btest gives tests the reference implementation: the Debian
// fail2ban 1.0.2 package, downloaded with apt-get and unpacked (never
// installed) into a cache shared by all test packages.
package f2btest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Version is the fail2ban release the compatibility tests compare against.
const Version = "1.0.2"

// Require reports a missing prerequisite: a failure when CI=true, a skip
// elsewhere.
func Require(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("prerequisite missing (CI=true): %s", msg)
	}
	t.Skipf("prerequisite missing: %s", msg)
}

// CacheDir is where the package is unpacked: $WARDEN_F2B_CACHE, or the
// user cache directory.
func CacheDir() (string, error) {
	if d := os.Getenv("WARDEN_F2B_CACHE"); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "warden", "fail2ban-"+Version), nil
}

// Root returns the directory holding the unpacked package (etc/fail2ban,
// usr/lib/python3/dist-packages/fail2ban, usr/bin/fail2ban-client ...),
// fetching it on first use.
func Root(t testing.TB) string {
	t.Helper()
	root, err := Fetch()
	if err != nil {
		Require(t, "fail2ban %s package: %v", Version, err)
	}
	return root
}

// Fetch downloads and unpacks the package if the cache lacks it.
// WARDEN_F2B_ROOT names an already unpacked package instead.
func Fetch() (string, error) {
	if root := os.Getenv("WARDEN_F2B_ROOT"); root != "" {
		return root, nil
	}
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	root := filepath.Join(dir, "root")
	marker := filepath.Join(root, "usr", "bin", "fail2ban-client")
	if _, err := os.Stat(marker); err == nil {
		return root, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create cache: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("lock cache: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("lock cache: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // released on close anyway
	if _, err := os.Stat(marker); err == nil {
		return root, nil
	}
	tmp, err := os.MkdirTemp(dir, "fetch-")
	if err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	defer os.RemoveAll(tmp)
	dl := exec.Command("apt-get", "download", "fail2ban")
	dl.Dir = tmp
	if out, err := dl.CombinedOutput(); err != nil {
		return "", fmt.Errorf("apt-get download fail2ban: %w: %s", err, strings.TrimSpace(string(out)))
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "fail2ban_*.deb"))
	if len(debs) != 1 {
		return "", errors.New("apt-get download fail2ban produced no .deb")
	}
	if !strings.Contains(filepath.Base(debs[0]), "_"+Version+"-") {
		return "", fmt.Errorf("apt offers %s, the tests need fail2ban %s", filepath.Base(debs[0]), Version)
	}
	x := filepath.Join(tmp, "root")
	if out, err := exec.Command("dpkg", "-x", debs[0], x).CombinedOutput(); err != nil {
		return "", fmt.Errorf("dpkg -x: %w: %s", err, strings.TrimSpace(string(out)))
	}
	os.RemoveAll(root)
	if err := os.Rename(x, root); err != nil {
		return "", fmt.Errorf("install cache: %w", err)
	}
	return root, nil
}

// RequirePython returns the path of python3, which the reference and the
// regex oracles run on; without it the test fails when CI=true and is
// skipped elsewhere.
func RequirePython(t testing.TB) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		Require(t, "python3: %v", err)
	}
	return py
}

// RunJSON runs cmd with in, encoded as JSON, on its standard input (no
// input when in is nil) and decodes its standard output into out. It fails
// the test, with the command's standard error, when the command fails or
// prints something else than JSON.
func RunJSON(t testing.TB, cmd *exec.Cmd, in, out any) {
	t.Helper()
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdin = bytes.NewReader(b)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: decode output: %v", strings.Join(cmd.Args, " "), err)
	}
}

// PythonPath is the PYTHONPATH that makes the unpacked fail2ban importable.
func PythonPath(root string) string {
	return filepath.Join(root, "usr", "lib", "python3", "dist-packages")
}

// LogsDir is the directory of the package's sample logs, one per filter,
// with their "# failJSON:" expectations.
func LogsDir(root string) string {
	return filepath.Join(PythonPath(root), "fail2ban", "tests", "files", "logs")
}

// SampleLines returns the log lines of the sample log of filter name:
// its lines but the blank ones and the comments ("#...").
func SampleLines(root, name string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(LogsDir(root), name))
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// SSHDLog returns the n-line log bench/regex.sh times, each line ending
// in "\n": copies of the sshd sample's lines, copy k with the middle two
// bytes of every IPv4 address set to k's and every "[pid]" raised by
// 100000*(k+1), so that each copy's connections are new ones.
func SSHDLog(root string, n int) ([]string, error) {
	sample, err := SampleLines(root, "sshd")
	if err != nil {
		return nil, err
	}
	if len(sample) == 0 {
		return nil, errors.New("the sshd sample log has no lines")
	}
	ip4 := regexp.MustCompile(`\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b`)
	pid := regexp.MustCompile(`\[(\d+)\]`)
	lines := make([]string, 0, n)
	for i := 0; i < n; i++ {
		k := i / len(sample)
		l := ip4.ReplaceAllString(sample[i%len(sample)], fmt.Sprintf("${1}.%d.%d.${4}", (k>>8)&255, k&255))
		l = pid.ReplaceAllStringFunc(l, func(m string) string {
			v, _ := strconv.Atoi(m[1 : len(m)-1])
			return fmt.Sprintf("[%d]", v+100000*(k+1))
		})
		lines = append(lines, l+"\n")
	}
	return lines, nil
}

// Script runs the python3 script file path with the package on
// PYTHONPATH.
func Script(root, path string, args ...string) *exec.Cmd {
	c := exec.Command("python3", append([]string{path}, args...)...)
	c.Env = append(os.Environ(), "PYTHONPATH="+PythonPath(root))
	return c
}

// Python runs a python3 script with the package on PYTHONPATH.
func Python(root, script string, args ...string) *exec.Cmd {
	c := exec.Command("python3", append([]string{"-c", script}, args...)...)
	c.Env = append(os.Environ(), "PYTHONPATH="+PythonPath(root))
	return c
}

// CopyTree copies the package's /etc/fail2ban to a fresh directory under
// dst and returns its path.
func CopyTree(t testing.TB, root string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "fail2ban")
	src := filepath.Join(root, "etc", "fail2ban")
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy fail2ban tree: %v", err)
	}
	return dst
}

// commandTimeout bounds each fail2ban-regex and warden regex run.
const commandTimeout = 5 * time.Minute

// Row is one failure fail2ban-regex -o row reports: the address (or
// failure id) and the time, nil for a line without a date.
type Row struct {
	IP   string   `json:"ip"`
	Time *float64 `json:"time"`
}

// rowsScript runs fail2ban-regex with the arguments given and prints each
// failure of its "-o row" output as a JSON line {"ip": ..., "time": ...}.
const rowsScript = `
import ast, json, subprocess, sys
run = subprocess.run([sys.executable] + sys.argv[1:], capture_output=True, text=True)
if run.returncode != 0:
    sys.stderr.write(run.stdout + run.stderr)
    sys.exit(run.returncode)
for line in run.stdout.splitlines():
    line = line.strip()
    if line.startswith("["):
        fid, t, _ = ast.literal_eval(line.rstrip(","))
        print(json.dumps({"ip": None if fid is None else str(fid), "time": t}))
`

// RegexRows runs the real fail2ban-regex (-r: no DNS) on logFile with the
// filter filterArg (a filter file's path, maybe followed by [k=v,...]) in
// UTC and returns its failures in order.
func RegexRows(root, logFile, filterArg string) ([]Row, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, "python3", "-c", rowsScript, filepath.Join(root, "usr", "bin", "fail2ban-regex"), "-r", "-o", "row", logFile, filterArg)
	c.Env = append(os.Environ(), "PYTHONPATH="+PythonPath(root), "TZ=UTC")
	out, err := c.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("fail2ban-regex %s: %w\n%s", filterArg, err, ee.Stderr)
		}
		return nil, fmt.Errorf("fail2ban-regex %s: %w", filterArg, err)
	}
	var rows []Row
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l == "" {
			continue
		}
		var r Row
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			return nil, fmt.Errorf("fail2ban-regex row %q: %w", l, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// FormatRows shows failures one a line, "  ADDRESS TIME" (None: no date).
func FormatRows(rs []Row) string {
	var b strings.Builder
	for _, r := range rs {
		tm := "None"
		if r.Time != nil {
			tm = strconv.FormatFloat(*r.Time, 'f', -1, 64)
		}
		b.WriteString("  " + r.IP + " " + tm + "\n")
	}
	return b.String()
}

// SplitRef splits a filter reference "sshd[mode=aggressive]" into its
// name and its argument list ("[mode=aggressive]", or "").
func SplitRef(ref string) (name, args string) {
	name, args, found := strings.Cut(ref, "[")
	if found {
		args = "[" + args
	}
	return name, args
}

// StockRows runs the real fail2ban-regex on logFile with fail2ban's stock
// filter stockRef ("sshd" or "sshd[mode=aggressive]") in UTC.
func StockRows(t testing.TB, logFile, stockRef string) []Row {
	t.Helper()
	RequirePython(t)
	root := Root(t)
	name, args := SplitRef(stockRef)
	rows, err := RegexRows(root, logFile, filepath.Join(root, "etc", "fail2ban", "filter.d", name+".conf")+args)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// WardenRows runs the warden binary's `regex --json` on logFile with
// Warden's built-in filter ref (no configuration directory of the user's)
// in UTC.
func WardenRows(t testing.TB, bin, logFile, ref string) []Row {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "regex", "--json", "-r", "--config", t.TempDir(), logFile, ref)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("warden regex: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("warden regex: %v", err)
	}
	var rows []Row
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l == "" {
			continue
		}
		var r Row
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("warden regex row %q: %v", l, err)
		}
		rows = append(rows, r)
	}
	return rows
}

// AgreeWithStock fails t unless fail2ban's stock filter stockRef (run by
// the real fail2ban-regex) and Warden's built-in filter ref (run by the
// warden binary bin) find the same failures in logFile (address and time,
// in order), and at least one.
func AgreeWithStock(t testing.TB, bin, logFile, ref, stockRef string) {
	t.Helper()
	want := StockRows(t, logFile, stockRef)
	got := WardenRows(t, bin, logFile, ref)
	if len(want) == 0 {
		t.Errorf("on %s, fail2ban's %s finds no failure: the comparison proves nothing", logFile, stockRef)
	}
	if a, b := FormatRows(want), FormatRows(got); a != b {
		t.Errorf("on %s, fail2ban's %s found:\n%sWarden's %s found:\n%s", logFile, stockRef, a, ref, b)
	}
}

// SampleInfo is the "# sampleInfo: {...}" header of a built-in filter's
// sample log (testdata/samples/NAME): where its lines come from, fail2ban's
// stock filter that must find the same failures in it ("" when fail2ban
// has none), and the clock for the year of dates that have none.
type SampleInfo struct {
	Source string `json:"source"`
	Stock  string `json:"stock"`
	Now    string `json:"now"`
}

// ReadSample reads a built-in filter's sample log: its sampleInfo header
// (ok is false when it has none: a companion file named by a sample's
// "# addFILE:") and its log lines (no comments, no blank lines).
func ReadSample(path string) (info SampleInfo, lines []string, ok bool, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return info, nil, false, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, found := strings.CutPrefix(l, "# sampleInfo:"); found {
			if err := json.Unmarshal([]byte(rest), &info); err != nil {
				return info, nil, false, fmt.Errorf("%s: sampleInfo: %w", path, err)
			}
			ok = true
			continue
		}
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return info, lines, ok, nil
}
