package ipt

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/firewall"
)

// These tests need no privilege: they check the scripts the backend
// feeds to the binaries and its reading of what they print.

func TestPortGroups(t *testing.T) {
	var ports []firewall.PortRange
	for p := uint16(1); p <= 14; p++ {
		ports = append(ports, firewall.PortRange{From: p, To: p})
	}
	ports = append(ports, firewall.PortRange{From: 100, To: 200}) // weight 2: does not fit the first
	got := portGroups(ports)
	want := []string{"1,2,3,4,5,6,7,8,9,10,11,12,13,14", "100:200"}
	if !slices.Equal(got, want) {
		t.Errorf("portGroups = %q, want %q", got, want)
	}
	if got := portGroups(nil); got != nil {
		t.Errorf("portGroups(nil) = %q", got)
	}
}

func TestChainRules(t *testing.T) {
	r := firewall.Rule{Name: "web", Protocols: []string{"tcp", "udp"},
		Ports: []firewall.PortRange{{From: 80, To: 80}, {From: 8000, To: 8080}}, Block: firewall.Reject}
	got := chainRules(r, true)
	want := []string{
		"-p tcp -m multiport --dports 80,8000:8080 -m set --match-set wdn-web-6 src -j REJECT --reject-with tcp-reset",
		"-p udp -m multiport --dports 80,8000:8080 -m set --match-set wdn-web-6 src -j REJECT --reject-with icmp6-port-unreachable",
	}
	if !slices.Equal(got, want) {
		t.Errorf("chainRules =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	r = firewall.Rule{Name: "all"}
	if got, want := chainRules(r, false), []string{"-m set --match-set wdn-all-4 src -j DROP"}; !slices.Equal(got, want) {
		t.Errorf("chainRules = %q, want %q", got, want)
	}
}

func TestSetupScript(t *testing.T) {
	st := parseState(`-P INPUT ACCEPT
-N wdn-old
-N wdn-keep
-N user-chain
-A INPUT -j wdn-old
-A INPUT -j wdn-keep
-A INPUT -j wdn-keep
-A INPUT -s 10.0.0.1/32 -j wdn-keep
-A FORWARD -j wdn-keep
-A wdn-keep -m set --match-set wdn-keep-4 src -j DROP
`)
	rules := []firewall.Rule{
		{Name: "keep"},
		{Name: "new", Hooks: []firewall.Hook{firewall.Forward, firewall.Input, firewall.Forward}},
	}
	got := setupScript(st, rules, false)
	want := `*filter
:wdn-keep - [0:0]
:wdn-new - [0:0]
-A wdn-keep -m set --match-set wdn-keep-4 src -j DROP
-A wdn-new -m set --match-set wdn-new-4 src -j DROP
-D INPUT -j wdn-old
-D INPUT -j wdn-keep
-D FORWARD -j wdn-keep
-F wdn-old
-X wdn-old
-I FORWARD 1 -j wdn-new
-I INPUT 1 -j wdn-new
COMMIT
`
	if got != want {
		t.Errorf("setupScript =\n%s\nwant\n%s", got, want)
	}
}

func TestApplyScript(t *testing.T) {
	known := func(r string) bool { return r == "a" || r == "b" }
	ch := func(rule, p string, d time.Duration, delete bool) firewall.Change {
		return firewall.Change{Rule: rule, Delete: delete, Entry: firewall.Entry{Prefix: netip.MustParsePrefix(p), Timeout: d}}
	}
	got, err := applyScript([]firewall.Change{
		ch("a", "192.0.2.1/32", 1500*time.Millisecond, false),
		ch("a", "2001:db8::1/64", 0, false), // masked
		ch("a", "192.0.2.0/24", 0, true),
		ch("b", "::ffff:192.0.2.9/128", time.Nanosecond, false), // IPv4-mapped: IPv4, at least 1 s
		ch("a", "192.0.2.2/32", 100*24*time.Hour, false),        // capped
		ch("a", "2001:db8::/64", 0, true),
	}, known)
	if err != nil {
		t.Fatal(err)
	}
	want := `add wdn-a-4 192.0.2.1/32 timeout 2
del wdn-a-4 192.0.2.0/24
add wdn-a-4 192.0.2.2/32 timeout 2147483
add wdn-a-6 2001:db8::/64 timeout 0
del wdn-a-6 2001:db8::/64
add wdn-b-4 192.0.2.9/32 timeout 1
`
	if string(got) != want {
		t.Errorf("applyScript =\n%s\nwant\n%s", got, want)
	}
	for _, bad := range []firewall.Change{
		ch("c", "192.0.2.1/32", 0, false),            // unknown rule
		ch("a", "192.0.2.1/32", -time.Second, false), // negative timeout
		ch("a", "0.0.0.0/0", 0, false),               // ipset has no /0
		{Rule: "a"},                                  // no prefix
	} {
		if _, err := applyScript([]firewall.Change{bad}, known); err == nil {
			t.Errorf("applyScript(%+v): no error", bad)
		}
	}
}

func TestParseSave(t *testing.T) {
	got, err := parseSave(`create wdn-a-4 hash:net family inet hashsize 1024 maxelem 1048576 timeout 0 bucketsize 12 initval 0x8a7b1155
add wdn-a-4 10.1.0.0/16 timeout 4
add wdn-a-4 10.0.0.1 timeout 0
add wdn-a-6 2001:db8::1 timeout 60
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []firewall.Entry{
		{Prefix: netip.MustParsePrefix("10.1.0.0/16"), Timeout: 4 * time.Second},
		{Prefix: netip.MustParsePrefix("10.0.0.1/32")},
		{Prefix: netip.MustParsePrefix("2001:db8::1/128"), Timeout: time.Minute},
	}
	if !slices.Equal(got, want) {
		t.Errorf("parseSave = %v, want %v", got, want)
	}
	for _, bad := range []string{"add s", "add s nonsense timeout 1", "add s 10.0.0.1 timeout -1"} {
		if _, err := parseSave(bad); err == nil {
			t.Errorf("parseSave(%q): no error", bad)
		}
	}
}

func TestOwnSet(t *testing.T) {
	for name, want := range map[string]bool{
		"wdn-sshd-4": true, "wdn-sshd-6": true, "wdn-a-b-6": true,
		"wdn--4": false, "wdn-sshd": false, "f2b-sshd-4": false, "wdn-x-5": false,
	} {
		if got := ownSet(name); got != want {
			t.Errorf("ownSet(%q) = %v, want %v", name, got, want)
		}
	}
	if got := ruleOfSet("wdn-a-b-6"); got != "a-b" {
		t.Errorf("ruleOfSet = %q", got)
	}
}

func TestNewVariant(t *testing.T) {
	if _, err := New(Options{Variant: "iptables; rm -rf /"}); err == nil {
		t.Errorf("New with a bad variant: no error")
	}
	if _, err := New(Options{MaxElem: -1}); err == nil {
		t.Errorf("New with a negative capacity: no error")
	}
}
