package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/ban"
	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/control"
	"github.com/wardenipd/warden/internal/firewall"
)

// kernel is a hand-written stand-in for a firewall backend that records
// what the daemon asks of it. It outlives a daemon, as the kernel does.
type kernel struct {
	name string

	mu        sync.Mutex
	rules     map[string]firewall.Rule
	entries   map[string]map[netip.Prefix]time.Duration
	setups    int
	teardowns int
	failApply int // Apply fails this many more times
	applies   int
}

func newKernel(name string) *kernel {
	return &kernel{name: name, rules: map[string]firewall.Rule{}, entries: map[string]map[netip.Prefix]time.Duration{}}
}

func (k *kernel) Name() string { return k.name }

func (k *kernel) Setup(_ context.Context, rules []firewall.Rule) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.setups++
	keep := map[string]bool{}
	for _, r := range rules {
		keep[r.Name] = true
		k.rules[r.Name] = r
		if k.entries[r.Name] == nil {
			k.entries[r.Name] = map[netip.Prefix]time.Duration{}
		}
	}
	for name := range k.rules {
		if !keep[name] {
			delete(k.rules, name)
			delete(k.entries, name)
		}
	}
	return nil
}

func (k *kernel) Apply(_ context.Context, changes []firewall.Change) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.failApply > 0 {
		k.failApply--
		return errors.New("netlink: device or resource busy")
	}
	k.applies++
	for _, c := range changes {
		set, ok := k.entries[c.Rule]
		if !ok {
			return fmt.Errorf("no rule %q", c.Rule)
		}
		if c.Delete {
			delete(set, c.Entry.Prefix)
		} else {
			set[c.Entry.Prefix] = c.Entry.Timeout
		}
	}
	return nil
}

func (k *kernel) Entries(_ context.Context, rule string) ([]firewall.Entry, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	set, ok := k.entries[rule]
	if !ok {
		return nil, fmt.Errorf("no rule %q", rule)
	}
	var out []firewall.Entry
	for p, to := range set {
		out = append(out, firewall.Entry{Prefix: p, Timeout: to})
	}
	return out, nil
}

func (k *kernel) Teardown(context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.teardowns++
	clear(k.rules)
	clear(k.entries)
	return nil
}

// has reports whether rule holds ip, and its timeout.
func (k *kernel) has(rule, ip string) (time.Duration, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	p, err := banPrefix(ip)
	if err != nil {
		panic(err)
	}
	to, ok := k.entries[rule][p]
	return to, ok
}

func (k *kernel) rule(name string) (firewall.Rule, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	r, ok := k.rules[name]
	return r, ok
}

func (k *kernel) counts() (setups, teardowns int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.setups, k.teardowns
}

// opener returns the kernels by backend kind; a kind without one fails
// to open, as on a host without its programs.
func opener(ks ...*kernel) FirewallOpener {
	return func(kind string) (firewall.Backend, error) {
		for _, k := range ks {
			if k.name == kind {
				return k, nil
			}
		}
		return nil, fmt.Errorf("%s: not installed", kind)
	}
}

// TestFirewallActions: the jails' native firewall actions become rules;
// bans and unbans become entries with the ban's time left as timeout; a
// restart reconciles the kernel with the store; a reload changes a rule
// and keeps its entries; a failed kernel operation is retried; a clean
// stop removes the rules unless told to keep them.
func TestFirewallActions(t *testing.T) {
	dir := t.TempDir()
	// "web" on the built-in banaction (native nftables, all ports);
	// "other" on fail2ban's iptables-multiport name, limited to ssh and
	// 8080, on a host without the iptables backend: nftables stands in.
	newConfig(t, dir, "port = ssh,8080\nbanaction = iptables-multiport\n")
	nft := newKernel("nftables")
	live := func(o *Options) { o.DryRun = false; o.Firewall = opener(nft) }
	d := startWith(t, dir, live)

	web, ok := nft.rule("web")
	if !ok {
		t.Fatalf("no rule for jail web: %v", nft.rules)
	}
	if len(web.Ports) != 0 || !slices.Equal(web.Protocols, []string{"tcp"}) {
		t.Errorf("web's rule: %+v, want all tcp ports", web)
	}
	other, ok := nft.rule("other")
	if !ok {
		t.Fatal("no rule for jail other (iptables-multiport, through nftables)")
	}
	if !slices.Equal(other.Ports, []firewall.PortRange{{From: 22, To: 22}, {From: 8080, To: 8080}}) {
		t.Errorf("other's ports: %v, want ssh and 8080", other.Ports)
	}

	appendLines(t, filepath.Join(dir, "web.log"), failLine("192.0.2.1"), failLine("192.0.2.1"), failLine("192.0.2.1"))
	d.eventually("192.0.2.1 in the firewall", func() bool { _, ok := nft.has("web", "192.0.2.1"); return ok })
	if to, _ := nft.has("web", "192.0.2.1"); to < 59*time.Minute || to > time.Hour+time.Second {
		t.Errorf("kernel timeout %v, want the ban's hour", to)
	}
	if _, ok := nft.has("other", "192.0.2.1"); ok {
		t.Error("a ban in web reached other's rule")
	}
	if _, err := d.client.Ban(context.Background(), "other", []string{"2001:db8::7", "198.51.100.0/24"}); err != nil {
		t.Fatal(err)
	}
	d.eventually("manual bans in other's rule", func() bool {
		_, a := nft.has("other", "2001:db8::7")
		_, b := nft.has("other", "198.51.100.0/24")
		return a && b
	})
	if _, err := d.client.Unban(context.Background(), "", []string{"2001:db8::7"}, false); err != nil {
		t.Fatal(err)
	}
	d.eventually("unban leaves the kernel", func() bool { _, ok := nft.has("other", "2001:db8::7"); return !ok })

	// A kernel that refuses for a while: the ban is retried, not lost.
	nft.mu.Lock()
	nft.failApply = 1
	nft.mu.Unlock()
	if _, err := d.client.Ban(context.Background(), "web", []string{"203.0.113.9"}); err != nil {
		t.Fatal(err)
	}
	d.eventually("the refused ban applied on retry", func() bool { _, ok := nft.has("web", "203.0.113.9"); return ok })
	o, err := d.client.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var fwStat *control.ActionStatus
	for i := range o.Actions {
		if o.Actions[i].Name == "firewall" {
			fwStat = &o.Actions[i]
		}
	}
	if fwStat == nil || fwStat.Errors != 1 || fwStat.Failed != 0 || !strings.Contains(fwStat.LastError, "resource busy") {
		t.Errorf("status of the firewall action after one refusal: %+v", fwStat)
	}

	d.stop()
	if _, td := nft.counts(); td != 1 {
		t.Fatalf("teardowns after a clean stop: %d, want 1", td)
	}

	// What a crash leaves: the kernel holds the bans, and one that was
	// lifted while Warden was down (a stale entry).
	d = startWith(t, dir, func(o *Options) { live(o); o.KeepFirewall = true })
	d.eventually("restored ban back in the kernel", func() bool { _, ok := nft.has("web", "192.0.2.1"); return ok })
	nft.mu.Lock()
	nft.entries["web"][netip.MustParsePrefix("192.0.2.99/32")] = time.Hour
	nft.mu.Unlock()
	d.stop()
	if _, td := nft.counts(); td != 1 {
		t.Fatalf("--keep-firewall: teardowns %d, want still 1", td)
	}
	if _, ok := nft.has("web", "192.0.2.1"); !ok {
		t.Fatal("--keep-firewall: the ban left the kernel at stop")
	}
	d = startWith(t, dir, live)
	if _, ok := nft.has("web", "192.0.2.99"); ok {
		t.Error("an entry without an active ban survived the start's reconciliation")
	}
	for _, ip := range []string{"192.0.2.1", "203.0.113.9"} {
		if _, ok := nft.has("web", ip); !ok {
			t.Errorf("active ban %s missing after restart", ip)
		}
	}

	// A reload that changes other's ports keeps its entries.
	newConfig(t, dir, "port = 2222\nbanaction = iptables-multiport\n")
	if err := d.client.Reload(context.Background(), "", false); err != nil {
		t.Fatal(err)
	}
	if r, _ := nft.rule("other"); !slices.Equal(r.Ports, []firewall.PortRange{{From: 2222, To: 2222}}) {
		t.Errorf("after reload, other's ports: %v", r.Ports)
	}
	if _, ok := nft.has("other", "198.51.100.0/24"); !ok {
		t.Error("reload lost other's subnet ban")
	}
}

// TestShellActions: a user's own action.d file runs as a shell action
// through the daemon: started with the jail, told of each ban with the
// F-USER of the failure (a hostile one stays inert), of each unban, and
// stopped with the daemon.
func TestShellActions(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "actions.out")
	pwned := filepath.Join(dir, "pwned")
	writeFile(t, filepath.Join(dir, "etc", "filter.d", "users.conf"),
		"[Definition]\nfailregex = ^login failed for <F-USER>.+</F-USER> from <HOST>$\ndatepattern = {NONE}\n")
	writeFile(t, filepath.Join(dir, "etc", "action.d", "note.conf"), fmt.Sprintf(`[Definition]
actionstart = echo start <name> >> %[1]s
actionban = printf 'ban %%%%s user=%%%%s\n' <ip> "<F-USER>" >> %[1]s
actionunban = echo unban <ip> >> %[1]s
actionstop = echo stop <name> >> %[1]s
`, out))
	writeFile(t, filepath.Join(dir, "etc", "jail.local"), fmt.Sprintf(`[sshd]
enabled = false

[users]
enabled = true
filter = users
logpath = %[1]s/users.log
maxretry = 1
ignoreip =
action = note
`, dir))
	payload := "$(touch " + pwned + ")`touch " + pwned + "`;touch " + pwned + " 'q\" \\"
	nft := newKernel("nftables")
	d := startWith(t, dir, func(o *Options) {
		o.DryRun = false
		o.Firewall = opener(nft)
	})
	appendLines(t, filepath.Join(dir, "users.log"), "login failed for "+payload+" from 192.0.2.5")
	read := func() string { b, _ := os.ReadFile(out); return string(b) }
	d.eventually("the shell action's ban", func() bool { return strings.Contains(read(), "ban 192.0.2.5") })
	if _, err := d.client.Unban(context.Background(), "", []string{"192.0.2.5"}, false); err != nil {
		t.Fatal(err)
	}
	d.eventually("the shell action's unban", func() bool { return strings.Contains(read(), "unban 192.0.2.5") })
	d.stop()
	want := "start users\nban 192.0.2.5 user=" + payload + "\nunban 192.0.2.5\nstop users\n"
	if got := read(); got != want {
		t.Errorf("the action's record:\n%q\nwant\n%q", got, want)
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("the user name from the log ran a command")
	}
}

// TestFirewallResync: a batch the kernel kept refusing (given up by the
// ban manager) is enforced by the next resync, from the active bans; a
// resync without a failure since the last one does nothing.
func TestFirewallResync(t *testing.T) {
	nft := newKernel("nftables")
	clk := clock.NewFake(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	f := newFwAction(slog.New(slog.DiscardHandler), clk, opener(nft))
	jails := []*config.Jail{{Name: "web", Actions: []config.Action{{Name: "nftables", File: "nftables", Native: "nftables",
		Params: map[string]any{"port": "22,80", "protocol": "tcp"}}}}}
	none := func(string) []ban.Ban { return nil }
	if _, err := f.configure(context.Background(), jails, none); err != nil {
		t.Fatal(err)
	}
	b := ban.Ban{Jail: "web", IP: "192.0.2.1", Time: clk.Now(), BanTime: time.Hour}
	nft.failApply = 1
	if err := f.HandleBatch(context.Background(), []ban.Event{{Kind: ban.KindBan, Ban: b}}); err == nil {
		t.Fatal("a refused batch reported no error")
	}
	if _, ok := nft.has("web", "192.0.2.1"); ok {
		t.Fatal("the fake applied a refused batch")
	}
	active := func(j string) []ban.Ban {
		if j == "web" {
			return []ban.Ban{b}
		}
		return nil
	}
	clk.Advance(10 * time.Minute)
	if err := f.resync(context.Background(), active); err != nil {
		t.Fatal(err)
	}
	to, ok := nft.has("web", "192.0.2.1")
	if !ok || to > 50*time.Minute+time.Second || to < 50*time.Minute {
		t.Fatalf("after resync: present %v, timeout %v (want the 50 minutes left)", ok, to)
	}
	setups, _ := nft.counts()
	if err := f.resync(context.Background(), active); err != nil {
		t.Fatal(err)
	}
	if s, _ := nft.counts(); s != setups {
		t.Errorf("a resync without a failure touched the kernel (%d setups, was %d)", s, setups)
	}
}

// TestKernelTimeout: ipset cannot keep a timeout beyond ipt.MaxTimeout,
// so a longer ban goes there without one; nftables takes it as it is.
func TestKernelTimeout(t *testing.T) {
	long := 60 * 24 * time.Hour
	if got := kernelTimeout("iptables", long); got != 0 {
		t.Errorf("iptables, 60 days: %v, want 0 (no kernel timeout)", got)
	}
	if got := kernelTimeout("iptables", time.Hour); got != time.Hour {
		t.Errorf("iptables, 1 hour: %v", got)
	}
	if got := kernelTimeout("nftables", long); got != long {
		t.Errorf("nftables, 60 days: %v", got)
	}
}

// refusing is a backend the kernel refuses, as to a user without
// CAP_NET_ADMIN.
type refusing struct{ *kernel }

func (refusing) Setup(context.Context, []firewall.Rule) error {
	return fmt.Errorf("netlink receive: %w", syscall.EPERM)
}

// TestFirewallNeedsPrivilege: a kernel that refuses Warden says what is
// needed, and the daemon does not start.
func TestFirewallNeedsPrivilege(t *testing.T) {
	dir := t.TempDir()
	newConfig(t, dir, "")
	err := Run(context.Background(), Options{ConfigDir: filepath.Join(dir, "etc"), StateDir: filepath.Join(dir, "state"),
		Socket: filepath.Join(dir, "w.sock"), Log: slog.New(slog.DiscardHandler),
		Firewall: func(string) (firewall.Backend, error) { return refusing{newKernel("nftables")}, nil }})
	if err == nil || !strings.Contains(err.Error(), "root or CAP_NET_ADMIN") || !errors.Is(err, syscall.EPERM) {
		t.Fatalf("Run with a refusing kernel: %v", err)
	}
}
