package fake_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/clock"
	"github.com/wardenipd/warden/internal/firewall"
	"github.com/wardenipd/warden/internal/firewall/fake"
	"github.com/wardenipd/warden/internal/firewall/fwtest"
)

func TestContract(t *testing.T) {
	fwtest.Contract(t, func(t *testing.T) fwtest.Subject {
		c := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		return fwtest.Subject{Backend: fake.New(c), Advance: c.Advance}
	})
}

func TestFailNext(t *testing.T) {
	ctx := context.Background()
	b := fake.New(clock.NewFake(time.Unix(0, 0)))
	boom := errors.New("boom")
	b.FailNext(fake.OpSetup, boom)
	rule := firewall.Rule{Name: "r"}
	if err := b.Setup(ctx, []firewall.Rule{rule}); !errors.Is(err, boom) {
		t.Fatalf("Setup = %v, want boom", err)
	}
	if got := b.Rules(); len(got) != 0 {
		t.Errorf("a failed Setup set up %v", got)
	}
	if err := b.Setup(ctx, []firewall.Rule{rule}); err != nil {
		t.Fatalf("Setup after the failure: %v", err)
	}
	add := []firewall.Change{{Rule: "r", Entry: firewall.Entry{Prefix: netip.MustParsePrefix("192.0.2.1/32")}}}
	b.FailNext(fake.OpApply, boom)
	b.FailNext(fake.OpApply, boom)
	for i := range 2 {
		if err := b.Apply(ctx, add); !errors.Is(err, boom) {
			t.Fatalf("Apply %d = %v, want boom", i, err)
		}
	}
	if b.Blocked("r", netip.MustParseAddr("192.0.2.1")) {
		t.Error("a failed Apply blocked the address")
	}
	if err := b.Apply(ctx, add); err != nil {
		t.Fatal(err)
	}
	if !b.Blocked("r", netip.MustParseAddr("192.0.2.1")) || !b.Blocked("r", netip.MustParseAddr("::ffff:192.0.2.1")) {
		t.Error("the address is not blocked")
	}
	if got, want := b.Calls(fake.OpApply), 3; got != want {
		t.Errorf("Calls(Apply) = %d, want %d", got, want)
	}
	b.FailNext(fake.OpEntries, boom)
	if _, err := b.Entries(ctx, "r"); !errors.Is(err, boom) {
		t.Errorf("Entries = %v, want boom", err)
	}
	b.FailNext(fake.OpTeardown, boom)
	if err := b.Teardown(ctx); !errors.Is(err, boom) {
		t.Errorf("Teardown = %v, want boom", err)
	}
	if len(b.Rules()) != 1 {
		t.Error("a failed Teardown removed the rules")
	}
}
