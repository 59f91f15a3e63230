package daemon

import (
	"fmt"

	"github.com/wardenipd/warden/internal/firewall"
	"github.com/wardenipd/warden/internal/firewall/ipt"
	"github.com/wardenipd/warden/internal/firewall/nft"
)

// OpenFirewall opens the real firewall backend of a kind: "nftables"
// (netlink, no nft program) or "iptables" (iptables and ipset programs).
func OpenFirewall(kind string) (firewall.Backend, error) {
	switch kind {
	case "nftables":
		return nft.New()
	case "iptables":
		return ipt.New(ipt.Options{})
	}
	return nil, fmt.Errorf("no firewall backend %q", kind)
}
