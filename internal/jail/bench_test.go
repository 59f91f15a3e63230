package jail

import (
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/clock"
)

// BenchmarkMillionAddresses feeds one failure from each of 1,000,000
// distinct addresses (a botnet) to a jail capped at 100,000 tracked
// addresses, and reports the heap the jail holds afterwards.
func BenchmarkMillionAddresses(b *testing.B) {
	const n, capN = 1_000_000, 100_000
	ips := make([]string, n)
	for i := range ips {
		ips[i] = netip.AddrFrom4([4]byte{byte(1 + i>>24), byte(i >> 16), byte(i >> 8), byte(i)}).String()
	}
	line := "Jan 10 12:00:00 host sshd[1234]: Failed password for invalid user admin from "
	b.ReportAllocs()
	var heap, tracked float64
	for b.Loop() {
		c := clock.NewFake(t0)
		j, err := New(Config{Name: "sshd", MaxRetry: 5, FindTime: 10 * time.Minute, BanTime: 10 * time.Minute, MaxMatches: 5, MaxTracked: capN}, nil, c, noDeps()...)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		for i, ip := range ips {
			if i%1000 == 0 {
				c.Advance(100 * time.Microsecond) // 1,000,000 failures within findtime
			}
			if _, _, err := j.AddFailure(Failure{IP: ip, Line: line + ip + " port 22 ssh2"}); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		st := j.Stats()
		if st.CurrentlyFailed > capN || st.Evictions != n-capN {
			b.Fatalf("stats %+v", st)
		}
		heap = float64(after.HeapInuse) - float64(before.HeapInuse)
		tracked = float64(st.CurrentlyFailed)
		runtime.KeepAlive(j)
	}
	b.ReportMetric(heap/(1<<20), "heap-MB")
	b.ReportMetric(tracked, "tracked")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/failure")
}

// BenchmarkAddFailure is the cost of one failure of a known address.
func BenchmarkAddFailure(b *testing.B) {
	c := clock.NewFake(t0)
	j, err := New(Config{Name: "sshd", MaxRetry: 1 << 30, FindTime: time.Hour, BanTime: time.Hour, MaxMatches: 5}, nil, c, noDeps()...)
	if err != nil {
		b.Fatal(err)
	}
	ips := make([]string, 5000)
	for i := range ips {
		ips[i] = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}).String()
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, err := j.AddFailure(Failure{IP: ips[i%len(ips)], Line: "Failed password"}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
