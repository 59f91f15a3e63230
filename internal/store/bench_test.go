package store_test

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/store"
)

// attack is n bans of distinct addresses in one jail, each with five
// matched sshd lines, as an attack of n addresses leaves them.
func attack(n int) []store.Ban {
	bans := make([]store.Ban, n)
	for i := range bans {
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		line := "Dec  1 12:00:00 host sshd[1234]: Failed password for invalid user admin from " + ip + " port 22 ssh2"
		bans[i] = store.Ban{Jail: "sshd", IP: ip, Time: t0.Add(time.Duration(i) * time.Millisecond),
			BanTime: time.Hour, Count: 1, Failures: 5, Matches: []string{line, line, line, line, line}}
	}
	return bans
}

// cpuTime is the CPU time (user and system) the process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation since start (a figure that a
// busy machine disturbs less than the wall-clock ns/op).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkAddBans100k records 100,000 bans in one call, into a fresh store.
func BenchmarkAddBans100k(b *testing.B) {
	bans := attack(100_000)
	dir := b.TempDir()
	i := 0
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		i++
		s, err := store.Open(filepath.Join(dir, fmt.Sprint(i, ".db")))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := cpuTime(b)
		if err := s.AddBans(bans); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime(b) - start
		b.StopTimer()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkActiveBans100k reads 100,000 active bans back.
func BenchmarkActiveBans100k(b *testing.B) {
	s, _ := open(b)
	add(b, s, attack(100_000)...)
	start := cpuTime(b)
	for b.Loop() {
		if bans, err := s.ActiveBans(t0.Add(time.Minute)); err != nil || len(bans) != 100_000 {
			b.Fatalf("%d bans, %v", len(bans), err)
		}
	}
	reportCPU(b, start)
}

// BenchmarkRestart100k is the store's part of a restart with 100,000 active
// bans: Open, ActiveBans, Close.
func BenchmarkRestart100k(b *testing.B) {
	s, path := open(b)
	add(b, s, attack(100_000)...)
	start := cpuTime(b)
	for b.Loop() {
		s, err := store.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if bans, err := s.ActiveBans(t0.Add(time.Minute)); err != nil || len(bans) != 100_000 {
			b.Fatalf("%d bans, %v", len(bans), err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}
