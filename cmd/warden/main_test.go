package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/wardenipd/warden/internal/f2btest"
)

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	code = exitCode(err, &errb)
	return out.String(), errb.String(), code
}

// TestSeedConfig is the canonical user story: a Proxmox filter and jail,
// alone in a directory, load on Warden's built-in defaults (whose sshd
// jail is on; the directory's proxmox.conf replaces the built-in filter).
func TestSeedConfig(t *testing.T) {
	out, errs, code := runCLI(t, "config", "check", "--config", "testdata/seed")
	if code != 0 {
		t.Fatalf("config check exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if !strings.Contains(out, "2 jail(s) enabled: proxmox, sshd") {
		t.Errorf("check output: %q", out)
	}
	out, errs, code = runCLI(t, "config", "dump", "--config", "testdata/seed", "--json", "--jail", "proxmox")
	if code != 0 {
		t.Fatalf("config dump exit %d: %s", code, errs)
	}
	var d struct {
		Jails []struct {
			Name      string   `json:"name"`
			Filter    string   `json:"filter"`
			FailRegex []string `json:"failregex"`
			LogPath   []string `json:"logpath"`
			MaxRetry  int      `json:"maxretry"`
			BanTime   float64  `json:"bantime"`
			FindTime  float64  `json:"findtime"`
			Port      string   `json:"port"`
			Actions   []struct {
				Name   string         `json:"name"`
				Native string         `json:"native"`
				Params map[string]any `json:"params"`
			} `json:"actions"`
		} `json:"jails"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("dump is not JSON: %v\n%s", err, out)
	}
	if len(d.Jails) != 1 {
		t.Fatalf("jails: %+v", d.Jails)
	}
	j := d.Jails[0]
	if j.Name != "proxmox" || j.MaxRetry != 3 || j.BanTime != 3600 || j.FindTime != 600 || j.Port != "https,http,8006" {
		t.Errorf("jail = %+v", j)
	}
	if len(j.FailRegex) != 1 || j.FailRegex[0] != `pvedaemon\[.*authentication failure; rhost=<HOST> user=.* msg=.*` {
		t.Errorf("failregex = %q", j.FailRegex)
	}
	if len(j.Actions) != 2 {
		t.Fatalf("actions = %+v", j.Actions)
	}
	fw, ab := j.Actions[0], j.Actions[1]
	if fw.Native != "nftables" || fw.Params["port"] != "https,http,8006" || fw.Params["name"] != "proxmox" {
		t.Errorf("firewall action = %+v", fw)
	}
	if ab.Name != "abuseipdb" || ab.Native != "abuseipdb" || ab.Params["abuseipdb_category"] != "18,21" || ab.Params["abuseipdb_apikey"] != "[hidden]" {
		t.Errorf("abuseipdb action = %+v", ab)
	}
	if strings.Contains(out, "VOTRE_API_ABUSEIPDB") {
		t.Error("config dump shows the AbuseIPDB key")
	}
}

func TestConfigCheckReportsProblems(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jail.local"), []byte("[web]\nenabled = true\nfilter = missing\nbantime = 1 fortnight\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, "config", "check", "--config", dir)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d; stdout %q", code, exitFailure, out)
	}
	want := filepath.Join(dir, "jail.local") + `:3: jail [web]: filter "missing" not found`
	if !strings.Contains(errs, want) {
		t.Errorf("stderr %q does not contain %q", errs, want)
	}
	if strings.Contains(errs, "goroutine") || strings.Contains(errs, "panic") {
		t.Errorf("stack trace in output: %s", errs)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"config"}, {"config", "check", "--nope"}, {"config", "check", "extra"}} {
		if _, _, code := runCLI(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
	if _, _, code := runCLI(t, "config", "check", "--config", "/nonexistent/warden"); code != exitFailure {
		t.Errorf("missing --config dir: exit %d, want %d", code, exitFailure)
	}
}

// TestBuiltinDefaultsAlone is the quick start: no configuration directory.
func TestBuiltinDefaultsAlone(t *testing.T) {
	empty := t.TempDir()
	out, errs, code := runCLI(t, "config", "check", "--config", empty)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "configuration OK") {
		t.Errorf("stdout %q", out)
	}
}

// TestFail2banTreeUnchanged points --config at the Debian fail2ban tree.
func TestFail2banTreeUnchanged(t *testing.T) {
	root := f2btest.Root(t)
	dir := f2btest.CopyTree(t, root)
	out, errs, code := runCLI(t, "config", "check", "--config", dir)
	if code != 0 || !strings.Contains(out, "1 jail(s) enabled: sshd") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

// TestConfigCheckBadRegex: a failregex that does not compile is reported
// at the line of the filter file that holds it.
func TestConfigCheckBadRegex(t *testing.T) {
	dir := t.TempDir()
	must := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must(filepath.Join(dir, "filter.d", "bad.conf"), "[Definition]\n\nfailregex = ^ok from <HOST>$\n            ^broken (unclosed from <HOST>\n")
	must(filepath.Join(dir, "jail.local"), "[bad]\nenabled = true\nlogpath = /dev/null\n")
	_, errs, code := runCLI(t, "config", "check", "--config", dir)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d", code, exitFailure)
	}
	want := filepath.Join(dir, "filter.d", "bad.conf") + ":3: jail [bad]: failregex 2:"
	if !strings.Contains(errs, want) || !strings.Contains(errs, "missing )") {
		t.Errorf("stderr %q does not contain %q and the reason", errs, want)
	}
}

// TestRegexArguments covers the forms of LOG and FILTER: a log line, a
// filter file by path (with and without .conf), a filter name of the
// configuration with options, and a literal failregex with an ignoreregex.
func TestRegexArguments(t *testing.T) {
	line := "Jan 23 21:59:59 pve pvedaemon[1]: authentication failure; rhost=192.0.2.7 user=root@pam msg=x"
	seed, _ := filepath.Abs("testdata/seed")
	for _, args := range [][]string{
		{"--config", seed, line, "proxmox"},
		{line, filepath.Join(seed, "filter.d", "proxmox.conf")},
		{line, filepath.Join(seed, "filter.d", "proxmox")},
		{"--config", seed, line, "proxmox[unused=1]"},
		{line, `rhost=<HOST> user=\S+`, `user=nobody`},
	} {
		out, errs, code := runCLI(t, append([]string{"regex", "--json"}, args...)...)
		if code != 0 || !strings.Contains(out, `"ip":"192.0.2.7"`) {
			t.Errorf("regex %q: exit %d\nstdout %s\nstderr %s", args, code, out, errs)
		}
	}
	out, _, code := runCLI(t, "regex", "--json", line, `rhost=<HOST> user=\S+`, `user=root@pam`)
	if code != 0 || strings.TrimSpace(out) != "" {
		t.Errorf("an ignoreregex that matches must drop the failure: exit %d, %q", code, out)
	}
}

// TestRegexJSONFieldNames checks that --json writes every group's name as
// it is (emit does not escape names: pyre takes only identifiers), with
// names that are Unicode letters, digits and underscores, and that a name
// a JSON string could not hold as it is never gets that far.
func TestRegexJSONFieldNames(t *testing.T) {
	line := `Jan 23 21:59:59 pve sshd[1]: login "x\y" failed from 192.0.2.7`
	out, errs, code := runCLI(t, "regex", "--json", line, `login (?P<usuário_1>\S+) (?P<ñ>failed) from <HOST>`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Fields map[string]string `json:"fields"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if got.Fields["usuário_1"] != `"x\y"` || got.Fields["ñ"] != "failed" {
		t.Errorf("fields %q, want usuário_1 and ñ", got.Fields)
	}
	for _, bad := range []string{`(?P<a"b>x)`, `(?P<a\\b>x)`, "(?P<a\tb>x)"} {
		if _, errs, code := runCLI(t, "regex", "--json", line, bad+" <HOST>"); code == 0 {
			t.Errorf("group name %q accepted: %s", bad, errs)
		}
	}
}

// TestWriteErrors: every command that writes to standard output reports a
// failed write and exits 1, on a full device and on a writer that fails
// after some output (the regex output is buffered: the error surfaces at
// the final flush).
func TestWriteErrors(t *testing.T) {
	seed, _ := filepath.Abs("testdata/seed")
	line := "Jan 23 21:59:59 pve pvedaemon[1]: authentication failure; rhost=192.0.2.7 user=root@pam msg=x"
	for _, args := range [][]string{
		{"version"},
		{"--help"},
		{"regex", "--help"},
		{"completion", "bash"},
		{"config", "check", "--config", seed},
		{"config", "check", "--config", seed, "--json"},
		{"config", "dump", "--config", seed},
		{"regex", "--config", seed, line, "proxmox"},
		{"regex", "--json", "--config", seed, line, "proxmox"},
	} {
		full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
		if err != nil {
			t.Fatalf("open /dev/full: %v", err)
		}
		var errb bytes.Buffer
		code := exitCode(run(context.Background(), args, strings.NewReader(""), full, &errb), &errb)
		full.Close()
		if code != exitFailure || !strings.Contains(errb.String(), "no space left on device") {
			t.Errorf("%q > /dev/full: exit %d, stderr %q; want exit 1 and the write error", args, code, errb.String())
		}
		errb.Reset()
		code = exitCode(run(context.Background(), args, strings.NewReader(""), &failingWriter{after: 10}, &errb), &errb)
		if code != exitFailure || !strings.Contains(errb.String(), "write output: broken") {
			t.Errorf("%q to a writer that fails: exit %d, stderr %q", args, code, errb.String())
		}
	}
}

// failingWriter accepts after bytes, then fails.
type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= w.after {
		w.after -= len(p)
		return len(p), nil
	}
	n := w.after
	w.after = 0
	return n, errors.New("broken")
}

// TestVersionRevision: a binary built from this checkout with VCS stamping
// names the checkout's revision.
func TestVersionRevision(t *testing.T) {
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD (the tests run in a git checkout): %v", err)
	}
	bin := filepath.Join(t.TempDir(), "warden")
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("warden version: %v", err)
	}
	want := "(revision " + string(head[:12])
	if !strings.HasPrefix(string(out), "warden ") || !strings.Contains(string(out), want) {
		t.Errorf("warden version = %q, want it to contain %q", out, want)
	}
}

// TestRegexLongAndHostileLines: a 3 MB line is matched by a trivial
// failregex (the step budget grows with the line); a hostile line against
// a backtracking-prone regex is skipped, counted under Lines: and named
// with its line number and regex, or warned about on stderr with --json.
func TestRegexLongAndHostileLines(t *testing.T) {
	log := filepath.Join(t.TempDir(), "long.log")
	text := "Jan  1 00:00:00 host sshd[1]: " + strings.Repeat("x", 3<<20) + " Failed from 192.0.2.1\n" +
		"# a comment\n" +
		strings.Repeat("a", 60000) + "\n" +
		"b192.0.2.9\n"
	if err := os.WriteFile(log, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, "regex", "--json", log, "Failed from <HOST>")
	if code != 0 || !strings.Contains(out, `"ip":"192.0.2.1"`) {
		t.Errorf("3 MB line: exit %d, stderr %q, want its failure", code, errs)
	}
	const hostile = "^(a|aa)*b<HOST>"
	out, errs, code = runCLI(t, "regex", log, hostile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"\nLines: 3 lines, 0 ignored, 1 matched, 1 missed, 1 skipped\n",
		"|  line 3: failregex 1 ran out of steps (budget ",
		"): " + hostile + ": aaaa",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	out, errs, code = runCLI(t, "regex", "--json", log, hostile)
	if code != 0 || !strings.Contains(out, `"ip":"192.0.2.9"`) || !strings.Contains(errs, "warning: line 3 skipped: failregex 1 ran out of steps") {
		t.Errorf("--json: exit %d\nstdout %q\nstderr %q", code, out, errs)
	}
}

// TestRegexRootAsWholeTree checks that command lines of the regex command
// run the same in newRegexRoot's tree, which runWith builds for them, as
// in the whole tree: output, errors and exit status, usage errors and
// help included.
func TestRegexRootAsWholeTree(t *testing.T) {
	line := "Jan 23 21:59:59 pve pvedaemon[1]: authentication failure; rhost=192.0.2.7 user=root@pam msg=x"
	seed, _ := filepath.Abs("testdata/seed")
	exec := func(build func(settings, io.Reader, io.Writer, io.Writer) *cobra.Command, args []string) string {
		var out, errb bytes.Buffer
		root := build(defaultSettings(), strings.NewReader(""), &out, &errb)
		root.SetArgs(args)
		code := exitCode(root.ExecuteContext(context.Background()), &errb)
		return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	for _, args := range [][]string{
		{"regex"},
		{"regex", "--help"},
		{"regex", "-h"},
		{"regex", "--version"},
		{"regex", "--bogus", line, "sshd"},
		{"regex", line},
		{"regex", "a", "b", "c", "d"},
		{"regex", "--json", "--config", seed, line, "proxmox"},
		{"regex", "--config", seed, line, "proxmox"},
		{"regex", "--config", seed, line, "no-such-filter"},
		{"regex", "--json", line, `rhost=<HOST> user=\S+`, `user=nobody`},
		{"regex", "--datepattern", "%Q", line, `rhost=<HOST>`},
		{"regex", "help"},
	} {
		whole, cut := exec(newRootCmd, args), exec(newRegexRoot, args)
		if whole != cut {
			t.Errorf("%q:\nwhole tree: %s\nregex tree: %s", args, whole, cut)
		}
	}
}
