package jail

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/f2btest"
)

// The differential test: the same cases through fail2ban 1.0.2's own
// classes (testdata/f2b_jail.py) and through the jail.

type f2bBanTimeCase struct {
	BanTime int               `json:"bantime"`
	Extra   map[string]string `json:"extra"`
	Random  float64           `json:"random"`
	Past    []*int            `json:"past"` // nil: no past ban
}

type f2bEvent struct {
	Now  float64 `json:"now"`
	IP   string  `json:"ip"`
	Time float64 `json:"time"`
	Line string  `json:"line"`
}

type f2bLastBan struct {
	Count int     `json:"count"`
	Time  float64 `json:"time"`
}

type f2bSequence struct {
	MaxRetry   int         `json:"maxretry"`
	FindTime   int         `json:"findtime"`
	MaxMatches int         `json:"maxmatches"`
	LastBan    *f2bLastBan `json:"lastban,omitempty"`
	Events     []f2bEvent  `json:"events"`
}

type f2bIgnoreCase struct {
	IgnoreIP []string `json:"ignoreip"`
	IPs      []string `json:"ips"`
}

type f2bResult struct {
	Ban      bool     `json:"ban"`
	IP       string   `json:"ip,omitempty"`
	Failures int      `json:"failures,omitempty"`
	Matches  []string `json:"matches,omitempty"`
	Time     float64  `json:"time,omitempty"`
	Size     int      `json:"size"`
	Total    int64    `json:"total"`
}

func unixTime(s float64) time.Time {
	return time.Unix(0, int64(math.Round(s*1e9)))
}

func f2bBanTimeCases() []f2bBanTimeCase {
	var past []*int
	past = append(past, nil)
	for _, c := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 15, 19, 20, 21, 25, 40} {
		past = append(past, &c)
	}
	var cases []f2bBanTimeCase
	extras := []map[string]string{
		{},
		{"increment": "false"},
		{"increment": "true"},
		{"increment": "true", "factor": "2"},
		{"increment": "true", "factor": "1.5"},
		{"increment": "true", "factor": "0.5"},
		{"increment": "true", "formula": "ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)"},
		{"increment": "true", "formula": "ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)", "factor": "2"},
		{"increment": "true", "formula": "ban.Time * (ban.Count + 1)"},
		{"increment": "true", "formula": "ban.Time * 2 ** ban.Count // 3"},
		{"increment": "true", "formula": "ban.Time / 2 + ban.Count * 60"},
		{"increment": "true", "formula": "ban.Time * (3 if ban.Count > 2 else 1.5) - 100"},
		{"increment": "true", "multipliers": "1 5 30 60 300 720 1440 2880"},
		{"increment": "true", "multipliers": "1 2 4 8 16 32 64", "factor": "3"},
		{"increment": "true", "multipliers": "1 0"},
		{"increment": "true", "maxtime": "86400"},
		{"increment": "true", "maxtime": "100"},
		{"increment": "true", "rndtime": "100"},
		{"increment": "true", "maxtime": "3600", "rndtime": "77"},
		{"increment": "true", "multipliers": "2 4 8", "maxtime": "7200", "rndtime": "30"},
		{"increment": "true", "overalljails": "true"},
	}
	for _, bt := range []int{600, 3600, 1, -1} {
		for k, e := range extras {
			cases = append(cases, f2bBanTimeCase{BanTime: bt, Extra: e, Random: 0.125 * float64(k%8), Past: past})
		}
	}
	return cases
}

func f2bSequences() []f2bSequence {
	r := rand.New(rand.NewPCG(10, 2))
	pool := []string{"192.0.2.1", "192.0.2.2", "::ffff:192.0.2.1", "2001:db8::7", "198.51.100.3"}
	var seqs []f2bSequence
	for k := range 60 {
		s := f2bSequence{MaxRetry: 1 + r.IntN(5), FindTime: 120 + 60*r.IntN(14), MaxMatches: r.IntN(5)}
		if k%3 == 0 {
			s.LastBan = &f2bLastBan{Count: r.IntN(5), Time: 1700000000 + float64(r.IntN(3000))}
		}
		now := 1700000000.0
		for i := range 40 + r.IntN(40) {
			now += float64(r.IntN(4) * r.IntN(90))
			t := now - float64(r.IntN(60))
			if r.IntN(8) == 0 {
				t = now + float64(r.IntN(30))
			}
			s.Events = append(s.Events, f2bEvent{Now: now, IP: pool[r.IntN(len(pool))], Time: t, Line: fmt.Sprintf("line %d", i)})
		}
		seqs = append(seqs, s)
	}
	// the window rescaling, by hand
	seqs = append(seqs, f2bSequence{MaxRetry: 3, FindTime: 600, MaxMatches: 3, Events: []f2bEvent{
		{Now: 1e9, IP: "192.0.2.1", Time: 1e9, Line: "a"},
		{Now: 1e9 + 500, IP: "192.0.2.1", Time: 1e9 + 500, Line: "b"},
		{Now: 1e9 + 1050, IP: "192.0.2.1", Time: 1e9 + 1050, Line: "c"},
		{Now: 1e9 + 1100, IP: "192.0.2.1", Time: 1e9 + 1100, Line: "d"},
		{Now: 1e9 + 1101, IP: "192.0.2.1", Time: 1e9 + 1101, Line: "e"},
	}})
	return seqs
}

func f2bIgnoreCases() []f2bIgnoreCase {
	ips := []string{"127.0.0.1", "127.1.2.3", "10.0.0.1", "10.1.0.1", "192.0.2.1", "192.0.2.255", "::ffff:10.0.0.1",
		"::1", "2001:db8::1", "2001:db8:1::1", "2001:db9::1", "::ffff:192.0.2.9", "fe80::1", "203.0.113.7"}
	return []f2bIgnoreCase{
		{IgnoreIP: []string{"127.0.0.1/8", "::1"}, IPs: ips},
		{IgnoreIP: []string{"10.0.0.0/255.255.0.0", "192.0.2.0/24"}, IPs: ips},
		{IgnoreIP: []string{"10.0.0.1", "2001:db8::/32", "203.0.113.7/32"}, IPs: ips},
		{IgnoreIP: []string{"::ffff:10.0.0.1", "::ffff:192.0.2.0/120"}, IPs: ips},
		{IgnoreIP: []string{"0.0.0.0/0"}, IPs: ips},
		{IgnoreIP: []string{"::/0"}, IPs: ips},
		{IgnoreIP: []string{"192.0.2.1/40", "2001:db8::1/128", "fe80::/10"}, IPs: ips},
		{IgnoreIP: []string{"[2001:db8:1::1]", "10.1.0.1/0.0.0.0"}, IPs: ips},
	}
}

func TestAgainstFail2ban(t *testing.T) {
	f2btest.RequirePython(t)
	root := f2btest.Root(t)
	in := map[string]any{"bantimes": f2bBanTimeCases(), "sequences": f2bSequences(), "ignored": f2bIgnoreCases()}
	var out struct {
		BanTimes  [][][2]float64 `json:"bantimes"`
		Sequences [][]f2bResult  `json:"sequences"`
		Ignored   [][]bool       `json:"ignored"`
	}
	f2btest.RunJSON(t, f2btest.Script(root, "testdata/f2b_jail.py"), in, &out)

	t.Run("bantime", func(t *testing.T) {
		for k, c := range f2bBanTimeCases() {
			for i, past := range c.Past {
				want := out.BanTimes[k][i]
				bt, count := goBanTime(t, c, past)
				wantBT := time.Duration(math.Round(want[0] * 1e9))
				if want[0] == -1 {
					wantBT = Permanent
				}
				if d := math.Abs(float64(bt - wantBT)); d > 1e-9*math.Abs(float64(wantBT)) || count != int(want[1]) {
					t.Errorf("bantime %d %v, past %v: got %s #%d, fail2ban %s #%d", c.BanTime, c.Extra, deref(past), bt, count, wantBT, int(want[1]))
				}
			}
		}
	})
	t.Run("counting", func(t *testing.T) {
		events, bans := 0, 0
		defer func() { t.Logf("%d failures, %d bans compared", events, bans) }()
		for k, s := range f2bSequences() {
			got := goSequence(t, s)
			for i, w := range out.Sequences[k] {
				g := got[i]
				events++
				if w.Ban {
					bans++
				}
				if s.LastBan != nil {
					// fail2ban's observer adds a failure's line a second
					// time; Warden does not.
					w.Matches, g.Matches = nil, nil
				}
				if len(w.Matches) == 0 {
					w.Matches = nil
				}
				if !reflect.DeepEqual(g, w) {
					t.Errorf("sequence %d (maxretry %d findtime %d maxmatches %d lastban %+v), event %d %+v:\n got      %+v\n fail2ban %+v",
						k, s.MaxRetry, s.FindTime, s.MaxMatches, s.LastBan, i, s.Events[i], g, w)
					break
				}
			}
		}
	})
	t.Run("ignoreip", func(t *testing.T) {
		for k, c := range f2bIgnoreCases() {
			j := newJail(t, Config{MaxRetry: 1, FindTime: time.Minute, BanTime: time.Minute, IgnoreIP: c.IgnoreIP}, nil, clock.NewFake(t0))
			for i, ip := range c.IPs {
				_, ban, err := j.AddFailure(Failure{IP: ip})
				if err != nil {
					t.Fatal(err)
				}
				if !ban != out.Ignored[k][i] {
					t.Errorf("ignoreip %q, %s: ignored %v, fail2ban %v", c.IgnoreIP, ip, !ban, out.Ignored[k][i])
				}
			}
		}
	})
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func goBanTime(t *testing.T, c f2bBanTimeCase, past *int) (time.Duration, int) {
	t.Helper()
	inc := Increment{Enabled: c.Extra["increment"] == "true", Factor: c.Extra["factor"], Formula: c.Extra["formula"], OverallJails: c.Extra["overalljails"] == "true"}
	var err error
	if inc.Multipliers, err = ParseMultipliers(c.Extra["multipliers"]); err != nil {
		t.Fatal(err)
	}
	for opt, d := range map[string]*time.Duration{"maxtime": &inc.MaxTime, "rndtime": &inc.RndTime} {
		if s, ok := c.Extra[opt]; ok {
			n, err := strconv.Atoi(s)
			if err != nil {
				t.Fatal(err)
			}
			*d = time.Duration(n) * time.Second
		}
	}
	now := unixTime(1700000000)
	h := &fakeHistory{bans: map[[2]string]PastBan{}}
	if past != nil {
		pb := PastBan{Time: now.Add(-time.Hour), BanTime: 10 * time.Minute, Count: *past}
		h.bans[[2]string{"test", "192.0.2.1"}] = pb
		h.bans[[2]string{"", "192.0.2.1"}] = pb
	}
	j, err := New(Config{Name: "test", MaxRetry: 1, FindTime: time.Minute, BanTime: time.Duration(c.BanTime) * time.Second, Increment: inc},
		h, clock.NewFake(now), append(noDeps(), WithRandom(func() float64 { return c.Random }))...)
	if err != nil {
		t.Fatal(err)
	}
	d, ban, err := j.AddFailure(Failure{IP: "192.0.2.1", Time: now})
	if err != nil || !ban {
		t.Fatalf("%v %v", ban, err)
	}
	return d.BanTime, d.Count
}

func goSequence(t *testing.T, s f2bSequence) []f2bResult {
	t.Helper()
	c := clock.NewFake(unixTime(s.Events[0].Now))
	h := &fakeHistory{bans: map[[2]string]PastBan{}}
	inc := Increment{}
	if s.LastBan != nil {
		inc.Enabled = true
		for _, ip := range []string{"192.0.2.1", "192.0.2.2", "2001:db8::7", "198.51.100.3"} {
			h.bans[[2]string{"test", ip}] = PastBan{Time: unixTime(s.LastBan.Time), Count: s.LastBan.Count}
		}
	}
	j := newJail(t, Config{Name: "test", MaxRetry: s.MaxRetry, FindTime: time.Duration(s.FindTime) * time.Second, BanTime: time.Hour, MaxMatches: s.MaxMatches, Increment: inc}, h, c)
	var out []f2bResult
	for _, ev := range s.Events {
		c.Set(unixTime(ev.Now))
		d, ban, err := j.AddFailure(Failure{IP: ev.IP, Time: unixTime(ev.Time), Line: ev.Line})
		if err != nil {
			t.Fatal(err)
		}
		r := f2bResult{Ban: ban}
		if ban {
			r.IP, r.Failures, r.Time = d.IP, d.Failures, float64(d.Time.UnixNano())/1e9
			if len(d.Matches) > 0 {
				r.Matches = d.Matches
			}
		}
		st := j.Stats()
		r.Size, r.Total = st.CurrentlyFailed, st.TotalFailed
		out = append(out, r)
	}
	return out
}
