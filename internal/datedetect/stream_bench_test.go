package datedetect

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/f2btest"
)

// sshdSampleLines returns the lines of fail2ban's sshd sample log without
// its comment lines. Without the package the test is skipped, or fails
// under CI=true (fail2banRoot).
func sshdSampleLines(tb testing.TB) []string {
	tb.Helper()
	path := filepath.Join(f2btest.PythonPath(f2btest.Root(tb)), "fail2ban", "tests", "files", "logs", "sshd")
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("sshd sample log: %v", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	for sc.Scan() {
		if l := sc.Text(); !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return lines
}

// BenchmarkStream feeds the sshd sample log repeatedly to one Detector
// with the default templates; ns/op is per line.
func BenchmarkStream(b *testing.B) {
	lines := sshdSampleLines(b)
	d, err := New(Options{Location: time.UTC, Now: fixedNow, Startup: testStartup})
	if err != nil {
		b.Fatal(err)
	}
	now := fixedNow()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.DetectAt(lines[i%len(lines)], now)
	}
}

// BenchmarkNew measures building a Detector with the default templates.
func BenchmarkNew(b *testing.B) {
	b.Run("default", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := New(Options{Location: time.UTC, Now: fixedNow, Startup: testStartup}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lnbeg", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := New(Options{DatePattern: "{^LN-BEG}", Location: time.UTC, Now: fixedNow, Startup: testStartup}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStreamLog feeds the first 1,000 lines of the log
// bench/regex.sh times (f2btest.SSHDLog) repeatedly to one Detector with
// the default templates, the time now moving on every 64 lines as warden
// regex's clock does; ns/op is per line. Most lines take the lane.
func BenchmarkStreamLog(b *testing.B) {
	lines, err := f2btest.SSHDLog(f2btest.Root(b), 1000)
	if err != nil {
		b.Fatal(err)
	}
	d, now := warmDetector(b, lines)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i&63 == 0 {
			now = now.Add(time.Millisecond)
		}
		d.DetectAt(lines[i%len(lines)], now)
	}
}

// warmDetector returns a Detector with the default templates that has
// seen lines once, and the time now it saw them at.
func warmDetector(b *testing.B, lines []string) (*Detector, time.Time) {
	b.Helper()
	d, err := New(Options{Location: time.UTC, Now: fixedNow, Startup: testStartup})
	if err != nil {
		b.Fatal(err)
	}
	now := fixedNow()
	for _, l := range lines {
		d.DetectAt(l, now)
	}
	return d, now
}
