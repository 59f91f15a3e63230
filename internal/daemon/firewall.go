package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wardenipd/warden/internal/ban"
	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/firewall"
	"github.com/wardenipd/warden/internal/firewall/ipt"
)

// FirewallOpener opens the firewall backend of a kind: "nftables" or
// "iptables" (the native implementations config names).
type FirewallOpener func(kind string) (firewall.Backend, error)

// servicesFile maps service names to ports (port = ssh,https).
const servicesFile = "/etc/services"

// fwTarget is one firewall rule a jail's bans go to.
type fwTarget struct {
	kind string // the backend
	rule string // the rule's name in it
}

// fwAction applies the bans of every jail with a native firewall action
// to the kernel, in batches. It is one ban.Action for all jails, so that
// thousands of bans of several jails go to the kernel in one batch; the
// jails' rules are set with configure, at start and on every reload.
type fwAction struct {
	log   *slog.Logger
	clock clock.Clock
	open  FirewallOpener

	mu       sync.Mutex // serialises kernel operations and guards the maps
	backends map[string]firewall.Backend
	jails    map[string][]fwTarget
	fellBack bool // the iptables actions use the nftables backend
	// blacklist adds the rule of AbuseIPDB's blacklist (blacklistRule)
	// to the nftables backend's.
	blacklist bool
	last      []*config.Jail
	// failed is set when a batch fails: the next resync sets the kernel
	// right whatever the retries did.
	failed atomic.Bool
}

func newFwAction(log *slog.Logger, clk clock.Clock, open FirewallOpener) *fwAction {
	return &fwAction{log: log, clock: clk, open: open, backends: map[string]firewall.Backend{}, jails: map[string][]fwTarget{}}
}

func (f *fwAction) Name() string { return "firewall" }

func (f *fwAction) Handle(ctx context.Context, e ban.Event) error {
	return f.HandleBatch(ctx, []ban.Event{e})
}

// HandleBatch turns the events into changes of the jails' rules and
// applies them, one Apply per backend. Retrying a batch is harmless: an
// add replaces the entry, a delete of an absent entry is no error.
func (f *fwAction) HandleBatch(ctx context.Context, evs []ban.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	byKind := map[string][]firewall.Change{}
	for _, e := range evs {
		targets := f.jails[e.Ban.Jail]
		if len(targets) == 0 {
			continue
		}
		p, err := banPrefix(e.Ban.IP)
		if err != nil {
			f.log.Error("firewall: ban of an unusable address skipped", "jail", e.Ban.Jail, "ip", e.Ban.IP, "err", err)
			continue
		}
		ch := firewall.Change{Entry: firewall.Entry{Prefix: p}}
		if e.Kind == ban.KindUnban {
			ch.Delete = true
		} else {
			left, ok := timeLeft(e.Ban, now)
			if !ok {
				continue // over already: its unban follows
			}
			ch.Entry.Timeout = left
		}
		for _, t := range targets {
			c := ch
			c.Rule = t.rule
			if !c.Delete {
				c.Entry.Timeout = kernelTimeout(t.kind, c.Entry.Timeout)
			}
			byKind[t.kind] = append(byKind[t.kind], c)
		}
	}
	var errs []error
	for _, kind := range sortedKeys(byKind) {
		if err := f.backends[kind].Apply(ctx, byKind[kind]); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", kind, err))
		}
	}
	if len(errs) > 0 {
		f.failed.Store(true)
	}
	return errors.Join(errs...)
}

// resync sets the kernel's rules and entries right again after a failed
// batch (whose retries may have been given up), from the active bans; it
// does nothing when no batch failed since the last one.
func (f *fwAction) resync(ctx context.Context, active func(jail string) []ban.Ban) error {
	if !f.failed.Swap(false) {
		return nil
	}
	f.mu.Lock()
	jails := f.last
	f.mu.Unlock()
	_, err := f.configure(ctx, jails, active)
	if err != nil {
		f.failed.Store(true)
	}
	return err
}

// configure sets the kernel's rules to those of jails' firewall actions
// and their entries to the jails' active bans (active returns them):
// rules of jails gone are removed, new rules are filled, entries the
// kernel holds without an active ban (lifted while Warden was stopped)
// are deleted. An action whose parameters are wrong is reported in the
// returned error and left out; the other jails are set up all the same.
// An error of the kernel itself stops it and is returned as fatal.
func (f *fwAction) configure(ctx context.Context, jails []*config.Jail, active func(jail string) []ban.Ban) (problems error, fatal error) {
	var probs []error
	var lookup firewall.LookupFunc
	if st, err := firewall.Services(servicesFile); err == nil {
		lookup = st.Lookup
	} else {
		f.log.Warn("firewall: no service names; ports must be given as numbers", "err", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// The backends the actions name; a host without iptables or ipset
	// gets the nftables backend for fail2ban's iptables names.
	kindOf := map[string]string{}
	for _, j := range jails {
		for _, a := range j.Actions {
			if a.Native != "nftables" && a.Native != "iptables" {
				continue
			}
			if _, done := kindOf[a.Native]; done {
				continue
			}
			kind, err := f.backend(a.Native)
			if err != nil {
				return errors.Join(probs...), err
			}
			kindOf[a.Native] = kind
		}
	}
	rules := map[string][]firewall.Rule{}
	targets := map[string][]fwTarget{}
	used := map[string]bool{} // kind + "\x00" + rule name
	for _, j := range jails {
		for _, a := range j.Actions {
			kind, ok := kindOf[a.Native]
			if !ok {
				continue
			}
			params := stringParams(a.Params)
			r, err := firewall.RuleFromParams(a.File, params, lookup)
			if err != nil {
				probs = append(probs, fmt.Errorf("jail [%s]: %w", j.Name, err))
				continue
			}
			base := params["name"]
			if base == "" {
				base = j.Name
			}
			name := firewall.SafeName(base)
			for i := 2; used[kind+"\x00"+name]; i++ {
				// Two jails (or two actions of one) with the same name
				// get rules of their own: an unban in one must not
				// lift the other's ban.
				name = firewall.SafeName(base + "-" + j.Name + "-" + strconv.Itoa(i))
			}
			used[kind+"\x00"+name] = true
			r.Name = name
			rules[kind] = append(rules[kind], r)
			targets[j.Name] = append(targets[j.Name], fwTarget{kind: kind, rule: name})
		}
	}
	if f.blacklist {
		if _, err := f.backend("nftables"); err != nil {
			return errors.Join(probs...), err
		}
		rules["nftables"] = append(rules["nftables"], blacklistRule)
	}
	for _, kind := range sortedKeys(f.backends) {
		if err := f.backends[kind].Setup(ctx, rules[kind]); err != nil {
			if errors.Is(err, syscall.EPERM) || errors.Is(err, os.ErrPermission) {
				err = fmt.Errorf("%w (the firewall needs root or CAP_NET_ADMIN; --dry-run runs without it)", err)
			}
			return errors.Join(probs...), fmt.Errorf("%s: set up the rules: %w", kind, err)
		}
	}
	f.jails = targets
	f.last = jails

	now := f.clock.Now()
	for _, jail := range sortedKeys(targets) {
		want := map[netip.Prefix]time.Duration{}
		for _, b := range active(jail) {
			p, err := banPrefix(b.IP)
			if err != nil {
				continue
			}
			if left, ok := timeLeft(b, now); ok {
				want[p] = left
			}
		}
		for _, t := range targets[jail] {
			be := f.backends[t.kind]
			have, err := be.Entries(ctx, t.rule)
			if err != nil {
				return errors.Join(probs...), fmt.Errorf("%s: list %s: %w", t.kind, t.rule, err)
			}
			var chs []firewall.Change
			present := make(map[netip.Prefix]bool, len(have))
			for _, e := range have {
				if _, ok := want[e.Prefix]; ok {
					present[e.Prefix] = true
					continue
				}
				chs = append(chs, firewall.Change{Rule: t.rule, Delete: true, Entry: e})
			}
			for p, left := range want {
				if !present[p] {
					chs = append(chs, firewall.Change{Rule: t.rule, Entry: firewall.Entry{Prefix: p, Timeout: kernelTimeout(t.kind, left)}})
				}
			}
			if len(chs) == 0 {
				continue
			}
			if err := be.Apply(ctx, chs); err != nil {
				return errors.Join(probs...), fmt.Errorf("%s: reconcile %s: %w", t.kind, t.rule, err)
			}
			f.log.Info("firewall reconciled with the ban store", "backend", t.kind, "rule", t.rule, "changes", len(chs))
		}
	}
	return errors.Join(probs...), nil
}

// setBlacklist says whether the next configure sets up the rule of
// AbuseIPDB's blacklist.
func (f *fwAction) setBlacklist(on bool) {
	f.mu.Lock()
	f.blacklist = on
	f.mu.Unlock()
}

// blacklistEntries returns the entries of the blacklist's rule; false
// when it is not set up.
func (f *fwAction) blacklistEntries(ctx context.Context) ([]firewall.Entry, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.backends["nftables"]
	if !f.blacklist || b == nil {
		return nil, false, nil
	}
	es, err := b.Entries(ctx, blacklistRule.Name)
	return es, true, err
}

// setBlacklistEntries makes the blacklist's rule hold exactly prefixes,
// each for timeout.
func (f *fwAction) setBlacklistEntries(ctx context.Context, prefixes []netip.Prefix, timeout time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.backends["nftables"]
	if !f.blacklist || b == nil {
		return errors.New("the blacklist's firewall rule is not set up")
	}
	have, err := b.Entries(ctx, blacklistRule.Name)
	if err != nil {
		return err
	}
	want := make(map[netip.Prefix]bool, len(prefixes))
	var chs []firewall.Change
	for _, p := range prefixes {
		if !want[p] {
			want[p] = true
			// Added again: the timeout starts anew.
			chs = append(chs, firewall.Change{Rule: blacklistRule.Name, Entry: firewall.Entry{Prefix: p, Timeout: timeout}})
		}
	}
	for _, e := range have {
		if !want[e.Prefix] {
			chs = append(chs, firewall.Change{Rule: blacklistRule.Name, Delete: true, Entry: e})
		}
	}
	return b.Apply(ctx, chs)
}

// backend opens the backend of kind unless it is open, and returns the
// kind of the backend to use: nftables stands in for iptables on a host
// without the iptables or ipset programs. Called with f.mu held.
func (f *fwAction) backend(kind string) (string, error) {
	if f.backends[kind] != nil {
		return kind, nil
	}
	if kind == "iptables" && f.backends["nftables"] != nil && f.fellBack {
		return "nftables", nil
	}
	b, err := f.open(kind)
	if err == nil {
		f.backends[kind] = b
		return kind, nil
	}
	if kind != "iptables" {
		return "", fmt.Errorf("open the %s firewall: %w", kind, err)
	}
	f.log.Warn("firewall: the iptables backend is not available; fail2ban's iptables actions use the nftables backend", "err", err)
	f.fellBack = true
	return f.backend("nftables")
}

// teardown removes Warden's rules and sets from the kernel.
func (f *fwAction) teardown(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	for _, kind := range sortedKeys(f.backends) {
		if err := f.backends[kind].Teardown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: remove the rules: %w", kind, err))
		}
	}
	return errors.Join(errs...)
}

// banPrefix is the prefix a ban blocks: an address as a /32 or /128, a
// prefix as it is, in firewall.Normalize's form (IPv4-mapped IPv6 as
// IPv4, host bits cleared).
func banPrefix(ip string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(ip)
	if err != nil {
		a, aerr := netip.ParseAddr(ip)
		if aerr != nil {
			return netip.Prefix{}, err
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	return firewall.Normalize(p)
}

// timeLeft is the kernel timeout for a ban at now: 0 for a permanent
// ban; false when it is over. Partial seconds count as a whole one, so
// the kernel never lifts a ban before Warden would.
func timeLeft(b ban.Ban, now time.Time) (time.Duration, bool) {
	if b.Permanent() {
		return 0, true
	}
	left := b.End().Sub(now)
	if left <= 0 {
		return 0, false
	}
	return left.Truncate(time.Second) + time.Second, true
}

// kernelTimeout is the timeout a backend is given for a ban with left to
// run: ipset keeps at most ipt.MaxTimeout (about 24.8 days), so a longer
// ban has none there (0, permanent) and ends by Warden's unban, rather
// than by the kernel before its time.
func kernelTimeout(kind string, left time.Duration) time.Duration {
	if kind == "iptables" && left > ipt.MaxTimeout {
		return 0
	}
	return left
}

// stringParams renders an action's parameters as the strings its
// action.d file would give.
func stringParams(p map[string]any) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		switch x := v.(type) {
		case string:
			out[k] = x
		case bool:
			out[k] = strconv.FormatBool(x)
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
