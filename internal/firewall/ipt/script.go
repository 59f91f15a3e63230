package ipt

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardenipd/warden/internal/firewall"
)

// This file builds the text the binaries read (iptables-restore and
// ipset restore scripts) and parses the text they print. It runs nothing,
// so its tests need no privilege.

// prefix starts the name of every chain and set of Warden's.
const prefix = "wdn-"

// MaxTimeout is the longest timeout ipset keeps (2,147,483 s, about 24.8
// days); a longer one is cut to it.
const MaxTimeout = 2147483 * time.Second

// maxMultiport is how many ports one multiport match holds (a range
// counts as two).
const maxMultiport = 15

func chainName(rule string) string { return prefix + rule }

func setName(rule string, v6 bool) string {
	if v6 {
		return prefix + rule + "-6"
	}
	return prefix + rule + "-4"
}

// ownSet tells whether an ipset name is one of Warden's.
func ownSet(name string) bool {
	return strings.HasPrefix(name, prefix) && (strings.HasSuffix(name, "-4") || strings.HasSuffix(name, "-6")) &&
		len(name) > len(prefix)+2
}

// ruleOfSet is the rule name in an ownSet name.
func ruleOfSet(name string) string { return name[len(prefix) : len(name)-2] }

// hookChain is the built-in chain of a hook.
func hookChain(h firewall.Hook) string {
	if h == firewall.Forward {
		return "FORWARD"
	}
	return "INPUT"
}

// hooks returns the chains a rule is jumped to from.
func hooks(r firewall.Rule) []string {
	if len(r.Hooks) == 0 {
		return []string{"INPUT"}
	}
	var out []string
	seen := map[firewall.Hook]bool{}
	for _, h := range r.Hooks {
		if !seen[h] {
			seen[h] = true
			out = append(out, hookChain(h))
		}
	}
	return out
}

// chainRules returns the rules of r's chain in one family, each as the
// iptables arguments after "-A CHAIN". Reject answers tcp with a reset
// (as the nftables backend does) and the rest with an ICMP port
// unreachable.
func chainRules(r firewall.Rule, v6 bool) []string {
	match := "-m set --match-set " + setName(r.Name, v6) + " src"
	target := func(proto string) string {
		switch {
		case r.Block != firewall.Reject:
			return "-j DROP"
		case proto == "tcp":
			return "-j REJECT --reject-with tcp-reset"
		case v6:
			return "-j REJECT --reject-with icmp6-port-unreachable"
		default:
			return "-j REJECT --reject-with icmp-port-unreachable"
		}
	}
	if len(r.Protocols) == 0 {
		return []string{match + " " + target("")}
	}
	groups := portGroups(r.Ports)
	var out []string
	for _, p := range r.Protocols {
		if len(groups) == 0 {
			out = append(out, "-p "+p+" "+match+" "+target(p))
			continue
		}
		for _, g := range groups {
			out = append(out, "-p "+p+" -m multiport --dports "+g+" "+match+" "+target(p))
		}
	}
	return out
}

// portGroups splits ports into multiport lists of at most maxMultiport
// ports each.
func portGroups(ports []firewall.PortRange) []string {
	var groups []string
	var cur []string
	weight := 0
	for _, pr := range ports {
		item, w := strconv.Itoa(int(pr.From)), 1
		if pr.To != pr.From {
			item, w = item+":"+strconv.Itoa(int(pr.To)), 2
		}
		if weight+w > maxMultiport {
			groups = append(groups, strings.Join(cur, ","))
			cur, weight = nil, 0
		}
		cur = append(cur, item)
		weight += w
	}
	if len(cur) > 0 {
		groups = append(groups, strings.Join(cur, ","))
	}
	return groups
}

// state is what of Warden's a family's filter table holds.
type state struct {
	chains []string     // chains named prefix...
	jumps  map[jump]int // plain jumps from INPUT/FORWARD to them, counted
	order  []jump       // jumps in the order first seen
}

type jump struct{ hook, chain string }

// parseState reads `iptables -S` output.
func parseState(out string) state {
	st := state{jumps: map[jump]int{}}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "-N" && strings.HasPrefix(f[1], prefix):
			st.chains = append(st.chains, f[1])
		case len(f) == 4 && f[0] == "-A" && (f[1] == "INPUT" || f[1] == "FORWARD") && f[2] == "-j" &&
			strings.HasPrefix(f[3], prefix):
			j := jump{f[1], f[3]}
			if st.jumps[j] == 0 {
				st.order = append(st.order, j)
			}
			st.jumps[j]++
		}
	}
	return st
}

// setupScript is the iptables-restore --noflush script that turns the
// filter table from st into rules. Declaring a chain that exists flushes
// it, so each kept rule's chain is rewritten in the same transaction.
func setupScript(st state, rules []firewall.Rule, v6 bool) string {
	var b strings.Builder
	b.WriteString("*filter\n")
	want := map[string]bool{}
	wantJump := map[jump]bool{}
	sorted := append([]firewall.Rule(nil), rules...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, r := range sorted {
		c := chainName(r.Name)
		want[c] = true
		fmt.Fprintf(&b, ":%s - [0:0]\n", c)
		for _, h := range hooks(r) {
			wantJump[jump{h, c}] = true
		}
	}
	for _, r := range sorted {
		for _, spec := range chainRules(r, v6) {
			fmt.Fprintf(&b, "-A %s %s\n", chainName(r.Name), spec)
		}
	}
	// Jumps to remove: those not wanted, and copies of wanted ones.
	for _, j := range st.order {
		n := st.jumps[j]
		if wantJump[j] {
			n--
		}
		for ; n > 0; n-- {
			fmt.Fprintf(&b, "-D %s -j %s\n", j.hook, j.chain)
		}
	}
	for _, c := range st.chains {
		if !want[c] {
			fmt.Fprintf(&b, "-F %s\n-X %s\n", c, c)
		}
	}
	var add []jump
	for j := range wantJump {
		if st.jumps[j] == 0 {
			add = append(add, j)
		}
	}
	sort.Slice(add, func(i, k int) bool {
		return add[i].hook+" "+add[i].chain < add[k].hook+" "+add[k].chain
	})
	for _, j := range add {
		fmt.Fprintf(&b, "-I %s 1 -j %s\n", j.hook, j.chain)
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// createSets is the ipset restore script (run with -exist) that creates
// the rules' sets that do not exist.
func createSets(rules []firewall.Rule, exists map[string]bool, maxElem int) string {
	var b strings.Builder
	for _, r := range rules {
		for _, v6 := range []bool{false, true} {
			name, fam := setName(r.Name, v6), "inet"
			if v6 {
				fam = "inet6"
			}
			if !exists[name] {
				fmt.Fprintf(&b, "create %s hash:net family %s hashsize 1024 maxelem %d timeout 0\n", name, fam, maxElem)
			}
		}
	}
	return b.String()
}

// applyScript is the ipset restore script (run with -exist) of changes;
// known tells which rules are set up. The lines of each set are kept
// together, in the changes' order: ipset restore sends the consecutive
// lines of one set in one netlink message, and interleaving the sets of
// two families made 100,000 adds take twice as long.
func applyScript(changes []firewall.Change, known func(rule string) bool) ([]byte, error) {
	bySet := map[string]*bytes.Buffer{}
	var order []*bytes.Buffer
	for i, c := range changes {
		if !known(c.Rule) {
			return nil, fmt.Errorf("change %d: rule %q: not set up", i, c.Rule)
		}
		p, err := canonical(c.Entry.Prefix)
		if err != nil {
			return nil, fmt.Errorf("change %d: %w", i, err)
		}
		set := setName(c.Rule, p.Addr().Is6())
		b := bySet[set]
		if b == nil {
			b = new(bytes.Buffer)
			bySet[set] = b
			order = append(order, b)
		}
		if c.Delete {
			fmt.Fprintf(b, "del %s %s\n", set, p)
			continue
		}
		secs, err := timeoutSeconds(c.Entry.Timeout)
		if err != nil {
			return nil, fmt.Errorf("change %d: %s: %w", i, p, err)
		}
		fmt.Fprintf(b, "add %s %s timeout %d\n", set, p, secs)
	}
	var n int
	for _, b := range order {
		n += b.Len()
	}
	script := make([]byte, 0, n)
	for _, b := range order {
		script = append(script, b.Bytes()...)
	}
	return script, nil
}

// timeoutSeconds is ipset's timeout for d: zero for zero (permanent),
// else d rounded up to a whole second, at most MaxTimeout.
func timeoutSeconds(d time.Duration) (int64, error) {
	switch {
	case d < 0:
		return 0, fmt.Errorf("negative timeout %v", d)
	case d > MaxTimeout:
		d = MaxTimeout
	}
	return int64((d + time.Second - 1) / time.Second), nil
}

// parseSave reads `ipset save SET` output: "add SET ADDR[/BITS] timeout N"
// lines.
func parseSave(out string) ([]firewall.Entry, error) {
	var entries []firewall.Entry
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "add" {
			continue
		}
		if len(f) < 3 {
			return nil, fmt.Errorf("entry line %q", sc.Text())
		}
		var p netip.Prefix
		var err error
		if strings.Contains(f[2], "/") {
			p, err = netip.ParsePrefix(f[2])
		} else {
			var a netip.Addr
			a, err = netip.ParseAddr(f[2])
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if err != nil {
			return nil, fmt.Errorf("entry line %q: %w", sc.Text(), err)
		}
		e := firewall.Entry{Prefix: p}
		for i := 3; i+1 < len(f); i++ {
			if f[i] == "timeout" {
				n, err := strconv.ParseInt(f[i+1], 10, 64)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("entry line %q: timeout %q", sc.Text(), f[i+1])
				}
				e.Timeout = time.Duration(n) * time.Second
			}
		}
		entries = append(entries, e)
	}
	return entries, sc.Err()
}
