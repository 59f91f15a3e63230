package filter

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/f2btest"
)

// sshdBench loads the stock sshd filter and the package's sshd sample log
// lines.
func sshdBench(b *testing.B) (*Filter, []string) {
	b.Helper()
	root := f2btest.Root(b)
	def, err := config.LoadFilter("sshd", config.FilterOptions{Options: config.Options{Dir: filepath.Join(root, "etc", "fail2ban"), NoBuiltin: true}, Backend: "auto"})
	if err != nil {
		b.Fatal(err)
	}
	fh, err := os.Open(filepath.Join(f2btest.PythonPath(root), "fail2ban", "tests", "files", "logs", "sshd"))
	if err != nil {
		b.Fatal(err)
	}
	defer fh.Close()
	var lines []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if l := sc.Text(); l != "" && l[0] != '#' {
			lines = append(lines, l)
		}
	}
	f, err := New(Options{PrefRegex: def.PrefRegex, FailRegex: def.FailRegex, IgnoreRegex: def.IgnoreRegex,
		MaxLines: def.MaxLines, DatePattern: def.DatePattern, Location: time.UTC, IgnorePending: true})
	if err != nil {
		b.Fatal(err)
	}
	return f, lines
}

// BenchmarkSSHDSample runs the stock sshd filter over the package's sshd
// sample log lines, as warden regex --json does (first matching regex).
func BenchmarkSSHDSample(b *testing.B) {
	f, lines := sshdBench(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.ProcessLine(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSSHDLog runs the stock sshd filter over the log bench/regex.sh
// builds: copies of the sample lines, each copy with other addresses and
// process ids, so that every copy's connections are new ones (the
// <F-MLFID> cache fills and evicts as in a real log).
func BenchmarkSSHDLog(b *testing.B) {
	f, sample := sshdBench(b)
	ip4 := regexp.MustCompile(`\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b`)
	pid := regexp.MustCompile(`\[(\d+)\]`)
	const n = 20000
	lines := make([]string, 0, n)
	for k := 0; len(lines) < n; k++ {
		for _, l := range sample {
			l = ip4.ReplaceAllString(l, fmt.Sprintf("${1}.%d.%d.${4}", (k>>8)&255, k&255))
			l = pid.ReplaceAllStringFunc(l, func(m string) string {
				v, _ := strconv.Atoi(m[1 : len(m)-1])
				return fmt.Sprintf("[%d]", v+100000*(k+1))
			})
			lines = append(lines, l+"\n")
		}
	}
	lines = lines[:n]
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.ProcessLineNL(lines[i%n]); err != nil {
			b.Fatal(err)
		}
	}
}
