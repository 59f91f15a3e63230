package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/ban"
	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/store"
)

// banSignal is an action that tells when each ban reached the actions.
type banSignal struct{ c chan ban.Event }

func (banSignal) Name() string { return "bench" }

func (s banSignal) Handle(_ context.Context, e ban.Event) error {
	s.c <- e
	return nil
}

// BenchmarkLineToBan measures the time from a failing line being written
// to a watched file (inotify) to its ban being recorded in the store and
// handed to the actions, with maxretry = 1; it reports the median and
// the 99th percentile of b.N such bans.
func BenchmarkLineToBan(b *testing.B) {
	dir := b.TempDir()
	writeFile(b, filepath.Join(dir, "etc", "filter.d", "web.conf"), "[Definition]\nfailregex = login failed from <HOST>\n")
	writeFile(b, filepath.Join(dir, "etc", "jail.local"), fmt.Sprintf("[sshd]\nenabled = false\n[web]\nenabled = true\nfilter = web\nlogpath = %s/web.log\nmaxretry = 1\nbantime = 1h\n", dir))
	logPath := filepath.Join(dir, "web.log")
	writeFile(b, logPath, "")
	sig := banSignal{c: make(chan ban.Event, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{ConfigDir: filepath.Join(dir, "etc"), StateDir: filepath.Join(dir, "state"), Socket: filepath.Join(dir, "w.sock"),
			DryRun: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clock.Real{}, Actions: []ban.Action{sig}})
	}()
	defer func() {
		cancel()
		<-done
	}()
	waitSocket(b, filepath.Join(dir, "w.sock"))
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		t0 := time.Now()
		if _, err := f.WriteString(failLine(ip) + "\n"); err != nil {
			b.Fatal(err)
		}
		for {
			select {
			case e := <-sig.c:
				if e.Kind != ban.KindBan || e.Ban.IP != ip {
					continue
				}
			case <-time.After(wait):
				b.Fatalf("no ban of %s", ip)
			}
			break
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkRestart100k measures a restart with 100,000 active bans: from
// the daemon answering on its socket to every ban being back (restored
// and handed to the actions).
func BenchmarkRestart100k(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	writeFile(b, filepath.Join(dir, "etc", "filter.d", "web.conf"), "[Definition]\nfailregex = login failed from <HOST>\n")
	writeFile(b, filepath.Join(dir, "etc", "jail.local"), fmt.Sprintf("[sshd]\nenabled = false\n[web]\nenabled = true\nfilter = web\nlogpath = %s/web.log\n", dir))
	writeFile(b, filepath.Join(dir, "web.log"), "")
	if err := os.MkdirAll(filepath.Join(dir, "state"), 0o700); err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "state", "warden.db"))
	if err != nil {
		b.Fatal(err)
	}
	bans := make([]store.Ban, n)
	now := time.Now()
	for i := range bans {
		bans[i] = store.Ban{Jail: "web", IP: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), Time: now, BanTime: time.Hour, Count: 1,
			Failures: 5, Matches: []string{"login failed from somewhere"}}
	}
	if err := st.AddBans(bans); err != nil {
		b.Fatal(err)
	}
	st.Close()
	var worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sig := banSignal{c: make(chan ban.Event, 1024)}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- Run(ctx, Options{ConfigDir: filepath.Join(dir, "etc"), StateDir: filepath.Join(dir, "state"), Socket: filepath.Join(dir, "w.sock"),
				DryRun: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clock.Real{}, Actions: []ban.Action{sig}})
		}()
		waitSocket(b, filepath.Join(dir, "w.sock"))
		t0 := time.Now()
		for got := 0; got < n; {
			select {
			case e := <-sig.c:
				if e.Kind == ban.KindRestore {
					got++
				}
			case <-time.After(wait):
				b.Fatalf("%d of %d bans restored", got, n)
			}
		}
		worst = max(worst, time.Since(t0))
		cancel()
		<-done
	}
	b.ReportMetric(worst.Seconds(), "s-to-all-bans")
}

func waitSocket(b *testing.B, path string) {
	b.Helper()
	deadline := time.Now().Add(wait)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("the daemon did not start")
		}
		time.Sleep(time.Millisecond)
	}
}
