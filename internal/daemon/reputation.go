package daemon

import (
	"container/list"
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/wardenipd/warden/internal/abuseipdb"
	"github.com/wardenipd/warden/internal/ban"
	"github.com/wardenipd/warden/internal/clock"
)

// Reputation look-ups: a jail whose abuseipdb action sets
// abuseipdb_ban_score asks AbuseIPDB for the score of each new address at
// its first failure, and bans it at once when the score reaches the
// threshold. The look-ups run in one goroutine off the log path, from a
// bounded queue; answers are cached; the check endpoint's daily quota is
// respected (no look-up until its reset once it is spent).
const (
	reputationQueue    = 1024
	reputationCacheCap = 10_000
	reputationCacheTTL = 24 * time.Hour
)

// reputationReq is one address to look up for a jail.
type reputationReq struct {
	jail, ip, line string
	client         checker
	score, days    int
	banTime        time.Duration
}

// checker is what reputation needs of AbuseIPDB; *abuseipdb.Client is
// one.
type checker interface {
	Check(ctx context.Context, ip string, maxAgeInDays int, verbose bool) (*abuseipdb.CheckResult, error)
}

// reputation runs the look-ups.
type reputation struct {
	log     *slog.Logger
	clock   clock.Clock
	ban     func(ban.Ban) error
	ignored func(jail, ip string) bool
	queue   chan reputationReq

	mu      sync.Mutex
	cache   map[string]*list.Element // ip -> *cached
	order   *list.List               // oldest first
	pending map[string]bool          // queued or being looked up
	pause   time.Time                // quota spent: no look-up before
	dropped uint64
}

type cached struct {
	ip    string
	score int
	at    time.Time
}

func newReputation(log *slog.Logger, clk clock.Clock, banFn func(ban.Ban) error, ignored func(jail, ip string) bool) *reputation {
	return &reputation{log: log, clock: clk, ban: banFn, ignored: ignored, queue: make(chan reputationReq, reputationQueue),
		cache: map[string]*list.Element{}, order: list.New(), pending: map[string]bool{}}
}

// ask queues a look-up of r.ip unless its score is known (then it decides
// at once), one is pending, or the quota is spent; it never blocks.
func (p *reputation) ask(r reputationReq) {
	a, err := netip.ParseAddr(r.ip)
	if err != nil || !abuseipdb.Reportable(a.String()) {
		return
	}
	now := p.clock.Now()
	p.mu.Lock()
	if e, ok := p.cache[r.ip]; ok {
		c := e.Value.(*cached)
		if now.Sub(c.at) < reputationCacheTTL {
			p.mu.Unlock()
			p.decide(r, c.score)
			return
		}
		p.order.Remove(e)
		delete(p.cache, r.ip)
	}
	if p.pending[r.ip] || now.Before(p.pause) {
		p.mu.Unlock()
		return
	}
	select {
	case p.queue <- r:
		p.pending[r.ip] = true
	default:
		p.dropped++
	}
	p.mu.Unlock()
}

// run looks the queued addresses up until ctx is done.
func (p *reputation) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-p.queue:
			p.lookup(ctx, r)
		}
	}
}

func (p *reputation) lookup(ctx context.Context, r reputationReq) {
	defer func() {
		p.mu.Lock()
		delete(p.pending, r.ip)
		p.mu.Unlock()
	}()
	p.mu.Lock()
	paused := p.clock.Now().Before(p.pause)
	p.mu.Unlock()
	if paused {
		return
	}
	res, err := r.client.Check(ctx, r.ip, r.days, false)
	if err != nil {
		if abuseipdb.IsQuota(err) {
			var ae *abuseipdb.APIError
			until := p.clock.Now().Add(time.Hour)
			if errors.As(err, &ae) && !ae.RateLimit.Reset.IsZero() {
				until = ae.RateLimit.Reset
			}
			p.mu.Lock()
			p.pause = until
			p.mu.Unlock()
			p.log.Warn("AbuseIPDB check quota spent: reputation look-ups paused", "until", until)
			return
		}
		p.log.Warn("AbuseIPDB check failed", "ip", r.ip, "err", err)
		return
	}
	now := p.clock.Now()
	p.mu.Lock()
	if res.RateLimit.Known() && res.RateLimit.Remaining == 0 && !res.RateLimit.Reset.IsZero() {
		p.pause = res.RateLimit.Reset
	}
	p.cache[r.ip] = p.order.PushBack(&cached{ip: r.ip, score: res.AbuseConfidenceScore, at: now})
	for p.order.Len() > reputationCacheCap {
		old := p.order.Front()
		p.order.Remove(old)
		delete(p.cache, old.Value.(*cached).ip)
	}
	p.mu.Unlock()
	p.decide(r, res.AbuseConfidenceScore)
}

// decide bans r's address when its score reaches the jail's threshold.
func (p *reputation) decide(r reputationReq, score int) {
	if score < r.score || p.ignored(r.jail, r.ip) {
		return
	}
	b := ban.Ban{Jail: r.jail, IP: r.ip, Time: p.clock.Now(), BanTime: r.banTime, Count: 1, Failures: 1}
	if r.line != "" {
		b.Matches = []string{r.line}
	}
	p.log.Info("AbuseIPDB reputation: banned at the first failure", "jail", r.jail, "ip", r.ip, "score", score, "threshold", r.score)
	if err := p.ban(b); err != nil {
		p.log.Error("reputation ban not recorded", "jail", r.jail, "ip", r.ip, "err", err)
	}
}
