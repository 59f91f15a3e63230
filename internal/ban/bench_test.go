package ban

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/clock"
)

// countAction counts its events and closes done when it has seen want.
type countAction struct {
	name  string
	batch bool
	n     atomic.Int64
	want  atomic.Int64
	mu    sync.Mutex
	done  chan struct{}
}

func newCountAction(name string) *countAction { return &countAction{name: name} }

func (a *countAction) expect(n int64) <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.done = make(chan struct{})
	a.want.Store(n)
	if a.n.Load() >= n {
		close(a.done)
		a.want.Store(0)
	}
	return a.done
}

func (a *countAction) add(k int) {
	if n := a.n.Add(int64(k)); n >= a.want.Load() && a.want.Load() > 0 {
		a.mu.Lock()
		if a.want.Load() > 0 && n >= a.want.Load() {
			close(a.done)
			a.want.Store(0)
		}
		a.mu.Unlock()
	}
}

func (a *countAction) Name() string { return a.name }
func (a *countAction) Handle(_ context.Context, e Event) error {
	a.add(1)
	return nil
}

// countBatchAction takes batches, as the firewall does.
type countBatchAction struct{ *countAction }

func (a countBatchAction) HandleBatch(_ context.Context, events []Event) error {
	a.add(len(events))
	return nil
}

// oneShotStore hands its bans to the first ActiveBans and forgets them,
// as a real store's rows are garbage once restored.
type oneShotStore struct {
	fakeStore
	bans []Ban
}

func (s *oneShotStore) ActiveBans(time.Time) ([]Ban, error) {
	b := s.bans
	s.bans = nil
	return b, nil
}

func restoreSet(n int) []Ban {
	bans := make([]Ban, n)
	for i := range bans {
		bt := time.Duration(1+i%600) * time.Minute
		if i%10 == 0 {
			bt = -1
		}
		bans[i] = Ban{
			Jail:     strings.Clone("sshd"),
			IP:       strings.Clone(ipv4(i)),
			Time:     t0.Add(-time.Duration(i%60) * time.Second),
			BanTime:  bt,
			Count:    1,
			Failures: 5,
			Matches:  []string{fmt.Sprintf("Dec  1 11:59:00 host sshd[%d]: Failed password for root from %s port 22 ssh2", i, ipv4(i))},
		}
	}
	return bans
}

// BenchmarkRestore100k measures a start with 100,000 active bans: from Run
// until a firewall-like batch action and a per-event action have seen
// every Restore event. heap-B/ban is the live heap the manager keeps per
// ban afterwards.
func BenchmarkRestore100k(b *testing.B) {
	const n = 100_000
	var perBan float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		st := &oneShotStore{fakeStore: *newFakeStore(), bans: restoreSet(n)}
		fw := newCountAction("nftables")
		ab := newCountAction("abuseipdb")
		m := New(st, clock.NewFake(t0), nil)
		m.Subscribe(countBatchAction{fw})
		m.Subscribe(ab)
		fwDone, abDone := fw.expect(n), ab.expect(n)
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan struct{})
		b.StartTimer()

		go func() { m.Run(ctx); close(ran) }()
		<-fwDone
		<-abDone

		b.StopTimer()
		if got := m.JailStats("sshd").Banned; got != n {
			b.Fatalf("%d bans restored, want %d", got, n)
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		perBan = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
		runtime.KeepAlive(m)
		cancel()
		<-ran
		b.StartTimer()
	}
	b.ReportMetric(perBan, "heap-B/ban")
}

// BenchmarkBurst5000 measures 5,000 bans made at once by a running
// manager: from the first Ban until both actions have handled every ban
// (each written to the store first). AddBans/op counts the transactions.
func BenchmarkBurst5000(b *testing.B) {
	const n = 5000
	st := newFakeStore()
	fw := newCountAction("nftables")
	ab := newCountAction("abuseipdb")
	clk := clock.NewFake(t0)
	m := New(st, clk, nil)
	m.Subscribe(countBatchAction{fw})
	m.Subscribe(ab)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { m.Run(ctx); close(ran) }()
	defer func() { cancel(); <-ran }()

	ips := make([]string, n)
	for i := range ips {
		ips[i] = ipv4(i)
	}
	var events int64
	calls := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		events += n
		fwDone, abDone := fw.expect(events), ab.expect(events)
		for _, ip := range ips {
			if err := m.Ban(Ban{Jail: "sshd", IP: ip, BanTime: time.Hour, Count: 1, Failures: 5,
				Matches: []string{"Failed password for root from " + ip}}); err != nil {
				b.Fatal(err)
			}
		}
		<-fwDone
		<-abDone

		b.StopTimer() // back to no bans, as before an attack
		st.mu.Lock()
		calls += st.addCalls
		st.addCalls = 0
		st.mu.Unlock()
		events += n
		fwDone, abDone = fw.expect(events), ab.expect(events)
		if k, err := m.UnbanAll(""); k != n || err != nil {
			b.Fatalf("UnbanAll = %d, %v", k, err)
		}
		<-fwDone
		<-abDone
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(calls)/float64(b.N), "AddBans/op")
}
