package ipt

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/firewall"
)

// tables returns `iptables -S` or `ip6tables -S` of variant v.
func tables(t testing.TB, v string, v6 bool) string {
	t.Helper()
	name := "iptables"
	if v6 {
		name = "ip6tables"
	}
	if v != "" {
		name += "-" + v
	}
	return command(t, name, "-w", "-S")
}

func sets(t testing.TB) []string {
	t.Helper()
	return strings.Fields(command(t, "ipset", "list", "-n"))
}

func pfx(s string) netip.Prefix {
	if !strings.Contains(s, "/") {
		a := netip.MustParseAddr(s)
		return netip.PrefixFrom(a, a.BitLen())
	}
	return netip.MustParsePrefix(s)
}

func add(rule, p string, d time.Duration) firewall.Change {
	return firewall.Change{Rule: rule, Entry: firewall.Entry{Prefix: pfx(p), Timeout: d}}
}

func del(rule, p string) firewall.Change {
	return firewall.Change{Rule: rule, Delete: true, Entry: firewall.Entry{Prefix: pfx(p)}}
}

// entryMap lists a rule's entries as prefix -> timeout.
func entryMap(t testing.TB, b *Backend, rule string) map[string]time.Duration {
	t.Helper()
	es, err := b.Entries(testCtx(t), rule)
	if err != nil {
		t.Fatalf("entries of %s: %v", rule, err)
	}
	m := map[string]time.Duration{}
	for _, e := range es {
		m[e.Prefix.String()] = e.Timeout
	}
	return m
}

func lines(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }

func TestKernelSetupApplyTeardown(t *testing.T) {
	for _, v := range variants() {
		t.Run(variantName(v), func(t *testing.T) {
			b := newBackend(t, v)
			ctx := testCtx(t)
			ssh := firewall.Rule{Name: "sshd", Protocols: []string{"tcp"},
				Ports: []firewall.PortRange{{From: 22, To: 22}, {From: 80, To: 90}}}
			all := firewall.Rule{Name: "all.x-1", Block: firewall.Reject,
				Hooks: []firewall.Hook{firewall.Input, firewall.Forward}}
			if err := b.Setup(ctx, []firewall.Rule{ssh, all}); err != nil {
				t.Fatal(err)
			}
			// Setup is idempotent: no second jump.
			if err := b.Setup(ctx, []firewall.Rule{ssh, all}); err != nil {
				t.Fatal(err)
			}
			for _, v6 := range []bool{false, true} {
				got := lines(tables(t, v, v6))
				icmp := "icmp-port-unreachable"
				if v6 {
					icmp = "icmp6-port-unreachable"
				}
				fam := "4"
				if v6 {
					fam = "6"
				}
				for _, want := range []string{
					"-N wdn-sshd",
					"-N wdn-all.x-1",
					"-A INPUT -j wdn-sshd",
					"-A INPUT -j wdn-all.x-1",
					"-A FORWARD -j wdn-all.x-1",
					"-A wdn-sshd -p tcp -m multiport --dports 22,80:90 -m set --match-set wdn-sshd-" + fam + " src -j DROP",
					"-A wdn-all.x-1 -m set --match-set wdn-all.x-1-" + fam + " src -j REJECT --reject-with " + icmp,
				} {
					if n := count(got, want); n != 1 {
						t.Errorf("v6=%v: %q appears %d times in\n%s", v6, want, n, strings.Join(got, "\n"))
					}
				}
			}
			for _, s := range []string{"wdn-sshd-4", "wdn-sshd-6", "wdn-all.x-1-4", "wdn-all.x-1-6"} {
				if !slices.Contains(sets(t), s) {
					t.Errorf("set %s missing: %v", s, sets(t))
				}
			}

			if err := b.Apply(ctx, []firewall.Change{
				add("sshd", "192.0.2.1", time.Hour),
				add("sshd", "198.51.100.0/24", 0),
				add("sshd", "2001:db8::1", 30*time.Minute),
				add("sshd", "2001:db8:1::/64", 1500*time.Millisecond),
				add("sshd", "::ffff:203.0.113.9", time.Minute), // IPv4-mapped: an IPv4 entry
				add("all.x-1", "192.0.2.1", time.Hour),
				del("sshd", "192.0.2.200"), // absent: not an error
			}); err != nil {
				t.Fatal(err)
			}
			got := entryMap(t, b, "sshd")
			want := map[string][2]time.Duration{
				"192.0.2.1/32":    {time.Hour - 5*time.Second, time.Hour},
				"198.51.100.0/24": {0, 0},
				"2001:db8::1/128": {30*time.Minute - 5*time.Second, 30 * time.Minute},
				"2001:db8:1::/64": {time.Second, 2 * time.Second},
				"203.0.113.9/32":  {time.Minute - 5*time.Second, time.Minute},
			}
			checkEntries(t, got, want)

			// Adding again replaces the timeout; deleting removes.
			if err := b.Apply(ctx, []firewall.Change{
				add("sshd", "192.0.2.1", 10*time.Second),
				add("sshd", "198.51.100.0/24", time.Hour),
				del("sshd", "2001:db8::1"),
				del("sshd", "203.0.113.9"),
			}); err != nil {
				t.Fatal(err)
			}
			checkEntries(t, entryMap(t, b, "sshd"), map[string][2]time.Duration{
				"192.0.2.1/32":    {5 * time.Second, 10 * time.Second},
				"198.51.100.0/24": {time.Hour - 5*time.Second, time.Hour},
				"2001:db8:1::/64": {0, 2 * time.Second},
			})

			// A changed rule keeps its entries; a rule left out goes.
			ssh2 := ssh
			ssh2.Protocols = []string{"udp", "tcp"}
			ssh2.Ports = []firewall.PortRange{{From: 53, To: 53}}
			ssh2.Hooks = []firewall.Hook{firewall.Forward}
			if err := b.Setup(ctx, []firewall.Rule{ssh2}); err != nil {
				t.Fatal(err)
			}
			if _, ok := entryMap(t, b, "sshd")["198.51.100.0/24"]; !ok {
				t.Errorf("a changed rule lost its entries")
			}
			for _, v6 := range []bool{false, true} {
				got := tables(t, v, v6)
				fam := map[bool]string{false: "4", true: "6"}[v6]
				wantRules := "-A FORWARD -j wdn-sshd\n" +
					"-A wdn-sshd -p udp -m multiport --dports 53 -m set --match-set wdn-sshd-" + fam + " src -j DROP\n" +
					"-A wdn-sshd -p tcp -m multiport --dports 53 -m set --match-set wdn-sshd-" + fam + " src -j DROP"
				if !strings.Contains(got, wantRules) || strings.Contains(got, "all.x-1") ||
					strings.Contains(got, "-A INPUT -j wdn-sshd") || strings.Contains(got, "22,80:90") {
					t.Errorf("v6=%v: after the change:\n%s\nwant only:\n%s", v6, got, wantRules)
				}
			}
			if s := sets(t); slices.Contains(s, "wdn-all.x-1-4") || slices.Contains(s, "wdn-all.x-1-6") {
				t.Errorf("sets of a removed rule remain: %v", s)
			}
			if err := b.Apply(ctx, []firewall.Change{add("all.x-1", "192.0.2.1", 0)}); err == nil {
				t.Errorf("apply to a removed rule: no error")
			}
			if _, err := b.Entries(ctx, "nope"); err == nil {
				t.Errorf("entries of an unknown rule: no error")
			}

			if err := b.Teardown(ctx); err != nil {
				t.Fatal(err)
			}
			for _, v6 := range []bool{false, true} {
				if got := tables(t, v, v6); strings.Contains(got, "wdn-") {
					t.Errorf("v6=%v: teardown left\n%s", v6, got)
				}
			}
			if s := sets(t); len(s) != 0 {
				t.Errorf("teardown left sets %v", s)
			}
		})
	}
}

func count(lines []string, s string) int {
	n := 0
	for _, l := range lines {
		if l == s {
			n++
		}
	}
	return n
}

// checkEntries compares entries with the wanted timeout ranges.
func checkEntries(t testing.TB, got map[string]time.Duration, want map[string][2]time.Duration) {
	t.Helper()
	for p, r := range want {
		d, ok := got[p]
		if !ok {
			t.Errorf("entry %s missing from %v", p, got)
			continue
		}
		if d < r[0] || d > r[1] {
			t.Errorf("entry %s: timeout %v, want %v..%v", p, d, r[0], r[1])
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("unexpected entry %s", p)
		}
	}
}

func TestKernelManyPorts(t *testing.T) {
	b := newBackend(t, "")
	var ports []firewall.PortRange
	for p := uint16(1000); p < 1020; p++ { // 20 ports: two multiport rules
		ports = append(ports, firewall.PortRange{From: p, To: p})
	}
	r := firewall.Rule{Name: "many", Protocols: []string{"tcp"}, Ports: ports}
	if err := b.Setup(testCtx(t), []firewall.Rule{r}); err != nil {
		t.Fatal(err)
	}
	got := tables(t, "", false)
	if n := strings.Count(got, "-A wdn-many -p tcp -m multiport"); n != 2 {
		t.Errorf("%d multiport rules, want 2:\n%s", n, got)
	}
}

// TestKernelLimits checks what ipset cannot hold as asked: a timeout
// longer than MaxTimeout is cut to it; and that a set made with another
// capacity is kept with its entries.
func TestKernelLimits(t *testing.T) {
	b := newBackend(t, "")
	ctx := testCtx(t)
	if err := b.Setup(ctx, []firewall.Rule{{Name: "lim"}}); err != nil {
		t.Fatal(err)
	}
	changes := append(manyAdds("lim", 100), add("lim", "192.0.2.9", 1000*time.Hour))
	if err := b.Apply(ctx, changes); err != nil {
		t.Fatal(err)
	}
	if d := entryMap(t, b, "lim")["192.0.2.9/32"]; d < MaxTimeout-10*time.Second || d > MaxTimeout {
		t.Errorf("a 1000 h timeout is %v, want MaxTimeout %v", d, MaxTimeout)
	}
	b2, err := New(Options{MaxElem: 20000})
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.Setup(ctx, []firewall.Rule{{Name: "lim", Protocols: []string{"udp"}}}); err != nil {
		t.Fatal(err)
	}
	if got := len(entryMap(t, b2, "lim")); got != len(changes) {
		t.Fatalf("after a Setup of another capacity: %d entries, want %d", got, len(changes))
	}
	if out := command(t, "ipset", "list", "-t", "wdn-lim-4"); !strings.Contains(out, "maxelem 1048576") {
		t.Errorf("the set is not the one of DefaultMaxElem:\n%s", out)
	}
}

// manyAdds returns n adds of distinct sources, a fifth of them IPv6.
func manyAdds(rule string, n int) []firewall.Change {
	changes := make([]firewall.Change, n)
	for i := range changes {
		var a netip.Addr
		if i%5 == 4 {
			a = netip.MustParseAddr(fmt.Sprintf("2001:db8::%x:%x", i>>16, i&0xffff))
		} else {
			a = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		}
		changes[i] = firewall.Change{Rule: rule, Entry: firewall.Entry{
			Prefix: netip.PrefixFrom(a, a.BitLen()), Timeout: time.Hour}}
	}
	return changes
}

// BenchmarkApply100k times one Apply of 100,000 adds into empty sets.
func BenchmarkApply100k(b *testing.B) {
	be := newBackend(b, "")
	ctx := testCtx(b)
	changes := manyAdds("bench", 100000)
	for b.Loop() {
		b.StopTimer()
		if err := be.Setup(ctx, nil); err != nil {
			b.Fatal(err)
		}
		if err := be.Setup(ctx, []firewall.Rule{{Name: "bench"}}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := be.Apply(ctx, changes); err != nil {
			b.Fatal(err)
		}
	}
}

// TestKernelConcurrent calls the backend from several goroutines at once.
func TestKernelConcurrent(t *testing.T) {
	b := newBackend(t, "")
	ctx := testCtx(t)
	if err := b.Setup(ctx, []firewall.Rule{{Name: "conc"}}); err != nil {
		t.Fatal(err)
	}
	all := manyAdds("conc", 400)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			errs <- b.Apply(ctx, all[i*100:(i+1)*100])
			_, err := b.Entries(ctx, "conc")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := len(entryMap(t, b, "conc")); got != len(all) {
		t.Errorf("%d entries, want %d", got, len(all))
	}
}
