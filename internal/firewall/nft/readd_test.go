package nft

import (
	"context"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/firewall"
	"github.com/wardenipd/warden/internal/firewall/fwtest"
)

// The contract holds too where the kernel keeps an element's timeout when
// it is added again (adds sent as add, delete, add), and the probe
// finds what this kernel does.
func TestContractReadd(t *testing.T) {
	fwtest.Contract(t, func(t *testing.T) fwtest.Subject {
		fwtest.Kernel(t, "nft")
		b, err := New()
		if err != nil {
			t.Fatal(err)
		}
		b.probed, b.readd = true, true
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := b.Teardown(ctx); err != nil {
				t.Errorf("Teardown: %v", err)
			}
		})
		return fwtest.Subject{Backend: b}
	})
}

func TestProbe(t *testing.T) {
	fwtest.Kernel(t, "nft")
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	defer b.Teardown(ctx)
	if err := b.Setup(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if b.probed {
		t.Error("probed without a table")
	}
	if err := b.Setup(ctx, []firewall.Rule{{Name: "x"}}); err != nil {
		t.Fatal(err)
	}
	if !b.probed {
		t.Fatal("not probed")
	}
	t.Logf("the kernel updates an element's timeout on a new add: %v", !b.readd)
	sets, err := b.conn.GetSets(b.table)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sets {
		if s.Name == probeSet {
			t.Error("the probe's set stays")
		}
	}
}
