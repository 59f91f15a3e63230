package filter

import (
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/f2btest"
)

// sshdFilter loads the stock sshd filter of the package at root.
func sshdFilter(b testing.TB, root string) *Filter {
	return sshdFilterOpt(b, root, Options{})
}

// sshdFilterOpt is sshdFilter with the options of opt that the filter
// definition leaves (ReusedLines, TransientFailures...).
func sshdFilterOpt(b testing.TB, root string, opt Options) *Filter {
	b.Helper()
	def, err := config.LoadFilter("sshd", config.FilterOptions{Options: config.Options{Dir: filepath.Join(root, "etc", "fail2ban"), NoBuiltin: true}, Backend: "auto"})
	if err != nil {
		b.Fatal(err)
	}
	opt.PrefRegex, opt.FailRegex, opt.IgnoreRegex = def.PrefRegex, def.FailRegex, def.IgnoreRegex
	opt.MaxLines, opt.DatePattern, opt.Location, opt.IgnorePending = def.MaxLines, def.DatePattern, time.UTC, true
	f, err := New(opt)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// BenchmarkSSHDSample runs the stock sshd filter over the package's sshd
// sample log lines, as warden regex --json does (first matching regex).
func BenchmarkSSHDSample(b *testing.B) {
	root := f2btest.Root(b)
	f := sshdFilter(b, root)
	lines, err := f2btest.SampleLines(root, "sshd")
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

// BenchmarkSSHDLog runs the stock sshd filter over the first 20,000 lines
// of the log bench/regex.sh times (f2btest.SSHDLog): every copy of the
// sample brings new connections, so the <F-MLFID> cache fills and evicts
// as in a real log.
func BenchmarkSSHDLog(b *testing.B) {
	root := f2btest.Root(b)
	f := sshdFilter(b, root)
	lines, err := f2btest.SSHDLog(root, 20000)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.ProcessLineNL(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSSHDLogTransient is BenchmarkSSHDLog with the options warden
// regex sets: the lines are views of a buffer overwritten after each
// call (ReusedLines), and the failures are done with at the next call
// (TransientFailures), so that the filter reuses what its connections
// cache drops.
func BenchmarkSSHDLogTransient(b *testing.B) {
	root := f2btest.Root(b)
	f := sshdFilterOpt(b, root, Options{ReusedLines: true, TransientFailures: true})
	lines, err := f2btest.SSHDLog(root, 20000)
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = append(buf[:0], lines[i%len(lines)]...)
		if _, err := f.ProcessLineNL(unsafe.String(&buf[0], len(buf))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloor is the floor row of bench/regex.sh inside Go: the log
// BenchmarkSSHDLog reads, with a failregex that matches no line, so that
// what is measured is what every line costs before any filter work
// (dating it, rejecting the failregex by its first byte).
func BenchmarkFloor(b *testing.B) { benchFloor(b, nil) }

// BenchmarkFloorClock is BenchmarkFloor with the clock warden regex gives
// the filter (one reading every 64 lines), so that ns/op is the floor
// row's steady per-line cost without time.Now's.
func BenchmarkFloorClock(b *testing.B) {
	var (
		t    time.Time
		left int
	)
	benchFloor(b, func() time.Time {
		if left <= 0 {
			t, left = time.Now(), 64
		}
		left--
		return t
	})
}

// benchFloor runs the floor's failregex over the log of BenchmarkSSHDLog,
// with the clock now (nil: time.Now).
func benchFloor(b *testing.B, now func() time.Time) {
	root := f2btest.Root(b)
	lines, err := f2btest.SSHDLog(root, 20000)
	if err != nil {
		b.Fatal(err)
	}
	f, err := New(Options{FailRegex: []string{`^warden-bench-no-such-line <HOST>$`}, Location: time.UTC, IgnorePending: true, Now: now})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if found, err := f.ProcessLineNL(lines[i%len(lines)]); err != nil || len(found) > 0 {
			b.Fatal(found, err)
		}
	}
}
