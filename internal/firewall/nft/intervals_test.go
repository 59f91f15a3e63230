package nft

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/nftables"
)

func TestAfter(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.0.2.0/24", "192.0.3.0"},
		{"10.0.0.0/8", "11.0.0.0"},
		{"192.0.2.7/32", "192.0.2.8"},
		{"2001:db8::/64", "2001:db8:0:1::"},
		{"2001:db8:0:ffff::/64", "2001:db8:1::"},
	} {
		got, ok := after(netip.MustParsePrefix(c.in))
		if !ok || got.String() != c.want {
			t.Errorf("after(%s) = %v, %v; want %s", c.in, got, ok, c.want)
		}
	}
	for _, p := range []string{"255.255.255.0/24", "0.0.0.0/0", "ffff::/16"} {
		if got, ok := after(netip.MustParsePrefix(p)); ok {
			t.Errorf("after(%s) = %v, want none", p, got)
		}
	}
}

func TestIntervals(t *testing.T) {
	el := func(a string, end bool, left time.Duration) nftables.SetElement {
		e := nftables.SetElement{Key: netip.MustParseAddr(a).AsSlice(), IntervalEnd: end}
		if left > 0 {
			e.Timeout, e.Expires = time.Hour, left
		}
		return e
	}
	// As the kernel dumps them: in reverse, adjacent ranges sharing an
	// address, a range to the end of the space with no end element.
	got, err := intervals([]nftables.SetElement{
		el("255.255.255.0", false, 0),
		el("192.0.4.0", true, 0),
		el("192.0.3.0", false, time.Minute),
		el("192.0.3.0", true, 0),
		el("192.0.2.0", false, 0),
		el("10.0.0.128", true, 0),
		el("10.0.0.0", false, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, e := range got {
		s = append(s, e.Prefix.String()+" "+e.Timeout.String())
	}
	want := []string{"10.0.0.0/25 0s", "192.0.2.0/24 0s", "192.0.3.0/24 1m0s", "255.255.255.0/24 0s"}
	if !slices.Equal(s, want) {
		t.Errorf("intervals = %v, want %v", s, want)
	}
	if _, err := intervals([]nftables.SetElement{el("10.0.0.1", false, 0), el("10.0.0.4", true, 0)}); err == nil {
		t.Error("a range that is not a prefix: no error")
	}
}
