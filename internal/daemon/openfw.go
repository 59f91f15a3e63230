package daemon

import (
	"fmt"

	"github.com/wardenipd/warden/internal/firewall"
	"github.com/wardenipd/warden/internal/firewall/ipt"
)

// OpenFirewall opens the real firewall backend of a kind.
func OpenFirewall(kind string) (firewall.Backend, error) {
	switch kind {
	case "iptables":
		return ipt.New(ipt.Options{})
	}
	return nil, fmt.Errorf("no firewall backend %q", kind)
}
