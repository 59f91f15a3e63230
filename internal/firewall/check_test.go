package firewall_test

import (
	"net/netip"
	"testing"

	"github.com/wardenipd/warden/internal/firewall"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.0.2.7/32", "192.0.2.7/32"},
		{"192.0.2.7/24", "192.0.2.0/24"},
		{"::ffff:192.0.2.7/128", "192.0.2.7/32"},
		{"::ffff:192.0.2.7/120", "192.0.2.0/24"},
		{"2001:db8::1/64", "2001:db8::/64"},
	} {
		got, err := firewall.Normalize(netip.MustParsePrefix(c.in))
		if err != nil || got.String() != c.want {
			t.Errorf("Normalize(%s) = %v, %v; want %s", c.in, got, err, c.want)
		}
	}
	for _, bad := range []netip.Prefix{{}, netip.MustParsePrefix("::ffff:0.0.0.0/95")} {
		if _, err := firewall.Normalize(bad); err == nil {
			t.Errorf("Normalize(%v): no error", bad)
		}
	}
	if !firewall.IsHost(netip.MustParsePrefix("::1/128")) || firewall.IsHost(netip.MustParsePrefix("10.0.0.0/8")) {
		t.Error("IsHost")
	}
}

func TestValidateRules(t *testing.T) {
	ok := firewall.Rule{Name: "sshd", Protocols: []string{"tcp"}, Ports: []firewall.PortRange{{22, 22}}}
	if err := firewall.ValidateRules([]firewall.Rule{ok, {Name: "all"}}); err != nil {
		t.Errorf("valid rules: %v", err)
	}
	for _, rules := range [][]firewall.Rule{
		{ok, ok},
		{{Name: "a b"}},
		{{Name: "x", Protocols: []string{"icmp"}}},
		{{Name: "x", Ports: []firewall.PortRange{{9, 8}}}},
		{{Name: "x", Block: 7}},
		{{Name: "x", Hooks: []firewall.Hook{9}}},
	} {
		if err := firewall.ValidateRules(rules); err == nil {
			t.Errorf("ValidateRules(%+v): no error", rules)
		}
	}
}
