// Package fake is an in-memory firewall.Backend for tests. Its entries
// expire on an injected clock, and a test can make its calls fail to
// exercise retries.
package fake

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/firewall"
)

// Operations a test can make fail with FailNext.
const (
	OpSetup    = "Setup"
	OpApply    = "Apply"
	OpEntries  = "Entries"
	OpTeardown = "Teardown"
)

// Backend is an in-memory firewall.Backend. It is safe for concurrent use.
type Backend struct {
	clock clock.Clock

	mu    sync.Mutex
	rules map[string]firewall.Rule
	sets  map[string]map[netip.Prefix]time.Time // rule -> prefix -> deadline (zero: permanent)
	fail  map[string][]error
	calls map[string]int
}

var _ firewall.Backend = (*Backend)(nil)

// New returns an empty Backend whose entries expire on c.
func New(c clock.Clock) *Backend {
	return &Backend{
		clock: c,
		rules: map[string]firewall.Rule{},
		sets:  map[string]map[netip.Prefix]time.Time{},
		fail:  map[string][]error{},
		calls: map[string]int{},
	}
}

// FailNext makes the next call of op (OpSetup, OpApply, ...) return err
// without changing anything. Calls queue: FailNext twice fails two calls.
func (b *Backend) FailNext(op string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fail[op] = append(b.fail[op], err)
}

// Calls is how many times op was called, failed calls included.
func (b *Backend) Calls(op string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls[op]
}

// Rules returns the rules set up, sorted by name.
func (b *Backend) Rules() []firewall.Rule {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]firewall.Rule, 0, len(b.rules))
	for _, r := range b.rules {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b firewall.Rule) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}

// Blocked tells whether a rule blocks addr now (addr is in one of the
// rule's entries that has not expired).
func (b *Backend) Blocked(rule string, addr netip.Addr) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	addr = addr.Unmap()
	for p, deadline := range b.sets[rule] {
		if p.Contains(addr) && (deadline.IsZero() || deadline.After(now)) {
			return true
		}
	}
	return false
}

// call counts a call of op and returns the error queued for it; b.mu is held.
func (b *Backend) call(op string) error {
	b.calls[op]++
	if q := b.fail[op]; len(q) > 0 {
		b.fail[op] = q[1:]
		return fmt.Errorf("fake %s: %w", op, q[0])
	}
	return nil
}

func (b *Backend) Name() string { return "fake" }

func (b *Backend) Setup(ctx context.Context, rules []firewall.Rule) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.call(OpSetup); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := firewall.ValidateRules(rules); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	keep := map[string]firewall.Rule{}
	for _, r := range rules {
		keep[r.Name] = r
		if b.sets[r.Name] == nil {
			b.sets[r.Name] = map[netip.Prefix]time.Time{}
		}
	}
	for name := range b.sets {
		if _, ok := keep[name]; !ok {
			delete(b.sets, name)
		}
	}
	b.rules = keep
	return nil
}

func (b *Backend) Apply(ctx context.Context, changes []firewall.Change) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.call(OpApply); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Check everything first: like a kernel transaction, a bad change
	// applies none.
	prefixes := make([]netip.Prefix, len(changes))
	for i, c := range changes {
		if _, ok := b.sets[c.Rule]; !ok {
			return fmt.Errorf("apply: rule %q not set up", c.Rule)
		}
		p, err := firewall.Normalize(c.Entry.Prefix)
		if err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		if c.Entry.Timeout < 0 {
			return fmt.Errorf("apply: %s: negative timeout", p)
		}
		prefixes[i] = p
	}
	now := b.clock.Now()
	for i, c := range changes {
		set := b.sets[c.Rule]
		if c.Delete {
			delete(set, prefixes[i])
			continue
		}
		var deadline time.Time
		if c.Entry.Timeout > 0 {
			deadline = now.Add(c.Entry.Timeout)
		}
		set[prefixes[i]] = deadline
	}
	return nil
}

func (b *Backend) Entries(ctx context.Context, rule string) ([]firewall.Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.call(OpEntries); err != nil {
		return nil, err
	}
	set, ok := b.sets[rule]
	if !ok {
		return nil, fmt.Errorf("entries: rule %q not set up", rule)
	}
	now := b.clock.Now()
	out := make([]firewall.Entry, 0, len(set))
	for p, deadline := range set {
		if deadline.IsZero() {
			out = append(out, firewall.Entry{Prefix: p})
			continue
		}
		if !deadline.After(now) {
			delete(set, p) // expired, as the kernel's garbage collector does
			continue
		}
		out = append(out, firewall.Entry{Prefix: p, Timeout: deadline.Sub(now)})
	}
	return out, nil
}

func (b *Backend) Teardown(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.call(OpTeardown); err != nil {
		return err
	}
	b.rules = map[string]firewall.Rule{}
	b.sets = map[string]map[netip.Prefix]time.Time{}
	return nil
}
