package filter

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/f2btest"
)

// BenchmarkSSHDSample runs the stock sshd filter over the package's sshd
// sample log lines, as warden regex --json does (first matching regex).
func BenchmarkSSHDSample(b *testing.B) {
	root, err := f2btest.Fetch()
	if err != nil {
		b.Skip(err)
	}
	def, err := config.LoadFilter("sshd", config.FilterOptions{Options: config.Options{Dir: filepath.Join(root, "etc", "fail2ban"), NoBuiltin: true}, Backend: "auto"})
	if err != nil {
		b.Fatal(err)
	}
	fh, err := os.Open(filepath.Join(f2btest.PythonPath(root), "fail2ban", "tests", "files", "logs", "sshd"))
	if err != nil {
		b.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if l := sc.Text(); l != "" && l[0] != '#' {
			lines = append(lines, l)
		}
	}
	fh.Close()
	f, err := New(Options{PrefRegex: def.PrefRegex, FailRegex: def.FailRegex, IgnoreRegex: def.IgnoreRegex,
		MaxLines: def.MaxLines, DatePattern: def.DatePattern, Location: time.UTC, IgnorePending: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.ProcessLine(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
	}
}
