package abuseipdb

import (
	"net/netip"
)

// unreportable are the ranges whose addresses are never reported: private,
// shared, reserved or special-purpose space, from which no attack on the
// Internet comes (or whose report would name someone's own network).
//
// The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
// 2001:db8::/32) are deliberately NOT here: they are reserved for
// examples, never private, and Warden's tests use them as the public
// addresses of attackers.
var unreportable = [...]netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("10.0.0.0/8"),     // RFC 1918
	netip.MustParsePrefix("100.64.0.0/10"),  // CGNAT shared space (RFC 6598)
	netip.MustParsePrefix("127.0.0.0/8"),    // loopback
	netip.MustParsePrefix("169.254.0.0/16"), // link-local
	netip.MustParsePrefix("172.16.0.0/12"),  // RFC 1918
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("192.168.0.0/16"), // RFC 1918
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking (RFC 2544)
	netip.MustParsePrefix("224.0.0.0/4"),    // multicast
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast 255.255.255.255
	netip.MustParsePrefix("::/128"),         // unspecified
	netip.MustParsePrefix("::1/128"),        // loopback
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("fc00::/7"),       // unique local (ULA)
	netip.MustParsePrefix("fe80::/10"),      // link-local
	netip.MustParsePrefix("fec0::/10"),      // site-local (deprecated)
	netip.MustParsePrefix("ff00::/8"),       // multicast
}

// Reportable reports whether ip is one address (not a network) that may be
// reported to AbuseIPDB: false for private (RFC 1918, ULA), CGNAT,
// loopback, link-local, multicast, unspecified and reserved addresses
// (0/8, 240/4, broadcast), for an address with a zone, and for what is not
// an address. An IPv4-mapped IPv6 address is judged as its IPv4 address.
// The daemon adds its own refusals (ignoreip, the host's own addresses)
// through ReporterOptions.Skip.
func Reportable(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	return reportableAddr(a)
}

func reportableAddr(a netip.Addr) bool {
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	a = a.Unmap()
	for _, p := range unreportable {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
