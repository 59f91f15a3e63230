package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenipd/warden/internal/f2btest"
)

// BenchmarkRegexCommand runs `warden regex --json` in process on the
// 100,000-line log bench/regex.sh builds (f2btest.SSHDLog), with the
// stock sshd filter and with the floor's failregex that matches no line;
// ns/op is one whole run, start-up included (for profiles: bench/regex.sh
// gives the figures).
func BenchmarkRegexCommand(b *testing.B) {
	root := f2btest.Root(b)
	log := sshdLogFile(b, root, 100000)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"sshd", []string{"regex", "--json", "--config", filepath.Join(root, "etc", "fail2ban"), log, "sshd"}},
		{"floor", []string{"regex", "--json", log, "^warden-bench-no-such-line <HOST>$"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if err := run(context.Background(), c.args, strings.NewReader(""), io.Discard, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// sshdLogFile writes the n-line log of f2btest.SSHDLog (bench/regex.sh's)
// to a file of the test's and returns its path.
func sshdLogFile(tb testing.TB, root string, n int) string {
	tb.Helper()
	lines, err := f2btest.SSHDLog(root, n)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "sshd.log")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}
