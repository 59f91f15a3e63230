package jail

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/clock"
)

func TestBanTimeIncrement(t *testing.T) {
	const ip = "192.0.2.1"
	past := func(count int) map[[2]string]PastBan {
		return map[[2]string]PastBan{{"sshd", ip}: {Time: t0.Add(-time.Hour), BanTime: 10 * time.Minute, Count: count}}
	}
	tests := []struct {
		name    string
		bantime time.Duration
		inc     Increment
		noHist  bool
		bans    map[[2]string]PastBan
		want    time.Duration
		count   int
		wantErr bool
		calls   []string
	}{
		{name: "disabled", inc: Increment{}, bans: past(3), want: 10 * time.Minute, count: 1, calls: []string{}},
		{name: "no history", inc: Increment{Enabled: true}, noHist: true, want: 10 * time.Minute, count: 1},
		{name: "first ban", inc: Increment{Enabled: true}, want: 10 * time.Minute, count: 1, calls: []string{"sshd/" + ip}},
		{name: "default formula, 1 before", inc: Increment{Enabled: true}, bans: past(1), want: 20 * time.Minute, count: 2},
		{name: "default formula, 3 before", inc: Increment{Enabled: true}, bans: past(3), want: 80 * time.Minute, count: 4},
		{name: "default formula, capped exponent", inc: Increment{Enabled: true}, bans: past(25), want: 10 * time.Minute << 20, count: 26},
		{name: "default formula, factor 2", inc: Increment{Enabled: true, Factor: "2"}, bans: past(1), want: 40 * time.Minute, count: 2},
		{name: "default formula, factor 1.5", inc: Increment{Enabled: true, Factor: "1.5"}, bans: past(2), want: 60 * time.Minute, count: 3},
		{name: "exp formula", inc: Increment{Enabled: true, Formula: "ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)"},
			bans: past(2), want: duration(pyFloat(600 * math.Exp(3) / math.Exp(1))), count: 3},
		{name: "formula below bantime: max(ban.Time, formula)", inc: Increment{Enabled: true, Formula: "ban.Time / 10"}, bans: past(2), want: 10 * time.Minute, count: 3},
		{name: "formula -1: max(ban.Time, -1)", inc: Increment{Enabled: true, Formula: "-1"}, bans: past(2), want: 10 * time.Minute, count: 3},
		{name: "multiplier giving -1: permanent", bantime: time.Second, inc: Increment{Enabled: true, Multipliers: []int{1, -1}}, bans: past(2), want: Permanent, count: 3},
		{name: "formula error: bantime, count still grows", inc: Increment{Enabled: true, Formula: "ban.Time / (ban.Count - 2)"}, bans: past(2), want: 10 * time.Minute, count: 3, wantErr: true},
		{name: "multipliers", inc: Increment{Enabled: true, Multipliers: []int{1, 5, 30}}, bans: past(1), want: 50 * time.Minute, count: 2},
		{name: "multipliers, last repeats", inc: Increment{Enabled: true, Multipliers: []int{1, 5, 30}}, bans: past(7), want: 300 * time.Minute, count: 8},
		{name: "multipliers with factor", inc: Increment{Enabled: true, Multipliers: []int{1, 5, 30}, Factor: "2"}, bans: past(1), want: 100 * time.Minute, count: 2},
		{name: "multipliers below 1 shorten the ban (as fail2ban)", inc: Increment{Enabled: true, Multipliers: []int{1, 0}}, bans: past(1), want: 0, count: 2},
		{name: "multipliers win over formula", inc: Increment{Enabled: true, Multipliers: []int{1, 3}, Formula: "ban.Time * 100"}, bans: past(1), want: 30 * time.Minute, count: 2},
		{name: "maxtime", inc: Increment{Enabled: true, MaxTime: 24 * time.Hour}, bans: past(10), want: 24 * time.Hour, count: 11},
		{name: "maxtime not reached", inc: Increment{Enabled: true, MaxTime: 24 * time.Hour}, bans: past(2), want: 40 * time.Minute, count: 3},
		{name: "maxtime below bantime shortens the ban (as fail2ban)", inc: Increment{Enabled: true, MaxTime: time.Minute}, bans: past(2), want: time.Minute, count: 3},
		{name: "rndtime", inc: Increment{Enabled: true, RndTime: 100 * time.Second}, bans: past(1), want: 20*time.Minute + 50*time.Second, count: 2},
		{name: "rndtime after maxtime", inc: Increment{Enabled: true, MaxTime: time.Hour, RndTime: 100 * time.Second}, bans: past(5), want: time.Hour + 50*time.Second, count: 6},
		{name: "rndtime: not on a first ban", inc: Increment{Enabled: true, RndTime: 100 * time.Second}, want: 10 * time.Minute, count: 1},
		{name: "count 0 in history", inc: Increment{Enabled: true}, bans: past(0), want: 10 * time.Minute, count: 1},
		{name: "permanent bantime is not increased", bantime: -1, inc: Increment{Enabled: true}, bans: past(3), want: Permanent, count: 1, calls: []string{"sshd/" + ip}},
		{name: "overalljails reads every jail", inc: Increment{Enabled: true, OverallJails: true},
			bans: map[[2]string]PastBan{{"", ip}: {Time: t0.Add(-time.Hour), Count: 3}}, want: 80 * time.Minute, count: 4,
			calls: []string{"sshd/" + ip, "/" + ip}},
		{name: "overalljails off ignores other jails", inc: Increment{Enabled: true},
			bans: map[[2]string]PastBan{{"", ip}: {Time: t0.Add(-time.Hour), Count: 3}, {"nginx", ip}: {Count: 3}}, want: 10 * time.Minute, count: 1,
			calls: []string{"sshd/" + ip}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &fakeHistory{bans: tt.bans}
			var hist History = h
			if tt.noHist {
				hist = nil
			}
			bt := tt.bantime
			if bt == 0 {
				bt = 10 * time.Minute
			}
			cfg := Config{Name: "sshd", MaxRetry: 1, FindTime: 10 * time.Minute, BanTime: bt, Increment: tt.inc}
			j, err := New(cfg, hist, clock.NewFake(t0), noDeps()...)
			if err != nil {
				t.Fatal(err)
			}
			d, ban, err := j.AddFailure(Failure{IP: ip})
			if !ban {
				t.Fatal("no ban")
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v", err)
			}
			if d.BanTime != tt.want || d.Count != tt.count {
				t.Errorf("bantime %s count %d, want %s count %d", d.BanTime, d.Count, tt.want, tt.count)
			}
			if tt.calls != nil && !(len(tt.calls) == 0 && len(h.calls) == 0) && !reflect.DeepEqual(h.calls, tt.calls) {
				t.Errorf("history calls %q, want %q", h.calls, tt.calls)
			}
		})
	}
}

// TestKnownBadAddressWeighs: with bantime.increment, a failure of an
// address banned before in the jail weighs (2^count)/2+1 failures, as
// fail2ban's observer makes it.
func TestKnownBadAddressWeighs(t *testing.T) {
	const ip = "192.0.2.1"
	tests := []struct {
		name     string
		count    int
		lastBan  time.Duration // relative to the failures
		maxRetry int
		bans     []bool // per failure
		failures int    // of the ban
		total    int64
	}{
		{name: "count 1: each failure weighs 2", count: 1, lastBan: -time.Hour, maxRetry: 5, bans: []bool{false, false, true}, failures: 5, total: 5},
		{name: "count 2: weighs 3", count: 2, lastBan: -time.Hour, maxRetry: 5, bans: []bool{false, true}, failures: 4, total: 4},
		{name: "count 3: weighs 5 (at most maxretry)", count: 3, lastBan: -time.Hour, maxRetry: 5, bans: []bool{true}, failures: 2, total: 2},
		{name: "failures before the last ban weigh 1", count: 3, lastBan: time.Hour, maxRetry: 3, bans: []bool{false, false, true}, failures: 3, total: 3},
		{name: "failure at the last ban's time weighs 1", count: 3, lastBan: 0, maxRetry: 3, bans: []bool{false, false, true}, failures: 3, total: 3},
		{name: "maxretry 1: no extra weight needed", count: 3, lastBan: -time.Hour, maxRetry: 1, bans: []bool{true}, failures: 1, total: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &fakeHistory{bans: map[[2]string]PastBan{{"sshd", ip}: {Time: t0.Add(tt.lastBan), Count: tt.count}}}
			j := newJail(t, Config{MaxRetry: tt.maxRetry, FindTime: time.Hour, BanTime: time.Minute, MaxMatches: 10, Increment: Increment{Enabled: true}}, h, clock.NewFake(t0))
			for i, want := range tt.bans {
				d, ban, err := j.AddFailure(Failure{IP: ip, Time: t0, Line: "line"})
				if err != nil {
					t.Fatal(err)
				}
				if ban != want {
					t.Fatalf("failure %d: ban %v, want %v", i, ban, want)
				}
				if ban {
					if d.Failures != tt.failures {
						t.Errorf("failures %d, want %d", d.Failures, tt.failures)
					}
					if len(d.Matches) != len(tt.bans) {
						t.Errorf("matches %q: a line per failure expected", d.Matches)
					}
				}
			}
			if got := j.Stats().TotalFailed; got != tt.total {
				t.Errorf("total failed %d, want %d", got, tt.total)
			}
		})
	}
	// without bantime.increment past bans are not even read
	h := &fakeHistory{bans: map[[2]string]PastBan{{"sshd", ip}: {Time: t0.Add(-time.Hour), Count: 5}}}
	j := newJail(t, Config{MaxRetry: 3, FindTime: time.Hour, BanTime: time.Minute}, h, clock.NewFake(t0))
	if _, ban, _ := j.AddFailure(Failure{IP: ip}); ban || len(h.calls) != 0 {
		t.Fatalf("ban %v, calls %q", ban, h.calls)
	}
}

func TestParseMultipliers(t *testing.T) {
	m, err := ParseMultipliers("1 5 30 60")
	if err != nil || !reflect.DeepEqual(m, []int{1, 5, 30, 60}) {
		t.Fatalf("%v %v", m, err)
	}
	if m, err := ParseMultipliers(""); err != nil || m != nil {
		t.Fatalf("%v %v", m, err)
	}
	for _, bad := range []string{"1  2", "1 x", " 1"} {
		if _, err := ParseMultipliers(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
