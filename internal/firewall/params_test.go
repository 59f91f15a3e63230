package firewall_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/wardenipd/warden/internal/firewall"
)

const servicesText = `# comment
ssh		22/tcp				# SSH Remote Login Protocol
http		80/tcp		www		# WorldWideWeb HTTP
https		443/tcp
https		443/udp
ftp-data	20/tcp
domain		53/tcp
domain		53/udp
syslog		514/udp
broken		notaport/tcp
short
`

func table(t *testing.T) *firewall.ServiceTable {
	t.Helper()
	s, err := firewall.ParseServices(strings.NewReader(servicesText))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestServices(t *testing.T) {
	s := table(t)
	for _, c := range []struct {
		name, proto string
		want        uint16
		ok          bool
	}{
		{"ssh", "tcp", 22, true},
		{"ssh", "", 22, true},
		{"www", "tcp", 80, true},
		{"ssh", "udp", 0, false},
		{"syslog", "", 514, true},
		{"syslog", "tcp", 0, false},
		{"broken", "tcp", 0, false},
		{"nosuch", "", 0, false},
	} {
		got, err := s.Lookup(c.name, c.proto)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Lookup(%q, %q) = %d, %v; want %d, ok %v", c.name, c.proto, got, err, c.want, c.ok)
		}
	}
}

func TestServicesFile(t *testing.T) {
	if _, err := firewall.Services(t.TempDir() + "/none"); err == nil {
		t.Error("Services of a missing file: no error")
	}
}

func TestParsePorts(t *testing.T) {
	lk := table(t).Lookup
	for _, c := range []struct {
		spec string
		want []firewall.PortRange
		err  string
	}{
		{"ssh", []firewall.PortRange{{22, 22}}, ""},
		{"ssh,2222", []firewall.PortRange{{22, 22}, {2222, 2222}}, ""},
		{" http , https ", []firewall.PortRange{{80, 80}, {443, 443}}, ""},
		{"80:90", []firewall.PortRange{{80, 90}}, ""},
		{"8000-8080,ftp-data", []firewall.PortRange{{20, 20}, {8000, 8080}}, ""},
		{"ssh:http", []firewall.PortRange{{22, 80}}, ""},
		{"85,80:90,91,100", []firewall.PortRange{{80, 91}, {100, 100}}, ""},
		{"0:65535", nil, ""},
		{"1:65535", nil, ""},
		{"1:100,101-65535", nil, ""},
		{"", nil, "empty port list"},
		{"ssh,", nil, "empty item"},
		{"90:80", nil, "start after end"},
		{"65536", nil, "out of range"},
		{"nosuch", nil, `unknown service "nosuch"`},
		{"80:nosuch", nil, "nosuch"},
	} {
		got, err := firewall.ParsePorts(c.spec, lk)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParsePorts(%q) error = %v, want %q", c.spec, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParsePorts(%q) = %v, %v; want %v", c.spec, got, err, c.want)
		}
	}
	if _, err := firewall.ParsePorts("ssh", nil); err == nil {
		t.Error("a name without a lookup: no error")
	}
}

func TestRuleFromParams(t *testing.T) {
	lk := table(t).Lookup
	ssh := []firewall.PortRange{{22, 22}}
	in := []firewall.Hook{firewall.Input}
	for _, c := range []struct {
		file   string
		params map[string]string
		want   firewall.Rule
	}{
		{"nftables", map[string]string{"name": "sshd", "port": "ssh"},
			firewall.Rule{Name: "sshd", Protocols: []string{"tcp"}, Ports: ssh, Block: firewall.Reject, Hooks: in}},
		{"nftables-multiport.conf", map[string]string{"name": "web", "port": "http,https", "protocol": "tcp,udp", "blocktype": "drop", "chain": "f2b-chain"},
			firewall.Rule{Name: "web", Protocols: []string{"tcp", "udp"}, Ports: []firewall.PortRange{{80, 80}, {443, 443}}, Block: firewall.Drop, Hooks: in}},
		{"nftables-allports", map[string]string{"name": "all", "protocol": "tcp", "chain_hook": "forward", "blocktype": "reject with tcp reset"},
			firewall.Rule{Name: "all", Protocols: []string{"tcp"}, Block: firewall.Reject, Hooks: []firewall.Hook{firewall.Forward}}},
		// The jail's chain = INPUT,FORWARD names hooks for nftables too.
		{"nftables", map[string]string{"name": "dock", "port": "ssh", "chain": "INPUT,FORWARD", "chain_hook": "input"},
			firewall.Rule{Name: "dock", Protocols: []string{"tcp"}, Ports: ssh, Block: firewall.Reject, Hooks: []firewall.Hook{firewall.Input, firewall.Forward}}},
		{"nftables", map[string]string{"name": "dock", "port": "ssh", "chain": "f2b-chain", "chain_hook": "forward"},
			firewall.Rule{Name: "dock", Protocols: []string{"tcp"}, Ports: ssh, Block: firewall.Reject, Hooks: []firewall.Hook{firewall.Forward}}},
		{"nftables", map[string]string{},
			firewall.Rule{Name: "default", Protocols: []string{"tcp"}, Ports: ssh, Block: firewall.Reject, Hooks: in}},
		{"iptables", map[string]string{"name": "sshd", "blocktype": "REJECT --reject-with icmp-port-unreachable"},
			firewall.Rule{Name: "sshd", Protocols: []string{"tcp"}, Ports: ssh, Block: firewall.Reject, Hooks: in}},
		{"iptables-multiport", map[string]string{"name": "x", "port": "0:65535", "blocktype": "DROP", "chain": "INPUT,FORWARD"},
			firewall.Rule{Name: "x", Protocols: []string{"tcp"}, Block: firewall.Drop, Hooks: []firewall.Hook{firewall.Input, firewall.Forward}}},
		{"iptables-allports", map[string]string{"name": "x", "protocol": "all", "chain": "DOCKER-USER"},
			firewall.Rule{Name: "x", Block: firewall.Reject, Hooks: []firewall.Hook{firewall.Forward}}},
		{"iptables-ipset-proto6-allports", map[string]string{"name": "x", "protocol": "all", "chain": "<known/chain>"},
			firewall.Rule{Name: "x", Block: firewall.Reject, Hooks: in}},
		{"iptables-ipset", map[string]string{"name": "x", "chain": "input", "blocktype": "REJECT --reject-with tcp-reset"},
			firewall.Rule{Name: "x", Protocols: []string{"tcp"}, Ports: ssh, Block: firewall.Reject, Hooks: in}},
		{"warden", map[string]string{"name": "a jail with spaces", "port": "syslog", "protocol": "udp"},
			firewall.Rule{Name: firewall.SafeName("a jail with spaces"), Protocols: []string{"udp"}, Ports: []firewall.PortRange{{514, 514}}, Block: firewall.Reject, Hooks: in}},
		// a udp-only service in a tcp,udp rule
		{"warden", map[string]string{"name": "s", "port": "syslog", "protocol": "tcp,udp"},
			firewall.Rule{Name: "s", Protocols: []string{"tcp", "udp"}, Ports: []firewall.PortRange{{514, 514}}, Block: firewall.Reject, Hooks: in}},
	} {
		got, err := firewall.RuleFromParams(c.file, c.params, lk)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("RuleFromParams(%s, %v) =\n%+v, %v\nwant %+v", c.file, c.params, got, err, c.want)
		}
		if err == nil && !firewall.ValidName(got.Name) {
			t.Errorf("RuleFromParams(%s) name %q not valid", c.file, got.Name)
		}
	}
}

func TestRuleFromParamsErrors(t *testing.T) {
	lk := table(t).Lookup
	for _, c := range []struct {
		file   string
		params map[string]string
		want   string
	}{
		{"sendmail", nil, "not a firewall action"},
		{"nftables", map[string]string{"protocol": "icmp"}, "protocol"},
		{"nftables", map[string]string{"protocol": "all"}, "protocol"},
		{"nftables", map[string]string{"port": "nosuch"}, "port"},
		{"nftables", map[string]string{"type": "custom"}, "type"},
		{"nftables", map[string]string{"blocktype": "accept"}, "blocktype"},
		{"nftables", map[string]string{"blocktype": "drop it"}, "blocktype"},
		{"nftables", map[string]string{"chain_hook": "output"}, "chain_hook"},
		{"iptables", map[string]string{"chain": "OUTPUT"}, "chain"},
		{"iptables", map[string]string{"chain": "INPUT,"}, "chain"},
	} {
		_, err := firewall.RuleFromParams(c.file, c.params, lk)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("RuleFromParams(%s, %v) error = %v, want one naming %q", c.file, c.params, err, c.want)
		}
	}
	if !firewall.KnownAction("iptables-allports.conf") || firewall.KnownAction("mail") {
		t.Error("KnownAction")
	}
}

func TestSafeName(t *testing.T) {
	for _, name := range []string{"sshd", "a.b-c_d", strings.Repeat("x", firewall.MaxNameLen)} {
		if got := firewall.SafeName(name); got != name {
			t.Errorf("SafeName(%q) = %q, want it unchanged", name, got)
		}
	}
	seen := map[string]string{}
	for _, name := range []string{"", "a b", "a_b-", "a/b", "a;b", "é", "$(id)", strings.Repeat("x", firewall.MaxNameLen+1),
		strings.Repeat("x", firewall.MaxNameLen+2), strings.Repeat("y", 200)} {
		got := firewall.SafeName(name)
		if !firewall.ValidName(got) {
			t.Errorf("SafeName(%q) = %q, not valid", name, got)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("SafeName(%q) = SafeName(%q) = %q", name, other, got)
		}
		seen[got] = name
	}
	for _, c := range []struct {
		name string
		ok   bool
	}{{"", false}, {"a", true}, {"a b", false}, {strings.Repeat("a", 25), false}, {"ok.Name-1_2", true}} {
		if firewall.ValidName(c.name) != c.ok {
			t.Errorf("ValidName(%q) != %v", c.name, c.ok)
		}
	}
}

func ExampleParsePorts() {
	lookup := func(name, proto string) (uint16, error) {
		if name == "ssh" {
			return 22, nil
		}
		return 0, fmt.Errorf("unknown service %q", name)
	}
	p, _ := firewall.ParsePorts("2222,ssh,80:90", lookup)
	fmt.Println(p)
	// Output: [{22 22} {80 90} {2222 2222}]
}
