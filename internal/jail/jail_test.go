package jail

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/clock"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// fakeHistory answers LastBan from a map keyed by jail and ip ("" jail:
// the overalljails aggregate, stored as given).
type fakeHistory struct {
	bans  map[[2]string]PastBan
	err   error
	calls []string
}

func (h *fakeHistory) LastBan(jail, ip string) (PastBan, bool, error) {
	h.calls = append(h.calls, jail+"/"+ip)
	if h.err != nil {
		return PastBan{}, false, h.err
	}
	b, ok := h.bans[[2]string{jail, ip}]
	return b, ok, nil
}

// noDeps keeps tests off the network and the process table.
func noDeps() []Option {
	return []Option{
		WithResolver(func(host string) ([]netip.Addr, error) { return nil, fmt.Errorf("no DNS in tests: %s", host) }),
		WithSelfAddrs(func() ([]netip.Addr, error) { return nil, nil }),
		WithRunner(func(argv []string) (int, error) { return 1, nil }),
		WithRandom(func() float64 { return 0.5 }),
	}
}

func newJail(t *testing.T, cfg Config, h History, c clock.Clock, opts ...Option) *Jail {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "sshd"
	}
	var hist History
	if h != nil {
		hist = h
	}
	j, err := New(cfg, hist, c, append(noDeps(), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// step is one failure fed to a jail: at clock t0+now, dated t0+at (or
// dateless), and what should come out.
type step struct {
	now      time.Duration
	ip       string
	at       *time.Duration // nil: dateless
	backlog  bool
	line     string
	ban      bool
	failures int      // of the ban
	matches  []string // of the ban (nil: not checked)
	banAt    *time.Duration
}

func at(d time.Duration) *time.Duration { return &d }

func TestCounting(t *testing.T) {
	base := Config{MaxRetry: 3, FindTime: 10 * time.Minute, BanTime: time.Hour, MaxMatches: 3}
	tests := []struct {
		name  string
		cfg   func(*Config)
		steps []step
		stats Stats
	}{
		{
			name: "ban at maxretry within findtime",
			steps: []step{
				{now: 0, ip: "1.2.3.4", at: at(0), line: "a"},
				{now: time.Minute, ip: "1.2.3.4", at: at(time.Minute), line: "b"},
				{now: 2 * time.Minute, ip: "1.2.3.4", at: at(2 * time.Minute), line: "c", ban: true, failures: 3, matches: []string{"a", "b", "c"}, banAt: at(2 * time.Minute)},
			},
			stats: Stats{CurrentlyFailed: 0, TotalFailed: 3},
		},
		{
			name: "addresses counted apart",
			steps: []step{
				{now: 0, ip: "1.2.3.4", at: at(0)},
				{now: 0, ip: "1.2.3.5", at: at(0)},
				{now: 0, ip: "2001:db8::1", at: at(0)},
				{now: 0, ip: "1.2.3.4", at: at(0)},
			},
			stats: Stats{CurrentlyFailed: 3, TotalFailed: 4},
		},
		{
			name: "an IPv4-mapped address is its IPv4 address",
			steps: []step{
				{now: 0, ip: "::ffff:1.2.3.4", at: at(0)},
				{now: 0, ip: "1.2.3.4", at: at(0)},
				{now: 0, ip: "[::ffff:1.2.3.4]", at: at(0), ban: true, failures: 3},
			},
		},
		{
			name: "last failure findtime old: forgotten, counting starts again",
			steps: []step{
				{now: 0, ip: "1.2.3.4", at: at(0)},
				{now: time.Minute, ip: "1.2.3.4", at: at(time.Minute)},
				{now: 11 * time.Minute, ip: "1.2.3.4", at: at(11 * time.Minute)},
				{now: 12 * time.Minute, ip: "1.2.3.4", at: at(12 * time.Minute)},
				{now: 13 * time.Minute, ip: "1.2.3.4", at: at(13 * time.Minute), ban: true, failures: 3},
			},
			stats: Stats{TotalFailed: 5},
		},
		{
			// failures at 0, 300, 650 s: at 650 the window [50, 650] has
			// 2 failures by rate (2/650*600 = 1.85, rounded to 2), +1 = 3.
			name: "window slides: count rescaled to the rate",
			steps: []step{
				{now: 0, ip: "1.2.3.4", at: at(0)},
				{now: 300 * time.Second, ip: "1.2.3.4", at: at(300 * time.Second)},
				{now: 650 * time.Second, ip: "1.2.3.4", at: at(650 * time.Second), ban: true, failures: 3},
			},
		},
		{
			// 0, 500, 1050: at 1050 the rate gives round(2/1050*600) =
			// round(1.14) = 1, +1 = 2: no ban; 1100: 3.
			name: "window slides: rescaled below maxretry",
			steps: []step{
				{now: 0, ip: "1.2.3.4", at: at(0)},
				{now: 500 * time.Second, ip: "1.2.3.4", at: at(500 * time.Second)},
				{now: 1050 * time.Second, ip: "1.2.3.4", at: at(1050 * time.Second)},
				{now: 1100 * time.Second, ip: "1.2.3.4", at: at(1100 * time.Second), ban: true, failures: 4},
			},
		},
		{
			name: "reset after ban",
			steps: []step{
				{now: 0, ip: "1.2.3.4", at: at(0)},
				{now: 0, ip: "1.2.3.4", at: at(0)},
				{now: 0, ip: "1.2.3.4", at: at(0), ban: true, failures: 3},
				{now: time.Second, ip: "1.2.3.4", at: at(time.Second)},
				{now: time.Second, ip: "1.2.3.4", at: at(time.Second)},
				{now: time.Second, ip: "1.2.3.4", at: at(time.Second), ban: true, failures: 3},
			},
			stats: Stats{TotalFailed: 6},
		},
		{
			name: "maxmatches keeps the last lines",
			cfg:  func(c *Config) { c.MaxRetry = 5; c.MaxMatches = 2 },
			steps: []step{
				{ip: "1.2.3.4", at: at(0), line: "1"}, {ip: "1.2.3.4", at: at(0), line: "2"},
				{ip: "1.2.3.4", at: at(0), line: "3"}, {ip: "1.2.3.4", at: at(0), line: "4"},
				{ip: "1.2.3.4", at: at(0), line: "5", ban: true, failures: 5, matches: []string{"4", "5"}},
			},
		},
		{
			name: "maxmatches 0: only a first failure's line stays (as fail2ban)",
			cfg:  func(c *Config) { c.MaxRetry = 1; c.MaxMatches = 0 },
			steps: []step{
				{ip: "1.2.3.4", at: at(0), line: "1", ban: true, failures: 1, matches: []string{"1"}},
			},
		},
		{
			name: "maxmatches 0: dropped from the second failure on",
			cfg:  func(c *Config) { c.MaxRetry = 2; c.MaxMatches = 0 },
			steps: []step{
				{ip: "1.2.3.4", at: at(0), line: "1"},
				{ip: "1.2.3.4", at: at(0), line: "2", ban: true, failures: 2, matches: []string{}},
			},
		},
		{
			name: "maxretry 1 bans at once",
			cfg:  func(c *Config) { c.MaxRetry = 1 },
			steps: []step{
				{ip: "1.2.3.4", at: at(0), ban: true, failures: 1},
			},
		},
		{
			name: "a dateless line counts as now",
			steps: []step{
				{now: 0, ip: "1.2.3.4"},
				{now: 5 * time.Minute, ip: "1.2.3.4"},
				{now: 9 * time.Minute, ip: "1.2.3.4", ban: true, failures: 3, banAt: at(9 * time.Minute)},
			},
		},
		{
			name: "live: a date more than 60 s away is taken as now",
			steps: []step{
				{now: time.Hour, ip: "1.2.3.4", at: at(0)},
				{now: time.Hour, ip: "1.2.3.4", at: at(2 * time.Hour)},
				{now: time.Hour, ip: "1.2.3.4", at: at(time.Hour - 60*time.Second), ban: true, failures: 3, banAt: at(time.Hour)},
			},
		},
		{
			name: "live: within 60 s the date is kept, the future clamped to now",
			steps: []step{
				{now: time.Hour, ip: "1.2.3.4", at: at(time.Hour - 60*time.Second)},
				{now: time.Hour, ip: "1.2.3.4", at: at(time.Hour + 30*time.Second)},
				{now: time.Hour, ip: "1.2.3.4", at: at(time.Hour - 30*time.Second), ban: true, failures: 3, banAt: at(time.Hour)},
			},
		},
		{
			name: "backlog: older than findtime dropped, recent dates kept",
			steps: []step{
				{now: time.Hour, ip: "1.2.3.4", at: at(time.Hour - 11*time.Minute), backlog: true},
				{now: time.Hour, ip: "1.2.3.4", at: at(time.Hour - 9*time.Minute), backlog: true},
				{now: time.Hour, ip: "1.2.3.4", at: at(time.Hour - 8*time.Minute), backlog: true},
				{now: time.Hour, ip: "1.2.3.4", at: at(time.Hour - 7*time.Minute), backlog: true, ban: true, failures: 3, banAt: at(time.Hour - 7*time.Minute)},
			},
			stats: Stats{TotalFailed: 3},
		},
		{
			name: "a failure id that is no address is counted as it is",
			cfg:  func(c *Config) { c.MaxRetry = 2 },
			steps: []step{
				{ip: "user-42", at: at(0)},
				{ip: "user-42", at: at(0), ban: true, failures: 2},
			},
		},
		{
			name: "permanent bantime",
			cfg:  func(c *Config) { c.MaxRetry = 1; c.BanTime = -time.Second },
			steps: []step{
				{ip: "1.2.3.4", at: at(0), ban: true, failures: 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			c := clock.NewFake(t0)
			j := newJail(t, cfg, nil, c)
			for i, s := range tt.steps {
				c.Set(t0.Add(s.now))
				f := Failure{IP: s.ip, Line: s.line, Backlog: s.backlog}
				if s.at != nil {
					f.Time = t0.Add(*s.at)
				}
				d, ban, err := j.AddFailure(f)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if ban != s.ban {
					t.Fatalf("step %d: ban = %v, want %v (%+v)", i, ban, s.ban, d)
				}
				if !ban {
					continue
				}
				if d.Failures != s.failures {
					t.Errorf("step %d: failures = %d, want %d", i, d.Failures, s.failures)
				}
				if s.matches != nil && !(len(d.Matches) == 0 && len(s.matches) == 0) && !reflect.DeepEqual(d.Matches, s.matches) {
					t.Errorf("step %d: matches = %q, want %q", i, d.Matches, s.matches)
				}
				if s.banAt != nil && !d.Time.Equal(t0.Add(*s.banAt)) {
					t.Errorf("step %d: ban time %s, want %s", i, d.Time, t0.Add(*s.banAt))
				}
				wantBT := cfg.BanTime
				if wantBT < 0 {
					wantBT = Permanent
				}
				if d.BanTime != wantBT || d.Count != 1 || d.Jail != "sshd" {
					t.Errorf("step %d: decision %+v", i, d)
				}
			}
			if tt.stats != (Stats{}) {
				if got := j.Stats(); got != tt.stats {
					t.Errorf("stats %+v, want %+v", got, tt.stats)
				}
			}
		})
	}
}

func TestDecisionIP(t *testing.T) {
	j := newJail(t, Config{MaxRetry: 1, FindTime: time.Minute, BanTime: time.Minute}, nil, clock.NewFake(t0))
	for in, want := range map[string]string{
		"::ffff:10.0.0.1":         "10.0.0.1",
		"2001:DB8:0:0::1":         "2001:db8::1",
		"[2001:db8::2]":           "2001:db8::2",
		"192.0.2.1":               "192.0.2.1",
		"host.example":            "host.example",
		"fe80::1%eth0":            "fe80::1%eth0",
		"2001:0db8:0000::0000:03": "2001:db8::3",
	} {
		d, ban, err := j.AddFailure(Failure{IP: in})
		if err != nil || !ban || d.IP != want {
			t.Errorf("%q: %q %v %v, want %q", in, d.IP, ban, err, want)
		}
	}
	if _, _, err := j.AddFailure(Failure{}); err == nil {
		t.Error("a failure without an address: no error")
	}
}

func TestStatsExpire(t *testing.T) {
	c := clock.NewFake(t0)
	j := newJail(t, Config{MaxRetry: 5, FindTime: 10 * time.Minute, BanTime: time.Hour}, nil, c)
	for i := range 10 {
		c.Set(t0.Add(time.Duration(i) * time.Minute))
		if _, _, err := j.AddFailure(Failure{IP: fmt.Sprintf("10.0.0.%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := j.Stats(); got != (Stats{CurrentlyFailed: 10, TotalFailed: 10}) {
		t.Fatalf("stats %+v", got)
	}
	// at 13 min the failures of minutes 0..3 are findtime old
	c.Set(t0.Add(13 * time.Minute))
	if got := j.Stats(); got != (Stats{CurrentlyFailed: 6, TotalFailed: 10}) {
		t.Fatalf("stats %+v", got)
	}
	c.Set(t0.Add(time.Hour))
	if got := j.Stats(); got != (Stats{CurrentlyFailed: 0, TotalFailed: 10}) {
		t.Fatalf("stats %+v", got)
	}
}

func TestMaxTrackedEvictsOldest(t *testing.T) {
	c := clock.NewFake(t0)
	j := newJail(t, Config{MaxRetry: 3, FindTime: time.Hour, BanTime: time.Hour, MaxTracked: 3}, nil, c)
	add := func(ip string) bool {
		t.Helper()
		c.Advance(time.Second)
		_, ban, err := j.AddFailure(Failure{IP: ip})
		if err != nil {
			t.Fatal(err)
		}
		return ban
	}
	add("10.0.0.1")
	add("10.0.0.2")
	add("10.0.0.3")
	add("10.0.0.4") // evicts 10.0.0.1, the oldest
	if got := j.Stats(); got != (Stats{CurrentlyFailed: 3, TotalFailed: 4, Evictions: 1}) {
		t.Fatalf("stats %+v", got)
	}
	add("10.0.0.1") // starts again; evicts 10.0.0.2
	add("10.0.0.3") // its second failure moves it behind 10.0.0.4 and 10.0.0.1
	add("10.0.0.5") // evicts 10.0.0.4
	if !add("10.0.0.3") {
		t.Fatal("10.0.0.3 lost its count")
	}
	if add("10.0.0.4") || add("10.0.0.4") {
		t.Fatal("an evicted address kept its count")
	}
	if got := j.Stats(); got.Evictions != 3 || got.CurrentlyFailed != 3 {
		t.Fatalf("stats %+v", got)
	}
	// lowering the cap evicts at once
	cfg := j.Config()
	cfg.MaxTracked = 1
	if err := j.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	if got := j.Stats(); got.CurrentlyFailed != 1 || got.Evictions != 5 {
		t.Fatalf("stats %+v", got)
	}
}

func TestTrackedNeverExceedsCap(t *testing.T) {
	const capN = 1000
	c := clock.NewFake(t0)
	j := newJail(t, Config{MaxRetry: 3, FindTime: time.Hour, BanTime: time.Hour, MaxTracked: capN, MaxMatches: 3}, nil, c)
	for i := range 50_000 {
		if i%7 == 0 {
			c.Advance(time.Millisecond)
		}
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String()
		if _, _, err := j.AddFailure(Failure{IP: ip, Line: "Failed password for root from " + ip}); err != nil {
			t.Fatal(err)
		}
		if n := j.Stats().CurrentlyFailed; n > capN {
			t.Fatalf("after %d addresses %d are tracked, cap %d", i+1, n, capN)
		}
		j.mu.Lock()
		n, m := len(j.tracked.byIP), len(j.tracked.heap)
		j.mu.Unlock()
		if n != m || n > capN {
			t.Fatalf("map %d, heap %d", n, m)
		}
	}
	if got := j.Stats(); got.Evictions != 50_000-capN || got.TotalFailed != 50_000 {
		t.Fatalf("stats %+v", got)
	}
}

func TestHeapOrder(t *testing.T) {
	tr := tracker{byIP: map[string]*entry{}}
	var es []*entry
	for i := range 200 {
		e := &entry{id: fmt.Sprint(i), last: int64((i * 7919) % 211), seq: uint64(i)}
		es = append(es, e)
		tr.push(e)
	}
	for i := 0; i < 200; i += 3 { // raise some, remove some
		es[i].last += 500
		tr.fix(es[i])
		if i%2 == 0 {
			tr.remove(es[i+1])
		}
	}
	prev := int64(-1)
	for tr.len() > 0 {
		e := tr.oldest()
		if e.last < prev {
			t.Fatalf("heap out of order: %d after %d", e.last, prev)
		}
		prev = e.last
		tr.remove(e)
	}
	if len(tr.byIP) != 0 {
		t.Fatal("map not emptied")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{MaxRetry: -1},
		{FindTime: -1},
		{MaxMatches: -1},
		{MaxTracked: -1},
		{IgnoreIP: []string{"10.0.0.0/x"}},
		{IgnoreIP: []string{"10.0.0.0/255.0.255.0"}},
		{IgnoreIP: []string{"10.0.0.0/8/8"}},
		{IgnoreCommand: "check <F-USER>"},
		{IgnoreCommand: "check <ip> <matches>"},
		{Increment: Increment{Enabled: true, Formula: "ban.Time * os.system('x')"}},
		{Increment: Increment{Enabled: true, Formula: "ban.Time *"}},
		{Increment: Increment{Enabled: true, Factor: "two"}},
		{Increment: Increment{Enabled: true, Formula: "__import__('os')"}},
	} {
		if _, err := New(cfg, nil, clock.NewFake(t0), noDeps()...); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
	// an invalid reconfiguration keeps the running one
	j := newJail(t, Config{MaxRetry: 3, FindTime: time.Minute}, nil, clock.NewFake(t0))
	if err := j.Reconfigure(Config{Name: "sshd", MaxRetry: 3, IgnoreIP: []string{"1.2.3.4/x"}}); err == nil {
		t.Fatal("no error")
	}
	if got := j.Config(); got.FindTime != time.Minute {
		t.Fatalf("config changed: %+v", got)
	}
}

func TestReconfigureKeepsFailures(t *testing.T) {
	c := clock.NewFake(t0)
	j := newJail(t, Config{MaxRetry: 5, FindTime: time.Hour, BanTime: time.Hour}, nil, c)
	for range 2 {
		if _, _, err := j.AddFailure(Failure{IP: "1.2.3.4"}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := j.Config()
	cfg.MaxRetry = 3
	if err := j.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	if _, ban, _ := j.AddFailure(Failure{IP: "1.2.3.4"}); !ban {
		t.Fatal("failures lost on reconfigure")
	}
}

func TestHistoryErrorStillDecides(t *testing.T) {
	h := &fakeHistory{err: errors.New("disk gone")}
	j := newJail(t, Config{MaxRetry: 1, FindTime: time.Minute, BanTime: time.Hour, Increment: Increment{Enabled: true}}, h, clock.NewFake(t0))
	d, ban, err := j.AddFailure(Failure{IP: "1.2.3.4"})
	if !ban || d.BanTime != time.Hour || d.Count != 1 {
		t.Fatalf("decision %+v %v", d, ban)
	}
	if err == nil || !errors.Is(err, h.err) {
		t.Fatalf("err %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := clock.NewFake(t0)
	j := newJail(t, Config{MaxRetry: 3, FindTime: time.Hour, BanTime: time.Hour, MaxTracked: 80}, &fakeHistory{}, c)
	var wg sync.WaitGroup
	var bans atomic.Int64
	for g := range 4 {
		wg.Go(func() {
			for i := range 300 {
				_, ban, err := j.AddFailure(Failure{IP: fmt.Sprintf("10.%d.0.%d", g, i%20)})
				if err != nil {
					t.Error(err)
					return
				}
				if ban {
					bans.Add(1)
				}
			}
		})
	}
	wg.Go(func() {
		for range 100 {
			j.Stats()
			c.Advance(time.Millisecond)
		}
	})
	wg.Go(func() {
		for range 20 {
			cfg := j.Config()
			if err := j.Reconfigure(cfg); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	st := j.Stats()
	if got := st.TotalFailed; got != 1200 {
		t.Fatalf("total %d", got)
	}
	if bans.Load() != 4*100 { // each address fails 15 times: 5 bans of 3
		t.Fatalf("bans %d", bans.Load())
	}
}
