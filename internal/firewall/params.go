package firewall

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// LookupFunc resolves a service name to a port for a protocol; proto ""
// means any protocol. (*ServiceTable).Lookup is one.
type LookupFunc func(name, proto string) (uint16, error)

// ParsePorts parses fail2ban's port syntax: a comma-separated list of
// ports, service names and ranges ("ssh,2222", "80:90", "8000-8080").
// Names are resolved with lookup (proto ""). The ranges come back sorted
// and merged; a list that covers every port ("0:65535", "1:65535") gives
// nil, which a Rule reads as all ports.
func ParsePorts(spec string, lookup LookupFunc) ([]PortRange, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("empty port list")
	}
	var out []PortRange
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("port list %q: empty item", spec)
		}
		r, err := parsePortItem(item, lookup)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b PortRange) int { return int(a.From) - int(b.From) })
	merged := out[:1]
	for _, r := range out[1:] {
		last := &merged[len(merged)-1]
		if int(r.From) <= int(last.To)+1 {
			last.To = max(last.To, r.To)
			continue
		}
		merged = append(merged, r)
	}
	if len(merged) == 1 && merged[0].From <= 1 && merged[0].To == 65535 {
		return nil, nil
	}
	return merged, nil
}

func parsePortItem(item string, lookup LookupFunc) (PortRange, error) {
	lo, hi, isRange := strings.Cut(item, ":")
	if !isRange {
		// nftables writes ranges with '-', which service names also
		// contain ("ftp-data"): a range only when both sides are numbers.
		if a, b, ok := strings.Cut(item, "-"); ok && isDigits(a) && isDigits(b) {
			lo, hi, isRange = a, b, true
		}
	}
	from, err := portNumber(lo, lookup)
	if err != nil {
		return PortRange{}, err
	}
	if !isRange {
		return PortRange{from, from}, nil
	}
	to, err := portNumber(hi, lookup)
	if err != nil {
		return PortRange{}, err
	}
	if from > to {
		return PortRange{}, fmt.Errorf("port range %q: start after end", item)
	}
	return PortRange{from, to}, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func portNumber(s string, lookup LookupFunc) (uint16, error) {
	s = strings.TrimSpace(s)
	if isDigits(s) {
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("port %q out of range", s)
		}
		return uint16(n), nil
	}
	if s == "" {
		return 0, fmt.Errorf("empty port")
	}
	if lookup == nil {
		return 0, fmt.Errorf("port %q: no service table", s)
	}
	p, err := lookup(s, "")
	if err != nil {
		return 0, fmt.Errorf("port %q: %w", s, err)
	}
	return p, nil
}

// actionFile is what RuleFromParams knows of an action.d file.
type actionFile struct {
	nft       bool   // an nftables file: chain_hook names the hook, chain the nft chain
	portType  string // the file's default type
	blockType string // the file's default blocktype
}

const iptReject = "REJECT --reject-with icmp-port-unreachable"

// lookupAction returns what RuleFromParams knows of a stock action.d file
// or Warden's own ("warden").
func lookupAction(file string) (actionFile, bool) {
	switch strings.TrimSuffix(strings.TrimSuffix(file, ".conf"), ".local") {
	case "nftables", "nftables-multiport":
		return actionFile{nft: true, portType: "multiport", blockType: "reject"}, true
	case "nftables-allports":
		return actionFile{nft: true, portType: "allports", blockType: "reject"}, true
	case "iptables", "iptables-ipset", "iptables-ipset-proto4":
		return actionFile{portType: "oneport", blockType: iptReject}, true
	case "iptables-multiport", "iptables-ipset-proto6":
		return actionFile{portType: "multiport", blockType: iptReject}, true
	case "iptables-allports", "iptables-ipset-proto6-allports":
		return actionFile{portType: "allports", blockType: iptReject}, true
	case "warden":
		return actionFile{portType: "multiport", blockType: "reject"}, true
	}
	return actionFile{}, false
}

// KnownAction tells whether RuleFromParams interprets an action.d file
// (its name with or without ".conf" or ".local").
func KnownAction(file string) bool {
	_, ok := lookupAction(file)
	return ok
}

// RuleFromParams builds the Rule that a stock firewall action.d file does
// with these parameters (the action's resolved [Init] and [Definition]
// values): name, type (oneport, multiport, allports), port, protocol
// ("tcp", "tcp,udp", "all"), blocktype (fail2ban's nftables and iptables
// forms), and the hook: chain_hook for the nftables files, chain
// ("INPUT", "FORWARD", "INPUT,FORWARD", "DOCKER-USER") for the others.
// Missing parameters take the file's defaults. A value Warden cannot
// enforce is an error that names the parameter. Service names in port
// are resolved with lookup.
func RuleFromParams(file string, params map[string]string, lookup LookupFunc) (Rule, error) {
	af, ok := lookupAction(file)
	if !ok {
		return Rule{}, fmt.Errorf("action %q: not a firewall action Warden enforces", file)
	}
	get := func(key, def string) string {
		if v, ok := params[key]; ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return def
	}
	var r Rule
	r.Name = SafeName(get("name", "default"))

	protos, err := parseProtocols(get("protocol", "tcp"))
	if err != nil {
		return Rule{}, fmt.Errorf("action %s: protocol: %w", file, err)
	}
	r.Protocols = protos

	switch typ := get("type", af.portType); typ {
	case "oneport", "multiport":
		if protos == nil {
			return Rule{}, fmt.Errorf("action %s: protocol: \"all\" needs type allports, not %s", file, typ)
		}
		// A name listed for one of the rule's protocols only (a udp
		// service in a tcp,udp rule) is still found.
		lk := func(name, _ string) (uint16, error) {
			if lookup == nil {
				return 0, fmt.Errorf("no service table")
			}
			var first error
			for _, p := range protos {
				port, err := lookup(name, p)
				if err == nil {
					return port, nil
				}
				if first == nil {
					first = err
				}
			}
			return 0, first
		}
		r.Ports, err = ParsePorts(get("port", "ssh"), lk)
		if err != nil {
			return Rule{}, fmt.Errorf("action %s: port: %w", file, err)
		}
	case "allports":
	default:
		return Rule{}, fmt.Errorf("action %s: type: unsupported %q (want oneport, multiport or allports)", file, typ)
	}

	r.Block, err = parseBlock(get("blocktype", af.blockType))
	if err != nil {
		return Rule{}, fmt.Errorf("action %s: blocktype: %w", file, err)
	}

	if af.nft {
		// chain is the nftables chain's name in fail2ban's file, but
		// the jail's "chain = INPUT,FORWARD" (passed on by action_)
		// names hooks: when chain reads as hooks, it wins.
		if hs, err := parseHooks(get("chain", "")); err == nil {
			r.Hooks = hs
		} else {
			h, err := parseHook(get("chain_hook", "input"))
			if err != nil {
				return Rule{}, fmt.Errorf("action %s: chain_hook: %w", file, err)
			}
			r.Hooks = []Hook{h}
		}
	} else {
		r.Hooks, err = parseHooks(get("chain", "INPUT"))
		if err != nil {
			return Rule{}, fmt.Errorf("action %s: chain: %w", file, err)
		}
	}
	return r, nil
}

var protocols = []string{"tcp", "udp", "sctp", "udplite"}

// parseProtocols reads "tcp", "tcp,udp", "tcp udp" or "all" (nil).
func parseProtocols(s string) ([]string, error) {
	var out []string
	all := false
	for p := range strings.FieldsFuncSeq(strings.ToLower(s), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		switch {
		case p == "all":
			all = true
		case slices.Contains(protocols, p):
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		default:
			return nil, fmt.Errorf("unsupported %q (want tcp, udp, sctp, udplite or all)", p)
		}
	}
	if all {
		return nil, nil
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty")
	}
	return out, nil
}

// parseBlock reads fail2ban's blocktype forms: nftables' "reject",
// "drop", "reject with icmp type port-unreachable", "reject with tcp
// reset", and iptables' "REJECT --reject-with ...", "DROP".
func parseBlock(s string) (Block, error) {
	f := strings.Fields(strings.ToLower(s))
	if len(f) > 0 {
		switch f[0] {
		case "drop":
			if len(f) == 1 {
				return Drop, nil
			}
		case "reject":
			return Reject, nil
		}
	}
	return 0, fmt.Errorf("unsupported %q (want a reject or drop form)", s)
}

func parseHook(s string) (Hook, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "input", "<known/chain>":
		return Input, nil
	case "forward", "docker-user":
		return Forward, nil
	}
	return 0, fmt.Errorf("unsupported %q (want input, forward or DOCKER-USER)", s)
}

// parseHooks reads iptables chain lists: "INPUT", "INPUT,FORWARD".
func parseHooks(s string) ([]Hook, error) {
	var out []Hook
	for item := range strings.SplitSeq(s, ",") {
		h, err := parseHook(item)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out, nil
}
