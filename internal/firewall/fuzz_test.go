package firewall_test

import (
	"strings"
	"testing"

	"github.com/wardenipd/warden/internal/firewall"
)

// FuzzRuleFromParams: any port, protocol, blocktype and chain text gives a
// valid rule or an error naming a parameter, never a panic; ports are
// ordered ranges.
func FuzzRuleFromParams(f *testing.F) {
	for _, s := range [][4]string{
		{"ssh,2222", "tcp", "reject", "INPUT"},
		{"0:65535", "tcp,udp", "DROP", "INPUT,FORWARD"},
		{"http,https,8006", "all", "REJECT --reject-with icmp-port-unreachable", "DOCKER-USER"},
		{"80-90,70:75,:", "udp", "reject with tcp reset", "<known/chain>"},
		{"65536,-1,ssh:http", "icmp", "accept", "OUTPUT"},
	} {
		f.Add(s[0], s[1], s[2], s[3], "nftables")
		f.Add(s[0], s[1], s[2], s[3], "iptables-multiport")
	}
	services, err := firewall.ParseServices(strings.NewReader(servicesText))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, port, proto, block, chain, file string) {
		r, err := firewall.RuleFromParams(file, map[string]string{"name": "jail", "port": port, "protocol": proto,
			"blocktype": block, "chain": chain}, services.Lookup)
		if err != nil {
			return
		}
		for _, p := range r.Ports {
			if p.From > p.To {
				t.Fatalf("port range %d:%d from %q", p.From, p.To, port)
			}
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("RuleFromParams gave an invalid rule %+v: %v", r, err)
		}
	})
}

// FuzzParseServices: any services(5) text parses without a panic.
func FuzzParseServices(f *testing.F) {
	f.Add(servicesText)
	f.Add("x 99999/tcp\n\x00 1/udp alias\n#\n  \n")
	f.Fuzz(func(t *testing.T, text string) {
		s, err := firewall.ParseServices(strings.NewReader(text))
		if err != nil {
			return
		}
		_, _ = s.Lookup("ssh", "tcp")
	})
}
