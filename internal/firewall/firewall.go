// Package firewall enforces bans in the kernel. A Backend keeps, for each
// Rule, one set of banned IPv4 prefixes and one of IPv6 prefixes whose
// entries carry the ban's remaining time as a kernel timeout (so a ban
// ends on time even when Warden is not running), and the rules that drop
// or reject the packets of those sources to the Rule's protocols and ports.
//
// The backends live in sub-packages: nft (nftables over netlink) and ipt
// (iptables/ip6tables with ipset). fake is an in-memory Backend for tests,
// and fwtest the contract every Backend passes.
//
// The package knows nothing of jails or logs: the daemon turns a jail's
// firewall actions into Rules and its ban events into Changes.
package firewall

import (
	"context"
	"net/netip"
	"time"
)

// Block is what a banned packet gets.
type Block int

const (
	// Drop discards the packet silently: the client's connection times out.
	Drop Block = iota
	// Reject answers with an ICMP port unreachable (TCP connections get a
	// reset with nftables' "reject with tcp reset" where the protocol is tcp).
	Reject
)

// Hook is where a Rule's chain attaches: traffic to this host (Input) or
// traffic it forwards, to containers and VMs (Forward).
type Hook int

const (
	Input Hook = iota
	Forward
)

// PortRange is an inclusive range of ports.
type PortRange struct{ From, To uint16 }

// Rule is one firewall action of a jail: which packets of banned sources
// are blocked, and how.
type Rule struct {
	// Name identifies the rule in the backend; set and chain names derive
	// from it. It is fail2ban's <name> (by default the jail's name): at
	// most 24 bytes of [A-Za-z0-9_.-] (see ValidName).
	Name string
	// Protocols are "tcp", "udp", "sctp", "udplite"; empty means every
	// protocol (the ports are then ignored).
	Protocols []string
	// Ports are the destination ports blocked; empty means all of them.
	Ports []PortRange
	Block Block
	// Hooks where the rule applies; empty means Input.
	Hooks []Hook
}

// Entry is a banned source: an address (a /32 or /128 prefix) or a
// subnet. Timeout is the time left; zero means no timeout (a permanent
// ban).
type Entry struct {
	Prefix  netip.Prefix
	Timeout time.Duration
}

// Change adds an entry to a rule's sets, or deletes it. Adding an entry
// that is present replaces its timeout; deleting one that is absent is not
// an error.
type Change struct {
	Rule   string // a Rule's Name
	Delete bool
	Entry  Entry
}

// Backend is a kernel firewall.
type Backend interface {
	// Name is the backend's name for logs and status: "nftables",
	// "iptables".
	Name() string
	// Setup makes the kernel hold exactly these rules: it creates what is
	// missing, updates rules whose protocols, ports, block or hooks
	// changed, and removes the rules and sets of Warden's that are not
	// listed. The entries of a rule that is kept stay in its sets.
	Setup(ctx context.Context, rules []Rule) error
	// Apply applies changes in order, as few kernel transactions as it
	// can (thousands of changes per netlink batch or ipset restore).
	// A change naming a rule not set up is an error.
	Apply(ctx context.Context, changes []Change) error
	// Entries lists a rule's entries with the time they have left.
	Entries(ctx context.Context, rule string) ([]Entry, error)
	// Teardown removes every rule, set and table Warden created.
	Teardown(ctx context.Context) error
}
