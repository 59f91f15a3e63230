package nft_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/firewall"
	"github.com/wardenipd/warden/internal/firewall/fwtest"
	"github.com/wardenipd/warden/internal/firewall/nft"
)

func TestMain(m *testing.M) { fwtest.Main(m) }

func newBackend(t *testing.T) *nft.Backend {
	t.Helper()
	fwtest.Kernel(t, "nft")
	b, err := nft.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.Teardown(ctx); err != nil {
			t.Errorf("Teardown: %v", err)
		}
		b.Close()
	})
	return b
}

func TestContract(t *testing.T) {
	fwtest.Contract(t, func(t *testing.T) fwtest.Subject {
		return fwtest.Subject{Backend: newBackend(t)}
	})
}

// nftJSON runs nft -j with args: the kernel's state as nft sees it, not as
// the backend reads it.
func nftJSON(t *testing.T, args ...string) []map[string]json.RawMessage {
	t.Helper()
	out, err := exec.Command("nft", append([]string{"-j"}, args...)...).Output()
	if err != nil {
		t.Fatalf("nft -j %s: %v", strings.Join(args, " "), err)
	}
	var doc struct {
		Nftables []map[string]json.RawMessage `json:"nftables"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("nft -j %s: %v", strings.Join(args, " "), err)
	}
	return doc.Nftables
}

// nftText runs nft with args.
func nftText(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("nft", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("nft %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func objects(t *testing.T, kind string, items []map[string]json.RawMessage) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, it := range items {
		raw, ok := it[kind]
		if !ok {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestKernelView(t *testing.T) {
	b := newBackend(t)
	ctx := context.Background()
	ssh := firewall.Rule{Name: "sshd", Protocols: []string{"tcp"}, Ports: []firewall.PortRange{{From: 22, To: 22}, {From: 8000, To: 8080}}, Block: firewall.Reject}
	all := firewall.Rule{Name: "recidive", Block: firewall.Drop, Hooks: []firewall.Hook{firewall.Input, firewall.Forward}}
	if err := b.Setup(ctx, []firewall.Rule{ssh, all}); err != nil {
		t.Fatal(err)
	}
	err := b.Apply(ctx, []firewall.Change{
		{Rule: "sshd", Entry: firewall.Entry{Prefix: netip.MustParsePrefix("192.0.2.1/32"), Timeout: time.Hour}},
		{Rule: "sshd", Entry: firewall.Entry{Prefix: netip.MustParsePrefix("198.51.100.0/24")}},
		{Rule: "sshd", Entry: firewall.Entry{Prefix: netip.MustParsePrefix("2001:db8::/64")}},
		{Rule: "sshd", Entry: firewall.Entry{Prefix: netip.MustParsePrefix("2001:db8:1::7/128")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var sets []string
	for _, s := range objects(t, "set", nftJSON(t, "list", "sets", "inet")) {
		if s["table"] == nft.TableName {
			sets = append(sets, s["name"].(string))
		}
	}
	slices.Sort(sets)
	want := []string{"recidive-a4", "recidive-a6", "recidive-n4", "recidive-n6", "recidive-p",
		"sshd-a4", "sshd-a6", "sshd-n4", "sshd-n6", "sshd-p"}
	if !slices.Equal(sets, want) {
		t.Errorf("sets = %v, want %v", sets, want)
	}
	for set, want := range map[string]string{
		"sshd-a4": "192.0.2.1 timeout 1h",
		"sshd-n4": "198.51.100.0/24",
		"sshd-n6": "2001:db8::/64",
		"sshd-a6": "2001:db8:1::7",
		"sshd-p":  "8000-8080",
	} {
		if got := nftText(t, "list", "set", "inet", nft.TableName, set); !strings.Contains(got, want) {
			t.Errorf("set %s lacks %q:\n%s", set, want, got)
		}
	}
	input := nftText(t, "list", "chain", "inet", nft.TableName, "input")
	for _, want := range []string{
		"type filter hook input priority filter - 1",
		"tcp dport @sshd-p ip saddr @sshd-a4 counter packets 0 bytes 0 reject with tcp reset",
		"tcp dport @sshd-p ip6 saddr @sshd-n6 counter packets 0 bytes 0 reject with tcp reset",
		"ip saddr @recidive-n4 counter packets 0 bytes 0 drop",
	} {
		if !strings.Contains(input, want) {
			t.Errorf("chain input lacks %q:\n%s", want, input)
		}
	}
	forward := nftText(t, "list", "chain", "inet", nft.TableName, "forward")
	if !strings.Contains(forward, "ip6 saddr @recidive-a6") || strings.Contains(forward, "sshd") {
		t.Errorf("chain forward:\n%s", forward)
	}
	// Changed: udp too, other ports, reject; the entries stay.
	ssh.Protocols = []string{"tcp", "udp"}
	ssh.Ports = []firewall.PortRange{{From: 2222, To: 2222}}
	if err := b.Setup(ctx, []firewall.Rule{ssh}); err != nil {
		t.Fatal(err)
	}
	input = nftText(t, "list", "chain", "inet", nft.TableName, "input")
	if !strings.Contains(input, "udp dport @sshd-p ip6 saddr @sshd-a6 counter packets 0 bytes 0 reject") ||
		strings.Contains(input, "recidive") {
		t.Errorf("chain input after the change:\n%s", input)
	}
	if got := nftText(t, "list", "set", "inet", nft.TableName, "sshd-p"); !strings.Contains(got, "2222") || strings.Contains(got, "8000") {
		t.Errorf("ports after the change:\n%s", got)
	}
	if got := nftText(t, "list", "set", "inet", nft.TableName, "sshd-n4"); !strings.Contains(got, "198.51.100.0/24") {
		t.Errorf("entries lost in the change:\n%s", got)
	}
	if got := nftText(t, "list", "sets", "inet"); strings.Contains(got, "recidive") {
		t.Errorf("the removed rule's sets stay:\n%s", got)
	}
	if err := b.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tb := range objects(t, "table", nftJSON(t, "list", "tables")) {
		t.Errorf("table left after Teardown: %v", tb)
	}
}

// A Setup with no rules removes the table.
func TestSetupNothing(t *testing.T) {
	b := newBackend(t)
	ctx := context.Background()
	if err := b.Setup(ctx, []firewall.Rule{{Name: "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Setup(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if tables := objects(t, "table", nftJSON(t, "list", "tables")); len(tables) != 0 {
		t.Errorf("tables after Setup(nil): %v", tables)
	}
}

// Overlapping subnets cannot share an interval set: the add that overlaps
// fails alone, the rest of its batch applies.
func TestOverlap(t *testing.T) {
	b := newBackend(t)
	ctx := context.Background()
	if err := b.Setup(ctx, []firewall.Rule{{Name: "x"}}); err != nil {
		t.Fatal(err)
	}
	add := func(p string) firewall.Change {
		return firewall.Change{Rule: "x", Entry: firewall.Entry{Prefix: netip.MustParsePrefix(p)}}
	}
	err := b.Apply(ctx, []firewall.Change{add("10.0.0.0/16"), add("192.0.2.1/32"), add("10.0.1.0/24"), add("198.51.100.0/24"),
		{Rule: "x", Delete: true, Entry: firewall.Entry{Prefix: netip.MustParsePrefix("10.0.2.0/24")}}})
	if err == nil || !strings.Contains(err.Error(), "1 of 5 changes failed") || !strings.Contains(err.Error(), "10.0.1.0/24") {
		t.Errorf("Apply = %v, want the overlapping add to fail alone", err)
	}
	es, err := b.Entries(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Prefix.String())
	}
	slices.Sort(got)
	if want := []string{"10.0.0.0/16", "192.0.2.1/32", "198.51.100.0/24"}; !slices.Equal(got, want) {
		t.Errorf("entries = %v, want %v", got, want)
	}
}

// A set of Warden's name made otherwise (by hand, or another version) is
// made anew by Setup.
func TestSetupForeignSet(t *testing.T) {
	b := newBackend(t)
	nftText(t, "add", "table", "inet", nft.TableName)
	nftText(t, "add", "set", "inet", nft.TableName, "x-a4", "{ type ipv4_addr; }")
	nftText(t, "add", "element", "inet", nft.TableName, "x-a4", "{ 192.0.2.1 }")
	nftText(t, "add", "set", "inet", nft.TableName, "gone-a4", "{ type ipv4_addr; }")
	ctx := context.Background()
	if err := b.Setup(ctx, []firewall.Rule{{Name: "x"}}); err != nil {
		t.Fatal(err)
	}
	got := nftText(t, "list", "set", "inet", nft.TableName, "x-a4")
	if !strings.Contains(got, "flags timeout") || strings.Contains(got, "192.0.2.1") {
		t.Errorf("set x-a4 after Setup:\n%s", got)
	}
	if got := nftText(t, "list", "sets", "inet"); strings.Contains(got, "gone-a4") {
		t.Errorf("a set of a rule not listed stays:\n%s", got)
	}
}
