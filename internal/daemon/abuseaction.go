package daemon

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/wardenipd/warden/internal/abuseipdb"
	"github.com/wardenipd/warden/internal/ban"
	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/store"
)

// abuseAction reports the bans of the jails with a native abuseipdb
// action. A ban is written to the store's outbox before its event is
// acknowledged, and a Reporter per API key and URL sends the outbox in
// its own goroutine: reports survive restarts and outages, and a slow
// AbuseIPDB never delays a ban.
type abuseAction struct {
	log       *slog.Logger
	clock     clock.Clock
	store     *store.Store
	configDir string
	// ignored tells whether a jail ignores an address (ignoreip,
	// ignoreself): such addresses are never reported, even when banned
	// by hand.
	ignored func(jail, ip string) bool
	own     own // the host's names and addresses

	mu        sync.Mutex
	ctx       context.Context // the reporters' parent: the daemon's
	reporters map[string]*abuseReporter
	jails     map[string][]abuseTarget
}

// abuseReporter is one running Reporter.
type abuseReporter struct {
	rep    *abuseipdb.Reporter
	client *abuseipdb.Client
	cancel context.CancelFunc
	done   chan struct{}
}

// abuseTarget is one abuseipdb action of a jail.
type abuseTarget struct {
	name string
	rep  *abuseReporter
	set  abuseipdb.Settings
}

func newAbuseAction(ctx context.Context, log *slog.Logger, clk clock.Clock, st *store.Store, configDir string, ignored func(jail, ip string) bool) *abuseAction {
	return &abuseAction{log: log, clock: clk, store: st, configDir: configDir, ignored: ignored, ctx: ctx, own: ownNames(),
		reporters: map[string]*abuseReporter{}, jails: map[string][]abuseTarget{}}
}

func (a *abuseAction) Name() string { return "abuseipdb" }

// reporterKey names a reporter by URL and key without keeping the key in
// a map key that might be printed.
func reporterKey(s abuseipdb.Settings) string {
	h := sha256.Sum256([]byte(s.URL + "\x00" + s.Key))
	return fmt.Sprintf("%x", h[:8])
}

// configure reads the abuseipdb actions of jails, starts a reporter for
// each new key and URL, and stops those no jail uses any more. It returns
// the problems of actions left out (no key, no category...).
func (a *abuseAction) configure(jails []*config.Jail) error {
	var probs []error
	next := map[string][]abuseTarget{}
	want := map[string]abuseipdb.Settings{}
	for _, j := range jails {
		for _, act := range j.Actions {
			if act.Native != "abuseipdb" {
				continue
			}
			s, err := abuseipdb.SettingsFromParams(stringParams(act.Params), a.configDir, os.Getenv)
			if err != nil {
				probs = append(probs, fmt.Errorf("jail [%s]: action %s: %w", j.Name, act.Name, err))
				continue
			}
			if s.KeyFileReadableByAll {
				a.log.Warn("the AbuseIPDB key file is readable by every user", "jail", j.Name, "file", s.KeyFrom)
			}
			k := reporterKey(s)
			want[k] = s
			next[j.Name] = append(next[j.Name], abuseTarget{name: act.Name, set: s})
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var stop []*abuseReporter
	for k, r := range a.reporters {
		if _, ok := want[k]; !ok {
			stop = append(stop, r)
			delete(a.reporters, k)
		}
	}
	for k, s := range want {
		if a.reporters[k] != nil {
			continue
		}
		r, err := a.start(s)
		if err != nil {
			probs = append(probs, fmt.Errorf("AbuseIPDB reporter for %s: %w", s.URL, err))
			continue
		}
		a.reporters[k] = r
	}
	for jail, ts := range next {
		kept := ts[:0]
		for _, t := range ts {
			if t.rep = a.reporters[reporterKey(t.set)]; t.rep != nil {
				kept = append(kept, t)
			}
		}
		next[jail] = kept
	}
	a.jails = next
	for _, r := range stop {
		r.cancel()
		<-r.done
	}
	return errors.Join(probs...)
}

// start makes a client and a reporter for s and runs the reporter.
func (a *abuseAction) start(s abuseipdb.Settings) (*abuseReporter, error) {
	c, err := abuseipdb.New(abuseipdb.Options{BaseURL: s.URL, Key: s.Key, UserAgent: "warden"})
	if err != nil {
		return nil, err
	}
	rep := abuseipdb.NewReporter(c, a.store, a.clock, a.log, abuseipdb.ReporterOptions{
		Clean: abuseipdb.CleanOptions{Hostnames: a.own.names, Addrs: a.own.addrs, HideUsers: s.HideUsers},
		Skip:  a.own.has,
	})
	ctx, cancel := context.WithCancel(a.ctx)
	r := &abuseReporter{rep: rep, client: c, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if err := rep.Run(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("AbuseIPDB reporter stopped", "err", err)
		}
	}()
	return r, nil
}

// reputationFor returns a look-up request for a failure of ip in jail
// when one of the jail's abuseipdb actions asks for reputation bans.
func (a *abuseAction) reputationFor(jail, ip, line string, banTime time.Duration) (reputationReq, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, t := range a.jails[jail] {
		if t.set.BanScore > 0 {
			return reputationReq{jail: jail, ip: ip, line: line, client: t.rep.client, score: t.set.BanScore,
				days: t.set.CheckDays, banTime: banTime}, true
		}
	}
	return reputationReq{}, false
}

// stop stops every reporter; what is queued stays in the outbox.
func (a *abuseAction) stop() {
	a.mu.Lock()
	rs := a.reporters
	a.reporters = map[string]*abuseReporter{}
	a.jails = map[string][]abuseTarget{}
	a.mu.Unlock()
	for _, r := range rs {
		r.cancel()
		<-r.done
	}
}

// Handle queues the report of a new ban. Restored bans were reported
// before the restart (fail2ban's norestored), prolongs and unbans are not
// reported; nor are subnets (AbuseIPDB takes single addresses) and the
// addresses the jail ignores.
func (a *abuseAction) Handle(ctx context.Context, e ban.Event) error {
	if e.Kind != ban.KindBan {
		return nil
	}
	a.mu.Lock()
	ts := a.jails[e.Ban.Jail]
	a.mu.Unlock()
	if len(ts) == 0 {
		return nil
	}
	if _, err := netip.ParseAddr(e.Ban.IP); err != nil {
		a.log.Debug("AbuseIPDB: a subnet ban is not reported", "jail", e.Ban.Jail, "ip", e.Ban.IP)
		return nil
	}
	if a.ignored(e.Ban.Jail, e.Ban.IP) {
		a.log.Debug("AbuseIPDB: an ignored address is not reported", "jail", e.Ban.Jail, "ip", e.Ban.IP)
		return nil
	}
	var errs []error
	for _, t := range ts {
		err := t.rep.rep.Enqueue(ctx, abuseipdb.Item{IP: e.Ban.IP, Jail: e.Ban.Jail, Categories: t.set.Categories,
			Matches: e.Ban.Matches, Time: e.Ban.Time})
		if errors.Is(err, abuseipdb.ErrCategories) {
			err = ban.Permanent(err)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("action %s: %w", t.name, err))
		}
	}
	return errors.Join(errs...)
}

// own is the host's names and addresses: never reported, and replaced in
// the comments.
type own struct {
	names []string
	addrs []string
	set   map[string]bool
}

func (o own) has(ip string) bool { return o.set[ip] }

func ownNames() own {
	var o own
	o.set = map[string]bool{}
	if h, err := os.Hostname(); err == nil && h != "" {
		o.names = append(o.names, h)
	}
	if addrs, err := selfAddrs(); err == nil {
		for _, ad := range addrs {
			s := ad.Unmap().String()
			o.addrs = append(o.addrs, s)
			o.set[s] = true
		}
	}
	return o
}
