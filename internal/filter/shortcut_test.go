package filter

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/f2btest"
)

// describe renders what ProcessLine returned, with every public part of
// the failures, for comparing two filters.
func describe(found []Failure, err error, f *Filter) string {
	var b strings.Builder
	fmt.Fprintf(&b, "err=%v pref=%v ign=%v |", err, f.Last.PrefMatched, f.Last.Ignored)
	for _, m := range found {
		fmt.Fprintf(&b, " {%d %q %v %v %v nofail=%v users=%q matches=%q %v}", m.Regex, m.ID, m.HasID, m.Time, m.NoTime,
			m.NoFail(), m.Users(), m.Matches(), m.AppendPublic(nil))
	}
	return b.String()
}

// shortcutFilters loads the stock filter name of the package at root
// twice, in the given mode; the second filter has the shortcuts under
// test turned off by off.
func shortcutFilters(t testing.TB, root, name, mode string, checkAll bool, off func(*Filter)) (fast, slow *Filter) {
	t.Helper()
	def, err := config.LoadFilter(name, config.FilterOptions{Options: config.Options{Dir: filepath.Join(root, "etc", "fail2ban"), NoBuiltin: true}, Backend: "auto", Args: []config.Arg{{Key: "mode", Value: mode}}})
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return time.Unix(1700000000, 0) }
	mk := func() *Filter {
		f, err := New(Options{PrefRegex: def.PrefRegex, FailRegex: def.FailRegex, IgnoreRegex: def.IgnoreRegex,
			MaxLines: def.MaxLines, DatePattern: def.DatePattern, Location: time.UTC, Now: clock, CheckAllRegex: checkAll})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	fast, slow = mk(), mk()
	off(slow)
	return fast, slow
}

// TestMayStartExact checks the failregexes' first-byte table (mayStart)
// against the test of each failregex's own set it replaces, on the sshd
// sample log and the log bench/regex.sh times, in both modes.
func TestMayStartExact(t *testing.T) {
	root := f2btest.Root(t)
	sample, err := f2btest.SampleLines(root, "sshd")
	if err != nil {
		t.Fatal(err)
	}
	log, err := f2btest.SSHDLog(root, 3000)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"normal", "aggressive"} {
		for _, all := range []bool{false, true} {
			fast, slow := shortcutFilters(t, root, "sshd", mode, all, func(f *Filter) { f.mayStart = nil })
			if fast.mayStart == nil {
				t.Fatal("no mayStart table")
			}
			for i, line := range append(append([]string(nil), sample...), log...) {
				line = strings.TrimSuffix(line, "\n")
				a, errA := fast.ProcessLine(line)
				b, errB := slow.ProcessLine(line)
				if got, want := describe(a, errA, fast), describe(b, errB, slow); got != want {
					t.Fatalf("%s all=%v line %d %q:\n got %s\nwant %s", mode, all, i, line, got, want)
				}
			}
		}
	}
}

// FuzzShortcuts runs arbitrary lines, after a few of the sshd sample's,
// through the stock sshd filter with and without the shortcuts of the
// per-line path (mayStart): the results must be the same.
func FuzzShortcuts(f *testing.F) {
	root := f2btest.Root(f)
	sample, err := f2btest.SampleLines(root, "sshd")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range sample {
		f.Add(s)
	}
	fast, slow := shortcutFilters(f, root, "sshd", "aggressive", false, func(f *Filter) { f.mayStart = nil })
	f.Fuzz(func(t *testing.T, line string) {
		a, errA := fast.ProcessLine(line)
		b, errB := slow.ProcessLine(line)
		if got, want := describe(a, errA, fast), describe(b, errB, slow); got != want {
			t.Fatalf("line %q:\n got %s\nwant %s", line, got, want)
		}
	})
}

// TestMayStartNoPref checks mayStart where it lets findFailure return
// before making the buffer (filters without a prefregex), against the
// test of each failregex's own set, on the sample logs of stock filters
// without one and, with a failregex that matches nothing (bench/regex.sh's
// floor row) and one that matches every line, on the log bench/regex.sh
// times.
func TestMayStartNoPref(t *testing.T) {
	root := f2btest.Root(t)
	log, err := f2btest.SSHDLog(root, 3000)
	if err != nil {
		t.Fatal(err)
	}
	tested := 0
	for _, name := range []string{"apache-auth", "apache-badbots", "nginx-http-auth", "nginx-botsearch", "pam-generic", "recidive",
		"vsftpd", "dovecot", "courier-smtp", "proftpd", "pure-ftpd", "mysqld-auth", "named-refused", "lighttpd-auth"} {
		sample, err := f2btest.SampleLines(root, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, all := range []bool{false, true} {
			fast, slow := shortcutFilters(t, root, name, "normal", all, func(f *Filter) { f.mayStart = nil })
			if fast.mayStart == nil || fast.pref != nil {
				continue
			}
			tested++
			for i, line := range append(append([]string(nil), sample...), log[:300]...) {
				line = strings.TrimSuffix(line, "\n")
				a, errA := fast.ProcessLine(line)
				b, errB := slow.ProcessLine(line)
				if got, want := describe(a, errA, fast), describe(b, errB, slow); got != want {
					t.Fatalf("%s all=%v line %d %q:\n got %s\nwant %s", name, all, i, line, got, want)
				}
			}
		}
	}
	if tested < 8 {
		t.Errorf("%d stock filters without a prefregex tested, want 4", tested/2)
	}
	clock := func() time.Time { return time.Unix(1700000000, 0) }
	for _, fr := range [][]string{{`^warden-bench-no-such-line <HOST>$`}, {` \S+ sshd\[\d+\]: .* from <HOST>`, `^<\d+>1\s+<F-ID>\S+</F-ID>`}} {
		for _, ign := range [][]string{nil, {`Connection closed`}} {
			mk := func() *Filter {
				f, err := New(Options{FailRegex: fr, IgnoreRegex: ign, Location: time.UTC, Now: clock})
				if err != nil {
					t.Fatal(err)
				}
				return f
			}
			fast, slow := mk(), mk()
			slow.mayStart = nil
			found := 0
			for i, line := range log {
				a, errA := fast.ProcessLineNL(line)
				b, errB := slow.ProcessLineNL(line)
				if got, want := describe(a, errA, fast), describe(b, errB, slow); got != want {
					t.Fatalf("%q line %d %q:\n got %s\nwant %s", fr, i, line, got, want)
				}
				found += len(a)
			}
			if (found > 0) != (len(fr) > 1) {
				t.Errorf("%q ignoring %q: %d failures", fr, ign, found)
			}
		}
	}
}
