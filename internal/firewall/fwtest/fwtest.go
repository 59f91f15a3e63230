// Package fwtest is the contract every firewall.Backend passes: one
// suite, run against the in-memory fake and against each kernel backend
// inside a network namespace of its own.
package fwtest

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/firewall"
)

// Subject is a Backend under test and the way time passes for it.
type Subject struct {
	Backend firewall.Backend
	// Advance makes d pass for the backend (a fake clock's Advance).
	// Nil for a kernel backend, whose entries expire in real time: the
	// suite then waits for them, polling up to a deadline.
	Advance func(d time.Duration)
}

// The rules the suite sets up (functions: each call returns fresh slices).
func ruleSSH() firewall.Rule {
	return firewall.Rule{Name: "fwt-ssh", Protocols: []string{"tcp"},
		Ports: []firewall.PortRange{{From: 22, To: 22}, {From: 2222, To: 2222}}, Block: firewall.Reject}
}

func ruleMulti() firewall.Rule {
	return firewall.Rule{Name: "fwt-multi", Protocols: []string{"tcp", "udp"},
		Ports: []firewall.PortRange{{From: 53, To: 53}, {From: 1000, To: 2000}}, Block: firewall.Drop,
		Hooks: []firewall.Hook{firewall.Input, firewall.Forward}}
}

func ruleAll() firewall.Rule { return firewall.Rule{Name: "fwt-all", Block: firewall.Drop} }

// Contract runs the suite. newSubject returns a Backend with nothing set
// up; it is called once per subtest, and the subject's cleanup (a
// Teardown for a kernel backend) is registered by newSubject on t.
func Contract(t *testing.T, newSubject func(t *testing.T) Subject) {
	tests := []struct {
		name string
		f    func(t *testing.T, s Subject)
	}{
		{"SetupIdempotent", testSetupIdempotent},
		{"SetupInvalid", testSetupInvalid},
		{"ChangedRuleKeepsEntries", testChangedRule},
		{"RemovedRuleDropsSets", testRemovedRule},
		{"AddDeleteReplace", testAddDeleteReplace},
		{"Normalized", testNormalized},
		{"Expiry", testExpiry},
		{"Batch10k", testBatch},
		{"UnknownRule", testUnknownRule},
		{"Teardown", testTeardown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, newSubject(t)) })
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func setup(t *testing.T, b firewall.Backend, rules ...firewall.Rule) {
	t.Helper()
	if err := b.Setup(ctx(t), rules); err != nil {
		t.Fatalf("Setup(%v): %v", names(rules), err)
	}
}

func names(rules []firewall.Rule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, r.Name)
	}
	return out
}

func apply(t *testing.T, b firewall.Backend, changes ...firewall.Change) {
	t.Helper()
	if err := b.Apply(ctx(t), changes); err != nil {
		t.Fatalf("Apply(%d changes): %v", len(changes), err)
	}
}

func add(rule, prefix string, timeout time.Duration) firewall.Change {
	return firewall.Change{Rule: rule, Entry: firewall.Entry{Prefix: netip.MustParsePrefix(prefix), Timeout: timeout}}
}

func del(rule, prefix string) firewall.Change {
	return firewall.Change{Rule: rule, Delete: true, Entry: firewall.Entry{Prefix: netip.MustParsePrefix(prefix)}}
}

func entries(t *testing.T, b firewall.Backend, rule string) map[netip.Prefix]time.Duration {
	t.Helper()
	es, err := b.Entries(ctx(t), rule)
	if err != nil {
		t.Fatalf("Entries(%s): %v", rule, err)
	}
	m := make(map[netip.Prefix]time.Duration, len(es))
	for _, e := range es {
		if _, dup := m[e.Prefix]; dup {
			t.Errorf("Entries(%s): %s listed twice", rule, e.Prefix)
		}
		m[e.Prefix] = e.Timeout
	}
	return m
}

// slack is how much of an entry's timeout may pass between Apply and
// Entries in the kernel suites.
const slack = 5 * time.Second

// wantEntries checks a rule's entries: the prefixes listed in want and
// no other, each with its timeout (0: permanent) or a little less.
func wantEntries(t *testing.T, b firewall.Backend, rule string, want map[string]time.Duration) {
	t.Helper()
	got := entries(t, b, rule)
	for ps, wt := range want {
		p := netip.MustParsePrefix(ps)
		gt, ok := got[p]
		switch {
		case !ok:
			t.Errorf("rule %s: %s missing (have %v)", rule, p, got)
		case wt == 0 && gt != 0:
			t.Errorf("rule %s: %s timeout %v, want permanent", rule, p, gt)
		case wt != 0 && (gt > wt || gt <= wt-slack):
			t.Errorf("rule %s: %s timeout %v, want at most %v and more than %v", rule, p, gt, wt, wt-slack)
		}
		delete(got, p)
	}
	for p := range got {
		t.Errorf("rule %s: unexpected entry %s", rule, p)
	}
}

func testSetupIdempotent(t *testing.T, s Subject) {
	b := s.Backend
	if b.Name() == "" {
		t.Error("Name() is empty")
	}
	setup(t, b, ruleSSH(), ruleMulti(), ruleAll())
	setup(t, b, ruleSSH(), ruleMulti(), ruleAll())
	for _, r := range []firewall.Rule{ruleSSH(), ruleMulti(), ruleAll()} {
		wantEntries(t, b, r.Name, nil)
	}
	setup(t, b)
	setup(t, b)
}

func testSetupInvalid(t *testing.T, s Subject) {
	b := s.Backend
	setup(t, b, ruleSSH())
	apply(t, b, add(ruleSSH().Name, "192.0.2.1/32", 0))
	for _, rules := range [][]firewall.Rule{
		{{Name: "bad name"}},
		{ruleSSH(), ruleSSH()},
		{{Name: "x", Protocols: []string{"icmp"}}},
	} {
		if err := b.Setup(ctx(t), rules); err == nil {
			t.Errorf("Setup(%+v): no error", rules)
		}
	}
	// A refused Setup changed nothing.
	wantEntries(t, b, ruleSSH().Name, map[string]time.Duration{"192.0.2.1/32": 0})
}

func testChangedRule(t *testing.T, s Subject) {
	b := s.Backend
	setup(t, b, ruleSSH(), ruleAll())
	apply(t, b,
		add(ruleSSH().Name, "192.0.2.1/32", 0),
		add(ruleSSH().Name, "2001:db8::1/128", time.Hour),
		add(ruleSSH().Name, "198.51.100.0/24", 0),
		add(ruleAll().Name, "192.0.2.9/32", 0))
	changed := ruleSSH()
	changed.Protocols = []string{"tcp", "udp"}
	changed.Ports = []firewall.PortRange{{From: 80, To: 90}}
	changed.Block = firewall.Drop
	changed.Hooks = []firewall.Hook{firewall.Forward}
	allChanged := ruleAll()
	allChanged.Protocols = []string{"udp"}
	setup(t, b, changed, allChanged)
	wantEntries(t, b, ruleSSH().Name, map[string]time.Duration{
		"192.0.2.1/32": 0, "2001:db8::1/128": time.Hour, "198.51.100.0/24": 0})
	wantEntries(t, b, ruleAll().Name, map[string]time.Duration{"192.0.2.9/32": 0})
	setup(t, b, ruleSSH(), ruleAll()) // and back
	wantEntries(t, b, ruleSSH().Name, map[string]time.Duration{
		"192.0.2.1/32": 0, "2001:db8::1/128": time.Hour, "198.51.100.0/24": 0})
}

func testRemovedRule(t *testing.T, s Subject) {
	b := s.Backend
	setup(t, b, ruleSSH(), ruleMulti())
	apply(t, b, add(ruleMulti().Name, "192.0.2.1/32", 0), add(ruleSSH().Name, "192.0.2.2/32", 0))
	setup(t, b, ruleSSH())
	if _, err := b.Entries(ctx(t), ruleMulti().Name); err == nil {
		t.Errorf("Entries of a removed rule: no error")
	}
	if err := b.Apply(ctx(t), []firewall.Change{add(ruleMulti().Name, "192.0.2.3/32", 0)}); err == nil {
		t.Errorf("Apply to a removed rule: no error")
	}
	wantEntries(t, b, ruleSSH().Name, map[string]time.Duration{"192.0.2.2/32": 0})
	setup(t, b, ruleSSH(), ruleMulti())
	wantEntries(t, b, ruleMulti().Name, nil) // its sets went with it
}

func testAddDeleteReplace(t *testing.T, s Subject) {
	b := s.Backend
	setup(t, b, ruleSSH(), ruleMulti())
	apply(t, b,
		add(ruleSSH().Name, "192.0.2.1/32", 0),
		add(ruleSSH().Name, "192.0.2.2/32", time.Hour),
		add(ruleSSH().Name, "198.51.100.0/24", 2*time.Hour),
		add(ruleSSH().Name, "2001:db8::1/128", 0),
		add(ruleSSH().Name, "2001:db8:1::/64", time.Hour),
		add(ruleSSH().Name, "2001:db8:2::/64", 0),
		add(ruleMulti().Name, "192.0.2.1/32", 3*time.Hour))
	wantEntries(t, b, ruleSSH().Name, map[string]time.Duration{
		"192.0.2.1/32": 0, "192.0.2.2/32": time.Hour, "198.51.100.0/24": 2 * time.Hour,
		"2001:db8::1/128": 0, "2001:db8:1::/64": time.Hour, "2001:db8:2::/64": 0})
	wantEntries(t, b, ruleMulti().Name, map[string]time.Duration{"192.0.2.1/32": 3 * time.Hour})

	// Adding again replaces the timeout: longer, shorter, permanent, timed.
	apply(t, b,
		add(ruleSSH().Name, "192.0.2.2/32", 5*time.Hour),
		add(ruleSSH().Name, "198.51.100.0/24", time.Minute),
		add(ruleSSH().Name, "2001:db8:1::/64", 0),
		add(ruleSSH().Name, "2001:db8::1/128", 4*time.Hour))
	wantEntries(t, b, ruleSSH().Name, map[string]time.Duration{
		"192.0.2.1/32": 0, "192.0.2.2/32": 5 * time.Hour, "198.51.100.0/24": time.Minute,
		"2001:db8::1/128": 4 * time.Hour, "2001:db8:1::/64": 0, "2001:db8:2::/64": 0})

	// Delete, including absent entries and an add and delete in one batch.
	apply(t, b,
		del(ruleSSH().Name, "192.0.2.1/32"),
		del(ruleSSH().Name, "198.51.100.0/24"),
		del(ruleSSH().Name, "2001:db8:1::/64"),
		del(ruleSSH().Name, "203.0.113.7/32"),
		del(ruleSSH().Name, "2001:db8:9::/64"),
		add(ruleSSH().Name, "203.0.113.8/32", 0),
		del(ruleSSH().Name, "203.0.113.8/32"),
		del(ruleSSH().Name, "192.0.2.2/32"),
		add(ruleSSH().Name, "192.0.2.2/32", time.Hour))
	wantEntries(t, b, ruleSSH().Name, map[string]time.Duration{
		"192.0.2.2/32": time.Hour, "2001:db8::1/128": 4 * time.Hour, "2001:db8:2::/64": 0})
	wantEntries(t, b, ruleMulti().Name, map[string]time.Duration{"192.0.2.1/32": 3 * time.Hour})
}

func testNormalized(t *testing.T, s Subject) {
	b := s.Backend
	setup(t, b, ruleAll())
	apply(t, b,
		add(ruleAll().Name, "::ffff:192.0.2.5/128", 0),
		add(ruleAll().Name, "198.51.100.77/24", 0),
		add(ruleAll().Name, "2001:db8:5::77/64", 0))
	wantEntries(t, b, ruleAll().Name, map[string]time.Duration{
		"192.0.2.5/32": 0, "198.51.100.0/24": 0, "2001:db8:5::/64": 0})
	if err := b.Apply(ctx(t), []firewall.Change{{Rule: ruleAll().Name}}); err == nil {
		t.Error("Apply of an invalid prefix: no error")
	}
}

func testExpiry(t *testing.T, s Subject) {
	b := s.Backend
	setup(t, b, ruleSSH())
	apply(t, b,
		add(ruleSSH().Name, "192.0.2.1/32", time.Second),
		add(ruleSSH().Name, "198.51.100.0/24", time.Second),
		add(ruleSSH().Name, "2001:db8::1/128", time.Second),
		add(ruleSSH().Name, "2001:db8:1::/64", time.Second),
		add(ruleSSH().Name, "192.0.2.2/32", 0),
		add(ruleSSH().Name, "2001:db8::2/128", time.Hour))
	want := map[string]time.Duration{"192.0.2.2/32": 0, "2001:db8::2/128": time.Hour}
	if s.Advance != nil {
		s.Advance(999 * time.Millisecond)
		if n := len(entries(t, b, ruleSSH().Name)); n != 6 {
			t.Errorf("before the timeout: %d entries, want 6", n)
		}
		s.Advance(time.Millisecond)
		wantEntries(t, b, ruleSSH().Name, want)
		return
	}
	deadline := time.Now().Add(1*time.Second + slack)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for len(entries(t, b, ruleSSH().Name)) > len(want) && time.Now().Before(deadline) {
		<-tick.C
	}
	wantEntries(t, b, ruleSSH().Name, want)
}

func testBatch(t *testing.T, s Subject) {
	b := s.Backend
	setup(t, b, ruleSSH())
	const n = 10000
	adds := make([]firewall.Change, 0, n)
	dels := make([]firewall.Change, 0, n)
	for i := range n {
		var p netip.Prefix
		switch i % 4 {
		case 0:
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32)
		case 1:
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte{11, byte(i >> 8), byte(i), 0}), 24)
		case 2:
			p = netip.MustParsePrefix(fmt.Sprintf("2001:db8::%x/128", i))
		case 3:
			p = netip.MustParsePrefix(fmt.Sprintf("2001:db8:%x::/64", i))
		}
		var timeout time.Duration
		if i%2 == 0 {
			timeout = time.Hour
		}
		adds = append(adds, firewall.Change{Rule: ruleSSH().Name, Entry: firewall.Entry{Prefix: p, Timeout: timeout}})
		dels = append(dels, firewall.Change{Rule: ruleSSH().Name, Delete: true, Entry: firewall.Entry{Prefix: p}})
	}
	apply(t, b, adds...)
	got := entries(t, b, ruleSSH().Name)
	if len(got) != n {
		t.Fatalf("after %d adds: %d entries", n, len(got))
	}
	for _, c := range adds {
		if _, ok := got[c.Entry.Prefix]; !ok {
			t.Fatalf("after %d adds: %s missing", n, c.Entry.Prefix)
		}
	}
	apply(t, b, dels[:n/2]...)
	if got := len(entries(t, b, ruleSSH().Name)); got != n-n/2 {
		t.Errorf("after %d deletes: %d entries, want %d", n/2, got, n-n/2)
	}
	apply(t, b, dels...)
	wantEntries(t, b, ruleSSH().Name, nil)
}

func testUnknownRule(t *testing.T, s Subject) {
	b := s.Backend
	setup(t, b, ruleSSH())
	if err := b.Apply(ctx(t), []firewall.Change{add("fwt-none", "192.0.2.1/32", 0)}); err == nil {
		t.Error("Apply to a rule not set up: no error")
	}
	// One bad change fails the batch and applies nothing.
	err := b.Apply(ctx(t), []firewall.Change{add(ruleSSH().Name, "192.0.2.1/32", 0), add("fwt-none", "192.0.2.2/32", 0)})
	if err == nil {
		t.Error("Apply with a change to a rule not set up: no error")
	}
	wantEntries(t, b, ruleSSH().Name, nil)
	if _, err := b.Entries(ctx(t), "fwt-none"); err == nil {
		t.Error("Entries of a rule not set up: no error")
	}
}

func testTeardown(t *testing.T, s Subject) {
	b := s.Backend
	setup(t, b, ruleSSH(), ruleMulti(), ruleAll())
	apply(t, b, add(ruleSSH().Name, "192.0.2.1/32", 0), add(ruleMulti().Name, "2001:db8::/64", time.Hour))
	if err := b.Teardown(ctx(t)); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	for _, r := range []firewall.Rule{ruleSSH(), ruleMulti(), ruleAll()} {
		if _, err := b.Entries(ctx(t), r.Name); err == nil {
			t.Errorf("Entries(%s) after Teardown: no error", r.Name)
		}
	}
	if err := b.Apply(ctx(t), []firewall.Change{add(ruleSSH().Name, "192.0.2.1/32", 0)}); err == nil {
		t.Error("Apply after Teardown: no error")
	}
	if err := b.Teardown(ctx(t)); err != nil {
		t.Errorf("a second Teardown: %v", err)
	}
	setup(t, b, ruleSSH()) // usable again
	wantEntries(t, b, ruleSSH().Name, nil)
}
