package firewall

import (
	"fmt"
	"net/netip"
	"slices"
)

// Validate tells whether a Backend can set up r: a valid Name, known
// protocols, ranges whose start is not after their end, known hooks.
func (r Rule) Validate() error {
	if !ValidName(r.Name) {
		return fmt.Errorf("rule name %q: not 1 to %d bytes of [A-Za-z0-9_.-]", r.Name, MaxNameLen)
	}
	for _, p := range r.Protocols {
		if !slices.Contains(protocols, p) {
			return fmt.Errorf("rule %s: unsupported protocol %q", r.Name, p)
		}
	}
	for _, p := range r.Ports {
		if p.From > p.To {
			return fmt.Errorf("rule %s: port range %d:%d: start after end", r.Name, p.From, p.To)
		}
	}
	if r.Block != Drop && r.Block != Reject {
		return fmt.Errorf("rule %s: unknown block %d", r.Name, r.Block)
	}
	for _, h := range r.Hooks {
		if h != Input && h != Forward {
			return fmt.Errorf("rule %s: unknown hook %d", r.Name, h)
		}
	}
	return nil
}

// ValidateRules validates each rule and that no two share a name.
func ValidateRules(rules []Rule) error {
	seen := make(map[string]bool, len(rules))
	for _, r := range rules {
		if err := r.Validate(); err != nil {
			return err
		}
		if seen[r.Name] {
			return fmt.Errorf("rule %s: listed twice", r.Name)
		}
		seen[r.Name] = true
	}
	return nil
}

// Normalize returns the prefix in the form the backends store and
// list: an IPv4-mapped IPv6 prefix as IPv4, host bits cleared, no zone.
func Normalize(p netip.Prefix) (netip.Prefix, error) {
	if !p.IsValid() {
		return netip.Prefix{}, fmt.Errorf("invalid prefix %s", p)
	}
	a, bits := p.Addr().WithZone(""), p.Bits()
	if a.Is4In6() {
		if bits < 96 {
			return netip.Prefix{}, fmt.Errorf("prefix %s: an IPv4-mapped prefix shorter than /96", p)
		}
		a, bits = a.Unmap(), bits-96
	}
	return netip.PrefixFrom(a, bits).Masked(), nil
}

// IsHost tells whether p is a single address (/32 or /128).
func IsHost(p netip.Prefix) bool { return p.Bits() == p.Addr().BitLen() }
