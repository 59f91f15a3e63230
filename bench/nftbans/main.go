// Command nftbans times bans through the nftables backend: it sets up
// one rule, adds N banned addresses (IPv4, with a timeout) in one Apply,
// checks the kernel holds them, and deletes them. Run it as root in a
// network namespace of its own (bench/firewall.sh does: unshare -n).
package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/wardenipd/warden/internal/firewall"
	"github.com/wardenipd/warden/internal/firewall/nft"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "nftbans:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("n", 100000, "bans")
	subnets := flag.Bool("subnets", false, "ban /24 subnets instead of addresses")
	v6 := flag.Bool("6", false, "IPv6 (/128 addresses or /64 subnets)")
	keep := flag.Bool("keep", false, "add only, and leave the table (to look at it with nft)")
	flag.Parse()
	ctx := context.Background()
	b, err := nft.New()
	if err != nil {
		return err
	}
	defer b.Close()
	rule := firewall.Rule{Name: "bench", Protocols: []string{"tcp"}, Ports: []firewall.PortRange{{From: 22, To: 22}}, Block: firewall.Reject}
	if err := b.Setup(ctx, []firewall.Rule{rule}); err != nil {
		return err
	}
	if !*keep {
		defer b.Teardown(ctx)
	}
	adds := make([]firewall.Change, *n)
	dels := make([]firewall.Change, *n)
	for i := range *n {
		var p netip.Prefix
		switch {
		case *v6 && *subnets:
			p = netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}), 64)
		case *v6:
			p = netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 12: byte(i >> 24), 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)}), 128)
		case *subnets:
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(10 + i>>16), byte(i >> 8), byte(i), 0}), 24)
		default:
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32)
		}
		adds[i] = firewall.Change{Rule: rule.Name, Entry: firewall.Entry{Prefix: p, Timeout: time.Hour}}
		dels[i] = firewall.Change{Rule: rule.Name, Delete: true, Entry: firewall.Entry{Prefix: p}}
	}
	start := time.Now()
	if err := b.Apply(ctx, adds); err != nil {
		return err
	}
	addTime := time.Since(start)
	if *keep {
		fmt.Printf("%d bans in %.3f s\n", *n, addTime.Seconds())
		return nil
	}
	es, err := b.Entries(ctx, rule.Name)
	if err != nil {
		return err
	}
	if len(es) != *n {
		return fmt.Errorf("%d bans applied, the kernel holds %d", *n, len(es))
	}
	start = time.Now()
	if err := b.Apply(ctx, dels); err != nil {
		return err
	}
	delTime := time.Since(start)
	fmt.Printf("warden nftables: %d bans in %.3f s (%.0f bans/s); %d unbans in %.3f s\n",
		*n, addTime.Seconds(), float64(*n)/addTime.Seconds(), *n, delTime.Seconds())
	return nil
}
