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
	lines, err := f2btest.SSHDLog(root, 100000)
	if err != nil {
		b.Fatal(err)
	}
	log := filepath.Join(b.TempDir(), "sshd.log")
	if err := os.WriteFile(log, []byte(strings.Join(lines, "")), 0o644); err != nil {
		b.Fatal(err)
	}
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
