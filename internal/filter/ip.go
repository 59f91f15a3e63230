package filter

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// How an address string is read, as fail2ban's IPAddr does.
const (
	cidrRaw    = -2  // keep the text as it is
	cidrUnspec = -1  // IPv4 or IPv6, "/plen" allowed
	famIPv4    = -4  // IPv4 only
	famIPv6    = -12 // IPv6 only
)

func decodeRune(s string, i int) (rune, int) { return utf8.DecodeRuneInString(s[i:]) }

// normIP returns the text fail2ban gives an address: the canonical form
// of a valid IPv4 or IPv6 address (IPv4-mapped IPv6 becoming IPv4, a prefix
// length when it is shorter than the address), or the text unchanged.
func normIP(s string, cidr int) string {
	if (cidr == famIPv4 || cidr == cidrUnspec) && canonicalIPv4(s) {
		return s // what normIPSlow gives it, without parsing it twice
	}
	return normIPSlow(s, cidr)
}

// canonicalIPv4 reports whether s is an IPv4 address in its canonical
// dotted-quad form: four decimal numbers from 0 to 255 without leading
// zeros, which is what netip.ParseAddr accepts as IPv4 and prints back
// unchanged (FuzzNormIPFast checks normIP against normIPSlow).
func canonicalIPv4(s string) bool {
	if len(s) < 7 || len(s) > 15 {
		return false
	}
	parts, n, digits := 0, 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if digits == 0 || n > 255 {
				return false
			}
			parts++
			n, digits = 0, 0
			continue
		}
		c := s[i]
		if c < '0' || c > '9' || (digits == 1 && n == 0) {
			return false // not a digit, or a leading zero
		}
		n = 10*n + int(c-'0')
		digits++
		if digits > 3 {
			return false
		}
	}
	return parts == 4
}

// normIPSlow is normIP for any text: it parses the address.
func normIPSlow(s string, cidr int) string {
	if cidr == cidrRaw {
		return s
	}
	text := s
	if cidr == cidrUnspec {
		if len(text) > 2 && text[0] == '[' && text[len(text)-1] == ']' {
			text = text[1 : len(text)-1]
		}
		if i := strings.IndexByte(text, '/'); i >= 0 {
			plen, err := maskLen(text[i+1:])
			if err != nil {
				return s
			}
			text, cidr = text[:i], plen
		}
	}
	a, ok := parseAddr(text, cidr)
	if !ok {
		return text
	}
	parsed := a
	bits := 32
	if a.Is6() {
		bits = 128
	}
	plen := bits
	if cidr >= 0 {
		if cidr > bits {
			cidr = bits
		}
		p, err := a.Prefix(cidr)
		if err == nil {
			a = p.Addr()
		}
		plen = cidr
	} else if a.Is4In6() {
		a = a.Unmap()
		plen = 32
		bits = 32
	}
	out := text
	// A dotted quad that parses (no leading zeros) is already in its
	// canonical form; other text is kept when it is too.
	if a != parsed || !a.Is4() {
		var buf [64]byte
		if b := appendAddr(buf[:0], a); string(b) != text {
			out = string(b)
		}
	}
	if plen > 0 && plen < bits {
		out += "/" + strconv.Itoa(plen)
	}
	return out
}

// parseAddr accepts what inet_pton accepts for the family cidr allows.
func parseAddr(s string, cidr int) (netip.Addr, bool) {
	if s == "" || !addrBytes(s) {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	switch {
	case cidr == famIPv4 && !a.Is4():
		return netip.Addr{}, false
	case cidr == famIPv6 && !a.Is6():
		return netip.Addr{}, false
	}
	return a, true
}

// addrBytes reports whether s has only bytes netip.ParseAddr accepts
// outside a zone (which parseAddr refuses): hex digits, '.' and ':'. A
// host name is refused without the parse, whose error allocates.
func addrBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// formatAddr prints like the C library's inet_ntop: RFC 5952 compression,
// and a dotted-quad tail for IPv4-mapped and IPv4-compatible addresses.
func formatAddr(a netip.Addr) string { return string(appendAddr(nil, a)) }

// appendAddr appends formatAddr(a) to sb.
func appendAddr(sb []byte, a netip.Addr) []byte {
	if a.Is4() {
		return a.AppendTo(sb)
	}
	b := a.As16()
	var w [8]uint16
	for i := range w {
		w[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	// Longest run of zero words (at least two), leftmost on ties.
	best, bestLen := -1, 0
	for i := 0; i < 8; {
		if w[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && w[j] == 0 {
			j++
		}
		if j-i > bestLen && j-i >= 2 {
			best, bestLen = i, j-i
		}
		i = j
	}
	for i := 0; i < 8; i++ {
		if i == best {
			sb = append(sb, "::"...)
			i += bestLen - 1
			continue
		}
		if i > 0 && i != best+bestLen {
			sb = append(sb, ':')
		}
		if i == 6 && best == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
			for j, x := range b[12:] {
				if j > 0 {
					sb = append(sb, '.')
				}
				sb = strconv.AppendUint(sb, uint64(x), 10)
			}
			break
		}
		sb = strconv.AppendUint(sb, uint64(w[i]), 16)
	}
	return sb
}

// maskLen reads a prefix length: a number, or a dotted or colon mask.
func maskLen(s string) (int, error) {
	if strings.ContainsAny(s, ".:") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return 0, fmt.Errorf("bad mask %q", s)
		}
		n := 0
		for _, x := range a.AsSlice() {
			for bit := 7; bit >= 0; bit-- {
				if x&(1<<bit) == 0 {
					return n, nil
				}
				n++
			}
		}
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("bad prefix length %q", s)
	}
	return n, nil
}

// plainIP returns s if it is a plain IPv4 or IPv6 address (IPv6 maybe in
// brackets), as fail2ban's searchIP does.
func plainIP(s string) (string, bool) {
	t := s
	if a, ok := parseAddr(t, famIPv4); ok && a.Is4() && isDottedQuad(t) {
		return t, true
	}
	t = strings.TrimSuffix(strings.TrimPrefix(t, "["), "]")
	if a, ok := parseAddr(t, famIPv6); ok && a.Is6() {
		return t, true
	}
	return "", false
}

func isDottedQuad(s string) bool {
	return strings.Count(s, ".") == 3 && strings.Trim(s, "0123456789.") == ""
}
