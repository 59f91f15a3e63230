package daemon

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/abuseipdb"
	"github.com/wardenipd/warden/internal/ban"
	"github.com/wardenipd/warden/internal/clock"
)

// scores is a hand-written checker: a score per address, or the quota
// error once the budget is spent.
type scores struct {
	mu     sync.Mutex
	score  map[string]int
	calls  map[string]int
	budget int
	reset  time.Time
}

func (s *scores) Check(_ context.Context, ip string, _ int, _ bool) (*abuseipdb.CheckResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[ip]++
	if s.budget <= 0 {
		return nil, &abuseipdb.APIError{Status: http.StatusTooManyRequests,
			Detail:    "Daily rate limit of 1000 requests exceeded for this endpoint. See headers for additional details.",
			RateLimit: abuseipdb.RateLimit{Limit: 1000, Remaining: 0, Reset: s.reset}}
	}
	s.budget--
	return &abuseipdb.CheckResult{IPAddress: ip, AbuseConfidenceScore: s.score[ip]}, nil
}

func (s *scores) count(ip string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[ip]
}

// TestReputation: a high score bans, a low one does not; answers are
// cached; private addresses are never looked up; a spent quota pauses the
// look-ups until its reset.
func TestReputation(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	sc := &scores{score: map[string]int{"203.0.113.1": 95, "203.0.113.2": 10}, calls: map[string]int{}, budget: 3, reset: t0.Add(time.Hour)}
	var mu sync.Mutex
	var banned []string
	p := newReputation(slog.New(slog.DiscardHandler), clk, func(b ban.Ban) error {
		mu.Lock()
		defer mu.Unlock()
		banned = append(banned, b.IP)
		return nil
	}, func(jail, ip string) bool { return ip == "203.0.113.9" })
	req := func(ip string) reputationReq {
		return reputationReq{jail: "sshd", ip: ip, client: sc, score: 90, days: 30, banTime: time.Hour}
	}
	// The queue is worked synchronously here: lookup is what run does.
	work := func() {
		for {
			select {
			case r := <-p.queue:
				p.lookup(context.Background(), r)
			default:
				return
			}
		}
	}
	for _, ip := range []string{"203.0.113.1", "203.0.113.2", "10.0.0.1", "127.0.0.1"} {
		p.ask(req(ip))
	}
	work()
	p.ask(req("203.0.113.2")) // cached: no second look-up
	work()
	mu.Lock()
	got := append([]string(nil), banned...)
	mu.Unlock()
	if len(got) != 1 || got[0] != "203.0.113.1" {
		t.Errorf("banned %v, want 203.0.113.1 alone", got)
	}
	if sc.count("203.0.113.2") != 1 || sc.count("10.0.0.1") != 0 || sc.count("127.0.0.1") != 0 {
		t.Errorf("look-ups: %v", sc.calls)
	}
	// The last of the budget, then the quota error: paused until reset.
	sc.score["203.0.113.9"] = 100 // ignored by the jail: never banned
	p.ask(req("203.0.113.9"))
	p.ask(req("203.0.113.3"))
	work()
	p.ask(req("203.0.113.4"))
	work()
	if sc.count("203.0.113.4") != 0 {
		t.Error("looked up while the quota is spent")
	}
	clk.Advance(time.Hour + time.Second)
	sc.mu.Lock()
	sc.budget = 10
	sc.mu.Unlock()
	p.ask(req("203.0.113.4"))
	work()
	if sc.count("203.0.113.4") != 1 {
		t.Error("not looked up after the quota's reset")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(banned) != 1 {
		t.Errorf("banned %v: an ignored address was banned", banned)
	}
}
