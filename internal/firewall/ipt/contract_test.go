package ipt

import (
	"testing"

	"github.com/wardenipd/warden/internal/firewall/fwtest"
)

// TestContract runs the suite every Backend passes, with the host's
// iptables and with iptables-legacy.
func TestContract(t *testing.T) {
	for _, v := range variants() {
		t.Run(variantName(v), func(t *testing.T) {
			fwtest.Contract(t, func(t *testing.T) fwtest.Subject {
				return fwtest.Subject{Backend: newBackend(t, v)}
			})
		})
	}
}
