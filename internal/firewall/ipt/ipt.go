// Package ipt is the iptables backend of package firewall: each Rule is an
// iptables and an ip6tables chain of its own, jumped to from INPUT and/or
// FORWARD, whose rules match the sources in two ipsets (hash:net, family
// inet and inet6, with a timeout on every entry) so that the kernel lifts
// each ban on time.
//
// It runs the host's binaries with an argument vector (never a shell):
// iptables-restore and ip6tables-restore with --noflush change a table in
// one transaction, and ipset restore adds and deletes thousands of entries
// per process. By default the binaries are the ones named iptables, found
// in PATH, so the backend works with whichever variant the host selected
// (iptables-nft on Debian 12, or iptables-legacy); Options.Variant picks
// one explicitly.
//
// Names: the chain of Rule "sshd" is "wdn-sshd", its sets "wdn-sshd-4" and
// "wdn-sshd-6" (a Rule name has at most 24 bytes, so chains stay within
// iptables' 28 and sets within ipset's 31). Every chain and set whose name
// starts with "wdn-" is Warden's: Setup removes those not listed and
// Teardown all of them.
//
// A chain holds one rule per protocol and group of at most 15 ports
// (multiport's limit; a range counts as two). Block Reject answers tcp
// with a reset and other protocols with an ICMP port unreachable. ipset
// counts timeouts in whole seconds up to MaxTimeout (about 24.8 days): a
// longer ban is cut to it, and the daemon must add it again before then.
package ipt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"sync"

	"github.com/wardenipd/warden/internal/firewall"
)

// DefaultMaxElem is a set's capacity when Options.MaxElem is zero
// (ipset's own default, 65536, is too small for a large attack).
const DefaultMaxElem = 1 << 20

// Options configure a Backend.
type Options struct {
	// Variant picks the iptables binaries: "" runs iptables, ip6tables,
	// iptables-restore and ip6tables-restore as found in PATH (the
	// host's choice); "nft" and "legacy" run iptables-nft... and
	// iptables-legacy... instead.
	Variant string
	// MaxElem is each set's capacity; zero means DefaultMaxElem. A set
	// created with another capacity is kept as it is.
	MaxElem int
}

// Backend is the iptables/ipset firewall.Backend. It is safe for
// concurrent use.
type Backend struct {
	fam     [2]family // IPv4, IPv6
	ipset   string
	maxElem int

	mu    sync.Mutex
	rules map[string]firewall.Rule // the rules of the last Setup
}

var _ firewall.Backend = (*Backend)(nil)

// family holds the binaries and names of one IP family.
type family struct {
	v6       bool
	iptables string // iptables or ip6tables
	restore  string // iptables-restore or ip6tables-restore
}

// New finds the binaries and returns a Backend. It changes nothing in the
// kernel: Setup does.
func New(opts Options) (*Backend, error) {
	var suffix string
	switch opts.Variant {
	case "":
	case "nft", "legacy":
		suffix = "-" + opts.Variant
	default:
		return nil, fmt.Errorf("iptables variant %q: want \"\", \"nft\" or \"legacy\"", opts.Variant)
	}
	if opts.MaxElem < 0 {
		return nil, fmt.Errorf("set capacity %d is negative", opts.MaxElem)
	}
	b := &Backend{maxElem: opts.MaxElem, rules: map[string]firewall.Rule{}}
	if b.maxElem == 0 {
		b.maxElem = DefaultMaxElem
	}
	var err error
	look := func(name string) string {
		p, lerr := exec.LookPath(name)
		if lerr != nil && err == nil {
			err = fmt.Errorf("find %s: %w", name, lerr)
		}
		return p
	}
	b.fam[0] = family{iptables: look("iptables" + suffix), restore: look("iptables" + suffix + "-restore")}
	b.fam[1] = family{v6: true, iptables: look("ip6tables" + suffix), restore: look("ip6tables" + suffix + "-restore")}
	b.ipset = look("ipset")
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Name is "iptables".
func (b *Backend) Name() string { return "iptables" }

// Setup makes the kernel hold exactly these rules. It creates the sets
// that are missing (those that exist keep their entries), rewrites each
// rule's chains in one iptables-restore transaction per family (so a
// changed rule never leaves a gap), adds the missing jumps from INPUT and
// FORWARD at their heads, and removes the jumps, chains and sets of rules
// not listed.
func (b *Backend) Setup(ctx context.Context, rules []firewall.Rule) error {
	if err := firewall.ValidateRules(rules); err != nil {
		return err
	}
	byName := make(map[string]firewall.Rule, len(rules))
	for _, r := range rules {
		byName[r.Name] = r
	}
	b.mu.Lock()
	defer b.mu.Unlock()

	out, err := b.run(ctx, nil, b.ipset, "list", "-n")
	if err != nil {
		return err
	}
	var oldSets []string
	exists := map[string]bool{}
	for _, name := range strings.Fields(string(out)) {
		if ownSet(name) {
			oldSets = append(oldSets, name)
			exists[name] = true
		}
	}
	// The sets first: a rule that matches a set needs it. A set that
	// exists is kept as it is, whatever its capacity.
	if create := createSets(rules, exists, b.maxElem); create != "" {
		if _, err := b.run(ctx, []byte(create), b.ipset, "restore", "-exist"); err != nil {
			return fmt.Errorf("create sets: %w", err)
		}
	}
	for _, f := range b.fam {
		out, err := b.run(ctx, nil, f.iptables, "-w", "-t", "filter", "-S")
		if err != nil {
			return err
		}
		script := setupScript(parseState(string(out)), rules, f.v6)
		if _, err := b.run(ctx, []byte(script), f.restore, "-w", "--noflush"); err != nil {
			return fmt.Errorf("set up chains: %w", err)
		}
	}
	b.rules = byName
	// The sets last: a set matched by a rule cannot be destroyed.
	var destroy strings.Builder
	for _, name := range oldSets {
		if _, keep := byName[ruleOfSet(name)]; !keep {
			fmt.Fprintf(&destroy, "destroy %s\n", name)
		}
	}
	if destroy.Len() > 0 {
		if _, err := b.run(ctx, []byte(destroy.String()), b.ipset, "restore"); err != nil {
			return fmt.Errorf("destroy sets: %w", err)
		}
	}
	return nil
}

// Teardown removes every chain, jump and set of Warden's.
func (b *Backend) Teardown(ctx context.Context) error {
	if err := b.Setup(ctx, nil); err != nil {
		return fmt.Errorf("teardown: %w", err)
	}
	return nil
}

// Apply adds and deletes entries through one ipset restore. An added
// entry's timeout is rounded up to whole seconds (ipset's unit) and
// capped at MaxTimeout, ipset's longest.
func (b *Backend) Apply(ctx context.Context, changes []firewall.Change) error {
	if len(changes) == 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	script, err := applyScript(changes, func(name string) bool {
		_, ok := b.rules[name]
		return ok
	})
	if err != nil {
		return err
	}
	if _, err := b.run(ctx, script, b.ipset, "restore", "-exist"); err != nil {
		return fmt.Errorf("apply %d changes: %w", len(changes), err)
	}
	return nil
}

// Entries lists a rule's entries, IPv4 first, with the whole seconds
// they have left.
func (b *Backend) Entries(ctx context.Context, rule string) ([]firewall.Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.rules[rule]; !ok {
		return nil, fmt.Errorf("rule %q: not set up", rule)
	}
	var entries []firewall.Entry
	for _, v6 := range []bool{false, true} {
		out, err := b.run(ctx, nil, b.ipset, "save", setName(rule, v6))
		if err != nil {
			return nil, err
		}
		es, err := parseSave(string(out))
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", setName(rule, v6), err)
		}
		entries = append(entries, es...)
	}
	return entries, nil
}

// run runs a binary with stdin and returns its standard output; its
// error carries the binary's standard error.
func (b *Backend) run(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 500 {
			msg = msg[:500] + "..."
		}
		what := name + " " + strings.Join(args, " ")
		var exitErr *exec.ExitError
		if msg != "" && errors.As(err, &exitErr) {
			return nil, fmt.Errorf("%s: %w: %s", what, err, msg)
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return stdout.Bytes(), nil
}

// canonical returns p in firewall.Normalize's form, refusing what an
// ipset hash:net cannot hold (a /0).
func canonical(p netip.Prefix) (netip.Prefix, error) {
	n, err := firewall.Normalize(p)
	if err != nil {
		return n, err
	}
	if n.Bits() == 0 {
		return n, fmt.Errorf("prefix %s: ipset cannot hold a /0", p)
	}
	return n, nil
}
